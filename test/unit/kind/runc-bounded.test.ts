// Table tests of hack/kind/runc-bounded: which capabilities and oom_score_adj it takes out of an OCI spec
// (create/run) or a process file (exec) for a given bounding set, and that it leaves other commands alone.
// The real runc is replaced by `true`; the bounding set and the wrapper's own oom_score_adj come from the env.
import { describe, test } from '@jest/globals';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const SCRIPT = fileURLToPath(new URL('../../../hack/kind/runc-bounded', import.meta.url));
const ALL = 0x1ffffffffffn; // CAP_CHOWN … CAP_CHECKPOINT_RESTORE (40)
const WITHOUT_SYS_RESOURCE = ALL & ~(1n << 24n);

function runWrapper(args: (dir: string) => string[], file: string, spec: unknown, capbnd: bigint, oom: number): unknown {
  const dir = mkdtempSync(join(tmpdir(), 'runc-bounded-'));
  try {
    writeFileSync(join(dir, file), JSON.stringify(spec));
    execFileSync(SCRIPT, args(dir), {
      env: { ...process.env, RUNC_BOUNDED_RUNC: 'true', RUNC_BOUNDED_CAPBND: capbnd.toString(16), RUNC_BOUNDED_OOM: String(oom) },
    });
    return JSON.parse(readFileSync(join(dir, file), 'utf8'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const privileged = { bounding: ['CAP_CHOWN', 'CAP_SYS_RESOURCE', 'CAP_SYS_ADMIN'], effective: ['CAP_SYS_RESOURCE'] };

describe('runc-bounded', () => {
  const cases: { name: string; args: (dir: string) => string[]; file: string; spec: unknown; capbnd: bigint; oom: number; want: unknown }[] = [
    {
      name: 'create: drops exactly the capabilities the bounding set lacks, from every set',
      args: (dir) => ['--root', '/run/runc', 'create', '--bundle', dir, 'id'],
      file: 'config.json',
      spec: { process: { capabilities: privileged } },
      capbnd: WITHOUT_SYS_RESOURCE,
      oom: 0,
      want: { process: { capabilities: { bounding: ['CAP_CHOWN', 'CAP_SYS_ADMIN'], effective: [] } } },
    },
    {
      name: 'run --bundle=DIR: raises a negative oomScoreAdj to its own',
      args: (dir) => ['run', `--bundle=${dir}`, 'id'],
      file: 'config.json',
      spec: { process: { oomScoreAdj: -999 } },
      capbnd: WITHOUT_SYS_RESOURCE,
      oom: -500,
      want: { process: { oomScoreAdj: -500 } },
    },
    {
      name: 'create: an oomScoreAdj above its own stays',
      args: (dir) => ['create', '-b', dir, 'id'],
      file: 'config.json',
      spec: { process: { oomScoreAdj: 1000 } },
      capbnd: WITHOUT_SYS_RESOURCE,
      oom: 0,
      want: { process: { oomScoreAdj: 1000 } },
    },
    {
      name: 'create with every capability available: the spec is unchanged',
      args: (dir) => ['create', '--bundle', dir, 'id'],
      file: 'config.json',
      spec: { process: { capabilities: privileged } },
      capbnd: ALL,
      oom: 0,
      want: { process: { capabilities: privileged } },
    },
    {
      name: 'exec --process FILE: the process file is bounded (docker exec --privileged)',
      args: (dir) => ['exec', '--process', join(dir, 'process.json'), '--detach', 'id'],
      file: 'process.json',
      spec: { capabilities: privileged },
      capbnd: WITHOUT_SYS_RESOURCE,
      oom: 0,
      want: { capabilities: { bounding: ['CAP_CHOWN', 'CAP_SYS_ADMIN'], effective: [] } },
    },
    {
      name: 'other commands (delete, state, …) touch nothing',
      args: (dir) => ['delete', '--bundle', dir, 'id'],
      file: 'config.json',
      spec: { process: { capabilities: privileged, oomScoreAdj: -999 } },
      capbnd: WITHOUT_SYS_RESOURCE,
      oom: 0,
      want: { process: { capabilities: privileged, oomScoreAdj: -999 } },
    },
  ];
  for (const c of cases) test(c.name, () => assert.deepEqual(runWrapper(c.args, c.file, c.spec, c.capbnd, c.oom), c.want));
});
