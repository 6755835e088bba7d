// Completion indexes of Indexed Jobs as ordered, non-overlapping, non-adjacent intervals, and their
// compressed text form in .status.completedIndexes / .status.failedIndexes / successPolicy rules
// ("1,3-5,7"; two adjacent indexes are written "1,2", never "1-2"), as upstream's orderedIntervals.

/** A closed range of indexes, first ≤ last. */
export interface Interval {
  first: number;
  last: number;
}

/** Sorted by `first`, non-overlapping and non-adjacent (every gap is at least one index). */
export type Intervals = readonly Interval[];

const digits = /^\d+$/;

function parseNumber(s: string | undefined): number | undefined {
  if (s === undefined) return undefined;
  const t = s.trim();
  if (!digits.test(t)) return undefined;
  const n = Number(t);
  return Number.isSafeInteger(n) ? n : undefined;
}

/**
 * Parses "1,3-5,7" into intervals, keeping only indexes below `completions` (an interval crossing it is
 * clipped). Corrupt pieces ("a", "3-", "5-2", "") are skipped, as upstream skips what it cannot parse.
 * Unlike upstream, out-of-order or overlapping input is normalized instead of trusted.
 */
export function parseIndexes(text: string | undefined | null, completions: number): Interval[] {
  if (!text) return [];
  const parsed: Interval[] = [];
  for (const piece of text.split(',')) {
    const bounds = piece.split('-');
    if (bounds.length > 2) continue;
    const first = parseNumber(bounds[0]);
    const last = bounds.length === 2 ? parseNumber(bounds[1]) : first;
    if (first === undefined || last === undefined || last < first) continue;
    if (first >= completions) continue;
    parsed.push({ first, last: Math.min(last, completions - 1) });
  }
  parsed.sort((a, b) => a.first - b.first);
  return mergeIntervals([], parsed);
}

/** The compressed form: "0-2,4,6,7,9-12" ("" when empty). */
export function formatIndexes(intervals: Intervals): string {
  const parts: string[] = [];
  for (const { first, last } of intervals) {
    if (last === first) parts.push(String(first));
    else if (last === first + 1) parts.push(`${first},${last}`);
    else parts.push(`${first}-${last}`);
  }
  return parts.join(',');
}

/** Union of two interval lists (each sorted by `first`); adjacent and overlapping intervals are joined. */
export function mergeIntervals(a: Intervals, b: Intervals): Interval[] {
  const result: Interval[] = [];
  const push = (iv: Interval): void => {
    const tail = result[result.length - 1];
    if (!tail || iv.first > tail.last + 1) result.push({ first: iv.first, last: iv.last });
    else if (iv.last > tail.last) tail.last = iv.last;
  };
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    const x = a[i];
    const y = b[j];
    if (x && (!y || x.first < y.first)) {
      push(x);
      i++;
    } else if (y) {
      push(y);
      j++;
    }
  }
  return result;
}

/** Union of the intervals with a list of single indexes (any order, duplicates allowed). */
export function withIndexes(intervals: Intervals, indexes: Iterable<number>): Interval[] {
  const sorted = [...new Set(indexes)].filter((n) => Number.isInteger(n) && n >= 0).sort((x, y) => x - y);
  return mergeIntervals(
    intervals,
    sorted.map((n) => ({ first: n, last: n })),
  );
}

/** Whether `index` is in one of the intervals (binary search). */
export function hasIndex(intervals: Intervals, index: number): boolean {
  let lo = 0;
  let hi = intervals.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (intervals[mid]!.last >= index) hi = mid;
    else lo = mid + 1;
  }
  const iv = intervals[lo];
  return iv !== undefined && iv.first <= index;
}

/** How many indexes the intervals hold. */
export function countIndexes(intervals: Intervals): number {
  let n = 0;
  for (const iv of intervals) n += iv.last - iv.first + 1;
  return n;
}

/** How many indexes are in both lists. */
export function countOverlap(a: Intervals, b: Intervals): number {
  let i = 0;
  let j = 0;
  let n = 0;
  while (i < a.length && j < b.length) {
    const x = a[i]!;
    const y = b[j]!;
    const overlap = Math.min(x.last, y.last) - Math.max(x.first, y.first) + 1;
    if (overlap > 0) n += overlap;
    if (x.last < y.last) i++;
    else if (x.last > y.last) j++;
    else {
      i++;
      j++;
    }
  }
  return n;
}

/** The first `count` indexes in [0, completions) that are not in `taken`, ascending. */
export function firstMissingIndexes(taken: Intervals, count: number, completions: number): number[] {
  const result: number[] = [];
  let candidate = 0;
  for (const iv of taken) {
    for (; candidate < completions && result.length < count && candidate < iv.first; candidate++) result.push(candidate);
    if (candidate <= iv.last) candidate = iv.last + 1;
  }
  for (; candidate < completions && result.length < count; candidate++) result.push(candidate);
  return result;
}
