// `make dev` stopped by SIGTERM to its process group (what an IDE, `timeout` or a process manager sends),
// at random moments from start-up to steady state, 20 times: every time, nothing is left running. And a
// running cluster whose kubeconfig was deleted gets it back from `up`.
import { afterAll, describe, jest, test } from '@jest/globals';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { componentStatus, readState } from '../../src/testing/index.ts';
import { processesMentioning } from '../../hack/cluster/host.ts';
import { groupAlive } from '../../src/testing/control-plane/process.ts';
import { freePort } from '../support/operator.ts';
import { waitFor } from '../../src/testing/wait.ts';

jest.setTimeout(900_000);

const REPO = fileURLToPath(new URL('../../', import.meta.url));
const RUNS = 20;
/** From before the control plane starts to well after the operator runs (a cached start takes ~10 s). */
const LATEST_SIGNAL_MS = 15_000;

describe('make dev and signals', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tentacle-dev-signals-'));
  afterAll(() => {
    spawnSync(join(REPO, 'hack/dev-cluster.sh'), ['down'], { env: { ...process.env, TENTACLE_DEV_DIR: dir } });
    rmSync(dir, { recursive: true, force: true });
  });

  test(`SIGTERM to the process group at ${RUNS} random moments leaves nothing running`, async () => {
    const moments: number[] = [];
    for (let run = 0; run < RUNS; run++) {
      const env = {
        ...process.env,
        TENTACLE_DEV_DIR: dir,
        METRICS_ADDR: `127.0.0.1:${await freePort()}`,
        PROBE_ADDR: `127.0.0.1:${await freePort()}`,
      };
      const make = spawn('make', ['--no-print-directory', 'dev'], { cwd: REPO, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
      let output = '';
      for (const stream of [make.stdout, make.stderr]) stream.on('data', (chunk: Buffer) => (output += chunk.toString()));
      const exited = new Promise<void>((resolve) => make.once('exit', () => resolve()));
      // The moment is the input of this test: spread over start-up and steady state.
      const moment = Math.floor(Math.random() * LATEST_SIGNAL_MS);
      moments.push(moment);
      await sleep(moment);
      process.kill(-make.pid!, 'SIGTERM');
      await exited;
      await waitFor(
        () => {
          const left = processesMentioning(dir).map(describeProcess);
          if (!groupAlive(make.pid!) && left.length === 0) return true;
          throw new Error(`still running: ${left.join('; ') || `make's process group ${make.pid}`}`);
        },
        { timeoutMs: 60_000, what: `run ${run + 1} (SIGTERM after ${moment} ms): every process of make dev gone` },
      ).catch((err: Error) => {
        throw new Error(`${err.message}\nmake dev printed:\n${output.slice(-4000)}`);
      });
      const state = readState(dir);
      if (state) assert.deepEqual(componentStatus(state).filter((c) => c.alive), [], `run ${run + 1}: a component alive`);
    }
    assert.equal(moments.length, RUNS);
  });

  test('up on a running cluster whose kubeconfig is gone writes it again', async () => {
    const env = { ...process.env, TENTACLE_DEV_DIR: dir };
    const up = () => spawnSync(join(REPO, 'hack/dev-cluster.sh'), ['up', '--nodes', '0'], { cwd: REPO, env, encoding: 'utf8' });
    assert.equal(up().status, 0);
    const kubeconfig = join(dir, 'kubeconfig');
    rmSync(kubeconfig);
    const again = up();
    assert.equal(again.status, 0, again.stderr);
    assert.match(again.stderr, /already running/);
    assert.ok(existsSync(kubeconfig));
    const nodes = spawnSync(join(REPO, 'bin/kubectl'), ['--kubeconfig', kubeconfig, 'get', 'namespaces', '-o', 'name'], { encoding: 'utf8' });
    assert.equal(nodes.status, 0, nodes.stderr);
    assert.match(nodes.stdout, /namespace\/default/);
  });
});

/** `pid name args…`, shortened, for a failure message. */
function describeProcess(pid: number): string {
  try {
    const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
    return `${pid} ${argv.join(' ').slice(0, 160)}`;
  } catch {
    return `${pid} (gone)`;
  }
}
