// The operator as a process: it starts against the control plane, answers its probes and metrics,
// and exits 0 on SIGTERM; bad flags give a clear message and exit 2.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { kubeconfigPath } from '../support/runtime.ts';
import { waitFor } from '../support/wait.ts';

const freePort = () =>
  new Promise<number>((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });

function run(args: string[]) {
  const child = spawn(process.execPath, ['src/main.ts', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (d) => (output += d));
  child.stderr.on('data', (d) => (output += d));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, exited, output: () => output };
}

describe('operator process', { timeout: 60_000 }, () => {
  test('serves probes and metrics, and exits 0 on SIGTERM', async () => {
    const [metrics, probes] = [await freePort(), await freePort()];
    const op = run([
      `--kubeconfig=${kubeconfigPath()}`,
      `--metrics-bind-address=127.0.0.1:${metrics}`,
      `--health-probe-bind-address=127.0.0.1:${probes}`,
    ]);
    try {
      await waitFor(async () => (await fetch(`http://127.0.0.1:${probes}/readyz`)).status === 200, {
        what: 'readyz',
        timeoutMs: 30_000,
      });
      const text = await (await fetch(`http://127.0.0.1:${metrics}/metrics`)).text();
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
    const op = run(['--controllers=nope']);
    assert.equal(await op.exited, 2);
    assert.match(op.output(), /unknown controller\(s\) nope/);
  });
});
