// A work queue with client-go's workqueue semantics (queue.go, delaying_queue.go, rate_limiting_queue.go):
//
// - an item waits in the queue at most once (adds are deduplicated while it waits);
// - an item is handed to one worker at a time: adding it while it is being processed only marks it dirty,
//   and it is queued again (once) when that worker calls done();
// - addAfter() delays an add, the earliest requested time winning, with one clock timer for all;
// - addRateLimited() delays an add by what the rate limiter says.
//
// Items are compared by value, hence `T extends string` (reconcile keys are strings).
import { realClock, type Clock, type TimerHandle } from '../util/clock.ts';
import { noopQueueMetrics, type QueueMetrics } from './metrics.ts';
import { defaultControllerRateLimiter, type RateLimiter } from './rate-limiter.ts';
import { Ring } from './ring.ts';

export type GetResult<T> = { item: T; shutdown: false } | { shutdown: true };

export interface WorkQueueOptions<T> {
  /** For logs and metrics labels; the queue itself does not use it. */
  name?: string;
  clock?: Clock;
  metrics?: QueueMetrics;
  /** Used by addRateLimited/forget/numRequeues; controller-runtime's default when omitted. */
  rateLimiter?: RateLimiter<T>;
}

/** How often unfinished-work metrics are reported (client-go's period). */
export const UNFINISHED_WORK_UPDATE_PERIOD_MS = 500;

// setTimeout fires at once for delays above 2^31-1 ms; longer waits are taken in steps.
const MAX_TIMER_MS = 2 ** 31 - 1;

interface Delayed<T> {
  item: T;
  readyAt: number;
  seq: number;
  index: number;
}

type State = 'running' | 'draining' | 'stopped';

export class WorkQueue<T extends string = string> {
  readonly name: string;
  private readonly clock: Clock;
  private readonly metrics: QueueMetrics;
  private readonly rateLimiter: RateLimiter<T>;

  private readonly queue = new Ring<T>();
  /** Items that need processing → when they were added (for queue latency). Superset of `queue`. */
  private readonly dirty = new Map<T, number>();
  /** Items handed to a worker and not yet done → when processing started. */
  private readonly processing = new Map<T, number>();
  /** Pending get() calls; non-empty only while `queue` is empty. */
  private readonly getters = new Ring<(result: GetResult<T>) => void>();
  private state: State = 'running';
  private drainWaiters: (() => void)[] = [];

  /** Min-heap of delayed adds by (readyAt, seq), and its index by item. */
  private readonly heap: Delayed<T>[] = [];
  private readonly delayed = new Map<T, Delayed<T>>();
  private delaySeq = 0;
  private delayTimer: TimerHandle | undefined;
  private delayTimerAt = Infinity;

  private unfinishedTimer: TimerHandle | undefined;

  constructor(options: WorkQueueOptions<T> = {}) {
    this.name = options.name ?? '';
    this.clock = options.clock ?? realClock;
    this.metrics = options.metrics ?? noopQueueMetrics;
    this.rateLimiter = options.rateLimiter ?? defaultControllerRateLimiter<T>(this.clock);
    if (this.metrics !== noopQueueMetrics) this.scheduleUnfinished();
  }

  /** Marks `item` as needing processing. Ignored once shutting down. */
  add(item: T): void {
    if (this.state !== 'running') return;
    if (this.dirty.has(item)) return;
    this.metrics.add();
    const now = this.clock.now();
    if (this.processing.has(item)) {
      // Queued again when the worker holding it calls done().
      this.dirty.set(item, now);
      this.metrics.depth(this.dirty.size);
      return;
    }
    const getter = this.getters.shift();
    if (getter) {
      this.processing.set(item, now);
      this.metrics.queueLatency(0);
      getter({ item, shutdown: false });
      return;
    }
    this.dirty.set(item, now);
    this.queue.push(item);
    this.metrics.depth(this.dirty.size);
  }

  /**
   * Waits for the next item (FIFO), which the caller then owns until it calls done(item). Resolves
   * `{ shutdown: true }` after shutdown(), or after shutdownWithDrain() once no items are left waiting.
   */
  get(): Promise<GetResult<T>> {
    const item = this.queue.shift();
    if (item !== undefined) return Promise.resolve(this.take(item));
    if (this.state !== 'running') return Promise.resolve({ shutdown: true });
    return new Promise((resolve) => this.getters.push(resolve));
  }

  /** Ends processing of `item`; if it was added meanwhile, it is queued again. */
  done(item: T): void {
    const started = this.processing.get(item);
    if (started === undefined) return;
    this.processing.delete(item);
    this.metrics.workDuration((this.clock.now() - started) / 1000);
    if (this.dirty.has(item)) {
      const getter = this.getters.shift();
      if (getter) getter(this.take(item));
      else this.queue.push(item);
    }
    this.checkDrained();
  }

  /** Items waiting to be handed out (not counting dirty items still being processed). */
  len(): number {
    return this.queue.length;
  }

  /** Items handed out and not yet done. */
  processingCount(): number {
    return this.processing.size;
  }

  isShuttingDown(): boolean {
    return this.state !== 'running';
  }

  /**
   * Adds `item` after `ms` milliseconds (now if `ms` ≤ 0). If the item is already waiting to be added
   * later, the earlier time is kept.
   */
  addAfter(item: T, ms: number): void {
    if (this.state !== 'running') return;
    if (!(ms > 0)) {
      this.add(item);
      return;
    }
    const readyAt = this.clock.now() + ms;
    const existing = this.delayed.get(item);
    if (existing) {
      if (readyAt >= existing.readyAt) return;
      existing.readyAt = readyAt;
      this.siftUp(existing.index);
    } else {
      const entry: Delayed<T> = { item, readyAt, seq: this.delaySeq++, index: this.heap.length };
      this.heap.push(entry);
      this.delayed.set(item, entry);
      this.siftUp(entry.index);
    }
    this.armDelayTimer();
  }

  /** Adds `item` after the rate limiter's delay for it (and counts a retry). */
  addRateLimited(item: T): void {
    if (this.state !== 'running') return;
    this.metrics.retry();
    this.addAfter(item, this.rateLimiter.when(item));
  }

  /** Resets the rate limiter's memory of `item` (call after it was processed successfully). */
  forget(item: T): void {
    this.rateLimiter.forget(item);
  }

  numRequeues(item: T): number {
    return this.rateLimiter.numRequeues(item);
  }

  /**
   * Stops at once: further adds are ignored, waiting and delayed items are dropped, every pending and
   * future get() resolves `{ shutdown: true }`. Items being processed may still be done(); a pending
   * shutdownWithDrain() stops waiting (as client-go's ShutDown ends a ShutDownWithDrain).
   */
  shutdown(): void {
    if (this.state === 'stopped') return;
    this.state = 'stopped';
    this.stopDelayed();
    this.stopUnfinished();
    const hadWaiting = this.dirty.size > 0;
    this.queue.clear();
    this.dirty.clear();
    if (hadWaiting) this.metrics.depth(0);
    this.wakeGetters();
    this.releaseDrainWaiters();
  }

  /**
   * Stops accepting adds (delayed adds are dropped) but keeps handing out items already waiting — and
   * items re-added while being processed — until none are left; resolves once nothing is waiting or
   * being processed. Workers must keep calling get() until it reports shutdown; call shutdown() to stop
   * waiting.
   */
  shutdownWithDrain(): Promise<void> {
    if (this.state === 'running') {
      this.state = 'draining';
      this.stopDelayed();
      this.wakeGetters(); // getters only wait while the queue is empty
    }
    if (this.queue.length === 0 && this.processing.size === 0) {
      this.stopUnfinished();
      return Promise.resolve();
    }
    return new Promise((resolve) => this.drainWaiters.push(resolve));
  }

  private take(item: T): GetResult<T> {
    const now = this.clock.now();
    const addedAt = this.dirty.get(item) ?? now;
    this.dirty.delete(item);
    this.processing.set(item, now);
    this.metrics.queueLatency((now - addedAt) / 1000);
    this.metrics.depth(this.dirty.size);
    return { item, shutdown: false };
  }

  private wakeGetters(): void {
    for (let g = this.getters.shift(); g; g = this.getters.shift()) g({ shutdown: true });
  }

  private checkDrained(): void {
    if (this.state === 'running' || this.queue.length > 0 || this.processing.size > 0) return;
    this.stopUnfinished();
    this.releaseDrainWaiters();
  }

  private releaseDrainWaiters(): void {
    const waiters = this.drainWaiters;
    this.drainWaiters = [];
    for (const w of waiters) w();
  }

  // --- delayed adds ---

  private armDelayTimer(): void {
    const top = this.heap[0];
    if (!top) {
      this.cancelDelayTimer();
      return;
    }
    if (this.delayTimer && this.delayTimerAt <= top.readyAt) return;
    this.delayTimer?.cancel();
    this.delayTimerAt = top.readyAt;
    const wait = Math.min(MAX_TIMER_MS, Math.max(0, top.readyAt - this.clock.now()));
    this.delayTimer = this.clock.setTimer(this.onDelayTimer, wait);
  }

  private readonly onDelayTimer = (): void => {
    this.delayTimer = undefined;
    this.delayTimerAt = Infinity;
    const now = this.clock.now();
    for (let top = this.heap[0]; top && top.readyAt <= now; top = this.heap[0]) {
      this.popDelayed();
      this.delayed.delete(top.item);
      this.add(top.item);
    }
    this.armDelayTimer();
  };

  private cancelDelayTimer(): void {
    this.delayTimer?.cancel();
    this.delayTimer = undefined;
    this.delayTimerAt = Infinity;
  }

  private stopDelayed(): void {
    this.cancelDelayTimer();
    this.heap.length = 0;
    this.delayed.clear();
  }

  private less(a: Delayed<T>, b: Delayed<T>): boolean {
    return a.readyAt < b.readyAt || (a.readyAt === b.readyAt && a.seq < b.seq);
  }

  private place(entry: Delayed<T>, index: number): void {
    this.heap[index] = entry;
    entry.index = index;
  }

  private siftUp(index: number): void {
    const entry = this.heap[index]!;
    while (index > 0) {
      const parentIndex = (index - 1) >> 1;
      const parent = this.heap[parentIndex]!;
      if (!this.less(entry, parent)) break;
      this.place(parent, index);
      index = parentIndex;
    }
    this.place(entry, index);
  }

  private popDelayed(): void {
    const last = this.heap.pop()!;
    const n = this.heap.length;
    if (n === 0) return;
    let index = 0;
    for (;;) {
      const left = 2 * index + 1;
      if (left >= n) break;
      const right = left + 1;
      let child = left;
      if (right < n && this.less(this.heap[right]!, this.heap[left]!)) child = right;
      const c = this.heap[child]!;
      if (!this.less(c, last)) break;
      this.place(c, index);
      index = child;
    }
    this.place(last, index);
  }

  // --- unfinished-work metrics ---

  private scheduleUnfinished(): void {
    this.unfinishedTimer = this.clock.setTimer(() => {
      const now = this.clock.now();
      let total = 0;
      let longest = 0;
      for (const started of this.processing.values()) {
        const age = (now - started) / 1000;
        total += age;
        if (age > longest) longest = age;
      }
      this.metrics.unfinished(total, longest);
      this.scheduleUnfinished();
    }, UNFINISHED_WORK_UPDATE_PERIOD_MS);
  }

  private stopUnfinished(): void {
    this.unfinishedTimer?.cancel();
    this.unfinishedTimer = undefined;
  }
}
