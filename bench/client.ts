// The API client itself, HTTP/2 against the HTTP/1.1 pool (32 request sockets, as the operator's default):
// GETs and creates (ConfigMaps) per second and p99 latency at 1, 10, 100 and 500 requests in flight, and
// the client process's RSS after each. Each transport runs in a process of its own (this script again,
// with --child), one after the other, against one lean control plane (etcd + kube-apiserver), with no
// client-side rate limit.
//
//   node bench/client.ts [--requests 2000] [--in-flight 1,10,100,500] [--rounds 1]
import { execFileSync } from 'node:child_process';
import { parseArgs } from 'node:util';
import { Client } from '../src/runtime/client/client.ts';
import { connectWith } from '../src/runtime/client/connection.ts';
import { loadKubeconfig } from '../src/runtime/client/kubeconfig.ts';
import { RestClient } from '../src/runtime/client/rest.ts';
import { defineKind, type KubeObject } from '../src/runtime/types.ts';
import { benchControlPlane, pool, quantile, ratio, rssBytes, stopBench } from './support.ts';

const { values } = parseArgs({
  options: {
    requests: { type: 'string', default: '2000' },
    'in-flight': { type: 'string', default: '1,10,100,500' },
    rounds: { type: 'string', default: '1' },
    child: { type: 'string' },
    kubeconfig: { type: 'string' },
  },
});
const requests = Number(values.requests);
const CONFIGMAP = defineKind<KubeObject>('', 'v1', 'ConfigMap');
const levels = values['in-flight'].split(',').map(Number);

interface Point {
  op: 'GET' | 'create';
  inFlight: number;
  perSecond: number;
  p99Ms: number;
  rssMiB: number;
}

/** One transport's run: every operation at every level; one JSON line per point on stdout. */
async function child(protocol: string, kubeconfig: string): Promise<void> {
  const client = new Client(new RestClient(await connectWith(loadKubeconfig({ kubeconfig }), { http2: protocol === 'h2' }), { qps: 0 }));
  const ns = `bench-client-${protocol === 'h2' ? 'h2' : 'h1'}-${process.pid}`;
  await client.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
  await client.create({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'target', namespace: ns }, data: { k: 'v' } });
  if (client.rest.connection.transport.protocol !== protocol) throw new Error(`asked for ${protocol}, got ${client.rest.connection.transport.protocol}`);
  let created = 0;
  for (const op of ['GET', 'create'] as const) {
    for (const inFlight of levels) {
      const latencies: number[] = [];
      const started = performance.now();
      await pool(0, requests, inFlight, async () => {
        const t0 = performance.now();
        if (op === 'GET') await client.get(CONFIGMAP, ns, 'target');
        else await client.create({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: `c-${created++}`, namespace: ns } });
        latencies.push(performance.now() - t0);
      });
      const seconds = (performance.now() - started) / 1000;
      const point: Point = { op, inFlight, perSecond: requests / seconds, p99Ms: quantile(latencies, 0.99), rssMiB: rssBytes(process.pid) / 2 ** 20 };
      console.log(JSON.stringify(point));
    }
  }
  await client.delete({ group: '', version: 'v1', kind: 'Namespace' }, '', ns);
  await client.close();
}

if (values.child) {
  await child(values.child, values.kubeconfig!);
  process.exit(0);
}

const bench = await benchControlPlane([], { nodes: 0 });
let exitCode = 0;
try {
  const results = new Map<string, Point[]>();
  for (let round = 0; round < Number(values.rounds); round++) {
    for (const protocol of round % 2 === 0 ? ['h2', 'http/1.1'] : ['http/1.1', 'h2']) {
      process.stderr.write(`${protocol}, round ${round + 1}\n`);
      const out = execFileSync(process.execPath, [new URL(import.meta.url).pathname, '--child', protocol, '--kubeconfig', bench.cp.kubeconfigPath,
        '--requests', String(requests), '--in-flight', values['in-flight']], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
      results.set(protocol, [...(results.get(protocol) ?? []), ...out.trim().split('\n').map((l) => JSON.parse(l) as Point)]);
    }
  }
  /** The median over rounds of one point's field. */
  const median = (protocol: string, op: string, inFlight: number, field: 'perSecond' | 'p99Ms' | 'rssMiB') =>
    quantile(results.get(protocol)!.filter((p) => p.op === op && p.inFlight === inFlight).map((p) => p[field]), 0.5);
  console.log(`\nAPI client: ${requests} requests per point, ConfigMaps, no client-side rate limit; median of ${values.rounds} round(s)\n`);
  console.log('| operation | in flight | HTTP/2 per s | HTTP/1.1 per s | ratio | HTTP/2 p99 (ms) | HTTP/1.1 p99 (ms) | ratio | HTTP/2 RSS (MiB) | HTTP/1.1 RSS (MiB) |');
  console.log('|---|---|---|---|---|---|---|---|---|---|');
  for (const op of ['GET', 'create']) {
    for (const n of levels) {
      const [a, b] = [median('h2', op, n, 'perSecond'), median('http/1.1', op, n, 'perSecond')];
      const [c, d] = [median('h2', op, n, 'p99Ms'), median('http/1.1', op, n, 'p99Ms')];
      console.log(`| ${op} | ${n} | ${a.toFixed(0)} | ${b.toFixed(0)} | ${ratio(a, b)} | ${c.toFixed(1)} | ${d.toFixed(1)} | ${ratio(c, d)} | ${median('h2', op, n, 'rssMiB').toFixed(0)} | ${median('http/1.1', op, n, 'rssMiB').toFixed(0)} |`);
    }
  }
} catch (err) {
  console.error(err);
  exitCode = 1;
} finally {
  await bench.client.close();
  await stopBench(bench);
}
process.exit(exitCode);
