// Jobs and CronJobs with real containers: the classic manifests (only apiVersion changed) compute π in
// real processes, a failing container backs off exponentially until BackoffLimitExceeded, a deadline kills
// running containers, and the hello CronJob fires, prints, and has its history pruned.
import { describe, test } from '@jest/globals';
import assert from 'node:assert/strict';
import { kubectlJson } from '../support/kube.ts';
import { useNamespace } from '../support/namespace-hooks.ts';
import { waitFor } from '../../src/testing/wait.ts';
import { apply, busyboxJob, condition, example, logs, pods, waitForCondition } from './support.ts';

const seconds = (t: string) => Date.parse(t) / 1000;

/** The most containers of `podList` that ran at the same time (from their start and finish times). */
function maxConcurrent(podList: any[]): number {
  const edges = podList.flatMap((p) => {
    const term = p.status.containerStatuses[0].state.terminated;
    return [
      { t: seconds(term.startedAt), d: 1 },
      { t: seconds(term.finishedAt), d: -1 },
    ];
  });
  // At equal times, finishes before starts: a pod started when another finished did not overlap it.
  edges.sort((a, b) => a.t - b.t || a.d - b.d);
  let now = 0;
  let most = 0;
  for (const e of edges) most = Math.max(most, (now += e.d));
  return most;
}

describe('Jobs on a real node', () => {
  const namespace = useNamespace('rn-batch');

  test('the bc pi Job (parallelism 2, completions 4) completes and every pod prints π', async () => {
    const ns = namespace.name;
    await apply(example('batch/pi-bc-job.yaml'), ns);
    const job = await waitForCondition('tjob', ns, 'pi-bc', 'Complete', 600_000);
    assert.equal(job.status.succeeded, 4);
    const list = await pods(ns, 'job-name=pi-bc');
    assert.equal(list.length, 4);
    for (const pod of list) {
      assert.equal(pod.status.phase, 'Succeeded');
      assert.match(await logs(ns, pod.metadata.name), /^3\.14159265358979323846/);
    }
    assert.ok(maxConcurrent(list) <= 2, 'never more than parallelism=2 containers at once');
  });

  test("the docs' perl pi Job completes and prints π to 2000 digits", async () => {
    const ns = namespace.name;
    await apply(example('batch/pi-job.yaml'), ns);
    await waitForCondition('tjob', ns, 'pi', 'Complete', 600_000);
    const [pod] = await pods(ns, 'job-name=pi');
    const out = (await logs(ns, pod.metadata.name)).trim();
    assert.match(out, /^3\.14159265358979323846/);
    assert.equal(out.length, 2001, '2000 significant digits and the point');
  });

  test('a failing container backs off 10 s, 20 s … and the Job fails with BackoffLimitExceeded', async () => {
    const ns = namespace.name;
    await apply([busyboxJob('fails', 'echo failing; exit 1', { backoffLimit: 2 })], ns);
    const job = await waitForCondition('tjob', ns, 'fails', 'Failed', 300_000);
    assert.equal(condition(job, 'Failed').reason, 'BackoffLimitExceeded');
    assert.equal(job.status.failed, 3);
    const list = (await pods(ns, 'job-name=fails')).sort((a, b) => a.metadata.creationTimestamp.localeCompare(b.metadata.creationTimestamp));
    assert.equal(list.length, 3);
    for (const pod of list) {
      assert.equal(pod.status.phase, 'Failed');
      assert.equal(pod.status.containerStatuses[0].state.terminated.exitCode, 1);
      assert.equal((await logs(ns, pod.metadata.name)).trim(), 'failing');
    }
    // Each retry waits 10 s × 2^(failures − 1) after the last failure (timestamps have whole seconds).
    const gap = (i: number) =>
      seconds(list[i + 1].metadata.creationTimestamp) - seconds(list[i].status.containerStatuses[0].state.terminated.finishedAt);
    assert.ok(gap(0) >= 9, `first retry after ${gap(0)} s, expected about 10 s`);
    assert.ok(gap(1) >= 19, `second retry after ${gap(1)} s, expected about 20 s`);
  });

  test('activeDeadlineSeconds kills the running containers and fails the Job with DeadlineExceeded', async () => {
    const ns = namespace.name;
    await apply(
      [busyboxJob('deadline', 'sleep 600', { parallelism: 2, completions: 2, activeDeadlineSeconds: 15 }, { terminationGracePeriodSeconds: 5 })],
      ns,
    );
    // Both containers really run first.
    await waitFor(async () => {
      const list = await pods(ns, 'job-name=deadline');
      return list.length === 2 && list.every((p) => p.status.containerStatuses?.[0]?.state?.running);
    }, { timeoutMs: 120_000, what: 'two running containers' });
    const job = await waitForCondition('tjob', ns, 'deadline', 'Failed', 120_000);
    assert.equal(condition(job, 'Failed').reason, 'DeadlineExceeded');
    // A pod object goes only once the kubelet has stopped its container (graceful deletion).
    await waitFor(async () => (await pods(ns, 'job-name=deadline')).length === 0, {
      timeoutMs: 60_000,
      what: "the deadline Job's pods gone",
    });
    const done = await kubectlJson(['get', 'tjob', '-n', ns, 'deadline']);
    assert.equal(done.status.active ?? 0, 0);
    assert.equal(done.status.succeeded ?? 0, 0);
  });
});

describe('CronJobs on a real node', () => {
  const namespace = useNamespace('rn-cron');

  test('the hello CronJob fires every minute, its pod prints the message, and history is pruned', async () => {
    const ns = namespace.name;
    // The docs' manifest; the history limit lowered from 3 to 1 so pruning shows after two runs.
    await apply(example('batch/hello-cronjob.yaml', (o) => (o.spec.successfulJobsHistoryLimit = 1)), ns);
    const jobsOf = async () => (await kubectlJson(['get', 'tjob', '-n', ns])).items as any[];
    const complete = (j: any) => condition(j, 'Complete')?.status === 'True';
    const first = await waitFor(async () => (await jobsOf()).find(complete), { timeoutMs: 180_000, intervalMs: 1000, what: 'a first run complete' });
    const [pod] = await pods(ns, `job-name=${first.metadata.name}`);
    assert.match(await logs(ns, pod.metadata.name), /Hello from the Kubernetes cluster/);
    // The next run completes, and only it is kept.
    const kept = await waitFor(async () => {
      const jobs = await jobsOf();
      return jobs.length === 1 && jobs[0].metadata.name !== first.metadata.name && complete(jobs[0]) ? jobs[0] : undefined;
    }, { timeoutMs: 180_000, intervalMs: 1000, what: 'the first run pruned after the second completed' });
    const cron = await kubectlJson(['get', 'tcj', '-n', ns, 'hello']);
    assert.ok(cron.status.lastSuccessfulTime);
    assert.ok(Date.parse(kept.metadata.creationTimestamp) > Date.parse(first.metadata.creationTimestamp));
  });
});
