// Two managers campaign for one Lease on the shared control plane. Leadership hands over when the
// leader shuts down (it releases the Lease) and when it silently loses the API server (the Lease
// expires); at no instant are both leaders.
import { afterAll, beforeAll, describe, jest, test } from '@jest/globals';
import assert from 'node:assert/strict';
import type { Client } from '../../src/runtime/client/client.ts';
import { silentLogger } from '../../src/runtime/log.ts';
import { Manager, type ManagerOptions } from '../../src/runtime/manager/manager.ts';
import { captureLogger, deleteNamespace, kubeconfigPath, testClient, testNamespace } from '../support/runtime.ts';
import { waitFor } from '../../src/testing/wait.ts';
import { TcpProxy } from '../support/tcp-proxy.ts';
import { loadKubeconfig } from '../../src/runtime/client/kubeconfig.ts';

jest.setTimeout(120_000);

describe('leader election', () => {
  let client: Client;
  let namespace: string;
  let overlap = false;
  const managers: Manager[] = [];
  const watcher = setInterval(() => {
    if (managers.filter((m) => m.isLeader()).length > 1) overlap = true;
  }, 10);

  beforeAll(async () => {
    client = await testClient();
    namespace = await testNamespace(client, 'leader');
  });

  afterAll(async () => {
    clearInterval(watcher);
    await deleteNamespace(client, namespace);
    await client.close();
  });

  const manager = async (id: string, extra: Partial<ManagerOptions> & { server?: string; leaderElectionID: string }) => {
    const { server, ...options } = extra;
    const m = await Manager.create({
      client: await testClient(server ? { server } : {}),
      leaderElection: true,
      leaderElectionNamespace: namespace,
      identity: id,
      metricsBindAddress: '0',
      healthProbeBindAddress: '0',
      logger: silentLogger,
      ...options,
    });
    managers.push(m);
    return m;
  };

  const leaderStatus = async (m: Manager) => (await m.metrics.leaderStatus.get()).values[0]?.value;

  /**
   * Waits until a candidate, logging to `log`, has tried for the Lease and yielded it to `holder`: the
   * proof that it waits, where a pause would only show that it had not taken the Lease yet.
   */
  const yielded = (log: ReturnType<typeof captureLogger>, holder: string) =>
    waitFor(
      () =>
        log
          .text()
          .split('\n')
          .some((line) => line.includes('"lease is held by another candidate and has not yet expired"') && JSON.parse(line).holder === holder),
      { what: `a candidate to find the Lease held by ${holder} and wait` },
    );

  test('hands over without waiting for the lease to expire when the leader shuts down', async () => {
    const a = await manager('a', { leaderElectionID: 'handover' });
    const stopA = new AbortController();
    const runningA = a.start(stopA.signal);
    await a.elected;
    const logB = captureLogger();
    const b = await manager('b', { leaderElectionID: 'handover', logger: logB.logger });
    const stopB = new AbortController();
    const runningB = b.start(stopB.signal);
    await yielded(logB, 'a');
    assert.equal(b.isLeader(), false, 'b waits while a holds the lease');
    assert.equal(await leaderStatus(a), 1);
    assert.equal(await leaderStatus(b), 0);

    const stoppedAt = Date.now();
    stopA.abort();
    await runningA;
    await b.elected;
    const handOver = Date.now() - stoppedAt;
    // Released, not expired: b need not wait out the 15 s lease.
    assert.ok(handOver < 15_000, `hand-over took ${handOver} ms`);
    assert.equal(await leaderStatus(b), 1);
    assert.equal(await leaderStatus(a), 0);
    const lease = await client.get<{ metadata: object; spec: { holderIdentity: string; leaseTransitions: number } }>(
      { group: 'coordination.k8s.io', version: 'v1', kind: 'Lease' }, namespace, 'handover');
    assert.equal(lease.spec.holderIdentity, 'b');
    assert.equal(lease.spec.leaseTransitions, 1);
    stopB.abort();
    await runningB;
    assert.equal(overlap, false, 'two leaders at once');
  });

  test('a leader cut off from the API server steps down before the lease expires for the others', async () => {
    const proxy = await TcpProxy.start(loadKubeconfig({ kubeconfig: kubeconfigPath() }).cluster.server);
    const timings = { leaseDurationMs: 4_000, renewDeadlineMs: 3_000, retryPeriodMs: 500 };
    const a = await manager('a', { ...timings, leaderElectionID: 'cut', server: proxy.url });
    const stopA = new AbortController();
    const runningA = a.start(stopA.signal);
    await a.elected;
    const logB = captureLogger();
    const b = await manager('b', { ...timings, leaderElectionID: 'cut', logger: logB.logger });
    const stopB = new AbortController();
    const runningB = b.start(stopB.signal);
    await yielded(logB, 'a');
    assert.equal(b.isLeader(), false);

    const cutAt = Date.now();
    proxy.cut();
    await assert.rejects(runningA, /leader election lost/);
    const steppedDown = Date.now() - cutAt;
    await b.elected;
    const handOver = Date.now() - cutAt;
    assert.ok(steppedDown <= timings.renewDeadlineMs + 2 * timings.retryPeriodMs, `a stepped down after ${steppedDown} ms`);
    assert.ok(handOver >= steppedDown, 'b took over only after a stepped down');
    assert.ok(handOver < timings.leaseDurationMs + timings.renewDeadlineMs, `hand-over took ${handOver} ms`);
    await waitFor(async () => (await leaderStatus(b)) === 1);
    stopB.abort();
    await runningB;
    await proxy.close();
    assert.equal(overlap, false, 'two leaders at once');
  });
});
