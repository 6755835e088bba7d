// Tests for src/controllers/autoscaler/decide.ts: upstream horizontal_test.go scenarios (scale up / down,
// tolerance, min/max, zero replicas, selectors, failing metrics, multiple metrics, events, conditions)
// and the extensions (Prometheus, activation and scale to zero, dry run).
import { describe, test } from '@jest/globals';
import assert from 'node:assert/strict';
import type { HorizontalPodAutoscaler, MetricSpec } from '../../../src/api/autoscaling/types.ts';
import type { Pod } from '../../../src/api/core/types.ts';
import { rfc3339 } from '../../../src/runtime/util/time.ts';
import { decide, metricsNeeded, rescaleFailed, scaleUnavailable } from '../../../src/controllers/autoscaler/decide.ts';
import type { AutoscalerObservation } from '../../../src/controllers/autoscaler/decide.ts';
import { emptyHistory } from '../../../src/controllers/autoscaler/behavior.ts';
import type { MetricReading, PodMetrics } from '../../../src/controllers/autoscaler/readings.ts';

const NOW = Date.UTC(2025, 0, 1, 12);
const LONG_AGO = NOW - 3600_000;

function pod(i: number, opts: { ready?: boolean; phase?: 'Running' | 'Pending' | 'Failed'; labels?: Record<string, string> } = {}): Pod {
  return {
    metadata: { name: `p${i}`, namespace: 'ns', labels: opts.labels ?? { app: 'web' } },
    spec: { containers: [{ name: 'c', resources: { requests: { cpu: '1' } } }] },
    status: {
      phase: opts.phase ?? 'Running',
      startTime: rfc3339(LONG_AGO),
      conditions: [{ type: 'Ready', status: opts.ready === false ? 'False' : 'True', lastTransitionTime: rfc3339(LONG_AGO + 60_000) }],
    },
  };
}

function pods(n: number): Pod[] {
  return Array.from({ length: n }, (_, i) => pod(i));
}

function cpuReading(values: number[]): MetricReading {
  const metrics: PodMetrics = new Map(values.map((v, i) => [`p${i}`, { value: v, timestampMs: NOW - 1000, windowMs: 30_000 }]));
  return { ok: true, kind: 'pods', metrics, timestampMs: NOW - 1000 };
}

const cpu = (utilization: number, activationValue?: number): MetricSpec => ({
  type: 'Resource',
  resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: utilization, ...(activationValue !== undefined ? { activationValue } : {}) } },
});
const external = (target: Partial<{ value: string; averageValue: string; activationValue: string }>): MetricSpec => ({
  type: 'External',
  external: { metric: { name: 'queue', selector: { matchLabels: { q: 'jobs' } } }, target: { type: target.value ? 'Value' : 'AverageValue', ...target } },
});
const prometheus = (target: Partial<{ value: string; averageValue: string; activationValue: string }>): MetricSpec => ({
  type: 'Prometheus',
  prometheus: { query: 'sum(rate(http_requests_total[1m]))', target: { type: target.value ? 'Value' : 'AverageValue', ...target } },
});
const object = (value: string, activationValue?: string): MetricSpec => ({
  type: 'Object',
  object: { describedObject: { kind: 'Service', name: 'web', apiVersion: 'v1' }, metric: { name: 'rps' }, target: { type: 'Value', value, ...(activationValue ? { activationValue } : {}) } },
});

function hpa(spec: Partial<HorizontalPodAutoscaler['spec']> = {}, status?: HorizontalPodAutoscaler['status']): HorizontalPodAutoscaler {
  const h: HorizontalPodAutoscaler = {
    metadata: { name: 'web', namespace: 'ns', generation: 2 },
    spec: { scaleTargetRef: { kind: 'Deployment', name: 'web', apiVersion: 'apps/v1' }, minReplicas: 1, maxReplicas: 10, ...spec },
  };
  if (status) h.status = status;
  return h;
}

function observe(o: Partial<AutoscalerObservation> & { hpa: HorizontalPodAutoscaler; replicas: number }): AutoscalerObservation {
  return {
    scale: { replicas: o.replicas, selector: 'app=web' },
    pods: pods(o.replicas),
    readings: [],
    now: NOW,
    history: undefined,
    ...o,
  };
}

const condition = (d: ReturnType<typeof decide>, type: string) => d.status.conditions?.find((c) => c.type === type);

describe('decide: upstream scenarios', () => {
  test('TestScaleUp: cpu above target scales up, SuccessfulRescale event', () => {
    const d = decide(observe({ hpa: hpa({ metrics: [cpu(30)] }), replicas: 3, readings: [cpuReading([300, 500, 700])] }));
    assert.equal(d.desiredReplicas, 5);
    assert.equal(d.rescale, true);
    assert.equal(d.rescaleReason, 'cpu resource utilization (percentage of request) above target');
    assert.deepEqual(d.events, [{ type: 'Normal', reason: 'SuccessfulRescale', message: 'New size: 5; reason: cpu resource utilization (percentage of request) above target' }]);
    assert.equal(d.status.currentReplicas, 3);
    assert.equal(d.status.desiredReplicas, 5);
    assert.equal(d.status.lastScaleTime, rfc3339(NOW));
    assert.equal(d.status.observedGeneration, 2);
    assert.deepEqual(d.status.currentMetrics, [{ type: 'Resource', resource: { name: 'cpu', current: { averageUtilization: 50, averageValue: '500m' } } }]);
    assert.equal(condition(d, 'AbleToScale')?.reason, 'SucceededRescale');
    assert.equal(condition(d, 'ScalingActive')?.reason, 'ValidMetricFound');
    assert.equal(condition(d, 'ScalingActive')?.message, 'the HPA was able to successfully calculate a replica count from cpu resource utilization (percentage of request)');
    assert.equal(condition(d, 'ScalingLimited')?.status, 'False');
  });

  test('default metric is cpu at 80%', () => {
    const d = decide(observe({ hpa: hpa(), replicas: 2, readings: [cpuReading([1600, 1600])] }));
    assert.equal(d.desiredReplicas, 4);
  });

  test('TestTolerance: within 10% no rescale, desired = current, lastScaleTime kept', () => {
    const d = decide(observe({ hpa: hpa({ metrics: [cpu(100)] }, { desiredReplicas: 3, lastScaleTime: 'x' }), replicas: 3, readings: [cpuReading([1050, 1000, 1020])] }));
    assert.equal(d.rescale, false);
    assert.equal(d.desiredReplicas, 3);
    assert.equal(d.status.lastScaleTime, 'x');
    assert.deepEqual(d.events, []);
    assert.equal(condition(d, 'AbleToScale')?.reason, 'ReadyForNewScale');
  });

  test('TestConfigurableTolerance: behavior tolerance 0 scales at 2% over', () => {
    const d = decide(observe({ hpa: hpa({ metrics: [cpu(100)], behavior: { scaleUp: { tolerance: '0' } } }), replicas: 3, readings: [cpuReading([1020, 1020, 1020])] }));
    assert.equal(d.desiredReplicas, 4);
  });

  test('TestScaleDown without behavior: held by the 5 min downscale stabilization', () => {
    const history = { ...emptyHistory(), recommendations: [{ recommendation: 5, timestampMs: NOW - 60_000 }] };
    const d = decide(observe({ hpa: hpa({ metrics: [cpu(50)] }), replicas: 5, readings: [cpuReading([100, 300, 500, 250, 250])], history }));
    assert.equal(d.rescale, false);
    assert.equal(condition(d, 'AbleToScale')?.reason, 'ScaleDownStabilized');
    const later = decide(observe({ hpa: hpa({ metrics: [cpu(50)] }), replicas: 5, readings: [cpuReading([100, 300, 500, 250, 250])], history: { ...emptyHistory(), recommendations: [{ recommendation: 5, timestampMs: NOW - 301_000 }] } }));
    assert.equal(later.desiredReplicas, 3);
    assert.equal(later.rescaleReason, 'All metrics below target');
  });

  test('TestScaleDownStabilizeInitialSize: the first sync records the current size', () => {
    const d = decide(observe({ hpa: hpa({ metrics: [cpu(50)] }), replicas: 5, readings: [cpuReading([100, 300, 500, 250, 250])] }));
    assert.equal(d.desiredReplicas, 5);
    assert.deepEqual(d.history.recommendations.map((r) => r.recommendation), [5, 3]);
  });

  test('TestScaleDownWithScalingRules: behavior window 0 scales down at once, events stored', () => {
    const d = decide(observe({ hpa: hpa({ metrics: [cpu(50)], behavior: { scaleDown: { stabilizationWindowSeconds: 0 } } }), replicas: 5, readings: [cpuReading([100, 300, 500, 250, 250])], history: emptyHistory() }));
    assert.equal(d.desiredReplicas, 3);
    assert.deepEqual(d.history.scaleDownEvents, [{ replicaChange: 2, timestampMs: NOW, outdated: false }]);
  });

  test('TestUpscaleCap: without behavior at most max(2×, 4)', () => {
    const d = decide(observe({ hpa: hpa({ metrics: [cpu(10)], maxReplicas: 100 }), replicas: 3, readings: [cpuReading([1000, 1000, 1000])] }));
    assert.equal(d.desiredReplicas, 6);
    assert.deepEqual([condition(d, 'ScalingLimited')?.status, condition(d, 'ScalingLimited')?.reason], ['True', 'ScaleUpLimit']);
  });

  test('TestUpscaleCapGreaterThanMaxReplicas: TooManyReplicas', () => {
    const d = decide(observe({ hpa: hpa({ metrics: [cpu(10)], maxReplicas: 5 }), replicas: 3, readings: [cpuReading([1000, 1000, 1000])] }));
    assert.equal(d.desiredReplicas, 5);
    assert.equal(condition(d, 'ScalingLimited')?.reason, 'TooManyReplicas');
  });

  test('TestTooManyReplicas / TestTooFewReplicas: out of range without metrics', () => {
    const over = decide(observe({ hpa: hpa({ maxReplicas: 5 }), replicas: 8 }));
    assert.deepEqual([over.desiredReplicas, over.rescaleReason], [5, 'Current number of replicas above Spec.MaxReplicas']);
    assert.deepEqual(over.status.currentMetrics, []);
    const under = decide(observe({ hpa: hpa({ minReplicas: 3 }), replicas: 1 }));
    assert.deepEqual([under.desiredReplicas, under.rescaleReason], [3, 'Current number of replicas below Spec.MinReplicas']);
  });

  test('TestZeroReplicas: scaling disabled', () => {
    const d = decide(observe({ hpa: hpa({ metrics: [cpu(50)] }), replicas: 0 }));
    assert.equal(d.rescale, false);
    assert.equal(d.desiredReplicas, 0);
    assert.deepEqual([condition(d, 'ScalingActive')?.status, condition(d, 'ScalingActive')?.reason, condition(d, 'ScalingActive')?.message], ['False', 'ScalingDisabled', 'scaling is disabled since the replica count of the target is zero']);
    assert.equal(condition(d, 'AbleToScale')?.status, 'True');
  });

  test('TestConditionInvalidSelectorMissing', () => {
    const d = decide({ ...observe({ hpa: hpa({ metrics: [cpu(50)] }, { desiredReplicas: 4 }), replicas: 3 }), scale: { replicas: 3, selector: '' } });
    assert.equal(d.rescale, false);
    assert.equal(d.status.desiredReplicas, 4);
    assert.deepEqual([condition(d, 'ScalingActive')?.reason, condition(d, 'ScalingActive')?.message], ['InvalidSelector', "the HPA target's scale is missing a selector"]);
    assert.deepEqual(d.events.map((e) => e.reason), ['SelectorRequired', 'FailedComputeMetricsReplicas']);
  });

  test('TestConditionInvalidSelectorUnparsable', () => {
    const d = decide({ ...observe({ hpa: hpa({ metrics: [cpu(50)] }), replicas: 3 }), scale: { replicas: 3, selector: 'cheddar cheese' } });
    assert.equal(condition(d, 'ScalingActive')?.reason, 'InvalidSelector');
    assert.ok(condition(d, 'ScalingActive')!.message.startsWith("couldn't convert selector into a corresponding internal selector object"));
    assert.equal(d.events[0]?.reason, 'InvalidSelector');
  });

  test('TestConditionAmbiguousSelector', () => {
    const d = decide(observe({ hpa: hpa({ metrics: [cpu(50)] }), replicas: 3, readings: [cpuReading([1, 1, 1])], hpasControllingPods: ['ns/web', 'ns/other'] }));
    assert.equal(condition(d, 'ScalingActive')?.reason, 'AmbiguousSelector');
    assert.equal(d.rescale, false);
  });

  test('pods the selector does not match are left out', () => {
    const d = decide(observe({ hpa: hpa({ metrics: [cpu(50)] }), replicas: 2, pods: [pod(0), pod(1), pod(2, { labels: { app: 'other' } })], readings: [cpuReading([1000, 1000, 0])] }));
    assert.equal(d.desiredReplicas, 4);
  });

  test('TestConditionFailedGetMetrics: every metric failing', () => {
    const d = decide(observe({ hpa: hpa({ metrics: [cpu(50)] }), replicas: 3, readings: [{ ok: false, reason: 'FailedGetResourceMetric', message: 'metrics API unavailable' }] }));
    assert.equal(d.rescale, false);
    assert.equal(condition(d, 'ScalingActive')?.status, 'False');
    assert.equal(condition(d, 'ScalingActive')?.reason, 'FailedGetResourceMetric');
    assert.ok(condition(d, 'ScalingActive')!.message.startsWith('the HPA was unable to compute the replica count: '));
    assert.deepEqual(d.events.map((e) => e.reason), ['FailedGetResourceMetric', 'FailedComputeMetricsReplicas']);
    assert.ok(d.events[1]!.message.startsWith('invalid metrics (1 invalid out of 1), first error is: failed to get cpu resource metric value:'));
    assert.deepEqual(d.status.currentMetrics, [{ type: '' }]);
  });

  test('TestConditionInvalidSourceType', () => {
    const d = decide(observe({ hpa: hpa({ metrics: [{ type: 'CheddarCheese' } as unknown as MetricSpec] }), replicas: 3, readings: [cpuReading([1])] }));
    assert.equal(condition(d, 'ScalingActive')?.reason, 'InvalidMetricSourceType');
  });

  test('TestScaleUpOneMetricInvalid: the valid metric still scales up', () => {
    const d = decide(observe({ hpa: hpa({ metrics: [cpu(30), external({ value: '10' })] }), replicas: 3, readings: [cpuReading([300, 500, 700]), { ok: false, reason: 'FailedGetExternalMetric', message: 'boom' }] }));
    assert.equal(d.desiredReplicas, 5);
    assert.equal(condition(d, 'ScalingActive')?.reason, 'ValidMetricFound');
    assert.deepEqual(d.events.map((e) => e.reason), ['FailedGetExternalMetric', 'SuccessfulRescale']);
  });

  test('TestNoScaleDownOneMetricInvalid: a failing metric blocks a scale-down', () => {
    const d = decide(observe({ hpa: hpa({ metrics: [cpu(50), external({ value: '10' })] }), replicas: 5, readings: [cpuReading([100, 100, 100, 100, 100]), { ok: false, reason: 'FailedGetExternalMetric', message: 'boom' }] }));
    assert.equal(d.rescale, false);
    assert.equal(condition(d, 'ScalingActive')?.reason, 'FailedGetExternalMetric');
  });

  test('multiple metrics: the largest proposal wins', () => {
    const d = decide(observe({ hpa: hpa({ metrics: [cpu(50), external({ value: '2' })] }), replicas: 2, readings: [cpuReading([600, 600]), { ok: true, kind: 'values', values: [12000], timestampMs: NOW }] }));
    assert.equal(d.desiredReplicas, 4, 'cpu says 3, external 12 → capped at max(2×2, 4)');
    assert.ok(d.rescaleReason.startsWith('external metric queue('));
  });

  test('Object and per-pod External status values', () => {
    const d = decide(observe({ hpa: hpa({ metrics: [object('10'), external({ averageValue: '3' })] }), replicas: 3, readings: [{ ok: true, kind: 'object', value: 20000, timestampMs: NOW }, { ok: true, kind: 'values', values: [4000, 5000], timestampMs: NOW }] }));
    assert.equal(d.desiredReplicas, 6);
    assert.deepEqual(d.status.currentMetrics, [
      { type: 'Object', object: { metric: { name: 'rps' }, current: { value: '20' }, describedObject: { kind: 'Service', name: 'web', apiVersion: 'v1' } } },
      { type: 'External', external: { metric: { name: 'queue', selector: { matchLabels: { q: 'jobs' } } }, current: { averageValue: '3' } } },
    ]);
  });

  test('behavior: selectPolicy Disabled never scales up', () => {
    const d = decide(observe({ hpa: hpa({ metrics: [cpu(30)], behavior: { scaleUp: { selectPolicy: 'Disabled' } } }), replicas: 3, readings: [cpuReading([300, 500, 700])] }));
    assert.equal(d.rescale, false);
    assert.equal(condition(d, 'ScalingLimited')?.reason, 'ScaleUpLimit');
  });

  test('lastTransitionTime changes only with the status', () => {
    const first = decide(observe({ hpa: hpa({ metrics: [cpu(30)] }), replicas: 3, readings: [cpuReading([300, 300, 300])] }));
    const again = decide({ ...observe({ hpa: hpa({ metrics: [cpu(30)] }, first.status), replicas: 3, readings: [cpuReading([300, 300, 300])] }), now: NOW + 60_000 });
    assert.equal(condition(again, 'ScalingActive')?.lastTransitionTime, rfc3339(NOW));
    const failing = decide({ ...observe({ hpa: hpa({ metrics: [cpu(30)] }, first.status), replicas: 3, readings: [{ ok: false, reason: 'FailedGetResourceMetric', message: 'x' }] }), now: NOW + 60_000 });
    assert.equal(condition(failing, 'ScalingActive')?.lastTransitionTime, rfc3339(NOW + 60_000));
  });

  test('rescaleFailed: AbleToScale False FailedUpdateScale, no scale event kept', () => {
    const d = decide(observe({ hpa: hpa({ metrics: [cpu(30)], behavior: {} }, { desiredReplicas: 3 }), replicas: 3, readings: [cpuReading([300, 500, 700])] }));
    const f = rescaleFailed(d, 'conflict', NOW);
    assert.equal(f.status.conditions?.find((c) => c.type === 'AbleToScale')?.reason, 'FailedUpdateScale');
    assert.equal(f.status.desiredReplicas, 3);
    assert.equal(f.status.lastScaleTime, undefined);
    assert.deepEqual(f.history.scaleUpEvents, []);
    assert.equal(f.events.at(-1)?.reason, 'FailedRescale');
    assert.equal(d.history.scaleUpEvents.length, 1);
  });

  test('scaleUnavailable: FailedGetScale', () => {
    const r = scaleUnavailable(hpa(), 'not found', NOW);
    assert.equal(r.status.conditions?.[0]?.reason, 'FailedGetScale');
    assert.equal(r.events[0]?.reason, 'FailedGetScale');
  });
});

describe('decide: extensions', () => {
  test('Prometheus Value behaves like External Value', () => {
    const d = decide(observe({ hpa: hpa({ metrics: [prometheus({ value: '100' })] }), replicas: 2, readings: [{ ok: true, kind: 'values', values: [300_000], timestampMs: NOW }] }));
    assert.equal(d.desiredReplicas, 4);
    assert.equal(d.rescaleReason, 'prometheus query sum(rate(http_requests_total[1m])) above target');
    assert.deepEqual(d.status.currentMetrics, [{ type: 'Prometheus', prometheus: { query: 'sum(rate(http_requests_total[1m]))', current: { value: '300' } } }]);
  });

  test('Prometheus AverageValue divides by the current replicas', () => {
    const d = decide(observe({ hpa: hpa({ metrics: [prometheus({ averageValue: '50' })] }), replicas: 2, readings: [{ ok: true, kind: 'values', values: [300_000], timestampMs: NOW }] }));
    assert.equal(d.desiredReplicas, 4, '300/50 = 6, capped by max(2×2, 4)');
    assert.deepEqual(d.status.currentMetrics?.[0]?.prometheus?.current, { averageValue: '150' });
  });

  test('Prometheus: more than one sample is a failure', () => {
    const d = decide(observe({ hpa: hpa({ metrics: [prometheus({ value: '1' })] }), replicas: 2, readings: [{ ok: true, kind: 'values', values: [1, 2], timestampMs: NOW }] }));
    assert.equal(condition(d, 'ScalingActive')?.reason, 'FailedGetPrometheusMetric');
  });

  test('Prometheus fetch failure keeps its reason', () => {
    const d = decide(observe({ hpa: hpa({ metrics: [prometheus({ value: '1' })] }), replicas: 2, readings: [{ ok: false, reason: 'FailedGetPrometheusMetric', message: 'connection refused' }] }));
    assert.equal(condition(d, 'ScalingActive')?.reason, 'FailedGetPrometheusMetric');
    assert.ok(d.events[0]!.message.includes('connection refused'));
  });

  test('scale to zero: at zero, below activation → stays asleep', () => {
    const d = decide(observe({ hpa: hpa({ minReplicas: 0, metrics: [external({ value: '10', activationValue: '5' })] }), replicas: 0, pods: [], readings: [{ ok: true, kind: 'values', values: [5000], timestampMs: NOW }] }));
    assert.equal(d.rescale, false);
    assert.equal(d.desiredReplicas, 0);
    assert.deepEqual([condition(d, 'ScalingActive')?.status, condition(d, 'ScalingActive')?.reason], ['False', 'ScaledToZero']);
    assert.equal(condition(d, 'AbleToScale')?.status, 'True');
    assert.equal(d.status.currentMetrics?.[0]?.type, 'External');
  });

  test('scale to zero: at zero, above activation → wakes to the proposal', () => {
    const d = decide(observe({ hpa: hpa({ minReplicas: 0, metrics: [external({ value: '10', activationValue: '5' })] }), replicas: 0, pods: [], readings: [{ ok: true, kind: 'values', values: [25_000], timestampMs: NOW }] }));
    assert.equal(d.desiredReplicas, 3);
    assert.equal(d.rescale, true);
  });

  test('scale to zero: active but a tiny value still wakes to one replica', () => {
    const d = decide(observe({ hpa: hpa({ minReplicas: 0, metrics: [object('100')] }), replicas: 0, pods: [], readings: [{ ok: true, kind: 'object', value: 1, timestampMs: NOW }] }));
    assert.equal(d.desiredReplicas, 1);
  });

  test('scale to zero: every metric at or below activation → proposal 0 (subject to stabilization)', () => {
    const spec = hpa({ minReplicas: 0, metrics: [prometheus({ value: '10', activationValue: '1' })], behavior: { scaleDown: { stabilizationWindowSeconds: 0 } } });
    const d = decide(observe({ hpa: spec, replicas: 3, readings: [{ ok: true, kind: 'values', values: [1000], timestampMs: NOW }] }));
    assert.equal(d.desiredReplicas, 0);
    assert.equal(d.rescaleReason, 'All metrics below activation value');
    assert.equal(condition(d, 'ScaledToZero')?.status, 'True');
    const held = decide(observe({ hpa: hpa({ minReplicas: 0, metrics: [prometheus({ value: '10', activationValue: '1' })] }), replicas: 3, readings: [{ ok: true, kind: 'values', values: [1000], timestampMs: NOW }] }));
    assert.equal(held.rescale, false, 'the default 5 min downscale window holds it');
  });

  test('minReplicas 0 without an activatable metric acts as 1', () => {
    const d = decide(observe({ hpa: hpa({ minReplicas: 0, metrics: [cpu(50)], behavior: { scaleDown: { stabilizationWindowSeconds: 0 } } }), replicas: 2, readings: [cpuReading([0, 0])] }));
    assert.equal(d.desiredReplicas, 1);
  });

  test('HPA scaled to zero, then minReplicas raised → back to minReplicas', () => {
    const status = { desiredReplicas: 0, conditions: [{ type: 'ScaledToZero', status: 'True' as const, reason: 'ScaledToZero', message: '', lastTransitionTime: rfc3339(NOW - 1000) }] };
    const d = decide(observe({ hpa: hpa({ minReplicas: 2, metrics: [external({ value: '10' })] }, status), replicas: 0, pods: [], readings: [{ ok: true, kind: 'values', values: [0], timestampMs: NOW }] }));
    assert.equal(d.desiredReplicas, 2);
    assert.equal(condition(d, 'ScaledToZero')?.status, 'False');
  });

  test('dry run: decided and reported, never scaled', () => {
    const d = decide(observe({ hpa: hpa({ metrics: [cpu(30)], dryRun: true }, { desiredReplicas: 3, lastScaleTime: 'before' }), replicas: 3, readings: [cpuReading([300, 500, 700])] }));
    assert.equal(d.rescale, false);
    assert.equal(d.dryRun, true);
    assert.equal(d.desiredReplicas, 5);
    assert.equal(d.status.desiredReplicas, 5);
    assert.equal(d.status.currentReplicas, 3);
    assert.equal(d.status.lastScaleTime, 'before');
    assert.deepEqual(d.events, [{ type: 'Normal', reason: 'DryRunRescale', message: 'New size: 5; reason: cpu resource utilization (percentage of request) above target (dry run: target not scaled)' }]);
    assert.notEqual(condition(d, 'AbleToScale')?.reason, 'SucceededRescale');
  });
});

describe('metricsNeeded: the reconciler reads metrics only when decide uses them', () => {
  const scaledToZero: HorizontalPodAutoscaler['status'] = {
    desiredReplicas: 0,
    conditions: [{ type: 'ScaledToZero', status: 'True', reason: 'ScaledToZero', message: '', lastTransitionTime: rfc3339(0) }],
  };
  const cases: [string, HorizontalPodAutoscaler, number, boolean][] = [
    ['within limits', hpa({ minReplicas: 1, maxReplicas: 5 }), 3, true],
    ['above maxReplicas: clamped without metrics', hpa({ minReplicas: 1, maxReplicas: 5 }), 6, false],
    ['below minReplicas: raised without metrics', hpa({ minReplicas: 2, maxReplicas: 5 }), 1, false],
    ['at zero, no scale to zero: scaling disabled', hpa({ minReplicas: 1, maxReplicas: 5 }), 0, false],
    ['at zero with scale to zero', hpa({ minReplicas: 0, maxReplicas: 5, metrics: [external({ value: '10' })] }), 0, true],
    ['at zero the HPA put it at, minReplicas raised since', hpa({ minReplicas: 1, maxReplicas: 5 }, scaledToZero), 0, true],
    ['minReplicas 0 without an activatable metric counts as 1', hpa({ minReplicas: 0, maxReplicas: 5, metrics: [cpu(50)] }), 0, false],
  ];
  for (const [name, h, replicas, want] of cases) test(name, () => assert.equal(metricsNeeded(h, replicas), want));
});
