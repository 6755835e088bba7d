// The operator as a process: it starts against the control plane, answers its probes and metrics,
// and exits 0 on SIGTERM; bad flags give a clear message and exit 2, a missing kubeconfig one line and exit 1.
import { describe, jest, test } from '@jest/globals';
import assert from 'node:assert/strict';
import { runOperator } from '../support/operator.ts';
import { scrape } from '../support/metrics-text.ts';

jest.setTimeout(60_000);

describe('operator process', () => {
  test('serves probes and metrics, and exits 0 on SIGTERM', async () => {
    const op = await runOperator([]);
    try {
      const text = await scrape(op.metricsPort);
      assert.match(text, /^process_cpu_seconds_total /m);
      assert.match(text, /^nodejs_heap_size_total_bytes /m);
      assert.match(text, /^rest_client_requests_total\{/m);
      const lines = op.output().trim().split('\n');
      const first = JSON.parse(lines[0]!);
      assert.equal(typeof first.time, 'string', 'logs are JSON lines');
      assert.equal(first.level, 'info');
    } finally {
      op.child.kill('SIGTERM');
    }
    assert.equal(await op.exited, 0, op.output());
    assert.match(op.output(), /manager stopped/);
  });

  test('rejects an unknown controller with a readable message and exit code 2', async () => {
    const op = await runOperator(['--controllers=nope'], { ready: false });
    assert.equal(await op.exited, 2);
    assert.match(op.output(), /unknown controller\(s\) nope/);
  });

  test('a kubeconfig that does not exist: one error line naming it, exit code 1', async () => {
    const op = await runOperator([], { ready: false, kubeconfig: '/nonexistent/kubeconfig' });
    assert.equal(await op.exited, 1);
    const lines = op.output().trim().split('\n');
    assert.equal(lines.length, 1, op.output());
    assert.match(JSON.parse(lines[0]!).msg, /^cannot connect to the API server: .*\/nonexistent\/kubeconfig/);
  });
});
