// The operator's process:
//   node src/main.ts [--kubeconfig FILE] [--namespace NS] [--metrics-bind-address ADDR] [--health-probe-bind-address ADDR]
// Leader election keeps one active replica; SIGTERM stops it cleanly. The addresses default to :8080 and
// :8081, as controller-runtime's; `0` turns one off (beside `make dev`'s operator, which has those ports).
import { parseArgs } from 'node:util';
import { Manager, newLogger } from 'tentacle/runtime';
import { setupSecretMirror } from './controller.ts';

const { values } = parseArgs({
  options: {
    kubeconfig: { type: 'string' },
    namespace: { type: 'string' },
    'metrics-bind-address': { type: 'string', default: ':8080' },
    'health-probe-bind-address': { type: 'string', default: ':8081' },
  },
});
const manager = await Manager.create({
  ...(values.kubeconfig ? { kubeconfig: values.kubeconfig } : {}),
  ...(values.namespace ? { namespace: values.namespace } : {}),
  metricsBindAddress: values['metrics-bind-address'],
  healthProbeBindAddress: values['health-probe-bind-address'],
  userAgent: 'secret-mirror',
  leaderElection: true,
  leaderElectionID: 'secret-mirror.mirror.example.com',
  leaderElectionNamespace: values.namespace ?? 'default',
  logger: newLogger({ format: 'json' }),
});
setupSecretMirror(manager);

const stop = new AbortController();
for (const signal of ['SIGTERM', 'SIGINT'] as const) process.once(signal, () => stop.abort());
await manager.start(stop.signal);
