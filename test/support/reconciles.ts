// Proof that a controller has reconciled an object, for tests that assert that something did NOT
// happen: without it, "nothing happened" may only mean "not yet".
//
// The evidence is the controller's own log. Every reconcile ends with one debug line `reconciled`
// naming the controller, namespace, name and result (src/runtime/controller/controller.ts), so the
// operator must run with --log-level=debug. Reconciles of one object never overlap (the work queue
// hands a key to one worker at a time), so of the reconciles that end after a moment T, the second
// began after T. Nothing need happen to the object after T, so reconciledAfterNow makes it happen: it
// writes a probe annotation on the object (an update event the controller's watch turns into a
// reconcile), and again once the first reconcile after T has ended.
//
// Use: change, wait until the change is visible (a status, a pod phase, ...), `await
// reconciledAfterNow(...)`, then assert that nothing happened, reading the API server (a reconcile's
// writes are there when its line is logged; a test's own informer may lag). What the reconcile saw
// is what the controller's cache held when it began: a change the test could read before T, unless
// the controller's watch delivered it later than the test's read, which on one machine is a matter
// of milliseconds against the round trip of the probe.
import type { Client } from '../../src/runtime/client/client.ts';
import type { GroupVersionKind } from '../../src/runtime/types.ts';
import { waitFor } from '../../src/testing/wait.ts';

/** The annotation reconciledAfterNow writes; no controller reads it. */
export const PROBE_ANNOTATION = 'test.tentacle.dev/reconcile-probe';

export interface ReconcileTarget {
  /** The controller's name, as in controller_runtime_reconcile_total{controller}. */
  controller: string;
  /** The kind of the object whose key the controller reconciles (where the probe is written). */
  gvk: GroupVersionKind;
  /** '' for a cluster-scoped object. */
  namespace: string;
  name: string;
}

interface ReconcileLine {
  time: number;
  result: string;
}

/**
 * The `reconciled` lines of `target` in a JSON log, from `offset` on. Lines cut short (the last, still
 * being written) or that are not JSON are skipped.
 */
export function reconcileLines(log: string, target: Omit<ReconcileTarget, 'gvk'>, offset = 0): ReconcileLine[] {
  const lines: ReconcileLine[] = [];
  let start = offset;
  for (;;) {
    const end = log.indexOf('\n', start);
    if (end < 0) return lines;
    const text = log.slice(start, end);
    start = end + 1;
    if (!text.includes('"reconciled"')) continue;
    let entry: { msg?: unknown; controller?: unknown; namespace?: unknown; name?: unknown; time?: unknown; result?: unknown };
    try {
      entry = JSON.parse(text);
    } catch {
      continue;
    }
    if (entry.msg !== 'reconciled' || entry.controller !== target.controller || entry.namespace !== target.namespace || entry.name !== target.name) continue;
    lines.push({ time: Date.parse(String(entry.time)), result: String(entry.result) });
  }
}

/**
 * Resolves once the controller has run a whole reconcile of `target` that began after this call
 * began. `log` returns the controller's JSON log so far (e.g. an OperatorProcess's stdout), which only
 * ever grows.
 */
export async function reconciledAfterNow(log: () => string, client: Client, target: ReconcileTarget, options: { timeoutMs?: number } = {}): Promise<void> {
  // Anything before this offset was written before `since`.
  const offset = log().length;
  const since = Date.now();
  const key = `${target.controller} ${target.namespace}/${target.name}`;
  // Log times have millisecond precision: a line stamped after `since` was written after it.
  const after = () => reconcileLines(log(), target, offset).filter((l) => l.time > since).length;
  for (const [round, wanted] of [
    [1, 1],
    [2, 2],
  ] as const) {
    await client.patch(target.gvk, target.namespace, target.name, { metadata: { annotations: { [PROBE_ANNOTATION]: `${since}-${round}` } } }, 'merge');
    await waitFor(() => after() >= wanted, {
      what: `${wanted} reconcile(s) of ${key} after the probe (is the controller logging at debug level?)`,
      timeoutMs: options.timeoutMs ?? 30_000,
    });
  }
}
