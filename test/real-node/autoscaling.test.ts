// The HorizontalPodAutoscaler walkthrough on a real node: php-apache burns real CPU under load from a pod,
// metrics-server scrapes the real kubelet, and Tentacle's HPA scales the Deployment up, then back down.
import { describe, test } from '@jest/globals';
import assert from 'node:assert/strict';
import { kubectl, kubectlJson } from '../support/kube.ts';
import { useNamespace } from '../support/namespace-hooks.ts';
import { waitFor } from '../../src/testing/wait.ts';
import { apply, example } from './support.ts';

describe('the php-apache HPA walkthrough on a real node', () => {
  const namespace = useNamespace('rn-hpa');

  test('scales php-apache up under CPU load generated from a pod, and back down when it stops', async () => {
    const ns = namespace.name;
    // The walkthrough's manifests; the scale-down stabilization window is lowered from its 300 s default
    // to 30 s so that the way down fits in a test.
    await apply(
      example('autoscaling/php-apache.yaml', (o) => {
        if (o.kind === 'HorizontalPodAutoscaler') o.spec.behavior = { scaleDown: { stabilizationWindowSeconds: 30 } };
      }),
      ns,
    );
    await kubectl(['rollout', 'status', '-n', ns, 'deployment/php-apache', '--timeout=180s']);
    const hpa = () => kubectlJson(['get', 'thpa', '-n', ns, 'php-apache']);
    // Idle: the metric is read from the real kubelet through metrics-server, and stays below the target.
    const idle = await waitFor(async () => {
      const h = await hpa();
      const cpu = h.status?.currentMetrics?.[0]?.resource?.current?.averageUtilization;
      return typeof cpu === 'number' ? h : undefined;
    }, { timeoutMs: 180_000, intervalMs: 2000, what: 'a CPU utilization in the HPA status' });
    assert.equal(idle.status.currentReplicas, 1);

    // The walkthrough's load generator.
    await kubectl(['run', 'load-generator', '-n', ns, '--image=busybox:1.28', '--restart=Never', '--',
      '/bin/sh', '-c', 'while sleep 0.01; do wget -q -O- http://php-apache; done']);
    const up = await waitFor(async () => {
      const h = await hpa();
      return h.status?.desiredReplicas > 1 ? h : undefined;
    }, { timeoutMs: 300_000, intervalMs: 2000, what: 'the HPA scaling up under load' });
    assert.ok(up.status.currentMetrics[0].resource.current.averageUtilization > 50);
    await waitFor(async () => (await kubectlJson(['get', 'deployment', '-n', ns, 'php-apache'])).spec.replicas > 1, {
      timeoutMs: 60_000,
      what: 'the Deployment scaled up',
    });
    const events = (await kubectlJson(['get', 'events', '-n', ns, '--field-selector', 'reason=SuccessfulRescale'])).items;
    assert.ok(events.some((e: any) => /New size: \d+; reason: cpu resource utilization \(percentage of request\) above target/.test(e.message)));

    await kubectl(['delete', 'pod', '-n', ns, 'load-generator', '--wait=false']);
    await waitFor(async () => {
      const d = await kubectlJson(['get', 'deployment', '-n', ns, 'php-apache']);
      return d.spec.replicas === 1;
    }, { timeoutMs: 420_000, intervalMs: 2000, what: 'the Deployment scaled back to 1' });
    const down = await hpa();
    assert.equal(down.status.desiredReplicas, 1);
  });
});
