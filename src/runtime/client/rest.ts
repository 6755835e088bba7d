// HTTP to the API server: the connection's transport, a client-side token bucket (QPS/burst, as client-go),
// request metrics, and errors turned into ApiError. Everything above this speaks paths and JSON.
import type { Readable } from 'node:stream';
import { BucketRateLimiter } from '../queue/rate-limiter.ts';
import type { RuntimeMetrics } from '../metrics/metrics.ts';
import { realClock } from '../util/clock.ts';
import { ApiError } from './errors.ts';
import type { Connection } from './connection.ts';
import type { Lane, TransportResponse } from './transport.ts';

export type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export interface RestRequest {
  method: Method;
  path: string;
  query?: Record<string, string | number | boolean | undefined>;
  body?: unknown;
  contentType?: string;
  signal?: AbortSignal;
}

export interface RestOptions {
  /** Client-side rate limit, as client-go's --kube-api-qps / --kube-api-burst. 0 or less: unlimited. */
  qps?: number;
  burst?: number;
  metrics?: RuntimeMetrics;
  /** The User-Agent header of every request; default `tentacle-runtime`. */
  userAgent?: string;
  /**
   * `lease` for leader election's client: its requests travel apart from everything else (transport.ts).
   * Otherwise requests go in the request lane and watches in the watch lane.
   */
  lane?: 'lease';
}

/** How the runtime names itself when the operator does not (`ManagerOptions.userAgent`). */
export const DEFAULT_USER_AGENT = 'tentacle-runtime';

const DEFAULT_QPS = 20;
const DEFAULT_BURST = 30;
const REQUEST_TIMEOUT_MS = 60_000;

export class RestClient {
  readonly connection: Connection;
  private readonly limiter: BucketRateLimiter<string> | undefined;
  private readonly metrics: RuntimeMetrics | undefined;
  private readonly host: string;
  private readonly userAgent: string;
  private readonly lease: boolean;

  constructor(connection: Connection, options: RestOptions = {}) {
    this.connection = connection;
    const qps = options.qps ?? DEFAULT_QPS;
    this.limiter = qps > 0 ? new BucketRateLimiter<string>(qps, options.burst ?? DEFAULT_BURST, realClock) : undefined;
    this.metrics = options.metrics;
    this.host = connection.server.host;
    this.userAgent = options.userAgent ?? DEFAULT_USER_AGENT;
    this.lease = options.lane === 'lease';
  }

  /** Sends a request and returns the parsed JSON body; non-2xx answers throw ApiError. */
  async json<T = any>(req: RestRequest): Promise<T> {
    const res = await this.send(req, false);
    const text = await bodyText(res.body);
    if (res.status >= 300) throw ApiError.fromResponse(res.status, text, describe(req), header(res.headers['retry-after']));
    return (text ? JSON.parse(text) : {}) as T;
  }

  /** Opens a streaming GET (watch); the caller reads and destroys the returned stream. */
  async stream(req: RestRequest): Promise<Readable> {
    const res = await this.send(req, true);
    if (res.status >= 300) {
      const text = await bodyText(res.body);
      throw ApiError.fromResponse(res.status, text, describe(req), header(res.headers['retry-after']));
    }
    // Decoded as a whole stream, so a character split across chunks stays whole.
    res.body.setEncoding('utf8');
    return res.body;
  }

  private async send(req: RestRequest, streaming: boolean): Promise<TransportResponse> {
    await this.throttle(req.method);
    const url = new URL(req.path, this.connection.server);
    for (const [k, v] of Object.entries(req.query ?? {})) if (v !== undefined) url.searchParams.set(k, String(v));
    const headers: Record<string, string> = {
      ...(await this.connection.authHeaders()),
      accept: 'application/json',
      'user-agent': this.userAgent,
    };
    let body: string | undefined;
    if (req.body !== undefined) {
      body = typeof req.body === 'string' ? req.body : goJson(req.body);
      headers['content-type'] = req.contentType ?? 'application/json';
      headers['content-length'] = String(Buffer.byteLength(body));
    }
    const lane: Lane = this.lease ? 'lease' : streaming ? 'watch' : 'request';
    const started = performance.now();
    let code = '<error>';
    try {
      const res = await this.connection.transport.request({
        method: req.method,
        url,
        headers,
        body,
        lane,
        signal: req.signal,
        // Watches are long and quiet: the watcher applies its own inactivity timeout. Anything else
        // that stays silent this long is a dead connection, not a slow server.
        idleTimeoutMs: streaming ? undefined : REQUEST_TIMEOUT_MS,
      });
      code = String(res.status);
      return res;
    } finally {
      this.metrics?.restRequests.inc({ code, method: req.method, host: this.host });
      this.metrics?.restLatency.observe({ verb: req.method, host: this.host }, (performance.now() - started) / 1000);
    }
  }

  private async throttle(method: Method): Promise<void> {
    if (!this.limiter) return;
    const delay = this.limiter.when('');
    if (delay > 0) {
      this.metrics?.restRateLimiterLatency.observe({ verb: method, host: this.host }, delay / 1000);
      await new Promise((resolve) => setTimeout(resolve, delay));
    }
  }
}

async function bodyText(res: Readable): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of res) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

function describe(req: RestRequest): string {
  return `${req.method} ${req.path}`;
}

function header(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

/**
 * JSON as Go's encoding/json writes it: `<`, `>`, `&`, U+2028 and U+2029 escaped. These characters
 * can only occur inside strings, so the replacement keeps the document's meaning; it keeps embedded raw
 * JSON (a ControllerRevision's `data`) byte-identical to what the API server produces when it re-encodes
 * the object for a patch, which immutability checks compare.
 */
export function goJson(value: unknown): string {
  return JSON.stringify(value).replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
