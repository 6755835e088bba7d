import { test, describe } from '@jest/globals';
import assert from 'node:assert/strict';
import { finalizerPatch, hasFinalizer, withFinalizer, withoutFinalizer } from '../../../src/runtime/util/finalizers.ts';
import type { KubeObject } from '../../../src/runtime/types.ts';

const F = 'example.com/cleanup';
const obj = (finalizers?: string[], resourceVersion = '42'): KubeObject => ({
  metadata: { name: 'x', resourceVersion, finalizers },
});

describe('finalizer lists', () => {
  const cases: { name: string; before: string[] | undefined; has: boolean; with: string[]; without: string[] }[] = [
    { name: 'undefined list', before: undefined, has: false, with: [F], without: [] },
    { name: 'empty list', before: [], has: false, with: [F], without: [] },
    { name: 'other finalizers only', before: ['a'], has: false, with: ['a', F], without: ['a'] },
    { name: 'present', before: ['a', F, 'b'], has: true, with: ['a', F, 'b'], without: ['a', 'b'] },
    { name: 'present twice', before: [F, 'a', F], has: true, with: [F, 'a', F], without: ['a'] },
  ];
  for (const c of cases) {
    test(c.name, () => {
      const snapshot = structuredClone(c.before);
      assert.equal(hasFinalizer(obj(c.before), F), c.has);
      const added = withFinalizer(c.before, F);
      const removed = withoutFinalizer(c.before, F);
      assert.deepEqual(added, c.with);
      assert.deepEqual(removed, c.without);
      assert.notEqual(added, c.before);
      assert.notEqual(removed, c.before);
      assert.deepEqual(c.before, snapshot, 'input not mutated');
    });
  }
});

describe('finalizerPatch', () => {
  const cases: { name: string; obj: KubeObject; finalizers: string[] }[] = [
    { name: 'add to an object without finalizers', obj: obj(undefined, '7'), finalizers: [F] },
    { name: 'remove the last one', obj: obj([F], '8'), finalizers: [] },
    { name: 'keep others', obj: obj(['a', F], '9'), finalizers: ['a'] },
  ];
  for (const c of cases) {
    test(c.name, () => {
      assert.deepEqual(finalizerPatch(c.obj, c.finalizers), [
        { op: 'test', path: '/metadata/resourceVersion', value: c.obj.metadata.resourceVersion },
        { op: 'add', path: '/metadata/finalizers', value: c.finalizers },
      ]);
    });
  }
  test('value is a copy of the given list', () => {
    const list = [F];
    const patch = finalizerPatch(obj(), list);
    list.push('later');
    assert.deepEqual(patch[1], { op: 'add', path: '/metadata/finalizers', value: [F] });
  });
  test('without resourceVersion throws (no guard possible)', () => {
    assert.throws(() => finalizerPatch({ metadata: { name: 'x' } }, [F]), /no metadata.resourceVersion/);
  });
});
