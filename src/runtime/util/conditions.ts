// Status conditions as apimachinery's meta.SetStatusCondition handles them, as pure functions over
// arrays: every setter returns a new array and never mutates its input or the conditions in it.
//
// Two shapes are covered:
// - metav1.Condition (`Condition` in types.ts): `setCondition`.
// - The older per-API shapes (batch JobCondition, apps DeploymentCondition, core PodCondition, ...),
//   where reason/message are optional and a heartbeat field (`lastProbeTime` or `lastUpdateTime`)
//   may sit next to `lastTransitionTime`: `setTypedCondition`.
// The readers (`findCondition`, `isConditionTrue`, ...) accept either shape.

import type { Condition, ReadonlyDeep } from '../types.ts';

/** The fields a caller decides when setting a metav1.Condition; the time is the setter's business. */
export interface ConditionInput {
  type: string;
  status: Condition['status'];
  reason: string;
  message: string;
  observedGeneration?: number;
  /** Used instead of `now` when the status changes (or the condition is new); ignored otherwise. */
  lastTransitionTime?: string;
}

/** The least every condition shape has. */
export interface TypedCondition {
  type: string;
  status: string;
  reason?: string;
  message?: string;
  lastTransitionTime?: string;
  lastProbeTime?: string;
  lastUpdateTime?: string;
}

/** Heartbeat fields `setTypedCondition` can stamp with `now`. */
export type HeartbeatField = 'lastProbeTime' | 'lastUpdateTime';

export interface SetTypedConditionOptions {
  /**
   * Heartbeat fields set to `now` whenever the condition is added or changes (JobCondition:
   * `['lastProbeTime']`, DeploymentCondition: `['lastUpdateTime']`). Default: none; the fields are
   * then taken from `next` when it has them and otherwise kept from the existing condition.
   */
  touch?: readonly HeartbeatField[];
}

/** The condition of that type, or undefined. */
export function findCondition<C extends { type: string }>(
  conditions: readonly C[] | undefined | null,
  type: string,
): C | undefined {
  return conditions?.find((c) => c.type === type);
}

/** True only when a condition of that type exists with status "True". */
export function isConditionTrue(conditions: readonly { type: string; status: string }[] | undefined | null, type: string): boolean {
  return findCondition(conditions, type)?.status === 'True';
}

/** True only when a condition of that type exists with status "False" (absent is neither true nor false). */
export function isConditionFalse(conditions: readonly { type: string; status: string }[] | undefined | null, type: string): boolean {
  return findCondition(conditions, type)?.status === 'False';
}

/** A new array without the condition(s) of that type. */
export function removeCondition<C extends { type: string }>(conditions: readonly C[] | undefined | null, type: string): C[] {
  return (conditions ?? []).filter((c) => c.type !== type);
}

/**
 * Sets a metav1.Condition, as meta.SetStatusCondition does, returning a new array:
 * - a new type is appended, with lastTransitionTime = `next.lastTransitionTime ?? now`;
 * - for an existing type, lastTransitionTime changes (to `next.lastTransitionTime ?? now`) only when
 *   the status changes; reason, message and observedGeneration always take `next`'s values (an
 *   omitted observedGeneration is removed, as upstream resets it to 0, which is omitted in JSON);
 * - position in the array is kept; when nothing changed, the existing condition object is reused,
 *   so `result[i] === conditions[i]` for all i tells the caller no status update is needed.
 */
export function setCondition(conditions: readonly ReadonlyDeep<Condition>[] | undefined | null, next: ConditionInput, now: string): Condition[] {
  const list = conditions ?? [];
  const index = list.findIndex((c) => c.type === next.type);
  const existing = list[index];
  if (!existing) {
    return [...list, buildCondition(next, next.lastTransitionTime ?? now)];
  }
  const transition = existing.status !== next.status ? (next.lastTransitionTime ?? now) : existing.lastTransitionTime;
  const updated = buildCondition(next, transition);
  const unchanged =
    existing.status === updated.status &&
    existing.reason === updated.reason &&
    existing.message === updated.message &&
    existing.observedGeneration === updated.observedGeneration &&
    existing.lastTransitionTime === updated.lastTransitionTime;
  const result = [...list];
  result[index] = unchanged ? existing : updated;
  return result;
}

function buildCondition(next: ConditionInput, lastTransitionTime: string): Condition {
  const c: Condition = { type: next.type, status: next.status, lastTransitionTime, reason: next.reason, message: next.message };
  if (next.observedGeneration !== undefined) c.observedGeneration = next.observedGeneration;
  return c;
}

/**
 * Sets a condition of a non-metav1 shape (JobCondition, DeploymentCondition, PodCondition, ...),
 * returning a new array. The condition "changes" when any field other than the three time fields
 * differs from the existing one (status, reason, message, or any extra field `next` carries).
 * - Unchanged: the existing condition object is kept as it is (heartbeats are not bumped).
 * - Changed or new: the condition becomes `next`, with
 *   lastTransitionTime kept from the existing condition when the status is the same, and otherwise
 *   `next.lastTransitionTime ?? now`; each field in `options.touch` set to `now`; other heartbeat
 *   fields taken from `next`, else kept from the existing condition.
 * Unlike metav1, reason/message stay absent when `next` omits them (a changed condition is replaced,
 * not merged). Note: upstream's Deployment helper ignores message-only changes; this does not.
 */
export function setTypedCondition<C extends TypedCondition>(
  conditions: readonly C[] | undefined | null,
  next: C,
  now: string,
  options: SetTypedConditionOptions = {},
): C[] {
  const list = conditions ?? [];
  const index = list.findIndex((c) => c.type === next.type);
  const existing = list[index];
  if (existing && !typedConditionDiffers(existing, next)) {
    return [...list];
  }
  const updated: C = { ...next };
  updated.lastTransitionTime =
    existing && existing.status === next.status && existing.lastTransitionTime !== undefined
      ? existing.lastTransitionTime
      : (next.lastTransitionTime ?? now);
  for (const field of ['lastProbeTime', 'lastUpdateTime'] as const) {
    if (options.touch?.includes(field)) updated[field] = now;
    else if (next[field] === undefined && existing?.[field] !== undefined) updated[field] = existing[field];
  }
  if (!existing) return [...list, updated];
  const result = [...list];
  result[index] = updated;
  return result;
}

const timeFields = new Set(['lastTransitionTime', 'lastProbeTime', 'lastUpdateTime']);

function typedConditionDiffers(existing: TypedCondition, next: TypedCondition): boolean {
  const keys = new Set([...Object.keys(existing), ...Object.keys(next)]);
  for (const key of keys) {
    if (timeFields.has(key)) continue;
    const a = (existing as unknown as Record<string, unknown>)[key];
    const b = (next as unknown as Record<string, unknown>)[key];
    if (a !== b) return true;
  }
  return false;
}
