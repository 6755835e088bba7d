// Idle memory: the operator with every controller, run as the image runs it (node dist/main.js, built
// first), beside kube-controller-manager (every built-in controller) on one empty local control plane.
// After both are up and a settle time, samples both processes' RSS once a second and prints the
// medians, the operator's V8 heap (its nodejs_heap_size_used_bytes metric) and the ratio ours / built-in.
// With --src, the operator runs from the TypeScript sources instead (as `make dev` runs it);
// --node-options passes V8/Node flags to it (e.g. "--max-semi-space-size=1").
//
//   node bench/idle.ts [--seconds 60] [--settle 20] [--src] [--node-options="--max-semi-space-size=1 ..."]
import { parseArgs } from 'node:util';
import { execFileSync } from 'node:child_process';
import { runOperator } from '../test/support/operator.ts';
import { benchControlPlane, heapUsedBytes, MiB, operatorEntry, operatorKubeconfig, quantile, ratio, rssBytes, stopBench } from './support.ts';

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '60' },
    settle: { type: 'string', default: '20' },
    src: { type: 'boolean', default: false },
    'node-options': { type: 'string', default: '' },
  },
});
const { entry, nodeOptions, label } = operatorEntry(!values.src, values['node-options']);


const bench = await benchControlPlane([]);
const { cp } = bench;
let exitCode = 0;
try {
  const kubeconfig = await operatorKubeconfig(bench);
  execFileSync('bin/kubectl', ['--kubeconfig', cp.kubeconfigPath, 'apply', '--server-side', '-f', 'crds/'], { stdio: 'ignore' });
  execFileSync('bin/kubectl', ['--kubeconfig', cp.kubeconfigPath, 'wait', '--for=condition=Established', '-f', 'crds/'], { stdio: 'ignore' });
  const operator = await runOperator([], { kubeconfig, entry, nodeOptions });
  const ours = operator.child.pid!;
  const kcm = cp.pids()['kube-controller-manager']!;
  await new Promise((r) => setTimeout(r, Number(values.settle) * 1000));

  const samples = { ours: [] as number[], kcm: [] as number[], heap: [] as number[] };
  for (let i = 0; i < Number(values.seconds); i++) {
    samples.ours.push(rssBytes(ours));
    samples.kcm.push(rssBytes(kcm));
    samples.heap.push(await heapUsedBytes(operator.metricsPort));
    await new Promise((r) => setTimeout(r, 1000));
  }
  const median = (xs: number[]) => quantile(xs, 0.5);
  console.log(`\nIdle, empty cluster, ${values.seconds} samples after ${values.settle} s (operator: ${label}, every controller)\n`);
  console.log('| process | median RSS (MiB) | min–max RSS (MiB) | V8 heap used (MiB) |');
  console.log('|---|---|---|---|');
  console.log(`| tentacle operator | ${MiB(median(samples.ours))} | ${MiB(Math.min(...samples.ours))}–${MiB(Math.max(...samples.ours))} | ${MiB(median(samples.heap))} |`);
  console.log(`| kube-controller-manager | ${MiB(median(samples.kcm))} | ${MiB(Math.min(...samples.kcm))}–${MiB(Math.max(...samples.kcm))} | |`);
  console.log(`\nRatio ours / built-in (median RSS): ${ratio(median(samples.ours), median(samples.kcm))}`);
  await operator.stop();
} catch (err) {
  console.error(err);
  exitCode = 1;
} finally {
  await stopBench(bench);
}
process.exit(exitCode);
