// The operator as a Deployment of N replicas with leader election would run it: every replica that
// exits is started again at once (kubelet's restart, without its back-off, so faults stay the test's),
// and the test can ask which one leads and kill -9 it. Exits the test did not cause are counted: an
// operator that steps down when it loses its lease exits 1 (as upstream's leader election does), and
// anything else is a crash.
import { runOperator, type OperatorProcess } from '../support/operator.ts';
import { metricSum, scrape as scrapeMetrics } from '../support/metrics-text.ts';

export interface ReplicaExit {
  replica: number;
  code: number | null;
  /** The test killed it (kill -9), or it exited on its own. */
  killed: boolean;
  /** The tail of its output, for exits the test did not cause. */
  tail: string;
}

export class Replicas {
  readonly exits: ReplicaExit[] = [];
  /** Everything every process printed, kept for the end-of-run log scan. */
  private readonly outputs: string[] = [];
  private readonly procs: (OperatorProcess | undefined)[];
  private readonly killing = new Set<OperatorProcess>();
  private stopping = false;
  /** The last /metrics text of each process, by PID. */
  private readonly lastMetrics = new Map<number, string>();

  private readonly count: number;
  private readonly args: string[];
  private readonly kubeconfig: string;

  constructor(count: number, args: string[], kubeconfig: string) {
    this.count = count;
    this.args = args;
    this.kubeconfig = kubeconfig;
    this.procs = new Array<OperatorProcess | undefined>(count).fill(undefined);
  }

  async start(): Promise<void> {
    await Promise.all(Array.from({ length: this.count }, (_, i) => this.launch(i)));
  }

  /** The replica whose leader-election gauge is 1, if exactly one has it. */
  async leader(): Promise<number | undefined> {
    await this.scrape();
    const leading: number[] = [];
    this.procs.forEach((p, i) => {
      if (p && metricSum(this.lastMetrics.get(p.child.pid!) ?? '', 'leader_election_master_status') === 1) leading.push(i);
    });
    return leading.length === 1 ? leading[0] : undefined;
  }

  /**
   * A counter summed over every process that ever ran, each at the last value scraped from it (a
   * killed process keeps what it had counted by its last scrape; call scrape() often to lose little).
   */
  total(metric: string, label = ''): number {
    let sum = 0;
    for (const text of this.lastMetrics.values()) sum += metricSum(text, metric, label) ?? 0;
    return sum;
  }

  /** Reads every live replica's /metrics. */
  async scrape(): Promise<void> {
    await Promise.all(
      this.procs.map(async (p) => {
        const text = p ? await scrapeMetrics(p.metricsPort, 2000).catch(() => undefined) : undefined;
        if (p && text !== undefined) this.lastMetrics.set(p.child.pid!, text);
      }),
    );
  }

  /** kill -9 replica `i`; the supervisor starts a new process in its place. */
  async kill(i: number): Promise<void> {
    const p = this.procs[i];
    if (!p) return;
    this.killing.add(p);
    await p.kill();
  }

  /** Everything printed so far: by the processes that exited, then by the live ones. */
  outputSoFar(): string {
    return [...this.outputs, ...this.procs.map((p) => (p ? `--- live replica pid ${p.child.pid} ---\n${p.output()}` : ''))].join('');
  }

  /** Stops every replica (SIGTERM) and returns everything they printed. */
  async stop(): Promise<string> {
    this.stopping = true;
    await Promise.all(this.procs.flatMap((p) => (p ? [p.stop()] : [])));
    for (const p of this.procs) if (p) this.outputs.push(p.output());
    return this.outputs.join('');
  }

  private async launch(i: number): Promise<void> {
    const p = await runOperator(this.args, { ready: false, kubeconfig: this.kubeconfig });
    this.procs[i] = p;
    if (this.stopping) await p.stop(); // stop() ran while this one was starting
    void p.exited.then((code) => {
      if (this.stopping) return;
      const killed = this.killing.delete(p);
      this.exits.push({ replica: i, code, killed, tail: killed ? '' : p.output().slice(-2000) });
      this.outputs.push(p.output());
      this.procs[i] = undefined;
      void this.launch(i);
    });
  }
}

