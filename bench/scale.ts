// Scale benchmark: memory and CPU of the operator with every controller beside kube-controller-manager
// on one control plane that holds a large, steady workload:
//   - Deployments of 100 running pods each (--pods, run by kube-controller-manager);
//   - our Jobs (--jobs): --running-jobs of them with one pod that never ends, the rest finished;
//   - our StatefulSets (--statefulsets) of one replica;
//   - claims of our NFS provisioner (--claims, local mode);
//   - our HPAs (--hpas), one per Deployment, pinned at its replica count (min = max) so they sync but never scale.
//
// The workload is loaded in two steps: a small part (--small, a fraction of every count) and then the
// rest. At each step, once everything is steady, the operator is restarted (time until /readyz, i.e.
// every cache synced; RSS and V8 heap right then), and after --settle seconds both processes are
// sampled once a second for --seconds: median RSS, the operator's V8 heap used, CPU per minute.
// RSS per object is the slope between the two steps. At full load the operator is then measured again
// with --controllers=job alone, and with --controllers=autoscaler alone: its CPU per minute over the
// HPAs' syncs (each HPA syncs every 15 s; the pods do not change) is the CPU of one HPA sync, printed for
// the whole process and above the Job controller alone (the same pod cache, at rest).
//
//   node bench/scale.ts [--pods 10000] [--jobs 1000] [--running-jobs 100] [--statefulsets 100]
//                       [--claims 1000] [--hpas 100] [--small 0.1] [--settle 30] [--seconds 60]
//                       [--src] [--node-options="--lite-mode"] [--compare-entry OTHER/dist/main.js]
//                       [--heap-snapshot] [--builtin-hpas]
// The operator runs as the image runs it (node dist/main.js, built first) unless --src. With
// --compare-entry, another build of the operator (e.g. of an earlier commit, built into a folder under
// the checkout so that it finds node_modules) is measured too at full load, every controller and the
// autoscaler alone, for a before/after on the same cluster. With --heap-snapshot, the operator with every
// controller at full load writes a heap snapshot after its samples, summarized by heap-summary.ts.
// With --builtin-hpas, the same HPAs are then created as autoscaling/v2 HPAs of kube-controller-manager
// (same targets, metric and 15-s period) and its CPU is sampled again beside --controllers=job: its CPU
// per minute above the same window without them is the built-in controller's CPU of one HPA sync.
import { parseArgs } from 'node:util';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { DEPLOYMENT, POD, PV, PVC, STORAGE_CLASS } from '../src/api/core/types.ts';
import { JOB } from '../src/api/batch/types.ts';
import { STATEFULSET } from '../src/api/apps/types.ts';
import { HORIZONTAL_POD_AUTOSCALER } from '../src/api/autoscaling/types.ts';
import type { GroupVersionKind, KubeObject } from '../src/runtime/types.ts';
import { isConditionTrue } from '../src/runtime/util/conditions.ts';
import { runOperator, type OperatorProcess } from '../test/support/operator.ts';
import { waitFor } from '../src/testing/wait.ts';
import { formatHeapSummary, summarizeHeapSnapshot, type HeapSummary } from './heap-summary.ts';
import { benchControlPlane, heapUsedBytes, MiB, operatorEntry, operatorKubeconfig, pool, processUsage, quantile, ratio, rssBytes, stopBench } from './support.ts';

const { values } = parseArgs({
  options: {
    pods: { type: 'string', default: '10000' },
    jobs: { type: 'string', default: '1000' },
    'running-jobs': { type: 'string', default: '100' },
    statefulsets: { type: 'string', default: '100' },
    claims: { type: 'string', default: '1000' },
    hpas: { type: 'string', default: '100' },
    small: { type: 'string', default: '0.1' },
    settle: { type: 'string', default: '30' },
    seconds: { type: 'string', default: '60' },
    src: { type: 'boolean', default: false },
    'node-options': { type: 'string', default: '' },
    'compare-entry': { type: 'string' },
    'heap-snapshot': { type: 'boolean', default: false },
    'builtin-hpas': { type: 'boolean', default: false },
  },
});
const PODS_PER_DEPLOYMENT = 100;
const BUILTIN_HPA = { group: 'autoscaling', version: 'v2', kind: 'HorizontalPodAutoscaler' };
const NAMESPACE = 'scale';
const full = {
  deployments: Math.ceil(Number(values.pods) / PODS_PER_DEPLOYMENT),
  jobs: Number(values.jobs),
  runningJobs: Number(values['running-jobs']),
  statefulsets: Number(values.statefulsets),
  claims: Number(values.claims),
  hpas: Number(values.hpas),
};
type Load = typeof full;
const fraction = Number(values.small);
const small: Load = Object.fromEntries(Object.entries(full).map(([k, v]) => [k, Math.ceil(v * fraction)])) as Load;
const podsOf = (l: Load) => l.deployments * PODS_PER_DEPLOYMENT + l.jobs + l.statefulsets;
const { entry, nodeOptions: flags, label } = operatorEntry(!values.src, values['node-options']);
// With --heap-snapshot, the operator writes a heap snapshot here on SIGUSR2 (taken after the samples).
const snapshotDir = values['heap-snapshot'] ? mkdtempSync(join(tmpdir(), 'tentacle-bench-heap-')) : undefined;
const nodeOptions = snapshotDir ? [...flags, '--heapsnapshot-signal=SIGUSR2', `--diagnostic-dir=${snapshotDir}`] : flags;

// A kwok node takes 1,000 pods; leave room.
const bench = await benchControlPlane([], { nodes: Math.ceil((podsOf(full) * 1.2) / 1000) });
const { client, cp } = bench;
const exportsDir = mkdtempSync(join(tmpdir(), 'tentacle-bench-scale-'));
let operator: OperatorProcess | undefined;
let exitCode = 0;

const labels = (name: string) => ({ app: name });
const podSpec = { containers: [{ name: 'main', image: 'busybox', resources: { requests: { cpu: '10m', memory: '16Mi' } } }] };

/**
 * HPA `i`'s spec, ours and the built-in autoscaling/v2 one alike (the comparison depends on it): one per
 * Deployment, pinned at its replicas (min = max), CPU utilization from metrics-server.
 */
const hpaSpec = (i: number, deployments: number) => ({
  scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: `d-${i % deployments}` },
  minReplicas: PODS_PER_DEPLOYMENT, maxReplicas: PODS_PER_DEPLOYMENT,
  metrics: [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 50 } } }],
});

/** Creates objects `from` … `to` − 1 of every kind (`from` is what an earlier step created). */
async function load(from: Load, to: Load): Promise<void> {
  await pool(from.jobs, to.jobs, 20, (i) =>
    client.create({
      apiVersion: 'batch.tentacle.dev/v1alpha1', kind: 'Job', metadata: { name: `j-${i}`, namespace: NAMESPACE },
      spec: {
        template: {
          // The first --running-jobs run for the whole benchmark; the others finish after a second.
          metadata: { annotations: { 'sim.tentacle.dev/duration': i < full.runningJobs ? '1000h' : '1s' } },
          spec: { ...podSpec, restartPolicy: 'Never' },
        },
      },
    }));
  await pool(from.statefulsets, to.statefulsets, 20, (i) =>
    client.create({
      apiVersion: 'apps.tentacle.dev/v1alpha1', kind: 'StatefulSet', metadata: { name: `s-${i}`, namespace: NAMESPACE },
      spec: { replicas: 1, serviceName: `s-${i}`, selector: { matchLabels: labels(`s-${i}`) }, template: { metadata: { labels: labels(`s-${i}`) }, spec: podSpec } },
    }));
  await pool(from.claims, to.claims, 20, (i) =>
    client.create({
      apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: { name: `c-${i}`, namespace: NAMESPACE },
      spec: { accessModes: ['ReadWriteMany'], storageClassName: 'scale', resources: { requests: { storage: '1Gi' } } },
    }));
  await pool(from.hpas, to.hpas, 20, (i) =>
    client.create({
      apiVersion: 'autoscaling.tentacle.dev/v1alpha1', kind: 'HorizontalPodAutoscaler', metadata: { name: `h-${i}`, namespace: NAMESPACE },
      spec: hpaSpec(i, to.deployments),
    }));
  // Last: kwok moves pods through their stages at ~10 a second here, and the Jobs' pods go first.
  await pool(from.deployments, to.deployments, 10, (i) =>
    client.create({
      apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: `d-${i}`, namespace: NAMESPACE },
      spec: { replicas: PODS_PER_DEPLOYMENT, selector: { matchLabels: labels(`d-${i}`) }, template: { metadata: { labels: labels(`d-${i}`) }, spec: podSpec } },
    }));
}

const count = async <T extends KubeObject>(gvk: GroupVersionKind, test: (o: T) => boolean = () => true) =>
  (await client.listAll<T>(gvk, { namespace: NAMESPACE, limit: 2000 })).items.filter(test).length;
const phase = (o: KubeObject) => (o as { status?: { phase?: string } }).status?.phase;
const conditions = (o: KubeObject) => (o as { status?: { conditions?: { type: string; status: string }[] } }).status?.conditions;

/** Waits until the workload `l` is in place: pods running (or finished), Jobs done, claims Bound, HPAs synced. */
async function steady(l: Load): Promise<number> {
  const started = performance.now();
  let last = '';
  await waitFor(async () => {
    const [pods, complete, bound, hpas] = [
      await count(POD, (p) => phase(p) === 'Running' || phase(p) === 'Succeeded'),
      await count(JOB, (j) => isConditionTrue(conditions(j), 'Complete')),
      await count(PVC, (c) => phase(c) === 'Bound'),
      await count(HORIZONTAL_POD_AUTOSCALER, (h) => isConditionTrue(conditions(h), 'AbleToScale')),
    ];
    const now = `${pods}/${podsOf(l)} pods, ${complete}/${l.jobs - Math.min(l.jobs, full.runningJobs)} Jobs Complete, ${bound}/${l.claims} claims Bound, ${hpas}/${l.hpas} HPAs AbleToScale`;
    if (now !== last) process.stderr.write(`  ${now} (${((performance.now() - started) / 1000).toFixed(0)} s)\n`);
    last = now;
    return pods === podsOf(l) && complete === l.jobs - Math.min(l.jobs, full.runningJobs) && bound === l.claims && hpas === l.hpas;
    // Seldom: a list of 10,000 pods costs the API server more than a second of CPU, and the machine is shared.
  }, { what: 'a steady workload', timeoutMs: 3_600_000, intervalMs: 20_000 });
  return (performance.now() - started) / 1000;
}

/** Every object of the kinds the operator caches, in the namespace (for RSS per object). */
async function objects(): Promise<number> {
  let n = 0;
  for (const gvk of [POD, JOB, STATEFULSET, PVC, HORIZONTAL_POD_AUTOSCALER, DEPLOYMENT]) n += await count(gvk);
  return n + (await client.listAll(PV, { limit: 2000 })).items.length;
}

interface Sample { syncSeconds: number; rssAfterSync: number; heapAfterSync: number; rss: number; heap: number; cpuPerMinute: number; kcmRss: number; kcmCpuPerMinute: number }

/** Restarts the operator with `controllers`, times its sync, then samples it and kube-controller-manager. */
async function measure(kubeconfig: string, controllers: string, script: string = entry): Promise<Sample> {
  if (operator) await operator.stop();
  const started = performance.now();
  operator = await runOperator(
    [`--controllers=${controllers}`, `--nfs-local-exports=${exportsDir}`, '--kube-api-qps=200', '--kube-api-burst=400'],
    { kubeconfig, entry: script, nodeOptions, ready: false },
  );
  const op = operator;
  await waitFor(async () => (await fetch(`http://127.0.0.1:${op.probePort}/readyz`).catch(() => undefined))?.status === 200, {
    what: `operator --controllers=${controllers} ready (exit code ${op.child.exitCode}, signal ${op.child.signalCode}; output: ${op.output().slice(-300)})`,
    timeoutMs: 300_000,
    intervalMs: 50,
  });
  const syncSeconds = (performance.now() - started) / 1000;
  const [rssAfterSync, heapAfterSync] = [rssBytes(op.child.pid!), await heapUsedBytes(op.metricsPort)];
  await sleep(Number(values.settle) * 1000);
  const kcm = cp.pids()['kube-controller-manager']!;
  const [cpu0, kcmCpu0, t0] = [processUsage(op.child.pid!).cpuSeconds, processUsage(kcm).cpuSeconds, performance.now()];
  const s = { rss: [] as number[], heap: [] as number[], kcm: [] as number[] };
  for (let i = 0; i < Number(values.seconds); i++) {
    s.rss.push(rssBytes(op.child.pid!));
    s.kcm.push(rssBytes(kcm));
    s.heap.push(await heapUsedBytes(op.metricsPort));
    await sleep(1000);
  }
  const minutes = (performance.now() - t0) / 60_000;
  return {
    syncSeconds, rssAfterSync, heapAfterSync,
    rss: quantile(s.rss, 0.5), heap: quantile(s.heap, 0.5), kcmRss: quantile(s.kcm, 0.5),
    cpuPerMinute: (processUsage(op.child.pid!).cpuSeconds - cpu0) / minutes,
    kcmCpuPerMinute: (processUsage(kcm).cpuSeconds - kcmCpu0) / minutes,
  };
}

/**
 * Creates one autoscaling/v2 HPA per Deployment, like ours (min = max, CPU utilization), waits until
 * kube-controller-manager has synced each, then samples with --controllers=job beside it.
 */
async function measureBuiltinHpas(kubeconfig: string): Promise<Sample> {
  await pool(0, full.hpas, 20, (i) =>
    client.create({
      apiVersion: 'autoscaling/v2', kind: 'HorizontalPodAutoscaler', metadata: { name: `builtin-${i}`, namespace: NAMESPACE },
      spec: hpaSpec(i, full.deployments),
    }));
  await waitFor(async () => (await count(BUILTIN_HPA, (h) => isConditionTrue(conditions(h), 'ScalingActive'))) === full.hpas, {
    what: `${full.hpas} autoscaling/v2 HPAs ScalingActive`, timeoutMs: 300_000, intervalMs: 5_000,
  });
  return measure(kubeconfig, 'job');
}

/** Signals the running operator to write a heap snapshot into `dir`, waits for it, and summarizes it. */
async function heapSnapshot(dir: string): Promise<HeapSummary> {
  operator!.child.kill('SIGUSR2');
  // Node streams the snapshot into its final name: it is complete once the JSON document is closed.
  const complete = (file: string) => readFileSync(file, 'utf8').trimEnd().endsWith(']}');
  const file = await waitFor(
    () => readdirSync(dir).map((f) => join(dir, f)).find((f) => f.endsWith('.heapsnapshot') && complete(f)),
    { what: 'a complete heap snapshot', timeoutMs: 300_000, intervalMs: 1000 },
  );
  return summarizeHeapSnapshot(file);
}

try {
  const kubeconfig = await operatorKubeconfig(bench);
  const kubectl = (...args: string[]) => execFileSync('bin/kubectl', ['--kubeconfig', cp.kubeconfigPath, ...args], { stdio: 'ignore' });
  kubectl('apply', '--server-side', '-f', 'crds/');
  kubectl('wait', '--for=condition=Established', '-f', 'crds/');
  kubectl('create', 'namespace', NAMESPACE);
  operator = await runOperator(['--controllers=all', `--nfs-local-exports=${exportsDir}`, '--kube-api-qps=200', '--kube-api-burst=400'], { kubeconfig, entry, nodeOptions });
  await client.create({ apiVersion: 'storage.tentacle.dev/v1alpha1', kind: 'NFSProvisioner', metadata: { name: 'scale' }, spec: { server: 'nfs.example.test', path: '/srv/nfs' } });
  await waitFor(async () => (await client.find(STORAGE_CLASS, '', 'scale')) !== undefined, { what: 'StorageClass scale' });

  const none = Object.fromEntries(Object.keys(full).map((k) => [k, 0])) as Load;
  process.stderr.write(`loading the small workload (${podsOf(small)} pods)\n`);
  await load(none, small);
  await steady(small);
  const smallObjects = await objects();
  const atSmall = await measure(kubeconfig, 'all');

  process.stderr.write(`loading the full workload (${podsOf(full)} pods)\n`);
  await load(small, full);
  const loadSeconds = await steady(full);
  const fullObjects = await objects();
  const atFull = await measure(kubeconfig, 'all');
  const heap = snapshotDir ? await heapSnapshot(snapshotDir) : undefined;
  const jobOnly = await measure(kubeconfig, 'job');
  const autoscalerOnly = await measure(kubeconfig, 'autoscaler');
  const other = values['compare-entry'];
  const compared = other ? { all: await measure(kubeconfig, 'all', other), autoscaler: await measure(kubeconfig, 'autoscaler', other) } : undefined;
  const withBuiltinHpas = values['builtin-hpas'] ? await measureBuiltinHpas(kubeconfig) : undefined;
  await operator.stop();

  const slope = (a: number, b: number) => ((b - a) / (fullObjects - smallObjects) / 1024).toFixed(2);
  const row = (name: string, m: Sample) =>
    `| ${name} | ${m.syncSeconds.toFixed(1)} | ${MiB(m.rssAfterSync)} | ${MiB(m.heapAfterSync)} | ${MiB(m.rss)} | ${MiB(m.heap)} | ${m.cpuPerMinute.toFixed(2)} | ${MiB(m.kcmRss)} | ${m.kcmCpuPerMinute.toFixed(2)} | ${ratio(m.rss, m.kcmRss)} |`;
  console.log(`\nScale benchmark (operator: ${label}; sampled ${values.seconds} s after ${values.settle} s)\n`);
  console.log(`Workload: small = ${podsOf(small)} pods, ${smallObjects} objects; full = ${podsOf(full)} pods (${full.deployments} Deployments × ${PODS_PER_DEPLOYMENT}, ${full.jobs} Jobs of which ${full.runningJobs} running, ${full.statefulsets} StatefulSets), ${full.claims} claims and PVs, ${full.hpas} HPAs: ${fullObjects} objects. Full load reached steady state in ${loadSeconds.toFixed(0)} s.\n`);
  console.log('| operator | time to sync after restart (s) | RSS after sync (MiB) | V8 heap after sync (MiB) | steady RSS (MiB) | steady V8 heap (MiB) | CPU s/min | kube-controller-manager steady RSS (MiB) | its CPU s/min | RSS ratio ours / built-in |');
  console.log('|---|---|---|---|---|---|---|---|---|---|');
  console.log(row('every controller, small load', atSmall));
  console.log(row('every controller, full load', atFull));
  console.log(row('--controllers=job, full load', jobOnly));
  console.log(row('--controllers=autoscaler, full load', autoscalerOnly));
  if (compared) {
    console.log(row(`${other}: every controller, full load`, compared.all));
    console.log(row(`${other}: --controllers=autoscaler, full load`, compared.autoscaler));
  }
  console.log(`\nRSS per object (slope small → full): ours ${slope(atSmall.rss, atFull.rss)} KiB, kube-controller-manager ${slope(atSmall.kcmRss, atFull.kcmRss)} KiB; V8 heap ${slope(atSmall.heap, atFull.heap)} KiB`);
  const syncsPerMinute = full.hpas * (60 / 15);
  /** ms of CPU per HPA sync from a process's CPU seconds per minute, above `idle` (its CPU without the syncs). */
  const msPerSync = (cpuPerMinute: number, idle = 0) => ((cpuPerMinute - idle) / syncsPerMinute) * 1000;
  const perSync = (m: Sample, idle = 0) => msPerSync(m.cpuPerMinute, idle).toFixed(2);
  // The Job controller alone holds the same pod cache and does nothing at steady state: its CPU is what
  // the process spends without HPAs (leases, the bench's scrapes of /metrics, timers, GC of the cache).
  console.log(
    `HPA: ${perSync(autoscalerOnly)} ms of CPU per sync (--controllers=autoscaler, ${full.hpas} HPAs synced every 15 s, whole process), ` +
      `${perSync(autoscalerOnly, jobOnly.cpuPerMinute)} ms above --controllers=job at rest` +
      (compared ? `; ${other}: ${perSync(compared.autoscaler)} ms, ${perSync(compared.autoscaler, jobOnly.cpuPerMinute)} ms above` : ''),
  );
  if (withBuiltinHpas) {
    const builtin = msPerSync(withBuiltinHpas.kcmCpuPerMinute, jobOnly.kcmCpuPerMinute);
    const ours = msPerSync(autoscalerOnly.cpuPerMinute, jobOnly.cpuPerMinute);
    console.log(
      `Built-in HPA: ${builtin.toFixed(2)} ms of CPU per sync (kube-controller-manager with ${full.hpas} autoscaling/v2 HPAs: ${withBuiltinHpas.kcmCpuPerMinute.toFixed(2)} s/min, ` +
        `without: ${jobOnly.kcmCpuPerMinute.toFixed(2)} s/min, --controllers=job beside it both times); ratio ours / built-in ${ratio(ours, builtin)}`,
    );
  }
  if (heap) console.log(`\nWhere the operator's heap goes (every controller, full load):\n\n${formatHeapSummary(heap, 15)}`);
} catch (err) {
  console.error(err);
  exitCode = 1;
} finally {
  if (operator && operator.child.exitCode === null && operator.child.signalCode === null) await operator.stop();
  await client.close();
  await stopBench(bench);
  rmSync(exportsDir, { recursive: true, force: true });
  if (snapshotDir) rmSync(snapshotDir, { recursive: true, force: true });
}
process.exit(exitCode);
