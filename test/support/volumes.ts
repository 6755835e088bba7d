// Storage for tests on the local control plane, which has no provisioner: PersistentVolumes pre-bound
// (claimRef) to the claims a test expects, so kube-controller-manager's PV binder binds each claim to
// its volume as soon as it exists, and the scheduler places the pod.
import type { Client } from '../../src/runtime/client/client.ts';
import { PV, STORAGE_CLASS } from '../../src/api/core/types.ts';

export interface VolumeOptions {
  storage?: string;
  storageClassName?: string;
}

/** One hostPath volume per claim name, reserved for that claim in `namespace`; returns the PV names. */
export async function preBoundVolumes(client: Client, namespace: string, claims: string[], options: VolumeOptions = {}): Promise<string[]> {
  const names: string[] = [];
  for (const claim of claims) {
    const name = `pv-${namespace}-${claim}`.slice(0, 253);
    await client.create({
      apiVersion: 'v1',
      kind: 'PersistentVolume',
      metadata: { name },
      spec: {
        capacity: { storage: options.storage ?? '1Gi' },
        accessModes: ['ReadWriteOnce'],
        persistentVolumeReclaimPolicy: 'Retain',
        storageClassName: options.storageClassName ?? '',
        hostPath: { path: `/tmp/${name}` },
        claimRef: { namespace, name: claim },
      },
    });
    names.push(name);
  }
  return names;
}

export async function deleteVolumes(client: Client, names: string[]): Promise<void> {
  await Promise.all(names.map((name) => client.delete(PV, '', name)));
}

/** A StorageClass with no provisioner (volumes come from preBoundVolumes). */
export async function storageClass(client: Client, name: string, allowVolumeExpansion: boolean): Promise<void> {
  await client.create({
    apiVersion: 'storage.k8s.io/v1',
    kind: 'StorageClass',
    metadata: { name },
    provisioner: 'kubernetes.io/no-provisioner',
    allowVolumeExpansion,
    volumeBindingMode: 'Immediate',
  });
}

export async function deleteStorageClass(client: Client, name: string): Promise<void> {
  await client.delete(STORAGE_CLASS, '', name);
}
