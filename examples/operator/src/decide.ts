// What to do about one SecretMirror, given what the cache shows: a pure function, table-tested.
import { findCondition, hasFinalizer, isControlledBy, type PlannedEvent, type ReadonlyDeep } from 'tentacle/runtime';
import { FINALIZER, MIRRORED_BY, type ConfigMap, type Secret, type SecretMirror } from './api.ts';

export interface Observed {
  mirror: ReadonlyDeep<SecretMirror>;
  configMap: ReadonlyDeep<ConfigMap> | undefined;
  secret: ReadonlyDeep<Secret> | undefined;
}

export interface Ready {
  status: 'True' | 'False';
  reason: 'Synced' | 'ConfigMapNotFound' | 'SecretNotOwned';
  message: string;
}

export type Plan =
  /** Being deleted: unmark the source (when marked), then drop the finalizer. */
  | { action: 'finalize'; unmarkSource: boolean }
  /** First sight: the finalizer goes on before anything that would need undoing. */
  | { action: 'add-finalizer' }
  | {
      action: 'sync';
      /** What to do to the Secret; `data` is its desired data (base64 values). */
      secret: 'create' | 'update' | 'keep';
      data: Record<string, string>;
      markSource: boolean;
      ready: Ready;
      event: PlannedEvent | undefined;
    };

export function decide({ mirror, configMap, secret }: Observed): Plan {
  const name = mirror.metadata.name!;
  if (mirror.metadata.deletionTimestamp) {
    return { action: 'finalize', unmarkSource: configMap?.metadata.annotations?.[MIRRORED_BY] === name };
  }
  if (!hasFinalizer(mirror, FINALIZER)) return { action: 'add-finalizer' };

  const wasReady = findCondition(mirror.status?.conditions, 'Ready');
  // A Warning once per cause, not once per reconcile.
  const warnOnce = (ready: Ready): PlannedEvent | undefined =>
    wasReady?.reason === ready.reason ? undefined : { type: 'Warning', reason: ready.reason, message: ready.message };

  if (secret && !isControlledBy(secret, mirror)) {
    const ready: Ready = {
      status: 'False',
      reason: 'SecretNotOwned',
      message: `Secret ${secret.metadata.name} exists and is not controlled by this SecretMirror; it is left alone`,
    };
    return { action: 'sync', secret: 'keep', data: {}, markSource: false, ready, event: warnOnce(ready) };
  }
  if (!configMap) {
    const ready: Ready = {
      status: 'False',
      reason: 'ConfigMapNotFound',
      message: `ConfigMap ${mirror.spec.configMapName} not found; the Secret keeps its last data`,
    };
    return { action: 'sync', secret: 'keep', data: {}, markSource: false, ready, event: warnOnce(ready) };
  }

  const data = secretData(configMap);
  const write = !secret ? 'create' : sameData(secret.data ?? {}, data) ? 'keep' : 'update';
  const secretName = secret?.metadata.name ?? mirror.spec.secretName ?? name;
  const ready: Ready = { status: 'True', reason: 'Synced', message: `Secret ${secretName} has the data of ConfigMap ${configMap.metadata.name}` };
  const event: PlannedEvent | undefined =
    write === 'create'
      ? { type: 'Normal', reason: 'Created', message: `Created Secret ${secretName}` }
      : write === 'update'
        ? { type: 'Normal', reason: 'Updated', message: `Updated Secret ${secretName}` }
        : undefined;
  return { action: 'sync', secret: write, data, markSource: configMap.metadata.annotations?.[MIRRORED_BY] !== name, ready, event };
}

/** A Secret's data (base64) for a ConfigMap's data (text) and binaryData (already base64). */
export function secretData(configMap: ReadonlyDeep<ConfigMap>): Record<string, string> {
  const out: Record<string, string> = { ...configMap.binaryData };
  for (const [key, value] of Object.entries(configMap.data ?? {})) out[key] = Buffer.from(value, 'utf8').toString('base64');
  return out;
}

function sameData(a: Readonly<Record<string, string>>, b: Readonly<Record<string, string>>): boolean {
  const keys = Object.keys(a);
  return keys.length === Object.keys(b).length && keys.every((k) => a[k] === b[k]);
}
