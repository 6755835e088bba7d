import { describe, test } from '@jest/globals';
import assert from 'node:assert/strict';
import { FakeClock } from '../../../src/runtime/util/clock.ts';
import {
  BucketRateLimiter,
  ItemExponentialFailureRateLimiter,
  MaxOfRateLimiter,
  defaultControllerRateLimiter,
  type RateLimiter,
} from '../../../src/runtime/queue/index.ts';

describe('ItemExponentialFailureRateLimiter', () => {
  test('doubles from the base per failure, caps at the max, and forget resets', () => {
    const rl = new ItemExponentialFailureRateLimiter<string>(5, 1_000_000);
    const delays = Array.from({ length: 20 }, () => rl.when('a'));
    assert.deepEqual(delays.slice(0, 5), [5, 10, 20, 40, 80]);
    // 5 × 2^17 = 655 360 ms is the last step under 1000 s.
    assert.equal(delays[17], 655_360);
    assert.equal(delays[18], 1_000_000);
    assert.equal(delays[19], 1_000_000);
    assert.equal(rl.numRequeues('a'), 20);

    rl.forget('a');
    assert.equal(rl.numRequeues('a'), 0);
    assert.equal(rl.when('a'), 5);
  });

  test('tracks items separately', () => {
    const rl = new ItemExponentialFailureRateLimiter<string>(1, 1000);
    rl.when('a');
    rl.when('a');
    assert.equal(rl.when('b'), 1);
    assert.equal(rl.when('a'), 4);
    assert.equal(rl.numRequeues('a'), 3);
    assert.equal(rl.numRequeues('b'), 1);
    assert.equal(rl.numRequeues('c'), 0);
  });

  test('never overflows past the max, however many failures', () => {
    const rl = new ItemExponentialFailureRateLimiter<string>(5, 1_000_000);
    let last = 0;
    for (let i = 0; i < 3000; i++) last = rl.when('a');
    assert.equal(last, 1_000_000);
    // 0 × 2^2000 would be NaN without the guard.
    const zero = new ItemExponentialFailureRateLimiter<string>(0, 100);
    for (let i = 0; i < 2000; i++) assert.equal(zero.when('a'), 0);
  });
});

describe('BucketRateLimiter', () => {
  test('lets a burst through, then spaces reservations by 1/qps', () => {
    const clock = new FakeClock();
    const rl = new BucketRateLimiter<string>(10, 100, clock);
    for (let i = 0; i < 100; i++) assert.equal(rl.when(`k${i}`), 0);
    assert.equal(rl.when('x'), 100);
    assert.equal(rl.when('y'), 200);
    assert.equal(rl.when('z'), 300);
    // forget and numRequeues do nothing.
    rl.forget('x');
    assert.equal(rl.numRequeues('x'), 0);
  });

  test('refills at qps over time, never above the burst', () => {
    const clock = new FakeClock();
    const rl = new BucketRateLimiter<string>(10, 5, clock);
    for (let i = 0; i < 7; i++) rl.when('a'); // 5 free, 2 reserved ahead: tokens = -2
    clock.advance(500); // +5 tokens → 3
    for (let i = 0; i < 3; i++) assert.equal(rl.when('a'), 0);
    assert.equal(rl.when('a'), 100);

    clock.advance(60_000); // refill is capped at the burst
    for (let i = 0; i < 5; i++) assert.equal(rl.when('a'), 0);
    assert.equal(rl.when('a'), 100);
  });

  test('partial refills give partial waits', () => {
    const clock = new FakeClock();
    const rl = new BucketRateLimiter<string>(10, 1, clock);
    assert.equal(rl.when('a'), 0);
    clock.advance(40);
    assert.equal(rl.when('a'), 60);
  });

  test('rejects invalid settings; Infinity qps never waits', () => {
    assert.throws(() => new BucketRateLimiter(0, 1), RangeError);
    assert.throws(() => new BucketRateLimiter(1, 0), RangeError);
    const rl = new BucketRateLimiter(Infinity, 1, new FakeClock());
    for (let i = 0; i < 10; i++) assert.equal(rl.when('a'), 0);
  });
});

describe('MaxOfRateLimiter', () => {
  class Fixed implements RateLimiter<string> {
    forgotten: string[] = [];
    delay: number;
    requeues: number;
    calls = 0;
    constructor(delay: number, requeues: number) {
      this.delay = delay;
      this.requeues = requeues;
    }
    when(): number {
      this.calls++;
      return this.delay;
    }
    forget(item: string): void {
      this.forgotten.push(item);
    }
    numRequeues(): number {
      return this.requeues;
    }
  }

  test('takes the longest delay and the most requeues; forgets in all; consults every limiter', () => {
    const a = new Fixed(10, 3);
    const b = new Fixed(50, 1);
    const c = new Fixed(20, 7);
    const rl = new MaxOfRateLimiter(a, b, c);
    assert.equal(rl.when('x'), 50);
    assert.deepEqual([a.calls, b.calls, c.calls], [1, 1, 1]);
    assert.equal(rl.numRequeues('x'), 7);
    rl.forget('x');
    assert.deepEqual([a.forgotten, b.forgotten, c.forgotten], [['x'], ['x'], ['x']]);
  });

  test('controller default: per-item backoff until the overall bucket runs dry', () => {
    const clock = new FakeClock();
    const rl = defaultControllerRateLimiter<string>(clock);
    assert.equal(rl.when('a'), 5);
    assert.equal(rl.when('a'), 10);
    assert.equal(rl.when('a'), 20);
    assert.equal(rl.numRequeues('a'), 3);
    rl.forget('a');
    assert.equal(rl.numRequeues('a'), 0);
    // 3 tokens used; 97 more distinct items go at the 5 ms base, then the 10 qps bucket dominates.
    for (let i = 0; i < 97; i++) assert.equal(rl.when(`k${i}`), 5);
    assert.equal(rl.when('late'), 100);
    assert.equal(rl.when('later'), 200);
  });
});
