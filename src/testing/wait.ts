// Polling until a condition holds, for tests against a real control plane.
import { setTimeout as sleep } from 'node:timers/promises';
import { isNativeError } from 'node:util/types';

export interface WaitOptions {
  /** Give up after this long (default 30 s). */
  timeoutMs?: number;
  /** Pause between attempts (default 200 ms). */
  intervalMs?: number;
  /** What is awaited, for the timeout message. */
  what?: string;
}

/**
 * Calls `fn` until it returns something other than undefined/false and returns that. Errors thrown by
 * `fn` count as "not yet"; the last one (or the last value) is in the timeout message.
 */
export async function waitFor<T>(
  fn: () => Promise<T | undefined | false> | T | undefined | false,
  opts: WaitOptions = {},
): Promise<T> {
  const timeoutMs = opts.timeoutMs ?? 30_000;
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await fn();
      if (value !== undefined && value !== false) return value;
      last = value;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) {
      // isNativeError, not instanceof: under Jest, errors that Node's own modules throw (fetch's) are of
      // another realm than this file's Error.
      const detail = isNativeError(last) ? last.message : JSON.stringify(last);
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${opts.what ?? 'condition'} (last: ${detail})`);
    }
    await sleep(opts.intervalMs ?? 200);
  }
}
