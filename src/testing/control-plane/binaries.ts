// Finds the pinned control-plane binaries the way hack/tools.sh provides them, and says what to run when
// they are missing. Versions come from hack/versions.env, which the package ships beside tools.sh.
import { accessSync, constants, existsSync, readFileSync, realpathSync } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The checkout, or the installed package's folder: this file is <root>/{src,dist}/testing/control-plane/. */
export const PACKAGE_ROOT = fileURLToPath(new URL('../../../', import.meta.url));

/** Which tools.sh cache folder (name and versions.env key) holds each binary. */
const SOURCES: Record<string, { tool: string; versionKey: string }> = {
  etcd: { tool: 'etcd', versionKey: 'ETCD_VERSION' },
  'kube-apiserver': { tool: 'kubernetes', versionKey: 'KUBERNETES_VERSION' },
  'kube-controller-manager': { tool: 'kubernetes', versionKey: 'KUBERNETES_VERSION' },
  'kube-scheduler': { tool: 'kubernetes', versionKey: 'KUBERNETES_VERSION' },
  kubectl: { tool: 'kubernetes', versionKey: 'KUBERNETES_VERSION' },
  kwok: { tool: 'kwok', versionKey: 'KWOK_VERSION' },
  'metrics-server': { tool: 'metrics-server', versionKey: 'METRICS_SERVER_VERSION' },
};

/** KEY=VALUE lines of a versions.env (comments and blank lines skipped). */
export function parseVersions(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const m = /^([A-Z0-9_]+)=(\S+)\s*$/.exec(line.trim());
    if (m) out[m[1]!] = m[2]!;
  }
  return out;
}

function pinnedVersions(): Record<string, string> {
  const path = join(PACKAGE_ROOT, 'hack', 'versions.env');
  return existsSync(path) ? parseVersions(readFileSync(path, 'utf8')) : {};
}

function executable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * Where to look for `name`, in order. An explicit directory (`binDir`, else $TENTACLE_BIN_DIR) is the
 * only place looked at; otherwise as tools.sh: $TENTACLE_TOOLS_DIR, the package's bin/ (tools.sh links
 * there), the cache ($TENTACLE_CACHE, default ~/.cache/tentacle) at the pinned version, then $PATH.
 */
export function binaryCandidates(name: string, binDir?: string, env: NodeJS.ProcessEnv = process.env): string[] {
  const explicit = binDir ?? env.TENTACLE_BIN_DIR;
  if (explicit) return [join(explicit, name)];
  const candidates: string[] = [];
  if (env.TENTACLE_TOOLS_DIR) candidates.push(join(env.TENTACLE_TOOLS_DIR, name));
  candidates.push(join(PACKAGE_ROOT, 'bin', name));
  const source = SOURCES[name];
  const version = source && pinnedVersions()[source.versionKey];
  if (source && version) {
    const cache = env.TENTACLE_CACHE ?? join(env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'tentacle');
    candidates.push(join(cache, `${source.tool}-${version}`, name));
  }
  for (const dir of (env.PATH ?? '').split(delimiter)) if (dir) candidates.push(join(dir, name));
  return candidates;
}

/** The absolute path (symlinks resolved) of binary `name`, or an error that says how to get it. */
export function findBinary(name: string, binDir?: string): string {
  const candidates = binaryCandidates(name, binDir);
  const found = candidates.find(executable);
  if (found) return realpathSync(found);
  const tools = join(PACKAGE_ROOT, 'hack', 'tools.sh');
  throw new Error(
    `${name} not found (looked at ${candidates.slice(0, 4).join(', ')}${candidates.length > 4 ? ', and $PATH' : ''}). ` +
      `Run \`bash ${tools} control-plane\` once: it downloads (or builds) the pinned binaries into ` +
      `~/.cache/tentacle. Or set TENTACLE_BIN_DIR to a folder that has them.`,
  );
}
