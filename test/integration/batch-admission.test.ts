// Admission of batch.tentacle.dev Job and CronJob by the CRD schemas alone (OpenAPI + CEL, no operator
// running): the examples are accepted, invalid objects are rejected with a readable message, and the
// API-level defaults of batch/v1 are applied.
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, test } from '@jest/globals';
import { fileURLToPath } from 'node:url';
import { create, getObject, kubectl, kubectlJson } from '../support/kube.ts';
import { useNamespace } from '../support/namespace-hooks.ts';
import { waitFor } from '../../src/testing/wait.ts';

const REPO = fileURLToPath(new URL('../../', import.meta.url));
const CRDS = ['crds/batch.tentacle.dev_jobs.yaml', 'crds/batch.tentacle.dev_cronjobs.yaml'];
const EXAMPLES = join(REPO, 'examples', 'batch');
const API_VERSION = 'batch.tentacle.dev/v1alpha1';

// The CRDs stay installed afterwards: other test files use them.
beforeAll(async () => {
  await kubectl(['apply', '--server-side', '--force-conflicts', ...CRDS.flatMap((f) => ['-f', join(REPO, f)])]);
  for (const name of ['jobs.batch.tentacle.dev', 'cronjobs.batch.tentacle.dev']) {
    await waitFor(
      async () => {
        const crd = await getObject(`/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${name}`);
        return crd?.status?.conditions?.some((c: any) => c.type === 'Established' && c.status === 'True');
      },
      { what: `CRD ${name} Established` },
    );
  }
  // Established can precede discovery by a moment; wait until kubectl can resolve the kinds.
  await waitFor(async () => (await kubectl(['get', 'tjob,tcj', '-A', '--ignore-not-found'])) !== undefined, {
    what: 'tjob and tcj in discovery',
  });
});

const ns = useNamespace('batch-adm');

type Obj = Record<string, any>;

function job(name: string, spec: Obj = {}, podSpec: Obj = {}): Obj {
  const { template, ...rest } = spec;
  return {
    apiVersion: API_VERSION,
    kind: 'Job',
    metadata: { name },
    spec: {
      ...rest,
      template: template ?? {
        spec: { restartPolicy: 'Never', containers: [{ name: 'main', image: 'busybox' }], ...podSpec },
      },
    },
  };
}

function cronJob(name: string, spec: Obj = {}): Obj {
  return {
    apiVersion: API_VERSION,
    kind: 'CronJob',
    metadata: { name },
    spec: {
      schedule: '*/5 * * * *',
      jobTemplate: {
        spec: {
          template: { spec: { restartPolicy: 'OnFailure', containers: [{ name: 'main', image: 'busybox' }] } },
        },
      },
      ...spec,
    },
  };
}

/** Server-side dry-run apply of one object or a file; resolves with kubectl's output. */
function dryRun(input: Obj | { file: string }): Promise<string> {
  const args = ['apply', '-n', ns.name, '--dry-run=server'];
  if ('file' in input) return kubectl([...args, '-f', input.file]);
  return kubectl([...args, '-f', '-'], JSON.stringify(input));
}

async function assertRejected(promise: Promise<unknown>, fragment: string): Promise<void> {
  await assert.rejects(promise, (err: Error) => {
    assert.ok(err.message.includes(fragment), `expected the error to mention ${JSON.stringify(fragment)}, got: ${err.message}`);
    return true;
  });
}

describe('examples', () => {
  const files = readdirSync(EXAMPLES).filter((f) => f.endsWith('.yaml'));

  test('the examples folder has the classic manifests', () => {
    for (const f of ['pi-job.yaml', 'pi-parallel-job.yaml', 'hello-cronjob.yaml', 'indexed-job.yaml']) {
      assert.ok(files.includes(f), f);
    }
  });

  for (const file of files) {
    test(`examples/batch/${file} is accepted`, async () => {
      const out = await dryRun({ file: join(EXAMPLES, file) });
      assert.match(out, /created \(server dry run\)/);
    });
  }
});

describe('invalid objects are rejected with a message a person understands', () => {
  const cases: { name: string; obj: Obj; fragment: string }[] = [
    {
      name: 'restartPolicy Always',
      obj: job('always', {}, { restartPolicy: 'Always' }),
      fragment: 'restartPolicy to "Never" or "OnFailure"',
    },
    {
      name: 'restartPolicy missing (the Pod default, Always)',
      obj: job('no-restart-policy', {}, { restartPolicy: undefined }),
      fragment: 'restartPolicy to "Never" or "OnFailure"',
    },
    {
      name: 'restartPolicy Always in a CronJob jobTemplate',
      obj: cronJob('cj-always', {
        jobTemplate: { spec: { template: { spec: { restartPolicy: 'Always', containers: [{ name: 'c' }] } } } },
      }),
      fragment: 'restartPolicy to "Never" or "OnFailure"',
    },
    { name: 'no containers', obj: job('no-containers', {}, { containers: [] }), fragment: 'spec.template.spec.containers' },
    { name: 'negative parallelism', obj: job('neg-par', { parallelism: -1 }), fragment: 'spec.parallelism' },
    { name: 'negative completions', obj: job('neg-comp', { completions: -1 }), fragment: 'greater than or equal to 0' },
    { name: 'negative backoffLimit', obj: job('neg-backoff', { backoffLimit: -1 }), fragment: 'spec.backoffLimit' },
    {
      name: 'negative activeDeadlineSeconds',
      obj: job('neg-deadline', { activeDeadlineSeconds: -1 }),
      fragment: 'spec.activeDeadlineSeconds',
    },
    {
      name: 'Indexed without completions',
      obj: job('indexed-no-completions', { completionMode: 'Indexed' }),
      fragment: 'completions is required when completionMode is Indexed',
    },
    {
      name: 'backoffLimitPerIndex without Indexed',
      obj: job('per-index-nonindexed', { completions: 2, backoffLimitPerIndex: 1 }),
      fragment: 'backoffLimitPerIndex requires completionMode: Indexed',
    },
    {
      name: 'maxFailedIndexes without backoffLimitPerIndex',
      obj: job('max-failed', { completionMode: 'Indexed', completions: 4, maxFailedIndexes: 1 }),
      fragment: 'maxFailedIndexes can only be set together with backoffLimitPerIndex',
    },
    {
      name: 'successPolicy without Indexed',
      obj: job('success-nonindexed', { completions: 2, successPolicy: { rules: [{ succeededCount: 1 }] } }),
      fragment: 'successPolicy requires completionMode: Indexed',
    },
    {
      name: 'FailIndex without backoffLimitPerIndex',
      obj: job('failindex', {
        completionMode: 'Indexed',
        completions: 4,
        podFailurePolicy: { rules: [{ action: 'FailIndex', onExitCodes: { operator: 'In', values: [42] } }] },
      }),
      fragment: 'FailIndex requires backoffLimitPerIndex',
    },
    {
      name: 'podFailurePolicy with restartPolicy OnFailure',
      obj: job(
        'pfp-onfailure',
        { podFailurePolicy: { rules: [{ action: 'FailJob', onExitCodes: { operator: 'In', values: [42] } }] } },
        { restartPolicy: 'OnFailure' },
      ),
      fragment: 'podFailurePolicy requires the pod template\'s restartPolicy to be "Never"',
    },
    {
      name: 'podFailurePolicy rule with neither onExitCodes nor onPodConditions',
      obj: job('pfp-empty-rule', { podFailurePolicy: { rules: [{ action: 'Ignore' }] } }),
      fragment: 'exactly one of onExitCodes or onPodConditions',
    },
    {
      name: 'manualSelector without selector',
      obj: job('manual-no-selector', { manualSelector: true }),
      fragment: 'selector is required when manualSelector is true',
    },
    {
      name: 'manual selector that does not match the template labels',
      obj: job('manual-mismatch', {
        manualSelector: true,
        selector: { matchLabels: { app: 'a' } },
        template: {
          metadata: { labels: { app: 'b' } },
          spec: { restartPolicy: 'Never', containers: [{ name: 'c' }] },
        },
      }),
      fragment: "selector does not match the pod template's labels",
    },
    {
      name: 'selector without manualSelector',
      obj: job('auto-selector', {
        selector: { matchLabels: { app: 'a' } },
        template: { metadata: { labels: { app: 'a' } }, spec: { restartPolicy: 'Never', containers: [{ name: 'c' }] } },
      }),
      fragment: 'selector is generated by the controller',
    },
    {
      name: 'schedule with TZ=',
      obj: cronJob('tz', { schedule: 'TZ=Europe/Berlin 0 * * * *' }),
      fragment: 'the schedule must not contain TZ or CRON_TZ; use spec.timeZone',
    },
    {
      name: 'schedule with CRON_TZ=',
      obj: cronJob('cron-tz', { schedule: 'CRON_TZ=UTC 0 * * * *' }),
      fragment: 'the schedule must not contain TZ or CRON_TZ; use spec.timeZone',
    },
    {
      name: 'a 4-field schedule',
      obj: cronJob('four-fields', { schedule: '* * * *' }),
      fragment: 'the schedule must be a cron expression with 5 fields',
    },
    {
      name: 'a schedule with an out-of-range minute',
      obj: cronJob('minute-60', { schedule: '60 * * * *' }),
      fragment: 'the schedule must be a cron expression with 5 fields',
    },
    {
      name: 'an unknown macro',
      obj: cronJob('macro', { schedule: '@fortnightly' }),
      fragment: 'the schedule must be a cron expression with 5 fields',
    },
    {
      name: 'negative startingDeadlineSeconds',
      obj: cronJob('neg-start', { startingDeadlineSeconds: -1 }),
      fragment: 'spec.startingDeadlineSeconds',
    },
    {
      name: 'negative successfulJobsHistoryLimit',
      obj: cronJob('neg-history', { successfulJobsHistoryLimit: -1 }),
      fragment: 'spec.successfulJobsHistoryLimit',
    },
    {
      name: 'a time zone that is not an IANA name',
      obj: cronJob('bad-tz', { timeZone: 'Europe//Berlin' }),
      fragment: 'timeZone must be an IANA time zone name',
    },
    {
      name: 'time zone Local',
      obj: cronJob('local-tz', { timeZone: 'Local' }),
      fragment: 'not "Local"',
    },
    {
      name: 'an unknown concurrencyPolicy',
      obj: cronJob('bad-concurrency', { concurrencyPolicy: 'Sometimes' }),
      fragment: 'spec.concurrencyPolicy',
    },
    {
      name: 'a 60-character CronJob name',
      obj: cronJob('c'.repeat(60)),
      fragment: 'no more than 52 characters',
    },
    {
      name: 'a selector in a CronJob jobTemplate',
      obj: cronJob('cj-selector', {
        jobTemplate: {
          spec: {
            selector: { matchLabels: { app: 'a' } },
            template: { spec: { restartPolicy: 'Never', containers: [{ name: 'c' }] } },
          },
        },
      }),
      fragment: 'jobTemplate.spec.selector must not be set',
    },
  ];

  for (const c of cases) {
    test(c.name, async () => {
      await assertRejected(dryRun(c.obj), c.fragment);
    });
  }

  test('valid neighbours of the rejected cases are accepted', async () => {
    const valid = [
      job('deadline-zero', { activeDeadlineSeconds: 0 }),
      job('per-index', {
        completionMode: 'Indexed',
        completions: 4,
        backoffLimitPerIndex: 1,
        maxFailedIndexes: 2,
        podFailurePolicy: { rules: [{ action: 'FailIndex', onExitCodes: { operator: 'In', values: [42] } }] },
      }),
      job('success-policy', { completionMode: 'Indexed', completions: 4, successPolicy: { rules: [{ succeededIndexes: '0-2', succeededCount: 2 }] } }),
      job('manual-match', {
        manualSelector: true,
        selector: { matchLabels: { app: 'a' }, matchExpressions: [{ key: 'tier', operator: 'In', values: ['x', 'y'] }] },
        template: {
          metadata: { labels: { app: 'a', tier: 'y' } },
          spec: { restartPolicy: 'Never', containers: [{ name: 'c' }] },
        },
      }),
      cronJob('macro-daily', { schedule: '@daily' }),
      cronJob('every', { schedule: '@every 1h30m' }),
      cronJob('names', { schedule: '0 9-17/2 1,15 JAN-jun mon-FRI', timeZone: 'America/Argentina/Buenos_Aires' }),
      cronJob('c'.repeat(52), { timeZone: 'Etc/GMT+5' }),
    ];
    for (const obj of valid) await dryRun(obj);
  });
});

describe('defaults and updates', () => {
  test('a minimal Job gets the batch/v1 API defaults', async () => {
    await create(job('minimal'), ns.name);
    const got = await kubectlJson(['get', '-n', ns.name, 'tjob', 'minimal']);
    assert.equal(got.spec.parallelism, 1);
    assert.equal(got.spec.backoffLimit, 6);
    assert.equal(got.spec.completionMode, 'NonIndexed');
    assert.equal(got.spec.suspend, false);
    assert.equal(got.spec.podReplacementPolicy, undefined, 'podReplacementPolicy is defaulted by the controller');
  });

  test('a minimal CronJob gets the batch/v1 API defaults', async () => {
    await create(cronJob('minimal-cj'), ns.name);
    const got = await kubectlJson(['get', '-n', ns.name, 'tcj', 'minimal-cj']);
    assert.equal(got.spec.concurrencyPolicy, 'Allow');
    assert.equal(got.spec.suspend, false);
    assert.equal(got.spec.successfulJobsHistoryLimit, 3);
    assert.equal(got.spec.failedJobsHistoryLimit, 1);
    // Like batch/v1, a CronJob's jobTemplate is not defaulted as a Job.
    assert.equal(got.spec.jobTemplate.spec.parallelism, undefined);
  });

  test('immutable fields cannot change on update', async () => {
    await create(job('immutable', { completions: 2 }), ns.name);
    const patch = (p: Obj) => kubectl(['patch', '-n', ns.name, 'tjob', 'immutable', '--type=merge', '-p', JSON.stringify(p)]);
    await assertRejected(patch({ spec: { completions: 3 } }), 'completions is immutable');
    await assertRejected(patch({ spec: { completionMode: 'Indexed' } }), 'completionMode is immutable');
    await assertRejected(
      patch({ spec: { template: { spec: { containers: [{ name: 'main', image: 'busybox:2' }] } } } }),
      'template is immutable while the Job is not suspended',
    );
    // Mutable fields still are.
    await patch({ spec: { parallelism: 2, activeDeadlineSeconds: 600 } });
  });

  test('the template of a suspended Job can change; an Indexed Job can scale completions with parallelism', async () => {
    await create(job('suspended', { suspend: true, completionMode: 'Indexed', completions: 2, parallelism: 2 }), ns.name);
    const patch = (p: Obj) => kubectl(['patch', '-n', ns.name, 'tjob', 'suspended', '--type=merge', '-p', JSON.stringify(p)]);
    await patch({ spec: { template: { spec: { containers: [{ name: 'main', image: 'busybox:2' }] } } } });
    await patch({ spec: { completions: 5, parallelism: 5 } });
    await assertRejected(patch({ spec: { completions: 6 } }), 'may be changed together with parallelism');
  });

  test('printer columns', async () => {
    const jobs = await kubectl(['get', '-n', ns.name, 'tjob']);
    assert.match(jobs.split('\n')[0] ?? '', /^NAME\s+STATUS\s+COMPLETIONS\s+STARTED\s+AGE$/);
    const cronJobs = await kubectl(['get', '-n', ns.name, 'tcj']);
    assert.match(cronJobs.split('\n')[0] ?? '', /^NAME\s+SCHEDULE\s+TIMEZONE\s+SUSPEND\s+ACTIVE\s+LAST SCHEDULE\s+AGE$/);
    const all = await kubectl(['get', 'tentacle', '-n', ns.name, '-o', 'name']);
    assert.match(all, /job\.batch\.tentacle\.dev\/minimal/);
    assert.match(all, /cronjob\.batch\.tentacle\.dev\/minimal-cj/);
  });
});
