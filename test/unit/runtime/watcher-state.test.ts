// Table tests of the watcher's state machine (every transition, no server), then the driver against a
// scripted client for what only the driver does: abort, the inactivity timer, closing streams.
import { describe, test } from '@jest/globals';
import assert from 'node:assert/strict';
import { Registry } from 'prom-client';
import type { Client, ObjectList, WatchEvent } from '../../../src/runtime/client/client.ts';
import { ApiError } from '../../../src/runtime/client/errors.ts';
import { RuntimeMetrics } from '../../../src/runtime/metrics/metrics.ts';
import type { KubeObject } from '../../../src/runtime/types.ts';
import { runWatcher } from '../../../src/runtime/cache/watcher.ts';
import {
  initialState,
  QUICK_CLOSE_MS,
  step,
  type Step,
  type WatcherEvent,
  type WatcherInput,
  type WatcherState,
} from '../../../src/runtime/cache/watcher-state.ts';

const GVK = { group: '', version: 'v1', kind: 'Pod' };
const pod = (name: string, resourceVersion?: string): KubeObject => ({
  metadata: { namespace: 'ns', name, ...(resourceVersion ? { resourceVersion } : {}) },
});
const event = (type: WatchEvent['type'], object: unknown): WatcherInput => ({ type: 'event', event: { type, object } });
const gone = new ApiError(410, 'Expired', 'GET /api/v1/pods: too old resource version');
const refused = new Error('connect ECONNREFUSED');

/** Events as short strings, so a table row fits on a line. */
const show = (events: WatcherEvent<KubeObject>[]) =>
  events.map((e) => ('object' in e ? `${e.type} ${e.object.metadata.name}` : e.type));

const watching = (resourceVersion: string | undefined): WatcherState => ({ phase: 'watching', resourceVersion });

describe('watcher state machine', () => {
  const cases: {
    name: string;
    state: WatcherState;
    input: WatcherInput;
    state2: WatcherState;
    emit?: string[];
    action: Step<KubeObject>['action'];
    restart?: string;
  }[] = [
    // Listing
    { name: 'start: init, then the first page', state: initialState, input: { type: 'ready' }, state2: { phase: 'listing' }, emit: ['init'], action: { type: 'list' } },
    {
      name: 'a page with a continue token asks for the next; no initDone yet',
      state: { phase: 'listing' },
      input: { type: 'page', items: [pod('a'), pod('b')], resourceVersion: '10', continue: 'c1' },
      state2: { phase: 'listing', continue: 'c1', listVersion: '10' },
      emit: ['initApply a', 'initApply b'],
      action: { type: 'list', continue: 'c1' },
    },
    {
      name: 'a middle page keeps the first page\'s version',
      state: { phase: 'listing', continue: 'c1', listVersion: '10' },
      input: { type: 'page', items: [pod('c')], resourceVersion: '12', continue: 'c2' },
      state2: { phase: 'listing', continue: 'c2', listVersion: '10' },
      emit: ['initApply c'],
      action: { type: 'list', continue: 'c2' },
    },
    {
      name: 'the last page: initDone, watch from the first page\'s version',
      state: { phase: 'listing', continue: 'c2', listVersion: '10' },
      input: { type: 'page', items: [pod('d')], resourceVersion: '12' },
      state2: watching('10'),
      emit: ['initApply d', 'initDone'],
      action: { type: 'watch', resourceVersion: '10' },
    },
    {
      name: 'a single page',
      state: { phase: 'listing' },
      input: { type: 'page', items: [pod('a')], resourceVersion: '7' },
      state2: watching('7'),
      emit: ['initApply a', 'initDone'],
      action: { type: 'watch', resourceVersion: '7' },
    },
    { name: 'an empty list is still a complete one', state: { phase: 'listing' }, input: { type: 'page', items: [], resourceVersion: '7' }, state2: watching('7'), emit: ['initDone'], action: { type: 'watch', resourceVersion: '7' } },
    { name: 'a failed list backs off, then starts over', state: { phase: 'listing', continue: 'c1', listVersion: '10' }, input: { type: 'failed', error: refused }, state2: initialState, action: { type: 'backoff' }, restart: 'error' },
    { name: '410 on a list (continue token expired) relists at once', state: { phase: 'listing', continue: 'c1', listVersion: '10' }, input: { type: 'failed', error: gone }, state2: { phase: 'listing' }, emit: ['init'], action: { type: 'list' }, restart: 'gone' },

    // Watching: events move the resourceVersion on
    { name: 'ADDED applies', state: watching('10'), input: event('ADDED', pod('a', '11')), state2: watching('11'), emit: ['apply a'], action: { type: 'read' } },
    { name: 'MODIFIED applies', state: watching('11'), input: event('MODIFIED', pod('a', '12')), state2: watching('12'), emit: ['apply a'], action: { type: 'read' } },
    { name: 'DELETED deletes', state: watching('12'), input: event('DELETED', pod('a', '13')), state2: watching('13'), emit: ['delete a'], action: { type: 'read' } },
    { name: 'BOOKMARK only moves the version on', state: watching('13'), input: event('BOOKMARK', { metadata: { resourceVersion: '20' } }), state2: watching('20'), emit: [], action: { type: 'read' } },
    { name: 'an event without a version keeps the last', state: watching('20'), input: event('MODIFIED', pod('a')), state2: watching('20'), emit: ['apply a'], action: { type: 'read' } },
    { name: 'the first event after a list without a version gives one', state: watching(undefined), input: event('ADDED', pod('a', '5')), state2: watching('5'), emit: ['apply a'], action: { type: 'read' } },

    // Watching: errors and ends
    { name: 'in-stream ERROR 410 relists, init again', state: watching('20'), input: event('ERROR', { code: 410, reason: 'Expired', message: 'too old' }), state2: { phase: 'listing' }, emit: ['init'], action: { type: 'list' }, restart: 'gone' },
    { name: 'HTTP 410 on the watch relists', state: watching('20'), input: { type: 'failed', error: gone }, state2: { phase: 'listing' }, emit: ['init'], action: { type: 'list' }, restart: 'gone' },
    { name: 'another in-stream ERROR backs off, keeping the version', state: watching('20'), input: event('ERROR', { code: 500, reason: 'InternalError', message: 'etcd' }), state2: { phase: 'listed', resourceVersion: '20' }, action: { type: 'backoff' }, restart: 'error' },
    { name: 'a failed watch backs off, keeping the version', state: watching('20'), input: { type: 'failed', error: refused }, state2: { phase: 'listed', resourceVersion: '20' }, action: { type: 'backoff' }, restart: 'error' },
    { name: 'a server close re-watches from the version at once', state: watching('20'), input: { type: 'closed', openForMs: 300_000 }, state2: watching('20'), action: { type: 'watch', resourceVersion: '20' }, restart: 'closed' },
    { name: 'a close right after the open backs off', state: watching('20'), input: { type: 'closed', openForMs: QUICK_CLOSE_MS - 1 }, state2: { phase: 'listed', resourceVersion: '20' }, action: { type: 'backoff' }, restart: 'closed' },
    { name: 'a close with no version to watch from relists', state: watching(undefined), input: { type: 'closed', openForMs: 300_000 }, state2: { phase: 'listing' }, emit: ['init'], action: { type: 'list' }, restart: 'closed' },
    { name: 'a quick close with no version backs off, then lists', state: watching(undefined), input: { type: 'closed', openForMs: 0 }, state2: initialState, action: { type: 'backoff' }, restart: 'closed' },
    { name: 'a stalled stream is replaced at once, from the version', state: watching('20'), input: { type: 'stalled' }, state2: watching('20'), action: { type: 'watch', resourceVersion: '20' }, restart: 'stalled' },

    // After a backoff
    { name: 'ready after a backoff with a version watches', state: { phase: 'listed', resourceVersion: '20' }, input: { type: 'ready' }, state2: watching('20'), action: { type: 'watch', resourceVersion: '20' } },
    { name: 'ready after a backoff without one lists, init again', state: initialState, input: { type: 'ready' }, state2: { phase: 'listing' }, emit: ['init'], action: { type: 'list' } },
  ];
  for (const c of cases) {
    test(c.name, () => {
      const out = step<KubeObject>(c.state, c.input, GVK);
      assert.deepEqual(out.state, c.state2);
      assert.deepEqual(show(out.emit), c.emit ?? []);
      assert.deepEqual(out.action, c.action);
      assert.equal(out.restart?.reason, c.restart);
    });
  }

  test('list items and events get the kind the list leaves out; objects that have one keep it', () => {
    const deployment = { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'x' } };
    const page = step<KubeObject>({ phase: 'listing' }, { type: 'page', items: [pod('a'), deployment], resourceVersion: '1' }, GVK);
    const objects = page.emit.flatMap((e) => ('object' in e ? [e.object] : []));
    assert.deepEqual(objects.map((o) => `${o.apiVersion} ${o.kind}`), ['v1 Pod', 'apps/v1 Deployment']);
    const added = step<KubeObject>(watching('1'), event('ADDED', pod('b', '2')), { group: 'apps', version: 'v1', kind: 'ReplicaSet' });
    assert.deepEqual(added.emit, [{ type: 'apply', object: { apiVersion: 'apps/v1', kind: 'ReplicaSet', metadata: { namespace: 'ns', name: 'b', resourceVersion: '2' } } }]);
  });

  test('an in-stream ERROR carries its status into the error that is logged', () => {
    const out = step(watching('20'), event('ERROR', { code: 500, reason: 'InternalError', message: 'etcd' }), GVK);
    assert.ok(out.restart?.error instanceof ApiError);
    assert.equal(out.restart.error.code, 500);
    assert.equal(out.restart.error.message, 'watch pod.v1: etcd');
    const bare = step(watching('20'), event('ERROR', {}), GVK);
    assert.deepEqual([(bare.restart?.error as ApiError).code, (bare.restart?.error as ApiError).reason], [500, 'InternalError']);
    assert.equal(step(watching('20'), { type: 'failed', error: refused }, GVK).restart?.error, refused);
  });

  test('a relist after 410 reports the whole list again, init to initDone, and watches from the new version', () => {
    const inputs: WatcherInput[] = [
      { type: 'ready' },
      { type: 'page', items: [pod('a')], resourceVersion: '10' },
      event('ADDED', pod('b', '11')),
      event('ERROR', { code: 410, message: 'too old' }),
      { type: 'page', items: [pod('b')], resourceVersion: '30', continue: 'c' },
      { type: 'page', items: [pod('c')], resourceVersion: '31' },
    ];
    let state = initialState;
    const emitted: string[] = [];
    let last: Step<KubeObject> | undefined;
    for (const input of inputs) {
      last = step<KubeObject>(state, input, GVK);
      emitted.push(...show(last.emit));
      state = last.state;
    }
    assert.deepEqual(emitted, ['init', 'initApply a', 'initDone', 'apply b', 'init', 'initApply b', 'initApply c', 'initDone']);
    assert.deepEqual(last?.action, { type: 'watch', resourceVersion: '30' });
  });

  const outOfTurn: [string, WatcherState, WatcherInput][] = [
    ['a page while watching', watching('1'), { type: 'page', items: [] }],
    ['an event while listing', { phase: 'listing' }, event('ADDED', pod('a', '1'))],
    ['ready while watching', watching('1'), { type: 'ready' }],
    ['a close while listed', { phase: 'listed', resourceVersion: '1' }, { type: 'closed', openForMs: 5000 }],
    ['a failure while waiting', initialState, { type: 'failed', error: refused }],
  ];
  for (const [name, state, input] of outOfTurn) {
    test(`out of turn, ${name}, is a driver bug and throws`, () => {
      assert.throws(() => step(state, input, GVK), /^Error: watcher: /);
    });
  }
});

// A client whose list answers and watch streams are scripted, one per call, in order.
type Stream = (signal: AbortSignal) => AsyncGenerator<WatchEvent>;
function scripted(lists: (ObjectList<KubeObject> | Error)[], streams: Stream[]) {
  const calls: string[] = [];
  const client = {
    async list(_gvk: unknown, options: { continue?: string }) {
      calls.push(`list${options.continue ? ` ${options.continue}` : ''}`);
      const next = lists.shift();
      if (!next) return new Promise(() => {}); // never answers: the test ends it by aborting
      if (next instanceof Error) throw next;
      return next;
    },
    watch(_gvk: unknown, options: { resourceVersion?: string }, signal: AbortSignal) {
      calls.push(`watch ${options.resourceVersion}`);
      const next = streams.shift();
      return next ? next(signal) : untilAborted(signal);
    },
  };
  return { client: client as unknown as Client, calls };
}
const page = (names: string[], resourceVersion: string, cont?: string): ObjectList<KubeObject> => ({
  metadata: { resourceVersion, ...(cont ? { continue: cont } : {}) },
  items: names.map((n) => pod(n)),
});
// eslint-disable-next-line require-yield -- a stream that sends nothing, until it is cut
async function* untilAborted(signal: AbortSignal): AsyncGenerator<WatchEvent> {
  await new Promise((resolve) => signal.addEventListener('abort', resolve, { once: true }));
  throw new DOMException('aborted', 'AbortError');
}
const tick = () => new Promise((resolve) => setTimeout(resolve, 5));
async function until(what: () => boolean) {
  for (let i = 0; i < 400 && !what(); i++) await tick();
  assert.ok(what(), 'timed out');
}
async function restarts(metrics: RuntimeMetrics) {
  const counts: Record<string, number> = {};
  for (const { labels, value } of (await metrics.watchRestarts.get()).values) if (value) counts[String(labels.reason)] = value;
  return counts;
}

describe('runWatcher, driven against a scripted client', () => {
  const fast = { backoff: { initialMs: 1, maxMs: 1 }, inactivityTimeoutMs: 10_000 };

  test('pages, watches, and stops on abort with the stream closed and nothing emitted after', async () => {
    let closed = false;
    const { client, calls } = scripted([page(['a'], '10', 'c1'), page(['b'], '12')], [
      async function* (signal) {
        try {
          yield { type: 'ADDED', object: pod('c', '11') };
          await new Promise((resolve) => signal.addEventListener('abort', resolve, { once: true }));
          yield { type: 'ADDED', object: pod('late', '12') }; // buffered before the abort landed
        } finally {
          closed = true;
        }
      },
    ]);
    const abort = new AbortController();
    const seen: string[] = [];
    const done = runWatcher<KubeObject>(client, { gvk: GVK, ...fast }, abort.signal, (e) => seen.push(...show([e])));
    await until(() => seen.includes('apply c'));
    abort.abort();
    await done;
    assert.deepEqual(calls, ['list', 'list c1', 'watch 10']);
    assert.deepEqual(seen, ['init', 'initApply a', 'initApply b', 'initDone', 'apply c']);
    assert.ok(closed);
  });

  test('an in-stream ERROR ends the request, backs off and re-watches from the last version', async () => {
    let closed = false;
    const metrics = new RuntimeMetrics({ registry: new Registry() });
    const { client, calls } = scripted([page([], '10')], [
      async function* () {
        try {
          yield { type: 'BOOKMARK', object: { metadata: { resourceVersion: '15' } } };
          yield { type: 'ERROR', object: { code: 500, message: 'etcd' } };
          yield { type: 'ADDED', object: pod('never', '16') };
        } finally {
          closed = true;
        }
      },
    ]);
    const abort = new AbortController();
    const done = runWatcher<KubeObject>(client, { gvk: GVK, ...fast, metrics }, abort.signal, () => {});
    await until(() => calls.length === 3);
    abort.abort();
    await done;
    assert.deepEqual(calls, ['list', 'watch 10', 'watch 15']);
    assert.ok(closed);
    assert.deepEqual(await restarts(metrics), { error: 1 });
  });

  test('a silent stream is cut after the inactivity timeout and replaced from the same version', async () => {
    const metrics = new RuntimeMetrics({ registry: new Registry() });
    const { client, calls } = scripted([page([], '10')], []);
    const abort = new AbortController();
    const done = runWatcher<KubeObject>(client, { gvk: GVK, ...fast, inactivityTimeoutMs: 20, metrics }, abort.signal, () => {});
    await until(() => calls.length >= 3);
    abort.abort();
    await done;
    assert.deepEqual(calls.slice(0, 3), ['list', 'watch 10', 'watch 10']);
    const counts = await restarts(metrics);
    assert.ok(counts.stalled! >= 1);
    assert.equal(counts.error, undefined);
  });

  test('abort ends a backoff wait at once', async () => {
    const { client, calls } = scripted([refused], []);
    const abort = new AbortController();
    const done = runWatcher<KubeObject>(client, { gvk: GVK, backoff: { initialMs: 60_000, maxMs: 60_000 } }, abort.signal, () => {});
    await until(() => calls.length === 1);
    const started = Date.now();
    abort.abort();
    await done;
    assert.ok(Date.now() - started < 1000);
    assert.deepEqual(calls, ['list']);
  });

  test('abort before the start does nothing', async () => {
    const { client, calls } = scripted([], []);
    const seen: unknown[] = [];
    await runWatcher<KubeObject>(client, { gvk: GVK }, AbortSignal.abort(), (e) => seen.push(e));
    assert.deepEqual([calls, seen], [[], []]);
  });
});
