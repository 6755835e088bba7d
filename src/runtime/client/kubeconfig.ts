// Kubeconfig loading and authentication, from @kubernetes/client-node's own modules but not its
// KubeConfig class: that class imports every generated API model and client (~55 MiB of RSS for an
// operator that uses none of them). The parsing (config_types) and the authenticators (exec plugins,
// token files, azure and gcp providers; OIDC, which drags the models in, only when a kubeconfig uses
// it) are client-node's, so every auth method keeps working as kubectl's users expect. The file
// lookup follows client-go: --kubeconfig, else $KUBECONFIG (merged, first wins), else ~/.kube/config,
// else the in-cluster service account.
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, dirname, isAbsolute, join } from 'node:path';
import { isIPv6 } from 'node:net';
import yaml from 'js-yaml';
import { newClusters, newContexts, newUsers, type Cluster, type Context, type User } from '@kubernetes/client-node/dist/config_types.js';
import type { Authenticator } from '@kubernetes/client-node/dist/auth.js';
import { ExecAuth } from '@kubernetes/client-node/dist/exec_auth.js';
import { FileAuth } from '@kubernetes/client-node/dist/file_auth.js';
import { AzureAuth } from '@kubernetes/client-node/dist/azure_auth.js';
import { GoogleCloudPlatformAuth } from '@kubernetes/client-node/dist/gcp_auth.js';

export type { Cluster, User };

/** The current context of a kubeconfig, resolved. Invariant: `cluster` and `user` are the context's. */
export interface Kubeconfig {
  readonly context: string;
  readonly cluster: Cluster;
  readonly user: User;
  readonly namespace?: string;
}

export interface KubeconfigOptions {
  /** A kubeconfig file; default: $KUBECONFIG, ~/.kube/config, or the in-cluster service account. */
  kubeconfig?: string;
  /** A context other than the file's current-context. */
  context?: string;
}

const SERVICE_ACCOUNT = '/var/run/secrets/kubernetes.io/serviceaccount';

interface Entries {
  clusters: Cluster[];
  users: User[];
  contexts: Context[];
  currentContext?: string;
}

/** Reads one kubeconfig file; relative certificate paths are relative to the file, as in kubectl. */
export function parseKubeconfigFile(file: string): Entries {
  const doc = (yaml.load(readFileSync(file, 'utf8')) ?? {}) as Record<string, unknown>;
  const root = dirname(file);
  const absolute = (p?: string): string | undefined => (p && !isAbsolute(p) ? join(root, p) : p);
  const entries: Entries = {
    clusters: newClusters(doc.clusters).map((c) => ({ ...c, caFile: absolute(c.caFile) })),
    users: newUsers(doc.users).map((u) => ({ ...u, certFile: absolute(u.certFile), keyFile: absolute(u.keyFile) })),
    contexts: newContexts(doc.contexts),
  };
  if (typeof doc['current-context'] === 'string') entries.currentContext = doc['current-context'];
  return entries;
}

/** Merges kubeconfig files as client-go does for $KUBECONFIG: the first file that names an entry wins. */
export function mergeKubeconfigs(files: Entries[]): Entries {
  const merged: Entries = { clusters: [], users: [], contexts: [] };
  for (const file of files) {
    merged.currentContext ??= file.currentContext;
    for (const key of ['clusters', 'users', 'contexts'] as const) {
      for (const entry of file[key]) {
        if (!(merged[key] as { name: string }[]).some((e) => e.name === entry.name)) (merged[key] as { name: string }[]).push(entry);
      }
    }
  }
  return merged;
}

/** The in-cluster service account, as a kubeconfig (the token file is re-read as it rotates). */
function inCluster(prefix = ''): Entries {
  const host = process.env.KUBERNETES_SERVICE_HOST ?? '';
  const port = process.env.KUBERNETES_SERVICE_PORT ?? '443';
  const namespaceFile = `${prefix}${SERVICE_ACCOUNT}/namespace`;
  return {
    clusters: [{ name: 'in-cluster', server: `https://${isIPv6(host) ? `[${host}]` : host}:${port}`, caFile: `${prefix}${SERVICE_ACCOUNT}/ca.crt`, skipTLSVerify: false }],
    users: [{ name: 'in-cluster', authProvider: { name: 'tokenFile', config: { tokenFile: `${prefix}${SERVICE_ACCOUNT}/token` } } }],
    contexts: [{ name: 'in-cluster', cluster: 'in-cluster', user: 'in-cluster', ...(existsSync(namespaceFile) ? { namespace: readFileSync(namespaceFile, 'utf8').trim() } : {}) }],
    currentContext: 'in-cluster',
  };
}

/** Resolves `context` (default: the current one) of `entries`, or says what is missing. */
export function resolveContext(entries: Entries, context = entries.currentContext): Kubeconfig {
  if (!context) throw new Error('kubeconfig has no current-context (and none was given)');
  const ctx = entries.contexts.find((c) => c.name === context);
  if (!ctx) throw new Error(`kubeconfig has no context "${context}"`);
  const cluster = entries.clusters.find((c) => c.name === ctx.cluster);
  if (!cluster) throw new Error(`kubeconfig context "${context}" names cluster "${ctx.cluster}", which it does not define`);
  const user = entries.users.find((u) => u.name === ctx.user) ?? { name: ctx.user };
  return { context, cluster, user, ...(ctx.namespace ? { namespace: ctx.namespace } : {}) };
}

/** The kubeconfig the operator uses, found as kubectl finds it. */
export function loadKubeconfig(options: KubeconfigOptions = {}): Kubeconfig {
  let entries: Entries;
  if (options.kubeconfig) entries = parseKubeconfigFile(options.kubeconfig);
  else if (process.env.KUBECONFIG) entries = mergeKubeconfigs(process.env.KUBECONFIG.split(delimiter).filter(Boolean).map(parseKubeconfigFile));
  else if (existsSync(join(homedir(), '.kube', 'config'))) entries = parseKubeconfigFile(join(homedir(), '.kube', 'config'));
  else if (existsSync(`${SERVICE_ACCOUNT}/token`)) entries = inCluster();
  else throw new Error('no kubeconfig: pass --kubeconfig, set KUBECONFIG, create ~/.kube/config, or run in a pod');
  return resolveContext(entries, options.context ?? entries.currentContext);
}

/** Bytes of a file or of base64 data, as kubeconfig fields come in pairs (certificate-authority[-data]). */
function fileOrData(file?: string, data?: string): Buffer | undefined {
  if (file) return readFileSync(file);
  if (data) return Buffer.from(data, 'base64');
  return undefined;
}

/** TLS settings of the connection: the cluster's CA and server name, the user's client certificate. */
export function tlsOptions(kc: Kubeconfig): { ca?: Buffer; cert?: Buffer; key?: Buffer; rejectUnauthorized?: false; servername?: string } {
  const ca = fileOrData(kc.cluster.caFile, kc.cluster.caData);
  const cert = fileOrData(kc.user.certFile, kc.user.certData);
  const key = fileOrData(kc.user.keyFile, kc.user.keyData);
  return {
    ...(ca ? { ca } : {}),
    ...(cert ? { cert } : {}),
    ...(key ? { key } : {}),
    ...(kc.cluster.skipTLSVerify ? { rejectUnauthorized: false as const } : {}),
    ...(kc.cluster.tlsServerName ? { servername: kc.cluster.tlsServerName } : {}),
  };
}

const AUTHENTICATORS: Authenticator[] = [new AzureAuth(), new GoogleCloudPlatformAuth(), new ExecAuth(), new FileAuth()];

async function authenticatorFor(user: User): Promise<Authenticator | undefined> {
  if ((user.authProvider as { name?: string } | undefined)?.name === 'oidc') {
    const { OpenIDConnectAuth } = await import('@kubernetes/client-node/dist/oidc_auth.js');
    return new OpenIDConnectAuth();
  }
  return AUTHENTICATORS.find((a) => a.isAuthProvider(user));
}

/**
 * Headers that authenticate a request as the kubeconfig's user (lower-case names): a static token,
 * basic auth, or what the user's auth provider or exec plugin produces (they cache and refresh their
 * own credentials), plus impersonation.
 */
export async function authHeaders(kc: Kubeconfig): Promise<Record<string, string>> {
  const opts: { headers: Record<string, unknown> } = { headers: {} };
  const authenticator = await authenticatorFor(kc.user);
  if (authenticator) await authenticator.applyAuthentication(kc.user, opts);
  if (kc.user.token) opts.headers.Authorization = `Bearer ${kc.user.token}`;
  else if (kc.user.username) opts.headers.Authorization = `Basic ${Buffer.from(`${kc.user.username}:${kc.user.password ?? ''}`).toString('base64')}`;
  if (kc.user.impersonateUser) opts.headers['Impersonate-User'] = kc.user.impersonateUser;
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(opts.headers)) headers[k.toLowerCase()] = String(v);
  return headers;
}
