// Job engine benchmark: the same workload for the built-in batch/v1 Job controller
// (kube-controller-manager) and for ours (batch.tentacle.dev), on one control plane, with equal
// client rate limits and worker counts. Prints time to all-complete, API writes per pod, CPU seconds
// and peak RSS, and the ratios ours / built-in.
//
//   node bench/job.ts [--pods 1000] [--jobs 10] [--parallelism 50] [--qps 50] [--burst 100]
//                     [--dist] [--node-options="--max-semi-space-size=1 ..."] [--ours-first] [--bare-pods]
// --dist runs the operator as the image does (node dist/main.js, built first) rather than from the sources.
// The built-in controller runs first unless --ours-first; each run's namespace is deleted, and gone,
// before the next starts, so that every run meets the same cluster.
// --bare-pods adds a last run with no controller: the bench's own client makes the same pods at once,
// each with a finalizer it removes once the pod has Succeeded (the two writes per pod either controller
// makes). Its time is what the cluster takes to run the pods for a client that only makes those writes.
// It needs parallelism ≥ completions per Job, so that the controllers too may run every pod at once.
import { parseArgs } from 'node:util';
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import type { KubeObject } from '../src/runtime/types.ts';
import { POD, type Pod } from '../src/api/core/types.ts';
import { isConditionTrue } from '../src/runtime/util/conditions.ts';
import { runOperator } from '../test/support/operator.ts';
import { waitFor } from '../src/testing/wait.ts';
import { OPERATOR_USER, operatorEntry, auditEvents, auditWrites, type AuditEvent, benchControlPlane, operatorKubeconfig, pool, processUsage, quantile, ratio, stopBench } from './support.ts';

const { values } = parseArgs({
  options: {
    pods: { type: 'string', default: '1000' },
    jobs: { type: 'string', default: '10' },
    parallelism: { type: 'string', default: '50' },
    qps: { type: 'string', default: '50' },
    burst: { type: 'string', default: '100' },
    duration: { type: 'string', default: '1s' },
    dist: { type: 'boolean', default: false },
    'node-options': { type: 'string', default: '' },
    'ours-first': { type: 'boolean', default: false },
    'bare-pods': { type: 'boolean', default: false },
  },
});
const pods = Number(values.pods);
const jobs = Number(values.jobs);
const perJob = Math.ceil(pods / jobs);
const parallelism = Number(values.parallelism);
const BUILTIN_USER = 'system:serviceaccount:kube-system:job-controller';
if (values['bare-pods'] && parallelism < perJob) {
  console.error(`--bare-pods runs every pod at once: it needs Jobs that do too: parallelism ≥ completions per Job (here ${parallelism} < ${perJob})`);
  process.exit(2);
}
const podTemplate = {
  metadata: { annotations: { 'sim.tentacle.dev/duration': values.duration } },
  spec: { restartPolicy: 'Never' as const, containers: [{ name: 'work', image: 'busybox' }] },
};

const { entry, nodeOptions, label } = operatorEntry(values.dist, values['node-options']);

const bench = await benchControlPlane([
  `--kube-api-qps=${values.qps}`,
  `--kube-api-burst=${values.burst}`,
  '--concurrent-job-syncs=5',
]);
const { client, cp } = bench;
let exitCode = 0;
try {
  const kubeconfig = await operatorKubeconfig(bench);
  execFileSync('bin/kubectl', ['--kubeconfig', cp.kubeconfigPath, 'apply', '--server-side', '-f', 'crds/'], { stdio: 'ignore' });
  execFileSync('bin/kubectl', ['--kubeconfig', cp.kubeconfigPath, 'wait', '--for=condition=Established', '-f', 'crds/'], { stdio: 'ignore' });
  const operator = await runOperator(['--controllers=job', `--kube-api-qps=${values.qps}`, `--kube-api-burst=${values.burst}`], {
    kubeconfig,
    entry,
    nodeOptions,
  });
  const kcm = cp.pids()['kube-controller-manager']!;

  const runOne = async (apiVersion: string, namespace: string, pid: number, user: string) => {
    await client.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace } });
    await waitForDefaultServiceAccount(namespace);
    writeFileSync(`/proc/${pid}/clear_refs`, '5'); // reset the peak-RSS mark
    const before = processUsage(pid);
    const auditFrom = auditWrites(bench.auditLog).size;
    const started = performance.now();
    const startedMs = Date.now();
    const gvk = { group: apiVersion.split('/')[0]!, version: apiVersion.split('/')[1]!, kind: 'Job' };
    await Promise.all(
      Array.from({ length: jobs }, (_, i) =>
        client.create({
          apiVersion,
          kind: 'Job',
          metadata: { name: `bench-${i}`, namespace },
          spec: {
            completions: perJob,
            parallelism,
            template: podTemplate,
          },
        }),
      ),
    );
    for (;;) {
      const list = await client.list<KubeObject & { status?: { conditions?: { type: string; status: string }[] } }>(gvk, { namespace });
      if (list.items.filter((j) => isConditionTrue(j.status?.conditions, 'Complete')).length === jobs) break;
      await new Promise((r) => setTimeout(r, 250));
    }
    const seconds = (performance.now() - started) / 1000;
    const after = processUsage(pid);
    await new Promise((r) => setTimeout(r, 1500)); // let trailing writes land in the audit log
    const events = auditEvents(bench.auditLog, auditFrom);
    const writes = events.filter((e) => e.user === user).length;
    // Writes by verb and resource, rejected ones apart (e.g. "update jobs/status 1234 (409: 56)").
    const byKind = new Map<string, { n: number; rejected: Map<number, number> }>();
    for (const e of events) {
      if (e.user !== user) continue;
      const k = byKind.get(`${e.verb} ${e.resource}`) ?? { n: 0, rejected: new Map<number, number>() };
      k.n++;
      if (e.code >= 400) k.rejected.set(e.code, (k.rejected.get(e.code) ?? 0) + 1);
      byKind.set(`${e.verb} ${e.resource}`, k);
    }
    const timeline = podTimeline(events, namespace, startedMs);
    const breakdown = [...byKind]
      .sort((a, b) => b[1].n - a[1].n)
      .map(([k, v]) => `${k} ${v.n}${v.rejected.size ? ` (${[...v.rejected].map(([c, n]) => `${c}: ${n}`).join(', ')})` : ''}`)
      .join('; ');
    return { seconds, writesPerPod: writes / (perJob * jobs), cpuSeconds: after.cpuSeconds - before.cpuSeconds, peakRssMiB: after.peakRssBytes / 2 ** 20, breakdown, timeline };
  };

  // No controller: the bench's client makes the pods and removes their finalizers, as fast as it can.
  const barePodsRun = async (namespace: string) => {
    await client.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace } });
    await waitForDefaultServiceAccount(namespace);
    const total = perJob * jobs;
    const auditFrom = auditWrites(bench.auditLog).size;
    const released = new Map<string, Promise<unknown>>();
    const stop = new AbortController();
    let allReleased = () => {};
    const done = new Promise<void>((resolve) => (allReleased = resolve));
    let resourceVersion = (await client.list<Pod>(POD, { namespace })).metadata.resourceVersion;
    const watcher = (async () => {
      while (!stop.signal.aborted) {
        try {
          for await (const ev of client.watch(POD, { namespace, resourceVersion, allowWatchBookmarks: true }, stop.signal)) {
            const pod = ev.object as Pod;
            resourceVersion = pod.metadata?.resourceVersion ?? resourceVersion;
            if (ev.type === 'DELETED' || pod.status?.phase !== 'Succeeded' || released.has(pod.metadata.name!)) continue;
            released.set(pod.metadata.name!, client.patch(POD, namespace, pod.metadata.name!, { metadata: { finalizers: null } }, 'merge'));
            if (released.size === total) allReleased();
          }
        } catch (err) {
          if (!stop.signal.aborted) process.stderr.write(`bare pods watch: ${(err as Error).message}; reconnecting\n`);
        }
      }
    })();
    const started = performance.now();
    const startedMs = Date.now();
    await pool(0, total, 100, (i) =>
      client.create<Pod>({
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: `bare-${i}`, namespace, finalizers: ['bench.tentacle.dev/bare'], ...podTemplate.metadata },
        spec: podTemplate.spec,
      }),
    );
    await done;
    await Promise.all(released.values());
    const seconds = (performance.now() - started) / 1000;
    stop.abort();
    await watcher;
    await new Promise((r) => setTimeout(r, 1500)); // let trailing writes land in the audit log
    const events = auditEvents(bench.auditLog, auditFrom);
    const writes = events.filter((e) => e.namespace === namespace && e.resource === 'pods' && (e.verb === 'create' || e.verb === 'patch')).length;
    return { seconds, writesPerPod: writes / total, timeline: podTimeline(events, namespace, startedMs) };
  };

  const runBuiltin = () => runOne('batch/v1', 'bench-builtin', kcm, BUILTIN_USER);
  const runOurs = () => runOne('batch.tentacle.dev/v1alpha1', 'bench-tentacle', operator.child.pid!, OPERATOR_USER);
  const [first, second] = values['ours-first'] ? [runOurs, runBuiltin] : [runBuiltin, runOurs];
  const firstResult = await first();
  await deleteNamespace(values['ours-first'] ? 'bench-tentacle' : 'bench-builtin');
  const secondResult = await second();
  const [builtin, ours] = values['ours-first'] ? [secondResult, firstResult] : [firstResult, secondResult];
  let bare: Awaited<ReturnType<typeof barePodsRun>> | undefined;
  if (values['bare-pods']) {
    await deleteNamespace(values['ours-first'] ? 'bench-builtin' : 'bench-tentacle');
    // With the operator still running, as during the built-in run: both controllers watch these pods too.
    bare = await barePodsRun('bench-bare');
  }
  await operator.stop();

  const row = (name: string, r: typeof ours) =>
    `| ${name} | ${r.seconds.toFixed(1)} | ${r.writesPerPod.toFixed(2)} | ${r.cpuSeconds.toFixed(1)} | ${r.peakRssMiB.toFixed(0)} |`;
  console.log(`\nJob benchmark: ${jobs} jobs × ${perJob} completions (${jobs * perJob} pods), parallelism ${parallelism}, pod duration ${values.duration}, client qps/burst ${values.qps}/${values.burst}, 5 workers each; ${values['ours-first'] ? 'ours' : 'the built-in'} first; operator: ${label}\n`);
  console.log('| controller | time to all Complete (s) | API writes per pod | CPU (s) | peak RSS (MiB) |');
  console.log('|---|---|---|---|---|');
  console.log(row('built-in (kube-controller-manager)', builtin));
  console.log(row('tentacle', ours));
  console.log(
    `| ratio ours / built-in | ${ratio(ours.seconds, builtin.seconds)} | ${ratio(ours.writesPerPod, builtin.writesPerPod)} | ${ratio(ours.cpuSeconds, builtin.cpuSeconds)} | ${ratio(ours.peakRssMiB, builtin.peakRssMiB)} |`,
  );
  if (bare) {
    console.log(`| bare pods: the bench's client, no controller | ${bare.seconds.toFixed(1)} | ${bare.writesPerPod.toFixed(2)} | | |`);
    console.log(`| ratio built-in / bare pods | ${ratio(builtin.seconds, bare.seconds)} | | | |`);
    console.log(`| ratio ours / bare pods | ${ratio(ours.seconds, bare.seconds)} | | | |`);
  }
  console.log(`\nWrites by verb and resource — built-in: ${builtin.breakdown}\n  tentacle: ${ours.breakdown}`);
  console.log(`\nPod writes by every client, s from the Jobs' creation at 10%/50%/90%/last — built-in run: ${builtin.timeline}\n  tentacle run: ${ours.timeline}${bare ? `\n  bare pods run: ${bare.timeline}` : ''}`);
  console.log('\nCPU and peak RSS of the built-in side are the whole kube-controller-manager process (every built-in controller, most of them idle).');
} catch (err) {
  console.error(err);
  exitCode = 1;
} finally {
  await client.close();
  await stopBench(bench);
}
process.exit(exitCode);

/**
 * When each step of the pods' pipeline in `events` happened, in seconds from `startedMs`: the creates
 * and finalizer patches (the controller's), the scheduler's bindings, kwok's status writes.
 */
function podTimeline(events: AuditEvent[], namespace: string, startedMs: number): string {
  const steps = new Map<string, number[]>();
  for (const e of events) {
    if (e.namespace !== namespace || !e.resource.startsWith('pods')) continue;
    const step = `${e.verb} ${e.resource}`;
    const at = steps.get(step) ?? [];
    at.push((e.receivedMs - startedMs) / 1000);
    steps.set(step, at);
  }
  return [...steps].map(([step, at]) => `${step} ${[0.1, 0.5, 0.9, 1].map((q) => quantile(at, q).toFixed(1)).join('/')}`).join('; ');
}

/** Deletes a run's namespace and waits until it is gone, with every pod in it. */
async function deleteNamespace(name: string): Promise<void> {
  const NAMESPACE = { group: '', version: 'v1', kind: 'Namespace' };
  await client.delete(NAMESPACE, '', name);
  await waitFor(async () => (await client.find(NAMESPACE, '', name)) === undefined, { what: `namespace ${name} gone`, timeoutMs: 600_000, intervalMs: 500 });
}

function waitForDefaultServiceAccount(namespace: string): Promise<unknown> {
  return waitFor(() => client.find({ group: '', version: 'v1', kind: 'ServiceAccount' }, namespace, 'default'), {
    what: `ServiceAccount ${namespace}/default`,
    intervalMs: 100,
  });
}
