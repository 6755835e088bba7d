import { test, describe } from '@jest/globals';
import assert from 'node:assert/strict';
import { parseTime, rfc3339, rfc3339Micro } from '../../../src/runtime/util/time.ts';

const T = Date.UTC(2026, 0, 2, 3, 4, 5, 678);

describe('rfc3339 / rfc3339Micro', () => {
  const cases: { ms: number; time: string; micro: string }[] = [
    { ms: 0, time: '1970-01-01T00:00:00Z', micro: '1970-01-01T00:00:00.000000Z' },
    { ms: T, time: '2026-01-02T03:04:05Z', micro: '2026-01-02T03:04:05.678000Z' },
    { ms: T + 0.123, time: '2026-01-02T03:04:05Z', micro: '2026-01-02T03:04:05.678123Z' },
    { ms: Date.UTC(2024, 1, 29, 23, 59, 59, 999), time: '2024-02-29T23:59:59Z', micro: '2024-02-29T23:59:59.999000Z' },
    { ms: -1, time: '1969-12-31T23:59:59Z', micro: '1969-12-31T23:59:59.999000Z' },
    { ms: Date.UTC(9999, 11, 31, 23, 59, 59), time: '9999-12-31T23:59:59Z', micro: '9999-12-31T23:59:59.000000Z' },
    { ms: parseTime('0001-01-01T00:00:00Z'), time: '0001-01-01T00:00:00Z', micro: '0001-01-01T00:00:00.000000Z' },
  ];
  for (const c of cases) {
    test(`${c.ms} → ${c.time}`, () => {
      assert.equal(rfc3339(c.ms), c.time);
      assert.equal(rfc3339Micro(c.ms), c.micro);
    });
  }
  for (const bad of [NaN, Infinity, Date.UTC(10000, 0, 1), parseTime('0000-01-01T00:00:00Z') - 1]) {
    test(`${bad} throws`, () => {
      assert.throws(() => rfc3339(bad), RangeError);
      assert.throws(() => rfc3339Micro(bad), RangeError);
    });
  }
});

describe('parseTime', () => {
  const cases: [string, number][] = [
    ['1970-01-01T00:00:00Z', 0],
    ['2026-01-02T03:04:05Z', Date.UTC(2026, 0, 2, 3, 4, 5)],
    ['2026-01-02T03:04:05.678Z', T],
    ['2026-01-02T03:04:05.678000Z', T],
    ['2026-01-02T03:04:05.5Z', Date.UTC(2026, 0, 2, 3, 4, 5, 500)],
    ['2026-01-02T05:04:05+02:00', Date.UTC(2026, 0, 2, 3, 4, 5)],
    ['2026-01-01T22:34:05-04:30', Date.UTC(2026, 0, 2, 3, 4, 5)],
    ['2026-01-02T03:04:05+00:00', Date.UTC(2026, 0, 2, 3, 4, 5)],
    ['2024-02-29T00:00:00Z', Date.UTC(2024, 1, 29)],
    ['2000-02-29T00:00:00Z', Date.UTC(2000, 1, 29)], // divisible by 400: a leap year
    ['0000-02-29T00:00:00Z', Date.parse('0000-02-29T00:00:00.000Z')], // year 0 is a leap year (proleptic Gregorian)
    ['2026-12-31T23:59:59Z', Date.UTC(2026, 11, 31, 23, 59, 59)],
    ['0050-06-01T00:00:00Z', Date.parse('0050-06-01T00:00:00.000Z')], // Date.UTC would read year 50 as 1950
  ];
  for (const [s, ms] of cases) void test(`${s} → ${ms}`, () => assert.equal(parseTime(s), ms));

  test('micro precision round-trips', () => {
    for (const s of ['2026-01-02T03:04:05.678123Z', '2026-12-31T23:59:59.999999Z', '2026-01-02T03:04:05.000001Z']) {
      assert.equal(rfc3339Micro(parseTime(s)), s);
    }
  });

  const invalid = [
    '',
    '2026-01-02',
    '2026-01-02 03:04:05Z',
    '2026-01-02t03:04:05Z',
    '2026-01-02T03:04:05z',
    '2026-01-02T03:04:05',
    '2026-01-02T03:04:05.Z',
    '2026-01-02T03:04Z',
    '2026-1-02T03:04:05Z',
    '2026-13-01T00:00:00Z',
    '2026-00-01T00:00:00Z',
    '2025-02-29T00:00:00Z',
    '1900-02-29T00:00:00Z', // divisible by 100, not by 400: not a leap year
    '2024-02-30T00:00:00Z',
    '2026-06-31T00:00:00Z',
    '2026-04-31T00:00:00Z',
    '2026-01-02T24:00:00Z',
    '2026-01-02T03:60:05Z',
    '2026-01-02T03:04:60Z',
    '2026-01-02T03:04:05+24:00',
    '2026-01-02T03:04:05+0200',
    ' 2026-01-02T03:04:05Z',
  ];
  for (const s of invalid) void test(`${JSON.stringify(s)} throws`, () => assert.throws(() => parseTime(s), /invalid RFC 3339 time/));
});
