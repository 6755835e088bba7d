// Carries out a StatefulSet decision's actions with the client: one phase at a time, its actions in
// slow-start batches (1, 2, 4, …) that stop at the first failing batch, as upstream's slowStartBatch.
// Pod creations and deletions are recorded as expectations before they are sent.
import type { StatefulSet } from '../../api/apps/types.ts';
import { POD, PVC } from '../../api/core/types.ts';
import type { PersistentVolumeClaim, Pod } from '../../api/core/types.ts';
import type { Client } from '../../runtime/client/client.ts';
import { isAlreadyExists } from '../../runtime/client/errors.ts';
import type { Expectations } from '../../runtime/controller/expectations.ts';
import type { ReconcileContext } from '../../runtime/controller/reconciler.ts';
import { slowStartBatches } from '../../runtime/controller/slow-start.ts';
import { quietOnAbort, type EventRecorder } from '../../runtime/events/recorder.ts';
import { ownerRefsForPolicy } from './claims.ts';
import { identityPatch } from './identity.ts';
import type { StatefulSetAction } from './decide.ts';
import type { ReadonlyDeep } from '../../runtime/types.ts';

export class StatefulSetActor {
  private readonly deps: { client: Client; expectations: Expectations; recorder: EventRecorder };

  constructor(deps: { client: Client; expectations: Expectations; recorder: EventRecorder }) {
    // A write that shutdown or lost leadership cut short (the client's signal) gets no Warning.
    this.deps = { ...deps, recorder: quietOnAbort(deps.recorder, deps.client.signal) };
  }

  async run(set: ReadonlyDeep<StatefulSet>, key: string, phase: StatefulSetAction[], ctx: ReconcileContext): Promise<void> {
    const { expectations } = this.deps;
    const creations = phase.filter((a) => a.type === 'createPod').length;
    const deletions = phase.flatMap((a) => (a.type === 'deletePod' ? [a.pod.metadata.uid!] : []));
    if (creations) expectations.expectCreations(key, creations);
    if (deletions.length) expectations.expectDeletions(key, deletions);
    const { skipped, failure } = await slowStartBatches(phase, (action) => this.perform(set, key, action));
    if (failure) {
      // Actions never attempted will never be observed either.
      for (const action of skipped) this.unexpect(key, action);
      ctx.log.warn({ err: (failure.reason as Error).message, skipped: skipped.length }, 'statefulset action failed; ending this round');
      throw failure.reason;
    }
  }

  /** Claim growth, one claim at a time, outside the rollout's phases (no expectations involved). */
  async resize(set: ReadonlyDeep<StatefulSet>, key: string, actions: StatefulSetAction[]): Promise<void> {
    for (const action of actions) await this.perform(set, key, action);
  }

  private unexpect(key: string, action: StatefulSetAction): void {
    if (action.type === 'createPod') this.deps.expectations.creationObserved(key);
    if (action.type === 'deletePod') this.deps.expectations.deletionObserved(key, action.pod.metadata.uid!);
  }

  private async perform(set: ReadonlyDeep<StatefulSet>, key: string, action: StatefulSetAction): Promise<void> {
    try {
      switch (action.type) {
        case 'createPod':
          await this.createClaims(set, action.pod, action.claims);
          await this.createPod(set, action.pod);
          return;
        case 'createClaims':
          await this.createClaims(set, action.pod, action.claims);
          return;
        case 'deletePod':
          await this.deletePod(set, key, action.pod);
          return;
        case 'updatePod':
          await this.write(set, 'update', action.pod, () =>
            this.deps.client.patch<Pod>(POD, action.pod.metadata.namespace!, action.pod.metadata.name!, identityPatch(set, action.pod), 'strategic'),
          );
          return;
        case 'updateClaim':
          await this.deps.client.update<PersistentVolumeClaim>(action.claim);
          return;
        case 'resizeClaim':
          await this.resizeClaim(set, action.claim, action.storage);
          return;
      }
    } catch (err) {
      this.unexpect(key, action);
      throw err;
    }
  }

  /** Creates the claims that do not exist yet, owned as the retention policy says (one write each). */
  private async createClaims(set: ReadonlyDeep<StatefulSet>, pod: ReadonlyDeep<Pod>, claims: readonly ReadonlyDeep<PersistentVolumeClaim>[]): Promise<void> {
    const { client, recorder } = this.deps;
    for (const claim of claims) {
      const ownerReferences = ownerRefsForPolicy(claim, set, pod);
      const wanted = ownerReferences.length ? { ...claim, metadata: { ...claim.metadata, ownerReferences } } : claim;
      const what = `Claim ${claim.metadata.name} Pod ${pod.metadata.name} in StatefulSet ${set.metadata.name}`;
      try {
        await client.create<PersistentVolumeClaim>(wanted);
        recorder.event(set, 'Normal', 'SuccessfulCreate', 'Create', `create ${what} success`);
      } catch (err) {
        if (isAlreadyExists(err)) continue;
        this.deps.recorder.event(set, 'Warning', 'FailedCreate', 'Create', `create ${what} failed error: ${(err as Error).message}`);
        throw err;
      }
    }
  }

  private async createPod(set: ReadonlyDeep<StatefulSet>, pod: ReadonlyDeep<Pod>): Promise<void> {
    await this.write(set, 'create', pod, () => this.deps.client.create<Pod>(pod));
  }

  private async deletePod(set: ReadonlyDeep<StatefulSet>, key: string, pod: ReadonlyDeep<Pod>): Promise<void> {
    const deleted = await this.write(set, 'delete', pod, () =>
      this.deps.client.delete(POD, pod.metadata.namespace!, pod.metadata.name!, { preconditions: { uid: pod.metadata.uid! } }),
    );
    if (!deleted) this.deps.expectations.deletionObserved(key, pod.metadata.uid!);
  }

  /** Runs a pod write with upstream's event: `<Verb> Pod <pod> in StatefulSet <set> successful|failed error: …`. */
  private async write<T>(set: ReadonlyDeep<StatefulSet>, verb: 'create' | 'update' | 'delete', pod: ReadonlyDeep<Pod>, fn: () => Promise<T>): Promise<T> {
    const Verb = verb[0]!.toUpperCase() + verb.slice(1);
    const what = `${Verb} Pod ${pod.metadata.name} in StatefulSet ${set.metadata.name}`;
    try {
      const result = await fn();
      this.deps.recorder.event(set, 'Normal', `Successful${Verb}`, Verb, `${what} successful`);
      return result;
    } catch (err) {
      this.deps.recorder.event(set, 'Warning', `Failed${Verb}`, Verb, `${what} failed error: ${(err as Error).message}`);
      throw err;
    }
  }

  private async resizeClaim(set: ReadonlyDeep<StatefulSet>, claim: ReadonlyDeep<PersistentVolumeClaim>, storage: string): Promise<void> {
    const { client, recorder } = this.deps;
    const from = claim.spec.resources?.requests?.storage ?? 'unset';
    try {
      await client.patch(PVC, claim.metadata.namespace!, claim.metadata.name!, {
        metadata: { resourceVersion: claim.metadata.resourceVersion },
        spec: { resources: { requests: { storage } } },
      }, 'merge');
      recorder.event(set, 'Normal', 'ResizingClaim', 'Resize', `Resizing claim ${claim.metadata.name} from ${from} to ${storage}`);
    } catch (err) {
      this.deps.recorder.event(set, 'Warning', 'FailedResize', 'Resize', `Resizing claim ${claim.metadata.name} to ${storage} failed error: ${(err as Error).message}`);
      throw err;
    }
  }
}
