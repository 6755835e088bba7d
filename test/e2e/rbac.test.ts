// The chart installed with `helm install` on a private control plane whose API server audits every
// request of the chart's ServiceAccount; the operator then runs as that ServiceAccount (a token, as in
// a pod) with leader election and drives each controller through its scenario. Proves the chart's RBAC
// sufficient (not one 403) and minimal (every granted group/resource/verb was used by some request),
// and that `helm uninstall` keeps the CRDs.
//
// The nfs scenario also runs the NFS agent (the nfs-agent controller, as the agent Deployment would)
// under the chart's agent ServiceAccount, and proves the agent's rules the same way.
//
// Adding a controller: add its rules block in charts/tentacle/templates/_helpers.tpl and its scenario
// to `scenarios` below — a scenario must make the controller use every verb its rules grant.
import { afterAll, beforeAll, describe, jest, test } from '@jest/globals';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startControlPlane, USAGE_CPU_ANNOTATION, type ControlPlane } from '../../src/testing/index.ts';
import { KUBECTL } from '../support/kube.ts';
import { startMetricsAdapter, type MetricsAdapter } from '../support/metrics-adapter.ts';
import { runOperator, type OperatorProcess } from '../support/operator.ts';
import { waitFor } from '../../src/testing/wait.ts';
import { CHART, find, helm, render, run, triples, type Manifest, type PolicyRule } from './support.ts';
import { scrape } from '../support/metrics-text.ts';

jest.setTimeout(900_000);

const RELEASE = 'tentacle';
const NAMESPACE = 'tentacle-system';
const USER = `system:serviceaccount:${NAMESPACE}:tentacle`;
/** The chart's NFS agent identity: the nfs scenario runs the agent (nfs-agent controller) as it. */
const AGENT_SA = 'tentacle-nfs-agent';
const AGENT_USER = `system:serviceaccount:${NAMESPACE}:${AGENT_SA}`;
/** Nothing listens there: the autoscaler's Prometheus metrics fail (the path runs, no RBAC involved). */
const UNREACHABLE_PROMETHEUS = 'http://127.0.0.1:9';

interface Ctx {
  kubectl(args: string[], input?: string): Promise<string>;
  json(args: string[]): Promise<any>;
  namespace: string;
  /** The operator's output so far. */
  output(): string;
  /** Runs another operator process as a ServiceAccount of the release namespace (stopped by the caller). */
  runAs(serviceAccount: string, args: string[]): Promise<OperatorProcess>;
  /** The custom and external metrics API server, registered with this control plane. */
  adapter(): Promise<MetricsAdapter>;
}

const jobManifest = (name: string, spec: Record<string, unknown>, annotations: Record<string, string>, restartPolicy = 'Never') => ({
  apiVersion: 'batch.tentacle.dev/v1alpha1',
  kind: 'Job',
  metadata: { name },
  spec: {
    ...spec,
    template: {
      metadata: { annotations },
      spec: { restartPolicy, containers: [{ name: 'main', image: 'busybox:1.36', command: ['sh', '-c', 'true'] }] },
    },
  },
});

const cronJobManifest = (name: string, spec: Record<string, unknown>, duration: string) => ({
  apiVersion: 'batch.tentacle.dev/v1alpha1',
  kind: 'CronJob',
  metadata: { name },
  spec: {
    ...spec,
    jobTemplate: {
      spec: {
        template: {
          metadata: { annotations: { 'sim.tentacle.dev/duration': duration } },
          spec: { restartPolicy: 'Never', containers: [{ name: 'main', image: 'busybox:1.36', command: ['sh', '-c', 'true'] }] },
        },
      },
    },
  },
});

const condition = (obj: any, type: string) => obj?.status?.conditions?.find((c: any) => c.type === type && c.status === 'True');
const eventReasons = async (ctx: Ctx, regarding: string) =>
  ((await ctx.json(['get', 'events.events.k8s.io'])).items as any[])
    .filter((e) => e.regarding?.name === regarding)
    .map((e) => ({ reason: e.reason as string, count: (e.series?.count as number | undefined) ?? 1 }));

/** One scenario per controller; each must exercise every verb the controller's rules grant. */
const scenarios: Record<string, (ctx: Ctx) => Promise<void>> = {
  job: async (ctx) => {
    const apply = (m: unknown) => ctx.kubectl(['apply', '-f', '-'], JSON.stringify(m));
    const get = (name: string) => ctx.json(['get', 'jobs.batch.tentacle.dev', name]).catch(() => undefined);
    // Completes, then is deleted after its TTL.
    await apply(jobManifest('complete', { completions: 2, parallelism: 2, ttlSecondsAfterFinished: 2 }, { 'sim.tentacle.dev/duration': '1s' }));
    // Fails: a failing pod with no retries left.
    await apply(jobManifest('fail', { backoffLimit: 0 }, { 'sim.tentacle.dev/duration': '1s', 'sim.tentacle.dev/exit-code': '1' }));
    // Suspended while running (its pod is deleted), resumed, suspended again (the repeated event is a series).
    await apply(jobManifest('suspend', {}, { 'sim.tentacle.dev/duration': '10m' }));
    const active = async (n: number) => waitFor(async () => ((await get('suspend'))?.status?.active ?? 0) === n, { what: `suspend active=${n}` });
    const suspend = async (value: boolean) => ctx.kubectl(['patch', 'jobs.batch.tentacle.dev', 'suspend', '--type=merge', '-p', JSON.stringify({ spec: { suspend: value } })]);
    await active(1);
    await suspend(true);
    await waitFor(async () => condition(await get('suspend'), 'Suspended') && ((await get('suspend'))?.status?.active ?? 0) === 0, { what: 'suspended' });
    await suspend(false);
    await active(1);
    await suspend(true);
    await waitFor(async () => (await eventReasons(ctx, 'suspend')).some((e) => e.reason === 'Suspended' && e.count >= 2), { what: 'Suspended event series', timeoutMs: 30_000 });

    await waitFor(async () => condition(await get('fail'), 'Failed'), { what: 'job fail Failed' });
    await waitFor(async () => (await get('complete')) === undefined, { what: 'job complete deleted after its TTL', timeoutMs: 60_000 });
    assert.ok((await eventReasons(ctx, 'complete')).some((e) => e.reason === 'Completed'));
  },
  cronjob: async (ctx) => {
    const apply = (m: unknown) => ctx.kubectl(['apply', '-f', '-'], JSON.stringify(m));
    const getCj = (name: string) => ctx.json(['get', 'cronjobs.batch.tentacle.dev', name]);
    // Forbid: the long job stays, later schedules are skipped (a repeated event).
    await apply(cronJobManifest('forbid', { schedule: '@every 1s', concurrencyPolicy: 'Forbid' }, '10m'));
    // Replace: the running job is deleted for the next one.
    await apply(cronJobManifest('replace', { schedule: '@every 2s', concurrencyPolicy: 'Replace' }, '10m'));
    // Allow, short jobs: schedules within one minute map to the same Job name, so once that Job has
    // finished (no longer active) the next creation finds it exists and reads it (get).
    await apply(cronJobManifest('allow', { schedule: '@every 1s', concurrencyPolicy: 'Allow' }, '1s'));
    // History limits of 0: finished jobs are deleted.
    await apply(cronJobManifest('history', { schedule: '@every 2s', successfulJobsHistoryLimit: 0, failedJobsHistoryLimit: 0 }, '1s'));
    await waitFor(async () => (await eventReasons(ctx, 'forbid')).some((e) => e.reason === 'JobAlreadyActive'), { what: 'forbid skips', timeoutMs: 60_000 });
    await waitFor(async () => (await eventReasons(ctx, 'replace')).some((e) => e.reason === 'SuccessfulDelete'), { what: 'replace deletes', timeoutMs: 60_000 });
    await waitFor(async () => (await getCj('history')).status?.lastSuccessfulTime && (await eventReasons(ctx, 'history')).some((e) => e.reason === 'SuccessfulDelete'), {
      what: 'history limit deletes a finished job',
      timeoutMs: 60_000,
    });
    await waitFor(async () => (await getCj('allow')).status?.lastScheduleTime, { what: 'allow fires' });
    await waitFor(() => ctx.output().includes('job for this schedule exists already'), { what: 'allow finds its Job exists', timeoutMs: 60_000 });
    const forbidJobs = ((await ctx.json(['get', 'jobs.batch.tentacle.dev'])).items as any[]).filter((j) => j.metadata.ownerReferences?.[0]?.name === 'forbid');
    assert.equal(forbidJobs.length, 1, 'Forbid keeps one job');
  },
  statefulset: async (ctx) => {
    const apply = (m: unknown) => ctx.kubectl(['apply', '-f', '-'], JSON.stringify(m));
    const get = () => ctx.json(['get', 'statefulsets.apps.tentacle.dev', 'web']);
    const sts = 'statefulsets.apps.tentacle.dev/web';
    const settled = (what: string, test: (s: any) => boolean = () => true) =>
      waitFor(async () => {
        const s = await get();
        const st = s.status ?? {};
        return st.observedGeneration === s.metadata.generation && st.readyReplicas === s.spec.replicas && st.updatedReplicas === s.spec.replicas &&
          st.currentRevision === st.updateRevision && test(s);
      }, { what, timeoutMs: 60_000 });
    // Storage: an expandable class and volumes pre-bound to the claims the set will make.
    await apply({ apiVersion: 'storage.k8s.io/v1', kind: 'StorageClass', metadata: { name: 'e2e-expandable' }, provisioner: 'kubernetes.io/no-provisioner', allowVolumeExpansion: true });
    for (const ordinal of [0, 1]) {
      await apply({
        apiVersion: 'v1', kind: 'PersistentVolume', metadata: { name: `e2e-data-web-${ordinal}` },
        spec: { capacity: { storage: '1Gi' }, accessModes: ['ReadWriteOnce'], storageClassName: 'e2e-expandable', hostPath: { path: `/tmp/e2e-${ordinal}` }, claimRef: { namespace: ctx.namespace, name: `data-web-${ordinal}` } },
      });
    }
    const manifest = (version: string) => ({
      apiVersion: 'apps.tentacle.dev/v1alpha1', kind: 'StatefulSet', metadata: { name: 'web' },
      spec: {
        replicas: 2, serviceName: 'web', revisionHistoryLimit: 1, selector: { matchLabels: { app: 'web' } },
        template: { metadata: { labels: { app: 'web' }, annotations: { version } }, spec: { containers: [{ name: 'nginx', image: 'registry.k8s.io/nginx-slim:0.24' }] } },
        volumeClaimTemplates: [{ metadata: { name: 'data' }, spec: { accessModes: ['ReadWriteOnce'], storageClassName: 'e2e-expandable', resources: { requests: { storage: '1Gi' } } } }],
      },
    });
    // Pods and claims created in order; a rolling update (revision create, pod delete).
    await apply(manifest('1'));
    await settled('web ready');
    await ctx.kubectl(['patch', sts, '--type=merge', '-p', JSON.stringify({ spec: { template: { metadata: { annotations: { version: '2' } } } } })]);
    await settled('web at version 2', (s) => s.status.updateRevision !== undefined);
    // Rollback renumbers the old revision (update); a third template truncates history (delete).
    await ctx.kubectl(['patch', sts, '--type=merge', '-p', JSON.stringify({ spec: { template: { metadata: { annotations: { version: '1' } } } } })]);
    await settled('web back at version 1');
    await ctx.kubectl(['patch', sts, '--type=merge', '-p', JSON.stringify({ spec: { template: { metadata: { annotations: { version: '3' } } } } })]);
    await settled('web at version 3');
    await waitFor(async () => ((await ctx.json(['get', 'controllerrevisions'])).items as any[]).length === 2, { what: 'history truncated' });
    // Retention policy on existing claims (claim update); growing storage (claim patch).
    await ctx.kubectl(['patch', sts, '--type=merge', '-p', JSON.stringify({ spec: { persistentVolumeClaimRetentionPolicy: { whenDeleted: 'Delete' } } })]);
    await waitFor(async () => ((await ctx.json(['get', 'pvc', 'data-web-0'])).metadata.ownerReferences ?? []).length === 1, { what: 'claim owned by the set' });
    await ctx.kubectl(['patch', sts, '--type=json', '-p', JSON.stringify([{ op: 'replace', path: '/spec/volumeClaimTemplates/0/spec/resources/requests/storage', value: '2Gi' }])]);
    await waitFor(async () => (await ctx.json(['get', 'pvc', 'data-web-1'])).spec.resources.requests.storage === '2Gi', { what: 'claims grown' });
    // A lost identity label is restored (pod update).
    await ctx.kubectl(['label', 'pod', 'web-0', 'statefulset.kubernetes.io/pod-name-']);
    await waitFor(async () => (await ctx.json(['get', 'pod', 'web-0'])).metadata.labels['statefulset.kubernetes.io/pod-name'] === 'web-0', { what: 'identity restored' });
    // Orphaned pods and revisions are adopted by a new set (pod and revision patch); scale down (pod delete).
    await ctx.kubectl(['delete', sts, '--cascade=orphan']);
    await waitFor(async () => ((await ctx.json(['get', 'pods'])).items as any[]).every((p) => !p.metadata.ownerReferences?.length), { what: 'pods orphaned' });
    const again = manifest('3');
    (again.spec.volumeClaimTemplates[0]!.spec.resources.requests as Record<string, string>).storage = '2Gi';
    await apply(again);
    await settled('web adopted');
    const uid = (await get()).metadata.uid;
    await waitFor(async () => ((await ctx.json(['get', 'controllerrevisions'])).items as any[]).every((r) => r.metadata.ownerReferences?.[0]?.uid === uid), { what: 'revisions adopted' });
    await ctx.kubectl(['scale', sts, '--replicas=1']);
    await settled('web scaled to 1');
    assert.deepEqual(((await ctx.json(['get', 'pods'])).items as any[]).map((p) => p.metadata.name).sort(), ['web-0']);
  },
  autoscaler: async (ctx) => {
    const apply = (m: unknown) => ctx.kubectl(['apply', '-f', '-'], JSON.stringify(m));
    const adapter = await ctx.adapter();
    const template = (app: string) => ({
      metadata: { labels: { app }, annotations: { [USAGE_CPU_ANNOTATION]: 'main=150m' } },
      spec: { containers: [{ name: 'main', image: 'busybox:1.36', resources: { requests: { cpu: '100m' } } }] },
    });
    const deployment = (name: string) => ({
      apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name },
      spec: { replicas: 1, selector: { matchLabels: { app: name } }, template: template(name) },
    });
    const hpa = (name: string, target: Record<string, string>, metrics: unknown[], maxReplicas = 3) => ({
      apiVersion: 'autoscaling.tentacle.dev/v1alpha1', kind: 'HorizontalPodAutoscaler', metadata: { name },
      spec: { scaleTargetRef: target, minReplicas: 1, maxReplicas, metrics },
    });
    const external = (name: string, averageValue: string) => ({
      type: 'External', external: { metric: { name, selector: { matchLabels: { queue: 'e2e' } } }, target: { type: 'AverageValue', averageValue } },
    });
    adapter.setExternalMetric(ctx.namespace, 'queue_depth', { queue: 'e2e' }, 30);
    adapter.setExternalMetric(ctx.namespace, 'sts_queue', { queue: 'e2e' }, 20);
    // A Deployment (apps/v1 deployments/scale) on resource (metrics.k8s.io), pods (custom.metrics.k8s.io)
    // and external (external.metrics.k8s.io) metrics: 30 / 10 per pod → 3 replicas.
    await apply(deployment('web'));
    await apply(hpa('web', { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web' }, [
      { type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 100 } } },
      { type: 'Pods', pods: { metric: { name: 'http_requests' }, target: { type: 'AverageValue', averageValue: '10' } } },
      external('queue_depth', '10'),
    ]));
    // Our StatefulSet (apps.tentacle.dev statefulsets/scale): 20 / 10 → 2 replicas.
    await apply({
      apiVersion: 'apps.tentacle.dev/v1alpha1', kind: 'StatefulSet', metadata: { name: 'db' },
      spec: { replicas: 1, serviceName: 'db', selector: { matchLabels: { app: 'db' } }, template: template('db') },
    });
    await apply(hpa('db', { apiVersion: 'apps.tentacle.dev/v1alpha1', kind: 'StatefulSet', name: 'db' }, [external('sts_queue', '10')]));
    // A Prometheus query against the operator's --prometheus-address, which does not answer.
    await apply(deployment('prom'));
    await apply(hpa('prom', { apiVersion: 'apps/v1', kind: 'Deployment', name: 'prom' }, [
      { type: 'Prometheus', prometheus: { query: 'sum(up)', target: { type: 'AverageValue', averageValue: '1' } } },
    ]));
    const replicas = (resource: string, name: string) => ctx.json(['get', resource, name]).then((o) => o.spec.replicas as number);
    await waitFor(async () => (await replicas('deployment', 'web')) === 3, { what: 'web scaled to 3', timeoutMs: 90_000 });
    await waitFor(async () => (await replicas('statefulsets.apps.tentacle.dev', 'db')) === 2, { what: 'db scaled to 2', timeoutMs: 90_000 });
    // Every pod of web has a custom metric now. The resource metric is read (metrics.k8s.io pods list,
    // which the audit checks) but metrics-server of this private control plane may have no pod metrics
    // yet (or at all): an empty list is fine here, a refusal is not.
    for (const pod of (await ctx.json(['get', 'pods', '-l', 'app=web'])).items as any[]) adapter.setPodMetric(ctx.namespace, pod.metadata.name, 'http_requests', 5);
    let last: unknown;
    await waitFor(async () => {
      const status = (await ctx.json(['get', 'horizontalpodautoscalers.autoscaling.tentacle.dev', 'web'])).status;
      const notes = ((await ctx.json(['get', 'events.events.k8s.io'])).items as any[]).filter((e) => e.regarding?.name === 'web').map((e) => `${e.reason}: ${e.note}`);
      last = { status, notes };
      const current = (status?.currentMetrics ?? []) as any[];
      const resourceRead = current.some((m) => m.type === 'Resource') || notes.some((n) => /^FailedGetResourceMetric: .*no metrics returned from resource metrics API/.test(n));
      return resourceRead && ['Pods', 'External'].every((t) => current.some((m) => m.type === t));
    }, { what: 'web reads all three metric APIs', timeoutMs: 90_000 }).catch((err) => {
      throw new Error(`${err.message}: ${JSON.stringify(last)}`);
    });
    await waitFor(async () => (await eventReasons(ctx, 'prom')).some((e) => /Prometheus/.test(e.reason)), { what: 'prom fails to reach Prometheus', timeoutMs: 60_000 });
    assert.equal(await replicas('deployment', 'prom'), 1, 'a failing metric leaves replicas alone');
  },
  nfs: async (ctx) => {
    // Cluster mode (the chart's): the operator keeps a StorageClass and an agent Deployment per provisioner;
    // the agent (here a process under the chart's agent ServiceAccount) does the volume work.
    const apply = (m: unknown) => ctx.kubectl(['apply', '-f', '-'], JSON.stringify(m));
    const patchProvisioner = (spec: object) => ctx.kubectl(['patch', 'nfsprovisioners.storage.tentacle.dev', 'e2e', '--type=merge', '-p', JSON.stringify({ spec })]);
    const getClass = () => ctx.json(['get', 'storageclass', 'e2e-nfs']).catch(() => undefined);
    const getAgent = () => ctx.json(['-n', NAMESPACE, 'get', 'deployment', 'tentacle-nfs-e2e']).catch(() => undefined);
    await apply({
      apiVersion: 'storage.tentacle.dev/v1alpha1', kind: 'NFSProvisioner', metadata: { name: 'e2e' },
      spec: { server: '10.0.0.5', path: '/exports/k8s', storageClassName: 'e2e-nfs', allowVolumeExpansion: true, onDelete: 'archive' },
    });
    const agent = await waitFor(getAgent, { what: 'agent Deployment created' });
    assert.equal(agent.spec.template.spec.serviceAccountName, AGENT_SA);
    const classUid = (await waitFor(getClass, { what: 'StorageClass created' })).metadata.uid;
    await waitFor(async () => (await ctx.json(['get', 'nfsprovisioners.storage.tentacle.dev', 'e2e'])).status?.agentDeployment === 'tentacle-nfs-e2e', { what: 'status' });
    // A mutable class field (patch); an immutable one, the reclaim policy (class recreated: delete, create),
    // and back; an agent Deployment changed by hand is put back (update).
    await patchProvisioner({ isDefaultClass: true });
    await waitFor(async () => (await getClass())?.metadata.annotations?.['storageclass.kubernetes.io/is-default-class'] === 'true', { what: 'class patched' });
    for (const policy of ['Retain', 'Delete']) {
      await patchProvisioner({ reclaimPolicy: policy });
      await waitFor(async () => (await getClass())?.reclaimPolicy === policy, { what: `class recreated with reclaimPolicy ${policy}` });
    }
    assert.notEqual((await getClass()).metadata.uid, classUid);
    const hash = 'storage.tentacle.dev/agent-spec-hash';
    const want = agent.metadata.annotations[hash];
    await ctx.kubectl(['-n', NAMESPACE, 'annotate', '--overwrite', 'deployment', 'tentacle-nfs-e2e', `${hash}=edited`]);
    await waitFor(async () => (await getAgent())?.metadata.annotations?.[hash] === want, { what: 'agent Deployment updated back' });

    const exportRoot = mkdtempSync(join(tmpdir(), 'tentacle-e2e-export-'));
    const agentProcess = await ctx.runAs(AGENT_SA, [
      '--controllers=nfs-agent', '--nfs-provisioner=e2e', `--nfs-export-root=${exportRoot}`,
      '--leader-elect', `--leader-election-namespace=${NAMESPACE}`, '--leader-election-id=tentacle-nfs-e2e',
    ]);
    try {
      const claim = (name: string, extra: object = {}) => ({
        apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: { name },
        spec: { accessModes: ['ReadWriteMany'], storageClassName: 'e2e-nfs', resources: { requests: { storage: '1Gi' } }, ...extra },
      });
      // Provisioned (PV create), bound, grown (PV patch, claim status patch), released (finalizer patch, PV delete).
      await apply(claim('data'));
      const bound = await waitFor(async () => {
        const c = await ctx.json(['get', 'pvc', 'data']);
        return c.status?.phase === 'Bound' ? c : undefined;
      }, { what: 'claim bound', timeoutMs: 60_000 });
      const volume = bound.spec.volumeName as string;
      await ctx.kubectl(['patch', 'pvc', 'data', '--type=merge', '-p', JSON.stringify({ spec: { resources: { requests: { storage: '2Gi' } } } })]);
      await waitFor(async () => (await ctx.json(['get', 'pvc', 'data'])).status?.capacity?.storage === '2Gi', { what: 'claim grown', timeoutMs: 60_000 });
      assert.equal((await ctx.json(['get', 'pv', volume])).spec.capacity.storage, '2Gi');
      await ctx.kubectl(['delete', 'pvc', 'data']);
      await waitFor(async () => !(await ctx.json(['get', 'pv', volume]).catch(() => undefined)), { what: 'volume reclaimed', timeoutMs: 60_000 });
      // A claim the agent refuses, touched again: the repeated warning is an event series (patch).
      await apply(claim('bad', { selector: { matchLabels: { any: 'thing' } } }));
      for (const n of [1, 2]) {
        await waitFor(async () => (await eventReasons(ctx, 'bad')).some((e) => e.reason === 'ProvisioningFailed' && e.count >= n), { what: `ProvisioningFailed ×${n}`, timeoutMs: 30_000 });
        await ctx.kubectl(['label', '--overwrite', 'pvc', 'bad', `touched=${n}`]);
      }
    } finally {
      assert.equal(await agentProcess.stop(), 0, agentProcess.output().slice(-3000));
      rmSync(exportRoot, { recursive: true, force: true });
    }
  },
};

/**
 * `granted` covers `used` ("group resource verb"). A rule may name `*` for the group or the resource,
 * or `*\/<subresource>` (as RBAC matches them): the autoscaler's scale subresource of any kind and
 * metrics named after the metric cannot be listed in advance.
 */
function covers(granted: string, used: string): boolean {
  const [gg, gr, gv] = granted.split(' ');
  const [ug, ur, uv] = used.split(' ');
  const resource = gr === '*' || gr === ur || (gr!.startsWith('*/') && ur!.includes('/') && ur!.slice(ur!.indexOf('/')) === gr!.slice(1));
  return gv === uv && (gg === '*' || gg === ug) && resource;
}

/**
 * From the audit log: `user` was never forbidden, used only what `granted` allows, and used every
 * grant (a wildcard grant counts as used when some request it covers was made).
 */
function assertExact(log: string, user: string, granted: Set<string>): void {
  const events = new Map<string, AuditEvent>();
  for (const line of log.split('\n')) {
    if (!line) continue;
    const e = JSON.parse(line) as AuditEvent;
    if (e.user.username === user) events.set(`${e.auditID}`, { ...events.get(e.auditID), ...e });
  }
  assert.ok(events.size > 0, `the audit log has the requests of ${user}`);
  const forbidden = [...events.values()].filter((e) => e.responseStatus?.code === 403).map((e) => `${e.verb} ${e.requestURI}`);
  assert.deepEqual(forbidden, [], `no request of ${user} was forbidden`);

  const used = new Set<string>();
  for (const e of events.values()) {
    if (!e.objectRef?.resource) continue; // non-resource URLs (/version, discovery) are open to every user
    const resource = e.objectRef.subresource ? `${e.objectRef.resource}/${e.objectRef.subresource}` : e.objectRef.resource;
    used.add(`${e.objectRef.apiGroup ?? ''} ${resource} ${e.verb}`);
  }
  const unused = [...granted].filter((g) => ![...used].some((u) => covers(g, u))).sort();
  assert.deepEqual(unused, [], `${user}: granted but never used (remove from the chart, or extend the scenario); used: ${[...used].sort().join(', ')}`);
  const ungranted = [...used].filter((u) => ![...granted].some((g) => covers(g, u))).sort();
  assert.deepEqual(ungranted, [], `${user}: used but not granted`);
}

interface AuditEvent {
  auditID: string;
  verb: string;
  user: { username: string };
  objectRef?: { apiGroup?: string; resource?: string; subresource?: string; namespace?: string };
  requestURI: string;
  responseStatus?: { code?: number };
}

describe('helm install: RBAC sufficient and minimal, CRDs kept on uninstall', () => {
  const controllers = Object.keys(scenarios);
  const dir = mkdtempSync(join(tmpdir(), 'tentacle-e2e-rbac-'));
  const auditLog = join(dir, 'audit.log');
  let cp: ControlPlane | undefined;
  let operator: OperatorProcess | undefined;
  let adapter: MetricsAdapter | undefined;
  const others: OperatorProcess[] = [];
  let admin = '';
  const kubectl = (args: string[], input?: string) => run(KUBECTL, [`--kubeconfig=${admin}`, ...args], { input: input ?? '' });

  beforeAll(async () => {
    const policy = join(dir, 'audit-policy.yaml');
    writeFileSync(policy, JSON.stringify({
      apiVersion: 'audit.k8s.io/v1',
      kind: 'Policy',
      omitStages: ['RequestReceived'],
      rules: [{ level: 'Metadata', users: [USER, AGENT_USER] }, { level: 'None' }],
    }));
    cp = await startControlPlane({
      dir,
      apiserverArgs: [`--audit-policy-file=${policy}`, `--audit-log-path=${auditLog}`, '--audit-log-maxsize=0'],
    });
    admin = cp.kubeconfigPath;
    // test/support (the metrics adapter) talks to the cluster of TENTACLE_KUBECONFIG: this file's own.
    process.env.TENTACLE_KUBECONFIG = admin;
  });

  afterAll(async () => {
    for (const p of [operator, ...others]) if (p && p.child.exitCode === null) await p.kill();
    await adapter?.close();
    await cp?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  test(`helm install creates the operator's objects; CRDs from the chart (controllers: ${controllers.join(', ')})`, async () => {
    await helm([
      'install', RELEASE, CHART, '--kubeconfig', admin, '--namespace', NAMESPACE, '--create-namespace',
      '--set', `controllers={${controllers.join(',')}}`, '--wait', '--timeout=120s',
    ], { timeoutMs: 180_000 });
    const get = async (args: string[]) => JSON.parse(await kubectl([...args, '-o', 'json']));
    const deploy = await get(['-n', NAMESPACE, 'get', 'deployment', RELEASE]);
    assert.equal(deploy.spec.replicas, 2);
    assert.ok(deploy.spec.template.spec.containers[0].args.includes(`--leader-election-namespace=${NAMESPACE}`));
    for (const [kind, name] of [['service', `${RELEASE}-metrics`], ['poddisruptionbudget', RELEASE], ['serviceaccount', RELEASE],
      ['role', `${RELEASE}-leader-election`], ['rolebinding', `${RELEASE}-leader-election`]]) {
      assert.equal((await get(['-n', NAMESPACE, 'get', kind!, name!])).metadata.labels['app.kubernetes.io/instance'], RELEASE, `${kind}/${name}`);
    }
    for (const kind of ['clusterrole', 'clusterrolebinding']) assert.ok(await get(['get', kind, RELEASE]));
    assert.ok(await get(['-n', NAMESPACE, 'get', 'serviceaccount', AGENT_SA]), 'the NFS agent\'s identity comes with the nfs controller');
    const crds = (await get(['get', 'crd', '-l', 'app.kubernetes.io/part-of=tentacle'])).items as Manifest[];
    assert.ok(crds.length >= 2);
    for (const crd of crds) {
      assert.equal(crd.metadata.annotations?.['helm.sh/resource-policy'], 'keep');
      await kubectl(['wait', '--for=condition=Established', '--timeout=60s', `crd/${crd.metadata.name}`]);
    }
    // kwok runs the Deployment's (simulated) pods.
    await waitFor(async () => (await get(['-n', NAMESPACE, 'get', 'deployment', RELEASE])).status?.readyReplicas === 2, { what: 'deployment ready', timeoutMs: 60_000 });
  });

  /** A kubeconfig with a token of `serviceAccount` (release namespace), as a pod of it would have. */
  const kubeconfigFor = async (serviceAccount: string) => {
    const token = (await kubectl(['-n', NAMESPACE, 'create', 'token', serviceAccount, '--duration=1h'])).trim();
    const cfg = readFileSync(admin, 'utf8');
    const ca = /certificate-authority(-data)?: (.+)/.exec(cfg)!;
    const kubeconfig = join(dir, `${serviceAccount}.kubeconfig`);
    writeFileSync(kubeconfig, [
      'apiVersion: v1', 'kind: Config',
      `clusters:\n- name: e2e\n  cluster:\n    server: ${cp!.server}\n    certificate-authority${ca[1] ?? ''}: ${ca[2]}`,
      `users:\n- name: operator\n  user:\n    token: ${token}`,
      'contexts:\n- name: e2e\n  context:\n    cluster: e2e\n    user: operator',
      'current-context: e2e',
    ].join('\n'));
    return kubeconfig;
  };

  test('the operator under the chart\'s ServiceAccount: no 403, and every granted verb used', async () => {
    const kubeconfig = await kubeconfigFor('tentacle');
    // As the chart's Deployment runs it (the nfs flags are the chart's; --prometheus-address a value).
    operator = await runOperator([
      `--controllers=${controllers.join(',')}`, '--leader-elect', `--leader-election-namespace=${NAMESPACE}`,
      '--nfs-agent-image=tentacle:e2e', `--nfs-agent-service-account=${AGENT_SA}`, `--prometheus-address=${UNREACHABLE_PROMETHEUS}`,
    ], { kubeconfig });
    await waitFor(async () => /leader_election_master_status\{name="tentacle-operator"\} 1/.test(await scrape(operator!.metricsPort)), {
      what: 'leadership',
      timeoutMs: 30_000,
    });

    for (const name of controllers) {
      const namespace = `e2e-${name}`;
      await kubectl(['create', 'namespace', namespace]);
      const ctx: Ctx = {
        namespace,
        output: () => operator!.output(),
        kubectl: (args, input) => kubectl(['-n', namespace, ...args], input),
        json: async (args) => JSON.parse(await kubectl(['-n', namespace, ...args, '-o', 'json'])),
        runAs: async (serviceAccount, args) => {
          const p = await runOperator(args, { kubeconfig: await kubeconfigFor(serviceAccount) });
          others.push(p);
          return p;
        },
        adapter: async () => (adapter ??= await startMetricsAdapter()),
      };
      await scenarios[name]!(ctx);
    }
    assert.equal(await operator.stop(), 0, operator.output().slice(-3000));

    const { objects } = await render({ release: RELEASE, namespace: NAMESPACE, set: [`controllers={${controllers.join(',')}}`] });
    const rules = (kind: string, name: string) => (find(objects, kind, name)?.rules ?? []) as PolicyRule[];
    const log = readFileSync(auditLog, 'utf8');
    assertExact(log, USER, triples([...rules('ClusterRole', RELEASE), ...rules('Role', `${RELEASE}-leader-election`), ...rules('Role', RELEASE)]));
    assertExact(log, AGENT_USER, triples([...rules('ClusterRole', AGENT_SA), ...rules('Role', AGENT_SA)]));
  });

  test('helm uninstall removes the release and keeps the CRDs and the custom resources', async () => {
    await helm(['uninstall', RELEASE, '--kubeconfig', admin, '--namespace', NAMESPACE, '--wait'], { timeoutMs: 120_000 });
    await assert.rejects(kubectl(['-n', NAMESPACE, 'get', 'deployment', RELEASE]), /NotFound|not found/);
    await assert.rejects(kubectl(['get', 'clusterrole', RELEASE]), /NotFound|not found/);
    const crds = JSON.parse(await kubectl(['get', 'crd', '-l', 'app.kubernetes.io/part-of=tentacle', '-o', 'json'])).items as Manifest[];
    assert.ok(crds.some((c) => c.metadata.name === 'jobs.batch.tentacle.dev'), 'CRDs are kept');
    const jobs = JSON.parse(await kubectl(['get', 'jobs.batch.tentacle.dev', '-A', '-o', 'json'])).items;
    assert.ok(jobs.length > 0, 'custom resources survive the uninstall');
  });
});
