// Rate limiters deciding how long a re-queued item waits, after client-go's workqueue
// default_rate_limiters.go. Delays are in milliseconds.
import { realClock, type Clock } from '../util/clock.ts';

export interface RateLimiter<T> {
  /** How long (ms) `item` should wait before it is added again; counts as one more requeue. */
  when(item: T): number;
  /** Stops tracking `item` (it succeeded or was given up): its backoff starts over. */
  forget(item: T): void;
  /** How many times `item` has been requeued since it was last forgotten. */
  numRequeues(item: T): number;
}

/** Per-item exponential backoff: base × 2^failures, capped at max. */
export class ItemExponentialFailureRateLimiter<T> implements RateLimiter<T> {
  private readonly failures = new Map<T, number>();
  private readonly baseMs: number;
  private readonly maxMs: number;

  constructor(baseMs: number, maxMs: number) {
    if (!(baseMs >= 0) || !(maxMs >= 0)) throw new RangeError('base and max delays must be non-negative');
    this.baseMs = baseMs;
    this.maxMs = maxMs;
  }

  when(item: T): number {
    const exp = this.failures.get(item) ?? 0;
    this.failures.set(item, exp + 1);
    if (this.baseMs === 0) return 0; // 0 × 2^exp, without risking 0 × Infinity = NaN
    // Past 2^1023 the power is Infinity, which the cap below turns into maxMs.
    const backoff = this.baseMs * 2 ** exp;
    return backoff > this.maxMs ? this.maxMs : backoff;
  }

  forget(item: T): void {
    this.failures.delete(item);
  }

  numRequeues(item: T): number {
    return this.failures.get(item) ?? 0;
  }
}

/**
 * One token bucket shared by all items (golang.org/x/time/rate semantics): it starts full with `burst`
 * tokens and refills at `qps` per second; `when` reserves a token and returns the wait until it exists.
 */
export class BucketRateLimiter<T = unknown> implements RateLimiter<T> {
  private readonly qps: number;
  private readonly burst: number;
  private readonly clock: Clock;
  private tokens: number;
  private last: number;

  constructor(qps: number, burst: number, clock: Clock = realClock) {
    if (!(qps > 0)) throw new RangeError('qps must be positive (Infinity for no limit)');
    if (!(burst >= 1) || !Number.isInteger(burst)) throw new RangeError('burst must be a positive integer');
    this.qps = qps;
    this.burst = burst;
    this.clock = clock;
    this.tokens = burst;
    this.last = clock.now();
  }

  when(_item: T): number {
    if (this.qps === Infinity) return 0;
    const now = this.clock.now();
    const elapsed = Math.max(0, now - this.last);
    this.tokens = Math.min(this.burst, this.tokens + (elapsed * this.qps) / 1000) - 1;
    this.last = Math.max(this.last, now);
    return this.tokens >= 0 ? 0 : (-this.tokens * 1000) / this.qps;
  }

  forget(_item: T): void {}

  numRequeues(_item: T): number {
    return 0;
  }
}

/** Combines limiters: the longest delay wins, and the highest requeue count is reported. */
export class MaxOfRateLimiter<T> implements RateLimiter<T> {
  private readonly limiters: RateLimiter<T>[];

  constructor(...limiters: RateLimiter<T>[]) {
    this.limiters = limiters;
  }

  when(item: T): number {
    let max = 0;
    // Every limiter must see the call (each one records a failure or reserves a token).
    for (const l of this.limiters) max = Math.max(max, l.when(item));
    return max;
  }

  forget(item: T): void {
    for (const l of this.limiters) l.forget(item);
  }

  numRequeues(item: T): number {
    let max = 0;
    for (const l of this.limiters) max = Math.max(max, l.numRequeues(item));
    return max;
  }
}

/** controller-runtime's default: per-item backoff 5 ms … 1000 s, and 10 qps / burst 100 overall. */
export function defaultControllerRateLimiter<T>(clock: Clock = realClock): RateLimiter<T> {
  return new MaxOfRateLimiter<T>(
    new ItemExponentialFailureRateLimiter<T>(5, 1_000_000),
    new BucketRateLimiter<T>(10, 100, clock),
  );
}
