// The manager runs everything an operator process has: the shared cache, the controllers, leader
// election, probes and metrics. Caches start at once (a standby keeps warm caches); controllers start
// only on the leader, after every cache has synced. Shutdown drains in-flight reconciles, releases the
// lease and closes the servers.
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import type { Server } from 'node:http';
import { randomUUID } from 'node:crypto';
import { Cache } from '../cache/cache.ts';
import { Client } from '../client/client.ts';
import { connect, type TransportOptions } from '../client/connection.ts';
import { DEFAULT_USER_AGENT, RestClient } from '../client/rest.ts';
import { Builder, type ControllerHost } from '../controller/builder.ts';
import type { Controller } from '../controller/controller.ts';
import { Recorder, type EventRecorder } from '../events/recorder.ts';
import { newLogger, type Logger } from '../log.ts';
import { RuntimeMetrics } from '../metrics/metrics.ts';
import { Backoff } from '../util/backoff.ts';
import { realClock, type Clock } from '../util/clock.ts';
import { sleep } from '../util/sleep.ts';
import { LeaderElector } from './leader-election.ts';
import { close, listen, metricsApp, parseBindAddress, portOf, probeApp, type Check } from './http.ts';

export interface ManagerOptions {
  /** Use this client instead of building one from the kubeconfig options below. */
  client?: Client;
  kubeconfig?: string;
  qps?: number;
  burst?: number;
  /**
   * How the client reaches the API server: HTTP/2 where offered (default; DISABLE_HTTP2 or `http2:
   * false` for HTTP/1.1), the HTTP/1.1 request sockets, HTTP/2 health-check timing (connection.ts).
   */
  transport?: TransportOptions;
  /** `:8080` by default; `0` disables the server. */
  metricsBindAddress?: string;
  /** `:8081` by default; `0` disables the server. */
  healthProbeBindAddress?: string;
  /**
   * How the operator names itself to the API server: the User-Agent of its requests (`-leader-election`
   * appended for the lease's own client) and the field manager of its writes. Default
   * `tentacle-runtime`; set it, so that audit logs and managedFields tell operators apart.
   */
  userAgent?: string;
  /** The field manager of writes that name none; default `userAgent`. */
  fieldManager?: string;
  leaderElection?: boolean;
  /** The Lease's name; required with `leaderElection` (one per operator, as controller-runtime's LeaderElectionID). */
  leaderElectionID?: string;
  leaderElectionNamespace?: string;
  leaseDurationMs?: number;
  renewDeadlineMs?: number;
  retryPeriodMs?: number;
  /** Identity in the Lease; default `<hostname>_<uuid>` as controller-runtime. */
  identity?: string;
  /** How long shutdown waits for in-flight reconciles. */
  gracefulShutdownTimeoutMs?: number;
  /** Restrict every watch to one namespace. */
  namespace?: string;
  logger?: Logger;
  clock?: Clock;
  metrics?: RuntimeMetrics;
}

const SA_NAMESPACE_FILE = '/var/run/secrets/kubernetes.io/serviceaccount/namespace';

export class Manager implements ControllerHost {
  readonly client: Client;
  readonly cache: Cache;
  readonly metrics: RuntimeMetrics;
  readonly logger: Logger;
  readonly clock: Clock;
  readonly identity: string;
  private readonly options: ManagerOptions;
  private readonly leaderClient: Client;
  private readonly controllers: Controller[] = [];
  private readonly recorders: Recorder[] = [];
  private readonly health = new Map<string, Check>([['ping', () => true]]);
  private readonly ready = new Map<string, Check>();
  private readonly servers: Server[] = [];
  private readonly ownsClient: boolean;
  private elector: LeaderElector | undefined;
  private electedResolve!: () => void;
  private started = false;
  /** Resolves when this manager becomes the leader (at once without leader election). */
  readonly elected: Promise<void> = new Promise((resolve) => (this.electedResolve = resolve));
  metricsPort: number | undefined;
  probePort: number | undefined;

  private constructor(client: Client, leaderClient: Client, options: ManagerOptions, metrics: RuntimeMetrics, ownsClient: boolean) {
    this.client = client;
    this.leaderClient = leaderClient;
    this.options = options;
    this.metrics = metrics;
    this.ownsClient = ownsClient;
    this.logger = options.logger ?? newLogger();
    this.clock = options.clock ?? realClock;
    this.identity = options.identity ?? `${hostname()}_${randomUUID()}`;
    this.cache = new Cache(client, {
      logger: this.logger,
      metrics,
      ...(options.namespace ? { namespace: options.namespace } : {}),
    });
    this.ready.set('informers-synced', () => this.cache.hasSynced() || 'caches not synced yet');
  }

  static async create(options: ManagerOptions = {}): Promise<Manager> {
    if (options.leaderElection && !options.leaderElectionID) {
      throw new Error('leaderElectionID is required with leaderElection: it names the Lease, one per operator');
    }
    const metrics = options.metrics ?? new RuntimeMetrics();
    if (options.client) return new Manager(options.client, options.client, options, metrics, false);
    const connection = await connect({ ...options.transport, ...(options.kubeconfig ? { kubeconfig: options.kubeconfig } : {}) });
    const limits = { ...(options.qps !== undefined ? { qps: options.qps } : {}), ...(options.burst !== undefined ? { burst: options.burst } : {}) };
    const userAgent = options.userAgent ?? DEFAULT_USER_AGENT;
    const client = new Client(new RestClient(connection, { ...limits, metrics, userAgent }));
    client.fieldManager = options.fieldManager ?? userAgent;
    // Leader election gets its own rate limiter and its own lane of the transport: a busy controller, or
    // a hundred watches, must never delay a lease renewal.
    const leaderClient = new Client(new RestClient(connection, { metrics, userAgent: `${userAgent}-leader-election`, lane: 'lease' }), client.mapper);
    return new Manager(client, leaderClient, options, metrics, true);
  }

  /** Starts describing a controller: `manager.controller('job').for(JOB).owns(POD).complete(r)`. */
  controller(name: string): Builder {
    if (this.controllers.some((c) => c.name === name)) throw new Error(`controller ${name} already registered`);
    return new Builder(this, name);
  }

  add(controller: Controller): void {
    if (this.started) throw new Error('controllers must be added before the manager starts');
    this.controllers.push(controller);
  }

  /**
   * An Event recorder whose events name `reportingController` as their source (events.k8s.io's
   * reportingController, e.g. `example.com/mirror-controller`), as controller-runtime's
   * GetEventRecorderFor.
   */
  eventRecorder(reportingController: string): EventRecorder {
    const recorder = new Recorder(this.client, reportingController, {
      logger: this.logger,
      clock: this.clock,
      dropped: this.metrics.eventsDropped,
    });
    this.recorders.push(recorder);
    return recorder;
  }

  addHealthCheck(name: string, check: Check): void {
    this.health.set(name, check);
  }

  addReadyCheck(name: string, check: Check): void {
    this.ready.set(name, check);
  }

  isLeader(): boolean {
    if (this.options.leaderElection) return this.elector?.isLeader() ?? false;
    return this.started;
  }

  /**
   * Runs until `signal` aborts, then shuts down cleanly and resolves. Rejects if leadership is lost
   * (the process should exit and be restarted, as controller-runtime does).
   */
  async start(signal: AbortSignal): Promise<void> {
    if (this.started) throw new Error('manager already started');
    this.started = true;
    const log = this.logger;
    await this.startServers();
    await this.waitForApiServer(signal);
    this.cache.start(signal);

    let leadership: AbortSignal | undefined = signal;
    if (this.options.leaderElection) {
      this.elector = new LeaderElector(this.leaderClient, {
        namespace: this.options.leaderElectionNamespace ?? defaultNamespace(),
        name: this.options.leaderElectionID!,
        identity: this.identity,
        logger: log,
        metrics: this.metrics,
        clock: this.clock,
        ...(this.options.leaseDurationMs ? { leaseDurationMs: this.options.leaseDurationMs } : {}),
        ...(this.options.renewDeadlineMs ? { renewDeadlineMs: this.options.renewDeadlineMs } : {}),
        ...(this.options.retryPeriodMs ? { retryPeriodMs: this.options.retryPeriodMs } : {}),
      });
      leadership = await this.elector.acquire(signal);
    }

    let lost = false;
    if (leadership && !signal.aborted) {
      this.electedResolve();
      const running = AbortSignal.any([signal, leadership]);
      log.info({ controllers: this.controllers.map((c) => c.name) }, 'waiting for caches to sync');
      if (await this.cache.waitForSync(running)) {
        log.info('caches synced; starting controllers');
        const controllers = Promise.all(this.controllers.map((c) => c.start(running)));
        await new Promise<void>((resolve) => running.addEventListener('abort', () => resolve(), { once: true }));
        lost = !signal.aborted;
        await this.waitAtMost(controllers, this.options.gracefulShutdownTimeoutMs ?? 30_000, 'reconciles to finish');
      }
    }

    await this.waitAtMost(Promise.all(this.recorders.map((r) => r.drain())), 5_000, 'events to be written');
    await this.elector?.release();
    await Promise.all(this.servers.map(close));
    if (this.ownsClient) await this.client.close();
    log.info('manager stopped');
    if (lost) throw new Error('leader election lost');
  }

  /** Waits (with backoff, logging) until the API server answers, so a slow start is not a crash. */
  private async waitForApiServer(signal: AbortSignal): Promise<void> {
    const backoff = new Backoff({ initialMs: 500, maxMs: 10_000 });
    while (!signal.aborted) {
      try {
        const version = await this.client.rest.json<{ gitVersion: string }>({ method: 'GET', path: '/version' });
        this.logger.info({ server: this.client.rest.connection.server.host, version: version.gitVersion }, 'connected to the API server');
        return;
      } catch (err) {
        const delay = backoff.next();
        this.logger.warn({ err: (err as Error).message, retryInMs: Math.round(delay) }, 'API server not reachable yet');
        await sleep(delay, signal);
      }
    }
  }

  private async startServers(): Promise<void> {
    const metricsBind = parseBindAddress(this.options.metricsBindAddress ?? ':8080');
    if (metricsBind) {
      const server = await listen(metricsApp(this.metrics.registry), metricsBind);
      this.servers.push(server);
      this.metricsPort = portOf(server);
    }
    const probeBind = parseBindAddress(this.options.healthProbeBindAddress ?? ':8081');
    if (probeBind) {
      const server = await listen(probeApp(this.health, this.ready), probeBind);
      this.servers.push(server);
      this.probePort = portOf(server);
    }
    this.logger.info({ metricsPort: this.metricsPort, probePort: this.probePort }, 'serving metrics and probes');
  }

  private async waitAtMost(work: Promise<unknown>, ms: number, what: string): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), ms)));
    const outcome = await Promise.race([work.then(() => 'done' as const), timeout]);
    clearTimeout(timer);
    if (outcome === 'timeout') this.logger.warn(`gave up waiting for ${what} after ${ms} ms`);
  }
}

/** The namespace the operator runs in: the service account's, $POD_NAMESPACE, or `default`. */
function defaultNamespace(): string {
  try {
    return readFileSync(SA_NAMESPACE_FILE, 'utf8').trim();
  } catch {
    return process.env.POD_NAMESPACE ?? 'default';
  }
}
