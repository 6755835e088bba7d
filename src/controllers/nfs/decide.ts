// Pure decisions of the NFSProvisioner controller: the StorageClass it owns (created, patched where
// mutable, recreated where not, never touched when someone else's), and the status with its
// conditions. The agent Deployment's shape is in agent.ts.
import type { Deployment, PersistentVolume, StorageClass } from '../../api/core/types.ts';
import { ANN_DEFAULT_CLASS, CONDITION_EXPORT_REACHABLE, NFS_PROVISIONER, PARAM_NFS_PROVISIONER, PROVISIONER_NAME } from '../../api/storage/types.ts';
import type { NFSProvisioner, NFSProvisionerStatus } from '../../api/storage/types.ts';
import type { Condition, ReadonlyDeep } from '../../runtime/types.ts';
import { setCondition } from '../../runtime/util/conditions.ts';
import { semanticallyEqual } from '../../runtime/util/equality.ts';
import { controllerRef, isControlledBy } from '../../runtime/util/owners.ts';
import { storageClassNameOf, type ConfigResult } from './config.ts';

export function desiredStorageClass(p: ReadonlyDeep<NFSProvisioner>): StorageClass {
  const spec = p.spec;
  return {
    apiVersion: 'storage.k8s.io/v1',
    kind: 'StorageClass',
    metadata: {
      name: storageClassNameOf(p),
      labels: { 'app.kubernetes.io/managed-by': 'tentacle', 'storage.tentacle.dev/nfs-provisioner': labelValue(p.metadata.name!) },
      annotations: { [ANN_DEFAULT_CLASS]: spec.isDefaultClass ? 'true' : 'false' },
      ownerReferences: [controllerRef(p, NFS_PROVISIONER)],
    },
    provisioner: PROVISIONER_NAME,
    parameters: { [PARAM_NFS_PROVISIONER]: p.metadata.name!, server: spec.server, path: spec.path },
    reclaimPolicy: spec.reclaimPolicy ?? 'Delete',
    volumeBindingMode: spec.volumeBindingMode ?? 'Immediate',
    allowVolumeExpansion: spec.allowVolumeExpansion ?? false,
    ...(spec.mountOptions?.length ? { mountOptions: [...spec.mountOptions] } : {}),
  };
}

/** A label value (≤ 63 characters) naming a provisioner; long names are cut (the label is informative). */
export function labelValue(name: string): string {
  return name.length <= 63 ? name : name.slice(0, 63).replace(/[-.]+$/, '');
}

export type StorageClassAction =
  | { kind: 'none' }
  | { kind: 'create'; storageClass: StorageClass }
  /** Mutable fields differ: a merge patch. */
  | { kind: 'patch'; patch: Record<string, unknown> }
  /** Immutable fields differ (provisioner, parameters, reclaimPolicy, volumeBindingMode). */
  | { kind: 'recreate'; storageClass: StorageClass }
  | { kind: 'conflict'; message: string };

export function decideStorageClass(p: ReadonlyDeep<NFSProvisioner>, existing: ReadonlyDeep<StorageClass> | undefined): StorageClassAction {
  const desired = desiredStorageClass(p);
  if (!existing) return { kind: 'create', storageClass: desired };
  if (!isControlledBy(existing, p)) {
    return {
      kind: 'conflict',
      message: `StorageClass ${desired.metadata.name} exists and is not managed by this NFSProvisioner; leaving it alone (choose another spec.storageClassName or delete that class)`,
    };
  }
  const immutable = (sc: ReadonlyDeep<StorageClass>) => [sc.provisioner, sc.parameters ?? {}, sc.reclaimPolicy ?? 'Delete', sc.volumeBindingMode ?? 'Immediate'];
  if (!semanticallyEqual(immutable(existing), immutable(desired))) return { kind: 'recreate', storageClass: desired };
  const patch: Record<string, unknown> = {};
  if ((existing.allowVolumeExpansion ?? false) !== desired.allowVolumeExpansion) patch.allowVolumeExpansion = desired.allowVolumeExpansion;
  if (!semanticallyEqual(existing.mountOptions ?? [], desired.mountOptions ?? [])) patch.mountOptions = desired.mountOptions ?? null;
  const wantDefault = desired.metadata.annotations![ANN_DEFAULT_CLASS];
  const labelsDiffer = Object.entries(desired.metadata.labels!).some(([k, v]) => existing.metadata.labels?.[k] !== v);
  if (existing.metadata.annotations?.[ANN_DEFAULT_CLASS] !== wantDefault || labelsDiffer) {
    patch.metadata = { annotations: { [ANN_DEFAULT_CLASS]: wantDefault }, labels: desired.metadata.labels };
  }
  return Object.keys(patch).length ? { kind: 'patch', patch } : { kind: 'none' };
}

/** Where the provisioning work runs, and how it is doing. */
export type AgentState =
  | { mode: 'local'; root: string; error?: string | undefined }
  | { mode: 'cluster'; missingImage: true }
  | { mode: 'cluster'; missingImage?: false; deployment: ReadonlyDeep<Deployment> | undefined; name: string };

export interface StatusInput {
  provisioner: ReadonlyDeep<NFSProvisioner>;
  config: ConfigResult;
  storageClass: StorageClassAction;
  agent: AgentState;
  volumes: readonly ReadonlyDeep<PersistentVolume>[];
  now: string;
}

interface Verdict {
  status: Condition['status'];
  reason: string;
  message: string;
}

function classVerdict(action: StorageClassAction, name: string): Verdict {
  if (action.kind === 'conflict') return { status: 'False', reason: 'NameConflict', message: action.message };
  if (action.kind === 'none') return { status: 'True', reason: 'Managed', message: `StorageClass ${name} is up to date` };
  return { status: 'False', reason: 'Updating', message: `StorageClass ${name} is being ${action.kind === 'create' ? 'created' : 'updated'}` };
}

function agentVerdict(agent: AgentState): Verdict {
  if (agent.mode === 'local') {
    if (agent.error) return { status: 'False', reason: 'ExportRootNotUsable', message: agent.error };
    return { status: 'True', reason: 'LocalMode', message: `provisioning runs in the operator process on ${agent.root}` };
  }
  if (agent.missingImage) {
    return { status: 'False', reason: 'NoAgentImage', message: 'the operator has no --nfs-agent-image, so no agent can be deployed' };
  }
  const d = agent.deployment;
  if (!d) return { status: 'False', reason: 'Deploying', message: `agent Deployment ${agent.name} is being created` };
  const available = d.status?.availableReplicas ?? 0;
  if (available >= 1 && (d.status?.observedGeneration ?? 0) >= (d.metadata.generation ?? 0)) {
    return { status: 'True', reason: 'AgentAvailable', message: `agent Deployment ${agent.name} is available` };
  }
  return { status: 'False', reason: 'AgentNotReady', message: `agent Deployment ${agent.name} has no available pod yet` };
}

/**
 * ExportReachable=False, as whoever provisions (the agent, or this process in local mode) reported it:
 * the provisioner is not Ready while its NFS server does not answer.
 */
function exportVerdict(conditions: readonly ReadonlyDeep<Condition>[]): Verdict | undefined {
  const c = conditions.find((x) => x.type === CONDITION_EXPORT_REACHABLE);
  return c?.status === 'False' ? { status: 'False', reason: c.reason, message: c.message } : undefined;
}

export function decideStatus(input: StatusInput): NFSProvisionerStatus {
  const { provisioner: p, config, now } = input;
  const generation = p.metadata.generation;
  const name = storageClassNameOf(p);
  const previous = p.status?.conditions ?? [];
  const sc = classVerdict(input.storageClass, name);
  const agent = agentVerdict(input.agent);
  const exportDown = exportVerdict(previous);
  let ready: Verdict;
  if (!config.ok) ready = { status: 'False', reason: 'InvalidSpec', message: config.errors.join('; ') };
  else if (sc.status !== 'True') ready = { ...sc, reason: sc.reason === 'Updating' ? 'StorageClassNotReady' : sc.reason };
  else if (agent.status !== 'True') ready = { status: 'False', reason: agent.reason, message: agent.message };
  else if (exportDown) ready = exportDown;
  else ready = { status: 'True', reason: 'Ready', message: `volumes of StorageClass ${name} are provisioned on ${p.spec.server}:${p.spec.path}` };
  const set = (conds: readonly ReadonlyDeep<Condition>[], type: string, v: Verdict) =>
    setCondition(conds, { type, ...v, ...(generation !== undefined ? { observedGeneration: generation } : {}) }, now);
  let conditions = set(previous, 'Ready', ready);
  conditions = set(conditions, 'StorageClassReady', sc);
  conditions = set(conditions, 'AgentReady', agent);
  return {
    ...(generation !== undefined ? { observedGeneration: generation } : {}),
    storageClassName: name,
    volumes: input.volumes.length,
    boundVolumes: input.volumes.filter((v) => v.status?.phase === 'Bound').length,
    ...(input.agent.mode === 'cluster' && !input.agent.missingImage ? { agentDeployment: input.agent.name } : {}),
    conditions,
  };
}

/**
 * How long (ms) to hold a status write back. A change of the volume counters alone waits until
 * `intervalMs` after this provisioner's last status write, so a burst of claims costs about one status
 * write per second instead of one per volume; any other change (a condition, the class, the agent) is
 * written at once.
 */
export function statusWriteDelay(
  current: ReadonlyDeep<NFSProvisionerStatus> | undefined,
  next: NFSProvisionerStatus,
  lastWriteAt: number | undefined,
  now: number,
  intervalMs = 1000,
): number {
  if (lastWriteAt === undefined) return 0;
  const withoutCounters = ({ volumes: _volumes, boundVolumes: _bound, ...rest }: ReadonlyDeep<NFSProvisionerStatus>) => rest;
  if (!semanticallyEqual(withoutCounters(current ?? {}), withoutCounters(next))) return 0;
  return Math.max(0, lastWriteAt + intervalMs - now);
}

/** Warning events worth sending: a condition newly False for a configuration problem. */
export function warningsFor(before: readonly ReadonlyDeep<Condition>[] | undefined, after: readonly ReadonlyDeep<Condition>[]): { reason: string; message: string }[] {
  const out: { reason: string; message: string }[] = [];
  for (const c of after) {
    if (c.status !== 'False' || !['InvalidSpec', 'NameConflict', 'NoAgentImage', 'ExportRootNotUsable'].includes(c.reason)) continue;
    const old = before?.find((b) => b.type === c.type);
    if (old && old.status === c.status && old.reason === c.reason && old.message === c.message) continue;
    if (c.type === 'Ready' && after.some((o) => o.type !== 'Ready' && o.reason === c.reason)) continue;
    out.push({ reason: c.reason, message: c.message });
  }
  return out;
}
