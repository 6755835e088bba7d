// A shared informer: one watcher feeding one store (the reflector), fanning changes out to any number
// of handlers. Relists are applied as a diff against the store, so handlers see exactly the adds,
// updates and deletes that happened while the watch was down — no phantom events, none lost.
import type { Client } from '../client/client.ts';
import type { Logger } from '../log.ts';
import { silentLogger } from '../log.ts';
import type { RuntimeMetrics } from '../metrics/metrics.ts';
import { apiVersionOf, objectKey, type GroupVersionKind, type KubeObject, type ReadonlyDeep } from '../types.ts';
import { runWatcher, type WatcherEvent, type WatcherOptions } from './watcher.ts';
import { covers, project, unionOf, type FieldSet, type Projection } from './fields.ts';
import { Store } from './store.ts';

export interface EventHandler<T> {
  onAdd?(obj: T, isInitialList: boolean): void;
  onUpdate?(oldObj: T, newObj: T): void;
  /** `obj` is the last state known; after a relist it may be older than the deletion itself. */
  onDelete?(obj: T): void;
}

export type Transform<T> = (obj: T) => T;

/** Drops what controllers never read but every object carries: managed fields and kubectl's copy. */
export const stripBulk: Transform<KubeObject> = (obj) => {
  const meta = obj.metadata;
  if (meta.managedFields) delete meta.managedFields;
  const annotations = meta.annotations;
  if (annotations?.['kubectl.kubernetes.io/last-applied-configuration'] !== undefined) {
    delete annotations['kubectl.kubernetes.io/last-applied-configuration'];
  }
  return obj;
};

export interface InformerOptions<T> extends Omit<WatcherOptions, 'gvk' | 'logger' | 'metrics'> {
  transform?: Transform<T>;
  /**
   * The fields this watch reads (fields.ts). The informer keeps the union of what its watches declare;
   * a watch that declares nothing keeps the whole object.
   */
  fields?: FieldSet;
}

export class Informer<T extends KubeObject = KubeObject> {
  readonly gvk: GroupVersionKind;
  readonly store = new Store<T>();
  private readonly client: Client;
  private readonly options: InformerOptions<T>;
  private readonly log: Logger;
  private readonly metrics: RuntimeMetrics | undefined;
  /** Handlers get the store's own objects, shared by every reader: read-only to them. */
  private readonly handlers = new Set<EventHandler<ReadonlyDeep<T>>>();
  private readonly syncWaiters: (() => void)[] = [];
  private synced = false;
  private running: Promise<void> | undefined;
  private relisting: Map<string, T> | undefined;
  /** What the store keeps: the union of the watches' fields; fixed once the informer runs. */
  private projection: Projection;

  constructor(
    client: Client,
    gvk: GroupVersionKind,
    options: InformerOptions<T> = {},
    context: { logger?: Logger; metrics?: RuntimeMetrics } = {},
  ) {
    this.client = client;
    this.gvk = gvk;
    this.options = options;
    this.log = (context.logger ?? silentLogger).child({ informer: `${gvk.kind}.${apiVersionOf(gvk)}` });
    this.metrics = context.metrics;
    this.projection = options.fields ?? 'whole';
  }

  /**
   * Widens what the store keeps to cover `projection` too (one more watch of this kind). Once the
   * informer runs, its objects are already cut: a watch that needs more than is kept is a programming
   * error, reported at once rather than as fields silently missing later.
   */
  keep(projection: Projection): void {
    if (covers(this.projection, projection)) return;
    if (this.running) {
      throw new Error(`${this.gvk.kind} informer already runs with fewer fields than a new watch reads: declare its fields before the cache starts`);
    }
    this.projection = unionOf(this.projection, projection);
  }

  /**
   * Registers a handler. A handler added after the first sync is first told about every object in the
   * store as an add, so it starts from the same picture as the others.
   */
  addHandler(handler: EventHandler<ReadonlyDeep<T>>): () => void {
    this.handlers.add(handler);
    if (this.synced) for (const obj of this.store.values()) this.call(handler, 'onAdd', obj, true);
    return () => this.handlers.delete(handler);
  }

  hasSynced(): boolean {
    return this.synced;
  }

  /** Resolves after the first complete list has been applied, or when `signal` aborts (false). */
  waitForSync(signal?: AbortSignal): Promise<boolean> {
    if (this.synced) return Promise.resolve(true);
    return new Promise((resolve) => {
      const onAbort = () => resolve(false);
      signal?.addEventListener('abort', onAbort, { once: true });
      this.syncWaiters.push(() => {
        signal?.removeEventListener('abort', onAbort);
        resolve(true);
      });
    });
  }

  /** Starts the watch (once); the returned promise settles when `signal` aborts. */
  run(signal: AbortSignal): Promise<void> {
    this.running ??= runWatcher<T>(
      this.client,
      { ...this.options, gvk: this.gvk, logger: this.log, ...(this.metrics ? { metrics: this.metrics } : {}) },
      signal,
      (event) => this.apply(event),
    );
    return this.running;
  }

  private apply(event: WatcherEvent<T>): void {
    switch (event.type) {
      case 'init':
        this.relisting = new Map();
        return;
      case 'initApply': {
        const obj = this.transform(event.object);
        this.relisting?.set(objectKey(obj), obj);
        return;
      }
      case 'initDone':
        this.replace(this.relisting ?? new Map());
        this.relisting = undefined;
        if (!this.synced) {
          this.synced = true;
          this.log.debug({ objects: this.store.size }, 'synced');
          for (const wake of this.syncWaiters.splice(0)) wake();
        }
        return;
      case 'apply': {
        const obj = this.transform(event.object);
        const old = this.store.set(obj);
        if (old) this.dispatch('onUpdate', old, obj);
        else this.dispatch('onAdd', obj, false);
        return;
      }
      case 'delete': {
        const obj = this.transform(event.object);
        const old = this.store.delete(objectKey(obj));
        this.dispatch('onDelete', old ?? obj);
        return;
      }
    }
  }

  /** Replaces the store with a fresh list, telling handlers only what differs. */
  private replace(fresh: Map<string, T>): void {
    for (const change of relistDiff(this.store, fresh, !this.synced)) {
      switch (change.type) {
        case 'delete':
          this.store.delete(change.key);
          this.dispatch('onDelete', change.old);
          break;
        case 'add':
          this.store.set(change.obj);
          this.dispatch('onAdd', change.obj, change.initial);
          break;
        case 'update':
          this.store.set(change.obj);
          this.dispatch('onUpdate', change.old, change.obj);
          break;
        case 'same':
          this.store.set(change.obj);
          break;
      }
    }
  }

  private transform(obj: T): T {
    const kept = project(stripBulk(obj) as T, this.projection);
    return this.options.transform ? this.options.transform(kept) : kept;
  }

  private dispatch(kind: 'onAdd', obj: T, initial: boolean): void;
  private dispatch(kind: 'onUpdate', old: T, obj: T): void;
  private dispatch(kind: 'onDelete', obj: T): void;
  private dispatch(kind: keyof EventHandler<T>, a: T, b?: T | boolean): void {
    for (const handler of this.handlers) this.call(handler, kind, a, b);
  }

  // A handler that throws must not break the informer or the other handlers.
  private call(handler: EventHandler<ReadonlyDeep<T>>, kind: keyof EventHandler<T>, a: T, b?: T | boolean): void {
    const shared = a as ReadonlyDeep<T>;
    try {
      if (kind === 'onAdd') handler.onAdd?.(shared, b as boolean);
      else if (kind === 'onUpdate') handler.onUpdate?.(shared, b as ReadonlyDeep<T>);
      else handler.onDelete?.(shared);
    } catch (err) {
      this.log.error({ err }, `event handler ${kind} failed`);
    }
  }
}

/** One difference between the store and a fresh list, as handlers are told it. */
export type RelistChange<T> =
  | { type: 'delete'; key: string; old: T }
  | { type: 'add'; obj: T; initial: boolean }
  | { type: 'update'; old: T; obj: T }
  /** Same resourceVersion: nothing to tell, but the store still takes the fresh copy. */
  | { type: 'same'; obj: T };

/**
 * What a relist changed: every stored key missing from `fresh` is deleted (first, in store order),
 * then each fresh object, in list order, is an add, an update (its resourceVersion moved) or the same.
 * `initial` marks the adds of the first list, which handlers may treat as the starting picture.
 */
export function relistDiff<T extends KubeObject>(
  stored: { keys(): Iterable<string>; get(key: string): T | undefined },
  fresh: ReadonlyMap<string, T>,
  initial: boolean,
): RelistChange<T>[] {
  const changes: RelistChange<T>[] = [];
  for (const key of stored.keys()) {
    if (!fresh.has(key)) changes.push({ type: 'delete', key, old: stored.get(key)! });
  }
  for (const [key, obj] of fresh) {
    const old = stored.get(key);
    if (!old) changes.push({ type: 'add', obj, initial });
    else if (old.metadata.resourceVersion !== obj.metadata.resourceVersion) changes.push({ type: 'update', old, obj });
    else changes.push({ type: 'same', obj });
  }
  return changes;
}
