// Kubernetes resource.Quantity: parsing and canonical formatting, computed exactly (BigInt mantissa and
// a decimal exponent) so that e.g. "0.1" is 100 milli-units, not 100.00000000000001.
//
// Grammar (resource.ParseQuantity):  [+-] digits [. digits] suffix   (".5" and "1." are allowed)
//   suffix: "" | n u m k M G T P E (decimal SI) | Ki Mi Gi Ti Pi Ei (binary SI) | e<int> / E<int>
// No whitespace anywhere. Stricter than upstream in one way: at least one digit is required (upstream
// quietly reads "Mi", "-" or "." as zero). As upstream: a non-zero value with more than nine decimal
// places is rounded up (away from zero) to the next nano; a BinarySI value is capped at 2^63-1 in
// magnitude. Exponents beyond ±1000 are rejected (upstream has no use for them either).

export type QuantityFormat = 'DecimalSI' | 'BinarySI' | 'DecimalExponent';

/** An exact value: (neg ? -1 : 1) * coef * 10^exp, coef >= 0. */
interface Exact {
  neg: boolean;
  coef: bigint;
  exp: number;
  format: QuantityFormat;
}

const decimalSuffixes: Record<string, number> = { n: -9, u: -6, m: -3, '': 0, k: 3, M: 6, G: 9, T: 12, P: 15, E: 18 };
const binarySuffixes: Record<string, number> = { Ki: 10, Mi: 20, Gi: 30, Ti: 40, Pi: 50, Ei: 60 };
const decimalSuffixByExp = new Map(Object.entries(decimalSuffixes).map(([s, e]) => [e, s]));
const binarySuffixByPow = ['', 'Ki', 'Mi', 'Gi', 'Ti', 'Pi', 'Ei'];
const maxBinary = (1n << 63n) - 1n;
const maxExponent = 1000;

const quantityPattern = /^([+-]?)([0-9]*)(?:\.([0-9]*))?(.*)$/s;

function fail(s: string, why: string): never {
  throw new Error(`invalid quantity ${JSON.stringify(s)}: ${why}`);
}

function parseExact(s: string): Exact {
  if (typeof s !== 'string') throw new Error(`invalid quantity ${String(s)}: not a string`);
  if (s === '') fail(s, 'empty');
  const m = quantityPattern.exec(s);
  if (!m) fail(s, 'expected [+-]<digits>[.<digits>]<suffix>');
  const [, sign = '', int = '', frac = '', suffix = ''] = m;
  if (int.length + frac.length === 0) fail(s, 'no digits');
  let coef = BigInt(int + frac);
  let exp = -frac.length;
  let format: QuantityFormat;
  if (Object.hasOwn(decimalSuffixes, suffix)) {
    format = 'DecimalSI';
    exp += decimalSuffixes[suffix] as number;
  } else if (Object.hasOwn(binarySuffixes, suffix)) {
    format = 'BinarySI';
    coef <<= BigInt(binarySuffixes[suffix] as number);
  } else if (/^[eE][+-]?[0-9]+$/.test(suffix)) {
    format = 'DecimalExponent';
    const e = Number(suffix.slice(1));
    if (!(Math.abs(e) <= maxExponent)) fail(s, `exponent out of range (±${maxExponent})`);
    exp += e;
  } else {
    fail(
      s,
      `unknown suffix ${JSON.stringify(suffix)} (expected one of n u m k M G T P E, Ki Mi Gi Ti Pi Ei, or e<exponent>)`,
    );
  }
  const q = normalize({ neg: sign === '-', coef, exp, format });
  // Upstream caps a parsed BinarySI amount at 2^63-1 in magnitude.
  if (q.format === 'BinarySI' && q.exp >= 0 && q.coef * 10n ** BigInt(q.exp) > maxBinary) {
    return { ...q, coef: maxBinary, exp: 0 };
  }
  return q;
}

/** Strips trailing zeros, rounds up to nano, and drops -0. */
function normalize(q: Exact): Exact {
  let { coef, exp } = q;
  let format = q.format;
  if (coef === 0n) return { neg: false, coef: 0n, exp: 0, format };
  while (coef % 10n === 0n) {
    coef /= 10n;
    exp++;
  }
  if (exp < -9) {
    const shift = -9 - exp;
    const digits = coef.toString().length;
    if (shift > digits) coef = 1n;
    else {
      const div = 10n ** BigInt(shift);
      coef = coef / div + (coef % div === 0n ? 0n : 1n);
    }
    exp = -9;
    while (coef % 10n === 0n) {
      coef /= 10n;
      exp++;
    }
  }
  if (format === 'BinarySI') {
    // A BinarySI value below 1 keeps no binary meaning (upstream switches it to DecimalSI).
    if (exp < 0 && coef < 10n ** BigInt(-exp)) format = 'DecimalSI';
  }
  return { neg: q.neg, coef, exp, format };
}

function toNumber(q: Exact, extraExp = 0): number {
  if (q.coef === 0n) return 0;
  return Number(`${q.neg ? '-' : ''}${q.coef}e${q.exp + extraExp}`);
}

/** The value as a number (may be fractional; large values lose precision as floats do). Throws if invalid. */
export function parseQuantity(s: string): number {
  return toNumber(parseExact(s));
}

/**
 * The value in integer milli-units, rounded up away from zero like Quantity.MilliValue
 * (ceil(q * 1000) for positive q): "100m" → 100, "0.1" → 100, "1n" → 1, "-1n" → -1. Throws if invalid.
 */
export function parseQuantityMilli(s: string): number {
  const q = parseExact(s);
  const e = q.exp + 3;
  if (e >= 0) return toNumber(q, 3);
  const div = 10n ** BigInt(-e);
  const magnitude = q.coef / div + (q.coef % div === 0n ? 0n : 1n);
  return Number(q.neg ? -magnitude : magnitude);
}

/**
 * Canonical form, as Quantity.String() emits it: no fractional digits, the largest suffix that keeps
 * the mantissa whole. A string is parsed first and keeps its own format unless `format` is given
 * ("1.5Gi" → "1536Mi", "0.5" → "500m", "1000" → "1k", "1e3" → "1e3"); a number defaults to DecimalSI
 * (0.25 → "250m", 1.5 → "1500m") and is read via its shortest decimal representation.
 * BinarySI applies only to whole values of magnitude ≥ 1024; others fall back to DecimalSI
 * (formatQuantity(512, 'BinarySI') → "512", formatQuantity(2 ** 30, 'BinarySI') → "1Gi").
 * Throws on an invalid string or a non-finite number.
 */
export function formatQuantity(value: number | string, format?: QuantityFormat): string {
  let q: Exact;
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new Error(`invalid quantity ${value}: not a finite number`);
    q = parseExact(String(value));
    q = { ...q, format: format ?? 'DecimalSI' };
  } else {
    q = parseExact(value);
    if (format) q = { ...q, format };
  }
  return canonical(normalize(q));
}

function canonical(q: Exact): string {
  if (q.coef === 0n) return '0';
  const sign = q.neg ? '-' : '';
  let format = q.format;
  if (format === 'BinarySI') {
    const whole = q.exp >= 0;
    const big = whole && q.coef * 10n ** BigInt(q.exp) >= 1024n;
    if (!big) format = 'DecimalSI';
  }
  if (format === 'BinarySI') {
    let n = q.coef * 10n ** BigInt(q.exp);
    let pow = 0;
    while (pow < binarySuffixByPow.length - 1 && n % 1024n === 0n) {
      n /= 1024n;
      pow++;
    }
    return `${sign}${n}${binarySuffixByPow[pow]}`;
  }
  // Decimal: exponent down to a multiple of three (coef grows), within the SI suffix range.
  let exp = Math.floor(q.exp / 3) * 3;
  if (format === 'DecimalSI') exp = Math.min(exp, 18);
  const mantissa = q.coef * 10n ** BigInt(q.exp - exp);
  if (format === 'DecimalExponent') return `${sign}${mantissa}${exp === 0 ? '' : `e${exp}`}`;
  return `${sign}${mantissa}${decimalSuffixByExp.get(exp) ?? ''}`;
}
