// Scaling behavior: upstream's defaults (pkg/apis/autoscaling/v2/defaults.go) and the normalization of a
// metric proposal in pkg/controller/podautoscaler/horizontal.go: stabilization windows over recent
// recommendations, rate limits from the scaling policies over recent scale events, and min/max bounds.
// The controller's in-memory history is explicit here: it goes in and comes out of every function.
import type { HPAScalingRules, HorizontalPodAutoscalerBehavior, ScalingPolicySelect } from '../../api/autoscaling/types.ts';
import type { ReadonlyDeep } from '../../runtime/types.ts';

export interface TimestampedRecommendation {
  recommendation: number;
  timestampMs: number;
}

export interface TimestampedScaleEvent {
  /** Absolute value, non-negative. */
  replicaChange: number;
  timestampMs: number;
  /** Older than the longest policy period: the slot may be reused. */
  outdated: boolean;
}

/** What upstream keeps per HPA between syncs (lost on restart, as upstream's is). */
export interface AutoscalerHistory {
  recommendations: TimestampedRecommendation[];
  scaleUpEvents: TimestampedScaleEvent[];
  scaleDownEvents: TimestampedScaleEvent[];
}

export function emptyHistory(): AutoscalerHistory {
  return { recommendations: [], scaleUpEvents: [], scaleDownEvents: [] };
}

/** recordInitialRecommendation: the first sync remembers the current size as a recommendation. */
export function recordInitialRecommendation(history: AutoscalerHistory | undefined, currentReplicas: number, now: number): AutoscalerHistory {
  const h = history ?? emptyHistory();
  if (h.recommendations.length > 0) return h;
  return { ...h, recommendations: [{ recommendation: currentReplicas, timestampMs: now }] };
}

/** Scaling rules after defaulting: everything set, except scale-down's window may be left to the controller. */
export interface ScalingRules {
  stabilizationWindowSeconds: number | undefined;
  selectPolicy: ScalingPolicySelect;
  policies: { type: 'Pods' | 'Percent'; value: number; periodSeconds: number }[];
  tolerance: HPAScalingRules['tolerance'];
}

export interface DefaultedBehavior {
  scaleUp: ScalingRules & { stabilizationWindowSeconds: number };
  scaleDown: ScalingRules;
}

/** Upstream defaults: scale up by max(4 pods, 100%) per 15 s, no window; scale down 100% per 15 s. */
export function defaultScaleUpRules(): ScalingRules & { stabilizationWindowSeconds: number } {
  return {
    stabilizationWindowSeconds: 0,
    selectPolicy: 'Max',
    policies: [
      { type: 'Pods', value: 4, periodSeconds: 15 },
      { type: 'Percent', value: 100, periodSeconds: 15 },
    ],
    tolerance: undefined,
  };
}

/** The scale-down window stays unset: it comes from the controller's --horizontal-pod-autoscaler-downscale-stabilization. */
export function defaultScaleDownRules(): ScalingRules {
  return { stabilizationWindowSeconds: undefined, selectPolicy: 'Max', policies: [{ type: 'Percent', value: 100, periodSeconds: 15 }], tolerance: undefined };
}

function copyRules<R extends ScalingRules>(from: ReadonlyDeep<HPAScalingRules> | undefined, to: R): R {
  if (!from) return to;
  const result = { ...to };
  if (from.selectPolicy !== undefined) result.selectPolicy = from.selectPolicy;
  if (from.stabilizationWindowSeconds !== undefined) result.stabilizationWindowSeconds = from.stabilizationWindowSeconds;
  if (from.policies !== undefined) result.policies = from.policies.map((p) => ({ ...p }));
  if (from.tolerance !== undefined) result.tolerance = from.tolerance;
  return result;
}

/** GenerateHPAScaleUpRules. */
export function generateScaleUpRules(rules: ReadonlyDeep<HPAScalingRules> | undefined): ScalingRules & { stabilizationWindowSeconds: number } {
  return copyRules(rules, defaultScaleUpRules());
}

/** GenerateHPAScaleDownRules. */
export function generateScaleDownRules(rules: ReadonlyDeep<HPAScalingRules> | undefined): ScalingRules {
  return copyRules(rules, defaultScaleDownRules());
}

/**
 * SetDefaults_HorizontalPodAutoscalerBehavior: a behavior that is set gets every unset field defaulted;
 * an absent behavior stays absent (the controller then uses its older fixed rules).
 */
export function defaultBehavior(behavior: ReadonlyDeep<HorizontalPodAutoscalerBehavior> | undefined): DefaultedBehavior | undefined {
  if (!behavior) return undefined;
  return { scaleUp: generateScaleUpRules(behavior.scaleUp), scaleDown: generateScaleDownRules(behavior.scaleDown) };
}

/** ScalingLimited (and AbleToScale) outcome of a normalization. */
export interface Limit {
  reason: string;
  message: string;
}

export const DESIRED_WITHIN_RANGE: Limit = { reason: 'DesiredWithinRange', message: 'the desired count is within the acceptable range' };
export const TOO_FEW_REPLICAS: Limit = { reason: 'TooFewReplicas', message: 'the desired replica count is less than the minimum replica count' };
export const TOO_MANY_REPLICAS: Limit = { reason: 'TooManyReplicas', message: 'the desired replica count is more than the maximum replica count' };
export const SCALE_UP_LIMIT: Limit = { reason: 'ScaleUpLimit', message: 'the desired replica count is increasing faster than the maximum scale rate' };
export const SCALE_DOWN_LIMIT: Limit = { reason: 'ScaleDownLimit', message: 'the desired replica count is decreasing faster than the maximum scale rate' };
export const SCALE_UP_STABILIZED: Limit = {
  reason: 'ScaleUpStabilized',
  message: 'recent recommendations were lower than current one, applying the lowest recent recommendation',
};
export const SCALE_DOWN_STABILIZED: Limit = {
  reason: 'ScaleDownStabilized',
  message: 'recent recommendations were higher than current one, applying the highest recent recommendation',
};
export const READY_FOR_NEW_SCALE: Limit = { reason: 'ReadyForNewScale', message: 'recommended size matches current size' };

/** Without behavior: no more than max(2 × current, 4) in one step (guards against bogus usage spikes). */
export function calculateScaleUpLimit(currentReplicas: number): number {
  return Math.trunc(Math.max(2.0 * currentReplicas, 4.0));
}

/** convertDesiredReplicasWithRules: the bounds used when the HPA has no behavior. */
export function convertDesiredReplicasWithRules(
  currentReplicas: number,
  desiredReplicas: number,
  minReplicas: number,
  maxReplicas: number,
): { replicas: number } & Limit {
  const scaleUpLimit = calculateScaleUpLimit(currentReplicas);
  const [maximumAllowed, upperLimit] = maxReplicas > scaleUpLimit ? [scaleUpLimit, SCALE_UP_LIMIT] : [maxReplicas, TOO_MANY_REPLICAS];
  if (desiredReplicas < minReplicas) return { replicas: minReplicas, ...TOO_FEW_REPLICAS };
  if (desiredReplicas > maximumAllowed) return { replicas: maximumAllowed, ...upperLimit };
  return { replicas: desiredReplicas, ...DESIRED_WITHIN_RANGE };
}

/**
 * stabilizeRecommendation (no behavior): the highest recommendation within the downscale window. The
 * new recommendation is recorded, reusing the slot of an expired one (upstream keeps the list short
 * this way rather than pruning).
 */
export function stabilizeRecommendation(
  recommendations: readonly TimestampedRecommendation[],
  desiredReplicas: number,
  now: number,
  downscaleStabilizationWindowMs: number,
): { replicas: number; recommendations: TimestampedRecommendation[] } {
  let max = desiredReplicas;
  let oldIndex = -1;
  const cutoff = now - downscaleStabilizationWindowMs;
  recommendations.forEach((rec, i) => {
    if (rec.timestampMs < cutoff) oldIndex = i;
    else if (rec.recommendation > max) max = rec.recommendation;
  });
  return { replicas: max, recommendations: recordRecommendation(recommendations, oldIndex, { recommendation: desiredReplicas, timestampMs: now }) };
}

function recordRecommendation(
  recommendations: readonly TimestampedRecommendation[],
  oldIndex: number,
  rec: TimestampedRecommendation,
): TimestampedRecommendation[] {
  const result = [...recommendations];
  if (oldIndex >= 0) result[oldIndex] = rec;
  else result.push(rec);
  return result;
}

export interface NormalizationArgs {
  scaleUp: ScalingRules & { stabilizationWindowSeconds: number };
  /** With the window filled in (the controller's default when unset). */
  scaleDown: ScalingRules & { stabilizationWindowSeconds: number };
  minReplicas: number;
  maxReplicas: number;
  currentReplicas: number;
  desiredReplicas: number;
}

/**
 * stabilizeRecommendationWithBehaviors: the proposal is held between the lowest recommendation of the
 * scale-up window and the highest of the scale-down window (relative to the current size). Records the
 * unstabilized proposal, reusing a slot older than both windows.
 */
export function stabilizeRecommendationWithBehaviors(
  args: NormalizationArgs,
  recommendations: readonly TimestampedRecommendation[],
  now: number,
): { replicas: number; recommendations: TimestampedRecommendation[] } & Limit {
  let up = args.desiredReplicas;
  let down = args.desiredReplicas;
  const upCutoff = now - args.scaleUp.stabilizationWindowSeconds * 1000;
  const downCutoff = now - args.scaleDown.stabilizationWindowSeconds * 1000;
  let oldIndex = -1;
  recommendations.forEach((rec, i) => {
    if (rec.timestampMs > upCutoff) up = Math.min(rec.recommendation, up);
    if (rec.timestampMs > downCutoff) down = Math.max(rec.recommendation, down);
    if (rec.timestampMs < upCutoff && rec.timestampMs < downCutoff) oldIndex = i;
  });
  let replicas = args.currentReplicas;
  if (replicas < up) replicas = up;
  if (replicas > down) replicas = down;
  const limit = args.desiredReplicas >= args.currentReplicas ? SCALE_UP_STABILIZED : SCALE_DOWN_STABILIZED;
  return {
    replicas,
    recommendations: recordRecommendation(recommendations, oldIndex, { recommendation: args.desiredReplicas, timestampMs: now }),
    ...limit,
  };
}

/** getReplicasChangePerPeriod: replicas added (or removed) by the events strictly within the period. */
export function getReplicasChangePerPeriod(periodSeconds: number, events: readonly TimestampedScaleEvent[], now: number): number {
  const cutoff = now - periodSeconds * 1000;
  let replicas = 0;
  for (const event of events) if (event.timestampMs > cutoff) replicas += event.replicaChange;
  return replicas;
}

/** calculateScaleUpLimitWithScalingRules: the most replicas the policies allow now. */
export function calculateScaleUpLimitWithScalingRules(
  currentReplicas: number,
  scaleUpEvents: readonly TimestampedScaleEvent[],
  scaleDownEvents: readonly TimestampedScaleEvent[],
  rules: ScalingRules,
  now: number,
): number {
  if (rules.selectPolicy === 'Disabled') return currentReplicas;
  const pickMin = rules.selectPolicy === 'Min';
  let result = pickMin ? MAX_INT32 : MIN_INT32;
  for (const policy of rules.policies) {
    const periodStart =
      currentReplicas - getReplicasChangePerPeriod(policy.periodSeconds, scaleUpEvents, now) + getReplicasChangePerPeriod(policy.periodSeconds, scaleDownEvents, now);
    // Percent rounds up: otherwise a small target could never grow.
    const proposed = policy.type === 'Pods' ? periodStart + policy.value : Math.ceil(periodStart * (1 + policy.value / 100));
    result = pickMin ? Math.min(result, proposed) : Math.max(result, proposed);
  }
  return result;
}

/** calculateScaleDownLimitWithBehaviors: the fewest replicas the policies allow now. */
export function calculateScaleDownLimitWithBehaviors(
  currentReplicas: number,
  scaleUpEvents: readonly TimestampedScaleEvent[],
  scaleDownEvents: readonly TimestampedScaleEvent[],
  rules: ScalingRules,
  now: number,
): number {
  if (rules.selectPolicy === 'Disabled') return currentReplicas;
  const pickMin = rules.selectPolicy === 'Min'; // the smallest change is the highest count
  let result = pickMin ? MIN_INT32 : MAX_INT32;
  for (const policy of rules.policies) {
    const periodStart =
      currentReplicas - getReplicasChangePerPeriod(policy.periodSeconds, scaleUpEvents, now) + getReplicasChangePerPeriod(policy.periodSeconds, scaleDownEvents, now);
    const proposed = policy.type === 'Pods' ? periodStart - policy.value : Math.trunc(periodStart * (1 - policy.value / 100));
    result = pickMin ? Math.max(result, proposed) : Math.min(result, proposed);
  }
  return result;
}

const MAX_INT32 = 2 ** 31 - 1;
const MIN_INT32 = -(2 ** 31);

/** convertDesiredReplicasWithBehaviorRate: bounds from min/max and from the policies' rate limits. */
export function convertDesiredReplicasWithBehaviorRate(args: NormalizationArgs, history: AutoscalerHistory, now: number): { replicas: number } & Limit {
  if (args.desiredReplicas > args.currentReplicas) {
    // Until old scale-up events expire, no further growth (but never below the current size).
    const scaleUpLimit = Math.max(
      calculateScaleUpLimitWithScalingRules(args.currentReplicas, history.scaleUpEvents, history.scaleDownEvents, args.scaleUp, now),
      args.currentReplicas,
    );
    const [maximumAllowed, limit] = args.maxReplicas > scaleUpLimit ? [scaleUpLimit, SCALE_UP_LIMIT] : [args.maxReplicas, TOO_MANY_REPLICAS];
    if (args.desiredReplicas > maximumAllowed) return { replicas: maximumAllowed, ...limit };
  } else if (args.desiredReplicas < args.currentReplicas) {
    const scaleDownLimit = Math.min(
      calculateScaleDownLimitWithBehaviors(args.currentReplicas, history.scaleUpEvents, history.scaleDownEvents, args.scaleDown, now),
      args.currentReplicas,
    );
    const [minimumAllowed, limit] = args.minReplicas < scaleDownLimit ? [scaleDownLimit, SCALE_DOWN_LIMIT] : [args.minReplicas, TOO_FEW_REPLICAS];
    if (args.desiredReplicas < minimumAllowed) return { replicas: minimumAllowed, ...limit };
  }
  return { replicas: args.desiredReplicas, ...DESIRED_WITHIN_RANGE };
}

/** The result of normalizing a proposal: the replicas, the updated history and the two conditions it decides. */
export interface Normalization {
  replicas: number;
  history: AutoscalerHistory;
  /** AbleToScale (status True): ScaleUpStabilized / ScaleDownStabilized / ReadyForNewScale. */
  ableToScale: Limit;
  /** ScalingLimited: True when the bounds changed the stabilized recommendation. */
  scalingLimited: Limit & { limited: boolean };
}

/** normalizeDesiredReplicas: the path for an HPA without behavior. */
export function normalizeDesiredReplicas(
  input: { currentReplicas: number; desiredReplicas: number; minReplicas: number; maxReplicas: number; downscaleStabilizationWindowMs: number },
  history: AutoscalerHistory,
  now: number,
): Normalization {
  const stabilized = stabilizeRecommendation(history.recommendations, input.desiredReplicas, now, input.downscaleStabilizationWindowMs);
  const ableToScale = stabilized.replicas !== input.desiredReplicas ? SCALE_DOWN_STABILIZED : READY_FOR_NEW_SCALE;
  const bounded = convertDesiredReplicasWithRules(input.currentReplicas, stabilized.replicas, input.minReplicas, input.maxReplicas);
  return {
    replicas: bounded.replicas,
    history: { ...history, recommendations: stabilized.recommendations },
    ableToScale,
    scalingLimited: { reason: bounded.reason, message: bounded.message, limited: bounded.replicas !== stabilized.replicas },
  };
}

/**
 * normalizeDesiredReplicasWithBehaviors: stabilize, then apply the rate limits and min/max. An unset
 * scale-down window takes the controller's default (maybeInitScaleDownStabilizationWindow).
 */
export function normalizeDesiredReplicasWithBehaviors(
  input: {
    behavior: DefaultedBehavior;
    currentReplicas: number;
    desiredReplicas: number;
    minReplicas: number;
    maxReplicas: number;
    downscaleStabilizationWindowMs: number;
  },
  history: AutoscalerHistory,
  now: number,
): Normalization {
  const args: NormalizationArgs = {
    scaleUp: input.behavior.scaleUp,
    scaleDown: {
      ...input.behavior.scaleDown,
      stabilizationWindowSeconds: input.behavior.scaleDown.stabilizationWindowSeconds ?? Math.trunc(input.downscaleStabilizationWindowMs / 1000),
    },
    minReplicas: input.minReplicas,
    maxReplicas: input.maxReplicas,
    currentReplicas: input.currentReplicas,
    desiredReplicas: input.desiredReplicas,
  };
  const stabilized = stabilizeRecommendationWithBehaviors(args, history.recommendations, now);
  const ableToScale: Limit = stabilized.replicas !== input.desiredReplicas ? { reason: stabilized.reason, message: stabilized.message } : READY_FOR_NEW_SCALE;
  const nextHistory = { ...history, recommendations: stabilized.recommendations };
  const bounded = convertDesiredReplicasWithBehaviorRate({ ...args, desiredReplicas: stabilized.replicas }, nextHistory, now);
  return {
    replicas: bounded.replicas,
    history: nextHistory,
    ableToScale,
    scalingLimited: { reason: bounded.reason, message: bounded.message, limited: bounded.replicas !== stabilized.replicas },
  };
}

/** getLongestPolicyPeriod. */
export function getLongestPolicyPeriod(rules: ScalingRules): number {
  let longest = 0;
  for (const policy of rules.policies) if (policy.periodSeconds > longest) longest = policy.periodSeconds;
  return longest;
}

/** markScaleEventsOutdated: events older than the longest period are marked for reuse (a new array). */
export function markScaleEventsOutdated(events: readonly TimestampedScaleEvent[], longestPolicyPeriodSeconds: number, now: number): TimestampedScaleEvent[] {
  const cutoff = now - longestPolicyPeriodSeconds * 1000;
  return events.map((e) => (e.timestampMs < cutoff ? { ...e, outdated: true } : e));
}

/**
 * storeScaleEvent: remembers a rescale for the rate limits, reusing the slot of an outdated event (the
 * last one found, as upstream). Nothing is stored for an HPA without behavior: nothing would read it.
 */
export function storeScaleEvent(
  behavior: DefaultedBehavior | undefined,
  history: AutoscalerHistory,
  prevReplicas: number,
  newReplicas: number,
  now: number,
): AutoscalerHistory {
  if (!behavior) return history;
  const up = newReplicas > prevReplicas;
  const rules = up ? behavior.scaleUp : behavior.scaleDown;
  const events = markScaleEventsOutdated(up ? history.scaleUpEvents : history.scaleDownEvents, getLongestPolicyPeriod(rules), now);
  let oldIndex = -1;
  events.forEach((e, i) => {
    if (e.outdated) oldIndex = i;
  });
  const event: TimestampedScaleEvent = { replicaChange: Math.abs(newReplicas - prevReplicas), timestampMs: now, outdated: false };
  if (oldIndex >= 0) events[oldIndex] = event;
  else events.push(event);
  return up ? { ...history, scaleUpEvents: events } : { ...history, scaleDownEvents: events };
}
