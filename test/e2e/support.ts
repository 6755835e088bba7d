// Helpers of the end-to-end tests: the chart rendered with helm, as objects.
import { execFile } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import yaml from 'js-yaml';

export const REPO = fileURLToPath(new URL('../../', import.meta.url));
export const CHART = join(REPO, 'charts', 'tentacle');
export const HELM = process.env.TENTACLE_HELM ?? join(REPO, 'bin', 'helm');

export interface Manifest {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  [key: string]: any;
}

/** Runs a program; resolves with stdout, rejects with stderr in the message. */
export function run(file: string, args: string[], opts: { input?: string; cwd?: string; timeoutMs?: number } = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      file,
      args,
      { cwd: opts.cwd ?? REPO, maxBuffer: 64 * 1024 * 1024, timeout: opts.timeoutMs ?? 120_000 },
      (err, stdout, stderr) => {
        if (err) reject(new Error(`${file} ${args.join(' ')}: ${stderr.trim() || err.message}`));
        else resolve(stdout);
      },
    );
    // A program that exits without reading its input (bash -n, shellcheck) must not fail the run with EPIPE.
    child.stdin?.on('error', () => undefined);
    child.stdin?.end(opts.input ?? '');
  });
}

export function helm(args: string[], opts: { timeoutMs?: number } = {}): Promise<string> {
  return run(HELM, args, opts);
}

/** The chart's values files used in CI (charts/tentacle/ci/*-values.yaml). */
export function ciValuesFiles(): string[] {
  // Spread into this file's realm: under Jest, fs's arrays are Node's, and deepStrictEqual tells them apart.
  return [...readdirSync(join(CHART, 'ci'))].filter((f) => f.endsWith('-values.yaml')).sort().map((f) => join(CHART, 'ci', f));
}

/** `helm template` → the rendered objects (test hooks included unless `skipTests`). */
export async function render(
  opts: { release?: string; namespace?: string; values?: string[]; set?: string[]; skipTests?: boolean } = {},
): Promise<{ text: string; objects: Manifest[] }> {
  const args = ['template', opts.release ?? 'tentacle', CHART, '--namespace', opts.namespace ?? 'tentacle-system'];
  for (const f of opts.values ?? []) args.push('-f', f);
  for (const s of opts.set ?? []) args.push('--set', s);
  if (opts.skipTests) args.push('--skip-tests');
  const text = await helm(args);
  const objects = yaml.loadAll(text).filter((o): o is Manifest => !!o && typeof o === 'object');
  return { text, objects };
}

export function find(objects: Manifest[], kind: string, name?: string): Manifest | undefined {
  return objects.find((o) => o.kind === kind && (name === undefined || o.metadata.name === name));
}

export function all(objects: Manifest[], kind: string): Manifest[] {
  return objects.filter((o) => o.kind === kind);
}

export interface PolicyRule {
  apiGroups?: string[];
  resources?: string[];
  verbs: string[];
  resourceNames?: string[];
  nonResourceURLs?: string[];
}

/** A rule set flattened to "group resource verb" triples ("" is the core group). */
export function triples(rules: PolicyRule[]): Set<string> {
  const out = new Set<string>();
  for (const r of rules) {
    for (const g of r.apiGroups ?? []) for (const res of r.resources ?? []) for (const v of r.verbs) out.add(`${g} ${res} ${v}`);
  }
  return out;
}
