// Where the API server is and how to authenticate (kubeconfig.ts), turned into one transport that every
// request reuses (HTTP/2 where the server offers it, as client-go; HTTP/1.1 otherwise or on request),
// and headers refreshed as rotating credentials rotate. Node's own http2/https rather than undici: undici
// compiles its WebAssembly HTTP parser at import, ~28 MiB of RSS that an operator idling between watch
// events does not need. node:http(s) come through getBuiltinModule (node-builtins.ts), as an ESM import
// of them would load undici all the same.
import { autoTransport } from './http2-transport.ts';
import { authHeaders as kubeconfigAuthHeaders, loadKubeconfig, tlsOptions, type Kubeconfig, type KubeconfigOptions } from './kubeconfig.ts';
import { http1Transport, type Lane, type Transport } from './transport.ts';

export interface Connection {
  readonly server: URL;
  /** Requests, watches and Lease renewals, each in a lane of its own (transport.ts). */
  readonly transport: Transport;
  /** Headers that authenticate a request (refreshed for rotating tokens). */
  authHeaders(): Promise<Record<string, string>>;
  close(): Promise<void>;
}

export interface TransportOptions {
  /**
   * HTTP/2 when the API server offers it (default). False, or the environment variable DISABLE_HTTP2
   * set (as client-go reads it): HTTP/1.1 only.
   */
  http2?: boolean | undefined;
  /** HTTP/1.1: keep-alive sockets for requests (watches and Lease renewals have their own). Default 32. */
  connections?: number | undefined;
  /** HTTP/2: ping each connection this often (client-go's ReadIdleTimeout). Default 30 s. */
  readIdleTimeoutMs?: number | undefined;
  /** HTTP/2: a connection whose ping is unanswered this long is replaced (client-go's PingTimeout). Default 15 s. */
  pingTimeoutMs?: number | undefined;
  /** HTTP/2: called with a lane's number of connections whenever one opens or closes (metrics, tests). */
  onConnections?: ((lane: Lane, open: number) => void) | undefined;
}

export interface ConnectionOptions extends KubeconfigOptions, TransportOptions {}

/** How long an Authorization header is reused before asking the authenticator again (token files rotate). */
const AUTH_REFRESH_MS = 30_000;

/** Whether HTTP/2 is wanted: the option, else not when DISABLE_HTTP2 is set (client-go's switch). */
export function http2Wanted(option: boolean | undefined, env: NodeJS.ProcessEnv = process.env): boolean {
  return option ?? !env.DISABLE_HTTP2;
}

export async function connect(options: ConnectionOptions = {}): Promise<Connection> {
  return connectWith(loadKubeconfig(options), options);
}

export async function connectWith(kc: Kubeconfig, options: TransportOptions = {}): Promise<Connection> {
  if (kc.cluster.proxyUrl) throw new Error('kubeconfig proxy-url is not supported');
  const server = new URL(kc.cluster.server);
  const tls = tlsOptions(kc);
  const transport = http2Wanted(options.http2)
    ? autoTransport(server, {
        tls,
        connections: options.connections,
        readIdleTimeoutMs: options.readIdleTimeoutMs,
        pingTimeoutMs: options.pingTimeoutMs,
        onConnections: options.onConnections,
      })
    : http1Transport(server, { tls, connections: options.connections });

  let cached: { headers: Record<string, string>; at: number } | undefined;
  const authHeaders = async (): Promise<Record<string, string>> => {
    if (cached && Date.now() - cached.at < AUTH_REFRESH_MS) return cached.headers;
    cached = { headers: await kubeconfigAuthHeaders(kc), at: Date.now() };
    return cached.headers;
  };

  return {
    server,
    transport,
    authHeaders,
    close: () => transport.close(),
  };
}
