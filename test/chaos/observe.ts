// What the chaos run watches while faults happen, because the end state cannot show it: two pods of
// one StatefulSet ordinal alive at once, a scale target outside its HPA's bounds, and two Jobs of a
// Forbid CronJob running at once. Both watch
// through the runtime's informer, which survives the same API-server restarts and 410s as the
// operator; a relist reports what changed in the gap as updates, which are read as such below.
import type { Client } from '../../src/runtime/client/client.ts';
import { Informer } from '../../src/runtime/cache/informer.ts';
import type { GroupVersionKind, KubeObject, ReadonlyDeep } from '../../src/runtime/types.ts';
import { POD, DEPLOYMENT } from '../../src/api/core/types.ts';
import { JOB, LABEL_JOB_NAME } from '../../src/api/batch/types.ts';

/** Pods of a namespace by name: a second UID for a name while the first still exists is an overlap. */
export class OrdinalWatch {
  /** Names for which two pods were seen at the same time. */
  readonly overlaps: string[] = [];
  /** Pods seen, by UID. */
  readonly seen = new Set<string>();
  private readonly live = new Map<string, string>();
  private readonly informer: Informer<KubeObject>;

  constructor(client: Client, namespace: string) {
    this.informer = new Informer(client, POD, { namespace, fields: {} });
    this.informer.addHandler({
      onAdd: (pod) => this.appeared(pod),
      // A new UID under a known name in an update comes from a relist: the old pod was deleted in
      // the gap (the API server never holds two objects of one name), so it is a replacement.
      onUpdate: (_old, pod) => this.live.set(pod.metadata.name!, pod.metadata.uid!),
      onDelete: (pod) => {
        if (this.live.get(pod.metadata.name!) === pod.metadata.uid) this.live.delete(pod.metadata.name!);
      },
    });
  }

  run(signal: AbortSignal): Promise<void> {
    return this.informer.run(signal);
  }

  waitForSync(signal?: AbortSignal): Promise<boolean> {
    return this.informer.waitForSync(signal);
  }

  private appeared(pod: ReadonlyDeep<KubeObject>): void {
    const { name, uid } = pod.metadata;
    this.seen.add(uid!);
    const other = this.live.get(name!);
    if (other && other !== uid) this.overlaps.push(name!);
    this.live.set(name!, uid!);
  }
}

/** The lowest and highest spec.replicas each Deployment of a namespace ever had. */
export class ReplicaRange {
  readonly range = new Map<string, { min: number; max: number; last: number }>();
  private readonly informer: Informer<KubeObject & { spec?: { replicas?: number } }>;

  constructor(client: Client, namespace: string, gvk: GroupVersionKind = DEPLOYMENT) {
    this.informer = new Informer(client, gvk, { namespace, fields: { spec: { replicas: true } } });
    const record = (obj: ReadonlyDeep<KubeObject & { spec?: { replicas?: number } }>) => {
      const n = obj.spec?.replicas ?? 1;
      const r = this.range.get(obj.metadata.name!);
      this.range.set(obj.metadata.name!, { min: Math.min(r?.min ?? n, n), max: Math.max(r?.max ?? n, n), last: n });
    };
    this.informer.addHandler({ onAdd: record, onUpdate: (_old, obj) => record(obj) });
  }

  run(signal: AbortSignal): Promise<void> {
    return this.informer.run(signal);
  }

  waitForSync(signal?: AbortSignal): Promise<boolean> {
    return this.informer.waitForSync(signal);
  }
}

type JobLike = KubeObject & { status?: { conditions?: { type: string; status: string; lastTransitionTime?: string }[] } };

/**
 * The Jobs of a namespace as intervals, from creation to the Complete or Failed condition: with
 * concurrencyPolicy Forbid, no Job of one CronJob may start before the previous one finished.
 */
export class JobIntervals {
  readonly jobs = new Map<string, { created: number; finished?: number }>();
  private readonly informer: Informer<JobLike>;

  constructor(client: Client, namespace: string) {
    this.informer = new Informer<JobLike>(client, JOB, { namespace, fields: { status: { conditions: true } } });
    const record = (job: ReadonlyDeep<JobLike>) => {
      const done = job.status?.conditions?.find((c) => (c.type === 'Complete' || c.type === 'Failed') && c.status === 'True');
      this.jobs.set(job.metadata.name!, {
        created: Date.parse(job.metadata.creationTimestamp!),
        ...(done?.lastTransitionTime ? { finished: Date.parse(done.lastTransitionTime) } : {}),
      });
    };
    this.informer.addHandler({ onAdd: record, onUpdate: (_old, job) => record(job) });
  }

  run(signal: AbortSignal): Promise<void> {
    return this.informer.run(signal);
  }

  waitForSync(signal?: AbortSignal): Promise<boolean> {
    return this.informer.waitForSync(signal);
  }

  /** Pairs of Jobs that ran at the same time (server timestamps, whole seconds). */
  overlaps(): string[] {
    const sorted = [...this.jobs].sort((a, b) => a[1].created - b[1].created);
    const found: string[] = [];
    for (let i = 1; i < sorted.length; i++) {
      const [prevName, prev] = sorted[i - 1]!;
      const [name, job] = sorted[i]!;
      if (prev.finished === undefined || job.created < prev.finished) found.push(`${name} started while ${prevName} ran`);
    }
    return found;
  }
}

/**
 * Every Job pod ever seen, by namespace. With the audit log (which can lose the last writes of an API
 * server that is restarted), a second lower bound on the pods each Job created.
 */
export class JobPodsSeen {
  readonly uids = new Map<string, Set<string>>();
  private readonly informer: Informer<KubeObject>;

  constructor(client: Client) {
    this.informer = new Informer(client, POD, { labelSelector: LABEL_JOB_NAME, fields: {} });
    const record = (pod: ReadonlyDeep<KubeObject>) => {
      const ns = pod.metadata.namespace!;
      if (!this.uids.has(ns)) this.uids.set(ns, new Set());
      this.uids.get(ns)!.add(pod.metadata.uid!);
    };
    this.informer.addHandler({ onAdd: record, onUpdate: (_old, pod) => record(pod) });
  }

  run(signal: AbortSignal): Promise<void> {
    return this.informer.run(signal);
  }

  waitForSync(signal?: AbortSignal): Promise<boolean> {
    return this.informer.waitForSync(signal);
  }

  count(namespace: string): number {
    return this.uids.get(namespace)?.size ?? 0;
  }
}
