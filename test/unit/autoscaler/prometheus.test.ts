// A Prometheus query result must be exactly one finite sample; anything else says what came back.
import assert from 'node:assert/strict';
import { describe, test } from '@jest/globals';
import { sampleOf } from '../../../src/controllers/autoscaler/prometheus.ts';

describe('sampleOf', () => {
  const ok: [string, Parameters<typeof sampleOf>[1], { milliValue: number; timestampMs: number }][] = [
    ['one-series vector', { resultType: 'vector', result: [{ metric: {}, value: [1700000000.5, '42'] }] }, { milliValue: 42_000, timestampMs: 1700000000500 }],
    ['scalar', { resultType: 'scalar', result: [1700000000, '0.25'] }, { milliValue: 250, timestampMs: 1700000000000 }],
    ['fraction rounds up like MilliValue', { resultType: 'scalar', result: [1, '0.0001'] }, { milliValue: 1, timestampMs: 1000 }],
    ['exact milli stays exact', { resultType: 'scalar', result: [1, '1.1'] }, { milliValue: 1100, timestampMs: 1000 }],
    ['zero', { resultType: 'vector', result: [{ value: [2, '0'] }] }, { milliValue: 0, timestampMs: 2000 }],
  ];
  for (const [name, data, want] of ok) test(name, () => assert.deepEqual(sampleOf('q', data), want));

  const bad: [string, Parameters<typeof sampleOf>[1], RegExp][] = [
    ['empty vector', { resultType: 'vector', result: [] }, /returned 0 samples; it must return exactly one/],
    ['two series', { resultType: 'vector', result: [{ value: [1, '1'] }, { value: [1, '2'] }] }, /returned 2 samples.*sum\(\)/],
    ['a range matrix', { resultType: 'matrix', result: [] }, /returned a matrix result/],
    ['NaN', { resultType: 'scalar', result: [1, 'NaN'] }, /returned NaN, not a finite number/],
    ['+Inf', { resultType: 'vector', result: [{ value: [1, '+Inf'] }] }, /returned \+Inf/],
    ['no data', undefined, /returned a missing result/],
  ];
  for (const [name, data, want] of bad) test(`rejects ${name}`, () => assert.throws(() => sampleOf('q', data), want));
});
