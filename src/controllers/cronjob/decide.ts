// The CronJob controller's decision, as a pure function of what it observes: upstream's
// ControllerV2.sync (cleanupFinishedJobs, then syncCronJob) from pkg/controller/cronjob, with the
// API calls turned into actions the caller performs and the events it records.
//
// Differences from upstream, all deliberate:
// - status.active is rebuilt from the observed Jobs (every unfinished Job this CronJob controls,
//   keeping the existing reference when there is one), instead of being edited in place; an
//   unfinished Job not yet listed is adopted into it (upstream only warns, each sync). Jobs whose
//   deletion has started are ignored: not active, not pruned again.
// - A listed Job missing from the observation is dropped (event MissingJob) without upstream's extra
//   GET; the caller must give decide a Job list that already holds its own recent creations.
// - History pruning orders by the scheduled-time annotation, then creationTimestamp (upstream: by
//   status.startTime), and applies the batch/v1 defaults (3 successful, 1 failed) when unset.
// - An unparseable schedule and a logically invalid one both give the Warning InvalidSchedule
//   (upstream: UnparseableSchedule / InvalidSchedule); a TZ=/CRON_TZ= prefix is refused.
// - MissSchedule is reported when startingDeadlineSeconds made a due time be passed over (upstream's
//   check sits after the deadline-bounded look-back and so never fires).
// - status.nextScheduleTime is ours: the time requeueAfterMs aims at, absent when none is due.
// - With spec.timeZone unset the schedule runs in UTC, not the controller's local zone.

import type { PlannedEvent } from '../../runtime/events/recorder.ts';
import { ANNOTATION_CRONJOB_SCHEDULED_TIMESTAMP, API_VERSION, CRONJOB } from '../../api/batch/types.ts';
import type { CronJob, CronJobStatus, Job, JobSpec, ObjectReference } from '../../api/batch/types.ts';
import { mutableCopy, type ReadonlyDeep } from '../../runtime/types.ts';
import { controllerRef } from '../../runtime/util/owners.ts';
import { rfc3339, parseTimeOrUndefined } from '../../runtime/util/time.ts';
import { isScheduleError, parseSchedule, validateTimeZone } from './schedule.ts';
import type { Schedule } from './schedule.ts';

export interface CronJobObservation {
  cronJob: ReadonlyDeep<CronJob>;
  /** Every batch.tentacle.dev Job whose controller owner is this CronJob. */
  jobs: readonly ReadonlyDeep<Job>[];
  /** Now, in ms since the epoch. */
  now: number;
}

export type CronJobAction =
  /** Create this Job; AlreadyExists means an earlier attempt succeeded (the name is deterministic). */
  | { type: 'createJob'; job: Job }
  /** Delete this Job with propagationPolicy Background. */
  | { type: 'deleteJob'; job: ReadonlyDeep<Job>; reason: 'Replace' | 'History' };

export interface CronJobDecision {
  status: CronJobStatus;
  actions: CronJobAction[];
  events: PlannedEvent[];
  /** When to look again: just past the next schedule time. Absent when only a change to the object can help. */
  requeueAfterMs?: number;
}

/** Upstream's nextScheduleDelta: requeue this long after the schedule time, against clock skew. */
export const NEXT_SCHEDULE_DELTA_MS = 100;
/** Upstream flags more missed schedule times than this with TooManyMissedTimes. */
export const MAX_MISSED_SCHEDULES = 100;
export const DEFAULT_SUCCESSFUL_JOBS_HISTORY_LIMIT = 3;
export const DEFAULT_FAILED_JOBS_HISTORY_LIMIT = 1;

type Finished = 'Complete' | 'Failed' | undefined;

/** The Job's Complete or Failed condition with status True, if any (upstream getFinishedStatus). */
export function finishedCondition(job: ReadonlyDeep<Job>): Finished {
  for (const c of job.status?.conditions ?? []) {
    if ((c.type === 'Complete' || c.type === 'Failed') && c.status === 'True') return c.type;
  }
  return undefined;
}

/** `<cronjob>-<scheduled time in minutes since the epoch>`, as upstream's getJobName. */
export function jobName(cronJob: ReadonlyDeep<CronJob>, scheduledMs: number): string {
  return `${cronJob.metadata.name}-${Math.floor(scheduledMs / 60_000)}`;
}


type Missed = 'none' | 'few' | 'many';

interface MostRecent {
  earliest: number;
  mostRecent: number | undefined;
  missed: Missed;
  error?: string;
}

/**
 * upstream mostRecentScheduleTime: the time scheduling counts from (lastScheduleTime, else
 * creationTimestamp, moved up to now - startingDeadlineSeconds when asked), the latest schedule time
 * in (earliest, now], and how many were missed, estimated from the interval between two activations.
 */
function mostRecentScheduleTime(cj: ReadonlyDeep<CronJob>, now: number, sched: Schedule, includeDeadline: boolean): MostRecent {
  let earliest = parseTimeOrUndefined(cj.status?.lastScheduleTime) ?? parseTimeOrUndefined(cj.metadata.creationTimestamp) ?? now;
  const deadline = cj.spec.startingDeadlineSeconds;
  if (includeDeadline && typeof deadline === 'number') {
    earliest = Math.max(earliest, now - deadline * 1000);
  }
  const t1 = sched.next(earliest);
  const t2 = Number.isNaN(t1) ? Number.NaN : sched.next(t1);
  if (now < t1) return { earliest, mostRecent: undefined, missed: 'none' };
  if (now < t2) return { earliest, mostRecent: t1, missed: 'none' };
  const between = Number.isNaN(t2) ? 0 : Math.round((t2 - t1) / 1000);
  if (between < 1) {
    return { earliest, mostRecent: undefined, missed: 'none', error: 'the schedule has no two activations at least 1 second apart' };
  }
  const elapsed = Math.trunc((now - t1) / 1000);
  const count = Math.trunc(elapsed / between) + 1;
  // Jump close to now, one interval early so that irregular schedules land right, then walk.
  let mostRecent: number | undefined;
  for (let t = sched.next(t1 + (count - 2) * between * 1000); !Number.isNaN(t) && t <= now; t = sched.next(t)) {
    mostRecent = t;
  }
  const missed: Missed = count > MAX_MISSED_SCHEDULES ? 'many' : count > 0 ? 'few' : 'none';
  return { earliest, mostRecent, missed };
}

/** upstream nextScheduleTimeDuration, as the absolute time to wake up at (without the delta). */
function nextWakeTime(cj: ReadonlyDeep<CronJob>, now: number, sched: Schedule): number {
  const r = mostRecentScheduleTime(cj, now, sched, false);
  let from: number;
  if (r.error !== undefined) from = now;
  else if (r.mostRecent !== undefined) from = r.mostRecent;
  else from = r.missed === 'none' ? r.earliest : now;
  return sched.next(from);
}

/** upstream getJobFromTemplate2. */
export function jobFromTemplate(cronJob: ReadonlyDeep<CronJob>, scheduledMs: number): Job {
  const tmpl = cronJob.spec.jobTemplate;
  const labels = { ...(tmpl.metadata?.labels ?? {}) };
  const annotations: Record<string, string> = {
    ...(tmpl.metadata?.annotations ?? {}),
    [ANNOTATION_CRONJOB_SCHEDULED_TIMESTAMP]: rfc3339(scheduledMs),
  };
  return {
    apiVersion: API_VERSION,
    kind: 'Job',
    metadata: {
      name: jobName(cronJob, scheduledMs),
      ...(cronJob.metadata.namespace !== undefined ? { namespace: cronJob.metadata.namespace } : {}),
      labels,
      annotations,
      ownerReferences: [controllerRef(cronJob, CRONJOB)],
    },
    spec: mutableCopy<JobSpec>(tmpl.spec),
  };
}

function jobRef(job: ReadonlyDeep<Job>): ObjectReference {
  const ref: ObjectReference = { apiVersion: API_VERSION, kind: 'Job', name: job.metadata.name };
  if (job.metadata.namespace !== undefined) ref.namespace = job.metadata.namespace;
  if (job.metadata.uid !== undefined) ref.uid = job.metadata.uid;
  return ref;
}

function refMatches(ref: ObjectReference, job: ReadonlyDeep<Job>): boolean {
  if (ref.uid && job.metadata.uid) return ref.uid === job.metadata.uid;
  return ref.name === job.metadata.name;
}

/** Sort key for pruning: the scheduled time, else the creation time; jobs with neither sort last. */
function ageKey(job: ReadonlyDeep<Job>): number {
  return (
    parseTimeOrUndefined(job.metadata.annotations?.[ANNOTATION_CRONJOB_SCHEDULED_TIMESTAMP]) ??
    parseTimeOrUndefined(job.metadata.creationTimestamp) ??
    Number.POSITIVE_INFINITY
  );
}

function oldestFirst(a: ReadonlyDeep<Job>, b: ReadonlyDeep<Job>): number {
  const ka = ageKey(a);
  const kb = ageKey(b);
  if (ka !== kb) return ka < kb ? -1 : 1;
  const na = a.metadata.name ?? '';
  const nb = b.metadata.name ?? '';
  return na < nb ? -1 : na > nb ? 1 : 0;
}

function pruneHistory(jobs: readonly ReadonlyDeep<Job>[], limit: number, actions: CronJobAction[]): void {
  const excess = jobs.length - Math.max(0, limit);
  if (excess <= 0) return;
  for (const job of [...jobs].sort(oldestFirst).slice(0, excess)) actions.push({ type: 'deleteJob', job, reason: 'History' });
}

function rfc1123z(ms: number): string {
  // Go's time.RFC1123Z in UTC, e.g. "Mon, 02 Jan 2006 15:04:05 +0000".
  return new Date(ms).toUTCString().replace(/GMT$/, '+0000');
}

function missSchedule(events: PlannedEvent[], scheduled: number): void {
  events.push({ type: 'Warning', reason: 'MissSchedule', message: `Missed scheduled time to start a job: ${rfc1123z(scheduled)}` });
}

export function decideCronJob(obs: CronJobObservation): CronJobDecision {
  const { cronJob: cj, now } = obs;
  const actions: CronJobAction[] = [];
  const events: PlannedEvent[] = [];
  const prev = cj.status ?? {};
  const jobs = obs.jobs.filter((j) => !j.metadata.deletionTimestamp);

  // --- History (cleanupFinishedJobs) --------------------------------------------------------
  const succeeded = jobs.filter((j) => finishedCondition(j) === 'Complete');
  const failed = jobs.filter((j) => finishedCondition(j) === 'Failed');
  pruneHistory(succeeded, cj.spec.successfulJobsHistoryLimit ?? DEFAULT_SUCCESSFUL_JOBS_HISTORY_LIMIT, actions);
  pruneHistory(failed, cj.spec.failedJobsHistoryLimit ?? DEFAULT_FAILED_JOBS_HISTORY_LIMIT, actions);

  // --- Active list and last successful time -------------------------------------------------
  const prevActive = prev.active ?? [];
  const active: { ref: ObjectReference; job: ReadonlyDeep<Job>; order: number }[] = [];
  const adopted: ReadonlyDeep<Job>[] = [];
  let lastSuccessful = parseTimeOrUndefined(prev.lastSuccessfulTime);
  for (const job of obs.jobs) {
    const finished = finishedCondition(job);
    const order = prevActive.findIndex((r) => refMatches(r, job));
    const listed = prevActive[order];
    if (finished === 'Complete') {
      const done = parseTimeOrUndefined(job.status?.completionTime);
      if (done !== undefined && (lastSuccessful === undefined || done > lastSuccessful)) lastSuccessful = done;
    }
    if (job.metadata.deletionTimestamp) continue;
    if (finished) {
      if (listed) {
        events.push({ type: 'Normal', reason: 'SawCompletedJob', message: `Saw completed job: ${job.metadata.name}, condition: ${finished}` });
      }
    } else if (listed) {
      active.push({ ref: { ...listed, ...(listed.uid ? {} : jobRef(job)) }, job, order });
    } else {
      adopted.push(job);
    }
  }
  // Keep the listed order, then newcomers by name.
  active.sort((a, b) => a.order - b.order);
  adopted.sort((a, b) => ((a.metadata.name ?? '') < (b.metadata.name ?? '') ? -1 : 1));
  for (const job of adopted) {
    events.push({ type: 'Warning', reason: 'UnexpectedJob', message: `Saw a job that the controller did not create or forgot: ${job.metadata.name}` });
    active.push({ ref: jobRef(job), job, order: Number.MAX_SAFE_INTEGER });
  }
  for (const ref of prevActive) {
    if (!obs.jobs.some((j) => refMatches(ref, j))) {
      events.push({ type: 'Normal', reason: 'MissingJob', message: `Active job went missing: ${ref.name}` });
    }
  }

  const status: CronJobStatus = mutableCopy<CronJobStatus>(prev);
  delete status.nextScheduleTime;
  const finish = (requeueAt?: number): CronJobDecision => {
    status.active = active.map((a) => a.ref);
    if (status.active.length === 0) delete status.active;
    if (lastSuccessful !== undefined) status.lastSuccessfulTime = rfc3339(lastSuccessful);
    const decision: CronJobDecision = { status, actions, events };
    if (requeueAt !== undefined && !Number.isNaN(requeueAt)) {
      status.nextScheduleTime = rfc3339(requeueAt);
      decision.requeueAfterMs = Math.max(0, requeueAt + NEXT_SCHEDULE_DELTA_MS - now);
    }
    return decision;
  };

  // --- Scheduling (syncCronJob) --------------------------------------------------------------
  if (cj.metadata.deletionTimestamp) return finish();

  const tz = cj.spec.timeZone;
  const tzError = validateTimeZone(tz);
  if (tzError !== undefined) {
    events.push({ type: 'Warning', reason: 'UnknownTimeZone', message: `invalid timeZone: ${JSON.stringify(tz)}: ${tzError}` });
    return finish();
  }
  if (cj.spec.suspend) return finish();
  const parsed = parseSchedule(cj.spec.schedule, tz);
  if (isScheduleError(parsed)) {
    events.push({ type: 'Warning', reason: 'InvalidSchedule', message: `invalid schedule: ${cj.spec.schedule} : ${parsed.error}` });
    return finish();
  }
  const sched = parsed;

  const recent = mostRecentScheduleTime(cj, now, sched, true);
  if (recent.error !== undefined) {
    events.push({ type: 'Warning', reason: 'InvalidSchedule', message: `invalid schedule: ${cj.spec.schedule} : ${recent.error}` });
    return finish();
  }
  const scheduled = recent.mostRecent;
  const deadline = cj.spec.startingDeadlineSeconds;
  if (scheduled === undefined || scheduled > now) {
    // Beyond upstream (whose MissSchedule check cannot fire once the look-back is cut at the
    // deadline): say so when a schedule time was passed over because its deadline had expired.
    if (typeof deadline === 'number') {
      const missed = mostRecentScheduleTime(cj, now, sched, false).mostRecent;
      if (missed !== undefined && missed + deadline * 1000 < now) missSchedule(events, missed);
    }
    return finish(nextWakeTime(cj, now, sched));
  }
  if (recent.missed === 'many') {
    events.push({
      type: 'Warning',
      reason: 'TooManyMissedTimes',
      message: 'too many missed start times. Set or decrease .spec.startingDeadlineSeconds or check clock skew',
    });
  }

  if (typeof deadline === 'number' && scheduled + deadline * 1000 < now) {
    missSchedule(events, scheduled);
    return finish(nextWakeTime(cj, now, sched));
  }

  const name = jobName(cj, scheduled);
  if (active.some((a) => a.ref.name === name) || parseTimeOrUndefined(prev.lastScheduleTime) === scheduled) {
    return finish(nextWakeTime(cj, now, sched));
  }

  const policy = cj.spec.concurrencyPolicy ?? 'Allow';
  if (policy === 'Forbid' && active.length > 0) {
    events.push({ type: 'Normal', reason: 'JobAlreadyActive', message: 'Not starting job because prior execution is running and concurrency policy is Forbid' });
    return finish(nextWakeTime(cj, now, sched));
  }
  if (policy === 'Replace') {
    for (const a of active) actions.push({ type: 'deleteJob', job: a.job, reason: 'Replace' });
    active.length = 0;
  }

  const job = jobFromTemplate(cj, scheduled);
  actions.push({ type: 'createJob', job });
  active.push({ ref: jobRef(job), job, order: Number.MAX_SAFE_INTEGER });
  status.lastScheduleTime = rfc3339(scheduled);
  const after: ReadonlyDeep<CronJob> = { ...cj, status: { ...prev, lastScheduleTime: status.lastScheduleTime } };
  return finish(nextWakeTime(after, now, sched));
}

