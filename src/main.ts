#!/usr/bin/env node
// The operator process: flags → manager with the chosen controllers → run until SIGTERM/SIGINT.
import { HelpRequested, parseFlags, usage } from './cli.ts';
import { controllers } from './controllers/index.ts';
import { newLogger } from './runtime/log.ts';
import { Manager } from './runtime/manager/manager.ts';

async function main(): Promise<number> {
  let flags;
  try {
    flags = parseFlags(process.argv.slice(2), Object.keys(controllers));
  } catch (err) {
    if (err instanceof HelpRequested) {
      console.log(usage);
      return 0;
    }
    console.error(`tentacle: ${(err as Error).message}\n\n${usage}`);
    return 2;
  }
  const log = newLogger({ level: flags.logLevel, format: flags.logFormat });
  // A bug in a handler must be seen, not silently kill every controller in the process.
  process.on('unhandledRejection', (reason) => log.error({ err: reason }, 'unhandled promise rejection'));

  let manager: Manager;
  try {
    manager = await Manager.create({
      ...(flags.kubeconfig ? { kubeconfig: flags.kubeconfig } : {}),
      qps: flags.kubeApiQps,
      burst: flags.kubeApiBurst,
      transport: { connections: flags.kubeApiConnections, ...(flags.disableHttp2 ? { http2: false } : {}) },
      metricsBindAddress: flags.metricsBindAddress,
      healthProbeBindAddress: flags.healthProbeBindAddress,
      userAgent: 'tentacle-operator',
      fieldManager: 'tentacle',
      leaderElection: flags.leaderElect,
      leaderElectionID: flags.leaderElectionID,
      ...(flags.leaderElectionNamespace ? { leaderElectionNamespace: flags.leaderElectionNamespace } : {}),
      ...(flags.namespace ? { namespace: flags.namespace } : {}),
      logger: log,
    });
  } catch (err) {
    // A missing kubeconfig or an unreachable server: one line that says which, not a stack trace.
    log.error(`cannot connect to the API server: ${(err as Error).message}`);
    return 1;
  }
  for (const name of flags.controllers) controllers[name]!(manager, flags.controllerOptions);

  const stop = new AbortController();
  for (const sig of ['SIGTERM', 'SIGINT'] as const) {
    process.on(sig, () => {
      if (stop.signal.aborted) {
        log.warn(`second ${sig}: exiting now`);
        process.exit(1);
      }
      log.info(`${sig} received: shutting down`);
      stop.abort();
    });
  }
  log.info({ controllers: flags.controllers, identity: manager.identity }, 'starting manager');
  try {
    await manager.start(stop.signal);
    return 0;
  } catch (err) {
    log.error({ err }, 'manager failed');
    return 1;
  }
}

process.exitCode = await main();
