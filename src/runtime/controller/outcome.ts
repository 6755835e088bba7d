// What a reconcile's result or error means for its key, as controller-runtime decides it: the label it
// is counted under, what the work queue does with the key, and what is logged. Pure, so every case is
// a table row (test/unit/runtime/outcome.test.ts); controller.ts carries it out.
import { isConflict } from '../client/errors.ts';
import type { ReconcileResult } from '../metrics/metrics.ts';
import { TerminalError, type Result } from './reconciler.ts';

export type Settled = { result: Result | void } | { error: unknown };

export type QueueAction =
  /** Done: the key's backoff starts over. */
  | { type: 'forget' }
  /** Forget the backoff, then add the key back after `ms`. */
  | { type: 'addAfter'; ms: number }
  /** Add the key back after its next (growing) backoff delay. */
  | { type: 'addRateLimited' }
  /** Leave the key alone. */
  | { type: 'none' };

export interface Outcome {
  /** The `result` label of `controller_runtime_reconcile_total`. */
  result: ReconcileResult;
  queue: QueueAction;
  /** Counted in `controller_runtime_reconcile_errors_total`. */
  error: boolean;
  /** `retries`: add the key's requeue count, which only the queue knows. */
  log?: { level: 'debug' | 'error'; message: string; fields: Record<string, unknown>; retries?: true };
}

/** `aborted`: the controller is stopping, so a failure is not retried (the next leader will). */
export function outcomeOf(settled: Settled, aborted: boolean): Outcome {
  if ('result' in settled) {
    const result = settled.result ?? {};
    if (result.requeueAfterMs !== undefined && result.requeueAfterMs > 0) {
      return { result: 'requeue_after', queue: { type: 'addAfter', ms: result.requeueAfterMs }, error: false };
    }
    if (result.requeue) return { result: 'requeue', queue: { type: 'addRateLimited' }, error: false };
    return { result: 'success', queue: { type: 'forget' }, error: false };
  }
  const err = settled.error;
  if (isConflict(err)) {
    // Optimistic concurrency: our cache was behind. Not a failure; try again with fresh state.
    return {
      result: 'requeue',
      queue: { type: 'addRateLimited' },
      error: false,
      log: { level: 'debug', message: 'conflict; requeueing', fields: { err: (err as Error).message } },
    };
  }
  if (err instanceof TerminalError) {
    return {
      result: 'error',
      queue: { type: 'forget' },
      error: true,
      log: { level: 'error', message: 'reconcile failed terminally; not retrying', fields: { err } },
    };
  }
  if (aborted) return { result: 'error', queue: { type: 'none' }, error: true };
  return {
    result: 'error',
    queue: { type: 'addRateLimited' },
    error: true,
    log: { level: 'error', message: 'reconcile failed; retrying with backoff', fields: { err }, retries: true },
  };
}
