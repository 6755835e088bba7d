import { test, describe } from '@jest/globals';
import assert from 'node:assert/strict';
import { formatQuantity, parseQuantity, parseQuantityMilli } from '../../../src/runtime/util/quantity.ts';
import type { QuantityFormat } from '../../../src/runtime/util/quantity.ts';

describe('parseQuantity / parseQuantityMilli / canonical form', () => {
  const cases: { in: string; value: number; milli: number; canonical: string }[] = [
    { in: '0', value: 0, milli: 0, canonical: '0' },
    { in: '0.5', value: 0.5, milli: 500, canonical: '500m' },
    { in: '.5', value: 0.5, milli: 500, canonical: '500m' },
    { in: '1.', value: 1, milli: 1000, canonical: '1' },
    { in: '1.G', value: 1e9, milli: 1e12, canonical: '1G' },
    { in: '0.1', value: 0.1, milli: 100, canonical: '100m' },
    { in: '100m', value: 0.1, milli: 100, canonical: '100m' },
    { in: '1500m', value: 1.5, milli: 1500, canonical: '1500m' },
    { in: '1000m', value: 1, milli: 1000, canonical: '1' },
    { in: '1000', value: 1000, milli: 1_000_000, canonical: '1k' },
    { in: '250n', value: 2.5e-7, milli: 1, canonical: '250n' },
    { in: '5u', value: 5e-6, milli: 1, canonical: '5u' },
    { in: '1k', value: 1000, milli: 1e6, canonical: '1k' },
    { in: '2M', value: 2e6, milli: 2e9, canonical: '2M' },
    { in: '1.01E', value: 1.01e18, milli: 1.01e21, canonical: '1010P' },
    { in: '1E', value: 1e18, milli: 1e21, canonical: '1E' },
    { in: '1Ki', value: 1024, milli: 1_024_000, canonical: '1Ki' },
    { in: '1.5Gi', value: 1610612736, milli: 1610612736000, canonical: '1536Mi' },
    { in: '0.5Mi', value: 524288, milli: 524288000, canonical: '512Ki' },
    { in: '1Ei', value: 2 ** 60, milli: 2 ** 60 * 1000, canonical: '1Ei' },
    { in: '-2Ki', value: -2048, milli: -2_048_000, canonical: '-2Ki' },
    { in: '+1', value: 1, milli: 1000, canonical: '1' },
    { in: '-0', value: 0, milli: 0, canonical: '0' },
    { in: '1e3', value: 1000, milli: 1e6, canonical: '1e3' },
    { in: '1E3', value: 1000, milli: 1e6, canonical: '1e3' },
    { in: '1e+3', value: 1000, milli: 1e6, canonical: '1e3' },
    { in: '1e-3', value: 0.001, milli: 1, canonical: '1e-3' },
    { in: '12e4', value: 120000, milli: 1.2e8, canonical: '120e3' },
    { in: '-1e-3', value: -0.001, milli: -1, canonical: '-1e-3' },
    // Rounded up (away from zero) to nano on parse; MilliValue rounds away from zero too.
    { in: '1e-12', value: 1e-9, milli: 1, canonical: '1e-9' },
    { in: '0.000000000001Ki', value: 2e-9, milli: 1, canonical: '2n' },
    { in: '-0.0001', value: -0.0001, milli: -1, canonical: '-100u' },
    { in: '1.0001m', value: 0.0010001, milli: 2, canonical: '1000100n' },
    // BinarySI below 1024 is shown as DecimalSI; amounts are capped at 2^63-1.
    { in: '0.5Ki', value: 512, milli: 512000, canonical: '512' },
    { in: '16Ei', value: Number(2n ** 63n - 1n), milli: Number((2n ** 63n - 1n) * 1000n), canonical: '9223372036854775807' },
  ];
  for (const c of cases) {
    test(`${JSON.stringify(c.in)} → ${c.value}, ${c.milli}m, ${c.canonical}`, () => {
      assert.equal(parseQuantity(c.in), c.value);
      assert.equal(parseQuantityMilli(c.in), c.milli);
      assert.equal(formatQuantity(c.in), c.canonical);
    });
  }
});

describe('invalid quantities throw', () => {
  const invalid = [
    '', ' 1', '1 ', '1 Gi', '1.5.5', '1.1.M', '1+1.0M', 'Mi', '-', '.', 'aoeu', '1i', '.5i', '-3.01i',
    '0.1mi', '0.1am', '1e', '1e+', '-3.01e-', '1e1.5', '1KiB', '1K', '1ki', '1Zi', '1,5', '0x10', 'Inf',
    'NaN', '1e99999', 'toString',
  ];
  for (const s of invalid) {
    test(JSON.stringify(s), () => {
      assert.throws(() => parseQuantity(s), (err: Error) => err.message.startsWith(`invalid quantity ${JSON.stringify(s)}`));
      assert.throws(() => parseQuantityMilli(s));
      assert.throws(() => formatQuantity(s));
    });
  }
});

describe('formatQuantity', () => {
  const cases: { value: number | string; format?: QuantityFormat; out: string }[] = [
    { value: 0, out: '0' },
    { value: 0.25, out: '250m' },
    { value: 1.5, out: '1500m' },
    { value: 1000, out: '1k' },
    { value: 1500, out: '1500' },
    { value: 1e-7, out: '100n' },
    { value: 1e21, out: '1000E' },
    { value: -0.5, out: '-500m' },
    { value: 2 ** 30, out: '1073741824' },
    { value: 2 ** 30, format: 'BinarySI', out: '1Gi' },
    { value: 300 * 2 ** 20, format: 'BinarySI', out: '300Mi' },
    { value: 1001 * 2 ** 30, format: 'BinarySI', out: '1001Gi' },
    { value: 1536, format: 'BinarySI', out: '1536' },
    { value: 512, format: 'BinarySI', out: '512' },
    { value: 1024.5, format: 'BinarySI', out: '1024500m' },
    { value: -2048, format: 'BinarySI', out: '-2Ki' },
    { value: 1000, format: 'DecimalExponent', out: '1e3' },
    { value: 0.25, format: 'DecimalExponent', out: '250e-3' },
    { value: '1Gi', format: 'DecimalSI', out: '1073741824' },
    { value: '1G', format: 'BinarySI', out: '1000000000' },
    { value: '4096M', format: 'BinarySI', out: '4000000Ki' },
  ];
  for (const c of cases) {
    test(`${JSON.stringify(c.value)} ${c.format ?? '(default)'} → ${c.out}`, () => {
      assert.equal(formatQuantity(c.value, c.format), c.out);
    });
  }
  for (const bad of [NaN, Infinity, -Infinity]) {
    test(`${bad} throws`, () => assert.throws(() => formatQuantity(bad), /not a finite number/));
  }
});
