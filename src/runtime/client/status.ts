// Writing a status only when it changed: every write is a watch event that wakes the controller again,
// and a write per reconcile would keep it busy for nothing.
import type { KubeObject, ReadonlyDeep } from '../types.ts';
import { semanticallyEqual } from '../util/equality.ts';
import type { Client } from './client.ts';

/**
 * Writes `status` through the status subresource unless it equals `obj.status` as the API server would
 * store it (an absent status and `{}` alike, undefined fields as absent ones). Resolves with the stored
 * object, or undefined when nothing was written. A conflict rejects as any write does.
 */
export async function updateStatusIfChanged<T extends KubeObject & { status?: unknown }>(
  client: Client,
  obj: ReadonlyDeep<T>,
  status: T['status'],
): Promise<T | undefined> {
  if (semanticallyEqual(obj.status ?? {}, status ?? {})) return undefined;
  return client.updateStatus<T>({ ...obj, status });
}
