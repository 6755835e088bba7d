// Volume directory names for the NFS provisioner: the `pathPattern` StorageClass parameter of
// nfs-subdir-external-provisioner (cmd/nfs-subdir-external-provisioner/provisioner.go), expanded the
// same way, followed by checks upstream lacks: no result may leave the export root or be ambiguous.
//
// Upstream, for reference:
//   - placeholders match `\${\.PVC\.((labels|annotations)\.(.*?)|.*?)}`; `namespace` and `name` come
//     from the claim, `labels.K` / `annotations.K` from its metadata; anything absent expands to "";
//   - the default directory is `<namespace>-<pvcName>-<pvName>`, also used when the expanded pattern is
//     the empty string;
//   - the result is joined under the export with filepath.Join, which cleans it: `//` and a leading or
//     trailing `/` collapse, `.` disappears and `..` climbs — out of the export if there are enough of
//     them (the path-traversal class of CVE-2026-3864).
//
// Decisions here (each refusal is an error message meant for an Event on the claim):
//   - Same placeholder syntax and keys. An unknown key (`${.PVC.uid}`), an empty label/annotation key,
//     or a leftover `${` that is not a placeholder (`${.pvc.name}`, unclosed) is an error; upstream
//     silently expands the first two to "" and leaves the last in the directory name.
//   - Substituted values are literal: each placeholder is replaced once, in one pass. (Upstream replaces
//     sequentially with strings.ReplaceAll, so a value containing the text of a later placeholder is
//     expanded again; nothing should rely on that.)
//   - A missing label or annotation expands to "" as upstream documents ("if not specified will accept
//     as empty string"), so `${.PVC.namespace}/${.PVC.annotations.nfs.io/storage-path}` gives `ns`
//     for a claim without the annotation.
//   - The pattern's own text belongs to the cluster admin: leading, trailing and repeated `/` collapse
//     exactly as filepath.Join would (patterns like `/${.PVC.namespace}-${.PVC.name}` are common).
//   - A value taken from the claim may contain `/` to nest directories (upstream's storage-path use),
//     but must itself be a clean relative path: not absolute, no empty, `.` or `..` segment.
//   - Every segment of the result: not `.` or `..` (refused, never cleaned away), no control character
//     (C0, DEL, C1), no backslash (a separator for SMB/Windows clients of the same export), well-formed
//     Unicode, at most 255 bytes (NAME_MAX); the last at most 226 bytes so that the archive name
//     `archived-<name>[-<UTC stamp>[-n]]` still fits; the whole result at most 4096 bytes (PATH_MAX).
//   - An empty result (no segments) gives the default directory, as upstream; never the export root.
//   - The default directory goes through the same checks (a very long claim name is refused rather
//     than failing later with ENAMETOOLONG).

export interface PvcMeta {
  namespace: string;
  name: string;
  labels?: Record<string, string> | undefined;
  annotations?: Record<string, string> | undefined;
}

export type DirResult = { ok: true; dir: string } | { ok: false; error: string };
export type SegmentsResult = { ok: true; segments: string[] } | { ok: false; error: string };

/** Prefix upstream gives an archived volume directory. */
export const ARCHIVE_PREFIX = 'archived-';
/** NAME_MAX on Linux filesystems and NFS servers alike. */
export const MAX_SEGMENT_BYTES = 255;
/** PATH_MAX. */
export const MAX_PATH_BYTES = 4096;
/** Room left for `archived-` + `-YYYYMMDDTHHMMSSZ` + `-NN`: 255 − 9 − 17 − 3 = 226. */
export const MAX_VOLUME_NAME_BYTES = MAX_SEGMENT_BYTES - ARCHIVE_PREFIX.length - 17 - 3;

/** Upstream's placeholder expression, kept character for character. */
const PLACEHOLDER = /\$\{\.PVC\.((labels|annotations)\.(.*?)|.*?)\}/g;

/** `<namespace>-<pvcName>-<pvName>`, upstream's directory name. */
export function defaultVolumeDir(pvc: Pick<PvcMeta, 'namespace' | 'name'>, pvName: string): string {
  return [pvc.namespace, pvc.name, pvName].join('-');
}

const byteLength = (s: string): number => Buffer.byteLength(s, 'utf8');

/** A readable rendering of a name for an error message: JSON-quoted (control characters visible), capped. */
export function quote(s: string): string {
  const q = JSON.stringify(s.length > 80 ? `${s.slice(0, 80)}…` : s);
  return q;
}

/** Why `seg` may not be a directory name, or undefined when it may. Limits in bytes of UTF-8. */
export function segmentProblem(seg: string, maxBytes = MAX_SEGMENT_BYTES): string | undefined {
  if (seg === '') return 'an empty path segment';
  if (seg === '.' || seg === '..') return `a ${quote(seg)} path segment, which would leave its directory`;
  if (!seg.isWellFormed()) return `a path segment ${quote(seg)} that is not well-formed Unicode`;
  if (seg.includes('\0')) return `a path segment ${quote(seg)} with a NUL character`;
  // C0 controls, DEL and C1 controls: newlines and escapes in directory names break logs and tools.
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f-\u009f]/u.test(seg)) return `a path segment ${quote(seg)} with a control character`;
  if (seg.includes('\\')) return `a path segment ${quote(seg)} with a backslash, a path separator for some NFS/SMB clients`;
  const n = byteLength(seg);
  if (n > maxBytes) return `a path segment ${quote(seg)} of ${n} bytes; the limit is ${maxBytes}`;
  return undefined;
}

/**
 * Checks a relative directory below an export root given as `a/b/c` (no leading, trailing or double
 * slash). Used by the filesystem layer for every path it is handed, including archive names.
 */
export function validateRelDir(rel: string): SegmentsResult {
  if (typeof rel !== 'string' || rel === '') return { ok: false, error: 'the directory is the export root itself' };
  if (rel.startsWith('/')) return { ok: false, error: `directory ${quote(rel)} is absolute; it must be relative to the export root` };
  if (byteLength(rel) > MAX_PATH_BYTES) return { ok: false, error: `directory path is ${byteLength(rel)} bytes long; the limit is ${MAX_PATH_BYTES}` };
  const segments = rel.split('/');
  for (const seg of segments) {
    const p = segmentProblem(seg);
    if (p) return { ok: false, error: `directory ${quote(rel)} has ${p}` };
  }
  return { ok: true, segments };
}

/** Checks a value taken from the claim: empty, or a clean relative path. */
function valueProblem(what: string, value: string): string | undefined {
  if (value === '') return undefined;
  if (value.startsWith('/')) return `${what} is ${quote(value)}, an absolute path; it must be relative`;
  for (const seg of value.split('/')) {
    if (seg === '') return `${what} is ${quote(value)}, which has an empty path segment (a doubled or trailing "/")`;
    const p = segmentProblem(seg, Number.POSITIVE_INFINITY);
    if (p) return `${what} is ${quote(value)}, which has ${p}`;
  }
  return undefined;
}

/** Final checks on an expanded directory's segments; `source` names where it came from. */
function checkResult(segments: string[], source: string): DirResult {
  for (const [i, seg] of segments.entries()) {
    const last = i === segments.length - 1;
    const p = segmentProblem(seg, last ? MAX_VOLUME_NAME_BYTES : MAX_SEGMENT_BYTES);
    if (p) {
      const why = last && byteLength(seg) > MAX_VOLUME_NAME_BYTES && p.endsWith(`the limit is ${MAX_VOLUME_NAME_BYTES}`)
        ? `${p} (the volume directory name must leave room for the "${ARCHIVE_PREFIX}" prefix and a timestamp)`
        : p;
      return { ok: false, error: `${source} has ${why}` };
    }
  }
  const dir = segments.join('/');
  const n = byteLength(dir);
  if (n > MAX_PATH_BYTES) return { ok: false, error: `${source} is ${n} bytes long; the limit is ${MAX_PATH_BYTES}` };
  return { ok: true, dir };
}

/**
 * The volume directory, relative to the export root, for a claim: `pattern` expanded (undefined or
 * "" — no pattern — gives the default `<namespace>-<pvcName>-<pvName>`). Never the root, never `..`.
 */
export function expandPathPattern(pattern: string | undefined, pvc: PvcMeta, pvName: string): DirResult {
  const defaultDir = (): DirResult => {
    const dir = defaultVolumeDir(pvc, pvName);
    for (const [what, v] of [['namespace', pvc.namespace], ['claim name', pvc.name], ['volume name', pvName]] as const) {
      if (typeof v !== 'string' || v === '') return { ok: false, error: `the ${what} is empty` };
      if (v.includes('/')) return { ok: false, error: `the ${what} ${quote(v)} contains "/"` };
    }
    return checkResult([dir], `default directory name ${quote(dir)}`);
  };
  if (pattern === undefined || pattern === '') return defaultDir();
  if (!pattern.isWellFormed()) return { ok: false, error: 'pathPattern is not well-formed Unicode' };

  let out = '';
  let last = 0;
  for (const m of pattern.matchAll(PLACEHOLDER)) {
    const literal = pattern.slice(last, m.index);
    const stray = literalProblem(literal);
    if (stray) return { ok: false, error: stray };
    out += literal;
    last = m.index + m[0].length;

    const [token, whole = '', kind, key = ''] = m;
    let value: string;
    let what: string;
    if (kind === 'labels' || kind === 'annotations') {
      if (key === '') return { ok: false, error: `pathPattern placeholder ${token} names no ${kind === 'labels' ? 'label' : 'annotation'} key` };
      const map = kind === 'labels' ? pvc.labels : pvc.annotations;
      // Upstream: a missing key reads as "" from the Go map.
      value = map && Object.hasOwn(map, key) ? String(map[key]) : '';
      what = `${kind === 'labels' ? 'label' : 'annotation'} ${quote(key)} of claim ${pvc.namespace}/${pvc.name}`;
    } else if (whole === 'namespace' || whole === 'name') {
      value = whole === 'namespace' ? pvc.namespace : pvc.name;
      what = `the claim ${whole}`;
    } else {
      return {
        ok: false,
        error: `pathPattern placeholder ${token} is unknown; use \${.PVC.namespace}, \${.PVC.name}, \${.PVC.labels.<key>} or \${.PVC.annotations.<key>}`,
      };
    }
    const p = valueProblem(what, value);
    if (p) return { ok: false, error: p };
    out += value;
  }
  const tail = pattern.slice(last);
  const stray = literalProblem(tail);
  if (stray) return { ok: false, error: stray };
  out += tail;

  // filepath.Join's handling of separators: leading, trailing and repeated "/" collapse.
  const segments = out.split('/').filter((s) => s !== '');
  if (segments.length === 0) return defaultDir();
  return checkResult(segments, `directory ${quote(out)} from pathPattern ${quote(pattern)}`);
}

function literalProblem(literal: string): string | undefined {
  const i = literal.indexOf('${');
  if (i < 0) return undefined;
  const end = literal.indexOf('}', i);
  const snippet = end < 0 ? literal.slice(i) : literal.slice(i, end + 1);
  return `pathPattern contains ${quote(snippet)}, which is not a placeholder; use \${.PVC.namespace}, \${.PVC.name}, \${.PVC.labels.<key>} or \${.PVC.annotations.<key>}`;
}

/** True when `child` is `parent` or lies below it (both relative directories, already validated). */
export function isSameOrWithin(parent: string, child: string): boolean {
  return child === parent || child.startsWith(`${parent}/`);
}

/** The PV's `spec.nfs.path`: the export path with the volume directory joined (filepath.Join style). */
export function nfsVolumePath(exportPath: string, dir: string): string {
  const base = exportPath.replace(/\/+$/, '');
  return `${base}/${dir}`;
}

/**
 * The volume directory for a PV's `spec.nfs.path`, which must lie strictly below `exportPath` (upstream
 * uses strings.Replace on the first occurrence anywhere in the path; this requires a real prefix).
 */
export function relDirFromNfsPath(exportPath: string, pvPath: string): DirResult {
  const base = exportPath.replace(/\/+$/, '');
  if (!pvPath.startsWith(`${base}/`)) {
    return { ok: false, error: `volume path ${quote(pvPath)} is not below the export path ${quote(exportPath === '' ? '/' : exportPath)}` };
  }
  const rel = pvPath.slice(base.length + 1);
  const v = validateRelDir(rel);
  return v.ok ? { ok: true, dir: rel } : { ok: false, error: `volume path ${quote(pvPath)}: ${v.error}` };
}
