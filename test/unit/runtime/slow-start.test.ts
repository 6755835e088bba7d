// slowStartBatches: batch sizes, where a failure stops the run, what counts as a failure.
import { test } from '@jest/globals';
import assert from 'node:assert/strict';
import { slowStartBatches, type SlowStartOptions } from '../../../src/runtime/controller/slow-start.ts';

class Refused extends Error {}
class Exists extends Error {}

/** Runs items 0..count-1; `fails` maps an item to the error it rejects with. Records the batches. */
async function run(count: number, fails: Record<number, Error>, options: SlowStartOptions = {}) {
  const batches: number[][] = [];
  let current: number[] = [];
  let pending = 0;
  const items = Array.from({ length: count }, (_, i) => i);
  const outcome = await slowStartBatches(
    items,
    async (i) => {
      // Calls of one batch start together, before any settles.
      if (pending === 0) batches.push((current = []));
      pending++;
      current.push(i);
      await Promise.resolve();
      pending--;
      if (fails[i]) throw fails[i];
      return i * 10;
    },
    options,
  );
  return { batches, outcome };
}

const cases: { name: string; count: number; fails?: Record<number, Error>; options?: SlowStartOptions; batches: number[][]; skipped: number[]; failure?: 'Refused' }[] = [
  { name: 'nothing to do', count: 0, batches: [], skipped: [] },
  { name: 'doubling batches: 1, 2, 4, then the rest', count: 10, batches: [[0], [1, 2], [3, 4, 5, 6], [7, 8, 9]], skipped: [] },
  { name: 'the first call fails: nothing else is tried', count: 10, fails: { 0: new Refused() }, batches: [[0]], skipped: [1, 2, 3, 4, 5, 6, 7, 8, 9], failure: 'Refused' },
  { name: 'a failure mid-batch: the batch completes, later batches are skipped', count: 10, fails: { 4: new Refused() }, batches: [[0], [1, 2], [3, 4, 5, 6]], skipped: [7, 8, 9], failure: 'Refused' },
  { name: 'a larger first batch', count: 5, options: { initialBatch: 2 }, batches: [[0, 1], [2, 3, 4]], skipped: [] },
  {
    name: 'rejections that are not failures do not stop the run',
    count: 4,
    fails: { 0: new Exists() },
    options: { isFailure: (e) => !(e instanceof Exists) },
    batches: [[0], [1, 2], [3]],
    skipped: [],
  },
];

for (const c of cases) {
  test(c.name, async () => {
    const { batches, outcome } = await run(c.count, c.fails ?? {}, c.options);
    assert.deepEqual(batches, c.batches);
    assert.deepEqual(outcome.skipped, c.skipped);
    assert.equal((outcome.failure?.reason as Error | undefined)?.constructor.name, c.failure);
    assert.deepEqual(outcome.attempted.map((a) => a.item), c.batches.flat());
    for (const { item, result } of outcome.attempted) {
      if (c.fails?.[item]) assert.equal(result.status, 'rejected');
      else assert.deepEqual(result, { status: 'fulfilled', value: item * 10 });
    }
  });
}
