// How requests reach the API server: the Transport interface RestClient speaks, and its HTTP/1.1
// implementation (http2-transport.ts is the default one). Requests travel in lanes that never wait for
// each other: `request` (reads and writes), `watch` (long streams, each holding what it uses for as long
// as it runs) and `lease` (leader election: a renewal must never queue behind either).
import type { Agent, IncomingMessage } from 'node:http';
import type { Readable } from 'node:stream';
import { http, https } from './node-builtins.ts';

export type Lane = 'request' | 'watch' | 'lease';

export interface TransportRequest {
  method: string;
  url: URL;
  headers: Record<string, string>;
  body?: string | undefined;
  lane: Lane;
  signal?: AbortSignal | undefined;
  /**
   * Fail when no data has come for this long (ms); none for watches, whose watcher applies its own
   * inactivity timeout.
   */
  idleTimeoutMs?: number | undefined;
}

export interface TransportResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  /** The body; the caller reads it to the end or destroys it. */
  body: Readable;
}

/**
 * Sends requests to one API server. Contract: a request in one lane never waits for capacity used by
 * another; a connection that dies fails the requests and streams on it (the caller retries or, for a
 * watch, relists or resumes) and is replaced for the next ones; close() ends every connection.
 */
export interface Transport {
  /** `h2` or `http/1.1`: what the server agreed to. */
  readonly protocol: 'h2' | 'http/1.1';
  request(req: TransportRequest): Promise<TransportResponse>;
  close(): Promise<void>;
}

export interface Http1Options {
  /** TLS settings (CA, client certificate, server name). */
  tls: Record<string, unknown>;
  /** Keep-alive sockets of the request lane; requests beyond it queue. Default 32. */
  connections?: number | undefined;
}

/**
 * HTTP/1.1 over keep-alive sockets, one pool per lane: requests share `connections` sockets, every watch
 * gets a socket of its own (a watch holds it while it runs), Lease renewals have two of their own.
 */
export function http1Transport(server: URL, options: Http1Options): Transport {
  const secure = server.protocol === 'https:';
  const agent = (maxSockets: number): Agent =>
    secure ? new https.Agent({ keepAlive: true, maxSockets, ...options.tls }) : new http.Agent({ keepAlive: true, maxSockets });
  const agents: Record<Lane, Agent> = { request: agent(options.connections ?? 32), watch: agent(Infinity), lease: agent(2) };
  return {
    protocol: 'http/1.1',
    request: (req) =>
      new Promise<TransportResponse>((resolve, reject) => {
        const send = secure ? https.request : http.request;
        const call = send(req.url, { method: req.method, headers: req.headers, agent: agents[req.lane], ...(req.signal ? { signal: req.signal } : {}) }, (res: IncomingMessage) =>
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: res }),
        );
        call.on('error', reject);
        if (req.idleTimeoutMs) {
          const ms = req.idleTimeoutMs;
          call.setTimeout(ms, () => call.destroy(new Error(`${req.method} ${req.url.pathname}: no data from the API server in ${ms / 1000} s`)));
        }
        call.end(req.body);
      }),
    close: async () => {
      for (const a of Object.values(agents)) a.destroy();
    },
  };
}
