// etcd: one member on loopback, data thrown away with the control plane.
import { httpCall } from './http.ts';

export function etcdArgs(o: { dataDir: string; clientUrl: string; peerUrl: string }): string[] {
  return [
    '--name=tentacle',
    `--data-dir=${o.dataDir}`,
    `--listen-client-urls=${o.clientUrl}`,
    `--advertise-client-urls=${o.clientUrl}`,
    `--listen-peer-urls=${o.peerUrl}`,
    `--initial-advertise-peer-urls=${o.peerUrl}`,
    `--initial-cluster=tentacle=${o.peerUrl}`,
    '--initial-cluster-state=new',
    `--quota-backend-bytes=${8 * 1024 ** 3}`,
    // A throwaway dev/test cluster: losing data on a machine crash is fine, fsync latency is not.
    '--unsafe-no-fsync',
    '--snapshot-count=100000',
    '--log-level=warn',
  ];
}

export async function etcdHealthy(clientUrl: string): Promise<boolean> {
  const res = await httpCall(`${clientUrl}/health`, { timeoutMs: 2000 });
  return res.status === 200 && res.body.includes('"true"');
}

/** Compacts etcd at its current revision (physically) and returns that revision. */
export async function compactEtcd(clientUrl: string): Promise<number> {
  const range = await httpCall(`${clientUrl}/v3/kv/range`, {
    method: 'POST',
    body: { key: Buffer.from('/').toString('base64'), limit: 1 },
  });
  if (range.status !== 200) throw new Error(`etcd range: ${range.status} ${range.body}`);
  const revision = Number((JSON.parse(range.body) as { header?: { revision?: string } }).header?.revision);
  if (!Number.isSafeInteger(revision) || revision <= 0) throw new Error(`etcd range: no revision in ${range.body}`);
  const compact = await httpCall(`${clientUrl}/v3/kv/compaction`, {
    method: 'POST',
    body: { revision: String(revision), physical: true },
    timeoutMs: 60_000,
  });
  if (compact.status !== 200) throw new Error(`etcd compaction at ${revision}: ${compact.status} ${compact.body}`);
  return revision;
}
