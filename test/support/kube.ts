// Talking to the shared test control plane from integration tests, without the runtime's client:
// kubectl (bin/kubectl) for convenience, plain HTTPS with the kubeconfig's certificates for polling
// (cheap enough to run every 200 ms) and for requests as other identities (bearer tokens).
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { request, type RequestOptions } from 'node:https';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import yaml from 'js-yaml';

const REPO = fileURLToPath(new URL('../../', import.meta.url));
export const KUBECTL = process.env.TENTACLE_KUBECTL ?? join(REPO, 'bin', 'kubectl');

/** The shared test control plane's admin kubeconfig ($TENTACLE_KUBECONFIG). */
export function kubeconfigPath(): string {
  const path = process.env.TENTACLE_KUBECONFIG;
  if (!path) {
    throw new Error(
      'TENTACLE_KUBECONFIG is not set: start a control plane (e.g. `node hack/cluster/cli.ts up --dir /tmp/cp-test`) ' +
        'and export TENTACLE_KUBECONFIG=/tmp/cp-test/kubeconfig, or run `make test-integration`',
    );
  }
  return path;
}

/** Runs kubectl against the test control plane (or `opts.kubeconfig`); resolves with stdout. */
export function kubectl(args: string[], input?: string, opts: { kubeconfig?: string } = {}): Promise<string> {
  const kubeconfig = opts.kubeconfig ?? kubeconfigPath();
  return new Promise((resolve, reject) => {
    const child = execFile(
      KUBECTL,
      [`--kubeconfig=${kubeconfig}`, ...args],
      { maxBuffer: 64 * 1024 * 1024, timeout: 60_000 },
      (err, stdout, stderr) => {
        if (err) reject(new Error(`kubectl ${args.join(' ')}: ${stderr.trim() || err.message}`));
        else resolve(stdout);
      },
    );
    child.stdin?.end(input ?? '');
  });
}

/** kubectl with `-o json`, parsed. */
export async function kubectlJson<T = any>(args: string[]): Promise<T> {
  return JSON.parse(await kubectl([...args, '-o', 'json'])) as T;
}

/** Creates objects (a manifest object, a list of them, or YAML/JSON text) with `kubectl create -f -`. */
export async function create(manifest: unknown, namespace?: string): Promise<void> {
  const text = typeof manifest === 'string' ? manifest : JSON.stringify(manifest);
  await kubectl(['create', ...(namespace ? ['-n', namespace] : []), '-f', '-'], text);
}

export interface KubeConnection {
  server: string;
  ca: Buffer;
  cert?: Buffer;
  key?: Buffer;
}

const connections = new Map<string, KubeConnection>();

/** Server and credentials of a kubeconfig's current context (embedded data or file paths). */
export function connection(kubeconfig = kubeconfigPath()): KubeConnection {
  const cached = connections.get(kubeconfig);
  if (cached) return cached;
  const cfg = yaml.load(readFileSync(kubeconfig, 'utf8')) as any;
  const ctx = cfg.contexts.find((c: any) => c.name === cfg['current-context'])?.context ?? cfg.contexts[0].context;
  const cluster = cfg.clusters.find((c: any) => c.name === ctx.cluster).cluster;
  const user = cfg.users.find((u: any) => u.name === ctx.user)?.user ?? {};
  const data = (inline: string | undefined, file: string | undefined) =>
    inline ? Buffer.from(inline, 'base64') : file ? readFileSync(file) : undefined;
  const conn: KubeConnection = {
    server: cluster.server,
    ca: data(cluster['certificate-authority-data'], cluster['certificate-authority'])!,
    cert: data(user['client-certificate-data'], user['client-certificate']),
    key: data(user['client-key-data'], user['client-key']),
  };
  connections.set(kubeconfig, conn);
  return conn;
}

export interface KubeResponse<T = any> {
  status: number;
  body: T;
  text: string;
}

/**
 * A raw API request. By default as the kubeconfig's user (admin); with `token`, as that bearer token
 * and no client certificate.
 */
export function kubeRequest<T = any>(
  method: string,
  path: string,
  opts: { body?: unknown; token?: string; kubeconfig?: string; contentType?: string; timeoutMs?: number } = {},
): Promise<KubeResponse<T>> {
  const conn = connection(opts.kubeconfig);
  const payload = opts.body === undefined ? undefined : JSON.stringify(opts.body);
  const headers: Record<string, string> = { accept: 'application/json' };
  if (payload !== undefined) {
    headers['content-type'] = opts.contentType ?? 'application/json';
    headers['content-length'] = String(Buffer.byteLength(payload));
  }
  const tls: RequestOptions = { ca: conn.ca };
  if (opts.token) headers.authorization = `Bearer ${opts.token}`;
  else Object.assign(tls, { cert: conn.cert, key: conn.key });
  return new Promise((resolve, reject) => {
    const req = request(
      new URL(path, conn.server),
      { method, headers, ...tls, agent: false, timeout: opts.timeoutMs ?? 15_000 },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', reject);
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let body: any = text;
          try {
            body = JSON.parse(text);
          } catch {
            // not JSON (e.g. a watch stream); the text is there
          }
          resolve({ status: res.statusCode ?? 0, body, text });
        });
      },
    );
    req.on('timeout', () => req.destroy(new Error(`timeout: ${method} ${path}`)));
    req.on('error', reject);
    req.end(payload);
  });
}

/** GET an object as admin; undefined when it does not exist. */
export async function getObject<T = any>(path: string): Promise<T | undefined> {
  const res = await kubeRequest<T>('GET', path);
  if (res.status === 404) return undefined;
  if (res.status !== 200) throw new Error(`GET ${path}: ${res.status} ${res.text}`);
  return res.body;
}

/** Creates a namespace with a unique name starting with `prefix`. */
export async function createNamespace(prefix = 'test'): Promise<string> {
  const name = `${prefix}-${randomBytes(3).toString('hex')}`;
  await kubectl(['create', 'namespace', name]);
  return name;
}

/** Deletes a namespace without waiting for its finalization. */
export async function deleteNamespace(name: string): Promise<void> {
  await kubectl(['delete', 'namespace', name, '--wait=false', '--ignore-not-found']);
}
