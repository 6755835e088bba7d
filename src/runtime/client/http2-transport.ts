// HTTP/2 to the API server, as client-go speaks it: requests and watches are streams on TLS connections
// that negotiated `h2` (ALPN). Each lane (transport.ts) has connections of its own, so a burst of writes
// never delays watch delivery and Lease renewals never wait behind either. Within a lane, a connection
// takes streams up to the server's SETTINGS_MAX_CONCURRENT_STREAMS (kube-apiserver: 100); beyond that a
// new connection opens instead of streams queueing. Health: every connection is pinged every
// `readIdleTimeoutMs`, and one that does not answer within `pingTimeoutMs` is destroyed, failing its
// streams (a watch then ends with that error and its watcher resumes). GOAWAY: the connection takes no
// new streams, those in flight finish, and a stream the server refused unprocessed is sent again once on
// another connection. Where the server does not offer h2 (ALPN), or for plain http, HTTP/1.1 serves.
import type { ClientHttp2Session, ClientHttp2Stream, IncomingHttpHeaders } from 'node:http2';
import type { TLSSocket } from 'node:tls';
import { Readable } from 'node:stream';
import { http1Transport, type Lane, type Transport, type TransportRequest, type TransportResponse } from './transport.ts';

const http2 = process.getBuiltinModule('node:http2');
const tls = process.getBuiltinModule('node:tls');

export interface Http2Options {
  tls: Record<string, unknown>;
  /** Ping a connection this often (client-go's ReadIdleTimeout, 30 s). */
  readIdleTimeoutMs?: number | undefined;
  /** A connection whose ping is not answered in this long is dead (client-go's PingTimeout, 15 s). */
  pingTimeoutMs?: number | undefined;
  /** The HTTP/1.1 fallback's request sockets. */
  connections?: number | undefined;
  /** Called when a connection opens or closes, for metrics and tests. */
  onConnections?: ((lane: Lane, open: number) => void) | undefined;
}

/** A connection not established in this long (TCP, TLS, HTTP/2 SETTINGS) fails (client-go's TLSHandshakeTimeout is 10 s). */
const CONNECT_TIMEOUT_MS = 10_000;
/** Streams per connection when the server has not said (HTTP/2's suggested minimum is 100). */
const DEFAULT_MAX_STREAMS = 100;
/** An idle extra connection (one beyond the first of its lane) is closed after this long. */
const IDLE_EXTRA_MS = 60_000;
/** Receive windows: large list responses and busy watches should not wait for WINDOW_UPDATE round trips. */
const STREAM_WINDOW = 4 << 20;
const CONNECTION_WINDOW = 64 << 20;

class NotH2 extends Error {}

/** One connection and what its lane needs to know of it. */
interface Conn {
  session: ClientHttp2Session;
  active: number;
  /** GOAWAY received, or being replaced: no new streams. */
  draining: boolean;
  idleSince: number;
}

/**
 * The transport of an https server: HTTP/2 when the server negotiates it (decided at the first request
 * that connects, so an API server not up yet is no error), HTTP/1.1 otherwise.
 */
export function autoTransport(server: URL, options: Http2Options): Transport {
  if (server.protocol !== 'https:') return http1Transport(server, options);
  let chosen: Transport | undefined;
  let deciding: Promise<Transport> | undefined;
  const decide = async (): Promise<Transport> => {
    const h2 = new Http2Transport(server, options);
    try {
      await h2.warm('request');
      return h2;
    } catch (err) {
      await h2.close();
      if (err instanceof NotH2) return http1Transport(server, options);
      throw err;
    }
  };
  const transport: Transport = {
    get protocol() {
      return chosen?.protocol ?? 'h2';
    },
    async request(req) {
      if (!chosen) {
        deciding ??= decide().finally(() => (deciding = undefined));
        chosen = await deciding;
      }
      return chosen.request(req);
    },
    close: async () => {
      await chosen?.close();
    },
  };
  return transport;
}

export class Http2Transport implements Transport {
  readonly protocol = 'h2' as const;
  readonly #server: URL;
  readonly #options: Http2Options;
  readonly #lanes: Record<Lane, Conn[]> = { request: [], watch: [], lease: [] };
  readonly #opening: Partial<Record<Lane, Promise<Conn>>> = {};
  #closed = false;

  constructor(server: URL, options: Http2Options) {
    this.#server = server;
    this.#options = options;
  }

  /** Opens the lane's first connection (throws NotH2 where the server does not speak h2). */
  async warm(lane: Lane): Promise<void> {
    this.#ended(await this.#acquire(lane));
  }

  async request(req: TransportRequest): Promise<TransportResponse> {
    try {
      return await this.#send(req);
    } catch (err) {
      // Refused unprocessed (GOAWAY's last stream id, or a connection gone before the stream began):
      // safe to send once more, on another connection.
      if (!refusedUnprocessed(err) || req.signal?.aborted) throw err;
      return this.#send(req);
    }
  }

  /** Ends every connection at once, as the HTTP/1.1 agents' destroy() does: what is in flight fails. */
  async close(): Promise<void> {
    this.#closed = true;
    for (const conns of Object.values(this.#lanes)) {
      for (const c of conns.splice(0)) c.session.destroy();
    }
  }

  async #send(req: TransportRequest): Promise<TransportResponse> {
    const conn = await this.#acquire(req.lane); // a stream slot is reserved on it
    const headers: Record<string, string> = {
      ':method': req.method,
      ':path': `${req.url.pathname}${req.url.search}`,
      ':scheme': 'https',
      ':authority': req.url.host,
    };
    for (const [k, v] of Object.entries(req.headers)) {
      const name = k.toLowerCase();
      // Connection-specific headers are forbidden in HTTP/2; content-length is the body's own.
      if (name !== 'connection' && name !== 'host' && name !== 'keep-alive' && name !== 'transfer-encoding') headers[name] = v;
    }
    if (req.signal?.aborted) {
      this.#ended(conn);
      throw abortError(req.signal);
    }
    let stream: ClientHttp2Stream;
    try {
      stream = conn.session.request(headers, { endStream: req.body === undefined });
    } catch (err) {
      conn.draining = true;
      this.#ended(conn);
      throw err;
    }
    // An error after the body was read (an abort, the connection's end) concerns nobody any more.
    stream.on('error', () => {});
    // The signal cancels the stream (RST_STREAM CANCEL), before or after the response came.
    const signal = req.signal;
    const onAbort = () => stream.destroy(abortError(signal!));
    signal?.addEventListener('abort', onAbort, { once: true });
    stream.once('close', () => {
      signal?.removeEventListener('abort', onAbort);
      this.#ended(conn);
    });
    if (req.idleTimeoutMs) {
      const ms = req.idleTimeoutMs;
      stream.setTimeout(ms, () => stream.destroy(new Error(`${req.method} ${req.url.pathname}: no data from the API server in ${ms / 1000} s`)));
    }
    if (req.body !== undefined) stream.end(req.body);
    return new Promise<TransportResponse>((resolve, reject) => {
      const failed = (err: Error) => reject(err);
      stream.once('error', failed);
      stream.once('response', (h: IncomingHttpHeaders) => {
        stream.off('error', failed);
        const { ':status': status, ...rest } = h;
        resolve({ status: Number(status), headers: rest, body: bodyOf(stream) });
      });
    });
  }

  /**
   * A connection of the lane with room for one more stream, opening one when none has; the stream's
   * slot is taken (#ended gives it back), so that concurrent callers never overfill a connection.
   */
  async #acquire(lane: Lane): Promise<Conn> {
    for (;;) {
      if (this.#closed) throw new Error('the API client is closed');
      const conns = this.#lanes[lane];
      const free = conns.find((c) => !c.draining && !c.session.closed && !c.session.destroyed && c.active < maxStreams(c.session));
      if (free) {
        this.#started(free);
        return free;
      }
      const opening = (this.#opening[lane] ??= this.#open(lane).finally(() => delete this.#opening[lane]));
      await opening;
    }
  }

  async #open(lane: Lane): Promise<Conn> {
    const deadline = AbortSignal.timeout(CONNECT_TIMEOUT_MS);
    const timedOut = () => new Error(`connecting to the API server ${this.#server.host} took more than ${CONNECT_TIMEOUT_MS / 1000} s`);
    const socket = await new Promise<TLSSocket>((resolve, reject) => {
      const s = tls.connect({
        host: this.#server.hostname.replace(/^\[(.*)\]$/, '$1'),
        port: Number(this.#server.port || 443),
        ALPNProtocols: ['h2', 'http/1.1'],
        ...this.#options.tls,
      });
      const abort = () => {
        s.destroy();
        reject(timedOut());
      };
      deadline.addEventListener('abort', abort, { once: true });
      s.once('secureConnect', () => {
        deadline.removeEventListener('abort', abort);
        resolve(s);
      });
      s.once('error', (err: Error) => {
        deadline.removeEventListener('abort', abort);
        reject(err);
      });
    });
    socket.removeAllListeners('error');
    if (socket.alpnProtocol !== 'h2') {
      socket.destroy();
      throw new NotH2(`the API server did not negotiate h2 (ALPN: ${socket.alpnProtocol || 'none'})`);
    }
    const session = http2.connect(this.#server.origin, { createConnection: () => socket, settings: { initialWindowSize: STREAM_WINDOW, enablePush: false } });
    // Connected, and the server's SETTINGS (its stream limit) known.
    await new Promise<void>((resolve, reject) => {
      const abort = () => {
        session.destroy();
        reject(timedOut());
      };
      if (deadline.aborted) return abort();
      deadline.addEventListener('abort', abort, { once: true });
      session.once('remoteSettings', () => {
        deadline.removeEventListener('abort', abort);
        resolve();
      });
      session.once('error', reject);
      session.once('close', () => reject(new Error('the API server closed the connection at its start')));
    });
    session.setLocalWindowSize(CONNECTION_WINDOW);
    const conn: Conn = { session, active: 0, draining: false, idleSince: Date.now() };
    const conns = this.#lanes[lane];
    conns.push(conn);
    this.#options.onConnections?.(lane, conns.length);
    session.on('goaway', () => (conn.draining = true));
    // Errors reach the streams (and the requests that made them); the session is then closed.
    session.on('error', () => (conn.draining = true));
    session.once('close', () => {
      clearInterval(health);
      const i = conns.indexOf(conn);
      if (i >= 0) conns.splice(i, 1);
      this.#options.onConnections?.(lane, conns.length);
    });
    const health = setInterval(() => this.#check(conn, conns), this.#options.readIdleTimeoutMs ?? 30_000);
    health.unref();
    session.unref();
    return conn;
  }

  /** Pings the connection (destroying it when unanswered), and closes an extra one idle too long. */
  #check(conn: Conn, conns: Conn[]): void {
    const { session } = conn;
    if (session.closed || session.destroyed) return;
    if (conn.active === 0 && conns.length > 1 && conns[0] !== conn && Date.now() - conn.idleSince > IDLE_EXTRA_MS) {
      conn.draining = true;
      session.close();
      return;
    }
    const timeoutMs = this.#options.pingTimeoutMs ?? 15_000;
    const timer = setTimeout(() => {
      conn.draining = true;
      session.destroy(new Error(`the connection to the API server is dead: no answer to a PING in ${timeoutMs / 1000} s`));
    }, timeoutMs);
    timer.unref();
    session.ping((err) => {
      clearTimeout(timer);
      if (err && !session.destroyed) {
        conn.draining = true;
        session.destroy(err);
      }
    });
  }

  #started(conn: Conn): void {
    if (conn.active++ === 0) conn.session.ref();
  }

  #ended(conn: Conn): void {
    if (--conn.active === 0) {
      conn.idleSince = Date.now();
      if (!conn.session.destroyed) conn.session.unref();
    }
  }
}

/**
 * The response body as a stream of its own, fed as the data comes: an Http2Stream counts as closed as
 * soon as the server has ended it, and one read only after that (a small response, read a tick later)
 * fails with "premature close" though its data is all there. No backpressure: the runtime reads every
 * body as it comes (a list to its end, a watch event by event).
 */
function bodyOf(stream: ClientHttp2Stream): Readable {
  const body = new Readable({ read() {} });
  let ended = false;
  stream.on('data', (chunk: Buffer) => body.push(chunk));
  stream.once('end', () => {
    ended = true;
    body.push(null);
  });
  stream.once('error', (err) => body.destroy(err));
  stream.once('close', () => {
    if (!ended && !body.destroyed) body.destroy(new Error(`the API server's response ended before its body did (stream reset, code ${stream.rstCode})`));
  });
  return body;
}

/** An AbortError, as Node's own requests fail when their signal aborts. */
function abortError(signal: AbortSignal): Error {
  const err = new Error('The operation was aborted', { cause: signal.reason });
  err.name = 'AbortError';
  return err;
}

function maxStreams(session: ClientHttp2Session): number {
  return session.remoteSettings?.maxConcurrentStreams ?? DEFAULT_MAX_STREAMS;
}

/** Whether a request failed before the server processed it: refused by GOAWAY or stream id limits. */
function refusedUnprocessed(err: unknown): boolean {
  const e = err as { code?: string; message?: string };
  if (e.code === 'ERR_HTTP2_GOAWAY_SESSION' || e.code === 'ERR_HTTP2_INVALID_SESSION' || e.code === 'ERR_HTTP2_OUT_OF_STREAMS') return true;
  return e.code === 'ERR_HTTP2_STREAM_ERROR' && /NGHTTP2_REFUSED_STREAM/.test(e.message ?? '');
}
