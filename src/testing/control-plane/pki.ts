// Certificates and kubeconfigs for the local control plane, made with the openssl CLI once per state
// directory (a marker file says the set is complete; an interrupted run starts over).
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export const SERVICE_CLUSTER_IP_RANGE = '10.96.0.0/16';
const APISERVER_SANS = [
  'DNS:localhost',
  'DNS:kubernetes',
  'DNS:kubernetes.default',
  'DNS:kubernetes.default.svc',
  'DNS:kubernetes.default.svc.cluster.local',
  'IP:127.0.0.1',
  'IP:10.96.0.1',
];

/** Paths of every PEM file the components use. */
export interface Pki {
  dir: string;
  caCert: string;
  caKey: string;
  apiserverCert: string;
  apiserverKey: string;
  adminCert: string;
  adminKey: string;
  controllerManagerCert: string;
  controllerManagerKey: string;
  schedulerCert: string;
  schedulerKey: string;
  kwokCert: string;
  kwokKey: string;
  kwokServingCert: string;
  kwokServingKey: string;
  metricsServerCert: string;
  metricsServerKey: string;
  metricsServerServingCert: string;
  metricsServerServingKey: string;
  frontProxyCaCert: string;
  frontProxyCaKey: string;
  frontProxyClientCert: string;
  frontProxyClientKey: string;
  serviceAccountKey: string;
  serviceAccountPub: string;
}

export function pkiPaths(dir: string): Pki {
  const p = (name: string) => join(dir, name);
  return {
    dir,
    caCert: p('ca.crt'),
    caKey: p('ca.key'),
    apiserverCert: p('apiserver.crt'),
    apiserverKey: p('apiserver.key'),
    adminCert: p('admin.crt'),
    adminKey: p('admin.key'),
    controllerManagerCert: p('kube-controller-manager.crt'),
    controllerManagerKey: p('kube-controller-manager.key'),
    schedulerCert: p('kube-scheduler.crt'),
    schedulerKey: p('kube-scheduler.key'),
    kwokCert: p('kwok.crt'),
    kwokKey: p('kwok.key'),
    kwokServingCert: p('kwok-serving.crt'),
    kwokServingKey: p('kwok-serving.key'),
    metricsServerCert: p('metrics-server.crt'),
    metricsServerKey: p('metrics-server.key'),
    metricsServerServingCert: p('metrics-server-serving.crt'),
    metricsServerServingKey: p('metrics-server-serving.key'),
    frontProxyCaCert: p('front-proxy-ca.crt'),
    frontProxyCaKey: p('front-proxy-ca.key'),
    frontProxyClientCert: p('front-proxy-client.crt'),
    frontProxyClientKey: p('front-proxy-client.key'),
    serviceAccountKey: p('sa.key'),
    serviceAccountPub: p('sa.pub'),
  };
}

async function openssl(args: string[], cwd: string): Promise<void> {
  try {
    await run('openssl', args, { cwd });
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    throw new Error(`openssl ${args[0]} failed: ${e.stderr?.trim() || e.message}`, { cause: err });
  }
}

const DAYS = '3650';
const EC_KEY = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

export async function makeCa(dir: string, name: string, cn: string): Promise<void> {
  await openssl(
    [
      'req', '-x509', ...EC_KEY, '-keyout', `${name}.key`, '-out', `${name}.crt`, '-days', DAYS,
      '-subj', `/CN=${cn}`,
      '-addext', 'basicConstraints=critical,CA:TRUE',
      '-addext', 'keyUsage=critical,digitalSignature,keyEncipherment,keyCertSign',
    ],
    dir,
  );
}

/** Issues `<name>.crt`/`<name>.key` signed by CA `<ca>` (a CA's file stem in `dir`). */
export async function issue(
  dir: string,
  ca: string,
  name: string,
  subject: string,
  usage: 'client' | 'server',
  sans: string[] = [],
): Promise<void> {
  await openssl(['req', '-new', ...EC_KEY, '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', subject], dir);
  const ext = [
    'basicConstraints=critical,CA:FALSE',
    'keyUsage=critical,digitalSignature,keyEncipherment',
    `extendedKeyUsage=${usage === 'client' ? 'clientAuth' : 'serverAuth'}`,
    ...(sans.length ? [`subjectAltName=${sans.join(',')}`] : []),
  ];
  writeFileSync(join(dir, `${name}.ext`), ext.join('\n') + '\n');
  await openssl(
    [
      'x509', '-req', '-in', `${name}.csr`, '-CA', `${ca}.crt`, '-CAkey', `${ca}.key`,
      // Random serials: certificates are issued in parallel, so no shared serial file.
      '-set_serial', `0x${randomBytes(16).toString('hex')}`,
      '-days', DAYS, '-sha256', '-extfile', `${name}.ext`, '-out', `${name}.crt`,
    ],
    dir,
  );
  rmSync(join(dir, `${name}.csr`));
  rmSync(join(dir, `${name}.ext`));
}

/** Creates the certificates under `dir` unless a complete set is there already. */
export async function ensurePki(dir: string): Promise<{ pki: Pki; created: boolean }> {
  const pki = pkiPaths(dir);
  const marker = join(dir, '.complete');
  // A set made before a component was added lacks its files: start over (the CA changes, but every
  // kubeconfig is rewritten on each start and nothing runs while certificates are made).
  const files = Object.entries(pki).flatMap(([k, v]) => (k === 'dir' ? [] : [v]));
  if (existsSync(marker) && files.every((f) => existsSync(f))) return { pki, created: false };
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true, mode: 0o700 });

  await Promise.all([makeCa(dir, 'ca', 'tentacle-ca'), makeCa(dir, 'front-proxy-ca', 'tentacle-front-proxy-ca')]);
  await Promise.all([
    issue(dir, 'ca', 'apiserver', '/CN=kube-apiserver', 'server', APISERVER_SANS),
    issue(dir, 'ca', 'admin', '/O=system:masters/CN=kubernetes-admin', 'client'),
    issue(dir, 'ca', 'kube-controller-manager', '/CN=system:kube-controller-manager', 'client'),
    issue(dir, 'ca', 'kube-scheduler', '/CN=system:kube-scheduler', 'client'),
    // kwok patches the status of every pod and node: a member of system:masters with its own name.
    issue(dir, 'ca', 'kwok', '/O=system:masters/CN=kwok-controller', 'client'),
    issue(dir, 'ca', 'kwok-serving', '/CN=kwok-controller', 'server', ['DNS:localhost', 'IP:127.0.0.1']),
    // metrics-server reads nodes and pods, delegates authentication and authorization (TokenReview,
    // SubjectAccessReview) and reads the extension-apiserver-authentication ConfigMap: upstream grants
    // that with a ClusterRole and two bindings; a throwaway dev/test cluster simply makes it a member
    // of system:masters, like kwok.
    issue(dir, 'ca', 'metrics-server', '/O=system:masters/CN=metrics-server', 'client'),
    // Its serving certificate: the aggregator verifies it for <service>.<namespace>.svc against the
    // APIService's caBundle (this CA), while connecting to 127.0.0.1.
    issue(dir, 'ca', 'metrics-server-serving', '/CN=metrics-server', 'server', [
      'DNS:metrics-server.kube-system.svc',
      'DNS:localhost',
      'IP:127.0.0.1',
    ]),
    issue(dir, 'front-proxy-ca', 'front-proxy-client', '/CN=front-proxy-client', 'client'),
    (async () => {
      await openssl(['genpkey', '-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048', '-out', 'sa.key'], dir);
      await openssl(['pkey', '-in', 'sa.key', '-pubout', '-out', 'sa.pub'], dir);
    })(),
  ]);
  writeFileSync(marker, new Date().toISOString() + '\n');
  return { pki, created: true };
}

/** A kubeconfig with the certificates embedded, so the file works wherever it is copied. */
export function writeKubeconfig(
  path: string,
  opts: { server: string; caCert: string; clientCert: string; clientKey: string; user: string },
): void {
  const b64 = (file: string) => readFileSync(file).toString('base64');
  const text = `apiVersion: v1
kind: Config
clusters:
- name: tentacle
  cluster:
    server: ${opts.server}
    certificate-authority-data: ${b64(opts.caCert)}
users:
- name: ${opts.user}
  user:
    client-certificate-data: ${b64(opts.clientCert)}
    client-key-data: ${b64(opts.clientKey)}
contexts:
- name: tentacle
  context:
    cluster: tentacle
    user: ${opts.user}
current-context: tentacle
preferences: {}
`;
  writeFileSync(path, text, { mode: 0o600 });
}
