// Where the API server is and how to authenticate (kubeconfig.ts), turned into one undici connection
// pool that every request reuses, and headers refreshed as rotating credentials rotate.
import { Agent, type Dispatcher } from 'undici';
import { authHeaders as kubeconfigAuthHeaders, loadKubeconfig, tlsOptions, type Kubeconfig, type KubeconfigOptions } from './kubeconfig.ts';

export interface Connection {
  readonly server: URL;
  readonly dispatcher: Dispatcher;
  /** Headers that authenticate a request (refreshed for rotating tokens). */
  authHeaders(): Promise<Record<string, string>>;
  close(): Promise<void>;
}

export interface ConnectionOptions extends KubeconfigOptions {
  /** Concurrent connections to the API server (HTTP/1.1 pool size). */
  connections?: number;
}

/** How long an Authorization header is reused before asking the authenticator again (token files rotate). */
const AUTH_REFRESH_MS = 30_000;

export async function connect(options: ConnectionOptions = {}): Promise<Connection> {
  return connectWith(loadKubeconfig(options), options.connections);
}

export async function connectWith(kc: Kubeconfig, connections = 32): Promise<Connection> {
  if (kc.cluster.proxyUrl) throw new Error('kubeconfig proxy-url is not supported');
  const dispatcher = new Agent({ connections, keepAliveTimeout: 30_000, connect: tlsOptions(kc) });

  let cached: { headers: Record<string, string>; at: number } | undefined;
  const authHeaders = async (): Promise<Record<string, string>> => {
    if (cached && Date.now() - cached.at < AUTH_REFRESH_MS) return cached.headers;
    cached = { headers: await kubeconfigAuthHeaders(kc), at: Date.now() };
    return cached.headers;
  };

  return {
    server: new URL(kc.cluster.server),
    dispatcher,
    authHeaders,
    close: () => dispatcher.close(),
  };
}
