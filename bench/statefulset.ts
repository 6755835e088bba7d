// StatefulSet benchmark: the same workload for the built-in apps/v1 StatefulSet controller
// (kube-controller-manager) and for ours (apps.tentacle.dev), on one control plane, with equal client
// rate limits and worker counts: an OrderedReady rollout of N replicas to all Ready, then a rolling
// update of every pod. Prints the times, API writes per pod, CPU seconds and peak RSS, and the ratios
// ours / built-in.
//
//   node bench/statefulset.ts [--replicas 50] [--sets 1] [--qps 50] [--burst 100]
import { parseArgs } from 'node:util';
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import type { StatefulSet } from '../src/api/apps/types.ts';
import { runOperator } from '../test/support/operator.ts';
import { waitFor } from '../src/testing/wait.ts';
import { OPERATOR_USER, auditWrites, benchControlPlane, operatorKubeconfig, processUsage, ratio, stopBench } from './support.ts';

const { values } = parseArgs({
  options: {
    replicas: { type: 'string', default: '50' },
    sets: { type: 'string', default: '1' },
    qps: { type: 'string', default: '50' },
    burst: { type: 'string', default: '100' },
  },
});
const replicas = Number(values.replicas);
const sets = Number(values.sets);
const BUILTIN_USER = 'system:serviceaccount:kube-system:statefulset-controller';

const bench = await benchControlPlane([`--kube-api-qps=${values.qps}`, `--kube-api-burst=${values.burst}`, '--concurrent-statefulset-syncs=5']);
const { client, cp } = bench;
let exitCode = 0;
try {
  const kubeconfig = await operatorKubeconfig(bench);
  const kubectl = (...args: string[]) => execFileSync('bin/kubectl', ['--kubeconfig', cp.kubeconfigPath, ...args], { stdio: 'ignore' });
  kubectl('apply', '--server-side', '-f', 'crds/');
  kubectl('wait', '--for=condition=Established', '-f', 'crds/');
  const operator = await runOperator(['--controllers=statefulset', `--kube-api-qps=${values.qps}`, `--kube-api-burst=${values.burst}`], { kubeconfig });
  const kcm = cp.pids()['kube-controller-manager']!;

  const runOne = async (apiVersion: string, namespace: string, pid: number, user: string) => {
    const gvk = { group: apiVersion.split('/')[0]!, version: apiVersion.split('/')[1]!, kind: 'StatefulSet' };
    await client.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace } });
    writeFileSync(`/proc/${pid}/clear_refs`, '5'); // reset the peak-RSS mark
    const before = processUsage(pid);
    const auditFrom = auditWrites(bench.auditLog).size;
    const allSets = async () => (await client.list<StatefulSet>(gvk, { namespace })).items;
    const settled = async (revisionChanged: (s: StatefulSet) => boolean) => {
      const items = await allSets();
      return items.length === sets && items.every((s) => {
        const st = s.status;
        if (!st) return false;
        return st.observedGeneration === s.metadata.generation && st.readyReplicas === replicas && st.updatedReplicas === replicas &&
          st.currentRevision === st.updateRevision && revisionChanged(s);
      });
    };
    const started = performance.now();
    await Promise.all(
      Array.from({ length: sets }, (_, i) =>
        client.create({
          apiVersion,
          kind: 'StatefulSet',
          metadata: { name: `web-${i}`, namespace },
          spec: {
            replicas,
            serviceName: 'web',
            selector: { matchLabels: { app: `web-${i}` } },
            template: { metadata: { labels: { app: `web-${i}` } }, spec: { containers: [{ name: 'nginx', image: 'registry.k8s.io/nginx-slim:0.24' }] } },
          },
        }),
      ),
    );
    await waitFor(() => settled(() => true), { what: 'rollout', timeoutMs: 1_800_000, intervalMs: 250 });
    const rolloutSeconds = (performance.now() - started) / 1000;
    const firstRevisions = new Map((await allSets()).map((s) => [s.metadata.name, s.status!.updateRevision]));

    const updateStarted = performance.now();
    await Promise.all(
      Array.from({ length: sets }, (_, i) =>
        client.patch(gvk, namespace, `web-${i}`, { spec: { template: { metadata: { annotations: { version: '2' } } } } }, 'merge'),
      ),
    );
    await waitFor(() => settled((s) => s.status!.updateRevision !== firstRevisions.get(s.metadata.name)), {
      what: 'rolling update',
      timeoutMs: 1_800_000,
      intervalMs: 250,
    });
    const updateSeconds = (performance.now() - updateStarted) / 1000;
    const after = processUsage(pid);
    await new Promise((r) => setTimeout(r, 1500)); // let trailing writes land in the audit log
    const audit = auditWrites(bench.auditLog, auditFrom);
    const writes = audit.byUser.get(user) ?? 0;
    const byResource = [...audit.byUserResource].filter(([k]) => k.startsWith(`${user} `)).map(([k, n]) => `${k.slice(user.length + 1)} ${n}`);
    // Pods written: N created in the rollout, N deleted and N created in the update.
    return { byResource: byResource.join(', '), rolloutSeconds, updateSeconds, writesPerPod: writes / (sets * replicas * 2), cpuSeconds: after.cpuSeconds - before.cpuSeconds, peakRssMiB: after.peakRssBytes / 2 ** 20 };
  };

  const builtin = await runOne('apps/v1', 'bench-builtin', kcm, BUILTIN_USER);
  const ours = await runOne('apps.tentacle.dev/v1alpha1', 'bench-tentacle', operator.child.pid!, OPERATOR_USER);
  await operator.stop();

  type Row = typeof ours;
  const row = (name: string, r: Row) =>
    `| ${name} | ${r.rolloutSeconds.toFixed(1)} | ${r.updateSeconds.toFixed(1)} | ${r.writesPerPod.toFixed(2)} | ${r.cpuSeconds.toFixed(1)} | ${r.peakRssMiB.toFixed(0)} |`;
  console.log(`\nStatefulSet benchmark: ${sets} set(s) × ${replicas} replicas, OrderedReady, then a rolling update of every pod; client qps/burst ${values.qps}/${values.burst}, 5 workers each\n`);
  console.log('| controller | ordered rollout to all Ready (s) | rolling update (s) | API writes per pod created | CPU (s) | peak RSS (MiB) |');
  console.log('|---|---|---|---|---|---|');
  console.log(row('built-in (kube-controller-manager)', builtin));
  console.log(row('tentacle', ours));
  console.log(
    `| ratio ours / built-in | ${ratio(ours.rolloutSeconds, builtin.rolloutSeconds)} | ${ratio(ours.updateSeconds, builtin.updateSeconds)} | ${ratio(ours.writesPerPod, builtin.writesPerPod)} | ${ratio(ours.cpuSeconds, builtin.cpuSeconds)} | ${ratio(ours.peakRssMiB, builtin.peakRssMiB)} |`,
  );
  console.log(`\nWrites by resource — built-in: ${builtin.byResource}; tentacle: ${ours.byResource}`);
  console.log('\nCPU and peak RSS of the built-in side are the whole kube-controller-manager process (every built-in controller, most of them idle).');
} catch (err) {
  console.error(err);
  exitCode = 1;
} finally {
  await client.close();
  await stopBench(bench);
}
process.exit(exitCode);
