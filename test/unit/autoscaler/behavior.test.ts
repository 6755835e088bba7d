// Table tests for src/controllers/autoscaler/behavior.ts, ported from upstream horizontal_test.go
// (TestScalingWithRules, TestConvertDesiredReplicasWithRules, TestNormalizeDesiredReplicas,
// TestStoreScaleEvents) and pkg/apis/autoscaling/v2/defaults_test.go.
import { describe, test } from '@jest/globals';
import assert from 'node:assert/strict';
import type { HPAScalingRules } from '../../../src/api/autoscaling/types.ts';
import {
  convertDesiredReplicasWithBehaviorRate,
  convertDesiredReplicasWithRules,
  defaultBehavior,
  emptyHistory,
  generateScaleDownRules,
  generateScaleUpRules,
  getReplicasChangePerPeriod,
  normalizeDesiredReplicas,
  normalizeDesiredReplicasWithBehaviors,
  recordInitialRecommendation,
  stabilizeRecommendation,
  stabilizeRecommendationWithBehaviors,
  storeScaleEvent,
} from '../../../src/controllers/autoscaler/behavior.ts';
import type { TimestampedScaleEvent } from '../../../src/controllers/autoscaler/behavior.ts';

const NOW = Date.UTC(2025, 0, 1);

function rules(pods: number, podsPeriod: number, percent: number, percentPeriod: number, window: number): HPAScalingRules {
  const r: HPAScalingRules = { stabilizationWindowSeconds: window, selectPolicy: 'Max', policies: [] };
  if (pods !== 0) r.policies!.push({ type: 'Pods', value: pods, periodSeconds: podsPeriod });
  if (percent !== 0) r.policies!.push({ type: 'Percent', value: percent, periodSeconds: percentPeriod });
  return r;
}

/** generateEventsUniformDistribution: events spread over the last `period` seconds (whole seconds, as Go truncates). */
function uniform(changes: number[], period: number): TimestampedScaleEvent[] {
  const segment = period / changes.length;
  return changes.map((replicaChange, i) => ({
    replicaChange,
    timestampMs: NOW - Math.trunc(period - segment * (i + 1) + segment / 2) * 1000,
    outdated: false,
  }));
}

describe('convertDesiredReplicasWithBehaviorRate (upstream TestScalingWithRules)', () => {
  const table: { name: string; up?: TimestampedScaleEvent[]; down?: TimestampedScaleEvent[]; min: number; max: number; upRules?: HPAScalingRules; downRules?: HPAScalingRules; current: number; desired: number; want: number; reason: string }[] = [
    { name: 'within range', current: 5, desired: 7, min: 3, max: 8, want: 7, reason: 'DesiredWithinRange' },
    { name: '< minReplicas', current: 3, desired: 1, min: 2, max: 8, want: 2, reason: 'TooFewReplicas' },
    { name: 'within range when minReplicas is 0', current: 1, desired: 0, min: 0, max: 10, want: 0, reason: 'DesiredWithinRange' },
    { name: 'maxReplicas < scaleUpLimit', current: 20, desired: 1000, min: 1, max: 10, want: 10, reason: 'TooManyReplicas' },
    { name: 'more than the maximum', current: 100, desired: 1000, min: 100, max: 150, want: 150, reason: 'TooManyReplicas' },
    { name: 'scaleUpLimit < maxReplicas with user policies', current: 3, desired: 1000, min: 1, max: 2000, upRules: rules(0, 0, 1, 60, 0), want: 4, reason: 'ScaleUpLimit' },
    { name: 'scaleDownLimit > minReplicas with user policies', current: 1000, desired: 3, min: 3, max: 2000, downRules: rules(20, 60, 0, 0, 0), want: 980, reason: 'ScaleDownLimit' },
    { name: 'scaleUp with default behavior', current: 10, desired: 50, min: 1, max: 1000, want: 20, reason: 'ScaleUpLimit' },
    { name: 'pods policy larger than percent', current: 10, desired: 500, min: 1, max: 1000, upRules: rules(100, 60, 100, 60, 0), want: 110, reason: 'ScaleUpLimit' },
    { name: 'percent policy larger than pods', current: 10, desired: 500, min: 1, max: 1000, upRules: rules(2, 60, 100, 60, 0), want: 20, reason: 'ScaleUpLimit' },
    { name: 'large pod policy', current: 10, desired: 50, min: 1, max: 1000, upRules: rules(100, 60, 0, 0, 0), want: 50, reason: 'DesiredWithinRange' },
    { name: 'large percent policy', current: 10, desired: 50, min: 1, max: 1000, upRules: rules(10000, 60, 0, 0, 0), want: 50, reason: 'DesiredWithinRange' },
    { name: 'pod policy limitation', current: 10, desired: 50, min: 1, max: 1000, upRules: rules(30, 60, 0, 0, 0), want: 40, reason: 'ScaleUpLimit' },
    { name: 'percent policy limitation', current: 10, desired: 50, min: 1, max: 1000, upRules: rules(0, 0, 200, 60, 0), want: 30, reason: 'ScaleUpLimit' },
    { name: 'scaleDown percent larger than pods', current: 100, desired: 2, min: 1, max: 1000, downRules: rules(20, 60, 1, 60, 300), want: 80, reason: 'ScaleDownLimit' },
    { name: 'scaleDown pods larger than percent', current: 100, desired: 2, min: 1, max: 1000, downRules: rules(2, 60, 1, 60, 300), want: 98, reason: 'ScaleDownLimit' },
    { name: 'scaleDown MinReplicas with large pod policy', current: 10, desired: 0, min: 1, max: 1000, downRules: rules(100, 60, 0, 0, 300), want: 1, reason: 'TooFewReplicas' },
    { name: 'scaleDown MinReplicas with large percent policy', current: 10, desired: 2, min: 5, max: 1000, downRules: rules(0, 0, 100, 60, 300), want: 5, reason: 'TooFewReplicas' },
    { name: 'scaleDown pod policy limitation', current: 10, desired: 2, min: 1, max: 1000, downRules: rules(5, 60, 0, 0, 300), want: 5, reason: 'ScaleDownLimit' },
    { name: 'scaleDown percent policy limitation', current: 10, desired: 5, min: 1, max: 1000, downRules: rules(0, 0, 50, 60, 300), want: 5, reason: 'DesiredWithinRange' },
    { name: 'MaxReplicas with large pod policy and events', up: uniform([1, 5, 9], 120), current: 100, desired: 500, min: 1, max: 200, upRules: rules(300, 60, 0, 0, 0), want: 200, reason: 'TooManyReplicas' },
    { name: 'MaxReplicas with large percent policy and events', up: uniform([1, 5, 9], 120), current: 100, desired: 500, min: 1, max: 200, upRules: rules(0, 0, 10000, 60, 0), want: 200, reason: 'TooManyReplicas' },
    { name: 'many recent scale up events', up: uniform([1, 5, 9], 120), current: 100, desired: 500, min: 1, max: 1000, upRules: rules(5, 120, 0, 0, 0), want: 100, reason: 'ScaleUpLimit' },
    { name: 'pod policy and previous scale up events', up: uniform([1, 5, 9], 120), current: 100, desired: 500, min: 1, max: 1000, upRules: rules(150, 120, 0, 0, 0), want: 235, reason: 'ScaleUpLimit' },
    { name: 'percent policy and previous scale up events', up: uniform([1, 5, 9], 120), current: 100, desired: 500, min: 1, max: 1000, upRules: rules(0, 0, 200, 120, 0), want: 255, reason: 'ScaleUpLimit' },
    { name: 'percent policy, scale up and down events', up: uniform([4], 120), down: uniform([2], 120), current: 6, desired: 24, min: 1, max: 1000, upRules: rules(0, 0, 300, 300, 0), want: 16, reason: 'ScaleUpLimit' },
    { name: 'scaleDown default policy and previous events', down: uniform([1, 5, 9], 120), current: 10, desired: 5, min: 1, max: 1000, want: 5, reason: 'DesiredWithinRange' },
    { name: 'scaleDown MinReplicas large pod policy and events', down: uniform([1, 5, 9], 120), current: 100, desired: 0, min: 1, max: 1000, downRules: rules(115, 120, 0, 0, 300), want: 1, reason: 'TooFewReplicas' },
    { name: 'scaleDown MinReplicas 5 large pod policy and events', down: uniform([1, 5, 9], 120), current: 100, desired: 0, min: 5, max: 1000, downRules: rules(130, 120, 0, 0, 300), want: 5, reason: 'TooFewReplicas' },
    { name: 'scaleDown MinReplicas large percent policy and events', down: uniform([1, 5, 9], 120), current: 100, desired: 2, min: 5, max: 1000, downRules: rules(0, 0, 100, 120, 300), want: 5, reason: 'TooFewReplicas' },
    { name: 'scaleDown pod policy and previous events', down: uniform([1, 5, 9], 120), current: 100, desired: 2, min: 1, max: 1000, downRules: rules(5, 120, 0, 0, 300), want: 100, reason: 'ScaleDownLimit' },
    { name: 'scaleDown percent policy and previous events', down: uniform([2, 4, 6], 120), current: 100, desired: 0, min: 1, max: 1000, downRules: rules(0, 0, 50, 120, 300), want: 56, reason: 'ScaleDownLimit' },
    { name: 'scaleDown percent, scale up and down events', up: uniform([2], 120), down: uniform([4], 120), current: 10, desired: 1, min: 1, max: 1000, downRules: rules(0, 0, 50, 180, 0), want: 6, reason: 'ScaleDownLimit' },
    { name: 'previous events preventing further scale down', down: uniform([10, 10, 10], 120), current: 100, desired: 0, min: 1, max: 1000, downRules: rules(0, 0, 10, 120, 300), want: 100, reason: 'ScaleDownLimit' },
    { name: 'previous events still allowing more scale down', down: uniform([10, 10, 10], 120), current: 10, desired: 5, min: 1, max: 1000, downRules: rules(0, 0, 1000, 120, 300), want: 5, reason: 'DesiredWithinRange' },
    { name: "'outdated' flag, one policy up", up: uniform([8, 12, 9, 11], 120), current: 100, desired: 200, min: 1, max: 1000, upRules: rules(1000, 60, 0, 0, 0), want: 200, reason: 'DesiredWithinRange' },
    { name: 'two policies, not outdated', up: uniform([8, 12, 9, 11], 120), current: 100, desired: 200, min: 1, max: 1000, upRules: rules(1000, 120, 100, 60, 0), want: 200, reason: 'DesiredWithinRange' },
    { name: 'two policies, outdated', up: uniform([8, 12, 9, 11], 120), current: 100, desired: 200, min: 1, max: 1000, upRules: rules(1000, 30, 100, 60, 0), want: 200, reason: 'DesiredWithinRange' },
    { name: 'selectPolicy Min up', current: 10, desired: 50, min: 1, max: 1000, upRules: { ...rules(4, 60, 100, 60, 0), selectPolicy: 'Min' }, want: 14, reason: 'ScaleUpLimit' },
    { name: 'selectPolicy Min down', current: 100, desired: 1, min: 1, max: 1000, downRules: { ...rules(5, 60, 50, 60, 0), selectPolicy: 'Min' }, want: 95, reason: 'ScaleDownLimit' },
    { name: 'selectPolicy Disabled up', current: 10, desired: 50, min: 1, max: 1000, upRules: { selectPolicy: 'Disabled' }, want: 10, reason: 'ScaleUpLimit' },
    { name: 'selectPolicy Disabled down', current: 10, desired: 1, min: 1, max: 1000, downRules: { selectPolicy: 'Disabled' }, want: 10, reason: 'ScaleDownLimit' },
  ];
  for (const tc of table) {
    test(tc.name, () => {
      const behavior = defaultBehavior({ scaleUp: tc.upRules, scaleDown: tc.downRules })!;
      const history = { recommendations: [], scaleUpEvents: tc.up ?? [], scaleDownEvents: tc.down ?? [] };
      const r = convertDesiredReplicasWithBehaviorRate(
        { scaleUp: behavior.scaleUp, scaleDown: { ...behavior.scaleDown, stabilizationWindowSeconds: 300 }, minReplicas: tc.min, maxReplicas: tc.max, currentReplicas: tc.current, desiredReplicas: tc.desired },
        history,
        NOW,
      );
      assert.equal(r.replicas, tc.want);
      assert.equal(r.reason, tc.reason);
    });
  }
});

describe('convertDesiredReplicasWithRules (no behavior)', () => {
  const table: [number, number, number, number, number, string][] = [
    // current, desired, min, max → replicas, reason
    [5, 7, 3, 8, 7, 'DesiredWithinRange'],
    [3, 1, 2, 8, 2, 'TooFewReplicas'],
    [1, 0, 0, 10, 0, 'DesiredWithinRange'],
    [20, 1000, 1, 10, 10, 'TooManyReplicas'],
    [3, 1000, 1, 2000, 6, 'ScaleUpLimit'],
    [1, 1000, 1, 2000, 4, 'ScaleUpLimit'],
    [0, 1000, 0, 2000, 4, 'ScaleUpLimit'],
    [100, 1000, 100, 150, 150, 'TooManyReplicas'],
  ];
  for (const [current, desired, min, max, want, reason] of table) {
    test(`${current} → ${desired} in [${min}, ${max}]`, () => {
      const r = convertDesiredReplicasWithRules(current, desired, min, max);
      assert.equal(r.replicas, want);
      assert.equal(r.reason, reason);
    });
  }
});

describe('stabilization', () => {
  test('TestNormalizeDesiredReplicas: the highest recent recommendation wins; old slots are reused', () => {
    const recs = [
      { recommendation: 10, timestampMs: NOW - 60_000 },
      { recommendation: 4, timestampMs: NOW - 10 * 60_000 },
    ];
    const r = stabilizeRecommendation(recs, 5, NOW, 5 * 60_000);
    assert.equal(r.replicas, 10);
    assert.deepEqual(r.recommendations, [recs[0], { recommendation: 5, timestampMs: NOW }]);
  });
  test('without old samples the recommendation is appended', () => {
    const r = stabilizeRecommendation([{ recommendation: 1, timestampMs: NOW - 1000 }], 3, NOW, 300_000);
    assert.equal(r.replicas, 3);
    assert.equal(r.recommendations.length, 2);
  });
  const stabilizeTable: { name: string; recs: [number, number][]; current: number; desired: number; up: number; down: number; want: number; reason: string; length: number }[] = [
    { name: 'scale up held by the up window (lowest recent)', recs: [[4, 10], [6, 20]], current: 3, desired: 8, up: 60, down: 300, want: 4, reason: 'ScaleUpStabilized', length: 3 },
    { name: 'scale down held by the down window (highest recent)', recs: [[9, 10], [6, 20]], current: 10, desired: 2, up: 0, down: 300, want: 9, reason: 'ScaleDownStabilized', length: 3 },
    { name: 'no windows: the proposal', recs: [[9, 10]], current: 10, desired: 2, up: 0, down: 0, want: 2, reason: 'ScaleDownStabilized', length: 1 },
    { name: 'old sample outside both windows is replaced', recs: [[9, 1000], [7, 10]], current: 10, desired: 5, up: 0, down: 300, want: 7, reason: 'ScaleDownStabilized', length: 2 },
    { name: 'never beyond the current size', recs: [[20, 10]], current: 10, desired: 12, up: 60, down: 300, want: 12, reason: 'ScaleUpStabilized', length: 2 },
  ];
  for (const tc of stabilizeTable) {
    test(`stabilizeRecommendationWithBehaviors: ${tc.name}`, () => {
      const recs = tc.recs.map(([recommendation, ago]) => ({ recommendation, timestampMs: NOW - ago * 1000 }));
      const up = { ...generateScaleUpRules({ stabilizationWindowSeconds: tc.up }) };
      const down = { ...generateScaleDownRules({}), stabilizationWindowSeconds: tc.down };
      const r = stabilizeRecommendationWithBehaviors({ scaleUp: up, scaleDown: down, minReplicas: 1, maxReplicas: 100, currentReplicas: tc.current, desiredReplicas: tc.desired }, recs, NOW);
      assert.equal(r.replicas, tc.want);
      assert.equal(r.reason, tc.reason);
      assert.equal(r.recommendations.length, tc.length);
      assert.ok(r.recommendations.some((x) => x.recommendation === tc.desired && x.timestampMs === NOW));
    });
  }
});

describe('normalize', () => {
  test('without behavior: stabilized and limited', () => {
    const history = { ...emptyHistory(), recommendations: [{ recommendation: 8, timestampMs: NOW - 1000 }] };
    const r = normalizeDesiredReplicas({ currentReplicas: 8, desiredReplicas: 2, minReplicas: 3, maxReplicas: 10, downscaleStabilizationWindowMs: 300_000 }, history, NOW);
    assert.equal(r.replicas, 8);
    assert.equal(r.ableToScale.reason, 'ScaleDownStabilized');
    assert.deepEqual([r.scalingLimited.limited, r.scalingLimited.reason], [false, 'DesiredWithinRange']);
  });
  test('without behavior: TooFewReplicas sets ScalingLimited', () => {
    const r = normalizeDesiredReplicas({ currentReplicas: 8, desiredReplicas: 2, minReplicas: 3, maxReplicas: 10, downscaleStabilizationWindowMs: 0 }, emptyHistory(), NOW);
    assert.equal(r.replicas, 3);
    assert.equal(r.ableToScale.reason, 'ReadyForNewScale');
    assert.deepEqual([r.scalingLimited.limited, r.scalingLimited.reason], [true, 'TooFewReplicas']);
  });
  test('with behavior: unset scale-down window takes the controller default', () => {
    const history = { ...emptyHistory(), recommendations: [{ recommendation: 8, timestampMs: NOW - 100_000 }] };
    const behavior = defaultBehavior({ scaleDown: { policies: [{ type: 'Pods', value: 100, periodSeconds: 15 }] } })!;
    const r = normalizeDesiredReplicasWithBehaviors({ behavior, currentReplicas: 8, desiredReplicas: 2, minReplicas: 1, maxReplicas: 10, downscaleStabilizationWindowMs: 300_000 }, history, NOW);
    assert.equal(r.replicas, 8);
    assert.equal(r.ableToScale.reason, 'ScaleDownStabilized');
    const r2 = normalizeDesiredReplicasWithBehaviors({ behavior, currentReplicas: 8, desiredReplicas: 2, minReplicas: 1, maxReplicas: 10, downscaleStabilizationWindowMs: 60_000 }, history, NOW);
    assert.equal(r2.replicas, 2);
  });
});

describe('history', () => {
  test('recordInitialRecommendation only when empty', () => {
    const h = recordInitialRecommendation(undefined, 3, NOW);
    assert.deepEqual(h.recommendations, [{ recommendation: 3, timestampMs: NOW }]);
    assert.equal(recordInitialRecommendation(h, 9, NOW + 1), h);
  });
  test('getReplicasChangePerPeriod counts events strictly inside the period', () => {
    const events = [
      { replicaChange: 1, timestampMs: NOW - 10_000, outdated: false },
      { replicaChange: 2, timestampMs: NOW - 60_000, outdated: false },
      { replicaChange: 4, timestampMs: NOW - 59_999, outdated: false },
    ];
    assert.equal(getReplicasChangePerPeriod(60, events, NOW), 5);
    assert.equal(getReplicasChangePerPeriod(5, events, NOW), 0);
  });
  test('TestStoreScaleEvents: outdated slots are reused, new ones appended', () => {
    const behavior = defaultBehavior({ scaleUp: rules(4, 60, 100, 120, 0), scaleDown: rules(4, 30, 0, 0, 0) })!;
    const h0 = { ...emptyHistory(), scaleUpEvents: [{ replicaChange: 5, timestampMs: NOW - 200_000, outdated: false }, { replicaChange: 2, timestampMs: NOW - 10_000, outdated: false }] };
    const h1 = storeScaleEvent(behavior, h0, 3, 7, NOW);
    assert.deepEqual(h1.scaleUpEvents, [{ replicaChange: 4, timestampMs: NOW, outdated: false }, { replicaChange: 2, timestampMs: NOW - 10_000, outdated: false }]);
    const h2 = storeScaleEvent(behavior, h1, 7, 5, NOW);
    assert.deepEqual(h2.scaleDownEvents, [{ replicaChange: 2, timestampMs: NOW, outdated: false }]);
    assert.equal(h0.scaleUpEvents[0]!.replicaChange, 5, 'input not mutated');
  });
  test('no behavior: nothing stored', () => {
    const h = emptyHistory();
    assert.equal(storeScaleEvent(undefined, h, 1, 5, NOW), h);
  });
});

describe('defaults (upstream defaults_test.go)', () => {
  test('absent behavior stays absent', () => assert.equal(defaultBehavior(undefined), undefined));
  test('empty behavior gets both defaults', () => {
    assert.deepEqual(defaultBehavior({}), {
      scaleUp: { stabilizationWindowSeconds: 0, selectPolicy: 'Max', policies: [{ type: 'Pods', value: 4, periodSeconds: 15 }, { type: 'Percent', value: 100, periodSeconds: 15 }], tolerance: undefined },
      scaleDown: { stabilizationWindowSeconds: undefined, selectPolicy: 'Max', policies: [{ type: 'Percent', value: 100, periodSeconds: 15 }], tolerance: undefined },
    });
  });
  test('set fields are kept, the rest defaulted', () => {
    const b = defaultBehavior({ scaleUp: { selectPolicy: 'Min', tolerance: '0.05' }, scaleDown: { stabilizationWindowSeconds: 60, policies: [{ type: 'Pods', value: 1, periodSeconds: 30 }] } })!;
    assert.equal(b.scaleUp.selectPolicy, 'Min');
    assert.equal(b.scaleUp.tolerance, '0.05');
    assert.equal(b.scaleUp.policies.length, 2);
    assert.equal(b.scaleDown.stabilizationWindowSeconds, 60);
    assert.deepEqual(b.scaleDown.policies, [{ type: 'Pods', value: 1, periodSeconds: 30 }]);
    assert.equal(b.scaleDown.selectPolicy, 'Max');
  });
});
