// Periodic work per served NFSProvisioner: the used-bytes gauge of each volume, and removal of
// archived directories older than spec.archiveRetention. Driven as a reconcile of the NFSProvisioner
// that requeues itself, so it runs only on the leader and stops with it.
import { Gauge, type Registry } from 'prom-client';
import { PV } from '../../api/core/types.ts';
import type { PersistentVolume } from '../../api/core/types.ts';
import type { ReconcileContext, Reconciler, Request, Result } from '../../runtime/controller/reconciler.ts';
import { removeExpiredArchives, usedBytes } from './export-fs.ts';
import { configOf, volumeDirs, type VolumeWorkDeps } from './volume-work.ts';

/** How often a volume's usage is measured at most (a walk of its tree). */
export const USAGE_INTERVAL_MS = 60_000;
/** Beyond this many volumes per provisioner the gauge is not kept (one tree walk each per interval). */
export const MAX_MEASURED_VOLUMES = 2000;
const MAX_ENTRIES_PER_VOLUME = 200_000;

type UsageLabels = 'provisioner' | 'persistentvolume' | 'namespace' | 'claim';
const gauges = new WeakMap<Registry, Gauge<UsageLabels>>();

/** The gauge, one per metrics registry (a manager). */
export function usageGauge(registry: Registry): Gauge<UsageLabels> {
  let g = gauges.get(registry);
  if (!g) {
    g = new Gauge({
      name: 'tentacle_nfs_volume_used_bytes',
      help: 'Bytes of regular files in an NFS volume directory (apparent size; NFS has no quotas)',
      labelNames: ['provisioner', 'persistentvolume', 'namespace', 'claim'],
      registers: [registry],
    });
    gauges.set(registry, g);
  }
  return g;
}

/** How often to come back: twice per retention period, at least once per usage interval. */
export function housekeepingIntervalMs(retentionMs: number | undefined): number {
  if (retentionMs === undefined) return USAGE_INTERVAL_MS;
  return Math.min(USAGE_INTERVAL_MS, Math.max(1_000, Math.floor(retentionMs / 2)));
}

export class HousekeepingReconciler implements Reconciler {
  private readonly deps: VolumeWorkDeps;
  private readonly gauge: Gauge<UsageLabels>;
  /** Per provisioner: volume name → label set and time of the last measurement. */
  private readonly measured = new Map<string, Map<string, { labels: Record<UsageLabels, string>; at: number }>>();
  /** Per provisioner: when expired archives were last looked for (volume events come often). */
  private readonly retentionRuns = new Map<string, number>();

  constructor(deps: VolumeWorkDeps, registry: Registry) {
    this.deps = deps;
    this.gauge = usageGauge(registry);
  }

  async reconcile(req: Request, ctx: ReconcileContext): Promise<Result> {
    const { cache, clock } = this.deps;
    const name = req.name;
    const root = this.deps.rootOf(name);
    const found = configOf(cache, name);
    if (root === undefined || 'errors' in found) {
      this.forget(name);
      return {};
    }
    const dirs = volumeDirs(cache, name, found.path);
    await this.measure(name, root, dirs, ctx);
    const interval = housekeepingIntervalMs(found.archiveRetentionMs);
    const lastRun = this.retentionRuns.get(name);
    if (found.archiveRetentionMs !== undefined && (lastRun === undefined || clock.now() - lastRun >= interval - 100)) {
      this.retentionRuns.set(name, clock.now());
      const parents = new Set(['', ...[...dirs.values()].map((d) => d.split('/').slice(0, -1).join('/'))]);
      const r = await removeExpiredArchives(root, {
        olderThanMs: found.archiveRetentionMs,
        now: clock.now(),
        liveVolumes: [...dirs.values()],
        parents: [...parents],
      });
      if (r.removed.length) ctx.log.info({ removed: r.removed }, 'removed expired archives');
      for (const e of r.errors) ctx.log.warn(e, 'could not remove an expired archive');
    }
    return { requeueAfterMs: interval };
  }

  private async measure(provisioner: string, root: string, dirs: Map<string, string>, ctx: ReconcileContext): Promise<void> {
    const now = this.deps.clock.now();
    let seen = this.measured.get(provisioner);
    if (!seen) this.measured.set(provisioner, (seen = new Map()));
    for (const [volume, entry] of seen) {
      if (!dirs.has(volume)) {
        this.gauge.remove(entry.labels);
        seen.delete(volume);
      }
    }
    if (dirs.size > MAX_MEASURED_VOLUMES) {
      if (seen.size) ctx.log.warn({ volumes: dirs.size }, 'too many volumes to measure; dropping the usage gauge');
      for (const entry of seen.values()) this.gauge.remove(entry.labels);
      seen.clear();
      return;
    }
    for (const [volume, dir] of dirs) {
      const last = seen.get(volume);
      if (last && now - last.at < USAGE_INTERVAL_MS) continue;
      const pv = this.deps.cache.get<PersistentVolume>(PV, '', volume);
      const labels = {
        provisioner,
        persistentvolume: volume,
        namespace: pv?.spec.claimRef?.namespace ?? '',
        claim: pv?.spec.claimRef?.name ?? '',
      };
      try {
        const usage = await usedBytes(root, dir, { maxEntries: MAX_ENTRIES_PER_VOLUME });
        if (last && JSON.stringify(last.labels) !== JSON.stringify(labels)) this.gauge.remove(last.labels);
        if (usage) this.gauge.set(labels, usage.bytes);
        seen.set(volume, { labels, at: now });
      } catch (err) {
        ctx.log.debug({ volume, err: (err as Error).message }, 'could not measure volume');
      }
    }
  }

  private forget(provisioner: string): void {
    for (const entry of this.measured.get(provisioner)?.values() ?? []) this.gauge.remove(entry.labels);
    this.measured.delete(provisioner);
    this.retentionRuns.delete(provisioner);
  }
}
