// Lease-based leader election with client-go's rules: a candidate takes the Lease only when its holder
// has not renewed it for a whole lease duration as measured on the candidate's own clock; the leader
// renews every retry period and steps down if it cannot renew within the renew deadline, which is
// shorter than the lease duration — so two leaders never overlap. On shutdown the Lease is released
// so a standby takes over within one retry period.
import type { Client } from '../client/client.ts';
import { isAlreadyExists, isConflict, isNotFound } from '../client/errors.ts';
import type { Logger } from '../log.ts';
import { silentLogger } from '../log.ts';
import type { RuntimeMetrics } from '../metrics/metrics.ts';
import type { KubeObject } from '../types.ts';
import { realClock, type Clock } from '../util/clock.ts';
import { sleep } from '../util/sleep.ts';
import { rfc3339Micro } from '../util/time.ts';

const LEASE = { group: 'coordination.k8s.io', version: 'v1', kind: 'Lease' };

interface LeaseSpec {
  holderIdentity?: string;
  leaseDurationSeconds?: number;
  acquireTime?: string;
  renewTime?: string;
  leaseTransitions?: number;
}

interface Lease extends KubeObject {
  spec?: LeaseSpec;
}

export interface LeaderElectionOptions {
  namespace: string;
  name: string;
  identity: string;
  leaseDurationMs?: number;
  renewDeadlineMs?: number;
  retryPeriodMs?: number;
  clock?: Clock;
  logger?: Logger;
  metrics?: RuntimeMetrics;
}

export class LeaderElector {
  private readonly client: Client;
  private readonly opts: Required<Omit<LeaderElectionOptions, 'metrics' | 'logger'>>;
  private readonly log: Logger;
  private readonly metrics: RuntimeMetrics | undefined;
  private observed: { holder: string | undefined; renewTime: string | undefined; at: number } | undefined;
  private lease: Lease | undefined;
  private leading = false;

  constructor(client: Client, options: LeaderElectionOptions) {
    this.client = client;
    this.opts = {
      leaseDurationMs: 15_000,
      renewDeadlineMs: 10_000,
      retryPeriodMs: 2_000,
      clock: realClock,
      ...options,
    };
    if (this.opts.leaseDurationMs <= this.opts.renewDeadlineMs) throw new Error('lease duration must exceed renew deadline');
    this.log = (options.logger ?? silentLogger).child({ lease: `${options.namespace}/${options.name}`, identity: options.identity });
    this.metrics = options.metrics;
    this.metrics?.leaderStatus.set({ name: options.name }, 0);
  }

  isLeader(): boolean {
    return this.leading;
  }

  /**
   * Campaigns until elected (or `signal` aborts), then keeps the lease. Resolves with a signal that
   * aborts when leadership ends — lost, or given up because `signal` aborted; undefined if never elected.
   */
  async acquire(signal: AbortSignal): Promise<AbortSignal | undefined> {
    this.log.info('waiting for leadership');
    while (!signal.aborted) {
      if (await this.tryAcquireOrRenew()) break;
      await sleep(this.opts.retryPeriodMs * (1 + Math.random() * 0.2), signal);
    }
    if (signal.aborted) return undefined;
    this.setLeading(true);
    this.log.info('became leader');
    const leadership = new AbortController();
    void this.renewLoop(signal, leadership);
    return leadership.signal;
  }

  private async renewLoop(signal: AbortSignal, leadership: AbortController): Promise<void> {
    let lastRenew = this.opts.clock.now();
    while (!signal.aborted) {
      await sleep(this.opts.retryPeriodMs, signal);
      if (signal.aborted) break;
      const ok = await this.tryAcquireOrRenew();
      const now = this.opts.clock.now();
      if (ok) lastRenew = now;
      else if (now - lastRenew >= this.opts.renewDeadlineMs || this.heldByOther()) {
        this.log.error('leadership lost: could not renew the lease in time');
        this.setLeading(false);
        leadership.abort(new Error('leader election lost'));
        return;
      }
    }
    this.setLeading(false);
    leadership.abort(new Error('shutting down'));
  }

  /** Gives the lease up (if we hold it) so another candidate need not wait for it to expire. */
  async release(): Promise<void> {
    const lease = this.lease;
    if (!lease || lease.spec?.holderIdentity !== this.opts.identity) return;
    const now = this.time();
    try {
      await this.client.update<Lease>(
        { ...lease, spec: { ...lease.spec, holderIdentity: undefined, leaseDurationSeconds: 1, renewTime: now, acquireTime: now } },
        { signal: AbortSignal.timeout(this.opts.renewDeadlineMs) },
      );
      this.log.info('lease released');
    } catch (err) {
      this.log.warn({ err: (err as Error).message }, 'could not release the lease');
    }
    this.setLeading(false);
  }

  private heldByOther(): boolean {
    const holder = this.lease?.spec?.holderIdentity;
    return !!holder && holder !== this.opts.identity;
  }

  private async tryAcquireOrRenew(): Promise<boolean> {
    const { namespace, name, identity } = this.opts;
    const now = this.time();
    const spec = (transitions: number, acquireTime: string): LeaseSpec => ({
      holderIdentity: identity,
      leaseDurationSeconds: Math.ceil(this.opts.leaseDurationMs / 1000),
      acquireTime,
      renewTime: now,
      leaseTransitions: transitions,
    });
    try {
      // Every request is bounded well inside the renew deadline, so a hung call cannot keep a leader
      // acting past the moment a standby may take over.
      const signal = AbortSignal.timeout(this.opts.retryPeriodMs * 2);
      const current = await this.getLease(signal);
      if (!current) {
        this.lease = await this.client.create<Lease>({
          apiVersion: 'coordination.k8s.io/v1',
          kind: 'Lease',
          metadata: { namespace, name },
          spec: spec(0, now),
        }, { signal });
        this.observe(this.lease);
        return true;
      }
      this.lease = current;
      this.observe(current);
      const held = current.spec ?? {};
      const mine = held.holderIdentity === identity;
      if (held.holderIdentity && !mine) {
        const expiry = this.observed!.at + (held.leaseDurationSeconds ?? 15) * 1000;
        if (this.opts.clock.now() < expiry) {
          // As client-go (at V(4)); also what tests wait for to know a candidate has tried and yielded.
          this.log.debug({ holder: held.holderIdentity }, 'lease is held by another candidate and has not yet expired');
          return false;
        }
      }
      const transitions = (held.leaseTransitions ?? 0) + (mine ? 0 : 1);
      this.lease = await this.client.update<Lease>({
        ...current,
        spec: spec(transitions, mine && held.acquireTime ? held.acquireTime : now),
      }, { signal });
      this.observe(this.lease);
      return true;
    } catch (err) {
      if (!isConflict(err) && !isAlreadyExists(err)) this.log.warn({ err: (err as Error).message }, 'lease request failed');
      return false;
    }
  }

  private async getLease(signal: AbortSignal): Promise<Lease | undefined> {
    try {
      return await this.client.get<Lease>(LEASE, this.opts.namespace, this.opts.name, { signal });
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }

  /** Remembers when (on our clock) the holder's record last changed: expiry counts from then. */
  private observe(lease: Lease): void {
    const holder = lease.spec?.holderIdentity;
    const renewTime = lease.spec?.renewTime;
    if (!this.observed || this.observed.holder !== holder || this.observed.renewTime !== renewTime) {
      this.observed = { holder, renewTime, at: this.opts.clock.now() };
    }
  }

  private setLeading(leading: boolean): void {
    this.leading = leading;
    this.metrics?.leaderStatus.set({ name: this.opts.name }, leading ? 1 : 0);
  }

  private time(): string {
    return rfc3339Micro(this.opts.clock.now());
  }
}
