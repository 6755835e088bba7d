// The short chaos run (test/chaos; `make chaos` is the full one): two operator replicas with leader
// election keep every guarantee while the leader is killed, the API server restarts and etcd is
// compacted under a small workload. It starts its own control plane, so it shares nothing with the
// other tests.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { brokenGuarantees, describe, runChaos } from '../chaos/scenario.ts';
import { SHORT } from '../chaos/sizes.ts';

test('chaos: leader kills, API-server restarts and an etcd compaction leave exact counts and no leaks', { timeout: 900_000 }, async (t) => {
  const seed = Math.floor(Math.random() * 2 ** 31);
  const report = await runChaos({ ...SHORT, seed, log: (line) => t.diagnostic(line) });
  for (const line of describe(report)) t.diagnostic(line);
  assert.deepEqual(brokenGuarantees(report, SHORT), [], `seed ${seed}`);
});
