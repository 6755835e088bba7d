import { describe, test } from '@jest/globals';
import assert from 'node:assert/strict';
import { isScheduleError, parseSchedule, validateTimeZone } from '../../../src/controllers/cronjob/schedule.ts';

const iso = (ms: number): string => (Number.isNaN(ms) ? 'NaN' : new Date(ms).toISOString().replace('.000Z', 'Z'));

function nextTimes(schedule: string, zone: string | undefined, start: string, n: number): string[] {
  const s = parseSchedule(schedule, zone);
  if (isScheduleError(s)) throw new Error(s.error);
  const out: string[] = [];
  let t = Date.parse(start);
  for (let i = 0; i < n; i++) {
    t = s.next(t);
    out.push(iso(t));
    if (Number.isNaN(t)) break;
  }
  return out;
}

// Expected times (UTC) were produced by robfig/cron v3.0.1 (cron.ParseStandard with CRON_TZ=<zone>),
// except the rows marked "deviation": robfig fires a repeated wall time twice, we fire it once.
// 2026 DST: America/New_York springs forward 2026-03-08 02:00 EST→03:00 EDT (07:00Z) and falls back
// 2026-11-01 02:00 EDT→01:00 EST (06:00Z); Europe/Berlin 2026-03-29 02:00→03:00 (01:00Z) and
// 2026-10-25 03:00→02:00 (01:00Z).
describe('Schedule.next', () => {
  const cases: { name: string; schedule: string; zone?: string; start: string; want: string[] }[] = [
    { name: 'every minute, UTC default', schedule: '*/1 * * * *', start: '2026-01-01T00:00:30Z', want: ['2026-01-01T00:01:00Z', '2026-01-01T00:02:00Z'] },
    { name: 'strictly after an activation', schedule: '*/1 * * * *', start: '2026-01-01T00:01:00Z', want: ['2026-01-01T00:02:00Z'] },
    {
      name: 'every minute through NY spring-forward',
      schedule: '*/1 * * * *',
      zone: 'America/New_York',
      start: '2026-03-08T06:58:00Z',
      want: ['2026-03-08T06:59:00Z', '2026-03-08T07:00:00Z', '2026-03-08T07:01:00Z', '2026-03-08T07:02:00Z'],
    },
    {
      name: 'every minute through NY fall-back (elapsed time)',
      schedule: '*/1 * * * *',
      zone: 'America/New_York',
      start: '2026-11-01T05:58:00Z',
      want: ['2026-11-01T05:59:00Z', '2026-11-01T06:00:00Z', '2026-11-01T06:01:00Z', '2026-11-01T06:02:00Z'],
    },
    {
      name: '@hourly through NY spring-forward',
      schedule: '@hourly',
      zone: 'America/New_York',
      start: '2026-03-08T05:30:00Z',
      want: ['2026-03-08T06:00:00Z', '2026-03-08T07:00:00Z', '2026-03-08T08:00:00Z'],
    },
    {
      name: '@hourly through NY fall-back fires each real hour',
      schedule: '@hourly',
      zone: 'America/New_York',
      start: '2026-11-01T04:30:00Z',
      want: ['2026-11-01T05:00:00Z', '2026-11-01T06:00:00Z', '2026-11-01T07:00:00Z', '2026-11-01T08:00:00Z'],
    },
    {
      name: 'weekdays 9:00 NY across spring-forward weekend',
      schedule: '0 9 * * MON-FRI',
      zone: 'America/New_York',
      start: '2026-03-06T15:00:00Z',
      want: ['2026-03-09T13:00:00Z', '2026-03-10T13:00:00Z', '2026-03-11T13:00:00Z'],
    },
    {
      name: '02:30 NY: skipped on spring-forward day',
      schedule: '30 2 * * *',
      zone: 'America/New_York',
      start: '2026-03-07T12:00:00Z',
      want: ['2026-03-09T06:30:00Z', '2026-03-10T06:30:00Z'],
    },
    {
      name: '02:30 NY on fall-back day (not repeated there)',
      schedule: '30 2 * * *',
      zone: 'America/New_York',
      start: '2026-10-31T12:00:00Z',
      want: ['2026-11-01T07:30:00Z', '2026-11-02T07:30:00Z', '2026-11-03T07:30:00Z'],
    },
    {
      name: 'deviation: 01:30 NY fires once on fall-back day (robfig: 05:30Z and 06:30Z)',
      schedule: '30 1 * * *',
      zone: 'America/New_York',
      start: '2026-10-31T12:00:00Z',
      want: ['2026-11-01T05:30:00Z', '2026-11-02T06:30:00Z'],
    },
    {
      name: 'every minute through Berlin spring-forward',
      schedule: '*/1 * * * *',
      zone: 'Europe/Berlin',
      start: '2026-03-29T00:58:00Z',
      want: ['2026-03-29T00:59:00Z', '2026-03-29T01:00:00Z', '2026-03-29T01:01:00Z'],
    },
    {
      name: '@hourly through Berlin fall-back',
      schedule: '@hourly',
      zone: 'Europe/Berlin',
      start: '2026-10-25T00:30:00Z',
      want: ['2026-10-25T01:00:00Z', '2026-10-25T02:00:00Z', '2026-10-25T03:00:00Z'],
    },
    {
      name: 'weekdays 9:00 Berlin across spring-forward weekend',
      schedule: '0 9 * * MON-FRI',
      zone: 'Europe/Berlin',
      start: '2026-03-27T09:00:00Z',
      want: ['2026-03-30T07:00:00Z', '2026-03-31T07:00:00Z', '2026-04-01T07:00:00Z'],
    },
    {
      name: '02:30 Berlin: skipped on spring-forward day',
      schedule: '30 2 * * *',
      zone: 'Europe/Berlin',
      start: '2026-03-28T12:00:00Z',
      want: ['2026-03-30T00:30:00Z', '2026-03-31T00:30:00Z'],
    },
    {
      name: 'deviation: 02:30 Berlin fires once on fall-back day (robfig: 00:30Z and 01:30Z)',
      schedule: '30 2 * * *',
      zone: 'Europe/Berlin',
      start: '2026-10-24T12:00:00Z',
      want: ['2026-10-25T00:30:00Z', '2026-10-26T01:30:00Z'],
    },
    { name: 'half-hour offset zone', schedule: '30 9 * * *', zone: 'Asia/Kolkata', start: '2026-01-01T00:00:00Z', want: ['2026-01-01T04:00:00Z', '2026-01-02T04:00:00Z'] },
    // Day-of-month / day-of-week: OR when both are restricted, AND when either is * or ?.
    {
      name: 'dom and dow both restricted: either matches',
      schedule: '0 0 13 * FRI',
      start: '2026-01-01T00:00:00Z',
      want: ['2026-01-02T00:00:00Z', '2026-01-09T00:00:00Z', '2026-01-13T00:00:00Z', '2026-01-16T00:00:00Z'],
    },
    { name: 'dom only', schedule: '0 0 13 * *', start: '2026-01-01T00:00:00Z', want: ['2026-01-13T00:00:00Z', '2026-02-13T00:00:00Z'] },
    { name: 'dow only', schedule: '0 0 * * FRI', start: '2026-01-01T00:00:00Z', want: ['2026-01-02T00:00:00Z', '2026-01-09T00:00:00Z'] },
    { name: '*/1 keeps the star: dom only', schedule: '0 0 13 * */1', start: '2026-01-01T00:00:00Z', want: ['2026-01-13T00:00:00Z', '2026-02-13T00:00:00Z'] },
    { name: '? as dom', schedule: '0 0 ? * 5', start: '2026-01-01T00:00:00Z', want: ['2026-01-02T00:00:00Z', '2026-01-09T00:00:00Z'] },
    {
      name: 'lists, ranges, steps, names in any case',
      schedule: '5/20 1-3,22 * jan-Mar,DEC sun',
      start: '2026-01-01T00:00:00Z',
      want: ['2026-01-04T01:05:00Z', '2026-01-04T01:25:00Z', '2026-01-04T01:45:00Z', '2026-01-04T02:05:00Z', '2026-01-04T02:25:00Z'],
    },
    { name: 'leap day', schedule: '0 0 29 2 *', start: '2026-01-01T00:00:00Z', want: ['2028-02-29T00:00:00Z', '2032-02-29T00:00:00Z'] },
    { name: 'never (Feb 30): NaN', schedule: '0 0 30 2 *', start: '2026-01-01T00:00:00Z', want: ['NaN'] },
    { name: '@yearly', schedule: '@yearly', start: '2026-06-01T00:00:00Z', want: ['2027-01-01T00:00:00Z', '2028-01-01T00:00:00Z'] },
    { name: '@annually', schedule: '@annually', start: '2026-06-01T00:00:00Z', want: ['2027-01-01T00:00:00Z'] },
    { name: '@monthly', schedule: '@monthly', start: '2026-06-01T00:00:00Z', want: ['2026-07-01T00:00:00Z', '2026-08-01T00:00:00Z'] },
    { name: '@weekly (Sundays)', schedule: '@weekly', start: '2026-06-01T00:00:00Z', want: ['2026-06-07T00:00:00Z', '2026-06-14T00:00:00Z'] },
    { name: '@daily', schedule: '@daily', start: '2026-06-01T00:00:00Z', want: ['2026-06-02T00:00:00Z', '2026-06-03T00:00:00Z'] },
    { name: '@midnight', schedule: '@midnight', start: '2026-06-01T00:00:00Z', want: ['2026-06-02T00:00:00Z'] },
    { name: '@every 90s', schedule: '@every 90s', start: '2026-01-01T00:00:10Z', want: ['2026-01-01T00:01:40Z', '2026-01-01T00:03:10Z'] },
    { name: 'extra whitespace', schedule: '  0   12 * *  * ', start: '2026-01-01T00:00:00Z', want: ['2026-01-01T12:00:00Z'] },
  ];
  for (const c of cases) {
    test(c.name, () => assert.deepEqual(nextTimes(c.schedule, c.zone, c.start, c.want.length), c.want));
  }
});

describe('parseSchedule errors', () => {
  const cases: { name: string; schedule: string; zone?: string; want: RegExp }[] = [
    { name: 'empty', schedule: '', want: /^empty spec string$/ },
    { name: 'TZ= prefix', schedule: 'TZ=UTC 0 0 * * *', want: /TZ= and CRON_TZ= prefixes are not supported.*spec\.timeZone/ },
    { name: 'CRON_TZ= prefix', schedule: 'CRON_TZ=Europe/Berlin 0 0 * * *', want: /not supported/ },
    { name: 'six fields (seconds)', schedule: '0 0 0 * * *', want: /expected exactly 5 fields, found 6/ },
    { name: 'four fields', schedule: '0 0 * *', want: /expected exactly 5 fields, found 4/ },
    { name: 'minute 60', schedule: '60 * * * *', want: /end of range \(60\) above maximum \(59\): 60/ },
    { name: 'hour 24', schedule: '0 24 * * *', want: /above maximum \(23\)/ },
    { name: 'dom 0', schedule: '0 0 0 * *', want: /beginning of range \(0\) below minimum \(1\)/ },
    { name: 'month 13', schedule: '0 0 1 13 *', want: /above maximum \(12\)/ },
    { name: 'dow 7', schedule: '0 0 * * 7', want: /end of range \(7\) above maximum \(6\)/ },
    { name: 'reversed range', schedule: '5-1 * * * *', want: /beginning of range \(5\) beyond end of range \(1\)/ },
    { name: 'zero step', schedule: '*/0 * * * *', want: /step of range should be a positive number/ },
    { name: 'too many hyphens', schedule: '1-2-3 * * * *', want: /too many hyphens/ },
    { name: 'too many slashes', schedule: '1/2/3 * * * *', want: /too many slashes/ },
    { name: 'not a number', schedule: 'a * * * *', want: /failed to parse int from a/ },
    { name: 'negative', schedule: '-1 * * * *', want: /failed to parse int from/ },
    { name: 'month name in dow field', schedule: '0 0 * * JAN', want: /failed to parse int from JAN/ },
    { name: 'unknown descriptor', schedule: '@fortnightly', want: /unrecognized descriptor: @fortnightly/ },
    { name: 'bad @every', schedule: '@every soon', want: /failed to parse duration/ },
    { name: 'unknown zone', schedule: '0 0 * * *', zone: 'Mars/Olympus_Mons', want: /unknown time zone Mars\/Olympus_Mons/ },
    { name: 'Local zone', schedule: '0 0 * * *', zone: 'Local', want: /unknown time zone Local/ },
    { name: 'offset is not a zone', schedule: '0 0 * * *', zone: '+02:00', want: /unknown time zone/ },
    { name: 'zone in the wrong case', schedule: '0 0 * * *', zone: 'europe/berlin', want: /unknown time zone/ },
  ];
  for (const c of cases) {
    test(c.name, () => {
      const r = parseSchedule(c.schedule, c.zone);
      assert.ok(isScheduleError(r), 'expected an error');
      assert.match(r.error, c.want);
    });
  }
});

describe('validateTimeZone', () => {
  const ok = [undefined, '', 'UTC', 'Etc/UTC', 'America/New_York', 'Europe/Berlin', 'Asia/Kolkata'];
  for (const z of ok) test(`accepts ${JSON.stringify(z)}`, () => assert.equal(validateTimeZone(z), undefined));
});
