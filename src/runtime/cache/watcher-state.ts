// The watcher's decisions as a pure state machine, in the manner of kube-rs's watcher (Empty → InitPage
// → InitListed → Watching): `step` takes the state and what just happened (a list page, a watch event, a
// closed or stalled stream, a failed request) and returns the next state, the events to emit and what
// to do next. watcher.ts performs the requests, timers and sleeps; every transition here is tested
// without a server (test/unit/runtime/watcher-state.test.ts).
import { isNativeError } from 'node:util/types';
import type { WatchEvent } from '../client/client.ts';
import { ApiError, isGone } from '../client/errors.ts';
import { apiVersionOf, type GroupVersionKind, type KubeObject } from '../types.ts';

export type WatcherEvent<T> =
  | { type: 'init' }
  | { type: 'initApply'; object: T }
  | { type: 'initDone' }
  | { type: 'apply'; object: T }
  | { type: 'delete'; object: T };

export type WatcherState =
  /** Nothing to watch from: the next step lists (at start, after 410, after a failed list). */
  | { phase: 'empty' }
  /** A list is under way; `continue` is the next page's token, `listVersion` the first page's version. */
  | { phase: 'listing'; continue?: string; listVersion?: string }
  /** Listed, no stream open (waiting out a backoff): the next step watches from `resourceVersion`. */
  | { phase: 'listed'; resourceVersion: string }
  /**
   * A stream is open (or opening) from the list's version, advanced by every event. Undefined only
   * when the server listed without one; the watch then starts from "now" and a close relists.
   */
  | { phase: 'watching'; resourceVersion: string | undefined };

export type WatcherInput =
  /** Free to act: at start, and when a backoff delay has passed. */
  | { type: 'ready' }
  | { type: 'page'; items: KubeObject[]; resourceVersion?: string; continue?: string }
  | { type: 'event'; event: WatchEvent }
  /** The server ended the stream (its timeout), `openForMs` after the watch was requested. */
  | { type: 'closed'; openForMs: number }
  /** The driver cut a stream that was silent for longer than the inactivity timeout. */
  | { type: 'stalled' }
  /** A list or watch request failed, or the stream broke. */
  | { type: 'failed'; error: unknown };

export type WatcherAction =
  | { type: 'list'; continue?: string }
  | { type: 'watch'; resourceVersion: string | undefined }
  /** Take the next event from the open stream. The stream is healthy, so the backoff starts over. */
  | { type: 'read' }
  /** Wait the next backoff delay, then step with `ready`. */
  | { type: 'backoff' };

/** Why a stream or list was given up: `reason` labels `tentacle_watch_restarts_total`; `error` is for the log. */
export interface Restart {
  reason: 'closed' | 'gone' | 'stalled' | 'error';
  error?: Error;
}

export interface Step<T> {
  state: WatcherState;
  /** For the watcher's consumer, in order. */
  emit: WatcherEvent<T>[];
  action: WatcherAction;
  /** Set when this step gives up a stream or a list. */
  restart?: Restart;
}

export const initialState: WatcherState = { phase: 'empty' };

/** A stream the server closes sooner than this after it was requested is retried with backoff, not at once. */
export const QUICK_CLOSE_MS = 1000;

/** What follows `input` in `state`. An input that cannot happen there (a page while watching) is a driver bug: it throws. */
export function step<T extends KubeObject>(state: WatcherState, input: WatcherInput, gvk: GroupVersionKind): Step<T> {
  const wrong = () => new Error(`watcher: ${input.type} while ${state.phase}`);
  switch (input.type) {
    case 'ready':
      if (state.phase === 'empty') return relist();
      if (state.phase === 'listed') return watchFrom(state.resourceVersion);
      throw wrong();

    case 'page': {
      if (state.phase !== 'listing') throw wrong();
      const emit: WatcherEvent<T>[] = input.items.map((object) => ({ type: 'initApply', object: withKind(object as T, gvk) }));
      // Later pages belong to the first page's snapshot; its version is the one to watch from.
      const listVersion = state.listVersion ?? input.resourceVersion;
      if (input.continue) {
        return { state: { phase: 'listing', continue: input.continue, listVersion }, emit, action: { type: 'list', continue: input.continue } };
      }
      emit.push({ type: 'initDone' });
      return { ...watchFrom(listVersion), emit };
    }

    case 'event': {
      if (state.phase !== 'watching') throw wrong();
      const { event } = input;
      const object = event.object as T;
      const emit: WatcherEvent<T>[] = [];
      switch (event.type) {
        case 'ADDED':
        case 'MODIFIED':
          emit.push({ type: 'apply', object: withKind(object, gvk) });
          break;
        case 'DELETED':
          emit.push({ type: 'delete', object: withKind(object, gvk) });
          break;
        case 'BOOKMARK':
          break; // only moves the resourceVersion on
        case 'ERROR': {
          const status = event.object as { code?: number; reason?: string; message?: string };
          if (status.code === 410) return { ...relist(), restart: { reason: 'gone' } };
          const error = new ApiError(status.code ?? 500, status.reason ?? 'InternalError', `watch ${resourceName(gvk)}: ${status.message}`);
          return { ...wait(state.resourceVersion), restart: { reason: 'error', error } };
        }
      }
      const resourceVersion = object?.metadata?.resourceVersion || state.resourceVersion;
      return { state: { phase: 'watching', resourceVersion }, emit, action: { type: 'read' } };
    }

    case 'closed':
      if (state.phase !== 'watching') throw wrong();
      // A close right after the open would otherwise spin against a server that refuses to stream.
      if (input.openForMs < QUICK_CLOSE_MS) return { ...wait(state.resourceVersion), restart: { reason: 'closed' } };
      return { ...resume(state.resourceVersion), restart: { reason: 'closed' } };

    case 'stalled':
      if (state.phase !== 'watching') throw wrong();
      // The connection died silently; the server is likely fine, so no reason to wait.
      return { ...resume(state.resourceVersion), restart: { reason: 'stalled' } };

    case 'failed': {
      if (state.phase !== 'listing' && state.phase !== 'watching') throw wrong();
      // 410 on a watch: the version was compacted away; on a list: the continue token expired.
      if (isGone(input.error)) return { ...relist(), restart: { reason: 'gone' } };
      // isNativeError rather than instanceof: an error from another realm (a vm context) is an error too.
      const error = isNativeError(input.error) ? input.error : new Error(String(input.error));
      // A failed list starts over, init included; a failed watch keeps its place.
      return { ...wait(state.phase === 'watching' ? state.resourceVersion : undefined), restart: { reason: 'error', error } };
    }
  }
}

/** `kind.group/version`, as the watcher's logs and metrics name a resource. */
export function resourceName(gvk: GroupVersionKind): string {
  return `${gvk.kind.toLowerCase()}.${apiVersionOf(gvk)}`;
}

function relist<T>(): Step<T> {
  return { state: { phase: 'listing' }, emit: [{ type: 'init' }], action: { type: 'list' } };
}

function watchFrom<T>(resourceVersion: string | undefined): Step<T> {
  return { state: { phase: 'watching', resourceVersion }, emit: [], action: { type: 'watch', resourceVersion } };
}

/** Go on at once: watch from where we are, or list if there is nowhere to watch from. */
function resume<T>(resourceVersion: string | undefined): Step<T> {
  return resourceVersion === undefined ? relist() : watchFrom(resourceVersion);
}

/** Back off, then resume. */
function wait<T>(resourceVersion: string | undefined): Step<T> {
  const state: WatcherState = resourceVersion === undefined ? { phase: 'empty' } : { phase: 'listed', resourceVersion };
  return { state, emit: [], action: { type: 'backoff' } };
}

/**
 * List items carry no apiVersion/kind; give every object its own, so handlers need not know the list.
 * In place: the objects are fresh from the wire and nobody else holds them yet.
 */
function withKind<T extends KubeObject>(object: T, gvk: GroupVersionKind): T {
  if (!object.kind) {
    object.apiVersion = apiVersionOf(gvk);
    object.kind = gvk.kind;
  }
  return object;
}
