// The chaos run's workload — Jobs, a StatefulSet, NFS claims, HPAs — and the invariants it must end
// with, each checked against the API server (and the audit log, for pods ever created) rather than
// against anything the operator reports about itself.
import { existsSync, readdirSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { Client } from '../../src/runtime/client/client.ts';
import { DEPLOYMENT, POD, PV, PVC, STORAGE_CLASS } from '../../src/api/core/types.ts';
import { CRONJOB, JOB, FINALIZER_JOB_TRACKING } from '../../src/api/batch/types.ts';
import { STATEFULSET, type StatefulSetStatus } from '../../src/api/apps/types.ts';
import { HORIZONTAL_POD_AUTOSCALER } from '../../src/api/autoscaling/types.ts';
import { pool, type AuditEvent } from '../../bench/support.ts';
import { waitFor } from '../../src/testing/wait.ts';
import type { JobPodsSeen, ReplicaRange } from './observe.ts';

export interface WorkloadSize {
  jobs: number;
  completions: number;
  parallelism: number;
  statefulSetReplicas: number;
  claims: number;
  hpas: number;
}

export const NS = { sts: 'chaos-sts', nfs: 'chaos-nfs', hpa: 'chaos-hpa', cron: 'chaos-cron' } as const;
export const jobNamespace = (i: number) => `chaos-job-${i}`;
const PROVISIONER = 'chaos';
/** Each HPA's target: 1 replica using 3× its CPU target, so the HPA scales it up to its maximum. */
const HPA_MIN = 1;
const HPA_MAX = 4;

/** Nodes of the chaos control plane (benchControlPlane with 4 kwok nodes). */
export const NODES = 4;
/**
 * Pods name their node, so the run does not depend on kube-scheduler, which is not under test: after
 * an API-server restart it was seen to stop scheduling for good (its writes were refused while the new
 * API server's RBAC cache filled, and it logged its own cache as corrupted).
 */
const podSpec = (node: number, requests?: object) => ({
  nodeName: `kwok-node-${node % NODES}`,
  containers: [{ name: 'main', image: 'chaos.invalid/app:1', ...(requests ? { resources: { requests } } : {}) }],
});

/** Creates the namespaces and the NFSProvisioner; resolves when its StorageClass and export exist. */
export async function prepare(client: Client, size: WorkloadSize, exportsDir: string): Promise<void> {
  const namespaces = [...Object.values(NS), ...Array.from({ length: size.jobs }, (_, i) => jobNamespace(i))];
  for (const name of namespaces) await client.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
  await client.create({
    apiVersion: 'storage.tentacle.dev/v1alpha1',
    kind: 'NFSProvisioner',
    metadata: { name: PROVISIONER },
    spec: { server: 'nfs.chaos.test', path: '/srv/chaos', onDelete: 'delete' },
  });
  await waitFor(async () => (await client.find(STORAGE_CLASS, '', PROVISIONER)) !== undefined, { what: 'StorageClass chaos', timeoutMs: 120_000 });
  await waitFor(() => existsSync(join(exportsDir, PROVISIONER)), { what: 'the chaos export', timeoutMs: 120_000 });
}

/** Creates every object of the workload. */
export async function create(client: Client, size: WorkloadSize): Promise<void> {
  // Every minute, Forbid, and each run lasts longer than that: every other schedule time must be
  // skipped while the previous Job still runs, kills and restarts included.
  await client.create({
    apiVersion: 'batch.tentacle.dev/v1alpha1',
    kind: 'CronJob',
    metadata: { name: 'tick', namespace: NS.cron },
    spec: {
      schedule: '*/1 * * * *',
      concurrencyPolicy: 'Forbid',
      successfulJobsHistoryLimit: 100,
      jobTemplate: {
        spec: { template: { metadata: { annotations: { 'sim.tentacle.dev/duration': '70s' } }, spec: { ...podSpec(0), restartPolicy: 'Never' } } },
      },
    },
  });
  await client.create({
    apiVersion: 'apps.tentacle.dev/v1alpha1',
    kind: 'StatefulSet',
    metadata: { name: 'web', namespace: NS.sts },
    spec: {
      replicas: size.statefulSetReplicas,
      serviceName: 'web',
      selector: { matchLabels: { app: 'web' } },
      template: { metadata: { labels: { app: 'web' } }, spec: podSpec(1) },
    },
  });
  await pool(0, size.jobs, 5, (i) =>
    client.create({
      apiVersion: 'batch.tentacle.dev/v1alpha1',
      kind: 'Job',
      metadata: { name: 'work', namespace: jobNamespace(i) },
      spec: {
        completions: size.completions,
        parallelism: size.parallelism,
        backoffLimit: 0,
        template: { spec: { ...podSpec(i), restartPolicy: 'Never' } },
      },
    }),
  );
  await pool(0, size.claims, 20, (i) =>
    client.create({
      apiVersion: 'v1',
      kind: 'PersistentVolumeClaim',
      metadata: { name: `claim-${i}`, namespace: NS.nfs },
      spec: { accessModes: ['ReadWriteMany'], storageClassName: PROVISIONER, resources: { requests: { storage: '1Gi' } } },
    }),
  );
  await pool(0, size.hpas, 10, async (i) => {
    const labels = { app: `load-${i}` };
    await client.create({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: `load-${i}`, namespace: NS.hpa },
      spec: {
        replicas: HPA_MIN,
        selector: { matchLabels: labels },
        template: { metadata: { labels, annotations: { 'kwok.x-k8s.io/usage-cpu': '150m' } }, spec: podSpec(i, { cpu: '100m' }) },
      },
    });
    await client.create({
      apiVersion: 'autoscaling.tentacle.dev/v1alpha1',
      kind: 'HorizontalPodAutoscaler',
      metadata: { name: `load-${i}`, namespace: NS.hpa },
      spec: {
        scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: `load-${i}` },
        minReplicas: HPA_MIN,
        maxReplicas: HPA_MAX,
        metrics: [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 50 } } }],
      },
    });
  });
}

/** Once the StatefulSet has rolled out, changes its template: a rolling update of every ordinal. */
export async function rollingUpdate(client: Client, size: WorkloadSize, signal: AbortSignal): Promise<void> {
  await waitFor(async () => signal.aborted || (await client.get(STATEFULSET, NS.sts, 'web')).status?.readyReplicas === size.statefulSetReplicas, {
    what: 'the StatefulSet rolled out',
    timeoutMs: 1_800_000,
    intervalMs: 1000,
  });
  await client.patch(STATEFULSET, NS.sts, 'web', { spec: { template: { metadata: { annotations: { 'chaos.tentacle.dev/revision': '2' } } } } }, 'merge');
}

/** What is still unfinished, or '' when the workload has converged. */
export async function pending(client: Client, size: WorkloadSize): Promise<string> {
  const left: string[] = [];
  let complete = 0;
  for (let i = 0; i < size.jobs; i++) {
    const job = await client.get(JOB, jobNamespace(i), 'work');
    if (job.status?.conditions?.some((c: any) => c.type === 'Complete' && c.status === 'True')) complete++;
  }
  if (complete < size.jobs) left.push(`${complete}/${size.jobs} Jobs Complete`);
  const set = await client.get(STATEFULSET, NS.sts, 'web');
  const s: Partial<StatefulSetStatus> = set.status ?? {};
  const rolled = s.observedGeneration === 2 && s.updateRevision && s.currentRevision === s.updateRevision && s.readyReplicas === size.statefulSetReplicas && s.updatedReplicas === size.statefulSetReplicas;
  if (!rolled) left.push(`StatefulSet generation ${s.observedGeneration}, ${s.readyReplicas ?? 0} ready, ${s.updatedReplicas ?? 0} updated`);
  const bound = (await client.list(PVC, { namespace: NS.nfs })).items.filter((c) => c.status?.phase === 'Bound').length;
  if (bound < size.claims) left.push(`${bound}/${size.claims} claims Bound`);
  const scaled = (await client.list(DEPLOYMENT, { namespace: NS.hpa })).items.filter((d) => d.spec?.replicas === HPA_MAX).length;
  if (scaled < size.hpas) left.push(`${scaled}/${size.hpas} HPA targets at their maximum`);
  return left.join(', ');
}

export interface Findings {
  /** Pods created beyond completions + failures, StatefulSet ordinals alive twice, PVs beyond one per claim. */
  duplicates: { jobPods: number; ordinals: number; volumes: number };
  /** Claims without exactly one PV and one directory, directories without a PV, finalizers left, scale targets out of bounds. */
  violations: string[];
  /** Pods the operator created for the Jobs. */
  podsCreated: number;
}

/** Checks the converged workload. `podCreates` are the operator's audited pod creations. */
export async function check(
  client: Client,
  size: WorkloadSize,
  exportsDir: string,
  podCreates: AuditEvent[],
  podsSeen: JobPodsSeen,
  ordinalOverlaps: string[],
  targets: ReplicaRange,
): Promise<Findings> {
  const violations: string[] = [];
  let jobPods = 0;
  let jobPodsCreated = 0;
  for (let i = 0; i < size.jobs; i++) {
    const job = await client.get(JOB, jobNamespace(i), 'work');
    // Both are lower bounds (an API server killed mid-write may not log it; a watch may relist over a
    // pod created and deleted in its gap), so the larger one is the better.
    const created = Math.max(podCreates.filter((e) => e.namespace === jobNamespace(i)).length, podsSeen.count(jobNamespace(i)));
    const allowed = size.completions + (job.status?.failed ?? 0);
    if (job.status?.succeeded !== size.completions) violations.push(`Job ${i}: succeeded ${job.status?.succeeded}, want ${size.completions}`);
    jobPods += Math.max(0, created - allowed);
    jobPodsCreated += created;
  }

  const claims = (await client.list(PVC, { namespace: NS.nfs })).items;
  const volumes = (await client.list(PV)).items.filter((v) => v.spec?.claimRef?.namespace === NS.nfs);
  let extraVolumes = 0;
  for (const claim of claims) {
    const mine = volumes.filter((v) => v.spec.claimRef?.uid === claim.metadata.uid);
    if (mine.length !== 1 || claim.spec.volumeName !== mine[0]?.metadata.name) violations.push(`claim ${claim.metadata.name}: ${mine.length} PVs, bound to ${claim.spec.volumeName}`);
    extraVolumes += Math.max(0, mine.length - 1);
  }
  const dirs = new Set(readdirSync(join(exportsDir, PROVISIONER)));
  const volumeDirs = new Set(volumes.map((v) => basename(v.spec.nfs?.path ?? '')));
  for (const dir of dirs) if (!volumeDirs.has(dir)) violations.push(`directory ${dir} has no PV`);
  for (const dir of volumeDirs) if (!dirs.has(dir)) violations.push(`PV directory ${dir} is missing`);

  // The CronJob's current Job still runs, so its pod rightly keeps the finalizer until teardown.
  violations.push(...(await finalizersLeft(client, (ns) => ns.startsWith('chaos-job-'))));

  const hpas = (await client.list(HORIZONTAL_POD_AUTOSCALER, { namespace: NS.hpa })).items;
  for (const hpa of hpas) {
    const r = targets.range.get(hpa.spec.scaleTargetRef.name);
    if (!r) violations.push(`HPA ${hpa.metadata.name}: its target was never seen`);
    else if (r.min < (hpa.spec.minReplicas ?? 1) || r.max > hpa.spec.maxReplicas) violations.push(`HPA ${hpa.metadata.name}: target ranged ${r.min}..${r.max} outside ${hpa.spec.minReplicas}..${hpa.spec.maxReplicas}`);
  }
  return { duplicates: { jobPods, ordinals: ordinalOverlaps.length, volumes: extraVolumes }, violations, podsCreated: jobPodsCreated };
}

/** Pods (of the namespaces `where` picks) still holding the Job tracking finalizer. */
export async function finalizersLeft(client: Client, where: (namespace: string) => boolean = () => true): Promise<string[]> {
  const pods = (await client.listAll(POD, { limit: 2000 })).items;
  return pods
    .filter((p) => where(p.metadata.namespace!) && p.metadata.finalizers?.includes(FINALIZER_JOB_TRACKING))
    .map((p) => `pod ${p.metadata.namespace}/${p.metadata.name} still has ${FINALIZER_JOB_TRACKING}`);
}

/**
 * Deletes every Job, the CronJob and every claim while the operator still runs: every pod must go (no
 * finalizer left behind) and every PV and directory with its claim (reclaim policy Delete, onDelete:
 * delete).
 */
export async function teardown(client: Client, size: WorkloadSize, exportsDir: string): Promise<void> {
  for (let i = 0; i < size.jobs; i++) await client.delete(JOB, jobNamespace(i), 'work', { propagationPolicy: 'Background' });
  await client.delete(CRONJOB, NS.cron, 'tick', { propagationPolicy: 'Background' });
  await pool(0, size.claims, 20, (i) => client.delete(PVC, NS.nfs, `claim-${i}`));
  await waitFor(
    async () => {
      const pods = (await client.listAll(POD, { limit: 2000 })).items.filter((p) => p.metadata.namespace!.startsWith('chaos-job-') || p.metadata.namespace === NS.cron).length;
      const volumes = (await client.list(PV)).items.filter((v) => v.spec?.claimRef?.namespace === NS.nfs).length;
      const dirs = readdirSync(join(exportsDir, PROVISIONER)).length;
      return (pods === 0 && volumes === 0 && dirs === 0) || (false as const);
    },
 { what: 'Job and CronJob pods, PVs and directories gone after their owners and claims were deleted', timeoutMs: 600_000, intervalMs: 2000 },
  );
}
