// Go time.Duration text: parsing as time.ParseDuration and formatting as Duration.String(), with
// milliseconds (a JS number, possibly fractional) on this side. Computation is done in integer
// nanoseconds (BigInt), like Go, so results match Go's to the nanosecond.

const nsPerUnit: Record<string, bigint> = {
  ns: 1n,
  us: 1_000n,
  'µs': 1_000n, // U+00B5 micro sign
  'μs': 1_000n, // U+03BC Greek mu
  ms: 1_000_000n,
  s: 1_000_000_000n,
  m: 60_000_000_000n,
  h: 3_600_000_000_000n,
};

const maxNs = (1n << 63n) - 1n;
const nsPerMs = 1_000_000;

function invalid(orig: string, why?: string): never {
  throw new Error(why ? `time: ${why} in duration ${JSON.stringify(orig)}` : `time: invalid duration ${JSON.stringify(orig)}`);
}

function isDigit(c: string | undefined): boolean {
  return c !== undefined && c >= '0' && c <= '9';
}

/**
 * Parses Go duration syntax — `[-+]?([0-9]*(\.[0-9]*)?unit)+` with units ns, us (µs, μs), ms, s, m,
 * h, or a bare "0" — into milliseconds: "300ms" → 300, "1.5h" → 5_400_000, "2h45m", "-1m", ".5s" →
 * 500, "1h2m3.5s". Fractions finer than a nanosecond are truncated, as in Go. Throws Go's error text
 * for invalid input ("", "5" (missing unit), "1d" (unknown unit), ".s", out of int64 nanoseconds).
 */
export function parseDuration(s: string): number {
  // Fast path for what metrics-server sends for every pod ("20.006s"), in float arithmetic that is exact
  // here: whole seconds below 10^6 keep nanoseconds under 2^53, and the fraction is computed as Go does.
  const seconds = PLAIN_SECONDS.exec(s);
  if (seconds) {
    const fraction = seconds[2] ?? '';
    const ns = Number(seconds[1]) * 1e9 + (fraction ? Math.trunc(Number(fraction) * (1e9 / 10 ** fraction.length)) : 0);
    return ns / nsPerMs;
  }
  return parseGoDuration(s);
}

const PLAIN_SECONDS = /^(\d{1,6})(?:\.(\d{1,9}))?s$/;

/** parseDuration without the fast path (exported for the test that compares the two). */
export function parseGoDuration(s: string): number {
  const orig = s;
  let rest = s;
  let neg = false;
  if (rest.startsWith('-') || rest.startsWith('+')) {
    neg = rest[0] === '-';
    rest = rest.slice(1);
  }
  if (rest === '0') return 0;
  if (rest === '') invalid(orig);
  let total = 0n;
  while (rest !== '') {
    if (!(rest[0] === '.' || isDigit(rest[0]))) invalid(orig);
    // Integer part.
    let i = 0;
    while (isDigit(rest[i])) i++;
    const intDigits = rest.slice(0, i);
    rest = rest.slice(i);
    let v = intDigits === '' ? 0n : BigInt(intDigits);
    if (v > 1n << 63n) invalid(orig);
    // Fraction: Go keeps digits while they fit an int64 and ignores the rest.
    let f = 0n;
    let scale = 1;
    let post = false;
    if (rest.startsWith('.')) {
      rest = rest.slice(1);
      let j = 0;
      let overflow = false;
      while (isDigit(rest[j])) {
        if (!overflow) {
          if (f > maxNs / 10n) overflow = true;
          else {
            f = f * 10n + BigInt(Number(rest[j]));
            scale *= 10;
          }
        }
        j++;
      }
      post = j > 0;
      rest = rest.slice(j);
    }
    if (intDigits === '' && !post) invalid(orig);
    // Unit: everything up to the next digit or '.'.
    let k = 0;
    while (k < rest.length && !(rest[k] === '.' || isDigit(rest[k]))) k++;
    if (k === 0) invalid(orig, 'missing unit');
    const u = rest.slice(0, k);
    rest = rest.slice(k);
    const unit = nsPerUnit[u];
    if (!Object.hasOwn(nsPerUnit, u) || unit === undefined) invalid(orig, `unknown unit ${JSON.stringify(u)}`);
    if (v > (1n << 63n) / unit) invalid(orig);
    v *= unit;
    if (f > 0n) {
      // Same float64 arithmetic as Go: v += uint64(float64(f) * (float64(unit) / scale)).
      v += BigInt(Math.trunc(Number(f) * (Number(unit) / scale)));
      if (v > 1n << 63n) invalid(orig);
    }
    total += v;
    if (total > 1n << 63n) invalid(orig);
  }
  if (neg) return Number(-total) / nsPerMs;
  if (total > maxNs) invalid(orig);
  return Number(total) / nsPerMs;
}

/**
 * Go's Duration.String() for a number of milliseconds (rounded to the nanosecond): "1h0m0s",
 * "1m30s", "1.5s", "500ms", "1.5µs", "3ns", "0s", "-1m0s". Throws on a non-finite input.
 */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms)) throw new Error(`formatDuration: ${ms} is not a finite number of milliseconds`);
  const ns = BigInt(Math.round(ms * nsPerMs));
  const neg = ns < 0n;
  let u = neg ? -ns : ns;
  let out: string;
  if (u < 1_000_000_000n) {
    if (u === 0n) return '0s';
    let prec: number;
    let unit: string;
    if (u < 1_000n) {
      prec = 0;
      unit = 'ns';
    } else if (u < 1_000_000n) {
      prec = 3;
      unit = 'µs';
    } else {
      prec = 6;
      unit = 'ms';
    }
    out = `${u / 10n ** BigInt(prec)}${fraction(u, prec)}${unit}`;
  } else {
    const frac = fraction(u, 9);
    u /= 1_000_000_000n;
    out = `${u % 60n}${frac}s`;
    u /= 60n;
    if (u > 0n) {
      out = `${u % 60n}m${out}`;
      u /= 60n;
      if (u > 0n) out = `${u}h${out}`;
    }
  }
  return neg ? `-${out}` : out;
}

/** The fractional digits of `v / 10^prec` as ".ddd" without trailing zeros, or '' if whole. */
function fraction(v: bigint, prec: number): string {
  if (prec === 0) return '';
  const digits = (v % 10n ** BigInt(prec)).toString().padStart(prec, '0').replace(/0+$/, '');
  return digits === '' ? '' : `.${digits}`;
}
