// The kinds the fuzz run sends: each with its CRD, a known-good spec that near-valid objects start
// from (pods that kwok can run), and the controller whose reconciles prove it was handled.
import { STATEFULSET } from '../../src/api/apps/types.ts';
import { HORIZONTAL_POD_AUTOSCALER } from '../../src/api/autoscaling/types.ts';
import { CRONJOB, JOB } from '../../src/api/batch/types.ts';
import { NFS_PROVISIONER } from '../../src/api/storage/types.ts';
import type { GroupVersionKind } from '../../src/runtime/types.ts';

export interface FuzzKind {
  kind: string;
  gvk: GroupVersionKind;
  crd: string;
  namespaced: boolean;
  /** Name prefix of the generated objects. */
  prefix: string;
  controller: string;
  base: Record<string, unknown>;
}

const podTemplate = (restartPolicy?: string) => ({
  metadata: { labels: { app: 'fuzz' } },
  spec: { containers: [{ name: 'main', image: 'fuzz.invalid/app:1' }], ...(restartPolicy ? { restartPolicy } : {}) },
});

export const KINDS: FuzzKind[] = [
  {
    kind: 'Job',
    gvk: JOB,
    crd: 'crds/batch.tentacle.dev_jobs.yaml',
    namespaced: true,
    prefix: 'job-',
    controller: 'job',
    base: { completions: 2, parallelism: 2, backoffLimit: 1, template: podTemplate('Never') },
  },
  {
    kind: 'CronJob',
    gvk: CRONJOB,
    crd: 'crds/batch.tentacle.dev_cronjobs.yaml',
    namespaced: true,
    prefix: 'cron-',
    controller: 'cronjob',
    // Once a year: were the base schedule every minute, hundreds of near-valid CronJobs would fire
    // together each minute, a load test rather than a fuzz (the generated schedules still include that).
    base: { schedule: '0 0 1 1 *', jobTemplate: { spec: { template: podTemplate('OnFailure') } } },
  },
  {
    kind: 'StatefulSet',
    gvk: STATEFULSET,
    crd: 'crds/apps.tentacle.dev_statefulsets.yaml',
    namespaced: true,
    prefix: 'sts-',
    controller: 'statefulset',
    base: { replicas: 1, serviceName: 'fuzz', selector: { matchLabels: { app: 'fuzz' } }, template: podTemplate() },
  },
  {
    kind: 'HorizontalPodAutoscaler',
    gvk: HORIZONTAL_POD_AUTOSCALER,
    crd: 'crds/autoscaling.tentacle.dev_horizontalpodautoscalers.yaml',
    namespaced: true,
    prefix: 'hpa-',
    controller: 'autoscaler',
    base: {
      scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'target' },
      minReplicas: 1,
      maxReplicas: 3,
      metrics: [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 50 } } }],
    },
  },
  {
    kind: 'NFSProvisioner',
    gvk: NFS_PROVISIONER,
    crd: 'crds/storage.tentacle.dev_nfsprovisioners.yaml',
    namespaced: false,
    prefix: 'nfs-',
    controller: 'nfs',
    base: { server: 'nfs.fuzz.test', path: '/srv/fuzz' },
  },
];
