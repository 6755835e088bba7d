// The pod manifest the Job controller creates from spec.template (upstream manageJob's template
// preparation plus addCompletionIndex* from indexed_job_utils.go).
import {
  ANNOTATION_COMPLETION_INDEX,
  FINALIZER_JOB_TRACKING,
  JOB,
  LABEL_COMPLETION_INDEX,
  LABEL_CONTROLLER_UID,
  LABEL_JOB_NAME,
  LEGACY_LABEL_CONTROLLER_UID,
  LEGACY_LABEL_JOB_NAME,
  POD,
} from '../../api/batch/types.ts';
import type { Container, Job, Pod, PodSpec } from '../../api/batch/types.ts';
import { apiVersionOf, mutableCopy, type ReadonlyDeep } from '../../runtime/types.ts';
import { controllerRef } from '../../runtime/util/owners.ts';

/** The env var every container of an Indexed Job's pod gets. */
export const COMPLETION_INDEX_ENV = 'JOB_COMPLETION_INDEX';

/** Upstream names.MaxGeneratedNameLength: 63 minus the 5 random characters the API server appends. */
const MAX_GENERATED_NAME_LENGTH = 58;

/** `<job>-<index>-`, with the job name cut so the prefix fits in a generated name (as upstream). */
export function generateNameWithIndex(jobName: string, index: number): string {
  const suffix = `-${index}-`;
  const prefix = jobName + suffix;
  return prefix.length > MAX_GENERATED_NAME_LENGTH ? jobName.slice(0, MAX_GENERATED_NAME_LENGTH - suffix.length) + suffix : prefix;
}

function withIndexEnv(container: Container): Container {
  if (container.env?.some((e) => e.name === COMPLETION_INDEX_ENV)) return container;
  const env = [
    ...(container.env ?? []),
    { name: COMPLETION_INDEX_ENV, valueFrom: { fieldRef: { fieldPath: `metadata.labels['${LABEL_COMPLETION_INDEX}']` } } },
  ];
  return { ...container, env };
}

/**
 * A new pod for `job` (for completion `index` when the Job is Indexed, else `undefined`): template
 * labels plus the controller-uid/job-name labels (new and legacy keys), template annotations,
 * generateName `<job>-` (or `<job>-<index>-`), the Job's namespace, a controller reference, and the
 * tracking finalizer. The spec is a deep copy; for an index, every (init) container gets
 * JOB_COMPLETION_INDEX (from the index label through the downward API), the pod gets the index
 * annotation and label, and hostname `<job>-<index>` (subdomain stays as the template has it).
 */
export function newPod(job: ReadonlyDeep<Job>, index: number | undefined): Pod {
  const name = job.metadata.name ?? '';
  const uid = job.metadata.uid ?? '';
  const template = job.spec.template;
  const labels: Record<string, string> = {
    ...(template.metadata?.labels ?? {}),
    [LABEL_CONTROLLER_UID]: uid,
    [LABEL_JOB_NAME]: name,
    [LEGACY_LABEL_CONTROLLER_UID]: uid,
    [LEGACY_LABEL_JOB_NAME]: name,
  };
  const annotations: Record<string, string> = { ...(template.metadata?.annotations ?? {}) };
  const spec = mutableCopy<PodSpec>(template.spec);
  const finalizers = [...(template.metadata?.finalizers ?? [])];
  if (!finalizers.includes(FINALIZER_JOB_TRACKING)) finalizers.push(FINALIZER_JOB_TRACKING);
  let generateName = `${name}-`;
  if (index !== undefined) {
    annotations[ANNOTATION_COMPLETION_INDEX] = String(index);
    labels[LABEL_COMPLETION_INDEX] = String(index);
    spec.hostname = `${name}-${index}`;
    spec.containers = spec.containers.map(withIndexEnv);
    if (spec.initContainers) spec.initContainers = spec.initContainers.map(withIndexEnv);
    generateName = generateNameWithIndex(name, index);
  }
  const metadata: Pod['metadata'] = {
    generateName,
    labels,
    ownerReferences: [controllerRef(job, JOB)],
    finalizers,
  };
  if (job.metadata.namespace !== undefined) metadata.namespace = job.metadata.namespace;
  if (Object.keys(annotations).length > 0) metadata.annotations = annotations;
  return { apiVersion: apiVersionOf(POD), kind: POD.kind, metadata, spec };
}
