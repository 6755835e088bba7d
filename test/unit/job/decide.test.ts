import { describe, test } from '@jest/globals';
import assert from 'node:assert/strict';
import {
  ANNOTATION_COMPLETION_INDEX,
  ANNOTATION_INDEX_FAILURE_COUNT,
  FINALIZER_JOB_TRACKING,
} from '../../../src/api/batch/types.ts';
import type { Job, JobCondition, JobSpec, JobStatus, Pod } from '../../../src/api/batch/types.ts';
import { decideJob, withSpecDefaults } from '../../../src/controllers/job/decide.ts';
import type { JobDecision, JobObservation } from '../../../src/controllers/job/decide.ts';
import { backoffDelayMs, remainingBackoffMs } from '../../../src/controllers/job/logic-backoff.ts';
import type { ReadonlyDeep } from '../../../src/runtime/types.ts';
import { rfc3339 } from '../../../src/runtime/util/time.ts';

const NOW = Date.parse('2026-01-01T01:00:00Z');
/** An RFC 3339 time `s` seconds from NOW (negative: in the past). */
const at = (s: number): string => rfc3339(NOW + s * 1000);

function makeJob(spec: Partial<JobSpec> = {}, status?: JobStatus): Job {
  const j: Job = {
    apiVersion: 'batch.tentacle.dev/v1alpha1',
    kind: 'Job',
    metadata: { name: 'job', namespace: 'ns', uid: 'job-uid' },
    spec: { template: { spec: { restartPolicy: 'Never', containers: [{ name: 'c', image: 'i' }] } }, ...spec },
  };
  if (status) j.status = status;
  return j;
}

interface PodOpts {
  phase?: 'Pending' | 'Running' | 'Succeeded' | 'Failed';
  finalizer?: boolean;
  deleting?: boolean;
  ready?: boolean;
  index?: number;
  restarts?: number;
  exitCode?: number;
  /** Seconds from NOW the containers finished. */
  finishedAt?: number;
  created?: number;
  node?: boolean;
  conditions?: { type: string; status: string }[];
  failureCount?: number;
}

function makePod(name: string, o: PodOpts = {}): Pod {
  const phase = o.phase ?? 'Running';
  const pod: Pod = {
    metadata: {
      name,
      namespace: 'ns',
      uid: `uid-${name}`,
      creationTimestamp: at(o.created ?? -600),
      ownerReferences: [{ apiVersion: 'batch.tentacle.dev/v1alpha1', kind: 'Job', name: 'job', uid: 'job-uid', controller: true }],
      finalizers: o.finalizer === false ? [] : [FINALIZER_JOB_TRACKING],
      annotations: {},
    },
    spec: { containers: [{ name: 'c' }], ...(o.node === false ? {} : { nodeName: 'n1' }) },
    status: { phase, conditions: [...(o.conditions ?? [])] },
  };
  if (o.deleting) pod.metadata.deletionTimestamp = at(o.finishedAt ?? -1);
  if (o.ready) pod.status!.conditions!.push({ type: 'Ready', status: 'True', lastTransitionTime: at(-60) });
  if (o.index !== undefined) pod.metadata.annotations![ANNOTATION_COMPLETION_INDEX] = String(o.index);
  if (o.failureCount !== undefined) pod.metadata.annotations![ANNOTATION_INDEX_FAILURE_COUNT] = String(o.failureCount);
  const terminated = phase === 'Succeeded' || phase === 'Failed';
  pod.status!.containerStatuses = [
    {
      name: 'c',
      restartCount: o.restarts ?? 0,
      state: terminated
        ? { terminated: { exitCode: o.exitCode ?? (phase === 'Succeeded' ? 0 : 1), finishedAt: at(o.finishedAt ?? -300) } }
        : { running: { startedAt: at(-500) } },
    },
  ];
  return pod;
}

function decide(job: Job, pods: Pod[], over: Partial<JobObservation> = {}): JobDecision {
  return decideJob({ job, pods, now: NOW, expectationsSatisfied: true, ...over });
}

const namesOf = (pods: readonly ReadonlyDeep<Pod>[]): string[] => pods.map((p) => p.metadata.name ?? '').sort();
const created = (d: JobDecision): Pod[] => d.actions.flatMap((a) => (a.type === 'create' ? a.pods : []));
const deleted = (d: JobDecision): string[] => namesOf(d.actions.flatMap((a) => (a.type === 'delete' ? a.pods : [])));
const released = (d: JobDecision): string[] => namesOf(d.actions.flatMap((a) => (a.type === 'removeFinalizer' ? a.pods : [])));
const createdIndexes = (d: JobDecision): number[] => created(d).map((p) => Number(p.metadata.annotations?.[ANNOTATION_COMPLETION_INDEX]));
const cond = (s: JobStatus, type: string): JobCondition | undefined => s.conditions?.find((c) => c.type === type);
const condTypes = (s: JobStatus): string[] => (s.conditions ?? []).filter((c) => c.status === 'True').map((c) => c.type);

describe('withSpecDefaults', () => {
  test('upstream defaults', () => {
    const d = withSpecDefaults(makeJob().spec);
    assert.equal(d.parallelism, 1);
    assert.equal(d.completions, 1);
    assert.equal(d.backoffLimit, 6);
    assert.equal(d.completionMode, 'NonIndexed');
    assert.equal(d.podReplacementPolicy, 'TerminatingOrFailed');
  });
  test('completions stay unset when parallelism is given; null means unset', () => {
    assert.equal(withSpecDefaults(makeJob({ parallelism: 3 }).spec).completions, undefined);
    assert.equal(withSpecDefaults(makeJob({ parallelism: 3, completions: null }).spec).completions, undefined);
  });
  test('podFailurePolicy → Failed; backoffLimitPerIndex → MaxInt32', () => {
    const d = withSpecDefaults(makeJob({ podFailurePolicy: { rules: [] }, backoffLimitPerIndex: 1 }).spec);
    assert.equal(d.podReplacementPolicy, 'Failed');
    assert.equal(d.backoffLimit, 2_147_483_647);
  });
});

describe('pod creation count', () => {
  const cases: { name: string; spec: Partial<JobSpec>; status?: JobStatus; pods?: Pod[]; want: number; wantIndexes?: number[] }[] = [
    { name: 'defaults: one pod', spec: {}, want: 1 },
    { name: 'parallelism 2 of 5', spec: { parallelism: 2, completions: 5 }, want: 2 },
    { name: 'parallelism capped by completions', spec: { parallelism: 5, completions: 3 }, want: 3 },
    { name: 'remaining completions', spec: { parallelism: 2, completions: 5 }, status: { succeeded: 4 }, want: 1 },
    { name: 'active pods count', spec: { parallelism: 2, completions: 5 }, pods: [makePod('a')], want: 1 },
    { name: 'all done → none', spec: { parallelism: 2, completions: 5 }, status: { succeeded: 5 }, want: 0 },
    { name: 'parallelism 0', spec: { parallelism: 0, completions: 5 }, want: 0 },
    { name: 'completions unset: parallelism', spec: { parallelism: 3 }, want: 3 },
    { name: 'completions unset, after a success: none more', spec: { parallelism: 3 }, status: { succeeded: 1 }, pods: [makePod('a')], want: 0 },
    {
      name: 'finished pods are not active',
      spec: { parallelism: 2, completions: 5 },
      status: { succeeded: 1 },
      pods: [makePod('s', { phase: 'Succeeded', finalizer: false })],
      want: 2,
    },
    { name: 'Indexed: first indexes', spec: { completionMode: 'Indexed', parallelism: 2, completions: 3 }, want: 2, wantIndexes: [0, 1] },
    {
      name: 'Indexed: skips completed and active',
      spec: { completionMode: 'Indexed', parallelism: 5, completions: 5 },
      status: { completedIndexes: '1,3', succeeded: 2 },
      pods: [makePod('a', { index: 0 })],
      want: 2,
      wantIndexes: [2, 4],
    },
    {
      name: 'Indexed: parallelism bounds creations',
      spec: { completionMode: 'Indexed', parallelism: 2, completions: 10 },
      status: { completedIndexes: '0-2', succeeded: 3 },
      want: 2,
      wantIndexes: [3, 4],
    },
  ];
  for (const c of cases) {
    test(c.name, () => {
      const d = decide(makeJob(c.spec, c.status), c.pods ?? []);
      assert.equal(created(d).length, c.want);
      assert.deepEqual(deleted(d), []);
      assert.equal(d.status.active ?? 0, (c.pods ?? []).filter((p) => p.status?.phase === 'Running').length + c.want);
      if (c.wantIndexes) assert.deepEqual(createdIndexes(d), c.wantIndexes);
      for (const p of created(d)) assert.deepEqual(p.metadata.finalizers, [FINALIZER_JOB_TRACKING]);
    });
  }
});

describe('scale down', () => {
  test('excess pods: pending / unscheduled / not-ready / newest first, finalizer released before deletion', () => {
    const pods = [
      makePod('ready-old', { ready: true, created: -900 }),
      makePod('ready-new', { ready: true, created: -100 }),
      makePod('running', {}),
      makePod('pending', { phase: 'Pending' }),
      makePod('unscheduled', { phase: 'Pending', node: false }),
    ];
    const d = decide(makeJob({ parallelism: 2, completions: 10 }), pods);
    assert.deepEqual(deleted(d), ['pending', 'running', 'unscheduled']);
    assert.deepEqual(released(d), ['pending', 'running', 'unscheduled']);
    assert.deepEqual(
      d.actions.map((a) => a.type),
      ['removeFinalizer', 'delete'],
    );
    assert.equal(created(d).length, 0);
    assert.equal(d.status.active, 2);
    assert.equal(d.status.terminating, 3);
    assert.equal(d.status.ready, 2);
    // The released pods are not counted as failures.
    assert.equal(d.status.uncountedTerminatedPods?.failed, undefined);
  });

  test('Indexed: duplicates and out-of-range indexes are removed even without excess', () => {
    const pods = [
      makePod('zero-a', { index: 0, ready: true }),
      makePod('zero-b', { index: 0 }),
      makePod('one', { index: 1 }),
      makePod('nine', { index: 9 }),
      makePod('none', {}),
    ];
    const d = decide(makeJob({ completionMode: 'Indexed', parallelism: 3, completions: 3 }), pods);
    assert.deepEqual(deleted(d), ['nine', 'none', 'zero-b']);
    assert.equal(created(d).length, 0, 'no creations in a sync that deletes');
  });
});

describe('finalizer accounting', () => {
  test('step one: finished pods with the finalizer go to uncounted and are released', () => {
    const pods = [makePod('s', { phase: 'Succeeded' }), makePod('f', { phase: 'Failed' }), makePod('r')];
    const d = decide(makeJob({ parallelism: 2, completions: 3 }), pods);
    assert.deepEqual(d.status.uncountedTerminatedPods, { succeeded: ['uid-s'], failed: ['uid-f'] });
    assert.equal(d.status.succeeded, undefined);
    assert.equal(d.status.failed, undefined);
    assert.deepEqual(released(d), ['f', 's']);
    assert.equal(d.actions.at(-1)?.type, 'removeFinalizer');
    // The success is already known: two completions are left, one pod runs, one more is created.
    assert.equal(created(d).length, 1);
  });

  const stepTwo: { name: string; pods: Pod[]; wantSucceeded?: number; wantFailed?: number; wantUncounted: object; wantReleased: string[] }[] = [
    {
      name: 'finalizer gone → counted',
      pods: [makePod('s', { phase: 'Succeeded', finalizer: false }), makePod('f', { phase: 'Failed', finalizer: false })],
      wantSucceeded: 3,
      wantFailed: 2,
      wantUncounted: {},
      wantReleased: [],
    },
    { name: 'pod gone → counted', pods: [], wantSucceeded: 3, wantFailed: 2, wantUncounted: {}, wantReleased: [] },
    {
      name: 'finalizer still there (seen twice) → stays uncounted, released again, never doubled',
      pods: [makePod('s', { phase: 'Succeeded' }), makePod('f', { phase: 'Failed' })],
      wantSucceeded: 2,
      wantFailed: 1,
      wantUncounted: { succeeded: ['uid-s'], failed: ['uid-f'] },
      wantReleased: ['f', 's'],
    },
  ];
  for (const c of stepTwo) {
    test(`step two: ${c.name}`, () => {
      const status: JobStatus = { succeeded: 2, failed: 1, uncountedTerminatedPods: { succeeded: ['uid-s'], failed: ['uid-f'] } };
      const d = decide(makeJob({ parallelism: 1, completions: 10 }, status), [...c.pods, makePod('r')]);
      assert.equal(d.status.succeeded, c.wantSucceeded);
      assert.equal(d.status.failed, c.wantFailed);
      assert.deepEqual(d.status.uncountedTerminatedPods, c.wantUncounted);
      assert.deepEqual(released(d), c.wantReleased);
    });
  }

  test('a counted pod without finalizer is never counted again', () => {
    const status: JobStatus = { succeeded: 1, uncountedTerminatedPods: {} };
    const d = decide(makeJob({ parallelism: 1, completions: 3 }, status), [makePod('s', { phase: 'Succeeded', finalizer: false }), makePod('r')]);
    assert.equal(d.status.succeeded, 1);
    assert.deepEqual(d.status.uncountedTerminatedPods, {});
    assert.deepEqual(d.actions, []);
  });

  test('Indexed successes are recorded in completedIndexes, not as UIDs', () => {
    const pods = [makePod('p0', { index: 0, phase: 'Succeeded' }), makePod('p2', { index: 2, phase: 'Succeeded' }), makePod('p1', { index: 1 })];
    const d = decide(makeJob({ completionMode: 'Indexed', parallelism: 2, completions: 4 }), pods);
    assert.equal(d.status.completedIndexes, '0,2');
    assert.equal(d.status.succeeded, 2);
    assert.deepEqual(d.status.uncountedTerminatedPods, {});
    assert.deepEqual(released(d), ['p0', 'p2']);
    assert.deepEqual(createdIndexes(d), [3]);
    // Seen again with the finalizer: still two.
    const again = decide(makeJob({ completionMode: 'Indexed', parallelism: 2, completions: 4 }, d.status), [...pods, makePod('p3', { index: 3 })]);
    assert.equal(again.status.succeeded, 2);
    assert.equal(again.status.completedIndexes, '0,2');
  });
});

/** Runs decisions against a fake API: status writes, finalizer removals, deletions, creations. */
class Sim {
  job: Job;
  pods: Pod[] = [];
  now = NOW;
  private seq = 0;
  decisions: JobDecision[] = [];
  constructor(job: Job) {
    this.job = job;
  }
  step(): JobDecision {
    const d = decideJob({ job: this.job, pods: this.pods.map((p) => structuredClone(p)), now: this.now, expectationsSatisfied: true });
    this.decisions.push(d);
    this.job = { ...this.job, status: structuredClone(d.status) };
    for (const a of d.actions) {
      for (const p of a.pods) {
        if (a.type === 'create') {
          const name = `p${this.seq++}`;
          const pod = p as Pod; // a creation's pods are new, mutable objects
          this.pods.push({ ...pod, metadata: { ...pod.metadata, name, uid: `uid-${name}`, creationTimestamp: rfc3339(this.now) }, status: { phase: 'Pending' } });
          continue;
        }
        const live = this.pods.find((x) => x.metadata.uid === p.metadata.uid);
        if (!live) continue;
        if (a.type === 'removeFinalizer') live.metadata.finalizers = (live.metadata.finalizers ?? []).filter((f) => f !== FINALIZER_JOB_TRACKING);
        else live.metadata.deletionTimestamp = rfc3339(this.now);
      }
    }
    // Deleted pods terminate at once; objects without finalizers that are being deleted disappear.
    for (const p of this.pods) if (p.metadata.deletionTimestamp && p.status?.phase !== 'Succeeded') p.status = { phase: 'Failed' };
    this.pods = this.pods.filter((p) => !(p.metadata.deletionTimestamp && !(p.metadata.finalizers ?? []).length));
    return d;
  }
  finishPod(name: string, phase: 'Succeeded' | 'Failed'): void {
    const p = this.pods.find((x) => x.metadata.name === name)!;
    p.status = { phase, containerStatuses: [{ name: 'c', state: { terminated: { exitCode: phase === 'Succeeded' ? 0 : 1, finishedAt: rfc3339(this.now) } } }] };
  }
  running(): string[] {
    return this.pods.filter((p) => p.status?.phase === 'Pending' && !p.metadata.deletionTimestamp).map((p) => p.metadata.name!);
  }
}

describe('end to end with a fake API', () => {
  test('NonIndexed 3 completions, parallelism 2: exactly three successes counted, then Complete', () => {
    const sim = new Sim(makeJob({ parallelism: 2, completions: 3 }));
    sim.step();
    assert.deepEqual(sim.running(), ['p0', 'p1']);
    sim.finishPod('p0', 'Succeeded');
    sim.finishPod('p1', 'Succeeded');
    for (let i = 0; i < 3; i++) sim.step(); // repeated syncs must not double count
    assert.equal(sim.job.status?.succeeded, 2);
    assert.deepEqual(sim.running(), ['p2']);
    sim.finishPod('p2', 'Succeeded');
    for (let i = 0; i < 3; i++) sim.step();
    const s = sim.job.status ?? {};
    assert.equal(s.succeeded, 3);
    assert.equal(s.failed, undefined);
    assert.deepEqual(condTypes(s), ['SuccessCriteriaMet', 'Complete']);
    assert.equal(cond(s, 'Complete')?.reason, 'CompletionsReached');
    assert.equal(s.completionTime, rfc3339(NOW));
    const events = sim.decisions.flatMap((d) => d.events.map((e) => e.reason));
    assert.deepEqual(events, ['Completed']);
    assert.ok(sim.pods.every((p) => !(p.metadata.finalizers ?? []).length));
  });

  test('backoffLimit 1 (Never): FailureTarget, active pods deleted and counted, then Failed without completionTime', () => {
    const sim = new Sim(makeJob({ parallelism: 2, completions: 5, backoffLimit: 1 }));
    sim.step();
    sim.finishPod('p0', 'Failed');
    sim.now += 3_600_000; // past any pod-failure backoff
    sim.step();
    assert.equal(sim.job.status?.failed ?? 0, 0);
    assert.deepEqual(sim.job.status?.uncountedTerminatedPods, { failed: ['uid-p0'] });
    sim.step(); // p0 counted; replacement created after backoff
    assert.equal(sim.job.status?.failed, 1);
    const running = sim.running();
    assert.equal(running.length, 2);
    sim.finishPod(running[0]!, 'Failed');
    const d = sim.step();
    assert.deepEqual(condTypes(d.status), ['FailureTarget']);
    assert.equal(cond(d.status, 'FailureTarget')?.reason, 'BackoffLimitExceeded');
    assert.deepEqual(deleted(d), [running[1]!]);
    for (let i = 0; i < 3; i++) sim.step();
    const s = sim.job.status ?? {};
    assert.deepEqual(condTypes(s), ['FailureTarget', 'Failed']);
    assert.equal(cond(s, 'Failed')?.reason, 'BackoffLimitExceeded');
    assert.equal(s.failed, 3, 'the two failures plus the pod deleted when failing');
    assert.equal(s.completionTime, undefined);
    assert.equal(sim.pods.filter((p) => !p.metadata.deletionTimestamp && p.status?.phase === 'Pending').length, 0);
    const warnings = sim.decisions.flatMap((d2) => d2.events).filter((e) => e.type === 'Warning');
    assert.deepEqual(warnings, [{ type: 'Warning', reason: 'BackoffLimitExceeded', message: 'Job has reached the specified backoff limit' }]);
  });
});

describe('backoffLimit', () => {
  const cases: { name: string; spec: Partial<JobSpec>; status?: JobStatus; pods: Pod[]; wantFail: boolean }[] = [
    { name: 'Never: failures == limit is fine', spec: { backoffLimit: 2, parallelism: 1, completions: 5 }, status: { failed: 2 }, pods: [], wantFail: false },
    { name: 'Never: counted + new > limit', spec: { backoffLimit: 2, parallelism: 1, completions: 5 }, status: { failed: 2 }, pods: [makePod('f', { phase: 'Failed' })], wantFail: true },
    {
      name: 'Never: uncounted count too',
      spec: { backoffLimit: 1, parallelism: 1, completions: 5 },
      status: { failed: 1, uncountedTerminatedPods: { failed: ['uid-f'] } },
      pods: [makePod('f', { phase: 'Failed' })],
      wantFail: true,
    },
    {
      name: 'OnFailure: restarts reach limit',
      spec: { backoffLimit: 3, parallelism: 2, completions: 5, template: { spec: { restartPolicy: 'OnFailure', containers: [{ name: 'c' }] } } },
      pods: [makePod('a', { restarts: 2 }), makePod('b', { restarts: 1 })],
      wantFail: true,
    },
    {
      name: 'OnFailure: restarts below limit',
      spec: { backoffLimit: 4, parallelism: 2, completions: 5, template: { spec: { restartPolicy: 'OnFailure', containers: [{ name: 'c' }] } } },
      pods: [makePod('a', { restarts: 2 }), makePod('b', { restarts: 1 })],
      wantFail: false,
    },
    {
      name: 'OnFailure: limit 0, any restart',
      spec: { backoffLimit: 0, parallelism: 1, completions: 5, template: { spec: { restartPolicy: 'OnFailure', containers: [{ name: 'c' }] } } },
      pods: [makePod('a', { restarts: 1 })],
      wantFail: true,
    },
  ];
  for (const c of cases) {
    test(c.name, () => {
      const d = decide(makeJob(c.spec, c.status), c.pods);
      const target = cond(d.status, 'FailureTarget');
      assert.equal(target?.status === 'True', c.wantFail);
      if (c.wantFail) {
        assert.equal(target?.reason, 'BackoffLimitExceeded');
        assert.equal(created(d).length, 0);
        assert.deepEqual(deleted(d), namesOf(c.pods.filter((p) => p.status?.phase === 'Running')));
        assert.equal(cond(d.status, 'Failed'), undefined, 'Failed waits for the pods to be counted and gone');
      }
    });
  }

  test('Failed once nothing is left: no completionTime, Warning event', () => {
    const status: JobStatus = {
      failed: 3,
      uncountedTerminatedPods: {},
      conditions: [{ type: 'FailureTarget', status: 'True', reason: 'BackoffLimitExceeded', message: 'Job has reached the specified backoff limit' }],
    };
    const d = decide(makeJob({ backoffLimit: 2, ttlSecondsAfterFinished: 30 }, status), [makePod('f', { phase: 'Failed', finalizer: false })]);
    assert.deepEqual(condTypes(d.status), ['FailureTarget', 'Failed']);
    assert.equal(cond(d.status, 'Failed')?.lastTransitionTime, rfc3339(NOW));
    assert.equal(d.status.completionTime, undefined);
    assert.deepEqual(d.events, [{ type: 'Warning', reason: 'BackoffLimitExceeded', message: 'Job has reached the specified backoff limit' }]);
    assert.equal(d.requeueAfterMs, 30_000);
  });

  test('terminating pods delay Failed', () => {
    const status: JobStatus = { failed: 3, conditions: [{ type: 'FailureTarget', status: 'True', reason: 'BackoffLimitExceeded', message: 'm' }] };
    const d = decide(makeJob({ backoffLimit: 2 }, status), [makePod('t', { deleting: true, finalizer: false })]);
    assert.equal(cond(d.status, 'Failed'), undefined);
    assert.equal(d.status.terminating, 1);
  });
});

describe('pod failure backoff', () => {
  const delays: [number, number][] = [
    [0, 0],
    [1, 10_000],
    [2, 20_000],
    [3, 40_000],
    [5, 160_000],
    [6, 320_000],
    [7, 360_000],
    [30, 360_000],
  ];
  for (const [n, want] of delays) test(`delay after ${n} failures`, () => assert.equal(backoffDelayMs(n), want));

  test('remaining', () => {
    assert.equal(remainingBackoffMs(2, NOW - 5_000, NOW), 15_000);
    assert.equal(remainingBackoffMs(2, NOW - 20_000, NOW), 0);
    assert.equal(remainingBackoffMs(2, NOW - 25_000, NOW), 0);
    assert.equal(remainingBackoffMs(0, NOW, NOW), 0);
  });

  const cases: { name: string; pods: Pod[]; wantCreate: number; wantRequeue?: number }[] = [
    { name: 'one failure 4 s ago: wait 6 s', pods: [makePod('f', { phase: 'Failed', finishedAt: -4 })], wantCreate: 0, wantRequeue: 6_000 },
    {
      name: 'two failures, last 5 s ago: wait 15 s',
      pods: [makePod('f1', { phase: 'Failed', finishedAt: -30 }), makePod('f2', { phase: 'Failed', finishedAt: -5 })],
      wantCreate: 0,
      wantRequeue: 15_000,
    },
    { name: 'backoff over: create', pods: [makePod('f', { phase: 'Failed', finishedAt: -11 })], wantCreate: 1 },
    {
      name: 'a later success resets the count',
      pods: [makePod('f', { phase: 'Failed', finishedAt: -4 }), makePod('s', { phase: 'Succeeded', finishedAt: -2 })],
      wantCreate: 1,
    },
    {
      name: 'failures after the success count',
      pods: [makePod('s', { phase: 'Succeeded', finishedAt: -30 }), makePod('f', { phase: 'Failed', finishedAt: -4 })],
      wantCreate: 0,
      wantRequeue: 6_000,
    },
    {
      name: 'counted failures without finalizer still back off',
      pods: [makePod('f', { phase: 'Failed', finishedAt: -4, finalizer: false })],
      wantCreate: 0,
      wantRequeue: 6_000,
    },
  ];
  for (const c of cases) {
    test(c.name, () => {
      const d = decide(makeJob({ parallelism: 1, completions: 5 }), c.pods);
      assert.equal(created(d).length, c.wantCreate);
      assert.equal(d.requeueAfterMs, c.wantRequeue);
    });
  }
});

describe('activeDeadlineSeconds', () => {
  test('exceeded: FailureTarget DeadlineExceeded, active pods deleted', () => {
    const d = decide(makeJob({ activeDeadlineSeconds: 60, parallelism: 2, completions: 5 }, { startTime: at(-100) }), [makePod('a'), makePod('b')]);
    assert.equal(cond(d.status, 'FailureTarget')?.reason, 'DeadlineExceeded');
    assert.equal(cond(d.status, 'FailureTarget')?.message, 'Job was active longer than specified deadline');
    assert.deepEqual(deleted(d), ['a', 'b']);
    assert.deepEqual(d.status.uncountedTerminatedPods, { failed: ['uid-a', 'uid-b'] });
    assert.deepEqual(released(d), ['a', 'b']);
    assert.equal(d.status.active, undefined);
    assert.equal(d.status.terminating, 2);
  });
  test('not yet: requeue at the deadline', () => {
    const d = decide(makeJob({ activeDeadlineSeconds: 200 }, { startTime: at(-100) }), [makePod('a')]);
    assert.equal(cond(d.status, 'FailureTarget'), undefined);
    assert.equal(d.requeueAfterMs, 100_000);
  });
  test('new job: startTime set now, requeue after the whole deadline', () => {
    const d = decide(makeJob({ activeDeadlineSeconds: 30 }), []);
    assert.equal(d.status.startTime, rfc3339(NOW));
    assert.equal(d.requeueAfterMs, 30_000);
  });
  test('suspended: no deadline', () => {
    const d = decide(makeJob({ activeDeadlineSeconds: 30, suspend: true }, { startTime: at(-100) }), []);
    assert.equal(cond(d.status, 'FailureTarget'), undefined);
    assert.equal(d.requeueAfterMs, undefined);
  });
});

describe('suspend and resume', () => {
  test('suspend: release and delete active pods, Suspended=True, event once', () => {
    const d = decide(makeJob({ suspend: true, parallelism: 2, completions: 4 }, { startTime: at(-50) }), [makePod('a'), makePod('b'), makePod('s', { phase: 'Succeeded' })]);
    assert.deepEqual(deleted(d), ['a', 'b']);
    assert.deepEqual(released(d), ['a', 'b', 's']);
    assert.equal(d.actions.find((a) => a.type === 'delete')?.type === 'delete' && d.actions.find((a) => a.type === 'delete')!.pods.length, 2);
    assert.deepEqual(d.status.uncountedTerminatedPods, { succeeded: ['uid-s'] }, 'suspension deletes are not failures');
    const c = cond(d.status, 'Suspended');
    assert.deepEqual(c, { type: 'Suspended', status: 'True', reason: 'JobSuspended', message: 'Job suspended', lastTransitionTime: rfc3339(NOW), lastProbeTime: rfc3339(NOW) });
    assert.deepEqual(d.events, [{ type: 'Normal', reason: 'Suspended', message: 'Job suspended' }]);
    assert.equal(d.status.active, undefined);
    // Again later: no change, no event.
    const again = decideJob({ job: makeJob({ suspend: true, parallelism: 2, completions: 4 }, d.status), pods: [], now: NOW + 10_000, expectationsSatisfied: true });
    assert.deepEqual(cond(again.status, 'Suspended'), c);
    assert.deepEqual(again.events, []);
  });

  test('created suspended: no startTime, no pods', () => {
    const d = decide(makeJob({ suspend: true }), []);
    assert.equal(d.status.startTime, undefined);
    assert.equal(created(d).length, 0);
    assert.equal(cond(d.status, 'Suspended')?.status, 'True');
  });

  test('resume: Suspended=False, startTime reset, pods created, deadline counted from now', () => {
    const status: JobStatus = {
      startTime: at(-1000),
      conditions: [{ type: 'Suspended', status: 'True', reason: 'JobSuspended', message: 'Job suspended', lastTransitionTime: at(-900), lastProbeTime: at(-900) }],
    };
    const d = decide(makeJob({ parallelism: 2, completions: 2, activeDeadlineSeconds: 60 }, status), []);
    assert.equal(created(d).length, 2);
    assert.equal(d.status.startTime, rfc3339(NOW));
    assert.deepEqual(cond(d.status, 'Suspended'), {
      type: 'Suspended',
      status: 'False',
      reason: 'JobResumed',
      message: 'Job resumed',
      lastTransitionTime: rfc3339(NOW),
      lastProbeTime: rfc3339(NOW),
    });
    assert.deepEqual(d.events, [{ type: 'Normal', reason: 'Resumed', message: 'Job resumed' }]);
    assert.equal(cond(d.status, 'FailureTarget'), undefined);
    assert.equal(d.requeueAfterMs, 60_000);
  });

  test('never suspended: no Suspended=False condition added', () => {
    const d = decide(makeJob({}), []);
    assert.equal(cond(d.status, 'Suspended'), undefined);
  });
});

describe('podFailurePolicy', () => {
  const policy = {
    rules: [
      { action: 'FailJob' as const, onExitCodes: { containerName: 'c', operator: 'In' as const, values: [42] } },
      { action: 'Ignore' as const, onPodConditions: [{ type: 'DisruptionTarget' }] },
      { action: 'Count' as const, onExitCodes: { operator: 'NotIn' as const, values: [42, 7] } },
    ],
  };
  const spec = { podFailurePolicy: policy, parallelism: 1, completions: 3, backoffLimit: 1 };

  test('FailJob on exit code: FailureTarget PodFailurePolicy with upstream message', () => {
    const d = decide(makeJob(spec), [makePod('f', { phase: 'Failed', exitCode: 42 }), makePod('r')]);
    const c = cond(d.status, 'FailureTarget');
    assert.equal(c?.reason, 'PodFailurePolicy');
    assert.equal(c?.message, 'Container c for pod ns/f failed with exit code 42 matching FailJob rule at index 0');
    assert.deepEqual(deleted(d), ['r']);
  });

  test('Ignore on DisruptionTarget: released, not counted, replaced', () => {
    const f = makePod('f', { phase: 'Failed', exitCode: 137, conditions: [{ type: 'DisruptionTarget', status: 'True' }], finishedAt: -100 });
    const d = decide(makeJob(spec, { failed: 1 }), [f]);
    assert.equal(cond(d.status, 'FailureTarget'), undefined);
    assert.deepEqual(d.status.uncountedTerminatedPods, {});
    assert.deepEqual(released(d), ['f']);
    assert.equal(created(d).length, 1);
  });

  test('Count: counted toward backoffLimit', () => {
    const d = decide(makeJob(spec, { failed: 1 }), [makePod('f', { phase: 'Failed', exitCode: 3 })]);
    assert.equal(cond(d.status, 'FailureTarget')?.reason, 'BackoffLimitExceeded');
  });

  test('with a podFailurePolicy, terminating pods are not failures and are not replaced', () => {
    const d = decide(makeJob(spec), [makePod('t', { deleting: true })]);
    assert.deepEqual(d.status.uncountedTerminatedPods, {});
    assert.deepEqual(released(d), []);
    assert.equal(created(d).length, 0);
    assert.equal(d.status.terminating, 1);
  });

  test('FailIndex with backoffLimitPerIndex marks the index failed', () => {
    const s: Partial<JobSpec> = {
      completionMode: 'Indexed',
      completions: 3,
      parallelism: 3,
      backoffLimitPerIndex: 5,
      podFailurePolicy: { rules: [{ action: 'FailIndex', onExitCodes: { operator: 'In', values: [3] } }] },
    };
    const d = decide(makeJob(s), [makePod('p1', { index: 1, phase: 'Failed', exitCode: 3, failureCount: 0 }), makePod('p0', { index: 0 }), makePod('p2', { index: 2 })]);
    assert.equal(d.status.failedIndexes, '1');
    assert.deepEqual(d.status.uncountedTerminatedPods, { failed: ['uid-p1'] });
    assert.deepEqual(released(d), ['p1']);
    assert.equal(created(d).length, 0);
  });
});

describe('Indexed success and successPolicy', () => {
  test('all indexes done: SuccessCriteriaMet and Complete at once', () => {
    const pods = [0, 1, 2].map((i) => makePod(`p${i}`, { index: i, phase: 'Succeeded' }));
    const d = decide(makeJob({ completionMode: 'Indexed', completions: 3, parallelism: 3 }, { completedIndexes: '0', succeeded: 1 }), pods);
    assert.equal(d.status.completedIndexes, '0-2');
    assert.equal(d.status.succeeded, 3);
    assert.deepEqual(condTypes(d.status), ['SuccessCriteriaMet', 'Complete']);
    assert.equal(d.status.completionTime, rfc3339(NOW));
    assert.deepEqual(d.events, [{ type: 'Normal', reason: 'Completed', message: 'Job completed' }]);
  });

  const policyCases: { name: string; rules: { succeededIndexes?: string; succeededCount?: number }[]; done: number[]; want?: string }[] = [
    { name: 'succeededIndexes all met', rules: [{ succeededIndexes: '0,2' }], done: [0, 2], want: 'Matched rules at index 0' },
    { name: 'succeededIndexes not all', rules: [{ succeededIndexes: '0-2' }], done: [0, 2] },
    { name: 'succeededIndexes with count', rules: [{ succeededIndexes: '0-3', succeededCount: 2 }], done: [1, 3], want: 'Matched rules at index 0' },
    { name: 'count only', rules: [{ succeededIndexes: '4' }, { succeededCount: 2 }], done: [0, 5], want: 'Matched rules at index 1' },
    { name: 'count not reached', rules: [{ succeededCount: 3 }], done: [0, 5] },
  ];
  for (const c of policyCases) {
    test(`successPolicy: ${c.name}`, () => {
      const pods = c.done.map((i) => makePod(`p${i}`, { index: i, phase: 'Succeeded' }));
      const running = makePod('r', { index: 4 });
      const d = decide(makeJob({ completionMode: 'Indexed', completions: 6, parallelism: 1, successPolicy: { rules: c.rules } }), [...pods, running]);
      const scm = cond(d.status, 'SuccessCriteriaMet');
      if (!c.want) {
        assert.equal(scm, undefined);
        return;
      }
      assert.equal(scm?.reason, 'SuccessPolicy');
      assert.equal(scm?.message, c.want);
      assert.deepEqual(deleted(d), ['r']);
      assert.ok(released(d).includes('r'));
      assert.deepEqual(d.status.uncountedTerminatedPods, {}, 'pods deleted on success are not failures');
      assert.equal(cond(d.status, 'Complete'), undefined, 'Complete waits for the deleted pod');
      const next = decide(makeJob({ completionMode: 'Indexed', completions: 6, parallelism: 1, successPolicy: { rules: c.rules } }, d.status), []);
      assert.equal(cond(next.status, 'Complete')?.reason, 'SuccessPolicy');
      assert.equal(next.status.completionTime, rfc3339(NOW));
    });
  }
});

describe('backoffLimitPerIndex and maxFailedIndexes', () => {
  const base: Partial<JobSpec> = { completionMode: 'Indexed', completions: 4, parallelism: 4, backoffLimitPerIndex: 1 };

  test('index failing past its limit is failed; the others keep running', () => {
    const pods = [makePod('p1', { index: 1, phase: 'Failed', failureCount: 1 }), makePod('p0', { index: 0 }), makePod('p2', { index: 2 }), makePod('p3', { index: 3 })];
    const d = decide(makeJob(base), pods);
    assert.equal(d.status.failedIndexes, '1');
    assert.equal(cond(d.status, 'FailureTarget'), undefined);
    assert.deepEqual(released(d), ['p1']);
    assert.equal(created(d).length, 0, 'a failed index is not retried');
  });

  test('maxFailedIndexes exceeded', () => {
    const pods = [makePod('p1', { index: 1, phase: 'Failed', failureCount: 1 }), makePod('p0', { index: 0 })];
    const d = decide(makeJob({ ...base, maxFailedIndexes: 0 }), pods);
    assert.equal(cond(d.status, 'FailureTarget')?.reason, 'MaxFailedIndexesExceeded');
    assert.deepEqual(deleted(d), ['p0']);
  });

  test('all indexes finished with some failed: FailedIndexes', () => {
    const pods = [makePod('p1', { index: 1, phase: 'Failed', failureCount: 1 })];
    const d = decide(makeJob(base, { completedIndexes: '0,2,3', succeeded: 3 }), pods);
    assert.equal(cond(d.status, 'FailureTarget')?.reason, 'FailedIndexes');
  });

  test('failure within the limit: finalizer kept until the replacement exists, backoff per index', () => {
    const failedPod = makePod('p1', { index: 1, phase: 'Failed', failureCount: 0, finishedAt: -4 });
    const others = [makePod('p0', { index: 0 }), makePod('p2', { index: 2 }), makePod('p3', { index: 3 })];
    const waiting = decide(makeJob(base), [failedPod, ...others]);
    assert.deepEqual(released(waiting), []);
    assert.equal(created(waiting).length, 0);
    assert.equal(waiting.requeueAfterMs, 6_000);
    assert.equal(waiting.status.failedIndexes, '');

    const later = decideJob({ job: makeJob(base), pods: [failedPod, ...others], now: NOW + 10_000, expectationsSatisfied: true });
    assert.deepEqual(createdIndexes(later), [1]);
    assert.equal(created(later)[0]!.metadata.annotations?.[ANNOTATION_INDEX_FAILURE_COUNT], '1');
    assert.deepEqual(released(later), []);

    const replaced = decide(makeJob(base), [failedPod, ...others, makePod('p1b', { index: 1, failureCount: 1 })]);
    assert.deepEqual(released(replaced), ['p1']);
    assert.deepEqual(replaced.status.uncountedTerminatedPods, { failed: ['uid-p1'] });
  });
});

describe('TTL after finished', () => {
  const finished = (s: number): JobStatus => ({ conditions: [{ type: 'Complete', status: 'True', lastTransitionTime: at(s) }], succeeded: 1 });
  const cases: { name: string; ttl?: number; finishedAt: number; wantDelete?: boolean; wantRequeue?: number }[] = [
    { name: 'no ttl: nothing', finishedAt: -100 },
    { name: 'expired', ttl: 50, finishedAt: -100, wantDelete: true },
    { name: 'exactly now', ttl: 100, finishedAt: -100, wantDelete: true },
    { name: 'pending', ttl: 200, finishedAt: -100, wantRequeue: 100_000 },
  ];
  for (const c of cases) {
    test(c.name, () => {
      const spec: Partial<JobSpec> = c.ttl === undefined ? {} : { ttlSecondsAfterFinished: c.ttl };
      const status = finished(c.finishedAt);
      const d = decide(makeJob(spec, status), []);
      assert.equal(d.deleteJob, c.wantDelete);
      assert.equal(d.requeueAfterMs, c.wantRequeue);
      assert.deepEqual(d.status, status);
      assert.deepEqual(d.actions, []);
    });
  }
  test('finished job releases leftover finalizers and creates nothing', () => {
    const d = decide(makeJob({}, finished(-10)), [makePod('s', { phase: 'Succeeded' })]);
    assert.deepEqual(released(d), ['s']);
    assert.equal(d.status.succeeded, 1);
  });
});

describe('expectations unsatisfied', () => {
  test('accounting only: no create, no delete', () => {
    const d = decide(makeJob({ parallelism: 3, completions: 5 }), [makePod('s', { phase: 'Succeeded' })], { expectationsSatisfied: false });
    assert.equal(created(d).length, 0);
    assert.deepEqual(d.status.uncountedTerminatedPods, { succeeded: ['uid-s'] });
    assert.deepEqual(released(d), ['s']);
  });
  test('no scale-down deletes', () => {
    const d = decide(makeJob({ parallelism: 1, completions: 5 }), [makePod('a'), makePod('b')], { expectationsSatisfied: false });
    assert.deepEqual(deleted(d), []);
    assert.equal(d.status.active, 2);
  });
  test('failure is not declared and nothing deleted', () => {
    const d = decide(makeJob({ backoffLimit: 0, parallelism: 1, completions: 5 }), [makePod('f', { phase: 'Failed' }), makePod('a')], { expectationsSatisfied: false });
    assert.deepEqual(deleted(d), []);
    assert.equal(cond(d.status, 'FailureTarget'), undefined);
    assert.deepEqual(d.status.uncountedTerminatedPods, { failed: ['uid-f'] });
  });
  test('suspend condition untouched', () => {
    const d = decide(makeJob({ suspend: true }), [makePod('a')], { expectationsSatisfied: false });
    assert.equal(cond(d.status, 'Suspended'), undefined);
    assert.deepEqual(deleted(d), []);
  });
});

describe('podReplacementPolicy', () => {
  const cases: { name: string; policy: 'Failed' | 'TerminatingOrFailed'; wantCreate: number; wantUncountedFailed?: string[] }[] = [
    { name: 'Failed: wait for the terminating pod', policy: 'Failed', wantCreate: 0 },
    { name: 'TerminatingOrFailed: replace now, the terminating pod counts as failed', policy: 'TerminatingOrFailed', wantCreate: 1, wantUncountedFailed: ['uid-t'] },
  ];
  for (const c of cases) {
    test(c.name, () => {
      const d = decide(makeJob({ parallelism: 1, completions: 2, podReplacementPolicy: c.policy }), [makePod('t', { deleting: true, finishedAt: -100 })]);
      assert.equal(created(d).length, c.wantCreate);
      assert.equal(d.status.terminating, 1);
      assert.deepEqual(d.status.uncountedTerminatedPods?.failed, c.wantUncountedFailed);
    });
  }
  test('Failed: replacement once the pod is terminal', () => {
    const d = decide(makeJob({ parallelism: 1, completions: 2, podReplacementPolicy: 'Failed' }), [
      makePod('t', { deleting: true, phase: 'Failed', finishedAt: -100 }),
    ]);
    assert.equal(created(d).length, 1);
    assert.equal(d.status.terminating, 0);
  });
  test('Indexed with Failed: a terminating index is not recreated', () => {
    const d = decide(makeJob({ completionMode: 'Indexed', completions: 2, parallelism: 2, podReplacementPolicy: 'Failed' }), [
      makePod('t', { deleting: true, index: 0 }),
    ]);
    assert.deepEqual(createdIndexes(d), [1], 'diff = 2 − 1 terminating − 0 active = 1, and index 0 is busy → index 1');
  });
});

describe('status basics', () => {
  test('active, ready, terminating and startTime', () => {
    const d = decide(makeJob({ parallelism: 3, completions: 10 }), [makePod('a', { ready: true }), makePod('b'), makePod('c', { deleting: true, phase: 'Running' })]);
    assert.equal(d.status.ready, 1);
    assert.equal(d.status.terminating, 1);
    assert.equal(d.status.startTime, rfc3339(NOW));
    // The terminating pod counts as a failure (TerminatingOrFailed), 1 s ago: no replacement for 9 s.
    assert.deepEqual(d.status.uncountedTerminatedPods, { failed: ['uid-c'] });
    assert.equal(d.status.active, 2);
    assert.equal(d.requeueAfterMs, 9_000);
  });
  test('input job is not mutated', () => {
    const j = makeJob({ parallelism: 2, completions: 2 }, { uncountedTerminatedPods: { succeeded: ['x'] } });
    const copy = structuredClone(j);
    decide(j, [makePod('s', { phase: 'Succeeded' })]);
    assert.deepEqual(j, copy);
  });
});
