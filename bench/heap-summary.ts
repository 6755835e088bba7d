// Where a V8 heap goes: self size by node type and, for objects, by constructor, from a .heapsnapshot
// (written by `node --heapsnapshot-signal=SIGUSR2` on the signal, or by Chrome DevTools).
//
//   node bench/heap-summary.ts FILE [--top 20]
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';

interface Snapshot {
  snapshot: { meta: { node_fields: string[]; node_types: [string[], ...unknown[]] } };
  nodes: number[];
  strings: string[];
}

export interface HeapSummary {
  totalBytes: number;
  /** Self size per node type ("object", "string", "array", "code", …), largest first. */
  byType: [string, number][];
  /** Self size and count per constructor of "object" nodes, largest first. */
  byConstructor: [string, { bytes: number; count: number }][];
}

export function summarizeHeapSnapshot(file: string): HeapSummary {
  const s = JSON.parse(readFileSync(file, 'utf8')) as Snapshot;
  const fields = s.snapshot.meta.node_fields;
  const typeNames = s.snapshot.meta.node_types[0];
  const [typeAt, nameAt, sizeAt] = ['type', 'name', 'self_size'].map((f) => fields.indexOf(f)) as [number, number, number];
  const byType = new Map<string, number>();
  const byConstructor = new Map<string, { bytes: number; count: number }>();
  let totalBytes = 0;
  for (let i = 0; i < s.nodes.length; i += fields.length) {
    const type = typeNames[s.nodes[i + typeAt]!]!;
    const size = s.nodes[i + sizeAt]!;
    totalBytes += size;
    byType.set(type, (byType.get(type) ?? 0) + size);
    if (type === 'object') {
      const name = s.strings[s.nodes[i + nameAt]!]!;
      const entry = byConstructor.get(name) ?? { bytes: 0, count: 0 };
      entry.bytes += size;
      entry.count++;
      byConstructor.set(name, entry);
    }
  }
  return {
    totalBytes,
    byType: [...byType].sort((a, b) => b[1] - a[1]),
    byConstructor: [...byConstructor].sort((a, b) => b[1].bytes - a[1].bytes),
  };
}

export function formatHeapSummary(summary: HeapSummary, top: number): string {
  const MiB = (b: number) => (b / 2 ** 20).toFixed(1);
  const share = (b: number) => `${((100 * b) / summary.totalBytes).toFixed(0)}%`;
  return [
    `heap snapshot: ${MiB(summary.totalBytes)} MiB in nodes (self sizes)`,
    '',
    '| node type | MiB | share |',
    '|---|---|---|',
    ...summary.byType.slice(0, top).map(([type, bytes]) => `| ${type} | ${MiB(bytes)} | ${share(bytes)} |`),
    '',
    '| object constructor | MiB | share | count |',
    '|---|---|---|---|',
    ...summary.byConstructor.slice(0, top).map(([name, e]) => `| ${name} | ${MiB(e.bytes)} | ${share(e.bytes)} | ${e.count} |`),
  ].join('\n');
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { values, positionals } = parseArgs({ allowPositionals: true, options: { top: { type: 'string', default: '20' } } });
  if (positionals.length !== 1) {
    console.error('usage: node bench/heap-summary.ts FILE [--top 20]');
    process.exit(2);
  }
  console.log(formatHeapSummary(summarizeHeapSnapshot(positionals[0]!), Number(values.top)));
}
