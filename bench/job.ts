// Job engine benchmark: the same workload for the built-in batch/v1 Job controller
// (kube-controller-manager) and for ours (batch.tentacle.dev), on one control plane, with equal
// client rate limits and worker counts. Prints time to all-complete, API writes per pod, CPU seconds
// and peak RSS, and the ratios ours / built-in.
//
//   node bench/job.ts [--pods 1000] [--jobs 10] [--parallelism 50] [--qps 50] [--burst 100]
//                     [--dist] [--node-options="--max-semi-space-size=1 ..."]
// --dist runs the operator as the image does (node dist/main.js, built first) rather than from the sources.
import { parseArgs } from 'node:util';
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import type { KubeObject } from '../src/runtime/types.ts';
import { isConditionTrue } from '../src/runtime/util/conditions.ts';
import { runOperator } from '../test/support/operator.ts';
import { waitFor } from '../src/testing/wait.ts';
import { OPERATOR_USER, operatorEntry, auditEvents, auditWrites, benchControlPlane, operatorKubeconfig, processUsage, ratio, stopBench } from './support.ts';

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
  },
});
const pods = Number(values.pods);
const jobs = Number(values.jobs);
const perJob = Math.ceil(pods / jobs);
const parallelism = Number(values.parallelism);
const BUILTIN_USER = 'system:serviceaccount:kube-system:job-controller';

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
            template: {
              metadata: { annotations: { 'sim.tentacle.dev/duration': values.duration } },
              spec: { restartPolicy: 'Never', containers: [{ name: 'work', image: 'busybox' }] },
            },
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
    const writes = auditWrites(bench.auditLog, auditFrom).byUser.get(user) ?? 0;
    // Writes by verb and resource, rejected ones apart (e.g. "update jobs/status 1234 (409: 56)").
    const byKind = new Map<string, { n: number; rejected: Map<number, number> }>();
    for (const e of auditEvents(bench.auditLog, auditFrom)) {
      if (e.user !== user) continue;
      const k = byKind.get(`${e.verb} ${e.resource}`) ?? { n: 0, rejected: new Map<number, number>() };
      k.n++;
      if (e.code >= 400) k.rejected.set(e.code, (k.rejected.get(e.code) ?? 0) + 1);
      byKind.set(`${e.verb} ${e.resource}`, k);
    }
    const breakdown = [...byKind]
      .sort((a, b) => b[1].n - a[1].n)
      .map(([k, v]) => `${k} ${v.n}${v.rejected.size ? ` (${[...v.rejected].map(([c, n]) => `${c}: ${n}`).join(', ')})` : ''}`)
      .join('; ');
    return { seconds, writesPerPod: writes / (perJob * jobs), cpuSeconds: after.cpuSeconds - before.cpuSeconds, peakRssMiB: after.peakRssBytes / 2 ** 20, breakdown };
  };

  const builtin = await runOne('batch/v1', 'bench-builtin', kcm, BUILTIN_USER);
  const ours = await runOne('batch.tentacle.dev/v1alpha1', 'bench-tentacle', operator.child.pid!, OPERATOR_USER);
  await operator.stop();

  const row = (name: string, r: typeof ours) =>
    `| ${name} | ${r.seconds.toFixed(1)} | ${r.writesPerPod.toFixed(2)} | ${r.cpuSeconds.toFixed(1)} | ${r.peakRssMiB.toFixed(0)} |`;
  console.log(`\nJob benchmark: ${jobs} jobs × ${perJob} completions (${jobs * perJob} pods), parallelism ${parallelism}, pod duration ${values.duration}, client qps/burst ${values.qps}/${values.burst}, 5 workers each; operator: ${label}\n`);
  console.log('| controller | time to all Complete (s) | API writes per pod | CPU (s) | peak RSS (MiB) |');
  console.log('|---|---|---|---|---|');
  console.log(row('built-in (kube-controller-manager)', builtin));
  console.log(row('tentacle', ours));
  console.log(
    `| ratio ours / built-in | ${ratio(ours.seconds, builtin.seconds)} | ${ratio(ours.writesPerPod, builtin.writesPerPod)} | ${ratio(ours.cpuSeconds, builtin.cpuSeconds)} | ${ratio(ours.peakRssMiB, builtin.peakRssMiB)} |`,
  );
  console.log(`\nWrites by verb and resource — built-in: ${builtin.breakdown}\n  tentacle: ${ours.breakdown}`);
  console.log('\nCPU and peak RSS of the built-in side are the whole kube-controller-manager process (every built-in controller, most of them idle).');
} catch (err) {
  console.error(err);
  exitCode = 1;
} finally {
  await client.close();
  await stopBench(bench);
}
process.exit(exitCode);

function waitForDefaultServiceAccount(namespace: string): Promise<unknown> {
  return waitFor(() => client.find({ group: '', version: 'v1', kind: 'ServiceAccount' }, namespace, 'default'), {
    what: `ServiceAccount ${namespace}/default`,
    intervalMs: 100,
  });
}
