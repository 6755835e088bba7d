// Table tests of the controller's pure parts: handlers, predicates, expectations.
import { describe, test } from '@jest/globals';
import assert from 'node:assert/strict';
import { Expectations } from '../../../src/runtime/controller/expectations.ts';
import { enqueueForObject, enqueueForOwner } from '../../../src/runtime/controller/handler.ts';
import { generationChanged, labelsChanged, or, passes } from '../../../src/runtime/controller/predicate.ts';
import type { KubeObject } from '../../../src/runtime/types.ts';
import { FakeClock } from '../../../src/runtime/util/clock.ts';

const JOB = { group: 'batch.tentacle.dev', version: 'v1alpha1', kind: 'Job' };

describe('handlers', () => {
  const pod = (refs: KubeObject['metadata']['ownerReferences']): KubeObject => ({
    metadata: { namespace: 'ns', name: 'p', ownerReferences: refs },
  });
  const cases: { name: string; refs: KubeObject['metadata']['ownerReferences']; want: string[] }[] = [
    { name: 'controller of the kind', refs: [{ apiVersion: 'batch.tentacle.dev/v1alpha1', kind: 'Job', name: 'j', uid: '1', controller: true }], want: ['ns/j'] },
    { name: 'same kind, other group', refs: [{ apiVersion: 'batch/v1', kind: 'Job', name: 'j', uid: '1', controller: true }], want: [] },
    { name: 'owner but not controller', refs: [{ apiVersion: 'batch.tentacle.dev/v1alpha1', kind: 'Job', name: 'j', uid: '1' }], want: [] },
    { name: 'no owners', refs: undefined, want: [] },
    {
      name: 'another version of the group',
      refs: [{ apiVersion: 'batch.tentacle.dev/v1beta1', kind: 'Job', name: 'j', uid: '1', controller: true }],
      want: ['ns/j'],
    },
  ];
  for (const c of cases) {
    test(`enqueueForOwner: ${c.name}`, () => {
      assert.deepEqual(enqueueForOwner(JOB)(pod(c.refs)).map((r) => `${r.namespace}/${r.name}`), c.want);
    });
  }
  test('enqueueForObject maps cluster-scoped objects to an empty namespace', () => {
    assert.deepEqual(enqueueForObject({ metadata: { name: 'n1' } }), [{ namespace: '', name: 'n1' }]);
  });
});

describe('predicates', () => {
  const o = (generation: number, labels: Record<string, string> = {}): KubeObject => ({ metadata: { generation, labels } });
  const cases = [
    { name: 'generation changed', p: [generationChanged], old: o(1), now: o(2), want: true },
    { name: 'status-only update', p: [generationChanged], old: o(1), now: o(1), want: false },
    { name: 'labels changed', p: [labelsChanged], old: o(1, { a: '1' }), now: o(1, { a: '2' }), want: true },
    { name: 'labels same', p: [labelsChanged], old: o(1, { a: '1' }), now: o(1, { a: '1' }), want: false },
    { name: 'or: either', p: [or(generationChanged, labelsChanged)], old: o(1, { a: '1' }), now: o(1, { a: '2' }), want: true },
    { name: 'and: all must pass', p: [generationChanged, labelsChanged], old: o(1), now: o(2), want: false },
    { name: 'no predicates', p: [], old: o(1), now: o(1), want: true },
  ];
  for (const c of cases) {
    test(c.name, () => assert.equal(passes(c.p, 'update', c.old, c.now), c.want));
  }
  test('creates and deletes pass predicates that only judge updates', () => {
    assert.equal(passes([generationChanged], 'create', o(1)), true);
    assert.equal(passes([generationChanged], 'delete', o(1)), true);
  });
});

describe('Expectations', () => {
  test('creations are satisfied once all are observed', () => {
    const e = new Expectations({ clock: new FakeClock() });
    assert.equal(e.satisfied('k'), true);
    e.expectCreations('k', 2);
    assert.equal(e.satisfied('k'), false);
    e.creationObserved('k');
    assert.equal(e.satisfied('k'), false);
    e.creationObserved('k');
    assert.equal(e.satisfied('k'), true);
    e.creationObserved('k'); // never below zero
    assert.deepEqual(e.pending('k'), { adds: 0, deletes: 0 });
  });

  test('deletions are tracked by uid, so one pod seen twice counts once', () => {
    const e = new Expectations({ clock: new FakeClock() });
    e.expectDeletions('k', ['u1', 'u2']);
    e.deletionObserved('k', 'u1');
    e.deletionObserved('k', 'u1');
    assert.equal(e.satisfied('k'), false);
    e.deletionObserved('k', 'u2');
    assert.equal(e.satisfied('k'), true);
  });

  test('an expectation expires after its TTL so a lost event cannot block forever', () => {
    const clock = new FakeClock();
    const e = new Expectations({ clock, ttlMs: 1000 });
    e.expectCreations('k', 1);
    clock.advance(1000);
    assert.equal(e.satisfied('k'), false);
    clock.advance(1);
    assert.equal(e.satisfied('k'), true);
    e.delete('k');
    assert.deepEqual(e.pending('k'), { adds: 0, deletes: 0 });
  });
});
