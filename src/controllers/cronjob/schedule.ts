// Cron schedules as upstream's CronJob controller reads them: robfig/cron v3's standard parser
// (cron.ParseStandard: five fields minute hour day-of-month month day-of-week, ranges, steps, lists,
// JAN–DEC / SUN–SAT names, `?`, and the descriptors @yearly @annually @monthly @weekly @daily
// @midnight @hourly @every <duration>) and robfig's SpecSchedule.Next algorithm, evaluated in an IANA
// time zone.
//
// Why not an npm cron library: the controller's contract is robfig's exact semantics (the star-bit
// rule that decides whether day-of-month and day-of-week are ANDed or ORed, `*/1` keeping the star
// bit while `*/2` drops it, `?` in any field, day-of-week 7 rejected, the five-year search limit,
// and how Next walks across DST transitions by adding absolute hours and minutes). The JS libraries
// (cron-parser, croner) each have their own rules for these, and matching them to robfig would need
// as much code as the algorithm itself, which is ~150 lines here. It was checked against robfig/cron
// v3.0.1 itself (the tests' expected times come from running it), so no dependency is added.
//
// Time zone: upstream falls back to the kube-controller-manager's local zone (time.Local) when
// spec.timeZone is unset; this runtime has no meaningful local zone, so an unset (or empty) timeZone
// means UTC.
//
// One deliberate deviation from robfig, DST fall-back: robfig fires a fixed-hour schedule twice when
// its wall time repeats (`30 1 * * *` in America/New_York runs at 01:30 EDT and again at 01:30 EST).
// Here a wall time fires once, at its first occurrence, unless the hour field matches every hour
// (`*/5 * * * *`, `@hourly`), which keeps firing through the repeated hour by elapsed time, as in
// robfig. Wall times that do not exist (spring-forward gap) are skipped, exactly as robfig does.

import { parseDuration } from '../../runtime/util/duration.ts';

export interface Schedule {
  /**
   * The first activation strictly after `afterMs` (ms since the epoch, whole seconds), or NaN if the
   * schedule never fires within five years of it (e.g. `0 0 30 2 *`), as robfig returns the zero time.
   */
  next(afterMs: number): number;
}

/** Bit 63 in robfig; here a separate flag per field. */
interface Field {
  bits: bigint;
  star: boolean;
}

interface Bounds {
  min: number;
  max: number;
  names?: Record<string, number>;
}

const MONTH_NAMES: Record<string, number> = {
  jan: 1, feb: 2, mar: 3, apr: 4, may: 5, jun: 6, jul: 7, aug: 8, sep: 9, oct: 10, nov: 11, dec: 12,
};
const DOW_NAMES: Record<string, number> = { sun: 0, mon: 1, tue: 2, wed: 3, thu: 4, fri: 5, sat: 6 };

const MINUTES: Bounds = { min: 0, max: 59 };
const HOURS: Bounds = { min: 0, max: 23 };
const DOM: Bounds = { min: 1, max: 31 };
const MONTHS: Bounds = { min: 1, max: 12, names: MONTH_NAMES };
const DOW: Bounds = { min: 0, max: 6, names: DOW_NAMES };

class ParseError extends Error {}

function parseInt10(expr: string): number {
  // strconv.Atoi: optional sign, decimal digits only.
  if (!/^[+-]?\d+$/.test(expr)) throw new ParseError(`failed to parse int from ${expr}: invalid syntax`);
  const n = Number(expr);
  if (n < 0) throw new ParseError(`negative number (${n}) not allowed: ${expr}`);
  return n;
}

function parseIntOrName(expr: string, names: Record<string, number> | undefined): number {
  const named = names?.[expr.toLowerCase()];
  return named ?? parseInt10(expr);
}

function bitsFor(min: number, max: number, step: number): bigint {
  let bits = 0n;
  for (let i = min; i <= max; i += step) bits |= 1n << BigInt(i);
  return bits;
}

function parseRange(expr: string, b: Bounds): Field {
  const rangeAndStep = expr.split('/');
  const lowAndHigh = (rangeAndStep[0] ?? '').split('-');
  const singleDigit = lowAndHigh.length === 1;
  let start: number;
  let end: number;
  let star = false;
  const low = lowAndHigh[0] ?? '';
  if (low === '*' || low === '?') {
    start = b.min;
    end = b.max;
    star = true;
  } else {
    start = parseIntOrName(low, b.names);
    if (lowAndHigh.length === 1) end = start;
    else if (lowAndHigh.length === 2) end = parseIntOrName(lowAndHigh[1] ?? '', b.names);
    else throw new ParseError(`too many hyphens: ${expr}`);
  }
  let step = 1;
  if (rangeAndStep.length === 2) {
    step = parseInt10(rangeAndStep[1] ?? '');
    // "N/step" means N through the field's maximum.
    if (singleDigit) end = b.max;
    if (step > 1) star = false;
  } else if (rangeAndStep.length > 2) {
    throw new ParseError(`too many slashes: ${expr}`);
  }
  if (start < b.min) throw new ParseError(`beginning of range (${start}) below minimum (${b.min}): ${expr}`);
  if (end > b.max) throw new ParseError(`end of range (${end}) above maximum (${b.max}): ${expr}`);
  if (start > end) throw new ParseError(`beginning of range (${start}) beyond end of range (${end}): ${expr}`);
  if (step === 0) throw new ParseError(`step of range should be a positive number: ${expr}`);
  return { bits: bitsFor(start, end, step), star };
}

function parseField(field: string, b: Bounds): Field {
  let bits = 0n;
  let star = false;
  for (const expr of field.split(',')) {
    const r = parseRange(expr, b);
    bits |= r.bits;
    star ||= r.star;
  }
  return { bits, star };
}

interface Spec {
  minute: Field;
  hour: Field;
  dom: Field;
  month: Field;
  dow: Field;
}

function all(b: Bounds): Field {
  return { bits: bitsFor(b.min, b.max, 1), star: true };
}
function one(n: number): Field {
  return { bits: 1n << BigInt(n), star: false };
}

const DESCRIPTORS: Record<string, () => Spec> = {
  '@yearly': () => ({ minute: one(0), hour: one(0), dom: one(1), month: one(1), dow: all(DOW) }),
  '@annually': () => ({ minute: one(0), hour: one(0), dom: one(1), month: one(1), dow: all(DOW) }),
  '@monthly': () => ({ minute: one(0), hour: one(0), dom: one(1), month: all(MONTHS), dow: all(DOW) }),
  '@weekly': () => ({ minute: one(0), hour: one(0), dom: all(DOM), month: all(MONTHS), dow: one(0) }),
  '@daily': () => ({ minute: one(0), hour: one(0), dom: all(DOM), month: all(MONTHS), dow: all(DOW) }),
  '@midnight': () => ({ minute: one(0), hour: one(0), dom: all(DOM), month: all(MONTHS), dow: all(DOW) }),
  '@hourly': () => ({ minute: one(0), hour: all(HOURS), dom: all(DOM), month: all(MONTHS), dow: all(DOW) }),
};

// ---- time zones -------------------------------------------------------------------------------

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(zone: string): Intl.DateTimeFormat {
  let f = formatters.get(zone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: zone,
      hourCycle: 'h23',
      era: 'short',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formatters.set(zone, f);
  }
  return f;
}

/**
 * Checks a spec.timeZone as Go's time.LoadLocation (plus upstream's API validation) would: an IANA
 * name known to this Node's ICU data, in its exact case; "Local" and UTC-offset forms are refused.
 * Returns an error message, or undefined when valid. "" and undefined mean UTC.
 */
export function validateTimeZone(zone: string | undefined): string | undefined {
  if (zone === undefined || zone === '' || zone === 'UTC') return undefined;
  if (zone.toLowerCase() === 'local') return `unknown time zone ${zone}: must be an explicit IANA time zone`;
  if (!/^[A-Za-z][A-Za-z0-9_+-]*(\/[A-Za-z0-9_+-]+)*$/.test(zone)) return `unknown time zone ${zone}`;
  let resolved: string;
  try {
    resolved = new Intl.DateTimeFormat('en-US', { timeZone: zone }).resolvedOptions().timeZone;
  } catch {
    return `unknown time zone ${zone}`;
  }
  // ICU matches names case-insensitively; Go (reading zoneinfo files) does not.
  if (resolved.toLowerCase() === zone.toLowerCase() && resolved !== zone) return `unknown time zone ${zone}`;
  return undefined;
}

/** Wall-clock fields of an instant in a zone. */
interface Wall {
  year: number;
  month: number; // 1–12
  day: number;
  hour: number;
  minute: number;
  second: number;
  weekday: number; // 0 = Sunday
}

class Zone {
  readonly name: string;
  readonly utc: boolean;
  private readonly cache = new Map<number, number>();

  constructor(name: string) {
    this.name = name;
    this.utc = name === '' || name === 'UTC';
  }

  /** Offset from UTC in ms at instant `ms` (wall = ms + offset). */
  offset(ms: number): number {
    if (this.utc) return 0;
    const minute = Math.floor(ms / 60_000);
    const hit = this.cache.get(minute);
    if (hit !== undefined) return hit;
    const parts = formatter(this.name).formatToParts(new Date(minute * 60_000));
    const get = (type: string): number => Number(parts.find((p) => p.type === type)?.value);
    let year = get('year');
    if (parts.find((p) => p.type === 'era')?.value === 'BC') year = 1 - year;
    const d = new Date(0);
    d.setUTCFullYear(year, get('month') - 1, get('day'));
    d.setUTCHours(get('hour'), get('minute'), get('second'), 0);
    const off = d.getTime() - minute * 60_000;
    if (this.cache.size > 50_000) this.cache.clear();
    this.cache.set(minute, off);
    return off;
  }

  wall(ms: number): Wall {
    const d = new Date(ms + this.offset(ms));
    return {
      year: d.getUTCFullYear(),
      month: d.getUTCMonth() + 1,
      day: d.getUTCDate(),
      hour: d.getUTCHours(),
      minute: d.getUTCMinutes(),
      second: d.getUTCSeconds(),
      weekday: d.getUTCDay(),
    };
  }

  /**
   * time.Date(year, month, day, hour, minute, 0, 0, zone): out-of-range fields normalize (month 13 is
   * January next year); a wall time in a gap or overlap resolves as Go does (the offset in force at
   * the wall time read as UTC, unless the resulting instant lies outside that offset's period).
   */
  date(year: number, month: number, day: number, hour: number, minute: number): number {
    const d = new Date(0);
    d.setUTCFullYear(year, month - 1, day);
    d.setUTCHours(hour, minute, 0, 0);
    const wall = d.getTime();
    const o1 = this.offset(wall);
    const utc = wall - o1;
    const o2 = this.offset(utc);
    return o2 === o1 ? utc : wall - o2;
  }
}

// ---- schedules --------------------------------------------------------------------------------

function has(f: Field, n: number): boolean {
  return ((f.bits >> BigInt(n)) & 1n) === 1n;
}

function dayMatches(s: Spec, w: Wall): boolean {
  const domMatch = has(s.dom, w.day);
  const dowMatch = has(s.dow, w.weekday);
  // If either day field is unrestricted (`*` or `?`), both must match; otherwise either may.
  if (s.dom.star || s.dow.star) return domMatch && dowMatch;
  return domMatch || dowMatch;
}

class SpecSchedule implements Schedule {
  private readonly spec: Spec;
  private readonly zone: Zone;
  private readonly everyHour: boolean;

  constructor(spec: Spec, zone: Zone) {
    this.spec = spec;
    this.zone = zone;
    this.everyHour = spec.hour.bits === bitsFor(0, 23, 1);
  }

  next(afterMs: number): number {
    let t = this.robfigNext(afterMs);
    // Fire a repeated (DST fall-back) wall time once: skip its second occurrence.
    while (!Number.isNaN(t) && !this.everyHour && this.isRepeat(t)) t = this.robfigNext(t);
    return t;
  }

  /** Whether the wall time of `t` already occurred earlier (at a larger UTC offset). */
  private isRepeat(t: number): boolean {
    const z = this.zone;
    if (z.utc) return false;
    const off = z.offset(t);
    // Any earlier offset within a day that is larger than the current one marks an overlap.
    const before = z.offset(t - 86_400_000);
    if (before <= off) return false;
    const earlier = t - (before - off);
    return z.offset(earlier) === before;
  }

  /** robfig/cron v3 SpecSchedule.Next, minute granularity (the standard parser's second field is 0). */
  private robfigNext(afterMs: number): number {
    const z = this.zone;
    const s = this.spec;
    // Start at the next whole second.
    let t = Math.floor(afterMs / 1000) * 1000 + 1000;
    let added = false;
    const yearLimit = z.wall(t).year + 5;
    for (;;) {
      let w = z.wall(t);
      if (w.year > yearLimit) return Number.NaN;
      let wrap = false;

      while (!has(s.month, w.month)) {
        if (!added) {
          added = true;
          t = z.date(w.year, w.month, 1, 0, 0);
          w = z.wall(t);
        }
        t = z.date(w.year, w.month + 1, w.day, w.hour, w.minute);
        w = z.wall(t);
        if (w.month === 1) {
          wrap = true;
          break;
        }
      }
      if (wrap) continue;

      while (!dayMatches(s, w)) {
        if (!added) {
          added = true;
          t = z.date(w.year, w.month, w.day, 0, 0);
          w = z.wall(t);
        }
        t = z.date(w.year, w.month, w.day + 1, w.hour, w.minute);
        w = z.wall(t);
        // Put a day start that DST moved off midnight back on it.
        if (w.hour !== 0) {
          t += w.hour > 12 ? (24 - w.hour) * 3_600_000 : -w.hour * 3_600_000;
          w = z.wall(t);
        }
        if (w.day === 1) {
          wrap = true;
          break;
        }
      }
      if (wrap) continue;

      while (!has(s.hour, w.hour)) {
        if (!added) {
          added = true;
          t = z.date(w.year, w.month, w.day, w.hour, 0);
        }
        t += 3_600_000;
        w = z.wall(t);
        if (w.hour === 0) {
          wrap = true;
          break;
        }
      }
      if (wrap) continue;

      while (!has(s.minute, w.minute)) {
        if (!added) {
          added = true;
          t = Math.floor(t / 60_000) * 60_000;
        }
        t += 60_000;
        w = z.wall(t);
        if (w.minute === 0) {
          wrap = true;
          break;
        }
      }
      if (wrap) continue;

      if (w.second !== 0) {
        // robfig adds one second at a time until second 0, then starts over.
        added = true;
        t = Math.floor(t / 1000) * 1000 + (60 - w.second) * 1000;
        continue;
      }
      return t;
    }
  }
}

/** robfig's ConstantDelaySchedule (@every): whole seconds, at least one. */
class EverySchedule implements Schedule {
  private readonly delayMs: number;
  constructor(delayMs: number) {
    this.delayMs = delayMs < 1000 ? 1000 : delayMs - (delayMs % 1000);
  }
  next(afterMs: number): number {
    return Math.floor(afterMs / 1000) * 1000 + this.delayMs;
  }
}

/**
 * Parses spec.schedule in spec.timeZone (unset or "" = UTC). Errors carry robfig's messages, plus
 * refusals of a TZ=/CRON_TZ= prefix (use spec.timeZone) and of unknown zones.
 */
export function parseSchedule(schedule: string, timeZone?: string): Schedule | { error: string } {
  const zoneErr = validateTimeZone(timeZone);
  if (zoneErr) return { error: zoneErr };
  const spec = schedule.trim();
  if (/^(CRON_)?TZ=/.test(spec)) {
    return { error: `TZ= and CRON_TZ= prefixes are not supported in schedule ${JSON.stringify(schedule)}: set spec.timeZone instead` };
  }
  if (spec === '') return { error: 'empty spec string' };
  try {
    const zone = new Zone(timeZone ?? '');
    if (spec.startsWith('@')) {
      if (spec.startsWith('@every ')) {
        let ms: number;
        try {
          ms = parseDuration(spec.slice('@every '.length));
        } catch (err) {
          throw new ParseError(`failed to parse duration ${spec}: ${(err as Error).message}`);
        }
        return new EverySchedule(ms);
      }
      const make = DESCRIPTORS[spec];
      if (!make) throw new ParseError(`unrecognized descriptor: ${spec}`);
      return new SpecSchedule(make(), zone);
    }
    const fields = spec.split(/\s+/);
    if (fields.length !== 5) throw new ParseError(`expected exactly 5 fields, found ${fields.length}: ${JSON.stringify(fields)}`);
    const [minute, hour, dom, month, dow] = fields as [string, string, string, string, string];
    return new SpecSchedule(
      {
        minute: parseField(minute, MINUTES),
        hour: parseField(hour, HOURS),
        dom: parseField(dom, DOM),
        month: parseField(month, MONTHS),
        dow: parseField(dow, DOW),
      },
      zone,
    );
  } catch (err) {
    if (err instanceof ParseError) return { error: err.message };
    throw err;
  }
}

/** Type guard for parseSchedule's result. */
export function isScheduleError(r: Schedule | { error: string }): r is { error: string } {
  return 'error' in r;
}
