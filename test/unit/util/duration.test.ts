import { test, describe } from '@jest/globals';
import assert from 'node:assert/strict';
import { formatDuration, parseDuration, parseGoDuration } from '../../../src/runtime/util/duration.ts';
import { seededRandom } from '../../support/random.ts';

describe('parseDuration (Go time.ParseDuration)', () => {
  // Expected values in milliseconds; inputs follow Go's parseDurationTests.
  const cases: [string, number][] = [
    ['0', 0],
    ['+0', 0],
    ['-0', 0],
    ['5s', 5000],
    ['30s', 30_000],
    ['1478s', 1_478_000],
    ['-5s', -5000],
    ['+5s', 5000],
    ['5.0s', 5000],
    ['5.6s', 5600],
    ['5.s', 5000],
    ['.5s', 500],
    ['1.004s', 1004],
    ['100.00100s', 100_001],
    ['10ns', 0.00001],
    ['11us', 0.011],
    ['12µs', 0.012], // U+00B5
    ['12μs', 0.012], // U+03BC
    ['13ms', 13],
    ['300ms', 300],
    ['16h', 57_600_000],
    ['1.5h', 5_400_000],
    ['2h45m', 9_900_000],
    ['-1m', -60_000],
    ['10.5s4m', 250_500],
    ['-2m3.4s', -123_400],
    ['1h2m3.5s', 3_723_500],
    ['1h2m3s4ms5us6ns', 3_723_004.005006],
    ['39h9m14.425s', 140_954_425],
    ['52763797000ns', 52_763.797],
    ['0.3333333333333333333h', 1_200_000],
    ['1.5ns', 0.000001], // sub-nanosecond fractions are truncated
    ['1.0000000000000000001s', 1000], // digits beyond int64 precision are ignored
    ['9223372036854775807ns', Number(2n ** 63n - 1n) / 1e6],
    ['-9223372036854775808ns', -Number(2n ** 63n) / 1e6],
  ];
  for (const [input, ms] of cases) {
    test(`${JSON.stringify(input)} → ${ms}ms`, () => {
      assert.equal(parseDuration(input), ms);
    });
  }
});

describe('parseDuration rejects invalid input', () => {
  const cases: [string, RegExp][] = [
    ['', /: time: invalid duration ""$/],
    ['3', /: time: missing unit in duration "3"$/],
    ['5', /missing unit/],
    ['-', /invalid duration/],
    ['s', /invalid duration/],
    ['.', /invalid duration/],
    ['-.', /invalid duration/],
    ['.s', /invalid duration/],
    ['+.s', /invalid duration/],
    ['1d', /: time: unknown unit "d" in duration "1d"$/],
    ['1h 2m', /unknown unit "h "/],
    ['1H', /unknown unit "H"/],
    ['1e3s', /unknown unit "e"/],
    [' 1s', /invalid duration/],
    ['9223372036854775808ns', /invalid duration/],
    ['9223372036854775.808us', /invalid duration/],
    ['3000000h', /invalid duration/],
    ['-9223372036854775809ns', /invalid duration/],
  ];
  for (const [input, message] of cases) {
    test(JSON.stringify(input), () => {
      assert.throws(() => parseDuration(input), message);
    });
  }
});

describe('formatDuration (Go Duration.String)', () => {
  const cases: [number, string][] = [
    [0, '0s'],
    [0.000001, '1ns'],
    [0.0011, '1.1µs'],
    [2.2, '2.2ms'],
    [500, '500ms'],
    [999, '999ms'],
    [1000, '1s'],
    [1500, '1.5s'],
    [3300, '3.3s'],
    [60_000, '1m0s'],
    [90_000, '1m30s'],
    [270_000 + 5000, '4m35s'],
    [3_600_000, '1h0m0s'],
    [5_400_000, '1h30m0s'],
    [3_723_500, '1h2m3.5s'],
    [3_723_004.005006, '1h2m3.004005006s'],
    [-60_000, '-1m0s'],
    [-0.5, '-500µs'],
    [1e-7, '0s'], // below a nanosecond
  ];
  for (const [ms, text] of cases) {
    test(`${ms}ms → ${text}`, () => {
      assert.equal(formatDuration(ms), text);
    });
  }
  for (const text of ['300ms', '1h2m3.5s', '-2m3.4s', '1.5µs', '2h45m0s', '1ns']) {
    test(`round trip ${text}`, () => {
      assert.equal(formatDuration(parseDuration(text)), text);
    });
  }
  for (const bad of [NaN, Infinity]) {
    test(`${bad} throws`, () => assert.throws(() => formatDuration(bad), /not a finite number/));
  }
});

describe('parseDuration: the fast path for plain seconds agrees with the general parser', () => {
  const inputs = ['0s', '1s', '20.006s', '19.999999999s', '999999.999999999s', '0.5s', '10.000000001s', '5.1234s'];
  // And a spread of generated ones: whole seconds of 1-6 digits, fractions of 0-9 digits.
  const random = seededRandom(7);
  const next = (n: number) => Math.floor(random() * n);
  for (let i = 0; i < 500; i++) {
    const whole = String(next(10 ** (1 + next(6))));
    const digits = next(10);
    const fraction = digits ? '.' + Array.from({ length: digits }, () => next(10)).join('') : '';
    inputs.push(`${whole}${fraction}s`);
  }
  test('agree on every input', () => {
    const disagreements = inputs.filter((input) => parseDuration(input) !== parseGoDuration(input));
    assert.deepEqual(disagreements, []);
  });
  test('inputs beyond the fast path still parse (and fail) as Go does', () => {
    assert.equal(parseDuration('1234567s'), 1_234_567_000);
    assert.equal(parseDuration('1.5000000001s'), 1500);
    assert.throws(() => parseDuration('1.s.s'), /invalid duration/);
  });
});
