// Typed kinds: defineKind is a plain GroupVersionKind at run time, and to the compiler a kind that
// carries its object type. The compile-time half is `typeChecks` below, which `make typecheck` judges
// (each @ts-expect-error fails the build if its line compiles); it is never called.
import { test } from '@jest/globals';
import assert from 'node:assert/strict';
import { JOB, type Job } from '../../../src/api/batch/types.ts';
import { POD, type Pod } from '../../../src/api/core/types.ts';
import type { Cache } from '../../../src/runtime/cache/cache.ts';
import type { Client } from '../../../src/runtime/client/client.ts';
import type { Builder } from '../../../src/runtime/controller/builder.ts';
import { gvkKey } from '../../../src/runtime/cache/cache.ts';
import { defineKind, type GroupVersionKind, type KubeObject, type ReadonlyDeep } from '../../../src/runtime/types.ts';

test('defineKind makes a plain group/version/kind, nothing more', () => {
  const kind = defineKind<KubeObject>('example.com', 'v1', 'Widget');
  assert.deepEqual(kind, { group: 'example.com', version: 'v1', kind: 'Widget' });
  assert.deepEqual(Object.getOwnPropertySymbols(kind), []);
  assert.equal(gvkKey(kind), gvkKey({ group: 'example.com', version: 'v1', kind: 'Widget' }));
});

export async function typeChecks(cache: Cache, client: Client, builder: Builder): Promise<void> {
  // The object type is inferred from the kind.
  const job: ReadonlyDeep<Job> | undefined = cache.get(JOB, 'ns', 'name');
  const pods: readonly ReadonlyDeep<Pod>[] = cache.list(POD, { namespace: 'ns' });
  const fetched: Job = await client.get(JOB, 'ns', 'name');
  builder.for(JOB, { predicates: [{ update: (_old, updated) => updated.spec.completions !== undefined }] });
  void [job, pods, fetched];

  // A kind of one type where another is expected does not compile.
  // @ts-expect-error a Job kind read as Pods
  cache.get<Pod>(JOB, 'ns', 'name');
  // @ts-expect-error a Pod kind's objects are not Jobs
  const notJob: readonly ReadonlyDeep<Job>[] = cache.list(POD);
  // @ts-expect-error a Pod kind listed as Jobs
  await client.list<Job>(POD);
  void notJob;
  // The builder's predicates see the kind's type: a Job's completions are a number.
  // @ts-expect-error comparing a number with a string
  builder.watches(JOB, () => [], { predicates: [{ update: (_old, updated) => updated.spec.completions === 'three' }] });

  // A kind without a type (a plain GroupVersionKind) still reads as whatever the caller names.
  const untyped: GroupVersionKind = { group: 'example.com', version: 'v1', kind: 'Widget' };
  const widget: ReadonlyDeep<KubeObject> | undefined = cache.get(untyped, 'ns', 'name');
  const named: ReadonlyDeep<Pod> | undefined = cache.get<Pod>(untyped, 'ns', 'name');
  void [widget, named];
}
