import { afterEach, beforeEach, describe, test } from '@jest/globals';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs/promises';
import { existsSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  ExportFsError,
  archiveNames,
  archiveVolumeDir,
  createVolumeDir,
  deleteVolumeDir,
  removeExpiredArchives,
  usedBytes,
} from '../../../src/controllers/nfs/export-fs.ts';
import type { ExportFsErrorCode } from '../../../src/controllers/nfs/export-fs.ts';

const isRoot = process.getuid?.() === 0;
const DAY = 86_400_000;

let tmp: string; // realpath of the per-test temporary directory
let root: string; // the export root
let outside: string; // a directory next to the export that must never be touched

beforeEach(async () => {
  tmp = await fs.realpath(await fs.mkdtemp(path.join(os.tmpdir(), 'tentacle-nfs-')));
  root = path.join(tmp, 'export');
  outside = path.join(tmp, 'outside');
  await fs.mkdir(root);
  await fs.mkdir(outside);
  await fs.writeFile(path.join(outside, 'precious'), 'keep me');
});
afterEach(async () => {
  await fs.rm(tmp, { recursive: true, force: true });
});

const refused = async (p: Promise<unknown>, code: ExportFsErrorCode, match?: RegExp): Promise<void> => {
  await assert.rejects(p, (e: unknown) => {
    assert.ok(e instanceof ExportFsError, `expected ExportFsError, got ${String(e)}`);
    assert.equal(e.code, code, e.message);
    if (match) assert.match(e.message, match);
    return true;
  });
};
const modeOf = async (p: string): Promise<number> => (await fs.lstat(p)).mode & 0o7777;
/** A directory's entry names in an array of this file's realm (fs.readdir's are Node's under Jest). */
const listDir = async (p: string): Promise<string[]> => [...(await fs.readdir(p))];
const outsideIntact = async (): Promise<void> => {
  assert.deepEqual((await listDir(outside)).sort(), ['precious']);
  assert.equal(await fs.readFile(path.join(outside, 'precious'), 'utf8'), 'keep me');
};

describe('createVolumeDir', () => {
  test('creates nested directories; the leaf gets exactly the mode asked, umask or not', async () => {
    const old = process.umask(0o077);
    try {
      const r = await createVolumeDir(root, 'ns/vol', { mode: 0o777 });
      assert.deepEqual(r, { path: path.join(root, 'ns/vol'), created: true, warnings: [] });
      assert.equal(await modeOf(path.join(root, 'ns/vol')), 0o777);
      // intermediate directories: parentMode (0755 by default) under the umask
      assert.equal(await modeOf(path.join(root, 'ns')), 0o700);
    } finally {
      process.umask(old);
    }
    await createVolumeDir(root, 'p/q', { mode: 0o750, parentMode: 0o711 });
    assert.equal(await modeOf(path.join(root, 'p/q')), 0o750);
    assert.equal(await modeOf(path.join(root, 'p')), 0o711 & ~process.umask());
  });

  test('creating twice is fine and re-applies the mode', async () => {
    await createVolumeDir(root, 'a', { mode: 0o700 });
    await fs.writeFile(path.join(root, 'a', 'data'), 'x');
    const r = await createVolumeDir(root, 'a', { mode: 0o755 });
    assert.equal(r.created, false);
    assert.equal(await modeOf(path.join(root, 'a')), 0o755);
    assert.equal(await fs.readFile(path.join(root, 'a', 'data'), 'utf8'), 'x');
  });

  test('sets the owner when asked', async () => {
    // Root may give any owner; anyone else may only "give" their own uid and one of their groups.
    const [uid, gid] = isRoot ? [1234, 2345] : [process.getuid!(), process.getgid!()];
    await createVolumeDir(root, 'owned', { mode: 0o770, uid, gid });
    const st = await fs.lstat(path.join(root, 'owned'));
    assert.deepEqual([st.uid, st.gid], [uid, gid]);
    await createVolumeDir(root, 'gidonly', { mode: 0o770, gid });
    const g = await fs.lstat(path.join(root, 'gidonly'));
    assert.deepEqual([g.uid, g.gid], [process.getuid!(), gid]);
  });

  test('a chown that is not permitted is a warning, not a failure', async () => {
    // As root, the agent's unprivileged case is run in a child process that drops to nobody.
    const script = `import { createVolumeDir } from ${JSON.stringify(path.resolve('src/controllers/nfs/export-fs.ts'))};
      const r = await createVolumeDir(process.argv[1], 'owned', { mode: 0o770, uid: 0, gid: 0 });
      console.log(JSON.stringify(r.warnings));`;
    await fs.chmod(tmp, 0o755);
    await fs.chmod(root, 0o777);
    const argv = ['--input-type=module', '-e', script, root];
    const out = isRoot
      ? execFileSync('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, ...argv], { encoding: 'utf8' })
      : execFileSync(process.execPath, argv, { encoding: 'utf8' });
    const warnings = JSON.parse(out) as string[];
    assert.equal(warnings.length, 1);
    assert.match(warnings[0] ?? '', /not permitted/);
  });

  test('a symlink planted in the export pointing outside is refused and nothing is created outside', async () => {
    await fs.symlink(outside, path.join(root, 'ns'));
    await refused(createVolumeDir(root, 'ns/x', { mode: 0o777 }), 'SymlinkInPath', /"ns".*symbolic link/);
    await refused(createVolumeDir(root, 'ns/x/y', { mode: 0o777 }), 'SymlinkInPath');
    await outsideIntact();
  });

  test('a symlink as the final component is refused', async () => {
    await fs.symlink(outside, path.join(root, 'vol'));
    await refused(createVolumeDir(root, 'vol', { mode: 0o777 }), 'SymlinkInPath');
    assert.notEqual(await modeOf(outside), 0o777); // not chmod'ed through the link
    await outsideIntact();
  });

  test('a symlink to a directory inside the root is refused too', async () => {
    await fs.mkdir(path.join(root, 'real'));
    await fs.symlink(path.join(root, 'real'), path.join(root, 'alias'));
    await fs.symlink('real', path.join(root, 'relalias'));
    await refused(createVolumeDir(root, 'alias/x', { mode: 0o777 }), 'SymlinkInPath');
    await refused(createVolumeDir(root, 'relalias', { mode: 0o777 }), 'SymlinkInPath');
    assert.deepEqual(await listDir(path.join(root, 'real')), []);
  });

  test('a dangling symlink is not created through', async () => {
    await fs.symlink(path.join(outside, 'new'), path.join(root, 'dangling'));
    await refused(createVolumeDir(root, 'dangling', { mode: 0o777 }), 'SymlinkInPath');
    await refused(createVolumeDir(root, 'dangling/x', { mode: 0o777 }), 'SymlinkInPath');
    await outsideIntact();
  });

  test('paths that escape or name the root are refused before touching the disk', async () => {
    for (const rel of ['', '.', '..', '../outside', 'a/../../outside', '/etc', `${outside}/x`, 'a//b', 'a/', 'a\0b']) {
      await refused(createVolumeDir(root, rel, { mode: 0o777 }), 'InvalidPath');
    }
    assert.deepEqual(await listDir(root), []);
    await outsideIntact();
  });

  test('a file where a directory is expected is refused', async () => {
    await fs.writeFile(path.join(root, 'f'), 'x');
    await refused(createVolumeDir(root, 'f', { mode: 0o777 }), 'NotADirectory');
    await refused(createVolumeDir(root, 'f/x', { mode: 0o777 }), 'NotADirectory');
  });

  test('the root itself may be reached through a symlink (the admin chose it)', async () => {
    const link = path.join(tmp, 'root-link');
    await fs.symlink(root, link);
    const r = await createVolumeDir(link, 'v', { mode: 0o755 });
    assert.equal(r.path, path.join(root, 'v'));
    assert.ok(existsSync(path.join(root, 'v')));
  });

  test('a missing or non-directory root is refused', async () => {
    await refused(createVolumeDir(path.join(tmp, 'nope'), 'v', { mode: 0o755 }), 'RootNotUsable');
    await refused(createVolumeDir(path.join(outside, 'precious'), 'v', { mode: 0o755 }), 'RootNotUsable');
    await refused(createVolumeDir('', 'v', { mode: 0o755 }), 'RootNotUsable');
  });

  test('a bad mode is refused', async () => {
    await refused(createVolumeDir(root, 'v', { mode: -1 }), 'InvalidPath');
    await refused(createVolumeDir(root, 'v', { mode: 1.5 }), 'InvalidPath');
  });
});

describe('archiveVolumeDir', () => {
  const NOW = Date.parse('2026-03-04T05:06:07.890Z');

  test('renames to archived-<name> in the same parent and stamps mtime', async () => {
    await createVolumeDir(root, 'ns/v', { mode: 0o755 });
    await fs.writeFile(path.join(root, 'ns/v/data'), 'hello');
    const r = await archiveVolumeDir(root, 'ns/v', { now: NOW });
    assert.deepEqual(r, { done: true, archivedAs: 'ns/archived-v' });
    assert.equal(existsSync(path.join(root, 'ns/v')), false);
    assert.equal(await fs.readFile(path.join(root, 'ns/archived-v/data'), 'utf8'), 'hello');
    assert.equal((await fs.lstat(path.join(root, 'ns/archived-v'))).mtimeMs, NOW);
  });

  test('a taken name gets a UTC stamp, then a counter', async () => {
    assert.deepEqual(archiveNames('v', NOW).slice(0, 3), ['archived-v', 'archived-v-20260304T050607Z', 'archived-v-20260304T050607Z-2']);
    for (const want of ['archived-v', 'archived-v-20260304T050607Z', 'archived-v-20260304T050607Z-2']) {
      await createVolumeDir(root, 'v', { mode: 0o755 });
      await fs.writeFile(path.join(root, 'v/f'), want);
      assert.deepEqual(await archiveVolumeDir(root, 'v', { now: NOW }), { done: true, archivedAs: want });
    }
    // Each archive kept its own content: nothing was replaced.
    for (const n of ['archived-v', 'archived-v-20260304T050607Z', 'archived-v-20260304T050607Z-2']) {
      assert.equal(await fs.readFile(path.join(root, n, 'f'), 'utf8'), n);
    }
  });

  test('a symlink or file squatting on the archive name is skipped, not followed', async () => {
    await fs.symlink(outside, path.join(root, 'archived-v'));
    await createVolumeDir(root, 'v', { mode: 0o755 });
    const r = await archiveVolumeDir(root, 'v', { now: NOW });
    assert.deepEqual(r, { done: true, archivedAs: 'archived-v-20260304T050607Z' });
    await outsideIntact();
    assert.equal((await fs.lstat(path.join(root, 'archived-v'))).isSymbolicLink(), true);
  });

  test('a missing directory is reported, not an error (upstream skips it)', async () => {
    assert.deepEqual(await archiveVolumeDir(root, 'gone', { now: NOW }), { done: false, reason: 'NotFound' });
    assert.deepEqual(await archiveVolumeDir(root, 'gone/deeper', { now: NOW }), { done: false, reason: 'NotFound' });
  });

  test('symlinks on the path or as the target are refused', async () => {
    await fs.symlink(outside, path.join(root, 'ns'));
    await fs.symlink(outside, path.join(root, 'vol'));
    await refused(archiveVolumeDir(root, 'vol', { now: NOW }), 'SymlinkInPath');
    await refused(archiveVolumeDir(root, 'ns/precious', { now: NOW }), 'SymlinkInPath');
    await outsideIntact();
    assert.equal((await fs.lstat(path.join(root, 'vol'))).isSymbolicLink(), true);
  });

  test('a directory holding another live volume is not archived', async () => {
    await createVolumeDir(root, 'ns/other', { mode: 0o755 });
    await refused(archiveVolumeDir(root, 'ns', { now: NOW, liveVolumes: ['ns', 'ns/other'] }), 'ContainsLiveVolume', /"ns\/other"/);
    assert.ok(existsSync(path.join(root, 'ns/other')));
    // Its own entry in the live list does not count, nor does a sibling with a common prefix.
    await createVolumeDir(root, 'ns2', { mode: 0o755 });
    assert.equal((await archiveVolumeDir(root, 'ns', { now: NOW, liveVolumes: ['ns', 'ns2'] })).done, true);
  });

  test('the root and escaping paths are refused', async () => {
    for (const rel of ['', '.', '..', '../outside']) await refused(archiveVolumeDir(root, rel, { now: NOW }), 'InvalidPath');
  });
});

describe('deleteVolumeDir', () => {
  test('removes the tree but never what symlinks inside it point to', async () => {
    await createVolumeDir(root, 'ns/vol', { mode: 0o755 });
    const vol = path.join(root, 'ns/vol');
    await fs.mkdir(path.join(vol, 'sub/deeper'), { recursive: true });
    await fs.writeFile(path.join(vol, 'sub/deeper/f'), 'x');
    await fs.writeFile(path.join(vol, 'top'), 'y');
    await fs.symlink(outside, path.join(vol, 'link')); // to an outside directory with a file
    await fs.symlink(path.join(outside, 'precious'), path.join(vol, 'sub/filelink'));
    await fs.symlink('/nonexistent', path.join(vol, 'dangling'));
    await fs.symlink('..', path.join(vol, 'sub/up')); // a loop back up
    await fs.chmod(path.join(vol, 'sub/deeper'), 0o500); // unwritable subdirectory (root ignores this)
    execFileSync('mkfifo', [path.join(vol, 'fifo')]);
    const r = await deleteVolumeDir(root, 'ns/vol');
    assert.deepEqual(r, { done: true });
    assert.equal(existsSync(vol), false);
    assert.ok(existsSync(path.join(root, 'ns')), 'the parent stays');
    await outsideIntact();
  });

  test('a missing directory is reported; deleting twice is fine', async () => {
    await createVolumeDir(root, 'v', { mode: 0o755 });
    assert.deepEqual(await deleteVolumeDir(root, 'v'), { done: true });
    assert.deepEqual(await deleteVolumeDir(root, 'v'), { done: false, reason: 'NotFound' });
  });

  test('a symlink as the target is refused and left alone', async () => {
    await fs.symlink(outside, path.join(root, 'vol'));
    await refused(deleteVolumeDir(root, 'vol'), 'SymlinkInPath');
    assert.equal((await fs.lstat(path.join(root, 'vol'))).isSymbolicLink(), true);
    await outsideIntact();
  });

  test('a symlink on the way to the target is refused', async () => {
    await fs.mkdir(path.join(outside, 'victim'));
    await fs.writeFile(path.join(outside, 'victim/file'), 'z');
    await fs.symlink(outside, path.join(root, 'ns'));
    await refused(deleteVolumeDir(root, 'ns/victim'), 'SymlinkInPath');
    assert.equal(await fs.readFile(path.join(outside, 'victim/file'), 'utf8'), 'z');
  });

  test('a symlink to a directory inside the root is refused too', async () => {
    await createVolumeDir(root, 'real/v', { mode: 0o755 });
    await fs.symlink('real', path.join(root, 'alias'));
    await refused(deleteVolumeDir(root, 'alias/v'), 'SymlinkInPath');
    assert.ok(existsSync(path.join(root, 'real/v')));
  });

  test('the root, escaping paths and files are refused', async () => {
    for (const rel of ['', '.', '..', '../outside', 'x/../..', '/']) await refused(deleteVolumeDir(root, rel), 'InvalidPath');
    await fs.writeFile(path.join(root, 'f'), 'x');
    await refused(deleteVolumeDir(root, 'f'), 'NotADirectory');
    assert.ok(existsSync(path.join(root, 'f')));
    await outsideIntact();
  });

  test('a directory holding another live volume is not deleted', async () => {
    await createVolumeDir(root, 'ns/other', { mode: 0o755 });
    await refused(deleteVolumeDir(root, 'ns', { liveVolumes: ['ns/other'] }), 'ContainsLiveVolume');
    assert.ok(existsSync(path.join(root, 'ns/other')));
  });

  test('the entry budget stops a huge tree with an error', async () => {
    await createVolumeDir(root, 'v', { mode: 0o755 });
    for (let i = 0; i < 10; i++) await fs.writeFile(path.join(root, `v/f${i}`), '');
    await refused(deleteVolumeDir(root, 'v', { maxEntries: 5 }), 'TooManyEntries');
    assert.deepEqual(await deleteVolumeDir(root, 'v', { maxEntries: 100 }), { done: true });
  });
});

describe('usedBytes', () => {
  test('sums file sizes without following symlinks, counting hard links once', async () => {
    await createVolumeDir(root, 'v', { mode: 0o755 });
    const v = path.join(root, 'v');
    await fs.writeFile(path.join(v, 'a'), Buffer.alloc(1000));
    await fs.mkdir(path.join(v, 'd'));
    await fs.writeFile(path.join(v, 'd/b'), Buffer.alloc(234));
    await fs.link(path.join(v, 'a'), path.join(v, 'd/hard'));
    await fs.writeFile(path.join(outside, 'big'), Buffer.alloc(1_000_000));
    await fs.symlink(outside, path.join(v, 'dirlink'));
    await fs.symlink(path.join(outside, 'big'), path.join(v, 'filelink'));
    const u = await usedBytes(root, 'v');
    assert.ok(u);
    assert.equal(u.bytes, 1234);
    assert.equal(u.files, 2);
    assert.equal(u.directories, 2);
    assert.equal(u.truncated, false);
    assert.ok(u.diskBytes >= 0 && u.diskBytes < 1_000_000, `diskBytes ${u.diskBytes}`);
  });

  test('is bounded and says so', async () => {
    await createVolumeDir(root, 'v', { mode: 0o755 });
    for (let i = 0; i < 10; i++) await fs.writeFile(path.join(root, `v/f${i}`), 'xx');
    const u = await usedBytes(root, 'v', { maxEntries: 4 });
    assert.ok(u);
    assert.equal(u.truncated, true);
    assert.equal(u.bytes, 8);
  });

  test('missing directory → undefined; symlinks and escapes refused', async () => {
    assert.equal(await usedBytes(root, 'nope'), undefined);
    await fs.symlink(outside, path.join(root, 'vol'));
    await refused(usedBytes(root, 'vol'), 'SymlinkInPath');
    await refused(usedBytes(root, '../outside'), 'InvalidPath');
    await refused(usedBytes(root, ''), 'InvalidPath');
  });
});

describe('removeExpiredArchives', () => {
  async function archived(rel: string): Promise<void> {
    await createVolumeDir(root, rel, { mode: 0o755 });
    await fs.writeFile(path.join(root, rel, 'f'), 'x');
    const r = await archiveVolumeDir(root, rel, { now: Date.now() });
    assert.equal(r.done, true);
  }

  test('removes archives older than the period and keeps the rest', async () => {
    await archived('a');
    await archived('b');
    await createVolumeDir(root, 'live', { mode: 0o755 });
    const kept = await removeExpiredArchives(root, { olderThanMs: DAY, now: Date.now() });
    assert.deepEqual(kept, { removed: [], kept: ['archived-a', 'archived-b'].sort(), errors: [] });
    const later = await removeExpiredArchives(root, { olderThanMs: DAY, now: Date.now() + 2 * DAY });
    assert.deepEqual(later.removed.sort(), ['archived-a', 'archived-b']);
    assert.deepEqual(await listDir(root), ['live']);
  });

  test('age counts from the later of mtime and ctime: a backdated mtime does not expire it early', async () => {
    await archived('a');
    const old = new Date(Date.now() - 10 * DAY);
    await fs.utimes(path.join(root, 'archived-a'), old, old);
    const r = await removeExpiredArchives(root, { olderThanMs: DAY, now: Date.now() });
    assert.deepEqual(r.kept, ['archived-a']);
  });

  test('never follows archived-* symlinks, never removes files or live volumes', async () => {
    await fs.symlink(outside, path.join(root, 'archived-link'));
    await fs.writeFile(path.join(root, 'archived-file'), 'x');
    await createVolumeDir(root, 'archived-ns-pvc-pv', { mode: 0o755 }); // a live volume in namespace "archived"
    await archived('gone');
    await fs.symlink(outside, path.join(root, 'archived-gone', 'inner-link'));
    const r = await removeExpiredArchives(root, {
      olderThanMs: DAY,
      now: Date.now() + 2 * DAY,
      liveVolumes: ['archived-ns-pvc-pv'],
    });
    assert.deepEqual(r, { removed: ['archived-gone'], kept: [], errors: [] });
    assert.deepEqual((await listDir(root)).sort(), ['archived-file', 'archived-link', 'archived-ns-pvc-pv']);
    await outsideIntact();
  });

  test('looks only in the given parents, never inside live volumes, never recursively', async () => {
    await archived('ns/v');
    await archived('deep/er/v');
    await createVolumeDir(root, 'user/archived-mine', { mode: 0o755 }); // user data inside the volume "user"
    const later = Date.now() + 2 * DAY;
    const onlyRoot = await removeExpiredArchives(root, { olderThanMs: DAY, now: later });
    assert.deepEqual(onlyRoot.removed, []);
    const r = await removeExpiredArchives(root, {
      olderThanMs: DAY,
      now: later,
      parents: ['ns', 'user', 'missing', 'deep'],
      liveVolumes: ['user'],
    });
    assert.deepEqual(r, { removed: ['ns/archived-v'], kept: [], errors: [] });
    assert.ok(existsSync(path.join(root, 'user/archived-mine')));
    assert.ok(existsSync(path.join(root, 'deep/er/archived-v')));
  });

  test('a symlinked or escaping parent is an error entry, not a traversal', async () => {
    await fs.mkdir(path.join(outside, 'archived-x'));
    await fs.symlink(outside, path.join(root, 'ns'));
    const r = await removeExpiredArchives(root, { olderThanMs: DAY, now: Date.now() + 2 * DAY, parents: ['ns', '../outside'] });
    assert.deepEqual(r.removed, []);
    assert.deepEqual(r.errors.map((e) => e.dir), ['ns', '../outside']);
    assert.ok(existsSync(path.join(outside, 'archived-x')));
  });

  test('a retention period must be positive', async () => {
    for (const bad of [0, -1, Number.NaN, Number.POSITIVE_INFINITY]) {
      await refused(removeExpiredArchives(root, { olderThanMs: bad, now: Date.now() }), 'InvalidPath');
    }
  });
});
