// The host-level side of the real node: commands, sysctls, iptables rules and chains, mounts, cgroups and
// processes, as the real node reads and restores them (real-node.ts).
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** Runs a command; its stdout, or an error with its stderr (unless allowFail). */
export function run(cmd: string, args: string[], opts: { allowFail?: boolean } = {}): string {
  const res = spawnSync(cmd, args, { encoding: 'utf8', timeout: 60_000 });
  if (res.status !== 0 && !opts.allowFail) {
    throw new Error(`${cmd} ${args.join(' ')}: ${(res.stderr || res.stdout || res.error?.message || '').trim()}`);
  }
  return res.stdout ?? '';
}

export function readSysctl(key: string): string | undefined {
  const path = `/proc/sys/${key.replaceAll('.', '/')}`;
  return existsSync(path) ? readFileSync(path, 'utf8').trim() : undefined;
}
export function writeSysctl(key: string, value: string): void {
  writeFileSync(`/proc/sys/${key.replaceAll('.', '/')}`, value + '\n');
}

/**
 * `iptables-save` output as comparable lines: `<table> -A …` rules and `<table> :<chain> -` user chains
 * (built-in chains at their default ACCEPT policy and empty tables say nothing, so they are left out).
 */
export function parseIptablesSave(text: string): string[] {
  let table = '';
  const out: string[] = [];
  for (const line of text.split('\n')) {
    if (line.startsWith('*')) table = line.slice(1);
    else if (line.startsWith('-A ')) out.push(`${table} ${line}`);
    else if (/^:\S+ (-|DROP|REJECT)/.test(line)) out.push(`${table} ${line.replace(/ \[\d+:\d+\]$/, '')}`);
  }
  return out.sort();
}

/** The host's iptables rule set, as parseIptablesSave lines. */
export function iptablesRules(): string[] {
  return parseIptablesSave(run('iptables-save', [], { allowFail: true }));
}

/** PIDs of processes whose command line contains `text`. */
export function processesMentioning(text: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      if (readFileSync(`/proc/${entry}/cmdline`, 'utf8').includes(text)) pids.push(Number(entry));
    } catch {
      // gone
    }
  }
  return pids;
}

/** Mount points (from /proc/self/mountinfo text) under any of `roots`, deepest first. */
export function mountPointsUnder(mountinfo: string, roots: string[]): string[] {
  const points = mountinfo
    .split('\n')
    .map((l) => l.split(' ')[4])
    .filter((p): p is string => !!p)
    .map((p) => p.replace(/\\040/g, ' '));
  return points.filter((p) => roots.some((r) => p === r || p.startsWith(r + '/'))).sort((a, b) => b.length - a.length);
}

/** The host's mount points under any of `roots`, deepest first. */
export function mountsUnder(roots: string[]): string[] {
  return mountPointsUnder(readFileSync('/proc/self/mountinfo', 'utf8'), roots);
}

/**
 * Chains of the kubelet, kube-proxy and the CNI plugins (KUBE-*, CNI-*) that were not there before the
 * start (`before`: iptablesRules() lines), with every rule jumping to them.
 */
export function removeChains(before: Set<string>): void {
  for (const table of ['filter', 'nat', 'mangle']) {
    const rules = run('iptables', ['-t', table, '-S'], { allowFail: true }).split('\n');
    const ours = new Set(
      rules.flatMap((r) => {
        const chain = /^-N ((?:KUBE|CNI)-\S+)/.exec(r)?.[1];
        return chain && !before.has(`${table} :${chain} -`) ? [chain] : [];
      }),
    );
    for (const rule of rules) {
      const target = / -j (\S+)/.exec(rule)?.[1];
      const chain = /^-A (\S+)/.exec(rule)?.[1];
      if (chain && target && ours.has(target) && !ours.has(chain)) {
        run('iptables', ['-t', table, ...splitRule(rule.replace(/^-A /, '-D '))], { allowFail: true });
      }
    }
    for (const chain of ours) run('iptables', ['-t', table, '-F', chain], { allowFail: true });
    for (const chain of ours) run('iptables', ['-t', table, '-X', chain], { allowFail: true });
  }
}

/** Splits an `iptables -S` rule into arguments, keeping quoted comments whole. */
export function splitRule(rule: string): string[] {
  return (rule.match(/"[^"]*"|\S+/g) ?? []).map((a) => a.replace(/^"(.*)"$/, '$1'));
}

/** Removes the cgroup `name` (and everything below it) in every v1 hierarchy and the unified one. */
export function removeCgroups(name: string): void {
  const root = '/sys/fs/cgroup';
  if (!existsSync(root)) return;
  const remove = (dir: string) => {
    if (!existsSync(dir)) return;
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      if (entry.isDirectory()) remove(join(dir, entry.name));
    }
    try {
      rmdirSync(dir);
    } catch {
      // still has a process, or not ours to remove
    }
  };
  for (const hierarchy of readdirSync(root)) remove(join(root, hierarchy, name));
  remove(join(root, name));
}
