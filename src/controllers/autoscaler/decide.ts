// The HorizontalPodAutoscaler controller's decision for one sync, as a pure function of the HPA, the
// target's scale, its pods, the metric readings, the clock and the in-memory history: upstream
// reconcileAutoscaler (pkg/controller/podautoscaler/horizontal.go) without the API calls. The reconciler
// scales the target when `rescale` is true and writes `status`; on a failed scale update it uses
// `rescaleFailed` instead.
import type { PlannedEvent } from '../../runtime/events/recorder.ts';
import type {
  HorizontalPodAutoscaler,
  HorizontalPodAutoscalerCondition,
  HorizontalPodAutoscalerStatus,
  MetricSpec,
  MetricStatus,
} from '../../api/autoscaling/types.ts';
import { DEFAULT_CPU_UTILIZATION } from '../../api/autoscaling/types.ts';
import type { Pod } from '../../api/core/types.ts';
import { mutableCopy, type Condition, type ReadonlyDeep } from '../../runtime/types.ts';
import { findCondition, removeCondition, setCondition } from '../../runtime/util/conditions.ts';
import { parseQuantity } from '../../runtime/util/quantity.ts';
import { parseSelector, selectorMatcher } from '../../runtime/util/selectors.ts';
import { rfc3339 } from '../../runtime/util/time.ts';
import type { AutoscalerHistory, DefaultedBehavior } from './behavior.ts';
import { defaultBehavior, normalizeDesiredReplicas, normalizeDesiredReplicasWithBehaviors, recordInitialRecommendation, storeScaleEvent } from './behavior.ts';
import { computeReplicasForMetrics } from './compute-metrics.ts';
import type { MetricContext, MetricProposal } from './compute-metrics.ts';
import type { MetricReading } from './readings.ts';
import { DEFAULT_REPLICA_CALCULATOR_OPTIONS, DEFAULT_TOLERANCE } from './replica-calculator.ts';
import type { ReplicaCalculatorOptions, Tolerances } from './replica-calculator.ts';

export interface AutoscalerOptions extends ReplicaCalculatorOptions {
  /** --horizontal-pod-autoscaler-tolerance (0.1). */
  tolerance: number;
  /** --horizontal-pod-autoscaler-downscale-stabilization (5 min). */
  downscaleStabilizationWindowMs: number;
}

/** The name the reconciler imports. */
export type DecideOptions = AutoscalerOptions;

export const DEFAULT_AUTOSCALER_OPTIONS: AutoscalerOptions = {
  ...DEFAULT_REPLICA_CALCULATOR_OPTIONS,
  tolerance: DEFAULT_TOLERANCE,
  downscaleStabilizationWindowMs: 5 * 60_000,
};

export interface AutoscalerObservation {
  hpa: ReadonlyDeep<HorizontalPodAutoscaler>;
  /** The target's scale subresource: spec.replicas and status.selector. */
  scale: { replicas: number; selector: string | undefined; statusReplicas?: number };
  /** Pods in the HPA's namespace; those the scale selector does not match are left out. */
  pods: readonly ReadonlyDeep<Pod>[];
  /** One per spec.metrics entry (after defaulting), in order. */
  readings: readonly MetricReading[];
  now: number;
  /** Undefined on the first sync (or after a restart). */
  history: AutoscalerHistory | undefined;
  options?: Partial<AutoscalerOptions>;
  /**
   * Keys (namespace/name) of every HPA whose target selects these pods, this one included, if the
   * reconciler tracks them; more than one makes the selector ambiguous (AmbiguousSelector).
   */
  hpasControllingPods?: readonly string[];
}

export interface AutoscalerDecision {
  desiredReplicas: number;
  /** Scale the target to desiredReplicas. Never true in dry run. */
  rescale: boolean;
  dryRun: boolean;
  rescaleReason: string;
  status: HorizontalPodAutoscalerStatus;
  history: AutoscalerHistory;
  events: PlannedEvent[];
  /** For rescaleFailed: the state before the rescale's own effects. */
  beforeRescale: { status: HorizontalPodAutoscalerStatus; history: AutoscalerHistory; events: PlannedEvent[]; currentReplicas: number };
}

/** SetDefaults_HorizontalPodAutoscaler's metric default: cpu at 80% utilization. */
export function effectiveMetrics(hpa: ReadonlyDeep<HorizontalPodAutoscaler>): readonly ReadonlyDeep<MetricSpec>[] {
  const metrics = hpa.spec.metrics ?? [];
  if (metrics.length > 0) return metrics;
  return [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: DEFAULT_CPU_UTILIZATION } } }];
}

/** tolerancesForHpa: behavior's per-direction tolerance (HPAConfigurableTolerance) over the controller's. */
export function tolerancesFor(hpa: ReadonlyDeep<HorizontalPodAutoscaler>, tolerance: number): Tolerances {
  const t = { scaleDown: tolerance, scaleUp: tolerance };
  const behavior = hpa.spec.behavior;
  if (behavior?.scaleDown?.tolerance !== undefined) t.scaleDown = parseQuantity(String(behavior.scaleDown.tolerance));
  if (behavior?.scaleUp?.tolerance !== undefined) t.scaleUp = parseQuantity(String(behavior.scaleUp.tolerance));
  return t;
}

/** Object, External and Prometheus metrics are the ones with values when no pod runs. */
export function hasActivatableMetrics(metrics: readonly ReadonlyDeep<MetricSpec>[]): boolean {
  return metrics.some((m) => m.type === 'Object' || m.type === 'External' || m.type === 'Prometheus');
}

type ConditionStatus = Condition['status'];

/** Accumulates conditions and events the way upstream mutates its HPA copy and records events. */
class Sync {
  conditions: HorizontalPodAutoscalerCondition[];
  events: PlannedEvent[] = [];
  readonly nowText: string;

  constructor(conditions: readonly ReadonlyDeep<HorizontalPodAutoscalerCondition>[] | undefined, now: number) {
    this.conditions = [...(conditions ?? [])];
    this.nowText = rfc3339(now);
  }

  set(type: string, status: ConditionStatus, reason: string, message: string): void {
    this.conditions = setCondition(this.conditions, { type, status, reason, message }, this.nowText);
  }

  remove(type: string): void {
    this.conditions = removeCondition(this.conditions, type);
  }

  event(type: PlannedEvent['type'], reason: string, message: string): void {
    this.events.push({ type, reason, message });
  }
}

/** reconcileAutoscaler, from the point where the target's scale has been read. */
/**
 * minReplicas as decided on: 0 means scale to zero, which only metrics with values at zero pods can
 * undo; without one (admission bypassed) it would strand the target at zero, so it counts as 1.
 */
function effectiveMinReplicas(hpa: ReadonlyDeep<HorizontalPodAutoscaler>, metrics: readonly ReadonlyDeep<MetricSpec>[]): number {
  return hpa.spec.minReplicas === 0 && !hasActivatableMetrics(metrics) ? 1 : (hpa.spec.minReplicas ?? 1);
}

/**
 * Whether this sync reads metrics at all (the reconciler skips the reads otherwise): not when the
 * replicas are outside [minReplicas, maxReplicas] (clamped first, as upstream), nor at zero replicas
 * unless the HPA scales to zero or put the target there itself (upstream's HPAScaleToZero rule).
 */
export function metricsNeeded(hpa: ReadonlyDeep<HorizontalPodAutoscaler>, currentReplicas: number): boolean {
  const minReplicas = effectiveMinReplicas(hpa, effectiveMetrics(hpa));
  if (currentReplicas === 0) return minReplicas === 0 || findCondition(hpa.status?.conditions, 'ScaledToZero')?.status === 'True';
  return currentReplicas <= hpa.spec.maxReplicas && currentReplicas >= minReplicas;
}

export function decide(obs: AutoscalerObservation): AutoscalerDecision {
  const { hpa, now } = obs;
  const options: AutoscalerOptions = { ...DEFAULT_AUTOSCALER_OPTIONS, ...obs.options };
  const previous = hpa.status;
  const sync = new Sync(previous?.conditions, now);
  const metrics = effectiveMetrics(hpa);
  const behavior = defaultBehavior(hpa.spec.behavior);
  const dryRun = hpa.spec.dryRun === true;

  sync.set('AbleToScale', 'True', 'SucceededGetScale', "the HPA controller was able to get the target's current scale");
  const currentReplicas = obs.scale.replicas;
  let history = recordInitialRecommendation(obs.history, currentReplicas, now);

  const minReplicas = effectiveMinReplicas(hpa, metrics);
  const scaleToZero = minReplicas === 0;
  const scaledToZero = findCondition(previous?.conditions, 'ScaledToZero')?.status === 'True';

  let desiredReplicas = 0;
  let rescaleReason = '';
  let rescale = true;
  let metricStatuses: MetricStatus[] = [];
  const needsMetrics = metricsNeeded(hpa, currentReplicas);

  if (currentReplicas === 0) {
    if (!needsMetrics) {
      desiredReplicas = 0;
      rescale = false;
      sync.set('ScalingActive', 'False', 'ScalingDisabled', 'scaling is disabled since the replica count of the target is zero');
    }
  } else if (currentReplicas > hpa.spec.maxReplicas) {
    rescaleReason = 'Current number of replicas above Spec.MaxReplicas';
    desiredReplicas = hpa.spec.maxReplicas;
  } else if (currentReplicas < minReplicas) {
    rescaleReason = 'Current number of replicas below Spec.MinReplicas';
    desiredReplicas = minReplicas;
  }

  if (needsMetrics) {
    const selected = selectPods(obs, sync);
    if (!selected.ok) {
      return noDecision(obs, sync, history, currentReplicas, [], selected.error, dryRun);
    }
    const ctx: MetricContext = {
      namespace: hpa.metadata.namespace ?? '',
      specReplicas: currentReplicas,
      statusReplicas: obs.scale.statusReplicas ?? currentReplicas,
      pods: selected.pods,
      tolerances: tolerancesFor(hpa, options.tolerance),
      now,
      options,
    };
    const outcome = computeReplicasForMetrics(metrics, obs.readings, ctx);
    for (const result of outcome.results) {
      if (!result.ok) sync.event('Warning', result.reason, result.eventMessage);
    }
    metricStatuses = outcome.statuses;
    if (outcome.replicas === -1) {
      const failure = outcome.firstFailure;
      if (failure) sync.set('ScalingActive', 'False', failure.reason, failure.conditionMessage);
      return noDecision(obs, sync, history, currentReplicas, metricStatuses, outcome.error ?? 'no metrics to compute', dryRun);
    }
    sync.set('ScalingActive', 'True', 'ValidMetricFound', `the HPA was able to successfully calculate a replica count from ${outcome.metricName}`);

    let metricDesiredReplicas = outcome.replicas;
    let metricName = outcome.metricName;
    const proposals = outcome.results.filter((r): r is MetricProposal => r.ok);
    const activated = proposals.some((p) => p.activatable && p.active);
    if (scaleToZero && currentReplicas === 0 && !activated) {
      // Asleep, and nothing to wake up for.
      sync.set('ScalingActive', 'False', 'ScaledToZero', 'the target is scaled to zero and no metric is above its activation value');
      return finish(obs, sync, { history, currentReplicas, desiredReplicas: 0, rescale: false, rescaleReason: '', metricStatuses, behavior, dryRun, activatedFromZero: false });
    }
    if (scaleToZero && currentReplicas > 0 && proposals.length === metrics.length && proposals.every((p) => !p.active)) {
      metricDesiredReplicas = 0;
      metricName = '';
    }
    const activatedFromZero = scaleToZero && currentReplicas === 0;
    if (activatedFromZero) metricDesiredReplicas = Math.max(1, metricDesiredReplicas);

    let rescaleMetric = '';
    if (metricDesiredReplicas > desiredReplicas) {
      desiredReplicas = metricDesiredReplicas;
      rescaleMetric = metricName;
    }
    if (desiredReplicas > currentReplicas) rescaleReason = `${rescaleMetric} above target`;
    if (desiredReplicas < currentReplicas) {
      rescaleReason = desiredReplicas === 0 ? 'All metrics below activation value' : 'All metrics below target';
    }
    const normalizationInput = {
      currentReplicas,
      desiredReplicas,
      minReplicas,
      maxReplicas: hpa.spec.maxReplicas,
      downscaleStabilizationWindowMs: options.downscaleStabilizationWindowMs,
    };
    const normalized = behavior
      ? normalizeDesiredReplicasWithBehaviors({ ...normalizationInput, behavior }, history, now)
      : normalizeDesiredReplicas(normalizationInput, history, now);
    history = normalized.history;
    sync.set('AbleToScale', 'True', normalized.ableToScale.reason, normalized.ableToScale.message);
    sync.set('ScalingLimited', normalized.scalingLimited.limited ? 'True' : 'False', normalized.scalingLimited.reason, normalized.scalingLimited.message);
    desiredReplicas = normalized.replicas;
    // Waking up must reach at least one replica, whatever the rate limits computed from zero say.
    if (activatedFromZero && desiredReplicas < 1) desiredReplicas = 1;
    // The HPA scaled to zero, then minReplicas was raised: come back to at least minReplicas.
    if (currentReplicas === 0 && minReplicas !== 0 && scaledToZero && desiredReplicas < minReplicas) {
      desiredReplicas = minReplicas;
      if (rescaleReason === '') rescaleReason = 'Current number of replicas below Spec.MinReplicas';
    }
    rescale = desiredReplicas !== currentReplicas;
    return finish(obs, sync, { history, currentReplicas, desiredReplicas, rescale, rescaleReason, metricStatuses, behavior, dryRun, activatedFromZero });
  }
  return finish(obs, sync, { history, currentReplicas, desiredReplicas, rescale, rescaleReason, metricStatuses, behavior, dryRun, activatedFromZero: false });
}

/** validateAndParseSelector plus the pod listing by that selector. */
function selectPods(obs: AutoscalerObservation, sync: Sync): { ok: true; pods: readonly ReadonlyDeep<Pod>[] } | { ok: false; error: string } {
  const selector = obs.scale.selector ?? '';
  if (selector === '') {
    const error = 'selector is required';
    sync.event('Warning', 'SelectorRequired', error);
    sync.set('ScalingActive', 'False', 'InvalidSelector', "the HPA target's scale is missing a selector");
    return { ok: false, error };
  }
  let parsed: ReturnType<typeof parseSelector>;
  try {
    parsed = parseSelector(selector);
  } catch (e) {
    const error = `couldn't convert selector into a corresponding internal selector object: ${(e as Error).message}`;
    sync.event('Warning', 'InvalidSelector', error);
    sync.set('ScalingActive', 'False', 'InvalidSelector', error);
    return { ok: false, error };
  }
  const controlling = obs.hpasControllingPods ?? [];
  if (controlling.length > 1) {
    const error = `pods by selector ${selector} are controlled by multiple HPAs: [${controlling.join(' ')}]`;
    sync.event('Warning', 'AmbiguousSelector', error);
    sync.set('ScalingActive', 'False', 'AmbiguousSelector', error);
    return { ok: false, error };
  }
  const namespace = obs.hpa.metadata.namespace;
  const matches = selectorMatcher(parsed);
  const pods = obs.pods.filter((p) => (namespace === undefined || p.metadata.namespace === undefined || p.metadata.namespace === namespace) && matches(p.metadata.labels));
  return { ok: true, pods };
}

/** No replica count could be computed: report, keep the previous desiredReplicas, do not scale. */
function noDecision(
  obs: AutoscalerObservation,
  sync: Sync,
  history: AutoscalerHistory,
  currentReplicas: number,
  metricStatuses: MetricStatus[],
  error: string,
  dryRun: boolean,
): AutoscalerDecision {
  const status = buildStatus(obs, sync.conditions, currentReplicas, obs.hpa.status?.desiredReplicas ?? 0, metricStatuses, false);
  sync.event('Warning', 'FailedComputeMetricsReplicas', error);
  const decision = { desiredReplicas: currentReplicas, rescale: false, dryRun, rescaleReason: '', status, history, events: sync.events };
  return { ...decision, beforeRescale: { status, history, events: sync.events, currentReplicas } };
}

interface Outcome {
  history: AutoscalerHistory;
  currentReplicas: number;
  desiredReplicas: number;
  rescale: boolean;
  rescaleReason: string;
  metricStatuses: MetricStatus[];
  behavior: DefaultedBehavior | undefined;
  dryRun: boolean;
  activatedFromZero: boolean;
}

function finish(obs: AutoscalerObservation, sync: Sync, o: Outcome): AutoscalerDecision {
  const before = {
    status: buildStatus(obs, sync.conditions, o.currentReplicas, obs.hpa.status?.desiredReplicas ?? 0, o.metricStatuses, false),
    history: o.history,
    events: [...sync.events],
    currentReplicas: o.currentReplicas,
  };
  let history = o.history;
  let desiredReplicas = o.desiredReplicas;
  if (o.rescale && o.dryRun) {
    sync.event('Normal', 'DryRunRescale', `New size: ${desiredReplicas}; reason: ${o.rescaleReason} (dry run: target not scaled)`);
  } else if (o.rescale) {
    sync.set('AbleToScale', 'True', 'SucceededRescale', `the HPA controller was able to update the target scale to ${desiredReplicas}`);
    sync.event('Normal', 'SuccessfulRescale', `New size: ${desiredReplicas}; reason: ${o.rescaleReason}`);
    history = storeScaleEvent(o.behavior, history, o.currentReplicas, desiredReplicas, obs.now);
    setScaledToZero(obs, sync, o);
  } else {
    desiredReplicas = o.currentReplicas;
  }
  const status = buildStatus(obs, sync.conditions, o.currentReplicas, desiredReplicas, o.metricStatuses, o.rescale && !o.dryRun);
  return {
    desiredReplicas,
    rescale: o.rescale && !o.dryRun,
    dryRun: o.dryRun,
    rescaleReason: o.rescaleReason,
    status,
    history,
    events: sync.events,
    beforeRescale: before,
  };
}

/** ScaledToZero remembers that the HPA (not a person) scaled the target to zero; set on every rescale. */
function setScaledToZero(obs: AutoscalerObservation, sync: Sync, o: Outcome): void {
  const metrics = effectiveMetrics(obs.hpa);
  const enabled = obs.hpa.spec.minReplicas === 0 && hasActivatableMetrics(metrics);
  if (!enabled && !findCondition(sync.conditions, 'ScaledToZero')) return;
  if (o.currentReplicas > 0 && o.desiredReplicas === 0 && enabled) {
    sync.set('ScaledToZero', 'True', 'ScaledToZero', 'the HPA controller scaled the workload to zero');
  } else {
    sync.set('ScaledToZero', 'False', 'NotScaledToZero', 'the HPA controller did not scale the workload to zero');
  }
}

/** setStatus: a fresh status; lastScaleTime moves only on an actual rescale. */
function buildStatus(
  obs: AutoscalerObservation,
  conditions: HorizontalPodAutoscalerCondition[],
  currentReplicas: number,
  desiredReplicas: number,
  currentMetrics: MetricStatus[],
  scaled: boolean,
): HorizontalPodAutoscalerStatus {
  const status: HorizontalPodAutoscalerStatus = { currentReplicas, desiredReplicas, currentMetrics, conditions };
  if (obs.hpa.metadata.generation !== undefined) status.observedGeneration = obs.hpa.metadata.generation;
  const lastScaleTime = scaled ? rfc3339(obs.now) : obs.hpa.status?.lastScaleTime;
  if (lastScaleTime !== undefined) status.lastScaleTime = lastScaleTime;
  return status;
}

/**
 * The scale update failed (after the reconciler's conflict retries): AbleToScale False FailedUpdateScale,
 * a FailedRescale event, no scale event recorded, desiredReplicas as it was.
 */
export function rescaleFailed(decision: AutoscalerDecision, error: string, now: number): Pick<AutoscalerDecision, 'status' | 'history' | 'events'> {
  const { beforeRescale } = decision;
  const conditions = setCondition(
    beforeRescale.status.conditions,
    { type: 'AbleToScale', status: 'False', reason: 'FailedUpdateScale', message: `the HPA controller was unable to update the target scale: ${error}` },
    rfc3339(now),
  );
  return {
    status: { ...beforeRescale.status, conditions },
    history: beforeRescale.history,
    events: [
      ...beforeRescale.events,
      { type: 'Warning', reason: 'FailedRescale', message: `New size: ${decision.desiredReplicas}; reason: ${decision.rescaleReason}; error: ${error}` },
    ],
  };
}

/**
 * The target's scale could not be read (bad scaleTargetRef, unknown kind, API error): AbleToScale False
 * FailedGetScale and a FailedGetScale event; the rest of the status stays as it was.
 */
export function scaleUnavailable(hpa: ReadonlyDeep<HorizontalPodAutoscaler>, error: string, now: number): { status: HorizontalPodAutoscalerStatus; events: PlannedEvent[] } {
  const conditions = setCondition(
    hpa.status?.conditions,
    { type: 'AbleToScale', status: 'False', reason: 'FailedGetScale', message: `the HPA controller was unable to get the target's current scale: ${error}` },
    rfc3339(now),
  );
  return {
    status: { ...mutableCopy<HorizontalPodAutoscalerStatus>(hpa.status ?? { desiredReplicas: 0 }), conditions },
    events: [{ type: 'Warning', reason: 'FailedGetScale', message: error }],
  };
}
