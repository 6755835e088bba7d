// The TARGETS column reads as kubectl prints autoscaling/v2 (cases from upstream's printers_test.go).
import assert from 'node:assert/strict';
import { describe, test } from '@jest/globals';
import type { MetricSpec, MetricStatus } from '../../../src/api/autoscaling/types.ts';
import { formatTargets } from '../../../src/controllers/autoscaler/printer.ts';

const cpu = (averageUtilization?: number, averageValue?: string): MetricSpec => ({
  type: 'Resource',
  resource: {
    name: 'cpu',
    target: averageValue ? { type: 'AverageValue', averageValue } : { type: 'Utilization', ...(averageUtilization ? { averageUtilization } : {}) },
  },
});

describe('formatTargets', () => {
  const cases: [string, MetricSpec[], MetricStatus[], string][] = [
    ['no metrics', [], [], '<none>'],
    ['utilization, no status yet', [cpu(50)], [], 'cpu: <unknown>/50%'],
    ['utilization', [cpu(50)], [{ type: 'Resource', resource: { name: 'cpu', current: { averageUtilization: 20, averageValue: '40m' } } }], 'cpu: 20%/50%'],
    ['average value', [cpu(undefined, '100m')], [{ type: 'Resource', resource: { name: 'cpu', current: { averageValue: '50m' } } }], 'cpu: 50m/100m'],
    [
      'pods metric',
      [{ type: 'Pods', pods: { metric: { name: 'qps' }, target: { type: 'AverageValue', averageValue: '10' } } }],
      [{ type: 'Pods', pods: { metric: { name: 'qps' }, current: { averageValue: '2500m' } } }],
      '2500m/10',
    ],
    [
      'external value and object average',
      [
        { type: 'External', external: { metric: { name: 'queue' }, target: { type: 'Value', value: '30' } } },
        {
          type: 'Object',
          object: { describedObject: { apiVersion: 'v1', kind: 'Service', name: 'web' }, metric: { name: 'rps' }, target: { type: 'AverageValue', averageValue: '1k' } },
        },
      ],
      [{ type: 'External', external: { metric: { name: 'queue' }, current: { value: '12' } } }],
      '12/30, <unknown>/1k (avg)',
    ],
    [
      'prometheus, three metrics shown as two + 1 more',
      [
        { type: 'Prometheus', prometheus: { query: 'sum(x)', target: { type: 'Value', value: '5' } } },
        cpu(80),
        { type: 'Prometheus', prometheus: { query: 'sum(y)', target: { type: 'AverageValue', averageValue: '3' } } },
      ],
      [{ type: 'Prometheus', prometheus: { query: 'sum(x)', current: { value: '7' } } }],
      '7/5, cpu: <unknown>/80% + 1 more...',
    ],
  ];
  for (const [name, specs, statuses, want] of cases) test(name, () => assert.equal(formatTargets(specs, statuses), want));
});
