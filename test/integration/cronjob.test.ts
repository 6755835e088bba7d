// The CronJob controller with the Job controller, as the operator process runs them. Schedules are
// real minutes, so the policy tests share one two-minute window.
import { afterAll, beforeAll, describe, jest, test } from '@jest/globals';
import assert from 'node:assert/strict';
import type { Client } from '../../src/runtime/client/client.ts';
import { isConditionTrue } from '../../src/runtime/util/conditions.ts';
import { CRONJOB, JOB, POD, type CronJob, type Job, type Pod } from '../../src/api/batch/types.ts';
import { deleteNamespace, testClient, testNamespace } from '../support/runtime.ts';
import { runOperator, type OperatorProcess } from '../support/operator.ts';
import { waitFor } from '../../src/testing/wait.ts';

jest.setTimeout(400_000);

describe('CronJob controller', () => {
  let client: Client;
  let namespace: string;
  let operator: OperatorProcess;

  beforeAll(async () => {
    client = await testClient();
    namespace = await testNamespace(client, 'cronjob');
    operator = await runOperator(['--controllers=job,cronjob', `--namespace=${namespace}`]);
  });

  afterAll(async () => {
    if (operator) assert.equal(await operator.stop(), 0, operator.output().slice(-2000));
    await deleteNamespace(client, namespace);
    await client.close();
  });

  const cronJob = (name: string, spec: Record<string, unknown>, duration: string, restartPolicy = 'OnFailure'): CronJob => ({
    apiVersion: 'batch.tentacle.dev/v1alpha1',
    kind: 'CronJob',
    metadata: { name, namespace },
    spec: {
      schedule: '*/1 * * * *',
      ...spec,
      jobTemplate: {
        spec: {
          template: {
            metadata: { annotations: { 'sim.tentacle.dev/duration': duration } },
            spec: {
              restartPolicy: restartPolicy as 'OnFailure',
              containers: [{ name: 'hello', image: 'busybox:1.28', command: ['/bin/sh', '-c', 'date; echo Hello from the Kubernetes cluster'] }],
            },
          },
        },
      },
    },
  });

  const jobsOf = async (name: string) =>
    (await client.list<Job>(JOB, { namespace })).items.filter((j) => j.metadata.ownerReferences?.[0]?.name === name);

  test('concurrency policies over two schedule times; hello runs and is recorded', async () => {
    // The four must share their first schedule time, so they are created in one minute: a CronJob
    // created at :00 of the next minute first fires a minute after the others (seen once in CI, on a
    // loaded machine). Creating them well before a minute turns keeps the test's ticks aligned.
    await waitFor(() => new Date().getUTCSeconds() < 40, { what: 'a minute with 20 s to spare', timeoutMs: 25_000 });
    const policies = [
      await client.create(cronJob('hello', {}, '1s')),
      await client.create(cronJob('allow', { concurrencyPolicy: 'Allow' }, '10m')),
      await client.create(cronJob('forbid', { concurrencyPolicy: 'Forbid' }, '10m')),
      await client.create(cronJob('replace', { concurrencyPolicy: 'Replace' }, '10m')),
    ];
    const minutes = new Set(policies.map((cj) => Math.floor(Date.parse(cj.metadata.creationTimestamp!) / 60_000)));
    assert.equal(minutes.size, 1, 'the four CronJobs were created within one minute');

    const created = await client.get<CronJob>(CRONJOB, namespace, 'hello');
    const next = await waitFor(async () => (await client.get<CronJob>(CRONJOB, namespace, 'hello')).status?.nextScheduleTime, {
      what: 'nextScheduleTime',
    });
    assert.ok(Date.parse(next) > Date.parse(created.metadata.creationTimestamp!));
    assert.equal(new Date(next).getUTCSeconds(), 0, 'fires on the minute');

    // First tick: hello's job runs to completion and is recorded.
    const hello = await waitFor(async () => {
      const cj = await client.get<CronJob>(CRONJOB, namespace, 'hello');
      return cj.status?.lastSuccessfulTime ? cj : undefined;
    }, { what: 'hello lastSuccessfulTime', timeoutMs: 150_000 });
    const [job] = await jobsOf('hello');
    assert.ok(job);
    const scheduled = Date.parse(hello.status!.lastScheduleTime!);
    assert.equal(job.metadata.name, `hello-${Math.floor(scheduled / 60_000)}`, 'deterministic name: <cronjob>-<unix minutes>');
    assert.ok(isConditionTrue(job.status?.conditions, 'Complete'));
    const [firstReplace] = await waitFor(async () => {
      const jobs = await jobsOf('replace');
      return jobs.length ? jobs : undefined;
    }, { what: 'the first Replace job' });

    // Second tick for the long-running ones.
    await waitFor(async () => (await jobsOf('allow')).length >= 2, { what: 'Allow: a second concurrent job', timeoutMs: 150_000 });
    const forbid = await jobsOf('forbid');
    assert.equal(forbid.length, 1, 'Forbid: no second job while the first runs');
    const replace = await waitFor(async () => {
      const jobs = (await jobsOf('replace')).filter((j) => !j.metadata.deletionTimestamp);
      return jobs.length === 1 && jobs[0]!.metadata.name !== firstReplace!.metadata.name ? jobs : undefined;
    }, { what: 'Replace: the first job replaced by the second', timeoutMs: 30_000 });
    // The status follows the job changes in the same reconcile, just after them.
    await waitFor(async () => {
      const active = (await client.get<CronJob>(CRONJOB, namespace, 'replace')).status?.active ?? [];
      return active.length === 1 && active[0]!.name === replace[0]!.metadata.name;
    }, { what: 'Replace: status.active lists only the new job', timeoutMs: 10_000 });
    // The replaced job's running pod does not stay Terminating: its tracking finalizer is released.
    await waitFor(async () => {
      const pods = await client.list<Pod>(POD, { namespace, labelSelector: `batch.tentacle.dev/job-name=${firstReplace!.metadata.name}` });
      return pods.items.length === 0;
    }, { what: "Replace: the replaced job's pods gone", timeoutMs: 60_000 });
  });

  test('an invalid time zone is reported with a Warning event, nothing is created', async () => {
    await client.create(cronJob('nowhere', { timeZone: 'Mars/Olympus_Mons' }, '1s'));
    const events = await waitFor(async () => {
      const list = await client.list<{ metadata: object; reason: string; type: string; regarding: { name: string } }>(
        { group: 'events.k8s.io', version: 'v1', kind: 'Event' }, { namespace });
      const found = list.items.filter((e) => e.regarding.name === 'nowhere' && e.type === 'Warning');
      return found.length ? found : undefined;
    }, { what: 'a Warning event for the unknown zone' });
    assert.match(events[0]!.reason, /UnknownTimeZone|InvalidSchedule/);
    assert.equal((await jobsOf('nowhere')).length, 0);
  });
});
