// ControllerRevision history for a StatefulSet, as upstream's pkg/controller/history and the
// revision half of stateful_set_control.go: a revision stores the pod template as a replace patch
// `{"spec":{"template":{…,"$patch":"replace"}}}`, named `<set>-<hash>` with an FNV-32 hash of that data
// (plus the collision count), numbered 1, 2, …; an unchanged template reuses its revision.
import { STATEFULSET } from '../../api/apps/types.ts';
import type { StatefulSet } from '../../api/apps/types.ts';
import { CONTROLLER_REVISION } from '../../api/core/types.ts';
import type { ControllerRevision, PodTemplateSpec } from '../../api/core/types.ts';
import { apiVersionOf, mutableCopy, type ReadonlyDeep } from '../../runtime/types.ts';
import { parseTimeOrUndefined } from '../../runtime/util/time.ts';
import { controllerRef } from '../../runtime/util/owners.ts';

/** Upstream ControllerRevisionHashLabel. */
export const LABEL_REVISION_DATA_HASH = 'controller.kubernetes.io/hash';

/** JSON with object keys sorted at every level, so equal templates give equal bytes. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => {
    if (v === null || typeof v !== 'object' || Array.isArray(v)) return v;
    return Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  });
}

/** FNV-1 (not 1a), 32 bits, over UTF-8 bytes: Go's hash/fnv New32. */
export function fnv32(text: string): number {
  let hash = 0x811c9dc5;
  for (const byte of new TextEncoder().encode(text)) {
    hash = Math.imul(hash, 0x01000193) >>> 0;
    hash = (hash ^ byte) >>> 0;
  }
  return hash;
}

const SAFE_ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';

/** apimachinery rand.SafeEncodeString: each character mapped into an alphabet without vowels. */
export function safeEncode(text: string): string {
  return [...text].map((c) => SAFE_ALPHABET[c.charCodeAt(0) % SAFE_ALPHABET.length]).join('');
}

export function revisionData(template: ReadonlyDeep<PodTemplateSpec>): { spec: { template: PodTemplateSpec & { $patch: 'replace' } } } {
  return { spec: { template: { ...mutableCopy<PodTemplateSpec>(template), $patch: 'replace' } } };
}

export function hashRevisionData(data: unknown, collisionCount: number | undefined): string {
  let text = canonicalJson(data);
  if (collisionCount !== undefined) text += String(collisionCount);
  return safeEncode(String(fnv32(text)));
}

export function revisionName(setName: string, hash: string): string {
  return `${setName.slice(0, 223)}-${hash}`;
}

/** A new (unsaved) revision of the set's current template (upstream newRevision). */
export function newRevision(set: ReadonlyDeep<StatefulSet>, revision: number, collisionCount: number): ControllerRevision {
  // Keys sorted as Go sorts map keys: the API server re-encodes `data` that way whenever the revision
  // is patched (adoption, the garbage collector orphaning it), and rejects changed bytes as a change to
  // an immutable field.
  const data = JSON.parse(canonicalJson(revisionData(set.spec.template))) as unknown;
  const hash = hashRevisionData(data, collisionCount);
  const metadata: ControllerRevision['metadata'] = {
    name: revisionName(set.metadata.name ?? '', hash),
    labels: { ...(set.spec.template.metadata?.labels ?? {}), [LABEL_REVISION_DATA_HASH]: hash },
    ownerReferences: [controllerRef(set, STATEFULSET)],
  };
  if (set.metadata.namespace !== undefined) metadata.namespace = set.metadata.namespace;
  if (set.metadata.annotations) metadata.annotations = { ...set.metadata.annotations };
  return { apiVersion: apiVersionOf(CONTROLLER_REVISION), kind: CONTROLLER_REVISION.kind, metadata, data, revision };
}

/** The same revision name under the next collision count (upstream's retry after AlreadyExists). */
export function withCollisionCount(revision: ReadonlyDeep<ControllerRevision>, setName: string, collisionCount: number): ReadonlyDeep<ControllerRevision> {
  const hash = hashRevisionData(revision.data, collisionCount);
  return { ...revision, metadata: { ...revision.metadata, name: revisionName(setName, hash) } };
}

export function equalRevisions(a: ReadonlyDeep<ControllerRevision>, b: ReadonlyDeep<ControllerRevision>): boolean {
  return canonicalJson(a.data) === canonicalJson(b.data);
}

/** The set with its template taken from `revision` (upstream ApplyRevision). */
export function applyRevision(set: ReadonlyDeep<StatefulSet>, revision: ReadonlyDeep<ControllerRevision>): ReadonlyDeep<StatefulSet> {
  const template = (revision.data as { spec?: { template?: PodTemplateSpec & { $patch?: string } } } | undefined)?.spec?.template;
  if (!template) return set;
  const { $patch: _replace, ...restored } = template;
  return { ...set, spec: { ...set.spec, template: restored } };
}

/** Oldest first: by revision number, then creation time, then name (upstream SortControllerRevisions). */
export function sortRevisions(revisions: readonly ReadonlyDeep<ControllerRevision>[]): readonly ReadonlyDeep<ControllerRevision>[] {
  return [...revisions].sort((a, b) => {
    if (a.revision !== b.revision) return a.revision - b.revision;
    const ta = parseTimeOrUndefined(a.metadata.creationTimestamp) ?? 0;
    const tb = parseTimeOrUndefined(b.metadata.creationTimestamp) ?? 0;
    if (ta !== tb) return ta - tb;
    return (a.metadata.name ?? '') < (b.metadata.name ?? '') ? -1 : 1;
  });
}

export function nextRevisionNumber(sorted: readonly ReadonlyDeep<ControllerRevision>[]): number {
  return sorted.length ? sorted[sorted.length - 1]!.revision + 1 : 1;
}

/** What to do so that a revision for the current template exists (upstream getStatefulSetRevisions). */
export type UpdateRevisionPlan =
  | { type: 'existing'; revision: ReadonlyDeep<ControllerRevision> }
  | { type: 'renumber'; revision: ReadonlyDeep<ControllerRevision>; to: number }
  | { type: 'create'; revision: ReadonlyDeep<ControllerRevision> };

export function planUpdateRevision(set: ReadonlyDeep<StatefulSet>, sorted: readonly ReadonlyDeep<ControllerRevision>[]): UpdateRevisionPlan {
  const collisionCount = set.status?.collisionCount ?? 0;
  const proposed = newRevision(set, nextRevisionNumber(sorted), collisionCount);
  const equal = sorted.filter((r) => equalRevisions(r, proposed));
  const latest = sorted[sorted.length - 1];
  const newestEqual = equal[equal.length - 1];
  if (newestEqual && latest && newestEqual.metadata.name === latest.metadata.name) return { type: 'existing', revision: latest };
  // An older template came back (a rollback): reuse its revision under the next number.
  if (newestEqual) return { type: 'renumber', revision: newestEqual, to: proposed.revision };
  return { type: 'create', revision: proposed };
}

/** The revision named by status.currentRevision, else the update revision (a new set). */
export function currentRevisionOf(set: ReadonlyDeep<StatefulSet>, sorted: readonly ReadonlyDeep<ControllerRevision>[], update: ReadonlyDeep<ControllerRevision>): ReadonlyDeep<ControllerRevision> {
  return sorted.find((r) => r.metadata.name === set.status?.currentRevision) ?? update;
}

/**
 * Revisions to delete (oldest first): those neither current, nor the update revision, nor used by a
 * pod, beyond revisionHistoryLimit (upstream truncateHistory).
 */
export function revisionsToTruncate(
  sorted: readonly ReadonlyDeep<ControllerRevision>[],
  live: Set<string>,
  historyLimit: number,
): readonly ReadonlyDeep<ControllerRevision>[] {
  const history = sorted.filter((r) => !live.has(r.metadata.name ?? ''));
  if (historyLimit < 0 || history.length <= historyLimit) return [];
  return history.slice(0, history.length - historyLimit);
}
