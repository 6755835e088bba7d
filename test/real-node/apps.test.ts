// The docs' nginx "web" StatefulSet (only apiVersion changed, plus a readiness probe) on a real node: pods
// created in order, each only once the previous one is Ready through its real HTTP readiness probe; cluster
// DNS resolves web-0.nginx to web-0's IP and it serves HTTP to another pod; a rolling update replaces the
// pods in reverse ordinal order. Claims bind to hostPath volumes made for them, as an administrator
// without a provisioner would.
import { afterAll, beforeAll, describe, test } from '@jest/globals';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { kubectl, kubectlJson } from '../support/kube.ts';
import { useNamespace } from '../support/namespace-hooks.ts';
import { waitFor } from '../../src/testing/wait.ts';
import { apply, example, isReady } from './support.ts';

const REPLICAS = 3;
const ordinals = [...Array(REPLICAS).keys()];
const seconds = (t: string) => Date.parse(t) / 1000;

describe('the nginx web StatefulSet on a real node', () => {
  const namespace = useNamespace('rn-web');
  let ns = '';
  const pvs = ordinals.map((i) => `rn-web-${process.pid}-${i}`);
  beforeAll(async () => {
    ns = namespace.name;
    const root = join(process.env.TENTACLE_REAL_NODE_DIR ?? '/tmp', 'volumes', ns);
    for (const [i, name] of pvs.entries()) {
      await kubectl(['apply', '-f', '-'], JSON.stringify({
        apiVersion: 'v1',
        kind: 'PersistentVolume',
        metadata: { name },
        spec: {
          capacity: { storage: '1Gi' },
          accessModes: ['ReadWriteOnce'],
          persistentVolumeReclaimPolicy: 'Retain',
          claimRef: { namespace: ns, name: `nginx-data-web-${i}` },
          hostPath: { path: join(root, `web-${i}`), type: 'DirectoryOrCreate' },
        },
      }));
    }
  });
  afterAll(async () => {
    await kubectl(['delete', 'pv', ...pvs, '--ignore-not-found', '--wait=false']);
  });

  const pod = async (i: number) => {
    const res = await kubectlJson(['get', 'pods', '-n', ns, '-l', 'app=nginx']);
    return (res.items as any[]).find((p) => p.metadata.name === `web-${i}`);
  };

  test('pods start in order, each once the previous is Ready through its readiness probe', async () => {
    // The docs' manifest, plus a readiness probe on "/": nginx answers 403 until index.html exists.
    await apply(
      example('apps/nginx-web.yaml', (o) => {
        if (o.kind !== 'StatefulSet') return;
        o.spec.template.spec.containers[0].readinessProbe = { httpGet: { path: '/', port: 80 }, periodSeconds: 1 };
      }),
      ns,
    );
    const wroteAt: number[] = [];
    for (const i of ordinals) {
      await waitFor(async () => (await pod(i))?.status?.containerStatuses?.[0]?.state?.running, {
        timeoutMs: 180_000,
        what: `web-${i} running`,
      });
      // Running but not Ready (the probe fails): the next ordinal does not exist.
      assert.equal(isReady(await pod(i)), false, `web-${i} Ready before it had a page`);
      if (i + 1 < REPLICAS) assert.equal(await pod(i + 1), undefined, `web-${i + 1} created before web-${i} was Ready`);
      wroteAt.push(Math.floor(Date.now() / 1000));
      await kubectl(['exec', '-n', ns, `web-${i}`, '--', 'sh', '-c', `echo web-${i} > /usr/share/nginx/html/index.html`]);
      await waitFor(async () => isReady(await pod(i)), { timeoutMs: 60_000, what: `web-${i} Ready` });
    }
    const set = await waitFor(async () => {
      const s = await kubectlJson(['get', 'tsts', '-n', ns, 'web']);
      return s.status?.availableReplicas === REPLICAS ? s : undefined;
    }, { timeoutMs: 120_000, what: 'three available replicas' });
    assert.equal(set.status.readyReplicas, REPLICAS);
    // From the objects' own timestamps: web-i+1 was created after web-i's page existed.
    for (const i of ordinals.slice(1)) {
      assert.ok(seconds((await pod(i)).metadata.creationTimestamp) >= wroteAt[i - 1]!);
    }
  });

  test('web-0.nginx resolves to web-0 and serves HTTP to another pod', async () => {
    await kubectl(['run', 'client', '-n', ns, '--image=busybox:1.36', '--restart=Never', '--', 'sleep', '3600']);
    await waitFor(async () => isReady(await kubectlJson(['get', 'pod', '-n', ns, 'client'])), {
      timeoutMs: 120_000,
      what: 'the client pod',
    });
    const web0 = await pod(0);
    // wget resolves through the C library, with the search domains of the pod's resolv.conf (busybox's
    // nslookup does not search names with a dot), and says which address it connects to.
    const out = await kubectl(['exec', '-n', ns, 'client', '--', 'sh', '-c', 'wget -O- http://web-0.nginx 2>&1']);
    assert.match(out, new RegExp(`Connecting to web-0\\.nginx \\(${web0.status.podIP.replaceAll('.', '\\.')}:80\\)`));
    assert.match(out, /^web-0$/m);
    const lookup = await kubectl(['exec', '-n', ns, 'client', '--', 'nslookup', `web-0.nginx.${ns}.svc.cluster.local`]);
    assert.match(lookup, new RegExp(`Address:\\s+${web0.status.podIP.replaceAll('.', '\\.')}\\b`));
    // The headless Service lists every ready pod.
    const all = await kubectl(['exec', '-n', ns, 'client', '--', 'nslookup', `nginx.${ns}.svc.cluster.local`]);
    for (const i of ordinals) assert.ok(all.includes((await pod(i)).status.podIP), `nginx lacks web-${i}`);
  });

  test('a rolling update replaces the pods in reverse ordinal order', async () => {
    const before = await Promise.all(ordinals.map(pod));
    await kubectl(['patch', 'tsts', '-n', ns, 'web', '--type=merge', '-p',
      JSON.stringify({ spec: { template: { metadata: { annotations: { 'example.com/rollout': '2' } } } } })]);
    const after = await waitFor(async () => {
      const s = await kubectlJson(['get', 'tsts', '-n', ns, 'web']);
      if (s.status?.updatedReplicas !== REPLICAS || s.status.currentRevision !== s.status.updateRevision) return undefined;
      const list = await Promise.all(ordinals.map(pod));
      return list.every((p, i) => p && p.metadata.uid !== before[i].metadata.uid && isReady(p)) ? list : undefined;
    }, { timeoutMs: 300_000, intervalMs: 1000, what: 'every pod replaced and Ready' });
    const created = after.map((p) => seconds(p.metadata.creationTimestamp));
    assert.ok(created[2]! <= created[1]! && created[1]! <= created[0]!, `replacement order by ordinal 0..2: ${created.join(', ')}`);
    // The volumes stayed: each new pod serves the page its predecessor had.
    for (const i of ordinals) {
      assert.equal((await kubectl(['exec', '-n', ns, `web-${i}`, '--', 'cat', '/usr/share/nginx/html/index.html'])).trim(), `web-${i}`);
    }
  });
});
