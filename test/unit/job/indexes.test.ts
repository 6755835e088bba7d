import { describe, test } from '@jest/globals';
import assert from 'node:assert/strict';
import {
  countIndexes,
  countOverlap,
  firstMissingIndexes,
  formatIndexes,
  hasIndex,
  mergeIntervals,
  parseIndexes,
  withIndexes,
} from '../../../src/controllers/job/indexes.ts';
import type { Interval } from '../../../src/controllers/job/indexes.ts';

const iv = (...pairs: [number, number][]): Interval[] => pairs.map(([first, last]) => ({ first, last }));

describe('parseIndexes', () => {
  const cases: { name: string; text: string | undefined; completions: number; want: Interval[] }[] = [
    { name: 'empty', text: '', completions: 10, want: [] },
    { name: 'undefined', text: undefined, completions: 10, want: [] },
    { name: 'single', text: '3', completions: 10, want: iv([3, 3]) },
    { name: 'ranges and singles', text: '1,3-5,7', completions: 10, want: iv([1, 1], [3, 5], [7, 7]) },
    { name: 'adjacent singles merge', text: '1,2', completions: 10, want: iv([1, 2]) },
    { name: 'adjacent ranges merge', text: '0-2,3-5,7', completions: 10, want: iv([0, 5], [7, 7]) },
    { name: 'clipped at completions', text: '1,3-5,7', completions: 5, want: iv([1, 1], [3, 4]) },
    { name: 'dropped at completions', text: '1,3-5,7', completions: 3, want: iv([1, 1]) },
    { name: 'zero completions', text: '0-3', completions: 0, want: [] },
    { name: 'corrupt pieces skipped', text: 'a,1,3-,x-4,6-7-8,9', completions: 20, want: iv([1, 1], [9, 9]) },
    { name: 'reversed range skipped', text: '5-2,8', completions: 20, want: iv([8, 8]) },
    { name: 'out of order normalized', text: '7,1-3,2', completions: 20, want: iv([1, 3], [7, 7]) },
    { name: 'whitespace tolerated', text: ' 1 , 3-4', completions: 20, want: iv([1, 1], [3, 4]) },
  ];
  for (const c of cases) test(c.name, () => assert.deepEqual(parseIndexes(c.text, c.completions), c.want));
});

describe('formatIndexes', () => {
  const cases: { intervals: Interval[]; want: string }[] = [
    { intervals: [], want: '' },
    { intervals: iv([0, 0]), want: '0' },
    { intervals: iv([0, 1]), want: '0,1' },
    { intervals: iv([0, 2]), want: '0-2' },
    { intervals: iv([0, 2], [4, 4], [6, 7], [9, 12]), want: '0-2,4,6,7,9-12' },
  ];
  for (const c of cases) test(JSON.stringify(c.want), () => assert.equal(formatIndexes(c.intervals), c.want));

  test('round trip', () => {
    for (const s of ['', '0', '0,1', '0-2,4,6,7,9-12', '100-1000']) assert.equal(formatIndexes(parseIndexes(s, 10_000)), s);
  });
});

describe('mergeIntervals / withIndexes', () => {
  const cases: { name: string; a: Interval[]; b: Interval[]; want: Interval[] }[] = [
    { name: 'both empty', a: [], b: [], want: [] },
    { name: 'one empty', a: iv([1, 3]), b: [], want: iv([1, 3]) },
    { name: 'disjoint interleaved', a: iv([0, 0], [4, 5]), b: iv([2, 2], [8, 9]), want: iv([0, 0], [2, 2], [4, 5], [8, 9]) },
    { name: 'adjacent joined', a: iv([0, 2]), b: iv([3, 4]), want: iv([0, 4]) },
    { name: 'overlapping joined', a: iv([0, 5]), b: iv([2, 8]), want: iv([0, 8]) },
    { name: 'contained', a: iv([0, 10]), b: iv([2, 3], [5, 6]), want: iv([0, 10]) },
    { name: 'bridge', a: iv([0, 1], [5, 6]), b: iv([2, 4]), want: iv([0, 6]) },
  ];
  for (const c of cases) {
    test(c.name, () => {
      assert.deepEqual(mergeIntervals(c.a, c.b), c.want);
      assert.deepEqual(mergeIntervals(c.b, c.a), c.want);
    });
  }

  test('withIndexes takes unsorted duplicates and ignores negatives', () => {
    assert.deepEqual(withIndexes(iv([0, 1]), [5, 2, 2, -1, 3]), iv([0, 3], [5, 5]));
  });

  test('inputs are not mutated', () => {
    const a = iv([0, 1]);
    mergeIntervals(a, iv([2, 5]));
    assert.deepEqual(a, iv([0, 1]));
  });
});

describe('hasIndex / countIndexes / countOverlap / firstMissingIndexes', () => {
  const set = iv([1, 1], [3, 5], [9, 9]);
  const hasCases: [number, boolean][] = [
    [0, false],
    [1, true],
    [2, false],
    [3, true],
    [5, true],
    [6, false],
    [9, true],
    [10, false],
  ];
  for (const [ix, want] of hasCases) test(`has ${ix}`, () => assert.equal(hasIndex(set, ix), want));
  test('has on empty', () => assert.equal(hasIndex([], 0), false));

  test('count', () => {
    assert.equal(countIndexes([]), 0);
    assert.equal(countIndexes(set), 5);
  });

  const overlapCases: { a: Interval[]; b: Interval[]; want: number }[] = [
    { a: [], b: set, want: 0 },
    { a: iv([0, 10]), b: set, want: 5 },
    { a: iv([4, 9]), b: set, want: 3 },
    { a: iv([0, 0], [2, 2], [6, 8]), b: set, want: 0 },
  ];
  for (const c of overlapCases) test(`overlap ${formatIndexes(c.a)}`, () => assert.equal(countOverlap(c.a, c.b), c.want));

  const missingCases: { taken: Interval[]; count: number; completions: number; want: number[] }[] = [
    { taken: [], count: 3, completions: 10, want: [0, 1, 2] },
    { taken: [], count: 3, completions: 2, want: [0, 1] },
    { taken: set, count: 10, completions: 10, want: [0, 2, 6, 7, 8] },
    { taken: set, count: 2, completions: 10, want: [0, 2] },
    { taken: iv([0, 4]), count: 5, completions: 5, want: [] },
    { taken: set, count: 0, completions: 10, want: [] },
  ];
  for (const c of missingCases) {
    test(`missing from ${formatIndexes(c.taken)} x${c.count}/${c.completions}`, () =>
      assert.deepEqual(firstMissingIndexes(c.taken, c.count, c.completions), c.want));
  }
});
