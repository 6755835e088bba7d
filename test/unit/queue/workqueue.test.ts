import { describe, test } from '@jest/globals';
import assert from 'node:assert/strict';
import { FakeClock } from '../../../src/runtime/util/clock.ts';
import { WorkQueue, type GetResult, type QueueMetrics } from '../../../src/runtime/queue/index.ts';
import { Ring } from '../../../src/runtime/queue/ring.ts';
import { seededRandom } from '../../support/random.ts';

// --- helpers ---

type MetricCall = [string, ...number[]];

class RecordingMetrics implements QueueMetrics {
  calls: MetricCall[] = [];
  add(): void {
    this.calls.push(['add']);
  }
  retry(): void {
    this.calls.push(['retry']);
  }
  depth(depth: number): void {
    this.calls.push(['depth', depth]);
  }
  queueLatency(seconds: number): void {
    this.calls.push(['queueLatency', seconds]);
  }
  workDuration(seconds: number): void {
    this.calls.push(['workDuration', seconds]);
  }
  unfinished(totalSeconds: number, longestSeconds: number): void {
    this.calls.push(['unfinished', totalSeconds, longestSeconds]);
  }
  /** The calls recorded since the last take(). */
  take(): MetricCall[] {
    const calls = this.calls;
    this.calls = [];
    return calls;
  }
}

const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

async function isSettled(p: Promise<unknown>): Promise<boolean> {
  let settled = false;
  p.then(
    () => (settled = true),
    () => (settled = true),
  );
  await tick();
  return settled;
}

async function getItem<T>(q: WorkQueue<T & string>): Promise<T & string> {
  const r = await q.get();
  assert.equal(r.shutdown, false, 'expected an item, got shutdown');
  return (r as { item: T & string }).item;
}

const newQueue = (clock = new FakeClock()) => new WorkQueue({ clock });

// --- tests ---

describe('Ring', () => {
  test('keeps FIFO order across wrap-around and growth', () => {
    const r = new Ring<number>();
    const out: number[] = [];
    let next = 0;
    for (let round = 0; round < 50; round++) {
      for (let i = 0; i < round; i++) r.push(next++);
      for (let i = 0; i < round / 2; i++) out.push(r.shift()!);
    }
    while (r.length > 0) out.push(r.shift()!);
    assert.equal(r.shift(), undefined);
    assert.deepEqual(out, Array.from({ length: next }, (_, i) => i));
  });
});

describe('WorkQueue basics', () => {
  test('deduplicates adds while an item waits', async () => {
    const q = newQueue();
    q.add('a');
    q.add('b');
    q.add('a');
    q.add('a');
    assert.equal(q.len(), 2);
    assert.equal(await getItem(q), 'a');
    assert.equal(await getItem(q), 'b');
    assert.equal(q.len(), 0);
    assert.equal(q.processingCount(), 2);
  });

  test('hands items out in FIFO order, with tens of thousands of items', async () => {
    const q = newQueue();
    const n = 20_000;
    // get() takes its item synchronously, so interleaving calls (not awaits) exercises the ring buffer.
    const gets: Promise<GetResult<string>>[] = [];
    for (let i = 0; i < n; i++) {
      q.add(`k${i}`);
      if (i % 3 === 0) gets.push(q.get());
    }
    assert.equal(q.len(), n - gets.length);
    while (q.len() > 0) gets.push(q.get());
    const out = (await Promise.all(gets)).map((r) => (r.shutdown ? '<shutdown>' : r.item));
    assert.equal(out.length, n);
    const firstMisplaced = out.findIndex((item, i) => item !== `k${i}`);
    assert.equal(firstMisplaced, -1, `item ${firstMisplaced} out of order`);
    assert.equal(q.processingCount(), n);
  });

  test('an empty string is a valid item', async () => {
    const q = newQueue();
    q.add('');
    assert.equal(q.len(), 1);
    assert.equal(await getItem(q), '');
  });

  test('re-adding an item being processed defers it until done, then it is processed exactly once more', async () => {
    const q = newQueue();
    q.add('a');
    q.add('b');
    assert.equal(await getItem(q), 'a');
    q.add('a');
    q.add('a');
    assert.equal(q.len(), 1, 'only b is waiting; a is dirty but still processing');
    assert.equal(await getItem(q), 'b');
    const blocked = q.get(); // must not receive a while a is processing
    assert.equal(await isSettled(blocked), false);

    q.done('a');
    assert.deepEqual(await blocked, { item: 'a', shutdown: false });
    assert.equal(q.processingCount(), 2);
    q.done('a');
    q.done('b');
    assert.equal(q.len(), 0);
    assert.equal(q.processingCount(), 0);
    assert.equal(await isSettled(q.get()), false, 'a was processed exactly once more');
    q.shutdown();
  });

  test('done without the item re-added does not requeue; unknown done is ignored', async () => {
    const q = newQueue();
    q.add('a');
    await getItem(q);
    q.done('a');
    q.done('a');
    q.done('never');
    assert.equal(q.len(), 0);
    assert.equal(q.processingCount(), 0);
  });

  test('get waits for an add; blocked getters are served in call order', async () => {
    const q = newQueue();
    const g1 = q.get();
    const g2 = q.get();
    assert.equal(await isSettled(g1), false);
    q.add('x');
    q.add('y');
    assert.deepEqual(await g1, { item: 'x', shutdown: false });
    assert.deepEqual(await g2, { item: 'y', shutdown: false });
    assert.equal(q.len(), 0);
    assert.equal(q.processingCount(), 2);
  });

  test('a dirty item finished while a getter waits goes straight to that getter', async () => {
    const q = newQueue();
    q.add('a');
    await getItem(q);
    q.add('a');
    const waiting = q.get();
    q.done('a');
    assert.deepEqual(await waiting, { item: 'a', shutdown: false });
    assert.equal(q.processingCount(), 1);
  });

  test('concurrent workers never hold the same item and no add is lost', async () => {
    const random = seededRandom(20260101);
    const q = newQueue();
    const keys = Array.from({ length: 25 }, (_, i) => `ns/obj-${i}`);
    const pick = () => keys[Math.floor(random() * keys.length)]!;
    const inFlight = new Set<string>();
    const needsProcessing = new Set<string>(); // added since its last processing started
    let processed = 0;
    const add = (key: string) => {
      if (q.isShuttingDown()) return;
      q.add(key);
      needsProcessing.add(key);
    };

    const worker = async () => {
      for (;;) {
        const r: GetResult<string> = await q.get();
        if (r.shutdown) return;
        assert.ok(!inFlight.has(r.item), `${r.item} handed to two workers`);
        inFlight.add(r.item);
        needsProcessing.delete(r.item);
        const steps = Math.floor(random() * 4);
        for (let i = 0; i < steps; i++) {
          await tick();
          if (random() < 0.3) add(r.item); // re-add of the item being worked on
          if (random() < 0.3) add(pick());
        }
        inFlight.delete(r.item);
        processed++;
        q.done(r.item);
      }
    };

    const workers = Array.from({ length: 8 }, () => worker());
    for (let i = 0; i < 3000; i++) {
      add(pick());
      if (random() < 0.4) await tick();
    }
    await q.shutdownWithDrain();
    await Promise.all(workers);

    assert.equal(inFlight.size, 0);
    assert.deepEqual([...needsProcessing], [], 'every add was followed by processing');
    assert.equal(q.processingCount(), 0);
    assert.equal(q.len(), 0);
    assert.ok(processed > 500, `processed ${processed}`);
  });
});

describe('WorkQueue shutdown', () => {
  test('shutdown wakes every blocked getter; later gets and adds report shutdown', async () => {
    const clock = new FakeClock();
    const q = newQueue(clock);
    const getters = [q.get(), q.get(), q.get()];
    q.addAfter('later', 1000);
    assert.equal(q.isShuttingDown(), false);
    q.shutdown();
    assert.equal(q.isShuttingDown(), true);
    for (const g of getters) assert.deepEqual(await g, { shutdown: true });
    q.add('a');
    q.addAfter('b', 10);
    q.addRateLimited('c');
    assert.equal(q.len(), 0);
    assert.equal(q.numRequeues('c'), 0, 'rate limiter not consulted after shutdown');
    assert.deepEqual(await q.get(), { shutdown: true });
    assert.equal(clock.pending(), 0, 'delay timer cancelled');
    clock.advance(5000);
    assert.equal(q.len(), 0);
  });

  test('shutdown drops waiting items and re-adds, but lets in-flight items be done', async () => {
    const q = newQueue();
    q.add('a');
    q.add('b');
    await getItem(q);
    q.add('a'); // dirty while processing
    q.shutdown();
    assert.equal(q.len(), 0);
    assert.deepEqual(await q.get(), { shutdown: true });
    assert.equal(q.processingCount(), 1);
    q.done('a');
    assert.equal(q.processingCount(), 0);
    assert.equal(q.len(), 0);
  });

  test('shutdownWithDrain waits for in-flight items, handing out those still waiting', async () => {
    const q = newQueue();
    q.add('a');
    q.add('b');
    assert.equal(await getItem(q), 'a');
    const drained = q.shutdownWithDrain();
    assert.equal(q.isShuttingDown(), true);
    q.add('c'); // ignored
    assert.equal(await isSettled(drained), false);
    assert.equal(await getItem(q), 'b');
    assert.deepEqual(await q.get(), { shutdown: true }, 'nothing left waiting');
    q.done('a');
    assert.equal(await isSettled(drained), false, 'b still in flight');
    q.done('b');
    assert.equal(await isSettled(drained), true);
    assert.equal(q.processingCount(), 0);
  });

  test('shutdownWithDrain wakes idle getters and processes items re-added while in flight', async () => {
    const q = newQueue();
    q.add('a');
    await getItem(q);
    const idle = q.get();
    q.add('a'); // dirty; the idle getter must not get it
    const drained = q.shutdownWithDrain();
    assert.deepEqual(await idle, { shutdown: true });
    q.done('a');
    assert.equal(q.len(), 1);
    assert.equal(await isSettled(drained), false);
    assert.equal(await getItem(q), 'a');
    q.done('a');
    assert.equal(await isSettled(drained), true);
  });

  test('shutdownWithDrain resolves at once when idle; shutdown() ends a pending drain', async () => {
    const idle = newQueue();
    assert.equal(await isSettled(idle.shutdownWithDrain()), true);

    const q = newQueue();
    q.add('a');
    q.add('b');
    await getItem(q);
    const drained = q.shutdownWithDrain();
    assert.equal(await isSettled(drained), false);
    q.shutdown();
    assert.equal(await isSettled(drained), true);
    assert.equal(q.len(), 0, 'waiting items dropped');
    // A drain requested after shutdown() still waits for in-flight work.
    const again = q.shutdownWithDrain();
    assert.equal(await isSettled(again), false);
    q.done('a');
    assert.equal(await isSettled(again), true);
  });
});

describe('WorkQueue metrics', () => {
  test('reports adds, depth, queue latency and work duration', async () => {
    const clock = new FakeClock();
    const m = new RecordingMetrics();
    const q = new WorkQueue({ clock, metrics: m });
    q.add('a');
    q.add('a'); // merged into the waiting one: not counted, as in client-go
    q.add('b');
    assert.deepEqual(m.take(), [['add'], ['depth', 1], ['add'], ['depth', 2]]);

    clock.advance(250);
    assert.equal(await getItem(q), 'a');
    assert.deepEqual(m.take(), [
      ['queueLatency', 0.25],
      ['depth', 1],
    ]);
    clock.advance(100);
    q.add('a'); // dirty while processing: counted in depth, as in client-go
    assert.deepEqual(m.take(), [['add'], ['depth', 2]]);
    clock.advance(50);
    q.done('a');
    assert.deepEqual(m.take(), [['workDuration', 0.15]]);

    assert.equal(await getItem(q), 'b'); // added at 0, got at 400 ms
    assert.equal(await getItem(q), 'a'); // re-added at 350 ms
    assert.deepEqual(m.take(), [
      ['queueLatency', 0.4],
      ['depth', 1],
      ['queueLatency', 0.05],
      ['depth', 0],
    ]);
    q.shutdown();
  });

  test('a getter already waiting sees zero queue latency', async () => {
    const clock = new FakeClock();
    const m = new RecordingMetrics();
    const q = new WorkQueue({ clock, metrics: m });
    const g = q.get();
    q.add('a');
    await g;
    assert.deepEqual(m.take(), [['add'], ['queueLatency', 0]]);
    q.shutdown();
  });

  test('counts a retry for each rate-limited add', () => {
    const clock = new FakeClock();
    const m = new RecordingMetrics();
    const q = new WorkQueue({ clock, metrics: m });
    q.addRateLimited('a');
    assert.deepEqual(m.take(), [['retry']]);
    clock.advance(5);
    assert.deepEqual(m.take(), [['add'], ['depth', 1]]);
    q.addAfter('b', 10); // a plain delayed add is not a retry
    clock.advance(10);
    assert.deepEqual(m.take(), [['add'], ['depth', 2]]);
    q.shutdown();
    assert.deepEqual(m.take(), [['depth', 0]]);
  });

  test('reports unfinished work every 500 ms until shutdown', async () => {
    const clock = new FakeClock();
    const m = new RecordingMetrics();
    const q = new WorkQueue({ clock, metrics: m });
    q.add('a');
    q.add('b');
    await getItem(q); // a: processing since 0
    clock.advance(200);
    await getItem(q); // b: processing since 200
    m.take();
    clock.advance(300);
    assert.deepEqual(m.take(), [['unfinished', 0.5 + 0.3, 0.5]]);
    q.done('a');
    m.take();
    clock.advance(500);
    assert.deepEqual(m.take(), [['unfinished', 0.8, 0.8]]);
    q.done('b');
    m.take();
    clock.advance(500);
    assert.deepEqual(m.take(), [['unfinished', 0, 0]]);

    q.shutdown();
    assert.equal(clock.pending(), 0, 'ticker cancelled');
    clock.advance(2000);
    assert.deepEqual(m.take(), []);
  });

  test('no ticker runs without metrics', () => {
    const clock = new FakeClock();
    newQueue(clock);
    assert.equal(clock.pending(), 0);
  });

  test('the unfinished ticker stops once a drain completes', async () => {
    const clock = new FakeClock();
    const m = new RecordingMetrics();
    const q = new WorkQueue({ clock, metrics: m });
    q.add('a');
    await getItem(q);
    const drained = q.shutdownWithDrain();
    clock.advance(500);
    assert.deepEqual(m.calls.at(-1), ['unfinished', 0.5, 0.5], 'still reported while draining');
    q.done('a');
    await drained;
    assert.equal(clock.pending(), 0);
  });
});
