import { describe, test } from '@jest/globals';
import assert from 'node:assert/strict';
import { decideCronJob, jobName, NEXT_SCHEDULE_DELTA_MS } from '../../../src/controllers/cronjob/decide.ts';
import type { CronJobDecision } from '../../../src/controllers/cronjob/decide.ts';
import { ANNOTATION_CRONJOB_SCHEDULED_TIMESTAMP, API_VERSION } from '../../../src/api/batch/types.ts';
import type { CronJob, CronJobSpec, CronJobStatus, Job } from '../../../src/api/batch/types.ts';
import { rfc3339 } from '../../../src/runtime/util/time.ts';

// Modelled on upstream's TestControllerV2SyncCronJob: an hourly schedule ("0 * * * ?"), times around
// the top of an hour T.
const MIN = 60_000;
const HOUR = 60 * MIN;
const T = Date.parse('2026-05-19T10:00:00Z');
const justBeforeTheHour = T - MIN;
const justAfterTheHour = T + MIN;
const justAfterThePriorHour = T - HOUR + MIN;
const weekAgo = T - 7 * 24 * HOUR - 30 * MIN;

function cronJob(spec: Partial<CronJobSpec> = {}, status?: CronJobStatus, created = justAfterThePriorHour): CronJob {
  return {
    apiVersion: API_VERSION,
    kind: 'CronJob',
    metadata: { name: 'mycronjob', namespace: 'snazzycats', uid: 'cj-uid', creationTimestamp: rfc3339(created) },
    spec: {
      schedule: '0 * * * ?',
      concurrencyPolicy: 'Allow',
      jobTemplate: {
        metadata: { labels: { a: 'b' }, annotations: { x: 'y' } },
        spec: { template: { spec: { containers: [{ name: 'c', image: 'busybox' }], restartPolicy: 'Never' } } },
      },
      ...spec,
    },
    ...(status ? { status } : {}),
  };
}

type State = 'active' | 'Complete' | 'Failed';

function job(scheduled: number, state: State, extra: { completion?: number; uid?: string; annotate?: boolean; created?: number } = {}): Job {
  const name = `mycronjob-${Math.floor(scheduled / MIN)}`;
  const j: Job = {
    apiVersion: API_VERSION,
    kind: 'Job',
    metadata: {
      name,
      namespace: 'snazzycats',
      uid: extra.uid ?? `uid-${name}`,
      creationTimestamp: rfc3339(extra.created ?? scheduled),
      ...(extra.annotate === false ? {} : { annotations: { [ANNOTATION_CRONJOB_SCHEDULED_TIMESTAMP]: rfc3339(scheduled) } }),
      ownerReferences: [{ apiVersion: API_VERSION, kind: 'CronJob', name: 'mycronjob', uid: 'cj-uid', controller: true }],
    },
    spec: { template: { spec: { containers: [] } } },
  };
  if (state !== 'active') {
    j.status = {
      conditions: [{ type: state, status: 'True' }],
      ...(state === 'Complete' ? { completionTime: rfc3339(extra.completion ?? scheduled + 5 * MIN) } : {}),
    };
  }
  return j;
}

const ref = (j: Job) => ({ apiVersion: API_VERSION, kind: 'Job', name: j.metadata.name, namespace: 'snazzycats', uid: j.metadata.uid });

const prevJob = job(T - HOUR, 'active');

interface Want {
  creates?: string[];
  deletes?: [string, 'Replace' | 'History'][];
  active?: string[];
  lastScheduleTime?: number;
  lastSuccessfulTime?: number;
  events?: string[]; // reasons, in order
  requeueAt?: number; // the schedule time requeueAfterMs aims at; undefined = no requeue
}

function check(d: CronJobDecision, now: number, w: Want): void {
  assert.deepEqual(
    d.actions.filter((a) => a.type === 'createJob').map((a) => a.job.metadata.name),
    w.creates ?? [],
    'creates',
  );
  assert.deepEqual(
    d.actions.flatMap((a) => (a.type === 'deleteJob' ? [[a.job.metadata.name, a.reason]] : [])),
    w.deletes ?? [],
    'deletes',
  );
  assert.deepEqual((d.status.active ?? []).map((r) => r.name), w.active ?? [], 'active');
  assert.equal(d.status.lastScheduleTime, w.lastScheduleTime === undefined ? undefined : rfc3339(w.lastScheduleTime), 'lastScheduleTime');
  if (w.lastSuccessfulTime !== undefined) assert.equal(d.status.lastSuccessfulTime, rfc3339(w.lastSuccessfulTime), 'lastSuccessfulTime');
  assert.deepEqual(d.events.map((e) => e.reason), w.events ?? [], 'events');
  if (w.requeueAt === undefined) {
    assert.equal(d.requeueAfterMs, undefined, 'requeueAfterMs');
    assert.equal(d.status.nextScheduleTime, undefined, 'nextScheduleTime');
  } else {
    assert.equal(d.requeueAfterMs, w.requeueAt - now + NEXT_SCHEDULE_DELTA_MS, 'requeueAfterMs');
    assert.equal(d.status.nextScheduleTime, rfc3339(w.requeueAt), 'nextScheduleTime');
  }
}

const name = (t: number): string => `mycronjob-${Math.floor(t / MIN)}`;

describe('decideCronJob scheduling', () => {
  const cases: { name: string; cj: CronJob; jobs?: Job[]; now: number; want: Want }[] = [
    // Never ran.
    { name: 'never ran, not yet time', cj: cronJob(), now: justBeforeTheHour, want: { requeueAt: T } },
    {
      name: 'never ran, one schedule due',
      cj: cronJob(),
      now: justAfterTheHour,
      want: { creates: [name(T)], active: [name(T)], lastScheduleTime: T, requeueAt: T + HOUR },
    },
    {
      name: 'never ran, a few missed: only the most recent runs',
      cj: cronJob({}, undefined, T - 5 * HOUR - 30 * MIN),
      now: justAfterTheHour,
      want: { creates: [name(T)], active: [name(T)], lastScheduleTime: T, requeueAt: T + HOUR },
    },
    {
      name: 'never ran, more than 100 missed: warning, still runs the most recent',
      cj: cronJob({}, undefined, weekAgo),
      now: justAfterTheHour,
      want: { creates: [name(T)], active: [name(T)], lastScheduleTime: T, events: ['TooManyMissedTimes'], requeueAt: T + HOUR },
    },
    {
      name: 'startingDeadlineSeconds bounds the look-back: no TooManyMissedTimes',
      cj: cronJob({ startingDeadlineSeconds: 300 }, undefined, weekAgo),
      now: justAfterTheHour,
      want: { creates: [name(T)], active: [name(T)], lastScheduleTime: T, requeueAt: T + HOUR },
    },
    {
      name: 'deadline passed for the most recent: MissSchedule, no job',
      cj: cronJob({ startingDeadlineSeconds: 30 }),
      now: justAfterTheHour,
      want: { events: ['MissSchedule'], requeueAt: T + HOUR },
    },
    {
      name: 'upstream "prev ran but done, long overdue, past short deadline": runs the time inside the deadline',
      cj: cronJob({ startingDeadlineSeconds: 10 }, { lastScheduleTime: rfc3339(T - HOUR) }),
      now: T + 7 * 24 * HOUR,
      want: { creates: [name(T + 7 * 24 * HOUR)], active: [name(T + 7 * 24 * HOUR)], lastScheduleTime: T + 7 * 24 * HOUR, requeueAt: T + 7 * 24 * HOUR + HOUR },
    },
    {
      name: 'deadline passed after many missed: MissSchedule, not TooManyMissedTimes',
      cj: cronJob({ startingDeadlineSeconds: 30 }, undefined, weekAgo),
      now: justAfterTheHour,
      want: { events: ['MissSchedule'], requeueAt: T + HOUR },
    },
    // Ran previously.
    {
      name: 'ran previously, not yet time',
      cj: cronJob({}, { lastScheduleTime: rfc3339(T - HOUR) }),
      now: justBeforeTheHour,
      want: { lastScheduleTime: T - HOUR, requeueAt: T },
    },
    {
      name: 'ran previously, due',
      cj: cronJob({}, { lastScheduleTime: rfc3339(T - HOUR) }),
      now: justAfterTheHour,
      want: { creates: [name(T)], active: [name(T)], lastScheduleTime: T, requeueAt: T + HOUR },
    },
    {
      name: 'this schedule already processed (lastScheduleTime)',
      cj: cronJob({}, { lastScheduleTime: rfc3339(T) }),
      now: justAfterTheHour,
      want: { lastScheduleTime: T, requeueAt: T + HOUR },
    },
    {
      name: 'status lost but the job exists and runs: adopted, not created twice',
      cj: cronJob(),
      jobs: [job(T, 'active')],
      now: justAfterTheHour,
      want: { active: [name(T)], events: ['UnexpectedJob'], requeueAt: T + HOUR },
    },
    // Concurrency policies with a job still running.
    {
      name: 'Allow, still active: another job',
      cj: cronJob({ concurrencyPolicy: 'Allow' }, { lastScheduleTime: rfc3339(T - HOUR), active: [ref(prevJob)] }),
      jobs: [prevJob],
      now: justAfterTheHour,
      want: { creates: [name(T)], active: [name(T - HOUR), name(T)], lastScheduleTime: T, requeueAt: T + HOUR },
    },
    {
      name: 'Forbid, still active: JobAlreadyActive, status unchanged',
      cj: cronJob({ concurrencyPolicy: 'Forbid' }, { lastScheduleTime: rfc3339(T - HOUR), active: [ref(prevJob)] }),
      jobs: [prevJob],
      now: justAfterTheHour,
      want: { active: [name(T - HOUR)], lastScheduleTime: T - HOUR, events: ['JobAlreadyActive'], requeueAt: T + HOUR },
    },
    {
      name: 'Forbid, nothing active: runs',
      cj: cronJob({ concurrencyPolicy: 'Forbid' }, { lastScheduleTime: rfc3339(T - HOUR) }),
      now: justAfterTheHour,
      want: { creates: [name(T)], active: [name(T)], lastScheduleTime: T, requeueAt: T + HOUR },
    },
    {
      name: 'Replace, still active: delete then create',
      cj: cronJob({ concurrencyPolicy: 'Replace' }, { lastScheduleTime: rfc3339(T - HOUR), active: [ref(prevJob)] }),
      jobs: [prevJob],
      now: justAfterTheHour,
      want: { creates: [name(T)], deletes: [[name(T - HOUR), 'Replace']], active: [name(T)], lastScheduleTime: T, requeueAt: T + HOUR },
    },
    {
      name: 'Replace, nothing active: just create',
      cj: cronJob({ concurrencyPolicy: 'Replace' }, { lastScheduleTime: rfc3339(T - HOUR) }),
      now: justAfterTheHour,
      want: { creates: [name(T)], active: [name(T)], lastScheduleTime: T, requeueAt: T + HOUR },
    },
    {
      name: 'Forbid, the active job just finished: SawCompletedJob, then runs',
      cj: cronJob({ concurrencyPolicy: 'Forbid' }, { lastScheduleTime: rfc3339(T - HOUR), active: [ref(prevJob)] }),
      jobs: [job(T - HOUR, 'Complete', { completion: T - 10 * MIN })],
      now: justAfterTheHour,
      want: {
        creates: [name(T)],
        active: [name(T)],
        lastScheduleTime: T,
        lastSuccessfulTime: T - 10 * MIN,
        events: ['SawCompletedJob'],
        requeueAt: T + HOUR,
      },
    },
    // Suspended, deleted, invalid.
    {
      name: 'suspended: no job, no requeue, status still maintained',
      cj: cronJob({ suspend: true }, { lastScheduleTime: rfc3339(T - HOUR), active: [ref(prevJob)], nextScheduleTime: rfc3339(T) }),
      jobs: [job(T - HOUR, 'Failed')],
      now: justAfterTheHour,
      want: { lastScheduleTime: T - HOUR, events: ['SawCompletedJob'] },
    },
    {
      name: 'CronJob being deleted: no job',
      cj: { ...cronJob(), metadata: { ...cronJob().metadata, deletionTimestamp: rfc3339(T) } },
      now: justAfterTheHour,
      want: {},
    },
    { name: 'unparseable schedule', cj: cronJob({ schedule: 'obvious error schedule' }), now: justAfterTheHour, want: { events: ['InvalidSchedule'] } },
    { name: 'TZ= in schedule', cj: cronJob({ schedule: 'TZ=UTC 0 * * * *' }), now: justAfterTheHour, want: { events: ['InvalidSchedule'] } },
    { name: 'schedule that never fires', cj: cronJob({ schedule: '0 0 30 2 *' }), now: justAfterTheHour, want: { events: ['InvalidSchedule'] } },
    { name: 'unknown time zone', cj: cronJob({ timeZone: 'Nowhere/Atlantis' }), now: justAfterTheHour, want: { events: ['UnknownTimeZone'] } },
    { name: 'unknown time zone while suspended still warns', cj: cronJob({ timeZone: 'Nowhere/Atlantis', suspend: true }), now: justAfterTheHour, want: { events: ['UnknownTimeZone'] } },
    // Time zone.
    {
      name: 'time zone: 06:00 New York (EDT) is 10:00Z',
      cj: cronJob({ schedule: '0 6 * * *', timeZone: 'America/New_York' }, undefined, T - 2 * HOUR),
      now: justAfterTheHour,
      want: { creates: [name(T)], active: [name(T)], lastScheduleTime: T, requeueAt: T + 24 * HOUR },
    },
    // Active list upkeep.
    {
      name: 'listed job vanished: MissingJob, dropped from active',
      cj: cronJob({}, { lastScheduleTime: rfc3339(T - HOUR), active: [ref(prevJob)] }),
      now: justBeforeTheHour,
      want: { lastScheduleTime: T - HOUR, events: ['MissingJob'], requeueAt: T },
    },
    {
      name: 'job being deleted is not active',
      cj: cronJob({ concurrencyPolicy: 'Forbid' }, { lastScheduleTime: rfc3339(T - HOUR), active: [ref(prevJob)] }),
      jobs: [{ ...prevJob, metadata: { ...prevJob.metadata, deletionTimestamp: rfc3339(T - MIN) } }],
      now: justAfterTheHour,
      want: { creates: [name(T)], active: [name(T)], lastScheduleTime: T, requeueAt: T + HOUR },
    },
  ];
  for (const c of cases) {
    test(c.name, () => check(decideCronJob({ cronJob: c.cj, jobs: c.jobs ?? [], now: c.now }), c.now, c.want));
  }
});

describe('decideCronJob requeue', () => {
  // requeueAfterMs is exactly the time until the next schedule time plus the 100ms margin.
  const cases: { name: string; schedule: string; now: number; want: number }[] = [
    { name: 'hourly, mid-hour', schedule: '0 * * * *', now: T + 17 * MIN + 1234, want: T + HOUR + 100 - (T + 17 * MIN + 1234) },
    { name: 'every minute', schedule: '*/1 * * * *', now: T - 30_000, want: 30_100 },
    { name: 'daily at 09:00', schedule: '0 9 * * *', now: T, want: 23 * HOUR + 100 },
  ];
  for (const c of cases) {
    test(c.name, () => {
      const d = decideCronJob({ cronJob: cronJob({ schedule: c.schedule }, undefined, c.now - 10_000), jobs: [], now: c.now });
      assert.deepEqual(d.actions, []);
      assert.equal(d.requeueAfterMs, c.want);
    });
  }
});

describe('decideCronJob history', () => {
  const ok = (h: number) => job(T - h * HOUR, 'Complete');
  const bad = (h: number) => job(T - h * HOUR, 'Failed');
  const cases: { name: string; spec?: Partial<CronJobSpec>; jobs: Job[]; deletes: string[] }[] = [
    { name: 'within the defaults (3 ok, 1 failed)', jobs: [ok(1), ok(2), ok(3), bad(4)], deletes: [] },
    { name: 'defaults: oldest first', jobs: [ok(2), ok(5), ok(1), ok(4), ok(3), bad(7), bad(6)], deletes: [name(T - 5 * HOUR), name(T - 4 * HOUR), name(T - 7 * HOUR)] },
    { name: 'explicit limits', spec: { successfulJobsHistoryLimit: 1, failedJobsHistoryLimit: 2 }, jobs: [ok(1), ok(2), bad(3), bad(4)], deletes: [name(T - 2 * HOUR)] },
    { name: 'limits of zero delete every finished job', spec: { successfulJobsHistoryLimit: 0, failedJobsHistoryLimit: 0 }, jobs: [ok(1), bad(2)], deletes: [name(T - HOUR), name(T - 2 * HOUR)] },
    { name: 'running jobs are never pruned', spec: { successfulJobsHistoryLimit: 0 }, jobs: [job(T - HOUR, 'active'), ok(2)], deletes: [name(T - 2 * HOUR)] },
    {
      name: 'without the annotation: by creation time',
      spec: { successfulJobsHistoryLimit: 1 },
      jobs: [job(T - 3 * HOUR, 'Complete', { annotate: false, created: T - HOUR }), job(T - 2 * HOUR, 'Complete', { annotate: false })],
      deletes: [name(T - 2 * HOUR)],
    },
  ];
  for (const c of cases) {
    test(c.name, () => {
      const cj = cronJob(c.spec ?? {}, { lastScheduleTime: rfc3339(T - HOUR) });
      const d = decideCronJob({ cronJob: cj, jobs: c.jobs, now: justBeforeTheHour });
      assert.deepEqual(
        d.actions.map((a) => [a.type, a.job.metadata.name, a.type === 'deleteJob' ? a.reason : '']),
        c.deletes.map((n) => ['deleteJob', n, 'History']),
      );
    });
  }

  test('lastSuccessfulTime: the newest completion, never moving back', () => {
    const jobs = [job(T - 3 * HOUR, 'Complete', { completion: T - 2 * HOUR - 50 * MIN }), job(T - 2 * HOUR, 'Complete', { completion: T - HOUR - 30 * MIN })];
    const d1 = decideCronJob({ cronJob: cronJob({}, { lastScheduleTime: rfc3339(T - HOUR) }), jobs, now: justBeforeTheHour });
    assert.equal(d1.status.lastSuccessfulTime, rfc3339(T - HOUR - 30 * MIN));
    const d2 = decideCronJob({
      cronJob: cronJob({}, { lastScheduleTime: rfc3339(T - HOUR), lastSuccessfulTime: rfc3339(T - 20 * MIN) }),
      jobs,
      now: justBeforeTheHour,
    });
    assert.equal(d2.status.lastSuccessfulTime, rfc3339(T - 20 * MIN));
  });
});

describe('created Job', () => {
  const cj = cronJob({ schedule: '0 6 * * *', timeZone: 'America/New_York' }, undefined, T - 2 * HOUR);
  const d = decideCronJob({ cronJob: cj, jobs: [], now: justAfterTheHour });
  const create = d.actions.find((a) => a.type === 'createJob');
  assert.ok(create);
  const j = create.job;

  const fields: [string, unknown, unknown][] = [
    ['apiVersion', j.apiVersion, API_VERSION],
    ['kind', j.kind, 'Job'],
    ['name: <cronjob>-<unix minutes>', j.metadata.name, `mycronjob-${T / MIN}`],
    ['jobName helper agrees', j.metadata.name, jobName(cj, T)],
    ['namespace', j.metadata.namespace, 'snazzycats'],
    ['labels from the template', j.metadata.labels, { a: 'b' }],
    ['annotations from the template plus the scheduled time', j.metadata.annotations, { x: 'y', [ANNOTATION_CRONJOB_SCHEDULED_TIMESTAMP]: '2026-05-19T10:00:00Z' }],
    [
      'controller reference',
      j.metadata.ownerReferences,
      [{ apiVersion: API_VERSION, kind: 'CronJob', name: 'mycronjob', uid: 'cj-uid', controller: true, blockOwnerDeletion: true }],
    ],
    ['spec equals the template', j.spec, cj.spec.jobTemplate.spec],
    ['status.active ref', d.status.active, [{ apiVersion: API_VERSION, kind: 'Job', name: `mycronjob-${T / MIN}`, namespace: 'snazzycats' }]],
  ];
  for (const [what, got, want] of fields) test(what, () => assert.deepEqual(got, want));

  test('spec and metadata are copies', () => {
    assert.notEqual(j.spec, cj.spec.jobTemplate.spec);
    assert.notEqual(j.spec.template, cj.spec.jobTemplate.spec.template);
    assert.notEqual(j.metadata.labels, cj.spec.jobTemplate.metadata?.labels);
  });

  test('deterministic: the same decision after a restart', () => {
    const again = decideCronJob({ cronJob: cj, jobs: [], now: justAfterTheHour + 5_000 });
    assert.deepEqual(again.actions, d.actions);
  });

  test('once the job and status are seen, nothing more until the next time', () => {
    const created: Job = { ...j, metadata: { ...j.metadata, uid: 'new-uid', creationTimestamp: rfc3339(justAfterTheHour) } };
    const next = decideCronJob({ cronJob: { ...cj, status: d.status }, jobs: [created], now: justAfterTheHour + 1000 });
    assert.deepEqual(next.actions, []);
    assert.deepEqual(next.events, []);
    assert.deepEqual(next.status.active, [{ ...d.status.active?.[0], uid: 'new-uid' }]);
  });
});
