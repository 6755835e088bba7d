// NFS provisioner benchmark: N claims to Bound with our provisioner (storage.tentacle.dev NFSProvisioner,
// local mode: the exports are directories of this machine), against the floor any external
// provisioner adds to: the same N claims bound by kube-controller-manager's PV binder alone to N
// pre-created PersistentVolumes (static provisioning). Both run on one control plane; the binder
// also finishes every bind on our side (our provisioner creates the PV with a claimRef, the binder
// binds the claim to it). With --upstream BIN, the same claims also go to the upstream
// nfs-subdir-external-provisioner (a binary built from its repository with its vendored modules, e.g.
// `go build -mod=vendor ./cmd/nfs-subdir-external-provisioner`), run here at its defaults (client-go's
// 5 qps / 10 burst, no leader election) under its own ServiceAccount. It makes each volume's directory
// under /persistentvolumes (fixed in its source): that directory is made for the run and removed after.
//
// Per claim: latency from its create request to the first watch event with phase Bound. Throughput:
// claims / (first create → last Bound). API writes per volume from the audit log, by user: the PV
// binder (system:serviceaccount:kube-system:persistent-volume-binder) and our operator.
//
//   node bench/nfs.ts [--pvcs 1000] [--concurrency 20] [--qps 50] [--burst 100] [--upstream BIN]
//
// With --real-node, both provisioners run as pods on a real node against a real NFS export instead
// (bench/nfs-real-node.ts; root).
if (process.argv.includes('--real-node')) {
  await import('./nfs-real-node.ts');
  process.exit(0); // nfs-real-node.ts exits by itself; this is never reached
}
import { parseArgs } from 'node:util';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, openSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { PV, PVC, STORAGE_CLASS, type PersistentVolume, type PersistentVolumeClaim } from '../src/api/core/types.ts';
import { runOperator, type OperatorProcess } from '../test/support/operator.ts';
import { waitFor } from '../src/testing/wait.ts';
import { OPERATOR_USER, rwxClaim, watchFirstTimes, auditEvents, auditWrites, benchControlPlane, operatorKubeconfig, pool, processUsage, quantile, ratio, serviceAccountUser, stopBench } from './support.ts';

const { values } = parseArgs({
  options: {
    pvcs: { type: 'string', default: '1000' },
    concurrency: { type: 'string', default: '20' },
    qps: { type: 'string', default: '50' },
    burst: { type: 'string', default: '100' },
    upstream: { type: 'string' },
  },
});
const pvcs = Number(values.pvcs);
const concurrency = Number(values.concurrency);
const BINDER_USER = 'system:serviceaccount:kube-system:persistent-volume-binder';
const UPSTREAM_USER = serviceAccountUser('upstream-nfs');
const UPSTREAM_VOLUMES = '/persistentvolumes';

const bench = await benchControlPlane([`--kube-api-qps=${values.qps}`, `--kube-api-burst=${values.burst}`]);
const { client, cp } = bench;
const exportsDir = mkdtempSync(join(tmpdir(), 'tentacle-bench-nfs-'));
let operator: OperatorProcess | undefined;
let upstream: ChildProcess | undefined;
let madeUpstreamVolumes = false;
let exitCode = 0;

interface Run {
  provisionerUser: string;
  latenciesMs: number[];
  seconds: number;
  writes: Map<string, number>;
  byResource: string;
  rejected: string;
  cpuSeconds: number;
  peakRssMiB: number;
  kcmCpuSeconds: number;
}

/** Creates `pvcs` claims of `className` in `namespace` and times each to Bound. */
async function claimsToBound(namespace: string, className: string, pid: number | undefined, provisionerUser = OPERATOR_USER): Promise<Run> {
  await client.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace } });
  const kcm = cp.pids()['kube-controller-manager']!;
  if (pid) writeFileSync(`/proc/${pid}/clear_refs`, '5'); // reset the peak-RSS mark
  const before = pid ? processUsage(pid) : undefined;
  const kcmBefore = processUsage(kcm);
  const auditFrom = auditWrites(bench.auditLog).size;
  const sentAt = new Map<string, number>();
  const boundAt = new Map<string, number>();
  const stop = new AbortController();
  // Watch first (from the namespace's empty state), so no Bound is missed.
  const watcher = watchFirstTimes<PersistentVolumeClaim>(client, PVC, namespace, (c) => c.status?.phase === 'Bound', boundAt, stop.signal);
  await watcher.watching;
  const started = performance.now();
  await pool(0, pvcs, concurrency, async (i) => {
    const name = `c-${i}`;
    sentAt.set(name, performance.now());
    await client.create<PersistentVolumeClaim>(rwxClaim(name, namespace, className));
  });
  const created = (performance.now() - started) / 1000;
  let last = 0;
  await waitFor(
    () => {
      if (boundAt.size !== last) process.stderr.write(`  ${namespace}: ${(last = boundAt.size)}/${pvcs} Bound (${((performance.now() - started) / 1000).toFixed(0)} s)\n`);
      return boundAt.size === pvcs;
    },
    { what: `${pvcs} claims Bound in ${namespace}`, timeoutMs: 1_800_000, intervalMs: 1000 },
  );
  const seconds = (Math.max(...boundAt.values()) - started) / 1000;
  stop.abort();
  await watcher.done;
  const after = pid ? processUsage(pid) : undefined;
  const kcmAfter = processUsage(kcm);
  await sleep(1500); // let trailing writes land in the audit log
  const audit = auditWrites(bench.auditLog, auditFrom);
  const users = [BINDER_USER, provisionerUser];
  const byResource = [...audit.byUserResource]
    .filter(([k]) => users.some((u) => k.startsWith(`${u} `)))
    .map(([k, n]) => `${k.startsWith(provisionerUser) ? 'provisioner' : 'binder'} ${k.slice(k.indexOf(' ') + 1)} ${n}`);
  const rejected = new Map<string, number>();
  for (const e of auditEvents(bench.auditLog, auditFrom)) {
    if (!users.includes(e.user) || e.code < 400) continue;
    const key = `${e.user === provisionerUser ? 'provisioner' : 'binder'} ${e.verb} ${e.resource} ${e.code}`;
    rejected.set(key, (rejected.get(key) ?? 0) + 1);
  }
  process.stderr.write(`  ${namespace}: all created in ${created.toFixed(1)} s, all Bound in ${seconds.toFixed(1)} s\n`);
  return {
    provisionerUser,
    latenciesMs: [...boundAt].map(([name, t]) => t - sentAt.get(name)!),
    seconds,
    writes: audit.byUser,
    byResource: byResource.join(', '),
    rejected: [...rejected].map(([k, n]) => `${k}: ${n}`).join(', ') || 'none',
    cpuSeconds: before && after ? after.cpuSeconds - before.cpuSeconds : NaN,
    peakRssMiB: after ? after.peakRssBytes / 2 ** 20 : NaN,
    kcmCpuSeconds: kcmAfter.cpuSeconds - kcmBefore.cpuSeconds,
  };
}

try {
  const kubeconfig = await operatorKubeconfig(bench);
  const kubectl = (...args: string[]) => execFileSync('bin/kubectl', ['--kubeconfig', cp.kubeconfigPath, ...args], { stdio: 'ignore' });
  kubectl('apply', '--server-side', '-f', 'crds/');
  kubectl('wait', '--for=condition=Established', '-f', 'crds/');
  operator = await runOperator(['--controllers=nfs', `--nfs-local-exports=${exportsDir}`, `--kube-api-qps=${values.qps}`, `--kube-api-burst=${values.burst}`], { kubeconfig });

  // Static provisioning: N Available PVs of a class no provisioner serves; the binder alone binds.
  await client.create({
    apiVersion: 'storage.k8s.io/v1',
    kind: 'StorageClass',
    metadata: { name: 'bench-static' },
    provisioner: 'kubernetes.io/no-provisioner',
    volumeBindingMode: 'Immediate',
    reclaimPolicy: 'Retain',
  });
  await pool(0, pvcs, concurrency, (i) =>
    client.create<PersistentVolume>({
      apiVersion: 'v1',
      kind: 'PersistentVolume',
      metadata: { name: `static-${i}` },
      spec: {
        capacity: { storage: '1Gi' },
        accessModes: ['ReadWriteMany'],
        storageClassName: 'bench-static',
        persistentVolumeReclaimPolicy: 'Retain',
        nfs: { server: 'nfs.example.test', path: `/srv/static/${i}` },
      },
    }),
  );
  await waitFor(async () => (await client.list<PersistentVolume>(PV)).items.filter((v) => v.status?.phase === 'Available').length === pvcs, {
    what: `${pvcs} PVs Available`,
    timeoutMs: 600_000,
    intervalMs: 1000,
  });
  const floor = await claimsToBound('bench-static', 'bench-static', undefined);

  // Ours: an NFSProvisioner, its StorageClass, and the same claims.
  await client.create({ apiVersion: 'storage.tentacle.dev/v1alpha1', kind: 'NFSProvisioner', metadata: { name: 'bench' }, spec: { server: 'nfs.example.test', path: '/srv/nfs' } });
  await waitFor(async () => (await client.find(STORAGE_CLASS, '', 'bench')) !== undefined, { what: 'StorageClass bench' });
  await waitFor(() => existsSync(join(exportsDir, 'bench')), { what: 'export root' });
  const ours = await claimsToBound('bench-nfs', 'bench', operator.child.pid);
  const dirs = readdirSync(join(exportsDir, 'bench')).length;
  await operator.stop();

  let theirs: Run | undefined;
  if (values.upstream) {
    if (existsSync(UPSTREAM_VOLUMES) && readdirSync(UPSTREAM_VOLUMES).length) throw new Error(`${UPSTREAM_VOLUMES} is not empty`);
    madeUpstreamVolumes = !existsSync(UPSTREAM_VOLUMES);
    mkdirSync(UPSTREAM_VOLUMES, { recursive: true });
    await client.create({
      apiVersion: 'storage.k8s.io/v1',
      kind: 'StorageClass',
      metadata: { name: 'bench-upstream' },
      provisioner: 'bench.tentacle.dev/nfs-subdir-external-provisioner',
      reclaimPolicy: 'Delete',
    });
    const log = join(bench.dir, 'upstream-nfs.log');
    const fd = openSync(log, 'a');
    upstream = spawn(values.upstream, [], {
      stdio: ['ignore', fd, fd],
      env: {
        PATH: process.env.PATH,
        KUBECONFIG: await operatorKubeconfig(bench, 'upstream-nfs'),
        NFS_SERVER: 'nfs.example.test',
        NFS_PATH: '/srv/upstream',
        PROVISIONER_NAME: 'bench.tentacle.dev/nfs-subdir-external-provisioner',
        ENABLE_LEADER_ELECTION: 'false',
      },
    });
    process.stderr.write(`upstream provisioner pid ${upstream.pid}, log ${log}\n`);
    theirs = await claimsToBound('bench-upstream', 'bench-upstream', upstream.pid, UPSTREAM_USER);
  }

  const stats = (r: Run) => {
    const binder = (r.writes.get(BINDER_USER) ?? 0) / pvcs;
    const provisioner = (r.writes.get(r.provisionerUser) ?? 0) / pvcs;
    return {
      p50: quantile(r.latenciesMs, 0.5) / 1000,
      p99: quantile(r.latenciesMs, 0.99) / 1000,
      max: Math.max(...r.latenciesMs) / 1000,
      seconds: r.seconds,
      throughput: pvcs / r.seconds,
      binder,
      provisioner,
      total: binder + provisioner,
    };
  };
  const [f, o] = [stats(floor), stats(ours)];
  const row = (name: string, s: typeof o) =>
    `| ${name} | ${s.p50.toFixed(1)} | ${s.p99.toFixed(1)} | ${s.max.toFixed(1)} | ${s.seconds.toFixed(1)} | ${s.throughput.toFixed(1)} | ${s.binder.toFixed(2)} | ${s.provisioner.toFixed(2)} | ${s.total.toFixed(2)} |`;
  console.log(`\nNFS provisioning benchmark: ${pvcs} claims (RWX, 1Gi), created ${concurrency} at a time; client qps/burst ${values.qps}/${values.burst} for the PV binder and for our operator\n`);
  console.log('| provisioning | create → Bound p50 (s) | p99 (s) | max (s) | all Bound (s) | claims/s | writes per volume: binder | provisioner | total |');
  console.log('|---|---|---|---|---|---|---|---|---|');
  console.log(row('static: pre-created PVs, PV binder alone (floor)', f));
  console.log(row('tentacle NFS provisioner + PV binder', o));
  console.log(
    `| ratio ours / floor | ${ratio(o.p50, f.p50)} | ${ratio(o.p99, f.p99)} | ${ratio(o.max, f.max)} | ${ratio(o.seconds, f.seconds)} | ${ratio(o.throughput, f.throughput)} | ${ratio(o.binder, f.binder)} | n/a | ${ratio(o.total, f.total)} |`,
  );
  if (theirs) {
    const t = stats(theirs);
    console.log(row('upstream nfs-subdir-external-provisioner + PV binder', t));
    console.log(
      `| ratio ours / upstream | ${ratio(o.p50, t.p50)} | ${ratio(o.p99, t.p99)} | ${ratio(o.max, t.max)} | ${ratio(o.seconds, t.seconds)} | ${ratio(o.throughput, t.throughput)} | ${ratio(o.binder, t.binder)} | ${ratio(o.provisioner, t.provisioner)} | ${ratio(o.total, t.total)} |`,
    );
  }
  console.log(`\nWrites by resource — static: ${floor.byResource}; tentacle: ${ours.byResource}${theirs ? `; upstream: ${theirs.byResource}` : ''}`);
  console.log(`\nRejected writes (counted above) — static: ${floor.rejected}; tentacle: ${ours.rejected}${theirs ? `; upstream: ${theirs.rejected}` : ''}`);
  if (theirs) {
    console.log(`\nUpstream provisioner during its ${pvcs} claims: CPU ${theirs.cpuSeconds.toFixed(1)} s, peak RSS ${theirs.peakRssMiB.toFixed(0)} MiB; ${readdirSync(UPSTREAM_VOLUMES).length} volume directories made.`);
  }
  console.log(
    `\nOperator during its ${pvcs} claims: CPU ${ours.cpuSeconds.toFixed(1)} s, peak RSS ${ours.peakRssMiB.toFixed(0)} MiB; ${dirs} volume directories made. ` +
      `kube-controller-manager (whole process): CPU ${floor.kcmCpuSeconds.toFixed(1)} s in the static run, ${ours.kcmCpuSeconds.toFixed(1)} s in ours.`,
  );
} catch (err) {
  console.error(err);
  exitCode = 1;
} finally {
  if (operator && operator.child.exitCode === null && operator.child.signalCode === null) await operator.stop();
  if (upstream && upstream.exitCode === null && upstream.signalCode === null) {
    const gone = new Promise((resolve) => upstream!.once('exit', resolve));
    upstream.kill('SIGTERM');
    await gone;
  }
  if (madeUpstreamVolumes) rmSync(UPSTREAM_VOLUMES, { recursive: true, force: true });
  await client.close();
  await stopBench(bench);
  rmSync(exportsDir, { recursive: true, force: true });
}
process.exit(exitCode);
