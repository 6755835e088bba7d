// An NFSProvisioner's spec resolved into the settings the provisioning code uses, with the defaults
// applied here rather than in the CRD schema (see policy.ts on onDelete / archiveOnDelete) and every
// problem admission cannot catch collected as a readable message.
import type { NFSProvisioner, ReclaimPolicy, VolumeBindingMode } from '../../api/storage/types.ts';
import { parseDuration } from '../../runtime/util/duration.ts';
import { parseDirectoryId, parseDirectoryMode, resolveOnDelete, type OnDelete } from './policy.ts';
import type { ReadonlyDeep } from '../../runtime/types.ts';

export interface ProvisionerConfig {
  name: string;
  server: string;
  /** Export path on the server, as given. */
  path: string;
  storageClassName: string;
  reclaimPolicy: ReclaimPolicy;
  volumeBindingMode: VolumeBindingMode;
  allowVolumeExpansion: boolean;
  mountOptions: string[];
  pathPattern: string | undefined;
  onDelete: OnDelete;
  directoryMode: number;
  directoryUID: number | undefined;
  directoryGID: number | undefined;
  /** Milliseconds; undefined: archives are kept forever. */
  archiveRetentionMs: number | undefined;
}

export type ConfigResult = { ok: true; config: ProvisionerConfig } | { ok: false; errors: string[] };

export function storageClassNameOf(p: ReadonlyDeep<NFSProvisioner>): string {
  return p.spec.storageClassName || p.metadata.name!;
}

export function resolveConfig(p: ReadonlyDeep<NFSProvisioner>): ConfigResult {
  const errors: string[] = [];
  const spec = p.spec ?? ({} as NFSProvisioner['spec']);
  const onDelete = resolveOnDelete({ onDelete: spec.onDelete, archiveOnDelete: spec.archiveOnDelete });
  if (!onDelete.ok) errors.push(onDelete.error);
  const mode = parseDirectoryMode(spec.directoryMode);
  if (!mode.ok) errors.push(mode.error);
  const id = (what: string, v: number | undefined): number | undefined => {
    if (v === undefined) return undefined;
    const r = parseDirectoryId(String(v));
    if (!r.ok) errors.push(`${what}: ${r.error}`);
    return r.ok ? r.value : undefined;
  };
  const uid = id('directoryUID', spec.directoryUID);
  const gid = id('directoryGID', spec.directoryGID);
  let archiveRetentionMs: number | undefined;
  if (spec.archiveRetention !== undefined && spec.archiveRetention !== '') {
    try {
      archiveRetentionMs = parseDuration(spec.archiveRetention);
      if (archiveRetentionMs <= 0) errors.push(`archiveRetention ${JSON.stringify(spec.archiveRetention)} must be a positive duration`);
    } catch (err) {
      errors.push(`archiveRetention: ${(err as Error).message}`);
    }
  }
  if (!spec.server) errors.push('server is empty');
  if (!spec.path?.startsWith('/')) errors.push(`path ${JSON.stringify(spec.path ?? '')} is not an absolute path`);
  if (errors.length || !onDelete.ok || !mode.ok) return { ok: false, errors };
  return {
    ok: true,
    config: {
      name: p.metadata.name!,
      server: spec.server,
      path: spec.path,
      storageClassName: storageClassNameOf(p),
      reclaimPolicy: spec.reclaimPolicy ?? 'Delete',
      volumeBindingMode: spec.volumeBindingMode ?? 'Immediate',
      allowVolumeExpansion: spec.allowVolumeExpansion ?? false,
      mountOptions: [...(spec.mountOptions ?? [])],
      pathPattern: spec.pathPattern,
      onDelete: onDelete.value,
      directoryMode: mode.value,
      directoryUID: uid,
      directoryGID: gid,
      archiveRetentionMs,
    },
  };
}
