// The kinds this operator reads and writes, typed: a Kind<T> carries its object type, so the cache and
// the client return T (read-only from the cache) and a wrong kind does not compile.
import { defineKind, type Condition, type KubeObject } from 'tentacle/runtime';

/** Keeps a Secret whose data is a ConfigMap's (same namespace), for software that reads only Secrets. */
export interface SecretMirror extends KubeObject {
  spec: { configMapName: string; secretName?: string };
  status?: { observedGeneration?: number; conditions?: Condition[] };
}
export interface ConfigMap extends KubeObject {
  data?: Record<string, string>;
  binaryData?: Record<string, string>;
}
export interface Secret extends KubeObject {
  type?: string;
  data?: Record<string, string>;
}

export const SECRET_MIRROR = defineKind<SecretMirror>('mirror.example.com', 'v1alpha1', 'SecretMirror');
export const CONFIGMAP = defineKind<ConfigMap>('', 'v1', 'ConfigMap');
export const SECRET = defineKind<Secret>('', 'v1', 'Secret');

/** On a SecretMirror: before it goes, its mark on the source ConfigMap is removed. */
export const FINALIZER = 'mirror.example.com/unmark-source';
/** On a source ConfigMap: which SecretMirror copies it (so its owners know not to delete it lightly). */
export const MIRRORED_BY = 'mirror.example.com/mirrored-by';

export function secretNameOf(mirror: { metadata: { name?: string }; spec: { secretName?: string } }): string {
  return mirror.spec.secretName ?? mirror.metadata.name!;
}
