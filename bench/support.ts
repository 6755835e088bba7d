// Shared pieces of the side-by-side benchmarks: a private control plane with audit logging (so API
// writes can be attributed to the built-in controller or to ours), our operator under its own
// ServiceAccount, and process CPU / peak memory from /proc.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { startControlPlane, type ControlPlane } from '../src/testing/index.ts';
import type { Client } from '../src/runtime/client/client.ts';
import type { Kind, KubeObject } from '../src/runtime/types.ts';
import type { PersistentVolumeClaim } from '../src/api/core/types.ts';
import { testClient } from '../test/support/runtime.ts';
import { metricSum, scrape } from '../test/support/metrics-text.ts';

export const OPERATOR_USER = 'system:serviceaccount:tentacle-bench:operator';

export interface Bench {
  cp: ControlPlane;
  client: Client;
  auditLog: string;
  dir: string;
}

/** A control plane whose API server logs every write (user, verb, resource) to an audit log. */
/**
 * A control plane whose API server audits every write (Metadata level). `prepare` runs on its directory
 * before the start and returns extra API-server flags (a real node's certificates and flags).
 */
export async function benchControlPlane(
  controllerManagerArgs: string[],
  options: { nodes?: number; prepare?: (dir: string) => Promise<string[]> } = {},
): Promise<Bench> {
  const dir = mkdtempSync(join(tmpdir(), 'tentacle-bench-'));
  const policy = join(dir, 'audit-policy.yaml');
  const auditLog = join(dir, 'audit.log');
  writeFileSync(
    policy,
    [
      'apiVersion: audit.k8s.io/v1',
      'kind: Policy',
      'omitStages: [RequestReceived]',
      'rules:',
      '- level: Metadata',
      '  verbs: [create, update, patch, delete]',
      '- level: None',
    ].join('\n'),
  );
  const extra = options.prepare ? await options.prepare(dir) : [];
  const cp = await startControlPlane({
    dir,
    controllerManagerArgs,
    ...(options.nodes !== undefined ? { nodes: options.nodes } : {}),
    apiserverArgs: [`--audit-policy-file=${policy}`, `--audit-log-path=${auditLog}`, '--audit-log-maxsize=0', ...extra],
    log: (line) => process.stderr.write(`${line}\n`),
  });
  const client = await testClient({ kubeconfig: cp.kubeconfigPath, qps: 1000, burst: 2000 });
  return { cp, client, auditLog, dir };
}

/** Stops the control plane and removes its folder (etcd data and the audit log: hundreds of MiB). */
export async function stopBench(bench: Bench): Promise<void> {
  await bench.cp.stop();
  rmSync(bench.dir, { recursive: true, force: true });
}

/** The audit-log user of a ServiceAccount made by operatorKubeconfig. */
export const serviceAccountUser = (account: string) => `system:serviceaccount:tentacle-bench:${account}`;

/**
 * A kubeconfig for a cluster-admin ServiceAccount (`operator` unless named), so each controller's
 * requests are told apart in the audit log.
 */
export async function operatorKubeconfig(bench: Bench, account = 'operator'): Promise<string> {
  const kubectl = (args: string[], input?: string) =>
    execFileSync('bin/kubectl', ['--kubeconfig', bench.cp.kubeconfigPath, ...args], { input, encoding: 'utf8' });
  // Idempotent: a second account goes into the same namespace.
  kubectl(['apply', '-f', '-'], kubectl(['create', 'namespace', 'tentacle-bench', '--dry-run=client', '-o', 'yaml']));
  kubectl(['-n', 'tentacle-bench', 'create', 'serviceaccount', account]);
  kubectl(['create', 'clusterrolebinding', `tentacle-bench-${account}`, '--clusterrole=cluster-admin', `--serviceaccount=tentacle-bench:${account}`]);
  const token = kubectl(['-n', 'tentacle-bench', 'create', 'token', account, '--duration=2h']).trim();
  const admin = readFileSync(bench.cp.kubeconfigPath, 'utf8');
  const ca = /certificate-authority(-data)?: (.+)/.exec(admin)!;
  const path = join(bench.dir, `${account}.kubeconfig`);
  writeFileSync(
    path,
    [
      'apiVersion: v1',
      'kind: Config',
      'clusters:',
      `- name: bench\n  cluster:\n    server: ${bench.cp.server}\n    certificate-authority${ca[1] ?? ''}: ${ca[2]}`,
      'users:',
      `- name: ${account}\n  user:\n    token: ${token}`,
      'contexts:',
      `- name: bench\n  context:\n    cluster: bench\n    user: ${account}`,
      'current-context: bench',
    ].join('\n'),
  );
  return path;
}

/** Writes per user (and per resource) in the audit log since byte `from`. */
export function auditWrites(auditLog: string, from = 0): { byUser: Map<string, number>; byUserResource: Map<string, number>; size: number } {
  const text = readFileSync(auditLog, 'utf8');
  const byUser = new Map<string, number>();
  const byUserResource = new Map<string, number>();
  for (const line of text.slice(from).split('\n')) {
    if (!line) continue;
    const e = JSON.parse(line) as { user: { username: string }; objectRef?: { resource?: string; subresource?: string } };
    const user = e.user.username;
    const resource = `${e.objectRef?.resource ?? '?'}${e.objectRef?.subresource ? `/${e.objectRef.subresource}` : ''}`;
    byUser.set(user, (byUser.get(user) ?? 0) + 1);
    byUserResource.set(`${user} ${resource}`, (byUserResource.get(`${user} ${resource}`) ?? 0) + 1);
  }
  return { byUser, byUserResource, size: text.length };
}

/** CPU seconds (user+system) and peak RSS (bytes) of a process, from /proc. */
export function processUsage(pid: number): { cpuSeconds: number; peakRssBytes: number } {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]);
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const hwm = Number(/VmHWM:\s+(\d+) kB/.exec(status)?.[1] ?? 0) * 1024;
  return { cpuSeconds: ticks / 100, peakRssBytes: hwm };
}

export function ratio(ours: number, theirs: number): string {
  return theirs === 0 ? 'n/a' : (ours / theirs).toFixed(2);
}

export interface AuditEvent {
  user: string;
  verb: string;
  /** resource, or resource/subresource */
  resource: string;
  namespace: string;
  name: string;
  code: number;
  /** requestReceivedTimestamp, epoch milliseconds (the log has microseconds; Date keeps milliseconds). */
  receivedMs: number;
}

/** The writes in the audit log since byte `from`, with who, what and when. */
export function auditEvents(auditLog: string, from = 0): AuditEvent[] {
  const text = readFileSync(auditLog, 'utf8');
  const out: AuditEvent[] = [];
  for (const line of text.slice(from).split('\n')) {
    if (!line) continue;
    const e = JSON.parse(line) as {
      user: { username: string };
      verb: string;
      objectRef?: { resource?: string; subresource?: string; namespace?: string; name?: string };
      responseStatus?: { code?: number };
      requestReceivedTimestamp: string;
    };
    const ref = e.objectRef ?? {};
    out.push({
      user: e.user.username,
      verb: e.verb,
      resource: `${ref.resource ?? '?'}${ref.subresource ? `/${ref.subresource}` : ''}`,
      namespace: ref.namespace ?? '',
      name: ref.name ?? '',
      code: e.responseStatus?.code ?? 0,
      receivedMs: Date.parse(e.requestReceivedTimestamp),
    });
  }
  return out;
}

/** The q-quantile (0..1) of `values`, nearest rank. */
export function quantile(values: number[], q: number): number {
  if (!values.length) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}

/**
 * How a benchmark runs the operator: from the sources, or as the image runs it (`dist/main.js`, built
 * here first), with Node/V8 flags from a --node-options string. `label` describes it for the output.
 */
export function operatorEntry(dist: boolean, nodeOptionsFlag: string): { entry: 'src/main.ts' | 'dist/main.js'; nodeOptions: string[]; label: string } {
  if (dist) execFileSync('npx', ['tsc', '-p', 'tsconfig.build.json'], { stdio: 'inherit' });
  const entry = dist ? 'dist/main.js' : 'src/main.ts';
  const nodeOptions = nodeOptionsFlag.split(' ').filter(Boolean);
  return { entry, nodeOptions, label: `node ${[...nodeOptions, entry].join(' ')}` };
}

/** Current resident memory of a process, bytes (VmRSS). */
export function rssBytes(pid: number): number {
  return Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) * 1024;
}

export const MiB = (bytes: number): string => (bytes / 2 ** 20).toFixed(1);

/** The operator's V8 heap in use, bytes, from its nodejs_heap_size_used_bytes metric. */
export async function heapUsedBytes(metricsPort: number): Promise<number> {
  return metricSum(await scrape(metricsPort), 'nodejs_heap_size_used_bytes') ?? 0;
}

/** Runs `fn(i)` for i in from..to-1 with at most `limit` in flight. */
export async function pool(from: number, to: number, limit: number, fn: (i: number) => Promise<unknown>): Promise<void> {
  let next = from;
  await Promise.all(Array.from({ length: Math.max(0, Math.min(limit, to - from)) }, async () => {
    while (next < to) await fn(next++);
  }));
}

/**
 * Records in `into` when each object of `kind` in `namespace` is first seen satisfying `reached` (by name),
 * watching from the namespace's current state and reconnecting from the last version seen, until
 * `signal` aborts. `watching` resolves once the first watch is open; `done` when the watch has ended.
 */
export function watchFirstTimes<T extends KubeObject>(
  client: Client,
  kind: Kind<T>,
  namespace: string,
  reached: (object: T) => boolean,
  into: Map<string, number>,
  signal: AbortSignal,
): { watching: Promise<void>; done: Promise<void> } {
  let opened = () => {};
  const watching = new Promise<void>((resolve) => (opened = resolve));
  const done = (async () => {
    let resourceVersion = (await client.list<T>(kind, { namespace })).metadata.resourceVersion;
    while (!signal.aborted) {
      try {
        const events = client.watch(kind, { namespace, ...(resourceVersion ? { resourceVersion } : {}), allowWatchBookmarks: true }, signal);
        opened();
        for await (const ev of events) {
          resourceVersion = ev.object?.metadata?.resourceVersion ?? resourceVersion;
          const o = ev.object as T;
          if ((ev.type === 'ADDED' || ev.type === 'MODIFIED') && reached(o) && !into.has(o.metadata.name!)) into.set(o.metadata.name!, performance.now());
        }
      } catch (err) {
        if (!signal.aborted) process.stderr.write(`watch: ${(err as Error).message}; reconnecting\n`);
      }
    }
  })();
  return { watching, done };
}

/** A ReadWriteMany claim of 1Gi of `className`, as the NFS benchmarks make them. */
export function rwxClaim(name: string, namespace: string, className: string): PersistentVolumeClaim {
  return {
    apiVersion: 'v1',
    kind: 'PersistentVolumeClaim',
    metadata: { name, namespace },
    spec: { accessModes: ['ReadWriteMany'], storageClassName: className, resources: { requests: { storage: '1Gi' } } },
  };
}
