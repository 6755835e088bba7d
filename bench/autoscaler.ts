// HorizontalPodAutoscaler benchmark: time from a metric change to the scale write, for the built-in
// autoscaling/v2 HPA controller (kube-controller-manager) and for ours (autoscaling.tentacle.dev), on
// one control plane, reading the same External metric through the same aggregated API (the test
// metrics adapter), scaling the same kind of Deployments (kwok pods). Both controllers re-sync every
// HPA each 15 s (upstream's --horizontal-pod-autoscaler-sync-period default, left alone; ours has the
// same fixed period) and neither watches metrics, so the latency is mostly where in its period the
// change lands. To compare like with like, HPA i of each side is created at the same instant and the
// N pairs are spread evenly over one period, and each round starts after a random pause.
//
// Each round sets every series to UP (each HPA wants ceil(UP / TARGET) replicas) or back to TARGET
// (1 replica; scale-down stabilization 0 on both sides), then waits until every Deployment has
// settled. The latency of one HPA is metric change → its scale write, from the API server's audit
// log (requestReceivedTimestamp of the `deployments/scale` update).
//
//   node bench/autoscaler.ts [--hpas 20] [--rounds 8] [--qps 50] [--burst 100] [--dist] [--node-options="..."]
// --dist runs the operator as the image does (node dist/main.js, built first); --node-options passes
// Node/V8 flags to it (e.g. --cpu-prof).
import { parseArgs } from 'node:util';
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { DEPLOYMENT, type Deployment } from '../src/api/core/types.ts';
import { startMetricsAdapter, type MetricsAdapter } from '../test/support/metrics-adapter.ts';
import { runOperator, type OperatorProcess } from '../test/support/operator.ts';
import { waitFor } from '../src/testing/wait.ts';
import { OPERATOR_USER, operatorEntry, auditEvents, auditWrites, benchControlPlane, operatorKubeconfig, processUsage, quantile, ratio, stopBench } from './support.ts';

const { values } = parseArgs({
  options: {
    hpas: { type: 'string', default: '20' },
    rounds: { type: 'string', default: '8' },
    qps: { type: 'string', default: '50' },
    burst: { type: 'string', default: '100' },
    dist: { type: 'boolean', default: false },
    'node-options': { type: 'string', default: '' },
  },
});
const { entry, nodeOptions, label } = operatorEntry(values.dist, values['node-options']);
const hpas = Number(values.hpas);
const rounds = Number(values.rounds);
const TARGET = 10; // averageValue
const UP = 40; // → ceil(40 / 10) = 4 replicas (within the default scale-up policy: +4 pods / 15 s)
const PERIOD_MS = 15_000;
const METRIC = 'queue_depth';
const BUILTIN_USER = 'system:serviceaccount:kube-system:horizontal-pod-autoscaler';

interface Side {
  name: string;
  namespace: string;
  apiVersion: string;
  user: string;
  latenciesMs: number[];
}
const sides: Side[] = [
  { name: 'built-in (kube-controller-manager)', namespace: 'bench-builtin', apiVersion: 'autoscaling/v2', user: BUILTIN_USER, latenciesMs: [] },
  { name: 'tentacle', namespace: 'bench-tentacle', apiVersion: 'autoscaling.tentacle.dev/v1alpha1', user: OPERATOR_USER, latenciesMs: [] },
];

const bench = await benchControlPlane([`--kube-api-qps=${values.qps}`, `--kube-api-burst=${values.burst}`]);
const { client, cp } = bench;
process.env.TENTACLE_KUBECONFIG = cp.kubeconfigPath; // the metrics adapter registers itself with this control plane
let operator: OperatorProcess | undefined;
let adapter: MetricsAdapter | undefined;
let exitCode = 0;
try {
  const kubeconfig = await operatorKubeconfig(bench);
  const kubectl = (...args: string[]) => execFileSync('bin/kubectl', ['--kubeconfig', cp.kubeconfigPath, ...args], { stdio: 'ignore' });
  kubectl('apply', '--server-side', '-f', 'crds/');
  kubectl('wait', '--for=condition=Established', '-f', 'crds/');
  adapter = await startMetricsAdapter({ waitMs: 30_000 });
  operator = await runOperator(['--controllers=autoscaler', `--kube-api-qps=${values.qps}`, `--kube-api-burst=${values.burst}`], { kubeconfig, entry, nodeOptions });
  const pid = operator.child.pid!;

  const setAll = (value: number) => {
    for (const s of sides) for (let i = 0; i < hpas; i++) adapter!.setExternalMetric(s.namespace, METRIC, { deployment: `d-${i}` }, value);
  };
  setAll(TARGET);
  for (const s of sides) {
    await client.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: s.namespace } });
    await waitFor(() => client.find({ group: '', version: 'v1', kind: 'ServiceAccount' }, s.namespace, 'default'), { what: `ServiceAccount ${s.namespace}/default`, intervalMs: 100 });
    await Promise.all(
      Array.from({ length: hpas }, (_, i) =>
        client.create({
          apiVersion: 'apps/v1',
          kind: 'Deployment',
          metadata: { name: `d-${i}`, namespace: s.namespace },
          spec: {
            replicas: 1,
            selector: { matchLabels: { app: `d-${i}` } },
            template: { metadata: { labels: { app: `d-${i}` } }, spec: { containers: [{ name: 'main', image: 'busybox:1.36' }] } },
          },
        }),
      ),
    );
  }
  const settled = async (want: number): Promise<string[]> => {
    const off: string[] = [];
    for (const s of sides) {
      for (const d of (await client.list<Deployment>(DEPLOYMENT, { namespace: s.namespace })).items) {
        const st = d.status;
        if (d.spec.replicas !== want || st?.observedGeneration !== d.metadata.generation || st?.replicas !== want || st?.updatedReplicas !== want) {
          off.push(`${s.namespace}/${d.metadata.name} spec ${d.spec.replicas} status ${st?.replicas}`);
        }
      }
    }
    return off;
  };
  await waitFor(async () => (await settled(1)).length === 0, { what: 'Deployments at 1 replica', timeoutMs: 120_000, intervalMs: 500 });

  // HPA i of both sides at the same instant; the pairs spread over one sync period.
  for (let i = 0; i < hpas; i++) {
    await Promise.all(
      sides.map((s) =>
        client.create({
          apiVersion: s.apiVersion,
          kind: 'HorizontalPodAutoscaler',
          metadata: { name: `d-${i}`, namespace: s.namespace },
          spec: {
            scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: `d-${i}` },
            minReplicas: 1,
            maxReplicas: 10,
            metrics: [{ type: 'External', external: { metric: { name: METRIC, selector: { matchLabels: { deployment: `d-${i}` } } }, target: { type: 'AverageValue', averageValue: String(TARGET) } } }],
            behavior: { scaleDown: { stabilizationWindowSeconds: 0 } },
          },
        }),
      ),
    );
    await sleep(PERIOD_MS / hpas);
  }
  await sleep(2 * PERIOD_MS); // every HPA has read the metric at least once

  writeFileSync(`/proc/${pid}/clear_refs`, '5'); // reset the peak-RSS mark
  const before = processUsage(pid);
  const auditFrom = auditWrites(bench.auditLog).size;
  const kcmPid = cp.pids()['kube-controller-manager']!;
  const kcmBefore = processUsage(kcmPid);
  let rescales = 0;
  const pairedMs: number[] = []; // ours − built-in, for HPA pairs created at the same instant
  const roundsStarted = performance.now();
  for (let r = 0; r < rounds; r++) {
    await sleep(Math.random() * PERIOD_MS);
    const value = r % 2 === 0 ? UP : TARGET;
    const want = Math.ceil(value / TARGET);
    const roundFrom = auditWrites(bench.auditLog).size;
    const t0 = Date.now();
    setAll(value);
    try {
      await waitFor(async () => (await settled(want)).length === 0, { what: `round ${r + 1}: every Deployment at ${want}`, timeoutMs: 120_000, intervalMs: 500 });
    } catch (err) {
      throw new Error(`${(err as Error).message}; not there: ${(await settled(want)).join(', ')}`, { cause: err });
    }
    await sleep(1000); // let the audit log catch up
    const events = auditEvents(bench.auditLog, roundFrom);
    for (const s of sides) {
      for (let i = 0; i < hpas; i++) {
        const write = events.find((e) => e.user === s.user && e.resource === 'deployments/scale' && e.code === 200 && e.namespace === s.namespace && e.name === `d-${i}` && e.receivedMs >= t0);
        if (!write) throw new Error(`round ${r + 1}: no scale write for ${s.namespace}/d-${i} in the audit log`);
        s.latenciesMs.push(write.receivedMs - t0);
        rescales++;
      }
    }
    for (let i = 0; i < hpas; i++) pairedMs.push(sides[1]!.latenciesMs.at(i - hpas)! - sides[0]!.latenciesMs.at(i - hpas)!);
    const p50 = sides.map((s) => `${s.namespace} p50 ${(quantile(s.latenciesMs.slice(-hpas), 0.5) / 1000).toFixed(1)} s`).join(', ');
    process.stderr.write(`round ${r + 1}/${rounds} (${value}): ${p50}\n`);
  }
  const after = processUsage(pid);
  const kcmAfter = processUsage(kcmPid);
  const elapsed = (performance.now() - roundsStarted) / 1000;
  await sleep(1500);
  const audit = auditWrites(bench.auditLog, auditFrom);
  const perSide = rescales / sides.length;

  const stats = (s: Side) => {
    const writes = audit.byUser.get(s.user) ?? 0;
    const byResource = [...audit.byUserResource].filter(([k]) => k.startsWith(`${s.user} `)).map(([k, n]) => `${k.slice(s.user.length + 1)} ${n}`);
    return {
      p50: quantile(s.latenciesMs, 0.5) / 1000,
      p90: quantile(s.latenciesMs, 0.9) / 1000,
      max: Math.max(...s.latenciesMs) / 1000,
      mean: s.latenciesMs.reduce((a, b) => a + b, 0) / s.latenciesMs.length / 1000,
      writesPerRescale: writes / perSide,
      byResource: byResource.join(', '),
    };
  };
  const [builtin, ours] = [stats(sides[0]!), stats(sides[1]!)];
  const row = (name: string, r: typeof ours) =>
    `| ${name} | ${r.p50.toFixed(1)} | ${r.p90.toFixed(1)} | ${r.max.toFixed(1)} | ${r.mean.toFixed(1)} | ${r.writesPerRescale.toFixed(2)} |`;
  console.log(`\nHPA benchmark: ${hpas} HPAs per side (External AverageValue ${TARGET}, min 1, max 10), ${rounds} rounds alternating ${UP} (→ ${UP / TARGET} replicas) and ${TARGET} (→ 1), ${perSide} rescales per side; client qps/burst ${values.qps}/${values.burst}, 5 workers each, 15 s sync period each\n`);
  console.log('| controller | metric change → scale write p50 (s) | p90 (s) | max (s) | mean (s) | API writes per rescale |');
  console.log('|---|---|---|---|---|---|');
  console.log(row('built-in (kube-controller-manager)', builtin));
  console.log(row('tentacle', ours));
  console.log(
    `| ratio ours / built-in | ${ratio(ours.p50, builtin.p50)} | ${ratio(ours.p90, builtin.p90)} | ${ratio(ours.max, builtin.max)} | ${ratio(ours.mean, builtin.mean)} | ${ratio(ours.writesPerRescale, builtin.writesPerRescale)} |`,
  );
  console.log(
    `\nPaired difference, ours − built-in, for the two HPAs of a pair (created at the same instant, so at the same point of their periods): ` +
      `p10 ${quantile(pairedMs, 0.1).toFixed(0)} ms, p50 ${quantile(pairedMs, 0.5).toFixed(0)} ms, p90 ${quantile(pairedMs, 0.9).toFixed(0)} ms, ` +
      `max |d| ${Math.max(...pairedMs.map(Math.abs)).toFixed(0)} ms`,
  );
  console.log(`\nWrites by resource — built-in: ${builtin.byResource}; tentacle: ${ours.byResource}`);
  console.log(
    `\nOperator (tentacle, ${label}, ${hpas} HPAs, ${rounds} rounds, ${elapsed.toFixed(0)} s): CPU ${(after.cpuSeconds - before.cpuSeconds).toFixed(1)} s, peak RSS ${(after.peakRssBytes / 2 ** 20).toFixed(0)} MiB. ` +
      `kube-controller-manager (whole process, also running the Deployment and ReplicaSet controllers that carry out both sides' rescales): CPU ${(kcmAfter.cpuSeconds - kcmBefore.cpuSeconds).toFixed(1)} s.`,
  );
} catch (err) {
  console.error(err);
  exitCode = 1;
} finally {
  if (operator && operator.child.exitCode === null && operator.child.signalCode === null) await operator.stop();
  await adapter?.close().catch((err: unknown) => console.error(err));
  await client.close();
  await stopBench(bench);
}
process.exit(exitCode);
