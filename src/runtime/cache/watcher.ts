// The watcher: list, then watch from the list's resourceVersion, forever. It owns recovery so nothing
// above it has to: a server-side close re-watches from the last resourceVersion, `410 Gone` (as an HTTP
// status or an in-stream ERROR) relists, any other error reconnects with backoff, and a stream that is
// silent for longer than bookmarks allow is treated as stalled and replaced. It never stops on its own.
//
// A relist is reported as init → initApply… → initDone so the reflector can replace its store and
// derive exact add/update/delete deltas (kube-rs's watcher protocol).
import { ApiError, isGone } from '../client/errors.ts';
import type { Client, WatchEvent } from '../client/client.ts';
import type { Logger } from '../log.ts';
import { silentLogger } from '../log.ts';
import type { RuntimeMetrics } from '../metrics/metrics.ts';
import { apiVersionOf, type GroupVersionKind, type KubeObject } from '../types.ts';
import { Backoff } from '../util/backoff.ts';
import { sleep } from '../util/sleep.ts';

export type WatcherEvent<T> =
  | { type: 'init' }
  | { type: 'initApply'; object: T }
  | { type: 'initDone' }
  | { type: 'apply'; object: T }
  | { type: 'delete'; object: T };

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

class Stalled extends Error {}
class Expired extends Error {}

/** Runs until `signal` aborts, passing every event to `emit` (synchronously, in order). */
export async function runWatcher<T extends KubeObject>(
  client: Client,
  options: WatcherOptions,
  signal: AbortSignal,
  emit: (event: WatcherEvent<T>) => void,
): Promise<void> {
  const log = options.logger ?? silentLogger;
  const resource = `${options.gvk.kind.toLowerCase()}.${apiVersionOf(options.gvk)}`;
  const backoff = new Backoff(options.backoff ?? defaults.backoff);
  const [minTimeout, maxTimeout] = options.watchTimeoutSeconds ?? defaults.watchTimeoutSeconds;
  const inactivityMs = options.inactivityTimeoutMs ?? defaults.inactivityTimeoutMs;
  const restarted = (reason: string) => options.metrics?.watchRestarts.inc({ resource, reason });
  const selectors = {
    ...(options.namespace ? { namespace: options.namespace } : {}),
    ...(options.labelSelector ? { labelSelector: options.labelSelector } : {}),
    ...(options.fieldSelector ? { fieldSelector: options.fieldSelector } : {}),
  };

  let resourceVersion: string | undefined;

  const list = async () => {
    emit({ type: 'init' });
    let cont: string | undefined;
    let listVersion: string | undefined;
    do {
      const page = await client.list<T>(options.gvk, {
        ...selectors,
        limit: options.pageSize ?? defaults.pageSize,
        ...(cont ? { continue: cont } : {}),
      });
      listVersion ??= page.metadata.resourceVersion;
      for (const object of page.items) emit({ type: 'initApply', object: withKind(object, options.gvk) });
      cont = page.metadata.continue;
    } while (cont && !signal.aborted);
    if (signal.aborted) return;
    resourceVersion = listVersion;
    emit({ type: 'initDone' });
    log.debug({ resource, resourceVersion }, 'listed');
  };

  const watch = async () => {
    const stream = new AbortController();
    const abortStream = () => stream.abort();
    signal.addEventListener('abort', abortStream, { once: true });
    let stalled = false;
    let timer = setTimeout(() => ((stalled = true), stream.abort()), inactivityMs);
    const alive = () => {
      clearTimeout(timer);
      timer = setTimeout(() => ((stalled = true), stream.abort()), inactivityMs);
    };
    try {
      const timeoutSeconds = minTimeout + Math.floor(Math.random() * (maxTimeout - minTimeout + 1));
      const events = client.watch(
        options.gvk,
        { ...selectors, resourceVersion, allowWatchBookmarks: true, timeoutSeconds },
        stream.signal,
      );
      for await (const event of events) {
        alive();
        handle(event);
        backoff.reset();
      }
    } catch (err) {
      if (stalled) throw new Stalled(`no event for ${inactivityMs} ms`);
      throw err;
    } finally {
      clearTimeout(timer);
      signal.removeEventListener('abort', abortStream);
    }
  };

  const handle = (event: WatchEvent) => {
    const object = event.object as T;
    switch (event.type) {
      case 'ADDED':
      case 'MODIFIED':
        emit({ type: 'apply', object: withKind(object, options.gvk) });
        break;
      case 'DELETED':
        emit({ type: 'delete', object: withKind(object, options.gvk) });
        break;
      case 'BOOKMARK':
        break;
      case 'ERROR': {
        const status = event.object as { code?: number; reason?: string; message?: string };
        if (status.code === 410) throw new Expired(status.message ?? 'resource version expired');
        throw new ApiError(status.code ?? 500, status.reason ?? 'InternalError', `watch ${resource}: ${status.message}`);
      }
    }
    const rv = object?.metadata?.resourceVersion;
    if (rv) resourceVersion = rv;
  };

  while (!signal.aborted) {
    try {
      if (resourceVersion === undefined) await list();
      if (signal.aborted) break;
      const opened = Date.now();
      await watch();
      if (signal.aborted) break;
      // The server closed the stream (its timeout): re-watch from where we are, at once, unless it
      // closes as soon as it opens, which would otherwise spin.
      restarted('closed');
      if (Date.now() - opened < 1000) await sleep(backoff.next(), signal);
    } catch (err) {
      if (signal.aborted) break;
      if (err instanceof Expired || isGone(err)) {
        log.info({ resource, resourceVersion }, 'resource version expired; relisting');
        restarted('gone');
        resourceVersion = undefined;
        continue;
      }
      if (err instanceof Stalled) {
        log.warn({ resource, resourceVersion }, `watch stalled (${err.message}); reconnecting`);
        restarted('stalled');
        continue;
      }
      const delay = backoff.next();
      log.warn({ resource, err: (err as Error).message, retryInMs: Math.round(delay) }, 'watch failed; retrying');
      restarted('error');
      await sleep(delay, signal);
    }
  }
}

/** List items carry no apiVersion/kind; give every object its own, so handlers need not know the list. */
function withKind<T extends KubeObject>(object: T, gvk: GroupVersionKind): T {
  if (!object.kind) {
    object.apiVersion = apiVersionOf(gvk);
    object.kind = gvk.kind;
  }
  return object;
}
