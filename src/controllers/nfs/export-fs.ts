// Filesystem operations of the NFS provisioner, confined to an export root: a local directory in local
// mode (`.dev/exports/<name>`), the mount point of server:path in a cluster. Same code either way.
//
// Rules, for every operation:
//   - the directory is a relative path checked by validateRelDir (no `..`, `.`, empty segment, absolute
//     path, control character, overlong name); the export root itself is never a target;
//   - no component below the root may be a symbolic link — not even one pointing inside the root — and
//     each must be a directory; after the walk, realpath must give back exactly the path walked;
//   - the root is resolved once with realpath (an admin may configure it through a symlink);
//   - recursive walks (delete, usage) never follow symlinks (a symlink is unlinked or skipped, never
//     entered) and never cross onto another filesystem (st_dev);
//   - mode and owner are applied through a handle opened with O_DIRECTORY | O_NOFOLLOW and checked to
//     be the inode the walk verified (fchmod / fchown, not chmod / chown on a path).
//
// Residual race (documented, not closed): Node has no openat / unlinkat / renameat2, so everything but
// fchmod/fchown works on paths resolved by the kernel at each call. Someone with write access inside
// the export (a pod using another volume whose directory is an ancestor of this one, or anyone on the
// NFS server) who swaps a checked directory for a symlink between the check and the use can redirect
// that one call: a mkdir, rename, unlink or rmdir. The checks are repeated right before each use
// (lstat per component, realpath per directory entered during delete) so the window is small, and
// deletion never enters symlinks it sees, but only openat-style descriptor-relative calls (a native
// helper, or GNU rm's fts traversal in a subprocess) would close it. Path-based code also cannot go
// below PATH_MAX: a tree nested deeper than 4096 bytes fails to delete with an error (never wrongly).
import { constants as C } from 'node:fs';
import type { Stats } from 'node:fs';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { ARCHIVE_PREFIX, isSameOrWithin, quote, validateRelDir } from './path-pattern.ts';

export type ExportFsErrorCode =
  | 'InvalidPath'
  | 'RootNotUsable'
  | 'SymlinkInPath'
  | 'NotADirectory'
  | 'OutsideRoot'
  | 'ContainsLiveVolume'
  | 'CrossDevice'
  | 'TooManyEntries'
  | 'ArchiveNameTaken';

/** A refusal: the operation did nothing unsafe and should not simply be retried unchanged. */
export class ExportFsError extends Error {
  readonly code: ExportFsErrorCode;
  constructor(code: ExportFsErrorCode, message: string) {
    super(message);
    this.name = 'ExportFsError';
    this.code = code;
  }
}

export interface CreateOptions {
  /** Permission bits of the volume directory, applied with fchmod (not subject to the umask). */
  mode: number;
  /** Owner to give the volume directory (fchown); omitted: left as created. */
  uid?: number | undefined;
  gid?: number | undefined;
  /** Mode of intermediate directories this call creates (umask applies); default 0755. */
  parentMode?: number | undefined;
}

export interface CreateResult {
  /** Absolute path of the volume directory. */
  path: string;
  /** False when it already existed (creating twice is not an error). */
  created: boolean;
  /** Problems that did not stop provisioning, e.g. chown not permitted: worth a Warning event. */
  warnings: string[];
}

export interface LiveVolumeGuard {
  /**
   * Directories of the other volumes still in use. A delete or archive of a directory that contains
   * one of them is refused (a pattern such as `${.PVC.namespace}/${.PVC.annotations.x}` puts a claim
   * without the annotation at `ns`, above its neighbours; upstream deletes them all).
   */
  liveVolumes?: readonly string[] | undefined;
}

export type RemoveResult = { done: true; reason?: undefined } | { done: false; reason: 'NotFound' };
export type ArchiveResult = { done: true; archivedAs: string } | { done: false; reason: 'NotFound' };

export interface Usage {
  /** Sum of regular file sizes (apparent size, hard links counted once). */
  bytes: number;
  /** Allocated space of everything seen, st_blocks × 512 (what `du` reports). */
  diskBytes: number;
  files: number;
  directories: number;
  /** The entry budget ran out: the figures are lower bounds. */
  truncated: boolean;
}

const DEFAULT_MAX_ENTRIES = 1_000_000;

const join = (dir: string, name: string): string => (dir.endsWith('/') ? dir + name : `${dir}/${name}`);

function errCode(e: unknown): string | undefined {
  return typeof e === 'object' && e !== null && 'code' in e ? String(e.code) : undefined;
}

async function lstatOrUndefined(p: string): Promise<Stats | undefined> {
  try {
    return await fs.lstat(p);
  } catch (e) {
    if (errCode(e) === 'ENOENT') return undefined;
    throw e;
  }
}

interface Root {
  path: string;
  dev: number;
}

/** The export root, resolved: must exist and be a directory. */
export async function resolveExportRoot(root: string): Promise<Root> {
  if (typeof root !== 'string' || root === '' || root.includes('\0')) throw new ExportFsError('RootNotUsable', 'the export root is not set');
  let real: string;
  try {
    real = await fs.realpath(path.resolve(root));
  } catch (e) {
    throw new ExportFsError('RootNotUsable', `export root ${quote(root)} is not usable: ${(e as Error).message}`);
  }
  const st = await fs.lstat(real);
  if (!st.isDirectory()) throw new ExportFsError('RootNotUsable', `export root ${quote(root)} is not a directory`);
  return { path: real, dev: st.dev };
}

function segmentsOf(relDir: string): string[] {
  const v = validateRelDir(relDir);
  if (!v.ok) throw new ExportFsError('InvalidPath', v.error);
  return v.segments;
}

interface Walked {
  abs: string;
  stat: Stats;
  created: boolean;
}

/**
 * Walks `segments` below the root one component at a time with lstat, refusing symlinks and
 * non-directories; creates missing components when `create` is given. Undefined when a component is
 * missing and nothing is to be created. Ends with a realpath check of the result.
 */
async function walk(root: Root, segments: readonly string[], create?: { parentMode: number; mode: number }): Promise<Walked | undefined> {
  let cur = root.path;
  let created = false;
  let st: Stats | undefined;
  for (const [i, seg] of segments.entries()) {
    const next = join(cur, seg);
    const shown = segments.slice(0, i + 1).join('/');
    st = await lstatOrUndefined(next);
    if (!st) {
      if (!create) return undefined;
      const leaf = i === segments.length - 1;
      try {
        // Restrictive until fchmod, so the leaf is never briefly wider than asked.
        await fs.mkdir(next, leaf ? create.mode & 0o700 : create.parentMode);
        created = leaf;
      } catch (e) {
        if (errCode(e) !== 'EEXIST') throw e;
      }
      st = await fs.lstat(next);
    }
    if (st.isSymbolicLink()) {
      throw new ExportFsError('SymlinkInPath', `${quote(shown)} in the export is a symbolic link; volume paths may not contain symbolic links`);
    }
    if (!st.isDirectory()) throw new ExportFsError('NotADirectory', `${quote(shown)} in the export is not a directory`);
    if (st.dev !== root.dev) throw new ExportFsError('CrossDevice', `${quote(shown)} in the export is on another filesystem`);
    cur = next;
  }
  if (!st) throw new ExportFsError('InvalidPath', 'the directory is the export root itself');
  await assertReal(cur);
  return { abs: cur, stat: st, created };
}

async function assertReal(abs: string): Promise<void> {
  const real = await fs.realpath(abs);
  if (real !== abs) throw new ExportFsError('OutsideRoot', `${quote(abs)} resolves to ${quote(real)}, not itself; refusing to follow it`);
}

/** Opens a verified directory without following a symlink and checks it is the inode the walk saw. */
async function openVerified(w: Walked): Promise<fs.FileHandle> {
  let fh: fs.FileHandle;
  try {
    fh = await fs.open(w.abs, C.O_RDONLY | C.O_DIRECTORY | C.O_NOFOLLOW);
  } catch (e) {
    if (errCode(e) === 'ELOOP' || errCode(e) === 'ENOTDIR') {
      throw new ExportFsError('SymlinkInPath', `${quote(w.abs)} changed into a symbolic link or non-directory while in use`);
    }
    throw e;
  }
  const st = await fh.stat();
  if (st.ino !== w.stat.ino || st.dev !== w.stat.dev) {
    await fh.close();
    throw new ExportFsError('OutsideRoot', `${quote(w.abs)} was replaced while in use`);
  }
  return fh;
}

function guardLive(relDir: string, opts: LiveVolumeGuard | undefined): void {
  for (const v of opts?.liveVolumes ?? []) {
    if (v !== relDir && isSameOrWithin(relDir, v)) {
      throw new ExportFsError('ContainsLiveVolume', `${quote(relDir)} contains the directory of another volume in use, ${quote(v)}; leaving it in place`);
    }
  }
}

/**
 * `mkdir -p root/relDir` without following symlinks, then the mode (exactly, umask or not) and, when
 * given, the owner of the leaf. Idempotent: an existing directory gets the mode and owner again.
 */
export async function createVolumeDir(root: string, relDir: string, opts: CreateOptions): Promise<CreateResult> {
  const segs = segmentsOf(relDir);
  if (!Number.isInteger(opts.mode) || opts.mode < 0 || opts.mode > 0o7777) throw new ExportFsError('InvalidPath', `mode ${opts.mode} is not a file mode`);
  const r = await resolveExportRoot(root);
  const w = await walk(r, segs, { parentMode: opts.parentMode ?? 0o755, mode: opts.mode });
  if (!w) throw new Error('unreachable: walk with create returned nothing');
  const warnings: string[] = [];
  const fh = await openVerified(w);
  try {
    await fh.chmod(opts.mode);
    if (opts.uid !== undefined || opts.gid !== undefined) {
      const uid = opts.uid ?? -1;
      const gid = opts.gid ?? -1;
      try {
        await fh.chown(uid, gid);
      } catch (e) {
        if (errCode(e) !== 'EPERM') throw e;
        const st = await fh.stat();
        if ((uid !== -1 && st.uid !== uid) || (gid !== -1 && st.gid !== gid)) {
          warnings.push(`not permitted to give ${quote(relDir)} owner ${uid}:${gid}; it stays ${st.uid}:${st.gid}`);
        }
      }
    }
  } finally {
    await fh.close();
  }
  return { path: w.abs, created: w.created, warnings };
}

/** Compact UTC stamp, `YYYYMMDDTHHMMSSZ`. */
function stamp(now: number): string {
  return new Date(now).toISOString().replace(/[-:]/g, '').replace(/\.\d{3}Z$/, 'Z');
}

/** Names tried, in order, for archiving `name`: upstream's `archived-<name>` first. */
export function archiveNames(name: string, now: number): string[] {
  const base = ARCHIVE_PREFIX + name;
  const s = `${base}-${stamp(now)}`;
  const out = [base, s];
  for (let n = 2; n <= 99; n++) out.push(`${s}-${n}`);
  return out;
}

/**
 * Upstream's archive: rename `relDir` to `archived-<name>` in the same parent. If that name is taken
 * (upstream then fails forever with ENOTEMPTY, or replaces an empty directory), a UTC timestamp is
 * appended, then a counter. The archived directory's mtime is set to `now`: the retention clock.
 */
export async function archiveVolumeDir(root: string, relDir: string, opts: LiveVolumeGuard & { now: number }): Promise<ArchiveResult> {
  const segs = segmentsOf(relDir);
  guardLive(relDir, opts);
  const r = await resolveExportRoot(root);
  const w = await walk(r, segs);
  if (!w) return { done: false, reason: 'NotFound' };
  const parentRel = segs.slice(0, -1);
  const name = segs[segs.length - 1] ?? '';
  const parentAbs = path.dirname(w.abs);
  for (const candidate of archiveNames(name, opts.now)) {
    const rel = [...parentRel, candidate].join('/');
    segmentsOf(rel); // the archive name must itself be a valid name (length)
    const dst = join(parentAbs, candidate);
    if (await lstatOrUndefined(dst)) continue;
    // Re-check right before the rename: parent chain and source still plain directories.
    const again = await walk(r, segs);
    if (!again || again.stat.ino !== w.stat.ino) return { done: false, reason: 'NotFound' };
    try {
      await fs.rename(w.abs, dst);
    } catch (e) {
      const c = errCode(e);
      // Someone created the name since the lstat: try the next one (an empty directory is replaced).
      if (c === 'ENOTEMPTY' || c === 'EEXIST' || c === 'ENOTDIR' || c === 'EISDIR') continue;
      throw e;
    }
    const t = new Date(opts.now);
    await fs.lutimes(dst, t, t);
    return { done: true, archivedAs: rel };
  }
  throw new ExportFsError('ArchiveNameTaken', `no free archive name for ${quote(relDir)}`);
}

/** `rm -rf root/relDir` that never follows a symlink, never leaves the filesystem, never removes the root. */
export async function deleteVolumeDir(root: string, relDir: string, opts?: LiveVolumeGuard & { maxEntries?: number }): Promise<RemoveResult> {
  const segs = segmentsOf(relDir);
  guardLive(relDir, opts);
  const r = await resolveExportRoot(root);
  const w = await walk(r, segs);
  if (!w) return { done: false, reason: 'NotFound' };
  await removeTree(w.abs, w.stat.dev, { left: opts?.maxEntries ?? Number.POSITIVE_INFINITY });
  return { done: true };
}

async function ignoreENOENT(p: Promise<unknown>): Promise<void> {
  try {
    await p;
  } catch (e) {
    if (errCode(e) !== 'ENOENT') throw e;
  }
}

async function removeTree(dir: string, dev: number, budget: { left: number }): Promise<void> {
  await assertReal(dir);
  let entries;
  try {
    entries = await fs.readdir(dir, { withFileTypes: true });
  } catch (e) {
    if (errCode(e) === 'ENOENT') return;
    throw e;
  }
  for (const e of entries) {
    if (--budget.left < 0) throw new ExportFsError('TooManyEntries', `${quote(dir)} has more entries than the deletion budget`);
    const p = join(dir, e.name);
    // Dirent types come from readdir (lstat semantics): a symlink to a directory is not a directory.
    if (e.isDirectory()) {
      const st = await lstatOrUndefined(p);
      if (!st) continue;
      if (st.isDirectory()) {
        if (st.dev !== dev) throw new ExportFsError('CrossDevice', `${quote(p)} is on another filesystem (a mount point); not entering it`);
        await removeTree(p, dev, budget);
        continue;
      }
    }
    await ignoreENOENT(fs.unlink(p));
  }
  await ignoreENOENT(fs.rmdir(dir));
}

/**
 * Space used by a volume directory, without following symlinks or leaving the filesystem, stopping
 * after `maxEntries` entries (then `truncated`). Undefined when the directory does not exist.
 */
export async function usedBytes(root: string, relDir: string, opts?: { maxEntries?: number }): Promise<Usage | undefined> {
  const segs = segmentsOf(relDir);
  const r = await resolveExportRoot(root);
  const w = await walk(r, segs);
  if (!w) return undefined;
  const u: Usage = { bytes: 0, diskBytes: w.stat.blocks * 512, files: 0, directories: 1, truncated: false };
  let left = opts?.maxEntries ?? DEFAULT_MAX_ENTRIES;
  const seen = new Set<string>();
  const stack = [w.abs];
  outer: while (stack.length > 0) {
    const dir = stack.pop() as string;
    let entries;
    try {
      entries = await fs.readdir(dir, { withFileTypes: true });
    } catch (e) {
      const c = errCode(e);
      if (c === 'ENOENT' || c === 'ENOTDIR' || c === 'EACCES') continue;
      throw e;
    }
    for (const e of entries) {
      if (--left < 0) {
        u.truncated = true;
        break outer;
      }
      const p = join(dir, e.name);
      const st = await lstatOrUndefined(p);
      if (!st || st.dev !== w.stat.dev) continue;
      if (st.nlink > 1 && !st.isDirectory()) {
        const id = `${st.dev}:${st.ino}`;
        if (seen.has(id)) continue;
        seen.add(id);
      }
      u.diskBytes += st.blocks * 512;
      if (st.isDirectory()) {
        u.directories++;
        stack.push(p);
      } else if (st.isFile()) {
        u.files++;
        u.bytes += st.size;
      }
    }
  }
  return u;
}

export interface RetentionOptions extends LiveVolumeGuard {
  /** Archives older than this are removed; must be positive (retention is off unless asked for). */
  olderThanMs: number;
  now: number;
  /**
   * Directories (relative; "" is the root) in which to look for `archived-*` directories: where the
   * provisioner's volumes live. Default: the root only, where the default pattern puts them. Never
   * searched recursively: an `archived-x` inside someone's volume is their data. Parents that are or
   * lie inside a live volume are skipped for the same reason.
   */
  parents?: readonly string[] | undefined;
  maxEntries?: number | undefined;
}

export interface RetentionResult {
  /** Relative paths removed. */
  removed: string[];
  /** Archives seen and still within the retention period. */
  kept: string[];
  errors: { dir: string; error: string }[];
}

/**
 * Removes archived volume directories whose age — now minus the later of mtime and ctime (set at
 * archive time; ctime cannot be set backwards, so this errs on keeping) — is at least `olderThanMs`.
 */
export async function removeExpiredArchives(root: string, opts: RetentionOptions): Promise<RetentionResult> {
  if (!(Number.isFinite(opts.olderThanMs) && opts.olderThanMs > 0)) {
    throw new ExportFsError('InvalidPath', `retention period ${opts.olderThanMs} ms is not a positive duration`);
  }
  const r = await resolveExportRoot(root);
  const live = opts.liveVolumes ?? [];
  const out: RetentionResult = { removed: [], kept: [], errors: [] };
  for (const parent of new Set(opts.parents ?? [''])) {
    try {
      if (live.some((v) => parent === '' ? false : isSameOrWithin(v, parent))) continue;
      let abs = r.path;
      if (parent !== '') {
        const w = await walk(r, segmentsOf(parent));
        if (!w) continue;
        abs = w.abs;
      }
      const entries = await fs.readdir(abs, { withFileTypes: true });
      for (const e of entries) {
        if (!e.isDirectory() || !e.name.startsWith(ARCHIVE_PREFIX)) continue;
        const rel = parent === '' ? e.name : `${parent}/${e.name}`;
        if (!validateRelDir(rel).ok) continue;
        if (live.some((v) => isSameOrWithin(rel, v))) continue;
        const st = await lstatOrUndefined(join(abs, e.name));
        if (!st || !st.isDirectory()) continue;
        const age = opts.now - Math.max(st.mtimeMs, st.ctimeMs);
        if (age < opts.olderThanMs) {
          out.kept.push(rel);
          continue;
        }
        try {
          const res = await deleteVolumeDir(root, rel, { liveVolumes: live, maxEntries: opts.maxEntries });
          if (res.done) out.removed.push(rel);
        } catch (err) {
          out.errors.push({ dir: rel, error: (err as Error).message });
        }
      }
    } catch (err) {
      out.errors.push({ dir: parent, error: (err as Error).message });
    }
  }
  return out;
}
