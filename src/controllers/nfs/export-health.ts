// Whether a served export answers, as the condition ExportReachable on its NFSProvisioner. An NFS server
// that is away makes I/O wait for it (a hard mount: the kernel's client and tentacle-nfs-fuse alike), so
// an outage shows as a read of the export root that does not return: after EXPORT_PROBE_TIMEOUT_MS it
// is reported (ExportReachable=False, reason ExportNotResponding, a Warning event), and the read that
// finally returns ends it (ExportReachable=True, a Normal event). Provisioning and reclaiming simply
// wait meanwhile and carry on when the server is back; nothing is retried twice or lost.
import { mkdir, opendir } from 'node:fs/promises';
import { CONDITION_EXPORT_REACHABLE as EXPORT_REACHABLE, NFS_PROVISIONER, type NFSProvisioner } from '../../api/storage/types.ts';
import { isConflict, isNotFound } from '../../runtime/client/errors.ts';
import type { ReconcileContext, Reconciler, Request, Result } from '../../runtime/controller/reconciler.ts';
import type { PlannedEvent } from '../../runtime/events/recorder.ts';
import type { Condition, ReadonlyDeep } from '../../runtime/types.ts';
import { findCondition, setCondition } from '../../runtime/util/conditions.ts';
import type { VolumeWorkDeps } from './volume-work.ts';

/** How long a read of the export root may take before the export counts as not responding. */
export const EXPORT_PROBE_TIMEOUT_MS = 10_000;
/** How often a responding export is read again; an outage is looked at more often. */
export const EXPORT_PROBE_INTERVAL_MS = 15_000;
export const EXPORT_OUTAGE_INTERVAL_MS = 2_000;

export type ProbeResult =
  | { kind: 'ok' }
  | { kind: 'failed'; error: string }
  /** A read has been waiting since `sinceMs` (clock time). */
  | { kind: 'waiting'; sinceMs: number };

/** What the condition should say after a probe, and the event its change deserves. */
export interface ExportHealth {
  condition: { status: Condition['status']; reason: string; message: string };
  event: PlannedEvent | undefined;
}

/**
 * The ExportReachable verdict for a probe result; `previous` is the condition as it stands. A read
 * still waiting but not yet for `timeoutMs` changes nothing (undefined): a slow server is not an outage.
 */
export function decideExportHealth(
  previous: ReadonlyDeep<Condition> | undefined,
  result: ProbeResult,
  where: string,
  now: number,
  timeoutMs = EXPORT_PROBE_TIMEOUT_MS,
): ExportHealth | undefined {
  let condition: ExportHealth['condition'];
  if (result.kind === 'ok') {
    condition = { status: 'True', reason: 'ExportResponding', message: `the export ${where} answers` };
  } else if (result.kind === 'failed') {
    condition = { status: 'False', reason: 'ExportNotUsable', message: `the export ${where} cannot be read: ${result.error}` };
  } else {
    const waited = now - result.sinceMs;
    if (waited < timeoutMs) return undefined;
    condition = {
      status: 'False',
      reason: 'ExportNotResponding',
      message: `the export ${where} has not answered for ${Math.round(waited / 1000)}s; provisioning and reclaiming wait for the NFS server`,
    };
  }
  const changed = previous?.status !== condition.status || previous.reason !== condition.reason;
  let event: PlannedEvent | undefined;
  if (changed && condition.status === 'False') event = { type: 'Warning', reason: condition.reason, message: condition.message };
  else if (changed && previous?.status === 'False') event = { type: 'Normal', reason: 'ExportResponding', message: `the export ${where} answers again` };
  // A waiting read's message counts the seconds; rewriting it each probe would be a status write a probe.
  if (!changed && result.kind === 'waiting') condition = { ...condition, message: previous.message };
  return { condition, event };
}

/** Reads of export roots, at most one in flight per root: a read that waits on a server is waited on, not repeated. */
export class ExportProbe {
  readonly #inFlight = new Map<string, { since: number; done: Promise<ProbeResult> }>();
  readonly #read: (root: string) => Promise<ProbeResult>;

  /** `read` reads a root (default: open it and read one entry); tests pass one that waits. */
  constructor(read: (root: string) => Promise<ProbeResult> = readRoot) {
    this.#read = read;
  }

  /** Reads `root` (opens it and reads one entry); resolves within `timeoutMs` with what is known by then. */
  async probe(root: string, now: number, timeoutMs = EXPORT_PROBE_TIMEOUT_MS): Promise<ProbeResult> {
    let read = this.#inFlight.get(root);
    if (!read) {
      const done = this.#read(root).finally(() => this.#inFlight.delete(root));
      read = { since: now, done };
      this.#inFlight.set(root, read);
    }
    let timer: NodeJS.Timeout | undefined;
    const waiting = new Promise<ProbeResult>((resolve) => {
      timer = setTimeout(() => resolve({ kind: 'waiting', sinceMs: read.since }), timeoutMs);
      timer.unref();
    });
    try {
      return await Promise.race([read.done, waiting]);
    } finally {
      clearTimeout(timer);
    }
  }
}

export async function readRoot(root: string): Promise<ProbeResult> {
  try {
    // Opening a directory makes an NFS client ask the server (close-to-open), where a stat may be cached.
    const dir = await opendir(root, { bufferSize: 1 });
    try {
      await dir.read();
    } finally {
      await dir.close();
    }
    return { kind: 'ok' };
  } catch (err) {
    return { kind: 'failed', error: (err as Error).message };
  }
}

/** Keeps ExportReachable of each served NFSProvisioner current. */
export class ExportHealthReconciler implements Reconciler {
  readonly #deps: VolumeWorkDeps;
  readonly #probe = new ExportProbe();
  readonly #timeoutMs: number;

  constructor(deps: VolumeWorkDeps, timeoutMs = EXPORT_PROBE_TIMEOUT_MS) {
    this.#deps = deps;
    this.#timeoutMs = timeoutMs;
  }

  async reconcile(req: Request, ctx: ReconcileContext): Promise<Result> {
    const { cache, clock, recorder } = this.#deps;
    const root = this.#deps.rootOf(req.name);
    const p = cache.get<NFSProvisioner>(NFS_PROVISIONER, '', req.name);
    if (root === undefined || !p || p.metadata.deletionTimestamp) return {};
    // Local mode makes its export root when missing, as the provisioning does (a mount point in a cluster).
    if (this.#deps.createRoot) await mkdir(root, { recursive: true, mode: 0o755 });
    const result = await this.#probe.probe(root, clock.now(), this.#timeoutMs);
    const previous = findCondition(p.status?.conditions, EXPORT_REACHABLE);
    const health = decideExportHealth(previous, result, `${p.spec.server}:${p.spec.path}`, clock.now(), this.#timeoutMs);
    const next = result.kind === 'ok' ? EXPORT_PROBE_INTERVAL_MS : EXPORT_OUTAGE_INTERVAL_MS;
    if (!health) return { requeueAfterMs: next };
    const c = health.condition;
    if (previous?.status !== c.status || previous.reason !== c.reason || previous.message !== c.message) {
      const conditions = setCondition(p.status?.conditions ?? [], { type: EXPORT_REACHABLE, ...c }, new Date(clock.now()).toISOString());
      try {
        await this.#deps.client.withSignal(ctx.signal).updateStatus<NFSProvisioner>({ ...p, status: { ...p.status, conditions } });
      } catch (err) {
        if (isConflict(err) || isNotFound(err)) return { requeue: true };
        throw err;
      }
      if (health.event) recorder.event(p, health.event.type, health.event.reason, 'Probe', health.event.message);
      ctx.log.info({ condition: EXPORT_REACHABLE, status: c.status, reason: c.reason }, c.message);
    }
    return { requeueAfterMs: next };
  }
}
