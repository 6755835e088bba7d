// Table tests of the controller's outcome mapping (what a result or an error means for the key), then
// one controller run that shows each queue action carried out.
import { describe, test } from '@jest/globals';
import assert from 'node:assert/strict';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { ApiError } from '../../../src/runtime/client/errors.ts';
import { Controller } from '../../../src/runtime/controller/controller.ts';
import { outcomeOf, type Outcome, type Settled } from '../../../src/runtime/controller/outcome.ts';
import { TerminalError, type Result } from '../../../src/runtime/controller/reconciler.ts';
import { RuntimeMetrics } from '../../../src/runtime/metrics/metrics.ts';
import { ItemExponentialFailureRateLimiter } from '../../../src/runtime/queue/rate-limiter.ts';
import type { Request } from '../../../src/runtime/types.ts';
import { FakeClock } from '../../../src/runtime/util/clock.ts';
import { waitFor } from '../../../src/testing/wait.ts';

const conflict = new ApiError(409, 'Conflict', 'the object has been modified');
const alreadyExists = new ApiError(409, 'AlreadyExists', 'pods "p" already exists');
const terminal = new TerminalError('bad input');
const boom = new Error('boom');

/** An outcome as one short line: `result queue-action [errors] [level: message]`. */
function show(o: Outcome): string {
  const queue = o.queue.type === 'addAfter' ? `addAfter ${o.queue.ms}` : o.queue.type;
  const log = o.log ? ` ${o.log.level}: ${o.log.message}${o.log.retries ? ' +retries' : ''}` : '';
  return `${o.result} ${queue}${o.error ? ' counted' : ''}${log}`;
}

describe('outcomeOf', () => {
  const ok = (result: Result | void): Settled => ({ result });
  const cases: { name: string; settled: Settled; aborted?: boolean; want: string }[] = [
    { name: 'nothing returned: done', settled: ok(undefined), want: 'success forget' },
    { name: 'empty result: done', settled: ok({}), want: 'success forget' },
    { name: 'requeueAfterMs: forget the backoff, come back then', settled: ok({ requeueAfterMs: 5000 }), want: 'requeue_after addAfter 5000' },
    { name: 'requeueAfterMs wins over requeue', settled: ok({ requeue: true, requeueAfterMs: 5000 }), want: 'requeue_after addAfter 5000' },
    { name: 'requeueAfterMs 0 is no delay: requeue decides', settled: ok({ requeue: true, requeueAfterMs: 0 }), want: 'requeue addRateLimited' },
    { name: 'requeueAfterMs 0 alone: done', settled: ok({ requeueAfterMs: 0 }), want: 'success forget' },
    { name: 'negative requeueAfterMs: done', settled: ok({ requeueAfterMs: -1 }), want: 'success forget' },
    { name: 'requeue: through the rate limiter, not an error', settled: ok({ requeue: true }), want: 'requeue addRateLimited' },
    { name: 'requeue false: done', settled: ok({ requeue: false }), want: 'success forget' },
    { name: 'conflict: requeue, not an error', settled: { error: conflict }, want: 'requeue addRateLimited debug: conflict; requeueing' },
    { name: 'conflict while stopping: still requeued', settled: { error: conflict }, aborted: true, want: 'requeue addRateLimited debug: conflict; requeueing' },
    { name: 'another 409 is an error', settled: { error: alreadyExists }, want: 'error addRateLimited counted error: reconcile failed; retrying with backoff +retries' },
    { name: 'TerminalError: counted, forgotten, not retried', settled: { error: terminal }, want: 'error forget counted error: reconcile failed terminally; not retrying' },
    { name: 'TerminalError while stopping: the same', settled: { error: terminal }, aborted: true, want: 'error forget counted error: reconcile failed terminally; not retrying' },
    { name: 'any other error: counted, retried with backoff', settled: { error: boom }, want: 'error addRateLimited counted error: reconcile failed; retrying with backoff +retries' },
    { name: 'a thrown non-Error is an error too', settled: { error: 'string' }, want: 'error addRateLimited counted error: reconcile failed; retrying with backoff +retries' },
    { name: 'an error while stopping: counted, left alone, not logged', settled: { error: boom }, aborted: true, want: 'error none counted' },
    { name: 'a result while stopping: as ever', settled: ok({ requeue: true }), aborted: true, want: 'requeue addRateLimited' },
  ];
  for (const c of cases) {
    test(c.name, () => assert.equal(show(outcomeOf(c.settled, c.aborted ?? false)), c.want));
  }

  test('log fields: a conflict logs its message, other errors the error itself', () => {
    assert.deepEqual(outcomeOf({ error: conflict }, false).log?.fields, { err: 'the object has been modified' });
    assert.equal(outcomeOf({ error: terminal }, false).log?.fields.err, terminal);
    assert.equal(outcomeOf({ error: boom }, false).log?.fields.err, boom);
  });
});

test('Controller carries each outcome out on its queue, its metrics and its log', async () => {
  let text = '';
  const logger = pino({ level: 'debug', base: undefined }, { write: (line: string) => void (text += line) });
  const clock = new FakeClock();
  const metrics = new RuntimeMetrics({ registry: new Registry() });
  const calls = new Map<string, number>();
  const behaviour: Record<string, () => Result | void> = {
    done: () => undefined,
    later: () => ({ requeueAfterMs: 60_000 }),
    again: () => ({ requeue: true }),
    conflict: () => {
      throw conflict;
    },
    terminal: () => {
      throw terminal;
    },
    failing: () => {
      throw boom;
    },
  };
  const controller = new Controller(
    'c',
    {
      reconcile: async (req: Request) => {
        calls.set(req.name, (calls.get(req.name) ?? 0) + 1);
        return behaviour[req.name]!();
      },
    },
    { logger, clock, metrics, rateLimiter: new ItemExponentialFailureRateLimiter<string>(1000, 1000) },
  );
  const stop = new AbortController();
  const running = controller.start(stop.signal);
  const names = Object.keys(behaviour);
  for (const name of names) controller.enqueue({ namespace: 'ns', name });
  const count = () => Object.fromEntries(names.map((n) => [n, calls.get(n) ?? 0]));
  await waitFor(() => names.every((n) => calls.get(n) === 1) && controller.queue.processingCount() === 0, { what: 'one reconcile each', timeoutMs: 5_000, intervalMs: 5 });

  const requeues = Object.fromEntries(names.map((n) => [n, controller.queue.numRequeues(`ns/${n}`)]));
  assert.deepEqual(requeues, { done: 0, later: 0, again: 1, conflict: 1, terminal: 0, failing: 1 });
  clock.advance(1000); // the rate-limited ones come back; the one asked for later does not
  await waitFor(() => calls.get('failing') === 2 && calls.get('again') === 2 && calls.get('conflict') === 2, { what: 'the retries', timeoutMs: 5_000, intervalMs: 5 });
  assert.deepEqual(count(), { done: 1, later: 1, again: 2, conflict: 2, terminal: 1, failing: 2 });
  clock.advance(59_000);
  await waitFor(() => calls.get('later') === 2, { what: 'the requeue after a minute', timeoutMs: 5_000, intervalMs: 5 });
  stop.abort();
  await running;

  const lines = text.split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);
  const first = (name: string, msg: string) => lines.find((l) => l.name === name && l.msg === msg);
  assert.equal(first('conflict', 'conflict; requeueing')?.err, 'the object has been modified');
  assert.equal(first('conflict', 'conflict; requeueing')?.level, 20);
  assert.equal(first('failing', 'reconcile failed; retrying with backoff')?.retries, 1);
  assert.equal(first('terminal', 'reconcile failed terminally; not retrying')?.level, 50);
  assert.equal(first('done', 'reconcile failed; retrying with backoff'), undefined);
  const errors = (await metrics.reconcileErrors.get()).values[0]?.value;
  assert.ok(errors !== undefined && errors >= 3, `terminal once, failing at least twice: ${errors}`);
});
