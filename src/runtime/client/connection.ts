// Where the API server is and how to authenticate (kubeconfig.ts), turned into one keep-alive agent
// that every request reuses, and headers refreshed as rotating credentials rotate. Node's own http(s)
// agent rather than undici: undici compiles its WebAssembly HTTP parser at import, ~28 MiB of RSS that an
// operator idling between watch events does not need. node:http(s) come through getBuiltinModule
// (node-builtins.ts), as an ESM import of them would load undici all the same.
import type { Agent as HttpAgent } from 'node:http';
import { http, https } from './node-builtins.ts';
import { authHeaders as kubeconfigAuthHeaders, loadKubeconfig, tlsOptions, type Kubeconfig, type KubeconfigOptions } from './kubeconfig.ts';

export interface Connection {
  readonly server: URL;
  /** Keep-alive sockets to `server`: at most the configured number at once (requests queue for one). */
  readonly agent: HttpAgent;
  /** Headers that authenticate a request (refreshed for rotating tokens). */
  authHeaders(): Promise<Record<string, string>>;
  close(): Promise<void>;
}

export interface ConnectionOptions extends KubeconfigOptions {
  /** Concurrent connections to the API server (HTTP/1.1 sockets). */
  connections?: number;
}

/** How long an Authorization header is reused before asking the authenticator again (token files rotate). */
const AUTH_REFRESH_MS = 30_000;

export async function connect(options: ConnectionOptions = {}): Promise<Connection> {
  return connectWith(loadKubeconfig(options), options.connections);
}

export async function connectWith(kc: Kubeconfig, connections = 32): Promise<Connection> {
  if (kc.cluster.proxyUrl) throw new Error('kubeconfig proxy-url is not supported');
  const server = new URL(kc.cluster.server);
  const agent =
    server.protocol === 'https:'
      ? new https.Agent({ keepAlive: true, maxSockets: connections, ...tlsOptions(kc) })
      : new http.Agent({ keepAlive: true, maxSockets: connections });

  let cached: { headers: Record<string, string>; at: number } | undefined;
  const authHeaders = async (): Promise<Record<string, string>> => {
    if (cached && Date.now() - cached.at < AUTH_REFRESH_MS) return cached.headers;
    cached = { headers: await kubeconfigAuthHeaders(kc), at: Date.now() };
    return cached.headers;
  };

  return {
    server,
    agent,
    authHeaders,
    close: async () => agent.destroy(),
  };
}
