// Table tests for src/controllers/statefulset/revisions.ts, ported from upstream pkg/controller/history
// (HashControllerRevision, EqualRevision / TestFindEqualRevisions, TestSortControllerRevisions,
// ControllerRevisionName) and pkg/controller/statefulset (TestCreateApplyRevision,
// TestRollingUpdateApplyRevision, TestStatefulSetControl_getSetRevisions, truncateHistory).
import { describe, test } from '@jest/globals';
import assert from 'node:assert/strict';
import { API_VERSION } from '../../../src/api/apps/types.ts';
import type { StatefulSet } from '../../../src/api/apps/types.ts';
import type { ControllerRevision, PodTemplateSpec } from '../../../src/api/core/types.ts';
import type { ReadonlyDeep } from '../../../src/runtime/types.ts';
import {
  LABEL_REVISION_DATA_HASH,
  applyRevision,
  canonicalJson,
  currentRevisionOf,
  equalRevisions,
  fnv32,
  hashRevisionData,
  newRevision,
  nextRevisionNumber,
  planUpdateRevision,
  revisionData,
  revisionName,
  revisionsToTruncate,
  safeEncode,
  sortRevisions,
  withCollisionCount,
} from '../../../src/controllers/statefulset/revisions.ts';

function makeSet(name = 'foo', labels: Record<string, string> = { foo: 'bar' }): StatefulSet {
  return {
    apiVersion: API_VERSION,
    kind: 'StatefulSet',
    metadata: { name, namespace: 'default', uid: `${name}-uid` },
    spec: {
      replicas: 3,
      selector: { matchLabels: labels },
      serviceName: 'governingsvc',
      template: {
        metadata: { labels: { ...labels } },
        spec: {
          containers: [{ name: 'nginx', image: 'nginx', volumeMounts: [{ name: 'datadir', mountPath: '/tmp/' }] }],
          volumes: [{ name: 'home', hostPath: { path: '/tmp/home' } }],
        },
      },
      volumeClaimTemplates: [{ metadata: { name: 'datadir' }, spec: { resources: { requests: { storage: '1' } } } }],
      updateStrategy: { type: 'RollingUpdate' },
      revisionHistoryLimit: 2,
    },
    status: { replicas: 0, collisionCount: 0 },
  };
}

function withImage(set: StatefulSet, image: string): StatefulSet {
  const s = structuredClone(set);
  s.spec.template.spec.containers[0]!.image = image;
  return s;
}

const names = (revs: readonly ReadonlyDeep<ControllerRevision>[]): string[] => revs.map((r) => r.metadata.name ?? '');

describe('FNV-1 32 and SafeEncodeString against Go', () => {
  // Expected values from Go: hash/fnv New32().Sum32() and k8s.io/apimachinery rand.SafeEncodeString(fmt.Sprint(sum)).
  const vectors: { input: string; sum: number; encoded: string }[] = [
    { input: '', sum: 2166136261, encoded: '65bb57b6b5' },
    { input: 'a', sum: 84696446, encoded: 'd8bfb88b' },
    { input: 'foobar', sum: 837857890, encoded: 'd7cd9cdf4' },
    { input: 'hello world', sum: 1418570095, encoded: '585d9c44f9' },
    { input: 'h\u00e9llo \u2713', sum: 3989262587, encoded: '7fdf6b69dc' },
    {
      input: '{"spec":{"template":{"$patch":"replace","spec":{"containers":[{"image":"nginx","name":"nginx"}]}}}}',
      sum: 1818820677,
      encoded: '5d5dd64bcc',
    },
    {
      input: '{"spec":{"template":{"$patch":"replace","spec":{"containers":[{"image":"nginx","name":"nginx"}]}}}}0',
      sum: 3997920431,
      encoded: '7ffcf64875',
    },
    {
      input: '{"spec":{"template":{"$patch":"replace","spec":{"containers":[{"image":"nginx","name":"nginx"}]}}}}1',
      sum: 3997920430,
      encoded: '7ffcf64874',
    },
  ];
  for (const v of vectors) {
    test(JSON.stringify(v.input.length > 20 ? `${v.input.slice(-12)}` : v.input), () => {
      assert.equal(fnv32(v.input), v.sum);
      assert.equal(safeEncode(String(v.sum)), v.encoded);
    });
  }

  test('hashRevisionData: canonical JSON, then the collision count (when given)', () => {
    const data = revisionData({ spec: { containers: [{ name: 'nginx', image: 'nginx' }] } });
    assert.equal(
      canonicalJson(data),
      '{"spec":{"template":{"$patch":"replace","spec":{"containers":[{"image":"nginx","name":"nginx"}]}}}}',
    );
    assert.equal(hashRevisionData(data, undefined), '5d5dd64bcc');
    assert.equal(hashRevisionData(data, 0), '7ffcf64875');
    assert.equal(hashRevisionData(data, 1), '7ffcf64874');
  });

  test('safeEncode maps every character into the vowel-free alphabet', () => {
    assert.equal(safeEncode('0123456789'), '456789bcdf');
    assert.match(safeEncode(String(fnv32('x'))), /^[bcdfghjklmnpqrstvwxz2456789]+$/);
  });
});

describe('canonicalJson', () => {
  const cases: { name: string; a: unknown; b: unknown; equal: boolean }[] = [
    { name: 'key order does not matter', a: { x: 1, y: { b: 2, a: 1 } }, b: { y: { a: 1, b: 2 }, x: 1 }, equal: true },
    { name: 'array order matters', a: { x: [1, 2] }, b: { x: [2, 1] }, equal: false },
    { name: 'objects inside arrays are sorted too', a: [{ b: 1, a: 2 }], b: [{ a: 2, b: 1 }], equal: true },
    { name: 'different values', a: { x: 'nginx' }, b: { x: 'foo' }, equal: false },
    { name: 'null is kept', a: { x: null }, b: { x: null }, equal: true },
  ];
  for (const c of cases) {
    test(c.name, () => assert.equal(canonicalJson(c.a) === canonicalJson(c.b), c.equal));
  }
  test('sorted output', () => {
    assert.equal(canonicalJson({ b: 1, a: [{ d: 1, c: 2 }] }), '{"a":[{"c":2,"d":1}],"b":1}');
  });
});

describe('newRevision (NewControllerRevision)', () => {
  test('name, labels, owner, data, number', () => {
    const set = makeSet();
    set.metadata.annotations = { note: 'x' };
    const rev = newRevision(set, 1, 0);
    const hash = hashRevisionData(revisionData(set.spec.template), 0);
    assert.equal(rev.metadata.name, `foo-${hash}`);
    assert.equal(rev.metadata.namespace, 'default');
    assert.deepEqual(rev.metadata.labels, { foo: 'bar', [LABEL_REVISION_DATA_HASH]: hash });
    assert.deepEqual(rev.metadata.annotations, { note: 'x' });
    assert.deepEqual(rev.metadata.ownerReferences, [
      { apiVersion: API_VERSION, kind: 'StatefulSet', name: 'foo', uid: 'foo-uid', controller: true, blockOwnerDeletion: true },
    ]);
    assert.equal(rev.revision, 1);
    assert.equal(rev.apiVersion, 'apps/v1');
    assert.equal(rev.kind, 'ControllerRevision');
    assert.deepEqual(rev.data, { spec: { template: { ...set.spec.template, $patch: 'replace' } } });
  });

  test('hash stability: equal templates (any key order) give the same name', () => {
    const a = makeSet();
    const b = makeSet();
    b.spec.template = { spec: structuredClone(a.spec.template.spec), metadata: { labels: { foo: 'bar' } } };
    assert.equal(newRevision(a, 1, 0).metadata.name, newRevision(b, 7, 0).metadata.name);
    // Only the template is hashed: replicas, annotations, claim templates do not change the name.
    const c = structuredClone(a);
    c.spec.replicas = 9;
    c.metadata.annotations = { x: 'y' };
    c.spec.volumeClaimTemplates = [];
    assert.equal(newRevision(a, 1, 0).metadata.name, newRevision(c, 1, 0).metadata.name);
  });

  test('a template change or a collision count changes the name', () => {
    const set = makeSet();
    const base = newRevision(set, 1, 0).metadata.name;
    assert.notEqual(newRevision(withImage(set, 'foo'), 1, 0).metadata.name, base);
    assert.notEqual(newRevision(set, 1, 1).metadata.name, base);
  });

  test('the template is copied, not shared', () => {
    const set = makeSet();
    const rev = newRevision(set, 1, 0);
    set.spec.template.spec.containers[0]!.image = 'changed';
    assert.equal((rev.data as { spec: { template: PodTemplateSpec } }).spec.template.spec.containers[0]!.image, 'nginx');
  });

  test('withCollisionCount: same data, the name of the next collision count', () => {
    const set = makeSet();
    const rev = newRevision(set, 1, 0);
    const retry = withCollisionCount(rev, 'foo', 1);
    assert.equal(retry.metadata.name, newRevision(set, 1, 1).metadata.name);
    assert.notEqual(retry.metadata.name, rev.metadata.name);
    assert.deepEqual(retry.data, rev.data);
  });
});

describe('revisionName (ControllerRevisionName)', () => {
  const cases: { name: string; prefix: string; want: string }[] = [
    { name: 'short', prefix: 'foo', want: 'foo-h' },
    { name: '223 characters kept', prefix: 'a'.repeat(223), want: `${'a'.repeat(223)}-h` },
    { name: 'longer prefixes cut to 223', prefix: 'a'.repeat(300), want: `${'a'.repeat(223)}-h` },
  ];
  for (const c of cases) test(c.name, () => assert.equal(revisionName(c.prefix, 'h'), c.want));
});

describe('equalRevisions (EqualRevision / FindEqualRevisions)', () => {
  const ss1 = makeSet('ss1', { foo: 'bar' });
  const ss2 = makeSet('ss2', { goo: 'car' });
  const ss1Rev1 = newRevision(ss1, 1, 0);
  const ss1Rev2 = { ...newRevision(ss1, 2, 0), metadata: { ...newRevision(ss1, 2, 0).metadata, ownerReferences: [] } };
  const ss2Rev1 = newRevision(ss2, 1, 0);
  const ss2Rev2 = newRevision(ss2, 2, 0);
  const find = (revs: ControllerRevision[], needle: ControllerRevision) => revs.filter((r) => equalRevisions(r, needle));
  const cases: { name: string; needle: ControllerRevision; revisions: ControllerRevision[]; want: number }[] = [
    { name: 'finds equivalent', needle: ss1Rev1, revisions: [ss1Rev1, ss2Rev1, ss2Rev2], want: 1 },
    { name: 'finds nothing when empty', needle: ss1Rev1, revisions: [], want: 0 },
    { name: 'finds nothing with no matches', needle: ss1Rev1, revisions: [ss2Rev2, ss2Rev1], want: 0 },
    // Only data counts: metadata and revision numbers differ.
    { name: 'ignores metadata and number', needle: ss1Rev1, revisions: [ss1Rev2], want: 1 },
  ];
  for (const c of cases) {
    test(c.name, () => assert.equal(find(c.revisions, c.needle).length, c.want));
  }
  test('data parsed back from the API (other key order) is equal', () => {
    const { $patch, ...rest } = (ss1Rev1.data as { spec: { template: Record<string, unknown> } }).spec.template;
    const reordered = { spec: { template: { $patch, ...Object.fromEntries(Object.entries(rest).reverse()) } } };
    assert.notEqual(JSON.stringify(reordered), JSON.stringify(ss1Rev1.data));
    assert.equal(equalRevisions({ ...ss1Rev1, data: JSON.parse(JSON.stringify(reordered)) }, ss1Rev1), true);
  });
});

describe('applyRevision (ApplyRevision)', () => {
  test('TestCreateApplyRevision: restoring gives back an equal revision; annotations stay the set’s', () => {
    const set = makeSet();
    const revision = newRevision(set, 1, 0);
    const changed = structuredClone(set);
    changed.spec.template.spec.containers[0]!.name = 'foo';
    changed.metadata.annotations = { foo: 'bar' };
    const restored = applyRevision(changed, revision);
    const restoredRevision = newRevision(restored, 2, 0);
    assert.equal(equalRevisions(revision, restoredRevision), true);
    assert.equal(restoredRevision.metadata.annotations?.foo, 'bar');
    assert.equal('$patch' in restored.spec.template, false);
  });

  test('TestRollingUpdateApplyRevision: current and update templates come back exactly', () => {
    const set = makeSet();
    const currentSet = structuredClone(set);
    const currentRevision = newRevision(set, 1, 0);
    set.spec.template.spec.containers[0]!.env = [{ name: 'foo', value: 'bar' }];
    const updateSet = structuredClone(set);
    const updateRevision = newRevision(set, 2, 0);
    assert.deepEqual(applyRevision(set, currentRevision).spec.template, currentSet.spec.template);
    assert.deepEqual(applyRevision(set, updateRevision).spec.template, updateSet.spec.template);
  });

  test('only the template is replaced; status and the rest of spec are the set’s', () => {
    const set = makeSet();
    const revision = newRevision(withImage(set, 'old'), 1, 0);
    set.spec.replicas = 7;
    set.status = { replicas: 5, currentReplicas: 4 };
    const restored = applyRevision(set, revision);
    assert.equal(restored.spec.template.spec.containers[0]!.image, 'old');
    assert.equal(restored.spec.replicas, 7);
    assert.deepEqual(restored.status, { replicas: 5, currentReplicas: 4 });
    assert.equal(set.spec.template.spec.containers[0]!.image, 'nginx', 'the set is not mutated');
  });

  test('a revision without a template leaves the set as it is', () => {
    const set = makeSet();
    assert.equal(applyRevision(set, { metadata: { name: 'x' }, revision: 1, data: {} }), set);
    assert.equal(applyRevision(set, { metadata: { name: 'x' }, revision: 1 }), set);
  });
});

describe('sortRevisions (SortControllerRevisions)', () => {
  const rev = (name: string, revision: number, created?: string): ControllerRevision => ({
    metadata: created ? { name, creationTimestamp: created } : { name },
    revision,
  });
  const t1 = '2026-01-01T00:00:00Z';
  const t2 = '2026-01-01T00:00:01Z';
  const r1 = rev('ss1-1', 1, t1);
  const r2 = rev('ss1-2', 2, t1);
  const r3 = rev('ss1-3', 3, t1);
  const r3t2 = rev('ss1-3b', 3, t2);
  const r3t2n2 = rev('ss1-3c', 3, t2);
  const cases: { name: string; revisions: ControllerRevision[]; want: string[] }[] = [
    { name: 'out of order', revisions: [r2, r1, r3], want: ['ss1-1', 'ss1-2', 'ss1-3'] },
    { name: 'sorted', revisions: [r1, r2, r3], want: ['ss1-1', 'ss1-2', 'ss1-3'] },
    { name: 'reversed', revisions: [r3, r2, r1], want: ['ss1-1', 'ss1-2', 'ss1-3'] },
    { name: 'with ties: creation time, then name', revisions: [r3t2n2, r3, r3t2, r2, r1], want: ['ss1-1', 'ss1-2', 'ss1-3', 'ss1-3b', 'ss1-3c'] },
    { name: 'empty', revisions: [], want: [] },
  ];
  for (const c of cases) {
    test(c.name, () => {
      const input = [...c.revisions];
      assert.deepEqual(names(sortRevisions(c.revisions)), c.want);
      assert.deepEqual(c.revisions, input, 'the input is not reordered');
    });
  }
  test('nextRevisionNumber', () => {
    assert.equal(nextRevisionNumber([]), 1);
    assert.equal(nextRevisionNumber(sortRevisions([r3, r1])), 4);
  });
});

describe('planUpdateRevision / currentRevisionOf (TestStatefulSetControl_getSetRevisions)', () => {
  // rev0: the original template; rev1: image foo; rev2: image foo and a new label.
  const set = makeSet();
  const rev0 = newRevision(set, 1, 0);
  const set1 = withImage(set, 'foo');
  set1.status = { replicas: 3, currentRevision: rev0.metadata.name!, collisionCount: 0 };
  const rev1 = newRevision(set1, 2, 0);
  const set2 = structuredClone(set1);
  set2.spec.template.metadata!.labels!.new = 'label';
  const rev2 = newRevision(set2, 3, 0);

  test('creates initial revision', () => {
    const plan = planUpdateRevision(set, []);
    assert.equal(plan.type, 'create');
    assert.equal(plan.revision.metadata.name, rev0.metadata.name);
    assert.equal(plan.revision.revision, 1);
    assert.equal(currentRevisionOf(set, [], plan.revision), plan.revision, 'no current revision: the update revision');
  });
  test('creates revision on update', () => {
    const plan = planUpdateRevision(set1, [rev0]);
    assert.equal(plan.type, 'create');
    assert.equal(plan.revision.metadata.name, rev1.metadata.name);
    assert.equal(plan.revision.revision, 2);
    assert.equal(currentRevisionOf(set1, [rev0], plan.revision), rev0);
  });
  test('must not recreate a new revision of same set', () => {
    const plan = planUpdateRevision(set1, [rev0, rev1]);
    assert.deepEqual(plan, { type: 'existing', revision: rev1 });
    assert.equal(currentRevisionOf(set1, [rev0, rev1], rev1), rev0);
  });
  test('must rollback to a previous revision (renumbered to the next number)', () => {
    const plan = planUpdateRevision(set1, [rev0, rev1, rev2]);
    assert.deepEqual(plan, { type: 'renumber', revision: rev1, to: 4 });
  });
  test('rollback to the very first template', () => {
    const back = structuredClone(set);
    back.status = { replicas: 3, currentRevision: rev1.metadata.name!, collisionCount: 0 };
    assert.deepEqual(planUpdateRevision(back, [rev0, rev1]), { type: 'renumber', revision: rev0, to: 3 });
  });
  test('the collision count names the new revision', () => {
    const colliding = structuredClone(set1);
    colliding.status!.collisionCount = 2;
    const plan = planUpdateRevision(colliding, [rev0]);
    assert.equal(plan.type, 'create');
    assert.equal(plan.revision.metadata.name, newRevision(set1, 2, 2).metadata.name);
    assert.notEqual(plan.revision.metadata.name, rev1.metadata.name);
  });
  test('an equal revision under another collision count is still found (equality is by data)', () => {
    const colliding = structuredClone(set1);
    colliding.status!.collisionCount = 5;
    assert.deepEqual(planUpdateRevision(colliding, [rev0, rev1]), { type: 'existing', revision: rev1 });
  });
  test('currentRevisionOf: a status.currentRevision that no longer exists falls back to the update revision', () => {
    const s = structuredClone(set1);
    s.status!.currentRevision = 'foo-gone';
    assert.equal(currentRevisionOf(s, [rev0, rev1], rev1), rev1);
  });
});

describe('revisionsToTruncate (truncateHistory)', () => {
  const revs = [1, 2, 3, 4, 5, 6].map((n) => ({ metadata: { name: `r${n}` }, revision: n }));
  const cases: { name: string; live: string[]; limit: number; want: string[] }[] = [
    { name: 'within the limit', live: ['r6'], limit: 10, want: [] },
    { name: 'exactly the limit of non-live revisions', live: ['r5', 'r6'], limit: 4, want: [] },
    { name: 'oldest non-live first', live: ['r6'], limit: 2, want: ['r1', 'r2', 'r3'] },
    { name: 'live revisions (current, update, pods) are never deleted', live: ['r1', 'r3', 'r6'], limit: 1, want: ['r2', 'r4'] },
    { name: 'limit 0 deletes all non-live', live: ['r5', 'r6'], limit: 0, want: ['r1', 'r2', 'r3', 'r4'] },
    { name: 'negative limit keeps everything', live: ['r6'], limit: -2, want: [] },
    { name: 'all live', live: ['r1', 'r2', 'r3', 'r4', 'r5', 'r6'], limit: 0, want: [] },
  ];
  for (const c of cases) {
    test(c.name, () => assert.deepEqual(names(revisionsToTruncate(revs, new Set(c.live), c.limit)), c.want));
  }
});
