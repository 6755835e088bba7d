// Exponential backoff with jitter, for reconnects and retries. Pure apart from the injected `random`.

export interface BackoffOptions {
  /** First delay, in milliseconds (>= 0). */
  initialMs: number;
  /** Cap on the un-jittered delay, in milliseconds (>= initialMs). */
  maxMs: number;
  /** Growth per step (>= 1). Default 2. */
  factor?: number;
  /**
   * Each delay is stretched by up to this fraction: d + d * jitter * random(), as apimachinery's
   * wait.Jitter does, so a jittered delay may exceed maxMs by up to that fraction. Default 0.1.
   */
  jitter?: number;
  /** Source of uniform numbers in [0, 1). Default Math.random. */
  random?: () => number;
}

/**
 * Delays initialMs, initialMs*factor, initialMs*factor², … capped at maxMs, each with jitter.
 * `reset()` (e.g. after a connection has been healthy) starts over from initialMs.
 */
export class Backoff {
  private readonly initialMs: number;
  private readonly maxMs: number;
  private readonly factor: number;
  private readonly jitter: number;
  private readonly random: () => number;
  private current: number;
  private steps = 0;

  constructor(options: BackoffOptions) {
    const { initialMs, maxMs, factor = 2, jitter = 0.1, random = Math.random } = options;
    if (!(Number.isFinite(initialMs) && initialMs >= 0)) throw new RangeError(`Backoff: initialMs must be a finite number >= 0, got ${initialMs}`);
    if (!(Number.isFinite(maxMs) && maxMs >= initialMs)) throw new RangeError(`Backoff: maxMs must be a finite number >= initialMs (${initialMs}), got ${maxMs}`);
    if (!(Number.isFinite(factor) && factor >= 1)) throw new RangeError(`Backoff: factor must be a finite number >= 1, got ${factor}`);
    if (!(Number.isFinite(jitter) && jitter >= 0)) throw new RangeError(`Backoff: jitter must be a finite number >= 0, got ${jitter}`);
    this.initialMs = initialMs;
    this.maxMs = maxMs;
    this.factor = factor;
    this.jitter = jitter;
    this.random = random;
    this.current = initialMs;
  }

  /** The delay to wait before the next attempt, in milliseconds; advances the sequence. */
  next(): number {
    const base = this.current;
    this.current = Math.min(this.maxMs, this.current * this.factor);
    this.steps++;
    return this.jitter > 0 ? base + base * this.jitter * this.random() : base;
  }

  /** Back to the first delay. */
  reset(): void {
    this.current = this.initialMs;
    this.steps = 0;
  }

  /** How many delays `next()` has handed out since construction or the last reset. */
  get attempts(): number {
    return this.steps;
  }
}
