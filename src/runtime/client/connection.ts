// Where the API server is and how to authenticate, taken from a kubeconfig (or the in-cluster service
// account) through @kubernetes/client-node, which knows every auth provider (certs, tokens, exec
// plugins, OIDC). We build one undici connection pool from it and reuse it for every request.
import { KubeConfig } from '@kubernetes/client-node';
import { Agent, type Dispatcher } from 'undici';

export interface Connection {
  readonly server: URL;
  readonly dispatcher: Dispatcher;
  /** Headers that authenticate a request (refreshed for rotating tokens). */
  authHeaders(): Promise<Record<string, string>>;
  close(): Promise<void>;
}

export interface ConnectionOptions {
  /** Path of a kubeconfig file; default: $KUBECONFIG, ~/.kube/config, or the in-cluster account. */
  kubeconfig?: string;
  context?: string;
  /** Concurrent connections to the API server (HTTP/1.1 pool size). */
  connections?: number;
}

/** How long an Authorization header is reused before asking client-node again (token files rotate). */
const AUTH_REFRESH_MS = 30_000;

export function loadKubeConfig(options: ConnectionOptions = {}): KubeConfig {
  const kc = new KubeConfig();
  if (options.kubeconfig) kc.loadFromFile(options.kubeconfig);
  else kc.loadFromDefault();
  if (options.context) kc.setCurrentContext(options.context);
  if (!kc.getCurrentCluster()) throw new Error('kubeconfig has no current cluster');
  return kc;
}

export async function connect(options: ConnectionOptions = {}): Promise<Connection> {
  return connectWith(loadKubeConfig(options), options.connections);
}

export async function connectWith(kc: KubeConfig, connections = 32): Promise<Connection> {
  const cluster = kc.getCurrentCluster();
  if (!cluster) throw new Error('kubeconfig has no current cluster');
  if (cluster.proxyUrl) throw new Error('kubeconfig proxy-url is not supported');
  const tls: Record<string, unknown> = {};
  await kc.applyToHTTPSOptions(tls);
  const dispatcher = new Agent({
    connections,
    keepAliveTimeout: 30_000,
    connect: {
      ca: tls.ca as Buffer | undefined,
      cert: tls.cert as Buffer | undefined,
      key: tls.key as Buffer | undefined,
      ...(tls.rejectUnauthorized === false ? { rejectUnauthorized: false } : {}),
      ...(tls.servername ? { servername: tls.servername as string } : {}),
    },
  });

  let cached: { headers: Record<string, string>; at: number } | undefined;
  const authHeaders = async (): Promise<Record<string, string>> => {
    if (cached && Date.now() - cached.at < AUTH_REFRESH_MS) return cached.headers;
    const opts: { headers?: Record<string, unknown> } = {};
    await kc.applyToHTTPSOptions(opts);
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(opts.headers ?? {})) headers[k.toLowerCase()] = String(v);
    cached = { headers, at: Date.now() };
    return headers;
  };

  return {
    server: new URL(cluster.server),
    dispatcher,
    authHeaders,
    close: () => dispatcher.close(),
  };
}
