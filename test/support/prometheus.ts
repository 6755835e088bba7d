// A real Prometheus for tests: Debian's /usr/bin/prometheus (hack/system-deps.sh; $TENTACLE_PROMETHEUS
// overrides), its own process (group) on a free loopback port, its own storage in a temp dir, scraping
// every second. It dies with the test process even on SIGKILL (setpriv --pdeathsig); stop() kills it by
// PID and waits for it.
//
//   const prom = await startPrometheus({ scrapeConfigs: [{ job_name: 'x', static_configs: [{ targets: [exporter.target] }] }] });
//   const [sample] = await prom.query('queue_depth{queue="orders"}');   // sample.value[1] === '42'
//   await prom.stop();
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { createServer } from 'node:net';
import yaml from 'js-yaml';

export const PROMETHEUS = process.env.TENTACLE_PROMETHEUS ?? '/usr/bin/prometheus';
export const PROMTOOL = process.env.TENTACLE_PROMTOOL ?? '/usr/bin/promtool';

export interface PrometheusOptions {
  /** `scrape_configs` entries, as in prometheus.yml. */
  scrapeConfigs: unknown[];
  /** `rule_files` (absolute paths). */
  ruleFiles?: string[];
  /** global scrape_interval, default '1s'. */
  scrapeInterval?: string;
  /** global evaluation_interval, default '1s'. */
  evaluationInterval?: string;
  /** Extra top-level prometheus.yml keys. */
  config?: Record<string, unknown>;
  /** Default $TENTACLE_PROMETHEUS or /usr/bin/prometheus. */
  binary?: string;
}

/** One element of an instant vector result. */
export interface Sample {
  metric: Record<string, string>;
  /** [unix seconds, value as a string] */
  value: [number, string];
}

export interface Prometheus {
  /** http://127.0.0.1:<port> */
  readonly url: string;
  readonly port: number;
  readonly pid: number;
  /** Temp dir with prometheus.yml and the TSDB; removed by stop(). */
  readonly dir: string;
  /** Instant query; resolves with `data.result` (a vector's samples, or a scalar/string pair). Rejects on PromQL errors. */
  query(promql: string): Promise<any[]>;
  /** GET <url><path> as JSON (e.g. '/api/v1/rules', '/api/v1/targets'). */
  api(path: string): Promise<any>;
  /** Waits until every target of `job` (or of all jobs) is up: resolves with the targets. */
  waitForTargets(job?: string, timeoutMs?: number): Promise<any[]>;
  /** stdout + stderr so far. */
  output(): string;
  stop(): Promise<void>;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

const hasSetpriv = () => spawnSync('setpriv', ['--version']).status === 0;

export async function startPrometheus(opts: PrometheusOptions): Promise<Prometheus> {
  const bin = opts.binary ?? PROMETHEUS;
  const dir = mkdtempSync(join(tmpdir(), 'tentacle-prometheus-'));
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const configFile = join(dir, 'prometheus.yml');
  writeFileSync(
    configFile,
    yaml.dump({
      global: { scrape_interval: opts.scrapeInterval ?? '1s', evaluation_interval: opts.evaluationInterval ?? '1s' },
      ...(opts.ruleFiles?.length ? { rule_files: opts.ruleFiles } : {}),
      scrape_configs: opts.scrapeConfigs,
      ...opts.config,
    }),
  );
  const args = [
    `--config.file=${configFile}`,
    `--storage.tsdb.path=${join(dir, 'data')}`,
    `--web.listen-address=127.0.0.1:${port}`,
    '--storage.tsdb.retention.time=1h',
    '--log.level=warn',
  ];
  // Own process group (detached) so stop() takes the whole group; pdeathsig so that not even a
  // SIGKILLed test runner leaves it behind.
  const [cmd, argv] = hasSetpriv() ? ['setpriv', ['--pdeathsig', 'KILL', '--', bin, ...args]] : [bin, args];
  const child: ChildProcess = spawn(cmd, argv, { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  let output = '';
  const append = (d: Buffer) => {
    output += d.toString();
    if (output.length > 200_000) output = output.slice(-100_000);
  };
  child.stdout!.on('data', append);
  child.stderr!.on('data', append);
  const exited = new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    else child.once('exit', () => resolve());
  });
  let spawnError: Error | undefined;
  child.on('error', (err) => (spawnError = err));
  const isRunning = () => child.exitCode === null && child.signalCode === null && !spawnError;
  const pid = child.pid ?? -1;

  const stop = async () => {
    if (isRunning() && pid > 0) {
      const signal = (s: NodeJS.Signals) => {
        try {
          process.kill(-pid, s);
        } catch {
          try {
            process.kill(pid, s);
          } catch {
            // gone
          }
        }
      };
      signal('SIGTERM');
      const timer = setTimeout(() => signal('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    }
    rmSync(dir, { recursive: true, force: true });
  };

  const api = async (path: string): Promise<unknown> => {
    const res = await fetch(url + path);
    // JSON.parse rather than res.json(): under Jest, fetch's objects and arrays are of Node's realm, and
    // assert.deepStrictEqual finds them unequal to a test's literals.
    return JSON.parse(await res.text());
  };
  const query = async (promql: string): Promise<any[]> => {
    const body = (await api(`/api/v1/query?query=${encodeURIComponent(promql)}`)) as any;
    if (body.status !== 'success') throw new Error(`${promql}: ${body.errorType}: ${body.error}`);
    return body.data.result;
  };

  // Ready: /-/ready 200, unless the process exits first.
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (!isRunning()) {
      await stop();
      throw new Error(`prometheus (${bin}) exited: ${spawnError?.message ?? ''}\n${output.slice(-2000)}`);
    }
    try {
      if ((await fetch(`${url}/-/ready`)).status === 200) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`prometheus not ready after 60 s:\n${output.slice(-2000)}`);
    }
    await sleep(100);
  }

  return {
    url,
    port,
    pid,
    dir,
    query,
    api,
    async waitForTargets(job, timeoutMs = 30_000) {
      const until = Date.now() + timeoutMs;
      for (;;) {
        const body = (await api('/api/v1/targets?state=active')) as any;
        const last: any[] = (body.data?.activeTargets ?? []).filter((t: any) => !job || t.labels?.job === job);
        if (last.length && last.every((t: any) => t.health === 'up')) return last;
        if (Date.now() > until) {
          throw new Error(`targets not up after ${timeoutMs} ms: ${JSON.stringify(last.map((t: any) => [t.scrapeUrl, t.health, t.lastError]))}`);
        }
        await sleep(250);
      }
    },
    output: () => output,
    stop,
  };
}
