// Kubernetes timestamps: metav1.Time ("2006-01-02T15:04:05Z", second precision, always UTC) and
// metav1.MicroTime ("2006-01-02T15:04:05.000000Z", used by Leases and events.k8s.io Events), to and
// from milliseconds since the Unix epoch.

function utcMs(year: number, month: number, day: number, h = 0, mi = 0, s = 0): number {
  // Date.UTC maps years 0–99 to 1900–1999, so set the full year explicitly.
  const d = new Date(0);
  d.setUTCFullYear(year, month - 1, day);
  d.setUTCHours(h, mi, s, 0);
  return d.getTime();
}

const firstMs = utcMs(0, 1, 1);
const endMs = utcMs(10000, 1, 1);

function checkRange(ms: number, fn: string): void {
  if (!Number.isFinite(ms)) throw new RangeError(`${fn}: ${ms} is not a finite number of milliseconds`);
  if (ms < firstMs || ms >= endMs) throw new RangeError(`${fn}: ${ms} is outside years 0000–9999`);
}

function pad(n: number, width: number): string {
  return String(n).padStart(width, '0');
}

function dateTime(d: Date): string {
  return (
    `${pad(d.getUTCFullYear(), 4)}-${pad(d.getUTCMonth() + 1, 2)}-${pad(d.getUTCDate(), 2)}` +
    `T${pad(d.getUTCHours(), 2)}:${pad(d.getUTCMinutes(), 2)}:${pad(d.getUTCSeconds(), 2)}`
  );
}

/** metav1.Time form: UTC, second precision (truncated, as Go's formatting does), e.g. "2026-01-01T00:00:00Z". */
export function rfc3339(ms: number): string {
  checkRange(ms, 'rfc3339');
  return `${dateTime(new Date(Math.floor(ms / 1000) * 1000))}Z`;
}

/**
 * metav1.MicroTime form: UTC with exactly six fractional digits, e.g. "2026-01-01T00:00:00.250000Z".
 * A fractional `ms` is rounded to the nearest microsecond (which absorbs float noise in values such as
 * parseTime's results, so rfc3339Micro(parseTime(x)) === x for any MicroTime x).
 */
export function rfc3339Micro(ms: number): string {
  checkRange(ms, 'rfc3339Micro');
  const micros = Math.round(ms * 1000);
  const seconds = Math.floor(micros / 1_000_000);
  const fraction = micros - seconds * 1_000_000;
  return `${dateTime(new Date(seconds * 1000))}.${pad(fraction, 6)}Z`;
}

const rfc3339Pattern = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?(?:(Z)|([+-])(\d{2}):(\d{2}))$/;

/**
 * Milliseconds since the epoch for an RFC 3339 timestamp as Go's time.Parse(time.RFC3339) accepts it:
 * "T" and "Z" upper-case, optional fractional seconds of any length, "Z" or a ±hh:mm offset; fields
 * range-checked (no Feb 30, no leap second 60). Sub-millisecond digits give a fractional result
 * (".123456" → +123.456). Throws on anything else.
 */
export function parseTime(s: string): number {
  const m = typeof s === 'string' ? rfc3339Pattern.exec(s) : null;
  if (!m) throw new Error(`invalid RFC 3339 time ${JSON.stringify(s)}: expected YYYY-MM-DDThh:mm:ss[.fraction](Z|±hh:mm)`);
  const [, y, mo, d, h, mi, sec, frac, z, sign, oh, om] = m;
  const year = Number(y);
  const month = Number(mo);
  const day = Number(d);
  const hour = Number(h);
  const minute = Number(mi);
  const second = Number(sec);
  const bad = (what: string): never => {
    throw new Error(`invalid RFC 3339 time ${JSON.stringify(s)}: ${what} out of range`);
  };
  if (month < 1 || month > 12) bad('month');
  if (day < 1 || day > daysIn(year, month)) bad('day');
  if (hour > 23) bad('hour');
  if (minute > 59) bad('minute');
  if (second > 59) bad('second');
  let offsetMinutes = 0;
  if (!z) {
    const offH = Number(oh);
    const offM = Number(om);
    if (offH > 23) bad('time zone hour');
    if (offM > 59) bad('time zone minute');
    offsetMinutes = (sign === '-' ? -1 : 1) * (offH * 60 + offM);
  }
  const fractionMs = frac ? Number(`0.${frac}`) * 1000 : 0;
  // Date.UTC reads years 0–99 as 1900–1999; every other year costs no Date object (this runs per pod per sync).
  const ms = year < 100 ? utcMs(year, month, day, hour, minute, second) : Date.UTC(year, month - 1, day, hour, minute, second);
  return ms - offsetMinutes * 60_000 + fractionMs;
}

const monthDays = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/** Days in a month of the proleptic Gregorian calendar (Go's and JavaScript's). */
function daysIn(year: number, month: number): number {
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  return month === 2 && leap ? 29 : monthDays[month - 1]!;
}

/** parseTime for fields that may be absent or malformed (a status written by someone else): undefined then. */
export function parseTimeOrUndefined(s: string | undefined): number | undefined {
  if (!s) return undefined;
  try {
    return parseTime(s);
  } catch {
    return undefined;
  }
}
