// Command-line flags of the operator (names as controller-runtime operators use them).
import { parseArgs } from 'node:util';

export interface OperatorFlags {
  kubeconfig: string | undefined;
  metricsBindAddress: string;
  healthProbeBindAddress: string;
  leaderElect: boolean;
  leaderElectionNamespace: string | undefined;
  leaderElectionID: string;
  controllers: string[];
  kubeApiQps: number;
  kubeApiBurst: number;
  /** HTTP/1.1 only (--disable-http2, or DISABLE_HTTP2 in the environment as client-go reads it). */
  disableHttp2: boolean;
  /** HTTP/1.1: sockets for requests (watches and Lease renewals have their own). */
  kubeApiConnections: number;
  namespace: string | undefined;
  logLevel: string;
  logFormat: 'json' | 'text';
  /** Settings read by individual controllers (see ControllerOptions). */
  controllerOptions: ControllerOptions;
}

/** Flags that concern one controller each; every controller setup receives them all. */
export interface ControllerOptions {
  /** autoscaler: Prometheus server for metrics of type Prometheus that name none. */
  prometheusAddress: string | undefined;
  /** nfs: local mode when set: the export of NFSProvisioner X is <dir>/X, served in-process. */
  nfsLocalExports: string | undefined;
  /** nfs: image of the per-provisioner agent Deployment (cluster mode). */
  nfsAgentImage: string | undefined;
  /** nfs-agent: the one NFSProvisioner this agent process serves, with its export mounted at nfsExportRoot. */
  nfsProvisioner: string | undefined;
  nfsExportRoot: string | undefined;
  /** nfs: service account of the agent Deployments (the chart's `<fullname>-nfs-agent`). */
  nfsAgentServiceAccount: string | undefined;
  /** nfs: Secrets the agent Deployments pull their image with (the chart's imagePullSecrets). */
  nfsAgentImagePullSecrets: string[];
  /** nfs: Node.js/V8 flags the agents run with (the chart's nodeFlags); none: the image's entrypoint. */
  nfsAgentNodeFlags: string[];
  /** nfs: the operator's namespace as given by --leader-election-namespace (agents go there). */
  operatorNamespace: string | undefined;
}

/** Controllers that `--controllers=all` leaves out: they only make sense when named with their flags. */
export const OPT_IN_CONTROLLERS = ['nfs-agent'];

export const usage = `Usage: tentacle [flags]
  --kubeconfig PATH                  kubeconfig (default: $KUBECONFIG, ~/.kube/config, in-cluster)
  --metrics-bind-address ADDR        Prometheus metrics address (default ":8080"; "0" disables)
  --health-probe-bind-address ADDR   /healthz and /readyz address (default ":8081"; "0" disables)
  --leader-elect                     elect a leader through the Lease before running controllers
  --leader-election-namespace NS     namespace of the Lease (default: the pod's namespace)
  --leader-election-id NAME          name of the Lease (default "tentacle-operator")
  --controllers LIST                 comma-separated controllers to run (default: all)
  --kube-api-qps N                   client-side requests per second to the API server (default 20)
  --kube-api-burst N                 client-side burst (default 30)
  --disable-http2                    speak HTTP/1.1 to the API server even where it offers HTTP/2 (also: DISABLE_HTTP2=1)
  --kube-api-connections N           HTTP/1.1: sockets for requests; watches and Lease renewals have their own (default 32)
  --namespace NS                     watch only this namespace (default: all)
  --log-level LEVEL                  trace, debug, info, warn, error (default "info")
  --log-format FORMAT                json (JSON lines) or text (for people) (default "json")
  --prometheus-address URL           autoscaler: default Prometheus server for metrics of type Prometheus
  --nfs-local-exports DIR            nfs: local mode; the export of NFSProvisioner X is DIR/X, served in-process
  --nfs-agent-image IMAGE            nfs: image of the per-provisioner agent Deployment (cluster mode)
  --nfs-provisioner NAME             nfs-agent: the NFSProvisioner this agent serves
  --nfs-export-root DIR              nfs-agent: where that provisioner's export is mounted
  --nfs-agent-service-account NAME   nfs: service account of the agent Deployments (cluster mode)
  --nfs-agent-image-pull-secrets LIST  nfs: comma-separated Secrets the agent Deployments pull their image with
  --nfs-agent-node-flags FLAGS       nfs: space-separated Node.js flags of the agents (node FLAGS dist/main.js)
  --help`;

/** Parses argv; throws an Error with a readable message on bad input. */
export function parseFlags(argv: string[], available: string[]): OperatorFlags {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      kubeconfig: { type: 'string' },
      'metrics-bind-address': { type: 'string', default: ':8080' },
      'health-probe-bind-address': { type: 'string', default: ':8081' },
      'leader-elect': { type: 'boolean', default: false },
      'leader-election-namespace': { type: 'string' },
      'leader-election-id': { type: 'string', default: 'tentacle-operator' },
      controllers: { type: 'string', default: 'all' },
      'kube-api-qps': { type: 'string', default: '20' },
      'kube-api-burst': { type: 'string', default: '30' },
      'disable-http2': { type: 'boolean', default: false },
      'kube-api-connections': { type: 'string', default: '32' },
      namespace: { type: 'string' },
      'log-level': { type: 'string', default: 'info' },
      'log-format': { type: 'string', default: 'json' },
      'prometheus-address': { type: 'string' },
      'nfs-local-exports': { type: 'string' },
      'nfs-agent-image': { type: 'string' },
      'nfs-provisioner': { type: 'string' },
      'nfs-export-root': { type: 'string' },
      'nfs-agent-service-account': { type: 'string' },
      'nfs-agent-image-pull-secrets': { type: 'string', default: '' },
      'nfs-agent-node-flags': { type: 'string', default: '' },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) throw new HelpRequested();
  const number = (flag: string, value: string) => {
    const n = Number(value);
    if (!Number.isFinite(n) || n < 0) throw new Error(`--${flag} must be a non-negative number, got ${JSON.stringify(value)}`);
    return n;
  };
  const requested = values.controllers === 'all' ? available.filter((c) => !OPT_IN_CONTROLLERS.includes(c)) : values.controllers.split(',').map((s) => s.trim()).filter(Boolean);
  const unknown = requested.filter((c) => !available.includes(c));
  if (unknown.length) {
    throw new Error(`unknown controller(s) ${unknown.join(', ')}; available: ${available.join(', ') || '(none)'}`);
  }
  if (requested.includes('nfs-agent') && (!values['nfs-provisioner'] || !values['nfs-export-root'])) {
    throw new Error('the nfs-agent controller needs --nfs-provisioner and --nfs-export-root');
  }
  const levels = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'];
  if (!levels.includes(values['log-level'])) throw new Error(`--log-level must be one of ${levels.join(', ')}`);
  const logFormat = values['log-format'];
  if (logFormat !== 'json' && logFormat !== 'text') throw new Error('--log-format must be json or text');
  return {
    kubeconfig: values.kubeconfig,
    metricsBindAddress: values['metrics-bind-address'],
    healthProbeBindAddress: values['health-probe-bind-address'],
    leaderElect: values['leader-elect'],
    leaderElectionNamespace: values['leader-election-namespace'],
    leaderElectionID: values['leader-election-id'],
    controllers: [...new Set(requested)],
    kubeApiQps: number('kube-api-qps', values['kube-api-qps']),
    kubeApiBurst: number('kube-api-burst', values['kube-api-burst']),
    disableHttp2: values['disable-http2'],
    kubeApiConnections: Math.max(1, number('kube-api-connections', values['kube-api-connections'])),
    namespace: values.namespace,
    logLevel: values['log-level'],
    logFormat,
    controllerOptions: {
      prometheusAddress: values['prometheus-address'],
      nfsLocalExports: values['nfs-local-exports'],
      nfsAgentImage: values['nfs-agent-image'],
      nfsProvisioner: values['nfs-provisioner'],
      nfsExportRoot: values['nfs-export-root'],
      nfsAgentServiceAccount: values['nfs-agent-service-account'],
      nfsAgentImagePullSecrets: values['nfs-agent-image-pull-secrets'].split(',').map((s) => s.trim()).filter(Boolean),
      nfsAgentNodeFlags: values['nfs-agent-node-flags'].split(' ').filter(Boolean),
      operatorNamespace: values['leader-election-namespace'],
    },
  };
}

export class HelpRequested extends Error {}
