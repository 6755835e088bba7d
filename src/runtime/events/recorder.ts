// Events (events.k8s.io/v1) recorded in the background, so a reconcile never waits on them or fails
// because of them. The same event repeated within six minutes becomes one Event with a growing
// `series.count` (client-go's isomorphic-event rule) instead of a new object each time. As client-go's
// EventSourceObjectSpamFilter, each object may have 25 events at once and one more per 5 minutes after
// that: a controller busy with one object (a 500-pod rollout) cannot flood the API server with Events.
import { hostname } from 'node:os';
import type { Client } from '../client/client.ts';
import { isNotFound } from '../client/errors.ts';
import type { Logger } from '../log.ts';
import { silentLogger } from '../log.ts';
import type { KubeObject } from '../types.ts';
import { realClock, type Clock } from '../util/clock.ts';
import { rfc3339Micro } from '../util/time.ts';

export type EventType = 'Normal' | 'Warning';

const EVENTS = { group: 'events.k8s.io', version: 'v1', kind: 'Event' };
const SERIES_WINDOW_MS = 6 * 60_000;
const MAX_PENDING = 1000;
const MAX_NOTE = 1024;
/** client-go's defaultSpamBurst and defaultSpamQPS (one token per 300 s), and its LRU size. */
const SPAM_BURST = 25;
const SPAM_REFILL_MS = 300_000;
const MAX_SPAM_ENTRIES = 4096;

export interface EventRecorder {
  /** Records that `action` happened to `regarding` for `reason` (CamelCase, upstream names). */
  event(regarding: KubeObject, type: EventType, reason: string, action: string, note: string): void;
}

interface Sent {
  name: string;
  namespace: string;
  count: number;
  first: number;
  last: number;
}

export class Recorder implements EventRecorder {
  private readonly client: Client;
  private readonly controller: string;
  private readonly instance: string;
  private readonly log: Logger;
  private readonly clock: Clock;
  private readonly sent = new Map<string, Sent>();
  private readonly budgets = new Map<string, { tokens: number; at: number }>();
  private readonly pending: (() => Promise<void>)[] = [];
  private flushing: Promise<void> | undefined;

  /** `controller` is the reporting controller, e.g. `tentacle.dev/job`. */
  constructor(client: Client, controller: string, options: { logger?: Logger; clock?: Clock; instance?: string } = {}) {
    this.client = client;
    this.controller = controller;
    this.instance = (options.instance ?? `${controller.split('/').pop()}-${hostname()}`).slice(0, 128);
    this.log = options.logger ?? silentLogger;
    this.clock = options.clock ?? realClock;
  }

  event(regarding: KubeObject, type: EventType, reason: string, action: string, note: string): void {
    if (!this.withinBudget(regarding)) {
      this.log.debug({ reason, name: regarding.metadata.name }, 'event budget of this object spent; dropping event');
      return;
    }
    if (this.pending.length >= MAX_PENDING) {
      this.log.warn({ reason, name: regarding.metadata.name }, 'event queue full; dropping event');
      return;
    }
    this.pending.push(() => this.write(regarding, type, reason, action, note.slice(0, MAX_NOTE)));
    this.flushing ??= this.flush();
  }

  /** Takes a token from the object's bucket (burst 25, one back every 5 minutes). */
  private withinBudget(regarding: KubeObject): boolean {
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
  async drain(): Promise<void> {
    while (this.flushing) await this.flushing;
  }

  private async flush(): Promise<void> {
    try {
      for (let job = this.pending.shift(); job; job = this.pending.shift()) {
        try {
          await job();
        } catch (err) {
          this.log.warn({ err: (err as Error).message }, 'could not write event');
        }
      }
    } finally {
      this.flushing = undefined;
    }
  }

  private async write(regarding: KubeObject, type: EventType, reason: string, action: string, note: string): Promise<void> {
    const meta = regarding.metadata;
    const namespace = meta.namespace || 'default';
    const key = [meta.uid, namespace, meta.name, type, reason, action, note].join('\u0000');
    const now = this.clock.now();
    const seen = this.sent.get(key);
    if (seen && now - seen.first < SERIES_WINDOW_MS) {
      seen.count++;
      seen.last = now;
      try {
        await this.client.patch(EVENTS, seen.namespace, seen.name, {
          series: { count: seen.count, lastObservedTime: rfc3339Micro(now) },
        }, 'merge');
        return;
      } catch (err) {
        if (!isNotFound(err)) throw err;
        // Expired or deleted meanwhile: start a new one below.
      }
    }
    this.prune(now);
    const name = `${meta.name}.${(now * 1e6).toString(16)}${Math.floor(Math.random() * 0xfff).toString(16)}`;
    await this.client.create({
      apiVersion: 'events.k8s.io/v1',
      kind: 'Event',
      metadata: { name, namespace },
      eventTime: rfc3339Micro(now),
      reportingController: this.controller,
      reportingInstance: this.instance,
      action,
      reason,
      type,
      note,
      regarding: {
        apiVersion: regarding.apiVersion,
        kind: regarding.kind,
        name: meta.name,
        namespace: meta.namespace,
        uid: meta.uid,
        resourceVersion: meta.resourceVersion,
      },
    });
    this.sent.set(key, { name, namespace, count: 1, first: now, last: now });
  }

  private prune(now: number): void {
    if (this.sent.size < 4096) return;
    for (const [key, s] of this.sent) if (now - s.first >= SERIES_WINDOW_MS) this.sent.delete(key);
  }
}

