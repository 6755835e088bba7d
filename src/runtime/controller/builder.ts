// The builder says in one place what a controller reconciles and what it watches, as
// controller-runtime's builder: For (the primary kind), Owns (children it controls), Watches (anything
// else, mapped to requests by a function).
import type { Cache } from '../cache/cache.ts';
import type { InformerOptions } from '../cache/informer.ts';
import type { Logger } from '../log.ts';
import type { RuntimeMetrics } from '../metrics/metrics.ts';
import type { RateLimiter } from '../queue/rate-limiter.ts';
import type { GroupVersionKind, Kind, KubeObject } from '../types.ts';
import type { Clock } from '../util/clock.ts';
import { Controller } from './controller.ts';
import { enqueueForObject, enqueueForOwner, type MapFunc } from './handler.ts';
import type { Predicate } from './predicate.ts';
import type { Reconciler } from './reconciler.ts';

/** What a builder needs from the manager that will run the controller. */
export interface ControllerHost {
  readonly cache: Cache;
  readonly logger: Logger;
  readonly metrics: RuntimeMetrics;
  readonly clock: Clock;
  add(controller: Controller): void;
}

export interface WatchOptions<T extends KubeObject> {
  predicates?: Predicate<T>[];
  /**
   * Enqueue this long after the event instead of at once; events meanwhile merge into one
   * reconcile (upstream's job controller batches pod events by 1 s this way).
   */
  delayMs?: number;
  /** Informer options (e.g. a transform), used if this is the first watch of the kind. */
  informer?: InformerOptions<T>;
}

interface Source {
  gvk: GroupVersionKind;
  map: MapFunc<any> | 'owner';
  options: WatchOptions<any>;
}

export class Builder {
  private readonly host: ControllerHost;
  private readonly name: string;
  private primary: Source | undefined;
  private readonly sources: Source[] = [];
  private options: { maxConcurrentReconciles?: number; rateLimiter?: RateLimiter<string> } = {};

  constructor(host: ControllerHost, name: string) {
    this.host = host;
    this.name = name;
  }

  for<T extends KubeObject>(gvk: Kind<T>, options: WatchOptions<NoInfer<T>> = {}): this {
    if (this.primary) throw new Error(`controller ${this.name}: for() may be called once`);
    this.primary = { gvk, map: enqueueForObject, options };
    return this;
  }

  /** Children whose controller owner reference points at the primary kind. */
  owns<T extends KubeObject>(gvk: Kind<T>, options: WatchOptions<NoInfer<T>> = {}): this {
    this.sources.push({ gvk, map: 'owner', options });
    return this;
  }

  watches<T extends KubeObject>(gvk: Kind<T>, map: MapFunc<NoInfer<T>>, options: WatchOptions<NoInfer<T>> = {}): this {
    this.sources.push({ gvk, map, options });
    return this;
  }

  withOptions(options: { maxConcurrentReconciles?: number; rateLimiter?: RateLimiter<string> }): this {
    this.options = { ...this.options, ...options };
    return this;
  }

  complete(reconciler: Reconciler): Controller {
    const primary = this.primary;
    if (!primary) throw new Error(`controller ${this.name}: for() is required`);
    const controller = new Controller(this.name, reconciler, {
      ...this.options,
      logger: this.host.logger,
      metrics: this.host.metrics,
      clock: this.host.clock,
    });
    for (const source of [primary, ...this.sources]) {
      const informer = this.host.cache.informerFor(source.gvk, source.options.informer ?? {});
      const map = source.map === 'owner' ? enqueueForOwner(primary.gvk) : source.map;
      controller.watch(informer, map, source.options.predicates ?? [], source.options.delayMs ?? 0);
    }
    this.host.add(controller);
    return controller;
  }
}
