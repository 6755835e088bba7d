// Table tests for src/controllers/autoscaler/replica-calculator.ts, ported from upstream
// pkg/controller/podautoscaler/replica_calculator_test.go (the TestReplicaCalc* cases, TestGroupPods,
// TestCalculateRequests). Upstream's fake clients become pods and readings built the same way: pods
// "test-pod-<i>" with two containers, Ready per podReadiness, metric samples at time 0 with a 1 min window.
import { describe, test } from '@jest/globals';
import assert from 'node:assert/strict';
import type { Pod } from '../../../src/api/core/types.ts';
import { rfc3339 } from '../../../src/runtime/util/time.ts';
import type { PodMetrics } from '../../../src/controllers/autoscaler/readings.ts';
import {
  MAX_INT32,
  calculateRequests,
  getExternalMetricReplicas,
  getExternalPerPodMetricReplicas,
  getMetricReplicas,
  getObjectMetricReplicas,
  getObjectPerPodMetricReplicas,
  getResourceReplicas,
  groupPods,
  isWithinTolerance,
  removeMetricsForPods,
} from '../../../src/controllers/autoscaler/replica-calculator.ts';
import type { Tolerances } from '../../../src/controllers/autoscaler/replica-calculator.ts';

const NOW = Date.UTC(2025, 0, 1, 12, 0, 0);
const options = { cpuInitializationPeriodMs: 2 * 60_000, delayOfInitialReadinessStatusMs: 10_000 }; // upstream's testing values
const defaultTolerances: Tolerances = { scaleDown: 0.1, scaleUp: 0.1 };
const HOT = NOW;
const COOL = NOW - 3 * 60_000;
const ZERO = 0; // Go's zero time, as far as these rules can tell

type Phase = 'Running' | 'Pending' | 'Failed' | 'Succeeded';

interface Case {
  name: string;
  currentReplicas: number;
  expectedReplicas?: number;
  expectedError?: string;
  tolerances?: Tolerances;
  podReadiness?: ('True' | 'False')[];
  podStartTime?: number[];
  podPhase?: Phase[];
  podDeletion?: boolean[];
  container?: string;
  resource?: {
    requests: string[];
    levels: number[][];
    podNames?: string[];
    targetUtilization: number;
    expectedUtilization?: number;
    expectedValue?: number;
  };
  metric?: {
    type: 'object' | 'objectPerPod' | 'external' | 'externalPerPod' | 'pods';
    levels: number[];
    targetUsage?: number;
    perPodTargetUsage?: number;
    expectedUsage?: number;
  };
}

function levels(...perContainer: number[]): number[][] {
  return perContainer.map((v) => [v, v]);
}

function buildPods(tc: Case): Pod[] {
  const count = Math.max(tc.currentReplicas, tc.podPhase?.length ?? 0);
  const pods: Pod[] = [];
  for (let i = 0; i < count; i++) {
    const request = tc.resource?.requests[i];
    const resources = request === undefined ? undefined : { requests: { cpu: request } };
    const pod: Pod = {
      metadata: { name: `test-pod-${i}`, namespace: 'test-namespace', labels: { name: 'test-pod' } },
      spec: { containers: [{ name: 'container1', resources }, { name: 'container2', resources }] },
      status: {
        phase: tc.podPhase?.[i] ?? 'Running',
        startTime: rfc3339(tc.podStartTime?.[i] ?? ZERO),
        conditions: [{ type: 'Ready', status: tc.podReadiness?.[i] ?? 'True' }],
      },
    };
    if (tc.podDeletion?.[i]) pod.metadata.deletionTimestamp = rfc3339(NOW);
    pods.push(pod);
  }
  return pods;
}

function resourceMetrics(tc: Case): PodMetrics {
  const metrics: PodMetrics = new Map();
  tc.resource!.levels.forEach((containers, i) => {
    const name = tc.resource!.podNames?.[i] ?? `test-pod-${i}`;
    let value: number | undefined;
    if (tc.container) {
      value = containers[tc.container === 'container1' ? 0 : 1];
    } else if (containers.length === 2) {
      value = containers.reduce((a, b) => a + b, 0); // a container without usage drops the pod
    }
    if (value !== undefined) metrics.set(name, { value, timestampMs: 0, windowMs: 60_000 });
  });
  return metrics;
}

function run(tc: Case): void {
  const pods = buildPods(tc);
  const tolerances = tc.tolerances ?? defaultTolerances;
  if (tc.resource) {
    const r = getResourceReplicas({
      currentReplicas: tc.currentReplicas,
      pods,
      metrics: resourceMetrics(tc),
      timestampMs: 0,
      tolerances,
      now: NOW,
      options,
      targetUtilization: tc.resource.targetUtilization,
      resource: 'cpu',
      container: tc.container ?? '',
    });
    if (tc.expectedError !== undefined) {
      assert.equal(r.ok, false);
      if (!r.ok) assert.ok(r.error.includes(tc.expectedError), r.error);
      return;
    }
    assert.ok(r.ok, r.ok ? '' : r.error);
    assert.equal(r.replicas, tc.expectedReplicas, 'replicas');
    assert.equal(r.utilization, tc.resource.expectedUtilization, 'utilization');
    assert.equal(r.rawValue, tc.resource.expectedValue, 'raw value');
    return;
  }
  const m = tc.metric!;
  let r;
  switch (m.type) {
    case 'object':
      r = getObjectMetricReplicas({ currentReplicas: tc.currentReplicas, targetUsage: m.targetUsage!, usage: m.levels[0]!, tolerances, pods, timestampMs: 0 });
      break;
    case 'objectPerPod':
      r = getObjectPerPodMetricReplicas({ statusReplicas: tc.currentReplicas, targetAverageUsage: m.perPodTargetUsage!, usage: m.levels[0]!, tolerances, timestampMs: 0 });
      break;
    case 'external':
      r = getExternalMetricReplicas({ currentReplicas: tc.currentReplicas, targetUsage: m.targetUsage!, values: m.levels, tolerances, pods, timestampMs: 0 });
      break;
    case 'externalPerPod':
      r = getExternalPerPodMetricReplicas({ statusReplicas: tc.currentReplicas, targetAverageUsage: m.perPodTargetUsage!, values: m.levels, tolerances, timestampMs: 0 });
      break;
    case 'pods': {
      const metrics: PodMetrics = new Map(m.levels.map((v, i) => [`test-pod-${i}`, { value: v, timestampMs: 0, windowMs: 60_000 }]));
      r = getMetricReplicas({ currentReplicas: tc.currentReplicas, pods, metrics, timestampMs: 0, tolerances, now: NOW, options, targetUsage: m.targetUsage!, metricName: 'qps' });
      break;
    }
  }
  if (tc.expectedError !== undefined) {
    assert.equal(r.ok, false);
    if (!r.ok) assert.ok(r.error.includes(tc.expectedError), r.error);
    return;
  }
  assert.ok(r.ok, r.ok ? '' : r.error);
  assert.equal(r.replicas, tc.expectedReplicas, 'replicas');
  if (m.expectedUsage !== undefined) assert.equal(r.usage, m.expectedUsage, 'usage');
}

const ones = (n: number) => Array.from({ length: n }, () => '1.0');

const cases: Case[] = [
  { name: 'DisjointResourcesMetrics', currentReplicas: 1, expectedError: 'no metrics returned matched known pods', resource: { requests: ['1.0'], levels: levels(100), podNames: ['an-older-pod-name'], targetUtilization: 100 } },
  { name: 'ScaleUp', currentReplicas: 3, expectedReplicas: 5, resource: { requests: ones(3), levels: levels(300, 500, 700), targetUtilization: 30, expectedUtilization: 50, expectedValue: 1000 } },
  { name: 'ContainerScaleUp', currentReplicas: 3, expectedReplicas: 5, container: 'container2', resource: { requests: ones(3), levels: [[1000, 300], [1000, 500], [1000, 700]], targetUtilization: 30, expectedUtilization: 50, expectedValue: 500 } },
  { name: 'ScaleUpUnreadyLessScale', currentReplicas: 3, expectedReplicas: 4, podReadiness: ['False', 'True', 'True'], resource: { requests: ones(3), levels: levels(300, 500, 700), targetUtilization: 30, expectedUtilization: 60, expectedValue: 1200 } },
  { name: 'ScaleUpContainerHotCpuLessScale', currentReplicas: 3, expectedReplicas: 4, podStartTime: [HOT, COOL, COOL], container: 'container2', resource: { requests: ones(3), levels: [[0, 300], [0, 500], [0, 700]], targetUtilization: 30, expectedUtilization: 60, expectedValue: 600 } },
  { name: 'ScaleUpHotCpuLessScale', currentReplicas: 3, expectedReplicas: 4, podStartTime: [HOT, COOL, COOL], resource: { requests: ones(3), levels: levels(300, 500, 700), targetUtilization: 30, expectedUtilization: 60, expectedValue: 1200 } },
  { name: 'ScaleUpUnreadyNoScale', currentReplicas: 3, expectedReplicas: 3, podReadiness: ['True', 'False', 'False'], resource: { requests: ones(3), levels: levels(400, 500, 700), targetUtilization: 30, expectedUtilization: 40, expectedValue: 800 } },
  { name: 'ScaleHotCpuNoScale', currentReplicas: 3, expectedReplicas: 3, podReadiness: ['True', 'False', 'False'], podStartTime: [COOL, HOT, HOT], resource: { requests: ones(3), levels: levels(400, 500, 700), targetUtilization: 30, expectedUtilization: 40, expectedValue: 800 } },
  { name: 'ScaleUpIgnoresFailedPods', currentReplicas: 2, expectedReplicas: 4, podReadiness: ['True', 'True', 'False', 'False'], podPhase: ['Running', 'Running', 'Failed', 'Failed'], resource: { requests: ones(4), levels: levels(500, 700), targetUtilization: 30, expectedUtilization: 60, expectedValue: 1200 } },
  { name: 'MissingContainerMetricScaleUpIgnoresFailedPods', currentReplicas: 2, expectedReplicas: 4, podReadiness: ['True', 'True', 'False', 'False'], podPhase: ['Running', 'Running', 'Failed', 'Failed'], container: 'container2', resource: { requests: ones(4), levels: [[1000, 500], [9000, 700], [1000], [9000]], targetUtilization: 30, expectedUtilization: 60, expectedValue: 600 } },
  { name: 'ScaleUpContainerIgnoresFailedPods', currentReplicas: 2, expectedReplicas: 4, podReadiness: ['True', 'True', 'False', 'False'], podPhase: ['Running', 'Running', 'Failed', 'Failed'], container: 'container2', resource: { requests: ones(4), levels: [[1000, 500], [9000, 700]], targetUtilization: 30, expectedUtilization: 60, expectedValue: 600 } },
  { name: 'ScaleUpIgnoresDeletionPods', currentReplicas: 2, expectedReplicas: 4, podReadiness: ['True', 'True', 'False', 'False'], podPhase: ['Running', 'Running', 'Running', 'Running'], podDeletion: [false, false, true, true], resource: { requests: ones(4), levels: levels(500, 700), targetUtilization: 30, expectedUtilization: 60, expectedValue: 1200 } },
  { name: 'ScaleUpContainerIgnoresDeletionPods', currentReplicas: 2, expectedReplicas: 4, podReadiness: ['True', 'True', 'False', 'False'], podPhase: ['Running', 'Running', 'Running', 'Running'], podDeletion: [false, false, true, true], container: 'container1', resource: { requests: ones(4), levels: levels(500, 700), targetUtilization: 30, expectedUtilization: 60, expectedValue: 600 } },
  { name: 'ScaleUpCM', currentReplicas: 3, expectedReplicas: 4, metric: { type: 'pods', levels: [20000, 10000, 30000], targetUsage: 15000, expectedUsage: 20000 } },
  { name: 'ScaleUpCMUnreadyHotCpuNoLessScale', currentReplicas: 3, expectedReplicas: 6, podReadiness: ['True', 'True', 'False'], podStartTime: [COOL, COOL, HOT], metric: { type: 'pods', levels: [50000, 10000, 30000], targetUsage: 15000, expectedUsage: 30000 } },
  { name: 'ScaleUpCMUnreadyHotCpuScaleWouldScaleDown', currentReplicas: 3, expectedReplicas: 7, podReadiness: ['False', 'True', 'False'], podStartTime: [HOT, COOL, HOT], metric: { type: 'pods', levels: [50000, 15000, 30000], targetUsage: 15000, expectedUsage: 31666 } },
  { name: 'ScaleUpCMObject', currentReplicas: 3, expectedReplicas: 4, metric: { type: 'object', levels: [20000], targetUsage: 15000, expectedUsage: 20000 } },
  { name: 'ScaleUpCMPerPodObject', currentReplicas: 3, expectedReplicas: 4, metric: { type: 'objectPerPod', levels: [20000], perPodTargetUsage: 5000, expectedUsage: 6667 } },
  { name: 'ScaleUpCMObjectIgnoresUnreadyPods', currentReplicas: 3, expectedReplicas: 5, podReadiness: ['False', 'True', 'False'], metric: { type: 'object', levels: [50000], targetUsage: 10000, expectedUsage: 50000 } },
  { name: 'ScaleUpCMExternal (pods metric)', currentReplicas: 1, expectedReplicas: 2, metric: { type: 'pods', levels: [8600], targetUsage: 4400, expectedUsage: 8600 } },
  { name: 'ScaleUpCMExternalIgnoresUnreadyPods', currentReplicas: 3, expectedReplicas: 2, podReadiness: ['False', 'True', 'False'], metric: { type: 'external', levels: [8600], targetUsage: 4400, expectedUsage: 8600 } },
  { name: 'ScaleUpCMExternalNoLabels', currentReplicas: 1, expectedReplicas: 2, metric: { type: 'pods', levels: [8600], targetUsage: 4400, expectedUsage: 8600 } },
  { name: 'ScaleUpPerPodCMExternal', currentReplicas: 3, expectedReplicas: 4, metric: { type: 'externalPerPod', levels: [8600], perPodTargetUsage: 2150, expectedUsage: 2867 } },
  { name: 'ScaleDown', currentReplicas: 5, expectedReplicas: 3, resource: { requests: ones(5), levels: levels(100, 300, 500, 250, 250), targetUtilization: 50, expectedUtilization: 28, expectedValue: 560 } },
  { name: 'ContainerScaleDown', currentReplicas: 5, expectedReplicas: 3, container: 'container2', resource: { requests: ones(5), levels: [[1000, 100], [1000, 300], [1000, 500], [1000, 250], [1000, 250]], targetUtilization: 50, expectedUtilization: 28, expectedValue: 280 } },
  { name: 'ScaleDownCM', currentReplicas: 5, expectedReplicas: 3, metric: { type: 'pods', levels: [12000, 12000, 12000, 12000, 12000], targetUsage: 20000, expectedUsage: 12000 } },
  { name: 'ScaleDownPerPodCMObject', currentReplicas: 5, expectedReplicas: 3, metric: { type: 'objectPerPod', levels: [6000], perPodTargetUsage: 2000, expectedUsage: 1200 } },
  { name: 'ScaleDownCMObject', currentReplicas: 5, expectedReplicas: 3, metric: { type: 'object', levels: [12000], targetUsage: 20000, expectedUsage: 12000 } },
  { name: 'ScaleDownCMExternal', currentReplicas: 5, expectedReplicas: 3, metric: { type: 'external', levels: [8600], targetUsage: 14334, expectedUsage: 8600 } },
  { name: 'ScaleDownPerPodCMExternal', currentReplicas: 5, expectedReplicas: 3, metric: { type: 'externalPerPod', levels: [8600], perPodTargetUsage: 2867, expectedUsage: 1720 } },
  { name: 'ScaleDownExcludeUnreadyPods', currentReplicas: 5, expectedReplicas: 2, podReadiness: ['True', 'True', 'True', 'False', 'False'], resource: { requests: ones(5), levels: levels(100, 300, 500, 250, 250), targetUtilization: 50, expectedUtilization: 30, expectedValue: 600 } },
  { name: 'ScaleDownContainerExcludeUnreadyPods', currentReplicas: 5, expectedReplicas: 2, podReadiness: ['True', 'True', 'True', 'False', 'False'], container: 'container2', resource: { requests: ones(5), levels: [[1000, 100], [1000, 300], [1000, 500], [1000, 250], [1000, 250]], targetUtilization: 50, expectedUtilization: 30, expectedValue: 300 } },
  { name: 'ScaleDownExcludeUnscheduledPods', currentReplicas: 5, expectedReplicas: 1, podReadiness: ['True', 'False', 'False', 'False', 'False'], podPhase: ['Running', 'Pending', 'Pending', 'Pending', 'Pending'], resource: { requests: ones(5), levels: levels(100), targetUtilization: 50, expectedUtilization: 10, expectedValue: 200 } },
  { name: 'ScaleDownContainerExcludeUnscheduledPods', currentReplicas: 5, expectedReplicas: 1, podReadiness: ['True', 'False', 'False', 'False', 'False'], podPhase: ['Running', 'Pending', 'Pending', 'Pending', 'Pending'], container: 'container2', resource: { requests: ones(5), levels: [[1000, 100], [1000, 300], [1000, 500], [1000, 250], [1000, 250]], targetUtilization: 50, expectedUtilization: 10, expectedValue: 100 } },
  { name: 'ScaleDownIgnoreHotCpuPods', currentReplicas: 5, expectedReplicas: 2, podStartTime: [COOL, COOL, COOL, HOT, HOT], resource: { requests: ones(5), levels: levels(100, 300, 500, 250, 250), targetUtilization: 50, expectedUtilization: 30, expectedValue: 600 } },
  { name: 'ScaleDownContainerIgnoreHotCpuPods', currentReplicas: 5, expectedReplicas: 2, podStartTime: [COOL, COOL, COOL, HOT, HOT], container: 'container2', resource: { requests: ones(5), levels: [[1000, 100], [1000, 300], [1000, 500], [1000, 1000], [1000, 1000]], targetUtilization: 50, expectedUtilization: 30, expectedValue: 300 } },
  { name: 'ScaleDownIgnoresFailedPods', currentReplicas: 5, expectedReplicas: 3, podReadiness: ['True', 'True', 'True', 'True', 'True', 'False', 'False'], podPhase: ['Running', 'Running', 'Running', 'Running', 'Running', 'Failed', 'Failed'], resource: { requests: ones(7), levels: levels(100, 300, 500, 250, 250), targetUtilization: 50, expectedUtilization: 28, expectedValue: 560 } },
  { name: 'ScaleDownContainerIgnoresFailedPods', currentReplicas: 5, expectedReplicas: 3, podReadiness: ['True', 'True', 'True', 'True', 'True', 'False', 'False'], podPhase: ['Running', 'Running', 'Running', 'Running', 'Running', 'Failed', 'Failed'], container: 'container2', resource: { requests: ones(7), levels: [[1000, 100], [1000, 300], [1000, 500], [1000, 250], [1000, 250]], targetUtilization: 50, expectedUtilization: 28, expectedValue: 280 } },
  { name: 'ScaleDownIgnoresDeletionPods', currentReplicas: 5, expectedReplicas: 3, podReadiness: ['True', 'True', 'True', 'True', 'True', 'False', 'False'], podPhase: Array(7).fill('Running') as Phase[], podDeletion: [false, false, false, false, false, true, true], resource: { requests: ones(7), levels: levels(100, 300, 500, 250, 250), targetUtilization: 50, expectedUtilization: 28, expectedValue: 560 } },
  { name: 'ScaleDownIgnoresDeletionPods_StillRunning', currentReplicas: 5, expectedReplicas: 3, podReadiness: ['True', 'True', 'True', 'True', 'True', 'False', 'False'], podPhase: Array(7).fill('Running') as Phase[], podDeletion: [false, false, false, false, false, true, true], container: 'container2', resource: { requests: ones(7), levels: [[1000, 100], [1000, 300], [1000, 500], [1000, 250], [1000, 250]], targetUtilization: 50, expectedUtilization: 28, expectedValue: 280 } },
  { name: 'Tolerance', currentReplicas: 3, expectedReplicas: 3, resource: { requests: ['0.9', '1.0', '1.1'], levels: levels(1010, 1030, 1020), targetUtilization: 100, expectedUtilization: 102, expectedValue: 2040 } },
  { name: 'ToleranceCM', currentReplicas: 3, expectedReplicas: 3, metric: { type: 'pods', levels: [20000, 21000, 21000], targetUsage: 20000, expectedUsage: 20666 } },
  { name: 'ToleranceCMObject', currentReplicas: 3, expectedReplicas: 3, metric: { type: 'object', levels: [20666], targetUsage: 20000, expectedUsage: 20666 } },
  { name: 'TolerancePerPodCMObject', currentReplicas: 4, expectedReplicas: 4, metric: { type: 'objectPerPod', levels: [20166], perPodTargetUsage: 5000, expectedUsage: 5042 } },
  { name: 'ToleranceCMExternal', currentReplicas: 3, expectedReplicas: 3, metric: { type: 'external', levels: [8600], targetUsage: 8888, expectedUsage: 8600 } },
  { name: 'TolerancePerPodCMExternal', currentReplicas: 3, expectedReplicas: 3, metric: { type: 'externalPerPod', levels: [8600], perPodTargetUsage: 2900, expectedUsage: 2867 } },
  { name: 'ConfigurableTolerance: outside of a 0% tolerance', tolerances: { scaleDown: 0, scaleUp: 0 }, currentReplicas: 3, expectedReplicas: 4, resource: { requests: ['0.9', '1.0', '1.1'], levels: levels(909, 1010, 1111), targetUtilization: 100, expectedUtilization: 101, expectedValue: 2020 } },
  { name: 'ConfigurableTolerance: within a 200% scale-up tolerance', tolerances: { scaleDown: 0.1, scaleUp: 2 }, currentReplicas: 3, expectedReplicas: 3, resource: { requests: ['0.9', '1.0', '1.1'], levels: levels(1890, 1910, 1900), targetUtilization: 100, expectedUtilization: 190, expectedValue: 3800 } },
  { name: 'ConfigurableTolerance: outside 8% scale-up tolerance', tolerances: { scaleDown: 2, scaleUp: 0.08 }, currentReplicas: 3, expectedReplicas: 4, resource: { requests: ['0.9', '1.0', '1.1'], levels: levels(1100, 1080, 1090), targetUtilization: 100, expectedUtilization: 109, expectedValue: 2180 } },
  { name: 'ConfigurableTolerance: within a 36% scale-down tolerance', tolerances: { scaleDown: 0.36, scaleUp: 0.1 }, currentReplicas: 3, expectedReplicas: 3, resource: { requests: ['0.9', '1.0', '1.1'], levels: levels(660, 640, 650), targetUtilization: 100, expectedUtilization: 65, expectedValue: 1300 } },
  { name: 'ConfigurableTolerance: outside a 34% scale-down tolerance', tolerances: { scaleDown: 0.34, scaleUp: 0.1 }, currentReplicas: 3, expectedReplicas: 2, resource: { requests: ['0.9', '1.0', '1.1'], levels: levels(660, 640, 650), targetUtilization: 100, expectedUtilization: 65, expectedValue: 1300 } },
  { name: 'ConfigurableToleranceCM', tolerances: { scaleDown: 0.1, scaleUp: 0.01 }, currentReplicas: 3, expectedReplicas: 4, metric: { type: 'pods', levels: [20000, 21000, 21000], targetUsage: 20000, expectedUsage: 20666 } },
  { name: 'ConfigurableToleranceCMObject', tolerances: { scaleDown: 0.1, scaleUp: 0.01 }, currentReplicas: 3, expectedReplicas: 4, metric: { type: 'object', levels: [20666], targetUsage: 20000, expectedUsage: 20666 } },
  { name: 'ConfigurableTolerancePerPodCMObject', tolerances: { scaleDown: 0.1, scaleUp: 0.01 }, currentReplicas: 4, expectedReplicas: 5, metric: { type: 'objectPerPod', levels: [20208], perPodTargetUsage: 5000, expectedUsage: 5052 } },
  { name: 'ConfigurableToleranceCMExternal', tolerances: { scaleDown: 0.1, scaleUp: 0.01 }, currentReplicas: 3, expectedReplicas: 4, metric: { type: 'external', levels: [8900], targetUsage: 8800, expectedUsage: 8900 } },
  { name: 'ConfigurableTolerancePerPodCMExternal', tolerances: { scaleDown: 0.1, scaleUp: 0.01 }, currentReplicas: 3, expectedReplicas: 4, metric: { type: 'externalPerPod', levels: [8600], perPodTargetUsage: 2800, expectedUsage: 2867 } },
  { name: 'SuperfluousMetrics', currentReplicas: 4, expectedReplicas: 24, resource: { requests: ones(4), levels: levels(4000, 9500, 3000, 7000, 3200, 2000), targetUtilization: 100, expectedUtilization: 587, expectedValue: 11750 } },
  { name: 'MissingMetrics', currentReplicas: 4, expectedReplicas: 3, resource: { requests: ones(4), levels: levels(400, 95), targetUtilization: 100, expectedUtilization: 24, expectedValue: 495 } },
  { name: 'EmptyMetrics', currentReplicas: 4, expectedError: 'unable to get metrics for resource cpu: no metrics returned from resource metrics API', resource: { requests: ones(3), levels: [], targetUtilization: 100 } },
  { name: 'EmptyCPURequest', currentReplicas: 1, expectedError: 'missing request for', resource: { requests: [], levels: levels(200), targetUtilization: 100 } },
  { name: 'PlainMetricMissingMetricsNoChangeEq', currentReplicas: 5, expectedReplicas: 5, metric: { type: 'pods', levels: [20000, 19000, 21000], targetUsage: 20000, expectedUsage: 20000 } },
  { name: 'MissingMetricsNoChangeEq', currentReplicas: 2, expectedReplicas: 2, resource: { requests: ones(2), levels: levels(1000), targetUtilization: 100, expectedUtilization: 100, expectedValue: 2000 } },
  { name: 'MissingMetricsNoChangeGt', currentReplicas: 2, expectedReplicas: 2, resource: { requests: ones(2), levels: levels(1900), targetUtilization: 100, expectedUtilization: 190, expectedValue: 3800 } },
  { name: 'MissingMetricsNoChangeLt', currentReplicas: 2, expectedReplicas: 2, resource: { requests: ones(2), levels: levels(600), targetUtilization: 100, expectedUtilization: 60, expectedValue: 1200 } },
  { name: 'MissingMetricsUnreadyChange', currentReplicas: 3, expectedReplicas: 3, podReadiness: ['False', 'True', 'True'], resource: { requests: ones(3), levels: levels(100, 450), targetUtilization: 50, expectedUtilization: 45, expectedValue: 900 } },
  { name: 'MissingMetricsHotCpuNoChange', currentReplicas: 3, expectedReplicas: 3, podStartTime: [HOT, COOL, COOL], resource: { requests: ones(3), levels: levels(100, 450), targetUtilization: 50, expectedUtilization: 45, expectedValue: 900 } },
  { name: 'MissingMetricsUnreadyScaleUp', currentReplicas: 3, expectedReplicas: 4, podReadiness: ['False', 'True', 'True'], resource: { requests: ones(3), levels: levels(100, 2000), targetUtilization: 50, expectedUtilization: 200, expectedValue: 4000 } },
  { name: 'MissingMetricsHotCpuScaleUp', currentReplicas: 3, expectedReplicas: 4, podReadiness: ['False', 'True', 'True'], podStartTime: [HOT, COOL, COOL], resource: { requests: ones(3), levels: levels(100, 2000), targetUtilization: 50, expectedUtilization: 200, expectedValue: 4000 } },
  { name: 'MissingMetricsUnreadyScaleDown', currentReplicas: 4, expectedReplicas: 3, podReadiness: ['False', 'True', 'True', 'True'], resource: { requests: ones(4), levels: levels(100, 100, 100), targetUtilization: 50, expectedUtilization: 10, expectedValue: 200 } },
  { name: 'MissingMetricsScaleDownTargetOver100', currentReplicas: 4, expectedReplicas: 2, podReadiness: ['False', 'True', 'True', 'True'], resource: { requests: ['1.0', '1.0', '2.0', '2.0'], levels: levels(200, 100, 100), targetUtilization: 300, expectedUtilization: 6, expectedValue: 200 } },
  { name: 'DuringRollingUpdateWithMaxSurge', currentReplicas: 2, expectedReplicas: 2, podPhase: ['Running', 'Running', 'Running'], resource: { requests: ones(3), levels: levels(100, 100), targetUtilization: 50, expectedUtilization: 10, expectedValue: 200 } },
  { name: 'DuringRollingUpdateWithMaxSurgeCM', currentReplicas: 2, expectedReplicas: 2, podPhase: ['Running', 'Running', 'Running'], metric: { type: 'pods', levels: [10000, 10000], targetUsage: 17000, expectedUsage: 10000 } },
  { name: 'ExternalPerPodMetricReplicaOverflow', currentReplicas: 1, expectedReplicas: MAX_INT32, metric: { type: 'externalPerPod', levels: [9.2e18], perPodTargetUsage: 1 } },
  { name: 'ObjectMetricReplicaOverflow', currentReplicas: 1, expectedReplicas: MAX_INT32, metric: { type: 'object', levels: [9.2e18], targetUsage: 1 } },
  // Beyond the upstream file: the from-zero branch of getUsageRatioReplicaCount.
  { name: 'object from zero ignores tolerance', currentReplicas: 0, expectedReplicas: 2, metric: { type: 'object', levels: [10500], targetUsage: 10000, expectedUsage: 10500 } },
  { name: 'object from zero stays zero at zero usage', currentReplicas: 0, expectedReplicas: 0, metric: { type: 'object', levels: [0], targetUsage: 10000, expectedUsage: 0 } },
  { name: 'external from zero', currentReplicas: 0, expectedReplicas: 3, metric: { type: 'external', levels: [100, 200], targetUsage: 120, expectedUsage: 300 } },
];

describe('replica calculator (upstream TestReplicaCalc*)', () => {
  for (const tc of cases) {
    test(tc.name, () => run(tc));
  }

  test('external without pods fails (no pods at all)', () => {
    const r = getExternalMetricReplicas({ currentReplicas: 3, targetUsage: 10, values: [100], tolerances: defaultTolerances, pods: [], timestampMs: 0 });
    assert.deepEqual(r, { ok: false, error: 'unable to calculate ready pods: no pods returned by selector while calculating replica count' });
  });

  test('pods metric without pods fails', () => {
    const metrics: PodMetrics = new Map([['a', { value: 1, timestampMs: 0, windowMs: 1 }]]);
    const r = getMetricReplicas({ currentReplicas: 1, pods: [], metrics, timestampMs: 0, tolerances: defaultTolerances, now: NOW, options, targetUsage: 1, metricName: 'qps' });
    assert.deepEqual(r, { ok: false, error: 'no pods returned by selector while calculating replica count' });
  });

  test('all pods unready: did not receive metrics', () => {
    run({ name: '', currentReplicas: 2, podReadiness: ['False', 'False'], expectedError: 'did not receive metrics for targeted pods (pods might be unready)', resource: { requests: ones(2), levels: levels(100, 100), targetUtilization: 50 } });
  });

  test('ComputedToleranceAlgImplementation', () => {
    const startPods = 10;
    const totalUsed = startPods * 150;
    const totalRequested = 2 * totalUsed;
    const requestedToUsed = Math.trunc(totalRequested / totalUsed);
    const perPodRequested = totalRequested / startPods;
    let target = Math.abs(1 / (requestedToUsed * (1 - 0.1))) + 0.01;
    const usedRatio = totalUsed / (totalRequested * target);
    const finalPods = Math.ceil(usedRatio * startPods);
    const deltas = [100, -100, 10, -10, 2, -2, 1, -1, 0, 0];
    const tc: Case = {
      name: '',
      currentReplicas: startPods,
      expectedReplicas: finalPods,
      resource: {
        levels: levels(...Array<number>(10).fill(totalUsed / 10)),
        requests: deltas.map((d) => `${perPodRequested + d}m`),
        targetUtilization: Math.trunc(target * 100),
        expectedUtilization: Math.trunc((totalUsed * 100) / totalRequested),
        expectedValue: (2 * totalUsed) / 10,
      },
    };
    run(tc);
    target = Math.abs(1 / (requestedToUsed * (1 - 0.1))) + 0.004;
    tc.resource!.targetUtilization = Math.trunc(target * 100);
    tc.expectedReplicas = startPods;
    run(tc);
  });
});

describe('isWithinTolerance', () => {
  const table: [Tolerances, number, boolean][] = [
    [defaultTolerances, 1.0, true],
    [defaultTolerances, 0.9, true],
    [defaultTolerances, 1.1, true],
    [defaultTolerances, 1.11, false],
    [defaultTolerances, 0.89, false],
    [{ scaleDown: 0, scaleUp: 0 }, 1.0, true],
    [{ scaleDown: 0, scaleUp: 0 }, 1.001, false],
    [{ scaleDown: 0.5, scaleUp: 0 }, 0.5, true],
    [defaultTolerances, Number.NaN, false],
    [defaultTolerances, Number.POSITIVE_INFINITY, false],
  ];
  for (const [t, ratio, want] of table) {
    test(`${JSON.stringify(t)} ratio ${ratio} → ${want}`, () => assert.equal(isWithinTolerance(t, ratio), want));
  }
});

function groupPod(name: string, opts: { phase?: Phase; start?: number; ready?: { status: 'True' | 'False'; at: number }; deleted?: boolean }): Pod {
  const pod: Pod = { metadata: { name }, spec: { containers: [] }, status: { phase: opts.phase ?? 'Succeeded' } };
  if (opts.start !== undefined) pod.status!.startTime = rfc3339(opts.start);
  if (opts.ready) pod.status!.conditions = [{ type: 'Ready', status: opts.ready.status, lastTransitionTime: rfc3339(opts.ready.at) }];
  if (opts.deleted) pod.metadata.deletionTimestamp = rfc3339(1000);
  return pod;
}

describe('groupPods (upstream TestGroupPods)', () => {
  const minute = 60_000;
  const sample = (timestampMs = 0, windowMs = 0) => ({ value: 1, timestampMs, windowMs });
  const table: { name: string; pods: Pod[]; metrics: [string, ReturnType<typeof sample>][]; resource: string; ready: number; unready: string[]; missing: string[]; ignored: string[] }[] = [
    { name: 'void', pods: [], metrics: [], resource: 'cpu', ready: 0, unready: [], missing: [], ignored: [] },
    { name: 'count in a ready pod - memory', pods: [groupPod('bentham', {})], metrics: [['bentham', sample(NOW, minute)]], resource: 'memory', ready: 1, unready: [], missing: [], ignored: [] },
    { name: 'unready a pod without ready condition - CPU', pods: [groupPod('lucretius', { start: NOW })], metrics: [['lucretius', sample()]], resource: 'cpu', ready: 0, unready: ['lucretius'], missing: [], ignored: [] },
    { name: 'count in a ready pod with fresh metrics during initialization period - CPU', pods: [groupPod('bentham', { start: NOW - minute, ready: { status: 'True', at: NOW - 30_000 } })], metrics: [['bentham', sample(NOW, 30_000)]], resource: 'cpu', ready: 1, unready: [], missing: [], ignored: [] },
    { name: 'unready a ready pod without fresh metrics during initialization period - CPU', pods: [groupPod('bentham', { start: NOW - minute, ready: { status: 'True', at: NOW - 30_000 } })], metrics: [['bentham', sample(NOW, minute)]], resource: 'cpu', ready: 0, unready: ['bentham'], missing: [], ignored: [] },
    { name: 'unready an unready pod during initialization period - CPU', pods: [groupPod('lucretius', { start: NOW - 10 * minute, ready: { status: 'False', at: NOW - 9 * minute - 54_000 } })], metrics: [['lucretius', sample()]], resource: 'cpu', ready: 0, unready: ['lucretius'], missing: [], ignored: [] },
    { name: 'count in a ready pod without fresh metrics after initialization period - CPU', pods: [groupPod('bentham', { start: NOW - 3 * minute, ready: { status: 'True', at: NOW - 3 * minute } })], metrics: [['bentham', sample(NOW - 2 * minute, minute)]], resource: 'cpu', ready: 1, unready: [], missing: [], ignored: [] },
    { name: 'count in an unready pod that was ready after initialization period - CPU', pods: [groupPod('lucretius', { start: NOW - 10 * minute, ready: { status: 'False', at: NOW - 9 * minute } })], metrics: [['lucretius', sample()]], resource: 'cpu', ready: 1, unready: [], missing: [], ignored: [] },
    { name: 'unready pod that has never been ready after initialization period - CPU', pods: [groupPod('lucretius', { start: NOW - 10 * minute, ready: { status: 'False', at: NOW - 9 * minute - 50_000 } })], metrics: [['lucretius', sample()]], resource: 'cpu', ready: 1, unready: [], missing: [], ignored: [] },
    { name: 'a missing pod', pods: [groupPod('epicurus', { start: NOW - 3 * minute })], metrics: [], resource: 'cpu', ready: 0, unready: [], missing: ['epicurus'], ignored: [] },
    {
      name: 'several pods',
      pods: [groupPod('lucretius', { start: NOW }), groupPod('niccolo', { start: NOW - 3 * minute, ready: { status: 'True', at: NOW - 3 * minute } }), groupPod('epicurus', { start: NOW - 3 * minute })],
      metrics: [['lucretius', sample()], ['niccolo', sample()]],
      resource: 'cpu',
      ready: 1,
      unready: ['lucretius'],
      missing: ['epicurus'],
      ignored: [],
    },
    { name: 'pending pods are unreadied', pods: [groupPod('unscheduled', { phase: 'Pending' })], metrics: [], resource: 'cpu', ready: 0, unready: ['unscheduled'], missing: [], ignored: [] },
    { name: 'ignore pods with deletion timestamps', pods: [groupPod('deleted', { phase: 'Pending', deleted: true })], metrics: [['deleted', sample()]], resource: 'cpu', ready: 0, unready: [], missing: [], ignored: ['deleted'] },
    { name: 'ignore pods in a failed state', pods: [groupPod('failed', { phase: 'Failed' })], metrics: [['failed', sample()]], resource: 'cpu', ready: 0, unready: [], missing: [], ignored: ['failed'] },
    { name: 'non-CPU metrics skip the readiness rules', pods: [groupPod('p', { start: NOW, ready: { status: 'False', at: NOW } })], metrics: [['p', sample()]], resource: '', ready: 1, unready: [], missing: [], ignored: [] },
  ];
  for (const tc of table) {
    test(tc.name, () => {
      const g = groupPods(tc.pods, new Map(tc.metrics), tc.resource, NOW, options);
      assert.equal(g.readyPodCount, tc.ready);
      assert.deepEqual([...g.unreadyPods].sort(), tc.unready);
      assert.deepEqual([...g.missingPods].sort(), tc.missing);
      assert.deepEqual([...g.ignoredPods].sort(), tc.ignored);
    });
  }
});

test('removeMetricsForPods returns a copy without the pods', () => {
  const metrics: PodMetrics = new Map([
    ['a', { value: 1, timestampMs: 0, windowMs: 0 }],
    ['b', { value: 2, timestampMs: 0, windowMs: 0 }],
  ]);
  const result = removeMetricsForPods(metrics, new Set(['a', 'zz']));
  assert.deepEqual([...result.keys()], ['b']);
  assert.equal(metrics.size, 2);
});

describe('calculateRequests (upstream TestCalculateRequests)', () => {
  const c = (name: string, cpu?: string, restartPolicy?: string) => ({ name, resources: cpu === undefined ? {} : { requests: { cpu } }, ...(restartPolicy ? { restartPolicy } : {}) });
  const pod = (spec: Record<string, unknown>): Pod => ({ metadata: { name: 'p' }, spec: { containers: [], ...spec } });
  const table: { name: string; pod: Pod; container: string; want?: number; error?: string }[] = [
    { name: 'sum of containers', pod: pod({ containers: [c('a', '100m'), c('b', '200m')] }), container: '', want: 300 },
    { name: 'one container', pod: pod({ containers: [c('a', '100m'), c('b', '200m')] }), container: 'b', want: 200 },
    { name: 'restartable init containers count', pod: pod({ containers: [c('a', '100m')], initContainers: [c('sidecar', '50m', 'Always'), c('init', '1')] }), container: '', want: 150 },
    { name: 'a named sidecar', pod: pod({ containers: [c('a', '100m')], initContainers: [c('sidecar', '50m', 'Always')] }), container: 'sidecar', want: 50 },
    { name: 'missing request', pod: pod({ containers: [c('a', '100m'), c('b')] }), container: '', error: 'missing request for cpu in container b of Pod p' },
    { name: 'missing request of an unselected container is fine', pod: pod({ containers: [c('a', '100m'), c('b')] }), container: 'a', want: 100 },
    { name: 'container not found', pod: pod({ containers: [c('a', '100m')] }), container: 'nope', error: 'container nope not found in Pod p' },
    { name: 'pod-level requests win', pod: pod({ containers: [c('a', '100m')], resources: { requests: { cpu: '2' } } }), container: '', want: 2000 },
    { name: 'a container name beats pod-level requests', pod: pod({ containers: [c('a', '100m')], resources: { requests: { cpu: '2' } } }), container: 'a', want: 100 },
    { name: 'pod-level memory only: cpu from containers', pod: pod({ containers: [c('a', '100m'), c('b', '300m')], resources: { requests: { memory: '1Gi' } } }), container: '', want: 400 },
    { name: 'pod-level set, resource nowhere', pod: pod({ containers: [c('a')], resources: { requests: { memory: '1Gi' } } }), container: '', error: 'missing pod-level request for cpu in Pod p' },
    { name: 'pod-level with overhead', pod: pod({ containers: [c('a')], resources: { requests: { cpu: '1' } }, overhead: { cpu: '250m' } }), container: '', want: 1250 },
  ];
  for (const tc of table) {
    test(tc.name, () => {
      const r = calculateRequests([tc.pod], tc.container, 'cpu');
      if (tc.error !== undefined) assert.deepEqual(r, { ok: false, error: tc.error });
      else assert.deepEqual(r, { ok: true, requests: new Map([['p', tc.want]]) });
    });
  }
});
