// The watcher: list, then watch from the list's resourceVersion, forever. It owns recovery so nothing
// above it has to: a server-side close re-watches from the last resourceVersion, `410 Gone` (as an HTTP
// status or an in-stream ERROR) relists, any other error reconnects with backoff, and a stream that is
// silent for longer than bookmarks allow is treated as stalled and replaced. It never stops on its own.
//
// A relist is reported as init → initApply… → initDone so the reflector can replace its store and
// derive exact add/update/delete deltas (kube-rs's watcher protocol).
//
// What to do after each outcome is decided by the pure state machine in watcher-state.ts; this file
// only carries it out: requests, the inactivity timer, backoff sleeps, logs and metrics.
import type { Client } from '../client/client.ts';
import type { Logger } from '../log.ts';
import { silentLogger } from '../log.ts';
import type { RuntimeMetrics } from '../metrics/metrics.ts';
import type { GroupVersionKind, KubeObject } from '../types.ts';
import { Backoff } from '../util/backoff.ts';
import { sleep } from '../util/sleep.ts';
import {
  initialState,
  resourceName,
  step,
  type Restart,
  type WatcherAction,
  type WatcherEvent,
  type WatcherInput,
  type WatcherState,
} from './watcher-state.ts';

export type { WatcherEvent };

export interface WatcherOptions {
  gvk: GroupVersionKind;
  namespace?: string;
  labelSelector?: string;
  fieldSelector?: string;
  /** Items per list page. */
  pageSize?: number;
  /** Server-side watch timeout is drawn from [min, max] seconds, as client-go's reflector does. */
  watchTimeoutSeconds?: [number, number];
  /**
   * A stream with no event (bookmarks included) for this long is considered stalled and replaced.
   * The API server sends a bookmark about every minute to watchers that ask for them.
   */
  inactivityTimeoutMs?: number;
  backoff?: { initialMs: number; maxMs: number };
  logger?: Logger;
  metrics?: RuntimeMetrics;
}

const defaults = {
  pageSize: 500,
  watchTimeoutSeconds: [300, 600] as [number, number],
  inactivityTimeoutMs: 150_000,
  backoff: { initialMs: 200, maxMs: 30_000 },
};

/** An open watch, read one event at a time. */
interface Stream {
  next(): Promise<WatcherInput>;
  close(): Promise<void>;
}

/** Runs until `signal` aborts, passing every event to `emit` (synchronously, in order). */
export async function runWatcher<T extends KubeObject>(
  client: Client,
  options: WatcherOptions,
  signal: AbortSignal,
  emit: (event: WatcherEvent<T>) => void,
): Promise<void> {
  const log = options.logger ?? silentLogger;
  const resource = resourceName(options.gvk);
  const backoff = new Backoff(options.backoff ?? defaults.backoff);
  const [minTimeout, maxTimeout] = options.watchTimeoutSeconds ?? defaults.watchTimeoutSeconds;
  const inactivityMs = options.inactivityTimeoutMs ?? defaults.inactivityTimeoutMs;
  const selectors = {
    ...(options.namespace ? { namespace: options.namespace } : {}),
    ...(options.labelSelector ? { labelSelector: options.labelSelector } : {}),
    ...(options.fieldSelector ? { fieldSelector: options.fieldSelector } : {}),
  };

  const list = async (cont: string | undefined): Promise<WatcherInput> => {
    try {
      const page = await client.list<T>(options.gvk, {
        ...selectors,
        limit: options.pageSize ?? defaults.pageSize,
        ...(cont ? { continue: cont } : {}),
      });
      return { type: 'page', items: page.items, resourceVersion: page.metadata.resourceVersion, continue: page.metadata.continue };
    } catch (error) {
      return { type: 'failed', error };
    }
  };

  // The stream ends on the server's timeout, on `signal`, or when no event (bookmarks included) has
  // come for `inactivityMs`: only the last is reported as stalled.
  const watch = (resourceVersion: string | undefined): Stream => {
    const opened = Date.now();
    const abort = new AbortController();
    const stop = () => abort.abort();
    signal.addEventListener('abort', stop, { once: true });
    let stalled = false;
    let timer: NodeJS.Timeout | undefined;
    const arm = () => {
      clearTimeout(timer);
      timer = setTimeout(() => ((stalled = true), abort.abort()), inactivityMs);
    };
    arm();
    const timeoutSeconds = minTimeout + Math.floor(Math.random() * (maxTimeout - minTimeout + 1));
    const events = client.watch(options.gvk, { ...selectors, resourceVersion, allowWatchBookmarks: true, timeoutSeconds }, abort.signal);
    return {
      async next() {
        try {
          const read = await events.next();
          if (read.done) return { type: 'closed', openForMs: Date.now() - opened };
          arm();
          return { type: 'event', event: read.value };
        } catch (error) {
          return stalled ? { type: 'stalled' } : { type: 'failed', error };
        }
      },
      async close() {
        clearTimeout(timer);
        signal.removeEventListener('abort', stop);
        // Ends the request if the stream is still open (after an in-stream ERROR); a no-op otherwise.
        await events.return(undefined).catch(() => undefined);
      },
    };
  };

  const report = ({ reason, error }: Restart, from: WatcherState, delay: number) => {
    const resourceVersion = 'resourceVersion' in from ? from.resourceVersion : undefined;
    if (reason === 'gone') log.info({ resource, resourceVersion }, 'resource version expired; relisting');
    if (reason === 'stalled') log.warn({ resource, resourceVersion }, `watch stalled (no event for ${inactivityMs} ms); reconnecting`);
    if (reason === 'error') log.warn({ resource, err: error?.message, retryInMs: Math.round(delay) }, 'watch failed; retrying');
    options.metrics?.watchRestarts.inc({ resource, reason });
  };

  let stream: Stream | undefined;
  const perform = async (action: WatcherAction, delay: number): Promise<WatcherInput> => {
    if (action.type === 'read' && stream) {
      // The stream delivered an event: it is healthy, so the next failure starts the backoff over.
      backoff.reset();
      return stream.next();
    }
    await stream?.close();
    stream = undefined;
    switch (action.type) {
      case 'list':
        return list(action.continue);
      case 'watch':
        stream = watch(action.resourceVersion);
        return stream.next();
      case 'read':
        throw new Error('watcher: read with no stream open');
      case 'backoff':
        await sleep(delay, signal);
        return { type: 'ready' };
    }
  };

  let state = initialState;
  let input: WatcherInput = { type: 'ready' };
  try {
    while (!signal.aborted) {
      const out = step<T>(state, input, options.gvk);
      const delay = out.action.type === 'backoff' ? backoff.next() : 0;
      if (out.restart) report(out.restart, state, delay);
      for (const event of out.emit) emit(event);
      if (state.phase === 'listing' && out.state.phase === 'watching') {
        log.debug({ resource, resourceVersion: out.state.resourceVersion }, 'listed');
      }
      state = out.state;
      input = await perform(out.action, delay);
    }
  } finally {
    await stream?.close();
  }
}
