// The manager's two HTTP endpoints (express): probes (/healthz, /readyz) and Prometheus /metrics.
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import type { Registry } from 'prom-client';

export type Check = () => boolean | string;

/** Parses `:8080`, `127.0.0.1:0` or `0` (disabled → undefined). */
export function parseBindAddress(address: string): { host: string; port: number } | undefined {
  if (address === '0' || address === '') return undefined;
  const colon = address.lastIndexOf(':');
  const host = colon < 0 ? '' : address.slice(0, colon).replace(/^\[|\]$/g, '');
  const port = Number(colon < 0 ? address : address.slice(colon + 1));
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`invalid bind address ${JSON.stringify(address)}`);
  return { host: host || '0.0.0.0', port };
}

export function probeApp(health: Map<string, Check>, ready: Map<string, Check>): express.Express {
  const app = express();
  const handler = (checks: Map<string, Check>) => (req: express.Request, res: express.Response) => {
    const failures: string[] = [];
    const lines: string[] = [];
    for (const [name, check] of checks) {
      let result: boolean | string;
      try {
        result = check();
      } catch (err) {
        result = (err as Error).message;
      }
      const ok = result === true;
      if (!ok) failures.push(name);
      lines.push(`[${ok ? '+' : '-'}]${name} ${ok ? 'ok' : `failed: ${result === false ? 'not ready' : result}`}`);
    }
    const verbose = 'verbose' in req.query;
    res.status(failures.length ? 500 : 200).type('text/plain');
    if (failures.length) res.send(`${lines.join('\n')}\ncheck failed\n`);
    else res.send(verbose ? `${lines.join('\n')}\nok\n` : 'ok');
  };
  app.get('/healthz', handler(health));
  app.get('/readyz', handler(ready));
  return app;
}

export function metricsApp(registry: Registry): express.Express {
  const app = express();
  app.get('/metrics', async (_req, res) => {
    try {
      res.type(registry.contentType).send(await registry.metrics());
    } catch (err) {
      res.status(500).type('text/plain').send((err as Error).message);
    }
  });
  return app;
}

export function listen(app: express.Express, bind: { host: string; port: number }): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = app.listen(bind.port, bind.host);
    server.once('listening', () => resolve(server));
    server.once('error', reject);
  });
}

export function portOf(server: Server): number {
  return (server.address() as AddressInfo).port;
}

export function close(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.closeAllConnections();
    server.close(() => resolve());
  });
}
