// The operator as users run it: the chart's two replicas as real pods on the real node, Ready through
// their probes, one holding the Lease; killing the leader's pod hands the Lease over and a Job in flight
// still completes exactly; a real Prometheus scrapes both pods at the metrics Service's endpoints.
import { afterAll, describe, test } from '@jest/globals';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { kubectl, kubectlJson } from '../support/kube.ts';
import { useNamespace } from '../support/namespace-hooks.ts';
import { startPrometheus, type Prometheus } from '../support/prometheus.ts';
import { waitFor } from '../../src/testing/wait.ts';
import { apply, busyboxJob, isReady, OPERATOR_NAMESPACE, pods, realNode, RELEASE, waitForCondition } from './support.ts';

const SELECTOR = `app.kubernetes.io/instance=${RELEASE}`;
const LEASE = 'tentacle-operator';

async function operatorPods(): Promise<any[]> {
  return (await pods(OPERATOR_NAMESPACE, SELECTOR)).filter((p) => p.metadata.labels?.['app.kubernetes.io/component'] !== 'nfs-agent');
}

async function lease(): Promise<any> {
  return kubectlJson(['get', 'lease', '-n', OPERATOR_NAMESPACE, LEASE]);
}

/** The pod whose name the Lease's holder identity (`<hostname>_<uuid>`) starts with. */
function holderPod(podList: any[], holder: string | undefined): any {
  return podList.find((p) => holder?.startsWith(`${p.metadata.name}_`));
}

describe('the chart on a real node', () => {
  test('two operator pods Running and Ready through their probes on the real node; one holds the Lease', async () => {
    const list = await waitFor(async () => {
      const l = await operatorPods();
      return l.length === 2 && l.every(isReady) ? l : undefined;
    }, { timeoutMs: 120_000, what: 'two Ready operator pods' });
    for (const pod of list) {
      assert.equal(pod.spec.nodeName, realNode().name);
      const container = pod.spec.containers[0];
      assert.equal(container.readinessProbe.httpGet.path, '/readyz');
      assert.equal(container.livenessProbe.httpGet.path, '/healthz');
      assert.equal(pod.status.containerStatuses[0].ready, true);
      assert.match(pod.status.podIP, /^10\.245\./);
    }
    const identity = await waitFor(async () => {
      const holder = (await lease()).spec?.holderIdentity as string | undefined;
      return holderPod(list, holder) ? holder : undefined;
    }, { timeoutMs: 60_000, what: 'the Lease held by one of the two pods' });
    // Exactly one holds it; the other is a Ready standby (its caches are warm).
    assert.equal(list.filter((p) => holderPod([p], identity)).length, 1);
  });

  describe('leader handover', () => {
    const namespace = useNamespace('rn-handover');

    test('deleting the leader pod hands the Lease over within its duration, and the Job in flight completes exactly', async () => {
      const ns = namespace.name;
      const completions = 6;
      await apply([busyboxJob('handover', 'sleep 3; echo done', { completions, parallelism: 2 })], ns);
      await waitFor(async () => (await kubectlJson(['get', 'tjob', '-n', ns, 'handover'])).status?.active > 0, {
        timeoutMs: 120_000,
        what: 'the Job running',
      });
      const before = await lease();
      const leader = holderPod(await operatorPods(), before.spec.holderIdentity);
      assert.ok(leader, `no pod holds the Lease (${before.spec.holderIdentity})`);
      const deletedAt = Date.now();
      await kubectl(['delete', 'pod', '-n', OPERATOR_NAMESPACE, leader.metadata.name, '--wait=false']);
      const next = await waitFor(async () => {
        const l = await lease();
        const holder = l.spec?.holderIdentity;
        return holder && !holder.startsWith(`${leader.metadata.name}_`) ? l : undefined;
      }, { timeoutMs: 60_000, intervalMs: 250, what: 'a new Lease holder' });
      const handoverMs = Date.now() - deletedAt;
      assert.ok(
        handoverMs <= before.spec.leaseDurationSeconds * 1000,
        `handover took ${handoverMs} ms, longer than the lease (${before.spec.leaseDurationSeconds} s)`,
      );
      assert.ok(Number(next.spec.leaseTransitions ?? 0) > Number(before.spec.leaseTransitions ?? 0));

      const job = await waitForCondition('tjob', ns, 'handover', 'Complete', 300_000);
      assert.equal(job.status.succeeded, completions);
      assert.equal(job.status.failed ?? 0, 0);
      // Exactly `completions` pods were ever created: none twice across the handover.
      const jobPods = await pods(ns, 'job-name=handover');
      assert.equal(jobPods.length, completions);
      assert.ok(jobPods.every((p) => p.status.phase === 'Succeeded'));
      const created = (await kubectlJson(['get', 'events', '-n', ns, '--field-selector', 'reason=SuccessfulCreate,involvedObject.name=handover'])).items;
      assert.equal(created.reduce((n: number, e: any) => n + (e.count ?? 1), 0), completions);
      // The Deployment replaced the deleted pod: two Ready again.
      await waitFor(async () => {
        const l = await operatorPods();
        return l.length === 2 && l.every(isReady);
      }, { timeoutMs: 120_000, what: 'two Ready operator pods again' });
    });
  });

  describe('Prometheus', () => {
    let prom: Prometheus | undefined;
    afterAll(async () => {
      await prom?.stop();
    });

    test("scrapes both operator pods at the metrics Service's endpoints", async () => {
      // Debian's Prometheus is built without Kubernetes service discovery, so the targets are what that
      // discovery would find (role endpoints): the addresses and ports of the Service's EndpointSlices.
      const slices = (await kubectlJson(['get', 'endpointslices', '-n', OPERATOR_NAMESPACE, '-l', `kubernetes.io/service-name=${RELEASE}-metrics`])).items as any[];
      const targets = slices.flatMap((slice) => {
        const port = slice.ports.find((p: any) => p.name === 'metrics').port;
        return slice.endpoints
          .filter((e: any) => e.conditions?.ready)
          .map((e: any) => ({ targets: [`${e.addresses[0]}:${port}`], labels: { pod: e.targetRef.name } }));
      });
      assert.equal(targets.length, 2, 'the metrics Service has both pods as ready endpoints');
      const dir = mkdtempSync(join(tmpdir(), 'tentacle-sd-'));
      const sdFile = join(dir, 'targets.json');
      writeFileSync(sdFile, JSON.stringify(targets));
      try {
        prom = await startPrometheus({ scrapeInterval: '2s', scrapeConfigs: [{ job_name: 'tentacle', file_sd_configs: [{ files: [sdFile] }] }] });
        await assertScrapesBothPods(prom);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  });
});

/** Both pods are up as targets, and exactly one reports itself leader. */
async function assertScrapesBothPods(prom: Prometheus): Promise<void> {
  const targets = await prom.waitForTargets('tentacle', 120_000);
  const podList = await operatorPods();
  assert.deepEqual(
    targets.map((t: any) => t.labels.pod).sort(),
    podList.map((p) => p.metadata.name).sort(),
    'one target per operator pod',
  );
  for (const t of targets) assert.match(t.scrapeUrl, /^http:\/\/10\.245\.\d+\.\d+:8080\/metrics$/);
  // Both pods report leader_election_master_status; exactly one reports 1.
  const status = await waitFor(async () => {
    const samples = await prom.query('leader_election_master_status{job="tentacle"}');
    return samples.length === 2 ? samples : undefined;
  }, { timeoutMs: 60_000, what: 'leader_election_master_status from both pods' });
  assert.deepEqual(status.map((s: any) => s.value[1]).sort(), ['0', '1']);
}
