// Events (events.k8s.io/v1) recorded in the background, so a reconcile never waits on them or fails
// because of them. The same event repeated within six minutes becomes one Event with a growing
// `series.count` (client-go's isomorphic-event rule) instead of a new object each time. As client-go's
// EventSourceObjectSpamFilter, each object may have 25 events at once and one more per 5 minutes after
// that: a controller busy with one object (a 500-pod rollout) cannot flood the API server with Events.
// Writes run a few at a time; a repeat of an event still waiting to be written joins it (one write for
// both), so bursts of thousands of events are written rather than dropped. What is dropped (the spam
// budget, a full queue) is counted in tentacle_events_dropped_total.
import { hostname } from 'node:os';
import type { Counter } from 'prom-client';
import type { Client } from '../client/client.ts';
import { isNotFound } from '../client/errors.ts';
import type { Logger } from '../log.ts';
import { silentLogger } from '../log.ts';
import type { ReadonlyObject } from '../types.ts';
import { realClock, type Clock } from '../util/clock.ts';
import { rfc3339Micro } from '../util/time.ts';

export type EventType = 'Normal' | 'Warning';

const EVENTS = { group: 'events.k8s.io', version: 'v1', kind: 'Event' };
const SERIES_WINDOW_MS = 6 * 60_000;
/** Distinct events waiting to be written; client-go's broadcaster queues 1000 and drops the rest. */
const MAX_PENDING = 4096;
/** Event writes in flight at once (each waits for the client's rate limiter like any request). */
const CONCURRENT_WRITES = 4;
const MAX_NOTE = 1024;
/** client-go's defaultSpamBurst and defaultSpamQPS (one token per 300 s), and its LRU size. */
const SPAM_BURST = 25;
const SPAM_REFILL_MS = 300_000;
const MAX_SPAM_ENTRIES = 4096;

export interface EventRecorder {
  /** Records that `action` happened to `regarding` for `reason` (CamelCase, upstream names). */
  event(regarding: ReadonlyObject, type: EventType, reason: string, action: string, note: string): void;
}

/** An event a pure decide function asks for; the reconciler records it against its object. */
export interface PlannedEvent {
  type: EventType;
  reason: string;
  message: string;
}

/**
 * `recorder` for the writes of one reconcile: once `signal` is aborted (shutdown, lost leadership),
 * Warnings are dropped, because a write that the abort cut short is no failure of the object's.
 * Normal events pass: what they report did happen.
 */
export function quietOnAbort(recorder: EventRecorder, signal: AbortSignal | undefined): EventRecorder {
  if (!signal) return recorder;
  return {
    event(regarding, type, reason, action, note) {
      if (type === 'Warning' && signal.aborted) return;
      recorder.event(regarding, type, reason, action, note);
    },
  };
}

/** Why an event was not written. */
export type DropReason = 'spam_filter' | 'queue_full';

/** An event to write: `count` occurrences between `first` and `last` (ms). */
interface Pending {
  regarding: ReadonlyObject;
  type: EventType;
  reason: string;
  action: string;
  note: string;
  count: number;
  first: number;
  last: number;
}

/** An Event written: its name, and the occurrences it stands for so far. */
interface Sent {
  name: string;
  namespace: string;
  count: number;
  first: number;
}

export class Recorder implements EventRecorder {
  private readonly client: Client;
  private readonly controller: string;
  private readonly instance: string;
  private readonly log: Logger;
  private readonly clock: Clock;
  private readonly dropped: Counter<'reason'> | undefined;
  private readonly sent = new Map<string, Sent>();
  private readonly budgets = new Map<string, { tokens: number; at: number }>();
  /** Invariant: insertion order is the order events are written in; a key is here at most once. */
  private readonly pending = new Map<string, Pending>();
  /** Keys being written now: a key's next write waits for its current one (it may patch what that creates). */
  private readonly writing = new Set<string>();
  private writers = 0;
  private idle: (() => void)[] = [];
  /** Makes Event names unique within this process, however many events share a microsecond. */
  private sequence = 0;

  /** `controller` is the reporting controller, e.g. `tentacle.dev/job`. */
  constructor(
    client: Client,
    controller: string,
    options: { logger?: Logger; clock?: Clock; instance?: string; dropped?: Counter<'reason'> } = {},
  ) {
    this.client = client;
    this.controller = controller;
    this.instance = (options.instance ?? `${controller.split('/').pop()}-${hostname()}`).slice(0, 128);
    this.log = options.logger ?? silentLogger;
    this.clock = options.clock ?? realClock;
    this.dropped = options.dropped;
  }

  event(regarding: ReadonlyObject, type: EventType, reason: string, action: string, note: string): void {
    if (!this.withinBudget(regarding)) {
      this.log.debug({ reason, name: regarding.metadata.name }, 'event budget of this object spent; dropping event');
      this.dropped?.inc({ reason: 'spam_filter' });
      return;
    }
    const now = this.clock.now();
    note = note.slice(0, MAX_NOTE);
    const meta = regarding.metadata;
    const key = [meta.uid, meta.namespace || 'default', meta.name, type, reason, action, note].join('\u0000');
    const waiting = this.pending.get(key);
    if (waiting) {
      waiting.count++;
      waiting.last = now;
      return;
    }
    if (this.pending.size >= MAX_PENDING) {
      this.log.warn({ reason, name: meta.name }, 'event queue full; dropping event');
      this.dropped?.inc({ reason: 'queue_full' });
      return;
    }
    this.pending.set(key, { regarding, type, reason, action, note, count: 1, first: now, last: now });
    while (this.writers < CONCURRENT_WRITES && this.writers < this.pending.size) {
      this.writers++;
      void this.writeAll();
    }
  }

  /** Takes a token from the object's bucket (burst 25, one back every 5 minutes). */
  private withinBudget(regarding: ReadonlyObject): boolean {
    const { namespace, name, uid } = regarding.metadata;
    const key = `${namespace ?? ''}/${name ?? ''}/${uid ?? ''}`;
    const now = this.clock.now();
    const budget = this.budgets.get(key) ?? { tokens: SPAM_BURST, at: now };
    const refilled = Math.min(SPAM_BURST, budget.tokens + (now - budget.at) / SPAM_REFILL_MS);
    this.budgets.delete(key); // re-inserted last: Map order is the LRU order
    if (this.budgets.size >= MAX_SPAM_ENTRIES) this.budgets.delete(this.budgets.keys().next().value!);
    if (refilled < 1) {
      this.budgets.set(key, { tokens: refilled, at: now });
      return false;
    }
    this.budgets.set(key, { tokens: refilled - 1, at: now });
    return true;
  }

  /** Resolves when every event recorded so far has been written (or given up). */
  drain(): Promise<void> {
    if (this.writers === 0 && this.pending.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.idle.push(resolve));
  }

  /** The oldest pending event whose key is not being written. */
  private next(): [string, Pending] | undefined {
    for (const entry of this.pending) if (!this.writing.has(entry[0])) return entry;
    return undefined;
  }

  /** One writer: writes pending events until none is left for it. */
  private async writeAll(): Promise<void> {
    try {
      for (let entry = this.next(); entry; entry = this.next()) {
        const [key, event] = entry;
        this.pending.delete(key);
        this.writing.add(key);
        try {
          await this.write(key, event);
        } catch (err) {
          this.log.warn({ err: (err as Error).message, reason: event.reason }, 'could not write event');
        } finally {
          this.writing.delete(key);
        }
      }
    } finally {
      this.writers--;
      if (this.writers === 0 && this.pending.size === 0) for (const resolve of this.idle.splice(0)) resolve();
    }
  }

  private async write(key: string, event: Pending): Promise<void> {
    const meta = event.regarding.metadata;
    const namespace = meta.namespace || 'default';
    const seen = this.sent.get(key);
    if (seen && event.first - seen.first < SERIES_WINDOW_MS) {
      seen.count += event.count;
      try {
        await this.client.patch(EVENTS, seen.namespace, seen.name, {
          series: { count: seen.count, lastObservedTime: rfc3339Micro(event.last) },
        }, 'merge');
        return;
      } catch (err) {
        if (!isNotFound(err)) throw err;
        // Expired or deleted meanwhile: start a new one below.
      }
    }
    this.prune(event.first);
    // client-go's <object>.<time in hex> (microseconds, still an exact integer), plus a per-process
    // sequence and a random part: events written in the same microsecond (a burst, a fake clock) or
    // by two processes do not share a name.
    const name = `${meta.name}.${Math.floor(event.first * 1000).toString(16)}${(this.sequence++ & 0xffff).toString(16).padStart(4, '0')}${Math.floor(Math.random() * 0xfff).toString(16)}`;
    await this.client.create({
      apiVersion: 'events.k8s.io/v1',
      kind: 'Event',
      metadata: { name, namespace },
      eventTime: rfc3339Micro(event.first),
      ...(event.count > 1 ? { series: { count: event.count, lastObservedTime: rfc3339Micro(event.last) } } : {}),
      reportingController: this.controller,
      reportingInstance: this.instance,
      action: event.action,
      reason: event.reason,
      type: event.type,
      note: event.note,
      regarding: {
        apiVersion: event.regarding.apiVersion,
        kind: event.regarding.kind,
        name: meta.name,
        namespace: meta.namespace,
        uid: meta.uid,
        resourceVersion: meta.resourceVersion,
      },
    });
    this.sent.set(key, { name, namespace, count: event.count, first: event.first });
  }

  private prune(now: number): void {
    if (this.sent.size < 4096) return;
    for (const [key, s] of this.sent) if (now - s.first >= SERIES_WINDOW_MS) this.sent.delete(key);
  }
}
