// Expectations guard a controller against its own stale cache, as upstream's ControllerExpectations:
// after creating N children the controller waits until its informer has seen N creations (or the
// expectation expires) before it counts children again, so it never creates the same pods twice.
// Deletions are tracked by UID, so one pod observed twice (terminating, then gone) counts once.
import { realClock, type Clock } from '../util/clock.ts';

interface Record {
  adds: number;
  deletes: Set<string>;
  since: number;
}

export class Expectations {
  private readonly records = new Map<string, Record>();
  private readonly clock: Clock;
  private readonly ttlMs: number;

  /** Upstream's ExpectationsTimeout is 5 minutes: a lost watch event must not block forever. */
  constructor(options: { clock?: Clock; ttlMs?: number } = {}) {
    this.clock = options.clock ?? realClock;
    this.ttlMs = options.ttlMs ?? 5 * 60_000;
  }

  /** Expect `count` creations (replacing any earlier expectation for the key). */
  expectCreations(key: string, count: number): void {
    const record = this.records.get(key);
    this.records.set(key, { adds: count, deletes: record?.deletes ?? new Set(), since: this.clock.now() });
  }

  /** Expect the deletion of these UIDs (added to any still pending). */
  expectDeletions(key: string, uids: Iterable<string>): void {
    const record = this.records.get(key) ?? { adds: 0, deletes: new Set<string>(), since: this.clock.now() };
    for (const uid of uids) record.deletes.add(uid);
    record.since = this.clock.now();
    this.records.set(key, record);
  }

  /** A creation was seen in the cache, or a create request failed (it will not be seen). */
  creationObserved(key: string, count = 1): void {
    const record = this.records.get(key);
    if (record) record.adds = Math.max(0, record.adds - count);
  }

  /** A deletion of `uid` was seen, or the delete request failed. */
  deletionObserved(key: string, uid: string): void {
    this.records.get(key)?.deletes.delete(uid);
  }

  /** True when nothing is pending for the key, or what is pending has waited longer than the TTL. */
  satisfied(key: string): boolean {
    const record = this.records.get(key);
    if (!record) return true;
    if (record.adds <= 0 && record.deletes.size === 0) return true;
    return this.clock.now() - record.since > this.ttlMs;
  }

  pending(key: string): { adds: number; deletes: number } {
    const record = this.records.get(key);
    return { adds: record?.adds ?? 0, deletes: record?.deletes.size ?? 0 };
  }

  /** Forgets the key (its object is gone). */
  delete(key: string): void {
    this.records.delete(key);
  }
}

/**
 * An informer handler that feeds `expectations` from the children it sees, keyed as `keysOf` maps a
 * child to its owners' request keys: a new child (after the initial list) is an observed creation; a
 * child that starts terminating, or is gone, an observed deletion (as upstream's updatePod/deletePod).
 */
export function observeChildren<T extends { metadata: { uid?: string; deletionTimestamp?: string } }>(
  expectations: Expectations,
  keysOf: (child: T) => string[],
): { onAdd(child: T, initial: boolean): void; onUpdate(old: T, child: T): void; onDelete(child: T): void } {
  const deleted = (child: T) => {
    for (const key of keysOf(child)) expectations.deletionObserved(key, child.metadata.uid!);
  };
  return {
    onAdd: (child, initial) => {
      if (!initial) for (const key of keysOf(child)) expectations.creationObserved(key);
    },
    onUpdate: (old, child) => {
      if (!old.metadata.deletionTimestamp && child.metadata.deletionTimestamp) deleted(child);
    },
    onDelete: deleted,
  };
}
