import { test, describe } from '@jest/globals';
import assert from 'node:assert/strict';
import {
  findCondition,
  isConditionFalse,
  isConditionTrue,
  removeCondition,
  setCondition,
  setTypedCondition,
} from '../../../src/runtime/util/conditions.ts';
import type { ConditionInput, TypedCondition } from '../../../src/runtime/util/conditions.ts';
import type { Condition } from '../../../src/runtime/types.ts';

const T0 = '2026-01-01T00:00:00Z';
const T1 = '2026-01-01T00:01:00Z';
const T2 = '2026-01-01T00:02:00Z';

const ready = (over: Partial<Condition> = {}): Condition => ({
  type: 'Ready',
  status: 'True',
  lastTransitionTime: T0,
  reason: 'AllGood',
  message: 'ok',
  ...over,
});
const synced: Condition = { type: 'Synced', status: 'False', lastTransitionTime: T0, reason: 'Pending', message: '' };

describe('setCondition (meta.SetStatusCondition)', () => {
  const cases: { name: string; before: Condition[] | undefined; next: ConditionInput; after: Condition[] }[] = [
    {
      name: 'undefined list: condition added with now',
      before: undefined,
      next: { type: 'Ready', status: 'True', reason: 'AllGood', message: 'ok' },
      after: [ready({ lastTransitionTime: T1 })],
    },
    {
      name: 'new type appended after existing ones',
      before: [synced],
      next: { type: 'Ready', status: 'True', reason: 'AllGood', message: 'ok', observedGeneration: 3 },
      after: [synced, ready({ lastTransitionTime: T1, observedGeneration: 3 })],
    },
    {
      name: 'new type with explicit lastTransitionTime keeps it',
      before: [],
      next: { type: 'Ready', status: 'True', reason: 'AllGood', message: 'ok', lastTransitionTime: T2 },
      after: [ready({ lastTransitionTime: T2 })],
    },
    {
      name: 'status unchanged: transition time kept, reason/message/generation updated',
      before: [ready({ observedGeneration: 1 }), synced],
      next: { type: 'Ready', status: 'True', reason: 'StillGood', message: 'fine', observedGeneration: 2 },
      after: [ready({ reason: 'StillGood', message: 'fine', observedGeneration: 2 }), synced],
    },
    {
      name: 'status unchanged: an explicit lastTransitionTime is ignored',
      before: [ready()],
      next: { type: 'Ready', status: 'True', reason: 'AllGood', message: 'ok', lastTransitionTime: T2 },
      after: [ready()],
    },
    {
      name: 'status changed: transition time set to now, position kept',
      before: [ready(), synced],
      next: { type: 'Ready', status: 'False', reason: 'Broken', message: 'no' },
      after: [ready({ status: 'False', reason: 'Broken', message: 'no', lastTransitionTime: T1 }), synced],
    },
    {
      name: 'status changed to Unknown with explicit transition time',
      before: [ready()],
      next: { type: 'Ready', status: 'Unknown', reason: 'Lost', message: '', lastTransitionTime: T2 },
      after: [ready({ status: 'Unknown', reason: 'Lost', message: '', lastTransitionTime: T2 })],
    },
    {
      name: 'omitted observedGeneration clears it (upstream resets to 0)',
      before: [ready({ observedGeneration: 4 })],
      next: { type: 'Ready', status: 'True', reason: 'AllGood', message: 'ok' },
      after: [ready()],
    },
  ];
  for (const c of cases) {
    test(c.name, () => {
      const snapshot = structuredClone(c.before);
      const result = setCondition(c.before, c.next, T1);
      assert.deepEqual(result, c.after);
      assert.deepEqual(c.before, snapshot, 'input not mutated');
      assert.notEqual(result, c.before, 'a new array');
    });
  }

  test('no change: same elements are reused (cheap change detection)', () => {
    const before = [ready({ observedGeneration: 2 }), synced];
    const result = setCondition(before, { type: 'Ready', status: 'True', reason: 'AllGood', message: 'ok', observedGeneration: 2 }, T1);
    assert.notEqual(result, before);
    assert.ok(result.every((c, i) => c === before[i]));
  });
});

describe('condition readers', () => {
  const list = [ready(), synced];
  const cases: { name: string; run: () => unknown; want: unknown }[] = [
    { name: 'findCondition hit', run: () => findCondition(list, 'Synced'), want: synced },
    { name: 'findCondition miss', run: () => findCondition(list, 'Nope'), want: undefined },
    { name: 'findCondition undefined list', run: () => findCondition(undefined, 'Ready'), want: undefined },
    { name: 'isConditionTrue True', run: () => isConditionTrue(list, 'Ready'), want: true },
    { name: 'isConditionTrue False', run: () => isConditionTrue(list, 'Synced'), want: false },
    { name: 'isConditionTrue absent', run: () => isConditionTrue(list, 'Nope'), want: false },
    { name: 'isConditionTrue null list', run: () => isConditionTrue(null, 'Ready'), want: false },
    { name: 'isConditionFalse False', run: () => isConditionFalse(list, 'Synced'), want: true },
    { name: 'isConditionFalse absent', run: () => isConditionFalse(list, 'Nope'), want: false },
    { name: 'removeCondition present', run: () => removeCondition(list, 'Ready'), want: [synced] },
    { name: 'removeCondition absent', run: () => removeCondition(list, 'Nope'), want: list },
    { name: 'removeCondition undefined', run: () => removeCondition(undefined, 'Ready'), want: [] },
  ];
  for (const c of cases) {
    test(c.name, () => assert.deepEqual(c.run(), c.want));
  }
  test('removeCondition returns a new array and leaves the input alone', () => {
    const result = removeCondition(list, 'Nope');
    assert.notEqual(result, list);
    assert.equal(list.length, 2);
  });
});

interface JobCondition extends TypedCondition {
  type: 'Complete' | 'Failed' | 'Suspended';
  status: 'True' | 'False' | 'Unknown';
}
interface DeploymentCondition extends TypedCondition {
  type: 'Available' | 'Progressing';
  status: 'True' | 'False' | 'Unknown';
}

describe('setTypedCondition (batch/apps condition shapes)', () => {
  const job = (over: Partial<JobCondition> = {}): JobCondition => ({
    type: 'Complete',
    status: 'True',
    lastProbeTime: T0,
    lastTransitionTime: T0,
    ...over,
  });
  const cases: {
    name: string;
    before: JobCondition[] | undefined;
    next: JobCondition;
    touch?: ('lastProbeTime' | 'lastUpdateTime')[];
    after: JobCondition[];
  }[] = [
    {
      name: 'new condition: transition and touched probe time set to now, reason/message optional',
      before: undefined,
      next: { type: 'Complete', status: 'True' },
      touch: ['lastProbeTime'],
      after: [{ type: 'Complete', status: 'True', lastTransitionTime: T1, lastProbeTime: T1 }],
    },
    {
      name: 'nothing changed: kept verbatim, probe time not bumped',
      before: [job({ reason: 'Done' })],
      next: { type: 'Complete', status: 'True', reason: 'Done' },
      touch: ['lastProbeTime'],
      after: [job({ reason: 'Done' })],
    },
    {
      name: 'message changed, same status: transition kept, probe time touched',
      before: [job({ message: 'a' })],
      next: { type: 'Complete', status: 'True', message: 'b' },
      touch: ['lastProbeTime'],
      after: [job({ message: 'b', lastProbeTime: T1 })],
    },
    {
      name: 'status changed: transition time now',
      before: [job({ type: 'Suspended', status: 'True', reason: 'JobSuspended' })],
      next: { type: 'Suspended', status: 'False', reason: 'JobResumed' },
      touch: ['lastProbeTime'],
      after: [job({ type: 'Suspended', status: 'False', reason: 'JobResumed', lastTransitionTime: T1, lastProbeTime: T1 })],
    },
    {
      name: 'changed without touch: heartbeat kept from existing, reason dropped when next omits it',
      before: [job({ reason: 'Old' })],
      next: { type: 'Complete', status: 'False' },
      after: [job({ status: 'False', lastTransitionTime: T1 })],
    },
    {
      name: 'changed without touch: heartbeat from next wins',
      before: [job({ reason: 'Old' })],
      next: { type: 'Complete', status: 'True', reason: 'New', lastProbeTime: T2 },
      after: [job({ reason: 'New', lastProbeTime: T2 })],
    },
  ];
  for (const c of cases) {
    test(c.name, () => {
      const snapshot = structuredClone(c.before);
      const result = setTypedCondition(c.before, c.next, T1, { touch: c.touch });
      assert.deepEqual(result, c.after);
      assert.deepEqual(c.before, snapshot, 'input not mutated');
    });
  }

  test('DeploymentCondition: lastUpdateTime touched on reason change, order kept', () => {
    const before: DeploymentCondition[] = [
      { type: 'Available', status: 'True', reason: 'MinimumReplicasAvailable', lastUpdateTime: T0, lastTransitionTime: T0 },
      { type: 'Progressing', status: 'True', reason: 'ReplicaSetUpdated', lastUpdateTime: T0, lastTransitionTime: T0 },
    ];
    const result = setTypedCondition(
      before,
      { type: 'Progressing', status: 'True', reason: 'NewReplicaSetAvailable', message: 'done' },
      T1,
      { touch: ['lastUpdateTime'] },
    );
    assert.deepEqual(result, [
      before[0],
      { type: 'Progressing', status: 'True', reason: 'NewReplicaSetAvailable', message: 'done', lastUpdateTime: T1, lastTransitionTime: T0 },
    ]);
  });
});
