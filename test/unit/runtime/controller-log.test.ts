// The controller's per-reconcile log line, a contract tests rely on (test/support/reconciles.ts): every
// reconcile, whatever its outcome, ends with one debug line `reconciled` naming the object and result.
import { test } from '@jest/globals';
import assert from 'node:assert/strict';
import { pino } from 'pino';
import { Controller } from '../../../src/runtime/controller/controller.ts';
import { TerminalError, type Result } from '../../../src/runtime/controller/reconciler.ts';
import { ItemExponentialFailureRateLimiter } from '../../../src/runtime/queue/rate-limiter.ts';
import type { Request } from '../../../src/runtime/types.ts';
import { waitFor } from '../../../src/testing/wait.ts';

test('every reconcile ends with one debug line "reconciled" naming the object and the result', async () => {
  let text = '';
  const logger = pino({ level: 'debug', base: undefined }, { write: (line: string) => void (text += line) });
  const calls = new Map<string, number>();
  const behaviour: Record<string, (call: number) => Result | void> = {
    done: () => undefined,
    later: () => ({ requeueAfterMs: 60_000 }),
    again: (call) => (call === 1 ? { requeue: true } : undefined),
    broken: () => {
      throw new TerminalError('bad input');
    },
  };
  const controller = new Controller(
    'c',
    {
      reconcile: async (req: Request) => {
        const call = (calls.get(req.name) ?? 0) + 1;
        calls.set(req.name, call);
        return behaviour[req.name]!(call);
      },
    },
    { logger, rateLimiter: new ItemExponentialFailureRateLimiter<string>(1, 1) },
  );
  const stop = new AbortController();
  const running = controller.start(stop.signal);
  for (const name of Object.keys(behaviour)) controller.enqueue({ namespace: 'ns', name });

  const lines = () =>
    text
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .filter((l) => l.msg === 'reconciled');
  await waitFor(() => lines().length === 5, { what: 'five reconciles', timeoutMs: 5_000 });
  stop.abort();
  await running;

  const results: Record<string, unknown[]> = {};
  for (const l of lines()) {
    assert.equal(l.level, 20, 'debug');
    assert.equal(l.controller, 'c');
    assert.equal(l.namespace, 'ns');
    assert.equal(typeof l.reconcileID, 'string');
    (results[l.name as string] ??= []).push(l.result);
  }
  assert.deepEqual(results, { done: ['success'], later: ['requeue_after'], again: ['requeue', 'success'], broken: ['error'] });
});
