// The short chaos run (test/chaos; `make chaos` is the full one): two operator replicas with leader
// election keep every guarantee while the leader is killed, the API server restarts and etcd is
// compacted under a small workload. It starts its own control plane, so it shares nothing with the
// other tests.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { describe, runChaos } from '../chaos/scenario.ts';
import { SHORT } from '../chaos/sizes.ts';

test('chaos: leader kills, API-server restarts and an etcd compaction leave exact counts and no leaks', { timeout: 900_000 }, async (t) => {
  const seed = Math.floor(Math.random() * 2 ** 31);
  const report = await runChaos({ ...SHORT, seed, log: (line) => t.diagnostic(line) });
  for (const line of describe(report)) t.diagnostic(line);
  assert.deepEqual(report.faults, { kills: SHORT.kills, apiserverRestarts: SHORT.apiserverRestarts, compactions: 1, leaseLossExits: report.faults.leaseLossExits }, `seed ${seed}`);
  assert.ok(report.relists > 0, `the compaction forced 410 relists (seed ${seed})`);
  assert.deepEqual(report.duplicates, { jobPods: 0, ordinals: 0, volumes: 0 }, `seed ${seed}`);
  assert.deepEqual(report.violations, [], `seed ${seed}`);
  assert.deepEqual(report.crashes, [], `seed ${seed}`);
  assert.equal(report.unhandledRejections, 0, `seed ${seed}`);
  assert.equal(report.objects.jobPods, SHORT.jobs * SHORT.completions, 'one pod per completion');
});
