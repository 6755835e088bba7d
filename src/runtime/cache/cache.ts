// The shared cache: one informer per kind for the whole manager, however many controllers watch it,
// and synchronous reads from their stores (what controller-runtime calls the cache reader).
import type { Client } from '../client/client.ts';
import type { Logger } from '../log.ts';
import { silentLogger } from '../log.ts';
import type { RuntimeMetrics } from '../metrics/metrics.ts';
import { apiVersionOf, type GroupVersionKind, type Kind, type KubeObject, type LabelSelector, type ReadonlyDeep } from '../types.ts';
import { Informer, type InformerOptions } from './informer.ts';

export interface CacheOptions {
  /** Watch only this namespace (for every kind that is namespaced). Default: all namespaces. */
  namespace?: string;
  logger?: Logger;
  metrics?: RuntimeMetrics;
}

export function gvkKey(gvk: GroupVersionKind): string {
  return `${gvk.kind}.${apiVersionOf(gvk)}`;
}

export class Cache {
  private readonly client: Client;
  private readonly options: CacheOptions;
  private readonly informers = new Map<string, Informer<any>>();
  private signal: AbortSignal | undefined;

  constructor(client: Client, options: CacheOptions = {}) {
    this.client = client;
    this.options = options;
  }

  /**
   * The shared informer of a kind, created on first use. Options apply only when this call creates it
   * (a kind is informed once, with the first options given), except `fields`: the informer keeps the
   * union of every call's fields, the whole object if a call declares none (Informer.keep).
   */
  informerFor<T extends KubeObject>(gvk: Kind<T>, options: InformerOptions<T> = {}): Informer<T> {
    const key = gvkKey(gvk);
    let informer = this.informers.get(key) as Informer<T> | undefined;
    if (!informer) {
      informer = new Informer<T>(
        this.client,
        gvk,
        { ...(this.options.namespace ? { namespace: this.options.namespace } : {}), ...options },
        { logger: this.options.logger ?? silentLogger, ...(this.options.metrics ? { metrics: this.options.metrics } : {}) },
      );
      this.informers.set(key, informer);
      if (this.signal) void informer.run(this.signal);
    } else {
      informer.keep(options.fields ?? 'whole');
    }
    return informer;
  }

  /** Starts every informer, and any added later, until `signal` aborts. */
  start(signal: AbortSignal): void {
    this.signal = signal;
    for (const informer of this.informers.values()) void informer.run(signal);
  }

  /** Resolves true once every informer has synced; false if `signal` aborts first. */
  async waitForSync(signal?: AbortSignal): Promise<boolean> {
    const results = await Promise.all([...this.informers.values()].map((i) => i.waitForSync(signal)));
    return results.every(Boolean);
  }

  hasSynced(): boolean {
    return [...this.informers.values()].every((i) => i.hasSynced());
  }

  get<T extends KubeObject>(gvk: Kind<T>, namespace: string, name: string): ReadonlyDeep<T> | undefined {
    return this.existing<T>(gvk).store.getByName(namespace, name) as ReadonlyDeep<T> | undefined;
  }

  list<T extends KubeObject>(gvk: Kind<T>, options: { namespace?: string; selector?: ReadonlyDeep<LabelSelector> } = {}): ReadonlyDeep<T>[] {
    return this.existing<T>(gvk).store.list(options) as ReadonlyDeep<T>[];
  }

  byIndex<T extends KubeObject>(gvk: Kind<T>, index: string, value: string): ReadonlyDeep<T>[] {
    return this.existing<T>(gvk).store.byIndex(index, value) as ReadonlyDeep<T>[];
  }

  private existing<T extends KubeObject>(gvk: Kind<T>): Informer<T> {
    const informer = this.informers.get(gvkKey(gvk)) as Informer<T> | undefined;
    if (!informer) throw new Error(`${gvkKey(gvk)} is not in the cache: watch it (for/owns/watches) or call informerFor`);
    return informer;
  }
}
