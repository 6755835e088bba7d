// `node bench/nfs.ts --real-node --upstream BIN`: both NFS provisioners as pods on a real node, provisioning on
// one real NFS export (NFS-Ganesha beside the node, hack/cluster/nfs-server.ts), side by side on one control
// plane. Ours: the chart's operator and an NFSProvisioner's agent Deployment. Upstream's:
// nfs-subdir-external-provisioner (BIN, built from its repository: `go build -mod=vendor
// ./cmd/nfs-subdir-external-provisioner`) in an image made here from the project's Debian base, deployed as
// its deploy/*.yaml do (client-go's default 5 qps / 10 burst, leader election on its Endpoints lock). Both delete directories
// when their claims go (onDelete delete / archiveOnDelete "false"), each in its own sub-directory of the export.
//
// Per provisioner: N claims (RWX) created `concurrency` at a time; the first `pods` of them mounted by a pod
// each (busybox writing its name into the volume) created right after its claim; then every pod and
// claim deleted. Reported: all Bound (s), claim create → Bound p50/p99, claim create → pod Running
// p50/p99, API writes per volume (provisioner and PV binder, from the audit log, the whole life), the
// provisioner process's CPU and peak RSS (its container's process, read from /proc), the files the pods
// wrote found on the server's disk, all volumes reclaimed (s), and the directories left on the server.
//
//   node bench/nfs.ts --real-node --upstream /tmp/nfs-subdir-external-provisioner [--pvcs 300] [--pods 50] [--upstream-first]
import { execFileSync, spawnSync } from 'node:child_process';
import { chownSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { PV, PVC, POD, type PersistentVolume, type PersistentVolumeClaim, type Pod } from '../src/api/core/types.ts';
import { ensurePki } from '../src/testing/control-plane/pki.ts';
import { waitFor } from '../src/testing/wait.ts';
import { ensureNodePki, hostAddress, realNodeApiserverArgs, startRealNode, stopRealNode, type NodeState } from '../hack/cluster/real-node.ts';
import { auditEvents, auditWrites, benchControlPlane, pool, rwxClaim, watchFirstTimes, processUsage, quantile, ratio, stopBench, type Bench } from './support.ts';

const { values } = parseArgs({
  options: {
    'real-node': { type: 'boolean', default: false },
    pvcs: { type: 'string', default: '300' },
    pods: { type: 'string', default: '50' },
    concurrency: { type: 'string', default: '20' },
    upstream: { type: 'string' },
    'upstream-first': { type: 'boolean', default: false },
  },
});
const pvcs = Number(values.pvcs);
const podCount = Math.min(pvcs, Number(values.pods));
const concurrency = Number(values.concurrency);
if (!values.upstream) throw new Error('--real-node needs --upstream BIN (nfs-subdir-external-provisioner built from its repository)');

const REPO = new URL('..', import.meta.url).pathname;
const CACHE = process.env.TENTACLE_CACHE ?? join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'tentacle');
const UPSTREAM_IMAGE = 'tentacle-bench/nfs-subdir-external-provisioner:dev';
const UPSTREAM_NAME = 'tentacle-bench/nfs-subdir-external-provisioner';
const BINDER = 'system:serviceaccount:kube-system:persistent-volume-binder';
const OURS = ['system:serviceaccount:tentacle-system:tentacle', 'system:serviceaccount:tentacle-system:tentacle-nfs-agent'];
const THEIRS = ['system:serviceaccount:bench-upstream:nfs-client-provisioner'];

const sh = (cmd: string, args: string[], input?: string) => execFileSync(cmd, args, { encoding: 'utf8', input, stdio: ['pipe', 'pipe', 'inherit'] });
const images = (...args: string[]) => sh(join(REPO, 'hack/images.sh'), args).trim();
const dockerStarted = spawnSync(join(REPO, 'hack/docker.sh'), ['status']).status !== 0;

interface Side {
  name: string;
  className: string;
  /** The provisioner's directory on the server's disk. */
  dir: string;
  users: string[];
  /** Host PID of the provisioning process (in its container). */
  pid: () => number;
}

interface Result {
  side: Side;
  bindMs: number[];
  podMs: number[];
  allBoundS: number;
  reclaimedS: number;
  written: number;
  provisionerWrites: number;
  binderWrites: number;
  /** Writes by resource and verb of the provisioner's users, e.g. `persistentvolumes create 300`. */
  breakdown: string;
  cpuS: number;
  peakRssMiB: number;
  left: string[];
}

function pidOf(pattern: string): number {
  const pids = spawnSync('pgrep', ['-f', '--', pattern], { encoding: 'utf8' }).stdout.split('\n').filter(Boolean).map(Number);
  if (pids.length !== 1) throw new Error(`expected one process matching ${pattern}, found ${pids.length}`);
  return pids[0]!;
}

async function run(bench: Bench, side: Side): Promise<Result> {
  const { client } = bench;
  const ns = `claims-${side.name}`;
  await client.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
  const pid = side.pid();
  writeFileSync(`/proc/${pid}/clear_refs`, '5'); // reset the peak-RSS mark
  const before = processUsage(pid);
  const auditFrom = auditWrites(bench.auditLog).size;
  const sentAt = new Map<string, number>();
  const boundAt = new Map<string, number>();
  const runningAt = new Map<string, number>();
  const stop = new AbortController();
  const watchers = [
    watchFirstTimes<PersistentVolumeClaim>(client, PVC, ns, (c) => c.status?.phase === 'Bound', boundAt, stop.signal),
    watchFirstTimes<Pod>(client, POD, ns, (p) => p.status?.phase === 'Running', runningAt, stop.signal),
  ];
  await Promise.all(watchers.map((w) => w.watching));
  const started = performance.now();
  await pool(0, pvcs, concurrency, async (i) => {
    const name = `c-${i}`;
    sentAt.set(name, performance.now());
    await client.create<PersistentVolumeClaim>(rwxClaim(name, ns, side.className));
    if (i < podCount) {
      await client.create<Pod>({
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name, namespace: ns },
        spec: {
          terminationGracePeriodSeconds: 0,
          containers: [{ name: 'w', image: 'busybox:1.36', command: ['sh', '-c', 'hostname > /data/written && exec sleep 3600'], volumeMounts: [{ name: 'd', mountPath: '/data' }] }],
          volumes: [{ name: 'd', persistentVolumeClaim: { claimName: name } }],
        },
      });
    }
  });
  let last = -1;
  await waitFor(() => {
    if (boundAt.size + runningAt.size !== last) {
      last = boundAt.size + runningAt.size;
      process.stderr.write(`  ${side.name}: ${boundAt.size}/${pvcs} Bound, ${runningAt.size}/${podCount} pods Running (${((performance.now() - started) / 1000).toFixed(0)} s)\n`);
    }
    return boundAt.size === pvcs && runningAt.size === podCount;
  }, { what: `${side.name}: every claim Bound and every pod Running`, timeoutMs: 1_800_000, intervalMs: 1000 });
  const allBoundS = (Math.max(...boundAt.values()) - started) / 1000;
  const after = processUsage(pid);
  stop.abort();
  await Promise.all(watchers.map((w) => w.done));

  // What the pods wrote, on the server's disk.
  const claims = (await client.list<PersistentVolumeClaim>(PVC, { namespace: ns })).items;
  const volumes = new Map((await client.list<PersistentVolume>(PV)).items.map((v) => [v.metadata.name!, v]));
  let written = 0;
  for (const c of claims.filter((c) => Number(c.metadata.name!.slice(2)) < podCount)) {
    const path = volumes.get(c.spec.volumeName!)?.spec.nfs?.path ?? '';
    const file = join(side.dir, path.split('/').pop()!, 'written');
    if (existsSync(file) && readFileSync(file, 'utf8').trim() === c.metadata.name) written++;
  }

  // Everything deleted: pods, then claims; the volumes reclaimed by the provisioner.
  const deleting = performance.now();
  await pool(0, podCount, concurrency, (i) => client.delete(POD, ns, `c-${i}`));
  await waitFor(async () => (await client.list(POD, { namespace: ns })).items.length === 0, { what: 'pods gone', timeoutMs: 600_000, intervalMs: 1000 });
  await pool(0, pvcs, concurrency, (i) => client.delete(PVC, ns, `c-${i}`));
  await waitFor(async () => (await client.list<PersistentVolume>(PV)).items.filter((v) => v.spec.storageClassName === side.className).length === 0, {
    what: `${side.name}: every volume reclaimed`,
    timeoutMs: 1_800_000,
    intervalMs: 1000,
  });
  const reclaimedS = (performance.now() - deleting) / 1000;
  const audit = auditWrites(bench.auditLog, auditFrom);
  const writesBy = (users: string[]) => users.reduce((n, u) => n + (audit.byUser.get(u) ?? 0), 0);
  const kinds = new Map<string, number>();
  for (const e of auditEvents(bench.auditLog, auditFrom)) {
    if (!side.users.includes(e.user)) continue;
    const key = `${e.resource} ${e.verb}`;
    kinds.set(key, (kinds.get(key) ?? 0) + 1);
  }
  return {
    side,
    bindMs: [...boundAt].map(([n, t]) => t - sentAt.get(n)!),
    podMs: [...runningAt].map(([n, t]) => t - sentAt.get(n)!),
    allBoundS,
    reclaimedS,
    written,
    provisionerWrites: writesBy(side.users) / pvcs,
    binderWrites: writesBy([BINDER]) / pvcs,
    breakdown: [...kinds].sort((a, b) => b[1] - a[1]).map(([k, n]) => `${k} ${n}`).join(', '),
    cpuS: after.cpuSeconds - before.cpuSeconds,
    peakRssMiB: after.peakRssBytes / 2 ** 20,
    left: readdirSync(side.dir),
  };
}

/** nfs-subdir-external-provisioner as its deploy/rbac.yaml, class.yaml and deployment.yaml make it. */
function upstreamManifests(server: string, path: string, className: string): unknown[] {
  const ns = 'bench-upstream';
  const sa = 'nfs-client-provisioner';
  return [
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } },
    { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: sa, namespace: ns } },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRole',
      metadata: { name: 'bench-nfs-client-provisioner-runner' },
      rules: [
        { apiGroups: [''], resources: ['nodes'], verbs: ['get', 'list', 'watch'] },
        { apiGroups: [''], resources: ['persistentvolumes'], verbs: ['get', 'list', 'watch', 'create', 'delete'] },
        { apiGroups: [''], resources: ['persistentvolumeclaims'], verbs: ['get', 'list', 'watch', 'update'] },
        { apiGroups: ['storage.k8s.io'], resources: ['storageclasses'], verbs: ['get', 'list', 'watch'] },
        { apiGroups: [''], resources: ['events'], verbs: ['create', 'update', 'patch'] },
      ],
    },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRoleBinding',
      metadata: { name: 'bench-run-nfs-client-provisioner' },
      subjects: [{ kind: 'ServiceAccount', name: sa, namespace: ns }],
      roleRef: { kind: 'ClusterRole', name: 'bench-nfs-client-provisioner-runner', apiGroup: 'rbac.authorization.k8s.io' },
    },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'Role',
      metadata: { name: 'leader-locking-nfs-client-provisioner', namespace: ns },
      rules: [{ apiGroups: [''], resources: ['endpoints'], verbs: ['get', 'list', 'watch', 'create', 'update', 'patch'] }],
    },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'RoleBinding',
      metadata: { name: 'leader-locking-nfs-client-provisioner', namespace: ns },
      subjects: [{ kind: 'ServiceAccount', name: sa, namespace: ns }],
      roleRef: { kind: 'Role', name: 'leader-locking-nfs-client-provisioner', apiGroup: 'rbac.authorization.k8s.io' },
    },
    {
      apiVersion: 'storage.k8s.io/v1',
      kind: 'StorageClass',
      metadata: { name: className },
      provisioner: UPSTREAM_NAME,
      reclaimPolicy: 'Delete',
      parameters: { archiveOnDelete: 'false' },
    },
    {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: sa, namespace: ns },
      spec: {
        replicas: 1,
        strategy: { type: 'Recreate' },
        selector: { matchLabels: { app: sa } },
        template: {
          metadata: { labels: { app: sa } },
          spec: {
            serviceAccountName: sa,
            containers: [{
              name: sa,
              image: UPSTREAM_IMAGE,
              volumeMounts: [{ name: 'nfs-client-root', mountPath: '/persistentvolumes' }],
              env: [
                { name: 'PROVISIONER_NAME', value: UPSTREAM_NAME },
                { name: 'NFS_SERVER', value: server },
                { name: 'NFS_PATH', value: path },
              ],
            }],
            volumes: [{ name: 'nfs-client-root', nfs: { server, path } }],
          },
        },
      },
    },
  ];
}

let bench: Bench | undefined;
let exitCode = 0;
try {
  // The upstream image: its binary on the project's Debian base (hack/images.sh makes the base).
  sh(join(REPO, 'hack/docker.sh'), ['up']);
  images('stand-ins');
  images('operator', 'tentacle:dev');
  const ctx = mkdtempSync(join(CACHE, 'build', 'upstream-nfs-'));
  execFileSync('cp', [values.upstream, join(ctx, 'nfs-subdir-external-provisioner')]);
  writeFileSync(join(ctx, 'Dockerfile'), 'ARG BASE\nFROM ${BASE}\nCOPY nfs-subdir-external-provisioner /nfs-subdir-external-provisioner\nENTRYPOINT ["/nfs-subdir-external-provisioner"]\n');
  sh('/usr/bin/docker', ['build', '-q', '--build-arg', 'BASE=tentacle.local/debian:bookworm', '-t', UPSTREAM_IMAGE, ctx]);
  rmSync(ctx, { recursive: true, force: true });

  bench = await benchControlPlane([], {
    nodes: 0,
    prepare: async (dir) => {
      const pkiDir = join(dir, 'cluster', 'pki');
      await ensurePki(pkiDir);
      const { name, ip } = hostAddress();
      await ensureNodePki(pkiDir, name, ip);
      return realNodeApiserverArgs(pkiDir, ip);
    },
  });
  const node: NodeState = await startRealNode({
    dir: bench.dir,
    server: bench.cp.server,
    binDir: join(REPO, 'bin'),
    cacheDir: join(CACHE, 'node'),
    sandboxImage: images('pause-image'),
    fillRegistry: async (registry) => void images('push', registry, ...images('list').split('\n'), 'tentacle:dev', UPSTREAM_IMAGE),
    log: (line) => process.stderr.write(`[node] ${line}\n`),
  });
  const [server, path] = node.nfs!.server.split(':') as [string, string];
  const exportDir = node.nfs!.exportDir;
  const kubeconfig = bench.cp.kubeconfigPath;
  sh(join(REPO, 'bin/helm'), ['--kubeconfig', kubeconfig, 'install', 'tentacle', join(REPO, 'charts/tentacle'), '--namespace', 'tentacle-system', '--create-namespace',
    '--set', 'image.repository=tentacle', '--set', 'image.tag=dev', '--set', 'controllers={nfs}', '--wait', '--timeout', '5m']);
  const kubectl = (args: string[], input?: string) => sh(join(REPO, 'bin/kubectl'), ['--kubeconfig', kubeconfig, ...args], input);

  for (const d of ['tentacle', 'upstream']) {
    mkdirSync(join(exportDir, d));
    chownSync(join(exportDir, d), 65532, 65532);
  }
  kubectl(['apply', '-f', '-'], JSON.stringify({
    apiVersion: 'storage.tentacle.dev/v1alpha1',
    kind: 'NFSProvisioner',
    metadata: { name: 'bench-tentacle' },
    spec: { server, path: `${path}/tentacle`, reclaimPolicy: 'Delete', onDelete: 'delete' },
  }));
  kubectl(['apply', '-f', '-'], upstreamManifests(server, `${path}/upstream`, 'bench-upstream').map((o) => JSON.stringify(o)).join('\n'));
  kubectl(['wait', 'tnfs/bench-tentacle', '--for=condition=Ready', '--timeout=5m']);
  kubectl(['-n', 'bench-upstream', 'rollout', 'status', 'deployment/nfs-client-provisioner', '--timeout=5m']);

  const ours: Side = { name: 'tentacle', className: 'bench-tentacle', dir: join(exportDir, 'tentacle'), users: OURS, pid: () => pidOf('--nfs-provisioner=bench-tentacle') };
  const theirs: Side = { name: 'upstream', className: 'bench-upstream', dir: join(exportDir, 'upstream'), users: THEIRS, pid: () => pidOf('^/nfs-subdir-external-provisioner') };
  const results = new Map<string, Result>();
  for (const side of values['upstream-first'] ? [theirs, ours] : [ours, theirs]) results.set(side.name, await run(bench, side));
  const o = results.get('tentacle')!;
  const t = results.get('upstream')!;

  const s = (ms: number[], q: number) => quantile(ms, q) / 1000;
  const row = (name: string, r: Result) =>
    `| ${name} | ${r.allBoundS.toFixed(1)} | ${s(r.bindMs, 0.5).toFixed(1)} | ${s(r.bindMs, 0.99).toFixed(1)} | ${s(r.podMs, 0.5).toFixed(1)} | ${s(r.podMs, 0.99).toFixed(1)} | ` +
    `${r.provisionerWrites.toFixed(2)} | ${r.binderWrites.toFixed(2)} | ${r.cpuS.toFixed(1)} | ${r.peakRssMiB.toFixed(0)} | ${r.written}/${podCount} | ${r.reclaimedS.toFixed(1)} | ${r.left.length} |`;
  console.log(`\nNFS provisioners on a real node, one NFS-Ganesha export: ${pvcs} claims (RWX) created ${concurrency} at a time, the first ${podCount} mounted by a pod each; ${values['upstream-first'] ? 'upstream first' : 'ours first'}\n`);
  console.log('| provisioner | all Bound (s) | create → Bound p50 (s) | p99 (s) | create → pod Running p50 (s) | p99 (s) | writes per volume: provisioner | PV binder | CPU (s) | peak RSS (MiB) | pods\' files on the server | all reclaimed (s) | directories left |');
  console.log('|---|---|---|---|---|---|---|---|---|---|---|---|---|');
  console.log(row('tentacle (agent pod, chart defaults: 20 qps / 30 burst, node --lite-mode)', o));
  console.log(row('nfs-subdir-external-provisioner (pod, client-go 5 qps / 10 burst)', t));
  console.log(
    `| ratio ours / upstream | ${ratio(o.allBoundS, t.allBoundS)} | ${ratio(s(o.bindMs, 0.5), s(t.bindMs, 0.5))} | ${ratio(s(o.bindMs, 0.99), s(t.bindMs, 0.99))} | ` +
      `${ratio(s(o.podMs, 0.5), s(t.podMs, 0.5))} | ${ratio(s(o.podMs, 0.99), s(t.podMs, 0.99))} | ${ratio(o.provisionerWrites, t.provisionerWrites)} | ${ratio(o.binderWrites, t.binderWrites)} | ` +
      `${ratio(o.cpuS, t.cpuS)} | ${ratio(o.peakRssMiB, t.peakRssMiB)} | | ${ratio(o.reclaimedS, t.reclaimedS)} | |`,
  );
  for (const r of [o, t]) console.log(`\n${r.side.name}'s writes: ${r.breakdown}`);
  for (const r of [o, t]) if (r.left.length) console.log(`\n${r.side.name}: left on the server: ${r.left.slice(0, 10).join(', ')}${r.left.length > 10 ? ' …' : ''}`);
} catch (err) {
  console.error(err);
  exitCode = 1;
} finally {
  if (bench) {
    for (const p of await stopRealNode(bench.dir, (line) => process.stderr.write(`[node] ${line}\n`))) process.stderr.write(`[node] ${p}\n`);
    await bench.client.close();
    await stopBench(bench);
  }
  spawnSync('/usr/bin/docker', ['image', 'rm', UPSTREAM_IMAGE], { stdio: 'ignore' });
  if (dockerStarted) spawnSync(join(REPO, 'hack/docker.sh'), ['down'], { stdio: 'inherit' });
}
process.exit(exitCode);
