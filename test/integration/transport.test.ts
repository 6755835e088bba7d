// The client's transport against kube-apiserver: HTTP/2 negotiated (HTTP/1.1 where the server does not
// offer it, or when asked), an operator on the public API watching 40 kinds with leader election that
// keeps its Lease, reconciles every kind and answers a GET within a second (both transports), GOAWAY
// from the server (--goaway-chance) costing no request, and a dead connection found by its PING and
// replaced.
import { afterAll, beforeAll, describe, jest, test } from '@jest/globals';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, defineKind, Manager, type KubeObject } from '../../src/runtime/index.ts';
import { connectWith, http2Wanted, type TransportOptions } from '../../src/runtime/client/connection.ts';
import { loadKubeconfig } from '../../src/runtime/client/kubeconfig.ts';
import { RestClient } from '../../src/runtime/client/rest.ts';
import type { Lane } from '../../src/runtime/client/transport.ts';
import { startControlPlane, type ControlPlane } from '../../src/testing/index.ts';
import { waitFor } from '../../src/testing/wait.ts';
import { CONFIGMAP, kubeconfigPath, testNamespace, deleteNamespace } from '../support/runtime.ts';
import { TcpProxy } from '../support/tcp-proxy.ts';

jest.setTimeout(300_000);

const LEASE = defineKind<KubeObject & { spec?: { holderIdentity?: string; renewTime?: string } }>('coordination.k8s.io', 'v1', 'Lease');
const GROUP = 'transport.test.tentacle.dev';
const KINDS = Array.from({ length: 40 }, (_, i) => `Widget${String(i).padStart(2, '0')}`);

async function clientFor(kubeconfig: string, options: TransportOptions & { server?: string } = {}): Promise<Client> {
  const loaded = loadKubeconfig({ kubeconfig });
  const kc = options.server ? { ...loaded, cluster: { ...loaded.cluster, server: options.server } } : loaded;
  return new Client(new RestClient(await connectWith(kc, options), { qps: 0 }));
}

function crd(kind: string): unknown {
  const plural = `${kind.toLowerCase()}s`;
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: `${plural}.${GROUP}` },
    spec: {
      group: GROUP,
      scope: 'Namespaced',
      names: { kind, plural, singular: kind.toLowerCase(), listKind: `${kind}List` },
      versions: [{ name: 'v1', served: true, storage: true, schema: { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } } }],
    },
  };
}

describe('HTTP/2 to kube-apiserver, HTTP/1.1 as the fallback', () => {
  test('h2 is negotiated with kube-apiserver; http2: false or DISABLE_HTTP2 keep to HTTP/1.1', async () => {
    const h2 = await clientFor(kubeconfigPath());
    const h1 = await clientFor(kubeconfigPath(), { http2: false });
    try {
      await h2.list(CONFIGMAP, { namespace: 'default' });
      await h1.list(CONFIGMAP, { namespace: 'default' });
      assert.equal(h2.rest.connection.transport.protocol, 'h2');
      assert.equal(h1.rest.connection.transport.protocol, 'http/1.1');
    } finally {
      await Promise.all([h2.close(), h1.close()]);
    }
    assert.equal(http2Wanted(undefined, {}), true);
    assert.equal(http2Wanted(undefined, { DISABLE_HTTP2: '1' }), false);
    assert.equal(http2Wanted(true, { DISABLE_HTTP2: '1' }), true);
  });

  test('a server that does not offer h2 (--disable-http2-serving) is spoken to in HTTP/1.1, watches included', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tentacle-h1-'));
    let cp: ControlPlane | undefined;
    try {
      cp = await startControlPlane({ dir, kwok: false, controllerManager: false, scheduler: false, apiserverArgs: ['--disable-http2-serving'] });
      const client = await clientFor(cp.kubeconfigPath);
      try {
        const stop = new AbortController();
        const events = client.watch(CONFIGMAP, { namespace: 'default' }, stop.signal);
        await client.create({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'seen', namespace: 'default' } });
        for await (const ev of events) if (ev.object?.metadata?.name === 'seen') break;
        stop.abort();
        assert.equal(client.rest.connection.transport.protocol, 'http/1.1');
      } finally {
        await client.close();
      }
    } finally {
      await cp?.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('an operator on the public API watching 40 kinds with leader election', () => {
  let admin: Client;
  let namespace = '';
  beforeAll(async () => {
    admin = await clientFor(kubeconfigPath());
    namespace = await testNamespace(admin, 'transport');
    for (const kind of KINDS) await admin.apply(crd(kind) as KubeObject, { fieldManager: 'transport-test', force: true });
    await waitFor(async () => {
      const list = await admin.list(defineKind(GROUP, 'v1', KINDS[KINDS.length - 1]!), { namespace });
      return list.items !== undefined;
    }, { timeoutMs: 60_000, what: 'the CRDs served' });
  });
  afterAll(async () => {
    await deleteNamespace(admin, namespace);
    for (const kind of KINDS) await admin.delete(defineKind('apiextensions.k8s.io', 'v1', 'CustomResourceDefinition'), '', `${kind.toLowerCase()}s.${GROUP}`).catch(() => undefined);
    await admin.close();
  });

  for (const http2 of [true, false]) {
    test(`${http2 ? 'HTTP/2' : 'HTTP/1.1'}: keeps its Lease, reconciles objects of all 40 kinds, answers a GET within a second`, async () => {
      const lease = `transport-40-${http2 ? 'h2' : 'h1'}`;
      const manager = await Manager.create({
        kubeconfig: kubeconfigPath(),
        userAgent: `transport-test-${http2 ? 'h2' : 'h1'}`,
        leaderElection: true,
        leaderElectionID: lease,
        leaderElectionNamespace: namespace,
        leaseDurationMs: 6_000,
        renewDeadlineMs: 4_000,
        retryPeriodMs: 1_000,
        metricsBindAddress: '0',
        healthProbeBindAddress: '0',
        namespace,
        transport: { http2 },
      });
      const mark = `reconciled-by-${lease}`;
      for (const kind of KINDS) {
        const k = defineKind<KubeObject>(GROUP, 'v1', kind);
        manager.controller(`${kind.toLowerCase()}-${lease}`).for(k).complete({
          async reconcile(req, ctx) {
            const o = manager.cache.get(k, req.namespace, req.name);
            if (o && !o.metadata.annotations?.[mark]) {
              await manager.client.withSignal(ctx.signal).patch(k, req.namespace, req.name, { metadata: { annotations: { [mark]: 'yes' } } }, 'merge');
            }
            return {};
          },
        });
      }
      const stop = new AbortController();
      const running = manager.start(stop.signal);
      try {
        await manager.elected;
        for (const kind of KINDS) {
          await admin.create({ apiVersion: `${GROUP}/v1`, kind, metadata: { name: `one-${lease}`, namespace } });
        }
        await waitFor(async () => {
          const done = await Promise.all(
            KINDS.map(async (kind) => (await admin.get(defineKind(GROUP, 'v1', kind), namespace, `one-${lease}`)).metadata.annotations?.[mark] === 'yes'),
          );
          return done.every(Boolean);
        }, { timeoutMs: 120_000, intervalMs: 500, what: 'an object of each of the 40 kinds reconciled' });
        // A plain GET through the operator's own client, while 40 watches run.
        const t0 = performance.now();
        await manager.client.list(CONFIGMAP, { namespace });
        const ms = performance.now() - t0;
        assert.ok(ms < 1000, `GET took ${ms.toFixed(0)} ms`);
        // The Lease is held and renewed: two renewals seen, the holder the manager throughout.
        const renewals = new Set<string>();
        await waitFor(async () => {
          const l = await admin.get(LEASE, namespace, lease);
          assert.equal(l.spec?.holderIdentity, manager.identity);
          renewals.add(l.spec?.renewTime ?? '');
          return renewals.size >= 3;
        }, { timeoutMs: 30_000, intervalMs: 500, what: 'the Lease renewed twice' });
        assert.equal(manager.isLeader(), true);
        assert.equal(manager.client.rest.connection.transport.protocol, http2 ? 'h2' : 'http/1.1');
      } finally {
        stop.abort();
        await running;
      }
    });
  }
});

describe('connections that go away', () => {
  test('GOAWAY from the server (--goaway-chance): every request and the watch carry on, over new connections', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tentacle-goaway-'));
    let cp: ControlPlane | undefined;
    try {
      cp = await startControlPlane({ dir, kwok: false, controllerManager: false, scheduler: false, apiserverArgs: ['--goaway-chance=0.02'] });
      const opened: Record<Lane, number> = { request: 0, watch: 0, lease: 0 };
      let last: Record<Lane, number> = { request: 0, watch: 0, lease: 0 };
      const client = await clientFor(cp.kubeconfigPath, {
        onConnections: (lane, open) => {
          if (open > last[lane]) opened[lane]++;
          last = { ...last, [lane]: open };
        },
      });
      try {
        const stop = new AbortController();
        const seen = new Set<string>();
        const watching = (async () => {
          for await (const ev of client.watch(CONFIGMAP, { namespace: 'default' }, stop.signal)) if (ev.object?.metadata?.name) seen.add(ev.object.metadata.name);
        })().catch((err: Error) => {
          if (!stop.signal.aborted) throw err;
        });
        for (let i = 0; i < 400; i++) {
          await client.create({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: `g-${i}`, namespace: 'default' } });
          await client.get(CONFIGMAP, 'default', `g-${i}`);
        }
        assert.equal(client.rest.connection.transport.protocol, 'h2');
        assert.ok(opened.request > 1, `the server sent GOAWAY and new connections were opened (${opened.request})`);
        await waitFor(() => seen.size === 400, { timeoutMs: 30_000, what: 'the watch saw every ConfigMap' });
        stop.abort();
        await watching;
      } finally {
        await client.close();
      }
    } finally {
      await cp?.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('a connection that stops answering fails its watch when a PING goes unanswered, and the next request gets a new one', async () => {
    const proxy = await TcpProxy.start(loadKubeconfig({ kubeconfig: kubeconfigPath() }).cluster.server);
    const client = await clientFor(kubeconfigPath(), { server: proxy.url, readIdleTimeoutMs: 500, pingTimeoutMs: 500 });
    try {
      await client.list(CONFIGMAP, { namespace: 'default' });
      let streaming = () => {};
      const flowing = new Promise<void>((resolve) => (streaming = resolve));
      const ended = (async () => {
        // kube-root-ca.crt is in every namespace: its ADDED event says the watch is up.
        for await (const _ of client.watch(CONFIGMAP, { namespace: 'default' })) streaming();
        return 'ended without an error';
      })().catch((err: Error) => err.message);
      await flowing;
      proxy.stall();
      const why = await ended;
      assert.match(why, /no answer to a PING in 0\.5 s/, why);
      proxy.open();
      const t0 = performance.now();
      await client.list(CONFIGMAP, { namespace: 'default' });
      assert.ok(performance.now() - t0 < 5000);
    } finally {
      await client.close();
      await proxy.close();
    }
  });
});
