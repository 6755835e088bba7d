// A tiny Prometheus exporter the test controls: gauges set with set(name, labels, value), served in the
// text exposition format (0.0.4) at /metrics on a free loopback port, for a Prometheus to scrape.
//
//   const exporter = await startExporter();
//   exporter.set('queue_depth', { queue: 'orders' }, 42);
//   // scrape config: static_configs: [{ targets: [exporter.target] }]
//   await exporter.close();
import { createServer, type Server } from 'node:http';

export type Labels = Record<string, string>;

export interface Exporter {
  /** http://127.0.0.1:<port>/metrics */
  readonly url: string;
  /** 127.0.0.1:<port>, for static_configs targets. */
  readonly target: string;
  readonly port: number;
  /** Sets (creates or replaces) the sample `name{labels}`; `help` and `type` (default gauge) apply to the family. */
  set(name: string, labels: Labels, value: number, opts?: { help?: string; type?: 'gauge' | 'counter' | 'untyped' }): void;
  /** Removes one sample (with `labels`) or the whole family (without). */
  remove(name: string, labels?: Labels): void;
  /** The exposition text currently served. */
  text(): string;
  /** How many times /metrics was requested. */
  scrapes(): number;
  close(): Promise<void>;
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

const escapeLabel = (v: string) => v.replaceAll('\\', '\\\\').replaceAll('\n', '\\n').replaceAll('"', '\\"');
const escapeHelp = (v: string) => v.replaceAll('\\', '\\\\').replaceAll('\n', '\\n');
const labelKey = (labels: Labels) =>
  Object.keys(labels)
    .sort()
    .map((k) => `${k}="${escapeLabel(labels[k]!)}"`)
    .join(',');

function formatValue(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  return String(v);
}

interface Family {
  help: string;
  type: string;
  samples: Map<string, number>;
}

export async function startExporter(): Promise<Exporter> {
  const families = new Map<string, Family>();
  let scrapes = 0;
  const text = () => {
    const lines: string[] = [];
    for (const [name, f] of [...families].sort(([a], [b]) => a.localeCompare(b))) {
      lines.push(`# HELP ${name} ${escapeHelp(f.help)}`, `# TYPE ${name} ${f.type}`);
      for (const [key, value] of f.samples) lines.push(`${name}${key ? `{${key}}` : ''} ${formatValue(value)}`);
    }
    return lines.join('\n') + '\n';
  };
  const server: Server = createServer((req, res) => {
    if (req.method === 'GET' && req.url?.split('?')[0] === '/metrics') {
      scrapes++;
      res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' });
      res.end(text());
    } else {
      res.writeHead(404).end();
    }
  });
  server.keepAliveTimeout = 1000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as { port: number }).port;
  return {
    url: `http://127.0.0.1:${port}/metrics`,
    target: `127.0.0.1:${port}`,
    port,
    set(name, labels, value, opts = {}) {
      if (!NAME.test(name)) throw new Error(`invalid metric name ${JSON.stringify(name)}`);
      for (const k of Object.keys(labels)) {
        if (!LABEL.test(k) || k.startsWith('__')) throw new Error(`invalid label name ${JSON.stringify(k)}`);
      }
      let f = families.get(name);
      if (!f) {
        f = { help: opts.help ?? `${name} (set by the test)`, type: opts.type ?? 'gauge', samples: new Map() };
        families.set(name, f);
      }
      if (opts.help) f.help = opts.help;
      if (opts.type) f.type = opts.type;
      f.samples.set(labelKey(labels), value);
    },
    remove(name, labels) {
      if (!labels) families.delete(name);
      else families.get(name)?.samples.delete(labelKey(labels));
    },
    text,
    scrapes: () => scrapes,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
