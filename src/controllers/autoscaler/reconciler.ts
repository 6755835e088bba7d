// One HorizontalPodAutoscaler sync, as upstream's reconcileAutoscaler: observe (the target's scale
// subresource, its pods from the cache, one reading per metric), decide (decide.ts, pure), act (write
// the scale unless dry run, record events, write status when it changed). Every HPA is synced again
// after SYNC_PERIOD_MS, upstream's --horizontal-pod-autoscaler-sync-period; a spec change is synced at
// once (the watch on the HPA passes generation changes only, so our own status writes don't loop).
import {
  HORIZONTAL_POD_AUTOSCALER,
  type HorizontalPodAutoscaler,
  type HorizontalPodAutoscalerStatus,
} from '../../api/autoscaling/types.ts';
import { POD, type Pod } from '../../api/core/types.ts';
import type { Cache } from '../../runtime/cache/cache.ts';
import type { Client, Scale } from '../../runtime/client/client.ts';
import { updateStatusIfChanged } from '../../runtime/client/status.ts';
import { isNotFound } from '../../runtime/client/errors.ts';
import type { ReconcileContext, Reconciler, Request, Result } from '../../runtime/controller/reconciler.ts';
import type { EventRecorder, PlannedEvent } from '../../runtime/events/recorder.ts';
import { gvkOf, type ReadonlyDeep } from '../../runtime/types.ts';
import type { Clock } from '../../runtime/util/clock.ts';
import { parseSelector, selectorMatcher } from '../../runtime/util/selectors.ts';
import type { AutoscalerHistory } from './behavior.ts';
import { decide, effectiveMetrics, metricsNeeded, rescaleFailed, scaleUnavailable, type AutoscalerOptions } from './decide.ts';
import { MetricsFetcher } from './fetch.ts';
import { formatReference, formatTargets } from './printer.ts';
import type { MetricReading } from './readings.ts';

export const SYNC_PERIOD_MS = 15_000;

export interface AutoscalerReconcilerOptions {
  client: Client;
  cache: Cache;
  recorder: EventRecorder;
  clock: Clock;
  /** The operator's --prometheus-address, for Prometheus metrics that name no server. */
  prometheusAddress: string | undefined;
  decideOptions?: Partial<AutoscalerOptions>;
}

export class AutoscalerReconciler implements Reconciler {
  private readonly o: AutoscalerReconcilerOptions;
  private readonly fetcher: MetricsFetcher;
  /** Per HPA (namespace/name): past recommendations and scale events, in memory as upstream keeps them. */
  private readonly histories = new Map<string, AutoscalerHistory>();
  /**
   * Per namespace, per HPA (namespace/name): the selector of its target's pods at its last sync, so a
   * sync can tell when its pods are under another HPA too (upstream's hpaSelectors). An HPA is in here
   * from its first sync with a valid selector until it is gone.
   */
  private readonly selectors = new Map<string, Map<string, (labels: Record<string, string> | undefined) => boolean>>();

  constructor(options: AutoscalerReconcilerOptions) {
    this.o = options;
    this.fetcher = new MetricsFetcher(options.client, () => options.clock.now());
  }

  async reconcile(req: Request, ctx: ReconcileContext): Promise<Result> {
    const key = `${req.namespace}/${req.name}`;
    const hpa = this.o.cache.get<HorizontalPodAutoscaler>(HORIZONTAL_POD_AUTOSCALER, req.namespace, req.name);
    if (!hpa || hpa.metadata.deletionTimestamp) {
      this.histories.delete(key);
      this.selectors.get(req.namespace)?.delete(key);
      return {};
    }
    const now = this.o.clock.now();
    const ref = hpa.spec.scaleTargetRef;
    const targetGvk = gvkOf(ref.apiVersion ?? '', ref.kind);

    let scale: Scale;
    try {
      scale = await this.o.client.getScale(targetGvk, req.namespace, ref.name, { signal: ctx.signal });
    } catch (err) {
      const failed = scaleUnavailable(hpa, (err as Error).message, now);
      this.record(hpa, failed.events);
      await this.writeStatus(hpa, failed.status, ctx);
      // A missing target or kind is re-checked every sync period; other errors retry with backoff.
      if (isNotFound(err) || /has no resource for kind/.test((err as Error).message)) return { requeueAfterMs: SYNC_PERIOD_MS };
      throw err;
    }

    const replicas = scale.spec?.replicas ?? 0;
    const selectorText = scale.status?.selector;
    const metrics = effectiveMetrics(hpa);
    // Replicas outside the limits, or a target at zero that stays there: decide reads no metrics.
    const readings: MetricReading[] = !metricsNeeded(hpa, replicas) ? [] : await this.fetcher.readAll(metrics, {
      namespace: req.namespace,
      podSelector: selectorText ?? '',
      currentReplicas: replicas,
      prometheusAddress: this.o.prometheusAddress,
      signal: ctx.signal,
    });
    const pods = this.podsFor(key, req.namespace, selectorText);
    const decision = decide({
      hpa,
      scale: { replicas, selector: selectorText, statusReplicas: scale.status?.replicas ?? replicas },
      pods,
      hpasControllingPods: this.hpasSelecting(req.namespace, pods),
      readings,
      now,
      history: this.histories.get(key),
      options: this.o.decideOptions ?? {},
    });

    // In dry run decision.rescale is false: the target is never written.
    if (decision.rescale) {
      try {
        await this.o.client.updateScale(targetGvk, { ...scale, spec: { ...scale.spec, replicas: decision.desiredReplicas } }, { signal: ctx.signal });
      } catch (err) {
        const failed = rescaleFailed(decision, (err as Error).message, now);
        this.histories.set(key, failed.history);
        this.record(hpa, failed.events);
        await this.writeStatus(hpa, failed.status, ctx);
        throw err;
      }
    }
    this.histories.set(key, decision.history);
    this.record(hpa, decision.events);
    await this.writeStatus(hpa, decision.status, ctx);
    return { requeueAfterMs: SYNC_PERIOD_MS };
  }

  private record(hpa: ReadonlyDeep<HorizontalPodAutoscaler>, events: readonly PlannedEvent[]): void {
    for (const e of events) this.o.recorder.event(hpa, e.type, e.reason, 'Scale', e.message);
  }

  /** The pods under the target's selector, from the cache; records the selector as this HPA's. */
  private podsFor(key: string, namespace: string, selectorText: string | undefined): readonly ReadonlyDeep<Pod>[] {
    if (!selectorText) return [];
    let selector;
    try {
      selector = parseSelector(selectorText);
    } catch {
      return []; // decide reports the invalid selector
    }
    let inNamespace = this.selectors.get(namespace);
    if (!inNamespace) this.selectors.set(namespace, (inNamespace = new Map()));
    inNamespace.set(key, selectorMatcher(selector));
    return this.o.cache.list<Pod>(POD, { namespace, selector });
  }

  /**
   * The HPAs (namespace/name, sorted) whose last selector takes in any of `pods`: more than one means
   * two HPAs would fight over the same pods (upstream's hpasControllingPodsUnderSelector). Pods of one
   * workload share their labels, so each distinct label set is tested once.
   */
  private hpasSelecting(namespace: string, pods: readonly ReadonlyDeep<Pod>[]): string[] {
    const labelSets = new Map<string, Record<string, string> | undefined>();
    for (const pod of pods) labelSets.set(JSON.stringify(pod.metadata.labels ?? {}), pod.metadata.labels);
    const selecting: string[] = [];
    for (const [hpaKey, matches] of this.selectors.get(namespace) ?? []) {
      for (const labels of labelSets.values()) {
        if (matches(labels)) {
          selecting.push(hpaKey);
          break;
        }
      }
    }
    return selecting.sort();
  }

  /** Writes status (plus observedGeneration and the printer strings) through the status subresource when it changed. */
  private async writeStatus(hpa: ReadonlyDeep<HorizontalPodAutoscaler>, next: HorizontalPodAutoscalerStatus, ctx: ReconcileContext): Promise<void> {
    const status = {
      ...next,
      observedGeneration: hpa.metadata.generation,
      reference: formatReference(hpa),
      targets: formatTargets(effectiveMetrics(hpa), next.currentMetrics),
    };
    await updateStatusIfChanged(this.o.client.withSignal(ctx.signal), hpa, status);
  }
}

