import { describe, test } from '@jest/globals';
import assert from 'node:assert/strict';
import { FakeClock } from '../../../src/runtime/util/clock.ts';
import { ItemExponentialFailureRateLimiter, WorkQueue } from '../../../src/runtime/queue/index.ts';

/** Takes every waiting item, in order, marking each done. */
async function drainNow(q: WorkQueue): Promise<string[]> {
  const out: string[] = [];
  while (q.len() > 0) {
    const r = await q.get();
    assert.equal(r.shutdown, false);
    if (!r.shutdown) {
      out.push(r.item);
      q.done(r.item);
    }
  }
  return out;
}

describe('WorkQueue.addAfter', () => {
  test('adds the item when its delay is up, not before', () => {
    const clock = new FakeClock();
    const q = new WorkQueue({ clock });
    q.addAfter('a', 100);
    assert.equal(q.len(), 0);
    clock.advance(99);
    assert.equal(q.len(), 0);
    clock.advance(1);
    assert.equal(q.len(), 1);
    assert.equal(clock.pending(), 0);
  });

  test('a zero or negative delay adds at once', () => {
    const clock = new FakeClock();
    const q = new WorkQueue({ clock });
    q.addAfter('a', 0);
    q.addAfter('b', -5);
    assert.equal(q.len(), 2);
    assert.equal(clock.pending(), 0);
  });

  test('the earlier time wins when an item is delayed twice', async () => {
    const clock = new FakeClock();
    const q = new WorkQueue({ clock });
    q.addAfter('a', 100);
    q.addAfter('a', 50);
    clock.advance(50);
    assert.deepEqual(await drainNow(q), ['a']);
    clock.advance(100);
    assert.equal(q.len(), 0, 'the later request was merged, not kept');

    q.addAfter('b', 50);
    q.addAfter('b', 100);
    clock.advance(49);
    assert.equal(q.len(), 0);
    clock.advance(1);
    assert.deepEqual(await drainNow(q), ['b']);
    clock.advance(100);
    assert.equal(q.len(), 0);
    assert.equal(clock.pending(), 0);
  });

  test('uses one timer for all delayed items and releases them in deadline order', async () => {
    const clock = new FakeClock();
    const q = new WorkQueue({ clock });
    const delays = [70, 10, 500, 30, 30, 250, 10, 90, 1000, 5];
    delays.forEach((ms, i) => q.addAfter(`i${i}`, ms));
    assert.equal(clock.pending(), 1);

    clock.advance(30);
    // Equal deadlines keep the order they were requested in.
    assert.deepEqual(await drainNow(q), ['i9', 'i1', 'i6', 'i3', 'i4']);
    assert.equal(clock.pending(), 1);
    clock.advance(970);
    assert.deepEqual(await drainNow(q), ['i0', 'i7', 'i5', 'i2', 'i8']);
    assert.equal(clock.pending(), 0);
  });

  test('an earlier item re-arms the single timer', () => {
    const clock = new FakeClock();
    const q = new WorkQueue({ clock });
    q.addAfter('slow', 1000);
    q.addAfter('fast', 10);
    assert.equal(clock.pending(), 1);
    clock.advance(10);
    assert.equal(q.len(), 1);
    assert.equal(clock.pending(), 1);
    clock.advance(990);
    assert.equal(q.len(), 2);
  });

  test('a delayed add of an item that is already waiting is deduplicated', () => {
    const clock = new FakeClock();
    const q = new WorkQueue({ clock });
    q.add('a');
    q.addAfter('a', 10);
    clock.advance(10);
    assert.equal(q.len(), 1);
  });

  test('delays longer than setTimeout allows are waited out in steps', () => {
    const clock = new FakeClock();
    const q = new WorkQueue({ clock });
    const day = 24 * 3600 * 1000;
    q.addAfter('a', 40 * day);
    clock.advance(30 * day);
    assert.equal(q.len(), 0);
    clock.advance(10 * day - 1);
    assert.equal(q.len(), 0);
    clock.advance(1);
    assert.equal(q.len(), 1);
  });

  test('works with the real clock', async () => {
    const q = new WorkQueue();
    const started = Date.now();
    q.addAfter('a', 20);
    assert.deepEqual(await q.get(), { item: 'a', shutdown: false });
    assert.ok(Date.now() - started >= 19);
    q.shutdown();
  });
});

describe('WorkQueue rate limiting', () => {
  test('addRateLimited backs off 5, 10, 20 ms by default and forget resets it', async () => {
    const clock = new FakeClock();
    const q = new WorkQueue({ clock });
    for (const expected of [5, 10, 20]) {
      q.addRateLimited('a');
      clock.advance(expected - 1);
      assert.equal(q.len(), 0, `not before ${expected} ms`);
      clock.advance(1);
      assert.deepEqual(await drainNow(q), ['a'], `at ${expected} ms`);
    }
    assert.equal(q.numRequeues('a'), 3);
    q.forget('a');
    assert.equal(q.numRequeues('a'), 0);
  });

  test('uses the configured rate limiter', () => {
    const clock = new FakeClock();
    const q = new WorkQueue({ clock, rateLimiter: new ItemExponentialFailureRateLimiter<string>(100, 300) });
    q.addRateLimited('a');
    clock.advance(99);
    assert.equal(q.len(), 0);
    clock.advance(1);
    assert.equal(q.len(), 1);
    q.addRateLimited('b');
    q.addRateLimited('b'); // second request is later (200 ms): the first deadline wins
    assert.equal(q.numRequeues('b'), 2);
    clock.advance(100);
    assert.equal(q.len(), 2);
  });
});
