// One chaos run: a private control plane (with an audit log of every write), the operator as two
// replicas with leader election, the workload of workload.ts in flight, and faults at random instants:
// kill -9 of the leader, API-server restarts, and an etcd compaction followed by a restart (so every
// watch resumes from a compacted resourceVersion: 410 Gone, relist). Then the workload must converge
// with exact counts and nothing leaked, and tearing it down must leave no finalizer, PV or directory.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { auditEvents, benchControlPlane, operatorKubeconfig, quantile, stopBench } from '../../bench/support.ts';
import { seededRandom } from '../support/random.ts';
import { waitFor } from '../../src/testing/wait.ts';
import { JobIntervals, JobPodsSeen, OrdinalWatch, ReplicaRange } from './observe.ts';
import { Replicas } from './replicas.ts';
import { NODES, NS, check, create, finalizersLeft, pending, prepare, rollingUpdate, teardown, type WorkloadSize } from './workload.ts';

export interface ChaosOptions extends WorkloadSize {
  /** Times the leader is killed with SIGKILL. */
  kills: number;
  /** API-server restarts; the last one follows the etcd compaction. */
  apiserverRestarts: number;
  /** Longest random pause (ms) between a leader being elected and it being killed. */
  maxPauseMs: number;
  seed: number;
  /** How long the workload may take to converge after the last fault. */
  convergeTimeoutMs: number;
  log: (line: string) => void;
}

export interface ChaosReport {
  seed: number;
  seconds: number;
  faults: { kills: number; apiserverRestarts: number; compactions: number; leaseLossExits: number };
  /** Kill → another replica holds the lease, per kill (ms). */
  recoverMs: number[];
  objects: { jobs: number; jobPods: number; cronJobRuns: number; statefulSetPods: number; claims: number; hpas: number };
  /** Watch streams the replicas restarted after 410 Gone (relists). */
  relists: number;
  duplicates: { jobPods: number; ordinals: number; volumes: number };
  /** Invariants broken; empty when the run passed. */
  violations: string[];
  /** Exits the test did not cause other than stepping down after losing the lease; crashes. */
  crashes: string[];
  unhandledRejections: number;
}

export async function runChaos(o: ChaosOptions): Promise<ChaosReport> {
  const random = seededRandom(o.seed);
  const started = performance.now();
  const bench = await benchControlPlane([], { nodes: NODES });
  const { client, cp } = bench;
  const exportsDir = mkdtempSync(join(tmpdir(), 'tentacle-chaos-exports-'));
  const stopObserving = new AbortController();
  let replicas: Replicas | undefined;
  try {
    execFileSync('bin/kubectl', ['--kubeconfig', cp.kubeconfigPath, 'apply', '--server-side', '-f', 'crds/'], { stdio: 'ignore' });
    execFileSync('bin/kubectl', ['--kubeconfig', cp.kubeconfigPath, 'wait', '--for=condition=Established', '--timeout=60s', '-f', 'crds/'], { stdio: 'ignore' });
    const kubeconfig = await operatorKubeconfig(bench);
    replicas = new Replicas(
      2,
      ['--leader-elect', '--leader-election-namespace=tentacle-bench', `--nfs-local-exports=${exportsDir}`, '--kube-api-qps=50', '--kube-api-burst=100'],
      kubeconfig,
    );
    await replicas.start();
    const r = replicas;
    const leader = (what: string) => waitFor(() => r.leader(), { what, timeoutMs: 120_000, intervalMs: 250 });
    await leader('a first leader');
    await prepare(client, o, exportsDir);

    const ordinals = new OrdinalWatch(client, NS.sts);
    const targets = new ReplicaRange(client, NS.hpa);
    const cronJobs = new JobIntervals(client, NS.cron);
    const jobPods = new JobPodsSeen(client);
    const observers = [ordinals, targets, cronJobs, jobPods];
    const observing = observers.map((observer) => observer.run(stopObserving.signal));
    for (const observer of observers) await observer.waitForSync();
    const auditFrom = auditEvents(bench.auditLog).length;

    await create(client, o);
    o.log(`workload created: ${o.jobs} Jobs × ${o.completions}, StatefulSet of ${o.statefulSetReplicas}, ${o.claims} claims, ${o.hpas} HPAs`);
    const rollout = rollingUpdate(client, o, stopObserving.signal);

    // Faults, one after another, each at a random instant after the previous one settled.
    const recoverMs: number[] = [];
    const restartAfter = Array.from({ length: o.apiserverRestarts }, (_, i) => Math.floor(((i + 1) * o.kills) / (o.apiserverRestarts + 1)));
    let restarts = 0;
    let compactions = 0;
    const scraping = setInterval(() => void r.scrape(), 2000);
    try {
      for (let k = 1; k <= o.kills; k++) {
        const victim = await leader(`a leader before kill ${k}`);
        await sleep(random() * o.maxPauseMs);
        const killedAt = performance.now();
        await r.kill(victim);
        await leader(`a new leader after kill ${k}`);
        recoverMs.push(performance.now() - killedAt);
        o.log(`kill ${k}/${o.kills}: replica ${victim}; a leader again after ${((performance.now() - killedAt) / 1000).toFixed(1)} s; ${await pending(client, o).catch((e: Error) => e.message)}`);
        while (restartAfter[restarts] === k) {
          const compact = restarts === o.apiserverRestarts - 1;
          if (compact) {
            const revision = await cp.compactEtcd();
            compactions++;
            o.log(`etcd compacted at revision ${revision}`);
          }
          await cp.restartApiserver();
          restarts++;
          o.log(`kube-apiserver restarted (${restarts}/${o.apiserverRestarts})`);
        }
      }
      await rollout;
      let last = '';
      await waitFor(
        async () => {
          const left = await pending(client, o);
          if (left !== last) o.log(`converging: ${left || 'done'}`);
          last = left;
          return left === '';
        },
        { what: 'the workload to converge', timeoutMs: o.convergeTimeoutMs, intervalMs: 2000 },
      ).catch(async (err: unknown) => {
        // Keep what the replicas said: it is all there is to go on.
        const logs = join(tmpdir(), `tentacle-chaos-${o.seed}.log`);
        writeFileSync(logs, `${r.exits.map((e) => JSON.stringify(e)).join('\n')}\n${r.outputSoFar()}`);
        o.log(`not converged; the replicas' output is in ${logs}`);
        throw err;
      });
      await r.scrape();
    } finally {
      clearInterval(scraping);
    }

    const podCreates = auditEvents(bench.auditLog)
      .slice(auditFrom)
      .filter((e) => e.verb === 'create' && e.resource === 'pods' && e.code === 201 && e.user.endsWith(':operator'));
    const findings = await check(client, o, exportsDir, podCreates, jobPods, ordinals.overlaps, targets);
    findings.violations.push(...cronJobs.overlaps().map((overlap) => `CronJob tick (Forbid): ${overlap}`));
    await teardown(client, o, exportsDir);
    findings.violations.push(...(await finalizersLeft(client)));
    stopObserving.abort();
    await Promise.all(observing);

    const output = await replicas.stop();
    replicas = undefined;
    const leaseLoss = r.exits.filter((e) => !e.killed && e.code === 1 && e.tail.includes('leader election lost'));
    const crashes = r.exits.filter((e) => !e.killed && !leaseLoss.includes(e)).map((e) => `replica ${e.replica} exited ${e.code}: ${e.tail.slice(-500)}`);
    return {
      seed: o.seed,
      seconds: (performance.now() - started) / 1000,
      faults: { kills: recoverMs.length, apiserverRestarts: restarts, compactions, leaseLossExits: leaseLoss.length },
      recoverMs,
      objects: {
        jobs: o.jobs,
        jobPods: findings.podsCreated,
        cronJobRuns: cronJobs.jobs.size,
        statefulSetPods: ordinals.seen.size,
        claims: o.claims,
        hpas: o.hpas,
      },
      relists: r.total('tentacle_watch_restarts_total', 'reason="gone"'),
      duplicates: findings.duplicates,
      violations: findings.violations,
      crashes,
      unhandledRejections: output.split('\n').filter((l) => l.includes('unhandled promise rejection')).length,
    };
  } finally {
    stopObserving.abort();
    await replicas?.stop();
    await stopBench(bench);
    rmSync(exportsDir, { recursive: true, force: true });
  }
}

/** The report as the lines `make chaos` prints. */
export function describe(report: ChaosReport): string[] {
  const s = (ms: number) => (ms / 1000).toFixed(1);
  const d = report.duplicates;
  return [
    `chaos run, seed ${report.seed}: ${report.seconds.toFixed(0)} s`,
    `  faults: ${report.faults.kills} leader kills (kill -9), ${report.faults.apiserverRestarts} kube-apiserver restarts, ${report.faults.compactions} etcd compaction; ${report.faults.leaseLossExits} replica exits after losing the lease`,
    `  objects: ${report.objects.jobs} Jobs (${report.objects.jobPods} pods created), ${report.objects.cronJobRuns} Jobs of a Forbid CronJob, ${report.objects.statefulSetPods} StatefulSet pods, ${report.objects.claims} claims, ${report.objects.hpas} HPAs`,
    `  time to a new leader after a kill: median ${s(quantile(report.recoverMs, 0.5))} s, max ${s(Math.max(...report.recoverMs))} s`,
    `  relists after 410 Gone: ${report.relists}`,
    `  duplicates: ${d.jobPods + d.ordinals + d.volumes} (Job pods ${d.jobPods}, StatefulSet ordinals ${d.ordinals}, PVs ${d.volumes})`,
    `  leaks and broken invariants: ${report.violations.length}${report.violations.length ? `\n    ${report.violations.slice(0, 20).join('\n    ')}` : ''}`,
    `  crashes: ${report.crashes.length}${report.crashes.length ? `\n    ${report.crashes.join('\n    ')}` : ''}; unhandled rejections: ${report.unhandledRejections}`,
  ];
}

/**
 * The guarantees the run broke, one line each; empty when it kept them all. `size` is what was asked
 * for: every fault must have been injected, and each completion must have had its one pod.
 */
export function brokenGuarantees(report: ChaosReport, size: Pick<ChaosOptions, 'kills' | 'apiserverRestarts' | 'jobs' | 'completions'>): string[] {
  const f = report.faults;
  const d = report.duplicates;
  return [
    ...(f.kills < size.kills ? [`${f.kills} of ${size.kills} leader kills injected`] : []),
    ...(f.apiserverRestarts < size.apiserverRestarts ? [`${f.apiserverRestarts} of ${size.apiserverRestarts} API-server restarts injected`] : []),
    ...(f.compactions < 1 ? ['no etcd compaction injected'] : []),
    // A compaction that forced no relist did not test what it was meant to.
    ...(report.relists === 0 ? ['the compaction forced no relist'] : []),
    ...(report.objects.jobPods !== size.jobs * size.completions ? [`${report.objects.jobPods} Job pods created for ${size.jobs * size.completions} completions`] : []),
    ...(d.jobPods + d.ordinals + d.volumes > 0 ? [`duplicates: Job pods ${d.jobPods}, StatefulSet ordinals ${d.ordinals}, PVs ${d.volumes}`] : []),
    ...report.violations,
    ...report.crashes.map((c) => `crash: ${c}`),
    ...(report.unhandledRejections > 0 ? [`${report.unhandledRejections} unhandled rejections`] : []),
  ];
}
