// What the chaos run watches while faults happen, because the end state cannot show it: two pods of
// one StatefulSet ordinal alive at once, and a scale target outside its HPA's bounds. Both watch
// through the runtime's informer, which survives the same API-server restarts and 410s as the
// operator; a relist reports what changed in the gap as updates, which are read as such below.
import type { Client } from '../../src/runtime/client/client.ts';
import { Informer } from '../../src/runtime/cache/informer.ts';
import type { GroupVersionKind, KubeObject } from '../../src/runtime/types.ts';
import { POD, DEPLOYMENT } from '../../src/api/core/types.ts';

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

  private appeared(pod: KubeObject): void {
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
    const record = (obj: KubeObject & { spec?: { replicas?: number } }) => {
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
