// The reconcile contract, as controller-runtime's: given the key of an object, make the world match it.
import type { Logger } from '../log.ts';
import type { Request } from '../types.ts';

export type { Request };

export interface ReconcileContext {
  /** Aborted when the manager shuts down or loses leadership: stop early, nothing is lost. */
  signal: AbortSignal;
  /** Carries controller, namespace, name and a reconcile id on every line. */
  log: Logger;
}

export interface Result {
  /** Requeue through the rate limiter (backoff), without counting as an error. */
  requeue?: boolean;
  /** Requeue after this many milliseconds (takes precedence over `requeue`). */
  requeueAfterMs?: number;
}

export interface Reconciler {
  /** Throwing (or rejecting) is an error: the request is retried with per-item exponential backoff. */
  reconcile(request: Request, ctx: ReconcileContext): Promise<Result | void>;
}

/** An error that will not go away by retrying (bad input): logged and counted, but not requeued. */
export class TerminalError extends Error {
  override readonly name = 'TerminalError';
}
