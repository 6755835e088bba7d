import { test, describe } from '@jest/globals';
import assert from 'node:assert/strict';
import { Backoff } from '../../../src/runtime/util/backoff.ts';
import type { BackoffOptions } from '../../../src/runtime/util/backoff.ts';

describe('Backoff', () => {
  const cases: { name: string; options: BackoffOptions; want: number[] }[] = [
    { name: 'doubling, capped, no jitter', options: { initialMs: 100, maxMs: 1000, jitter: 0 }, want: [100, 200, 400, 800, 1000, 1000] },
    { name: 'factor 3', options: { initialMs: 10, maxMs: 500, factor: 3, jitter: 0 }, want: [10, 30, 90, 270, 500, 500] },
    { name: 'factor 1 is constant', options: { initialMs: 50, maxMs: 50, factor: 1, jitter: 0 }, want: [50, 50, 50] },
    { name: 'initial 0 stays 0', options: { initialMs: 0, maxMs: 100, jitter: 0 }, want: [0, 0] },
    { name: 'max jitter (random→1) stretches by the jitter fraction', options: { initialMs: 100, maxMs: 400, jitter: 0.5, random: () => 1 }, want: [150, 300, 600, 600] },
    { name: 'random 0 gives the base delay', options: { initialMs: 100, maxMs: 400, random: () => 0 }, want: [100, 200, 400, 400] },
    { name: 'default jitter 0.1', options: { initialMs: 1000, maxMs: 4000, random: () => 0.5 }, want: [1050, 2100, 4200, 4200] },
  ];
  for (const c of cases) {
    test(c.name, () => {
      const b = new Backoff(c.options);
      assert.deepEqual(c.want.map(() => b.next()), c.want);
      assert.equal(b.attempts, c.want.length);
    });
  }

  test('reset starts over', () => {
    const b = new Backoff({ initialMs: 100, maxMs: 10_000, jitter: 0 });
    b.next();
    b.next();
    b.next();
    b.reset();
    assert.equal(b.attempts, 0);
    assert.deepEqual([b.next(), b.next()], [100, 200]);
  });

  test('jittered delays stay within [base, base * (1 + jitter))', () => {
    let seed = 1;
    const random = () => ((seed = (seed * 16807) % 2147483647) - 1) / 2147483646;
    const b = new Backoff({ initialMs: 100, maxMs: 800, jitter: 0.2, random });
    const bases = [100, 200, 400, 800, 800, 800];
    for (const base of bases) {
      const d = b.next();
      assert.ok(d >= base && d <= base * 1.2, `${d} within [${base}, ${base * 1.2}]`);
    }
  });

  const invalid: [string, BackoffOptions, RegExp][] = [
    ['negative initial', { initialMs: -1, maxMs: 10 }, /initialMs/],
    ['NaN initial', { initialMs: NaN, maxMs: 10 }, /initialMs/],
    ['max below initial', { initialMs: 10, maxMs: 5 }, /maxMs/],
    ['infinite max', { initialMs: 10, maxMs: Infinity }, /maxMs/],
    ['factor below 1', { initialMs: 10, maxMs: 100, factor: 0.5 }, /factor/],
    ['negative jitter', { initialMs: 10, maxMs: 100, jitter: -0.1 }, /jitter/],
  ];
  for (const [name, options, err] of invalid) {
    test(`${name} throws`, () => assert.throws(() => new Backoff(options), err));
  }
});
