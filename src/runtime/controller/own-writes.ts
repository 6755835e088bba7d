// A controller's cache lags behind its own writes: right after a reconcile writes, the watch event that
// shows the write has not arrived yet, and a reconcile that starts meanwhile decides from the old view.
// It then repeats the write (a second Job for one schedule, a second PV for one claim) or sends one
// that can only conflict. OwnWrites remembers what this process wrote until its cache shows it, as
// controller-runtime's reader-consistency proposal does; every controller uses it rather than a fix of
// its own. Expectations (expectations.ts) count the creations and deletions of many children; this
// holds single objects.
//
//   updated / behind: a write replaced version V of an object; the cache is behind while it still shows
//     V. resourceVersions are opaque, so they are compared for equality only. The write's own watch
//     event brings the object back, so a reconcile that finds the cache behind may return at once.
//   created / unseen: an object this process created is counted until the cache shows it, so it is
//     not created twice; after `ttlMs` it is forgotten, so one deleted before the cache ever saw it is
//     created again.
import type { KubeObject, ReadonlyDeep } from '../types.ts';
import { realClock, type Clock } from '../util/clock.ts';

interface Update {
  replacedVersion: string;
  at: number;
}

interface Creation<T> {
  object: T;
  at: number;
}

export class OwnWrites<T extends KubeObject = KubeObject> {
  private readonly clock: Clock;
  private readonly ttlMs: number;
  /** By object key: the version this process's last write replaced. */
  private readonly updates = new Map<string, Update>();
  /** By scope (e.g. the owner's UID, or the object's own name): objects created, not yet seen. */
  private readonly creations = new Map<string, Creation<T>[]>();
  private sweptAt = 0;

  /** A watch event arrives within seconds; a minute bounds what a lost one can hold back. */
  constructor(options: { clock?: Clock; ttlMs?: number } = {}) {
    this.clock = options.clock ?? realClock;
    this.ttlMs = options.ttlMs ?? 60_000;
  }

  /** A write to the object at `key` replaced `replacedVersion` (its resourceVersion as this process read it). */
  updated(key: string, replacedVersion: string | undefined): void {
    if (replacedVersion === undefined) return;
    this.updates.set(key, { replacedVersion, at: this.clock.now() });
    this.sweep();
  }

  /**
   * Whether the cache, showing `cachedVersion` for `key`, has yet to show this process's last write to
   * it. Once it has (or the memory expired), the write is forgotten.
   */
  behind(key: string, cachedVersion: string | undefined): boolean {
    const update = this.updates.get(key);
    if (!update) return false;
    if (update.replacedVersion === cachedVersion && !this.expired(update.at)) return true;
    this.updates.delete(key);
    return false;
  }

  /** This process created `object`, counted under `scope` until the cache shows it. */
  created(scope: string, object: T): void {
    const list = this.creations.get(scope) ?? [];
    list.push({ object, at: this.clock.now() });
    this.creations.set(scope, list);
    this.sweep();
  }

  /**
   * The objects created under `scope` that `cached` (what the cache holds there) lacks, matched by
   * name, oldest first. Those seen or expired are forgotten.
   */
  unseen(scope: string, cached: Iterable<ReadonlyDeep<KubeObject>>): T[] {
    const list = this.creations.get(scope);
    if (!list) return [];
    const names = new Set<string | undefined>();
    for (const object of cached) names.add(object.metadata.name);
    const left = list.filter((c) => !names.has(c.object.metadata.name) && !this.expired(c.at));
    if (left.length) this.creations.set(scope, left);
    else this.creations.delete(scope);
    return left.map((c) => c.object);
  }

  /** Forgets what was written under `key` (an update) or `scope` (creations): the object is gone. */
  forget(keyOrScope: string): void {
    this.updates.delete(keyOrScope);
    this.creations.delete(keyOrScope);
  }

  /** Entries of objects no reconcile asks about again go after their time, checked at most once per ttl. */
  private sweep(): void {
    const now = this.clock.now();
    if (now - this.sweptAt < this.ttlMs) return;
    this.sweptAt = now;
    for (const [key, update] of this.updates) if (this.expired(update.at)) this.updates.delete(key);
    for (const [scope, list] of this.creations) {
      const left = list.filter((c) => !this.expired(c.at));
      if (left.length) this.creations.set(scope, left);
      else this.creations.delete(scope);
    }
  }

  private expired(at: number): boolean {
    return this.clock.now() - at >= this.ttlMs;
  }
}
