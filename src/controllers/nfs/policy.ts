// Directory policy parameters of the NFS provisioner, parsed as nfs-subdir-external-provisioner does
// (cmd/nfs-subdir-external-provisioner/provisioner.go: Delete, getModeFromString, getIdFromString).

export type OnDelete = 'delete' | 'retain' | 'archive';
export type Parsed<T> = { ok: true; value: T } | { ok: false; error: string };

/** Go strconv.ParseBool. */
export function parseGoBool(s: string): boolean | undefined {
  if (['1', 't', 'T', 'TRUE', 'true', 'True'].includes(s)) return true;
  if (['0', 'f', 'F', 'FALSE', 'false', 'False'].includes(s)) return false;
  return undefined;
}

/**
 * What happens to a released volume's directory. Upstream order: `onDelete: delete|retain` wins; any
 * other onDelete value falls through to `archiveOnDelete` (Go ParseBool; false → delete, unparsable →
 * error); the default is archive. `onDelete: archive` is this project's explicit spelling of the
 * default. Note for the API layer: if the CRD schema defaults `onDelete` to `archive`, a legacy
 * `archiveOnDelete: "false"` can no longer take effect — default it here, not in the schema.
 */
export function resolveOnDelete(params: { onDelete?: string | undefined; archiveOnDelete?: string | boolean | undefined }): Parsed<OnDelete> {
  const { onDelete, archiveOnDelete } = params;
  if (onDelete === 'delete' || onDelete === 'retain' || onDelete === 'archive') return { ok: true, value: onDelete };
  if (onDelete !== undefined && onDelete !== '') {
    return { ok: false, error: `onDelete ${JSON.stringify(onDelete)} is not one of delete, retain, archive` };
  }
  if (archiveOnDelete === undefined) return { ok: true, value: 'archive' };
  const b = typeof archiveOnDelete === 'boolean' ? archiveOnDelete : parseGoBool(archiveOnDelete);
  if (b === undefined) return { ok: false, error: `archiveOnDelete ${JSON.stringify(archiveOnDelete)} is not a boolean` };
  return { ok: true, value: b ? 'archive' : 'delete' };
}

/** Upstream getModeFromString: octal, 0 to 0777 (no setuid, setgid or sticky bit); "" → 0777. */
export function parseDirectoryMode(s: string | undefined): Parsed<number> {
  if (s === undefined || s === '') return { ok: true, value: 0o777 };
  const t = s.startsWith('+') ? s.slice(1) : s;
  if (!/^[0-7]+$/.test(t)) return { ok: false, error: `directory mode ${JSON.stringify(s)} is not an octal number` };
  const v = parseInt(t, 8);
  if (v > 0o777) return { ok: false, error: `directory mode must be between 0 and 0777, got ${s}` };
  return { ok: true, value: v };
}

/** Upstream getIdFromString: decimal, 0 to 65535; "" → 0. */
export function parseDirectoryId(s: string | undefined): Parsed<number> {
  if (s === undefined || s === '') return { ok: true, value: 0 };
  if (!/^[+-]?[0-9]+$/.test(s)) return { ok: false, error: `id ${JSON.stringify(s)} is not a number` };
  const v = Number(s);
  if (!Number.isSafeInteger(v) || v < 0 || v > 65535) return { ok: false, error: `id must be between 0 and 65535, got ${s}` };
  return { ok: true, value: v === 0 ? 0 : v };
}
