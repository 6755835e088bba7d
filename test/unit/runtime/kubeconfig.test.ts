// Table tests of kubeconfig loading: relative paths, $KUBECONFIG merging, context resolution, the lookup
// order, TLS settings and the headers of each auth method (static token, basic, token file, exec plugin,
// impersonation). Files live in a temporary directory; nothing talks to a server.
import { afterAll, beforeAll, describe, test } from '@jest/globals';
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import yaml from 'js-yaml';
import {
  authHeaders,
  loadKubeconfig,
  mergeKubeconfigs,
  parseKubeconfigFile,
  resolveContext,
  tlsOptions,
  type Kubeconfig,
} from '../../../src/runtime/client/kubeconfig.ts';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'kubeconfig-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Writes a kubeconfig with one context per [context, cluster, user] and returns its path. */
function kubeconfigFile(name: string, doc: Record<string, unknown>): string {
  const path = join(dir, name);
  mkdirSync(join(path, '..'), { recursive: true });
  writeFileSync(path, yaml.dump({ apiVersion: 'v1', kind: 'Config', ...doc }));
  return path;
}
const cluster = (name: string, server: string, extra: Record<string, unknown> = {}) => ({ name, cluster: { server, ...extra } });
const user = (name: string, fields: Record<string, unknown> = {}) => ({ name, user: fields });
const context = (name: string, c: string, u: string, namespace?: string) => ({ name, context: { cluster: c, user: u, ...(namespace ? { namespace } : {}) } });

describe('parseKubeconfigFile', () => {
  test('certificate paths are relative to the file; data fields stay as they are', () => {
    const file = kubeconfigFile('sub/config', {
      clusters: [cluster('a', 'https://a:6443', { 'certificate-authority': 'ca.crt' }), cluster('b', 'https://b', { 'certificate-authority': '/abs/ca.crt' })],
      users: [user('u', { 'client-certificate': 'u.crt', 'client-key': 'u.key' }), user('d', { 'client-certificate-data': 'Zm9v' })],
      contexts: [context('c', 'a', 'u')],
      'current-context': 'c',
    });
    const parsed = parseKubeconfigFile(file);
    assert.equal(parsed.clusters[0]!.caFile, join(dir, 'sub', 'ca.crt'));
    assert.equal(parsed.clusters[1]!.caFile, '/abs/ca.crt');
    assert.equal(parsed.users[0]!.certFile, join(dir, 'sub', 'u.crt'));
    assert.equal(parsed.users[0]!.keyFile, join(dir, 'sub', 'u.key'));
    assert.equal(parsed.users[1]!.certData, 'Zm9v');
    assert.equal(parsed.currentContext, 'c');
  });
});

describe('mergeKubeconfigs', () => {
  const a = { clusters: [{ name: 'x', server: 'https://first', skipTLSVerify: false }], users: [{ name: 'u' }], contexts: [{ name: 'c', cluster: 'x', user: 'u' }], currentContext: 'c' };
  const b = { clusters: [{ name: 'x', server: 'https://second', skipTLSVerify: false }, { name: 'y', server: 'https://y', skipTLSVerify: false }], users: [], contexts: [], currentContext: 'other' };
  const cases: [string, Parameters<typeof mergeKubeconfigs>[0], { servers: string[]; current?: string }][] = [
    ['the first file that names an entry wins, the others add theirs', [a, b], { servers: ['https://first', 'https://y'], current: 'c' }],
    ['current-context comes from the first file that has one', [{ ...b, currentContext: undefined }, a], { servers: ['https://second', 'https://y'], current: 'c' }],
    ['nothing merged is empty', [], { servers: [] }],
  ];
  for (const [name, files, want] of cases) {
    test(name, () => {
      const merged = mergeKubeconfigs(files);
      assert.deepEqual(merged.clusters.map((c) => c.server), want.servers);
      assert.equal(merged.currentContext, want.current);
    });
  }
});

describe('resolveContext', () => {
  const entries = {
    clusters: [{ name: 'x', server: 'https://x', skipTLSVerify: false }],
    users: [{ name: 'u', token: 't' }],
    contexts: [{ name: 'c', cluster: 'x', user: 'u', namespace: 'ns' }, { name: 'no-user', cluster: 'x', user: 'ghost' }, { name: 'no-cluster', cluster: 'gone', user: 'u' }],
    currentContext: 'c',
  };
  const cases: [string, string | undefined, Partial<Kubeconfig> | RegExp][] = [
    ['the current context', 'c', { context: 'c', namespace: 'ns' }],
    ['a user the file does not define authenticates as nobody', 'no-user', { context: 'no-user', user: { name: 'ghost' } }],
    ['a context naming a missing cluster says so', 'no-cluster', /names cluster "gone"/],
    ['an unknown context says so', 'nope', /no context "nope"/],
    ['no context at all says so', undefined, /no current-context/],
  ];
  for (const [name, ctx, want] of cases) {
    test(name, () => {
      const input = ctx === undefined ? { ...entries, currentContext: undefined } : entries;
      if (want instanceof RegExp) assert.throws(() => resolveContext(input, ctx), want);
      else {
        const kc = resolveContext(input, ctx);
        for (const [k, v] of Object.entries(want)) assert.deepEqual(kc[k as keyof Kubeconfig], v);
      }
    });
  }
});

describe('loadKubeconfig finds the file as kubectl does', () => {
  const saved = { KUBECONFIG: process.env.KUBECONFIG, HOME: process.env.HOME };
  afterAll(() => {
    for (const [k, v] of Object.entries(saved)) if (v === undefined) delete process.env[k]; else process.env[k] = v;
  });
  const one = (name: string, server: string) =>
    kubeconfigFile(name, { clusters: [cluster(name, server)], users: [user('u')], contexts: [context(name, name, 'u')], 'current-context': name });

  test('--kubeconfig, then $KUBECONFIG (merged, first wins), then ~/.kube/config', () => {
    const explicit = one('explicit', 'https://explicit');
    const first = one('first', 'https://first');
    const second = one('second', 'https://second');
    const home = join(dir, 'home');
    kubeconfigFile('home/.kube/config', { clusters: [cluster('h', 'https://home')], users: [user('u')], contexts: [context('h', 'h', 'u')], 'current-context': 'h' });
    process.env.HOME = home;
    process.env.KUBECONFIG = `${first}:${second}`;
    assert.equal(loadKubeconfig({ kubeconfig: explicit }).cluster.server, 'https://explicit');
    assert.equal(loadKubeconfig().cluster.server, 'https://first');
    assert.equal(loadKubeconfig({ context: 'second' }).cluster.server, 'https://second');
    delete process.env.KUBECONFIG;
    assert.equal(loadKubeconfig().cluster.server, 'https://home');
  });
});

describe('tlsOptions', () => {
  const base: Kubeconfig = { context: 'c', cluster: { name: 'x', server: 'https://x', skipTLSVerify: false }, user: { name: 'u' } };
  test('CA and client certificate from data, files, or neither', () => {
    writeFileSync(join(dir, 'ca.pem'), 'CA FILE');
    assert.deepEqual(tlsOptions(base), {});
    const fromData = tlsOptions({ ...base, cluster: { ...base.cluster, caData: Buffer.from('CA').toString('base64') }, user: { name: 'u', certData: Buffer.from('CERT').toString('base64'), keyData: Buffer.from('KEY').toString('base64') } });
    assert.deepEqual([fromData.ca?.toString(), fromData.cert?.toString(), fromData.key?.toString()], ['CA', 'CERT', 'KEY']);
    assert.equal(tlsOptions({ ...base, cluster: { ...base.cluster, caFile: join(dir, 'ca.pem') } }).ca?.toString(), 'CA FILE');
  });
  test('insecure-skip-tls-verify and tls-server-name', () => {
    assert.deepEqual(tlsOptions({ ...base, cluster: { ...base.cluster, skipTLSVerify: true, tlsServerName: 'kubernetes' } }), { rejectUnauthorized: false, servername: 'kubernetes' });
  });
});

describe('authHeaders', () => {
  const kc = (u: Kubeconfig['user']): Kubeconfig => ({ context: 'c', cluster: { name: 'x', server: 'https://x', skipTLSVerify: false }, user: u });
  test('none for an anonymous user', async () => assert.deepEqual(await authHeaders(kc({ name: 'u' })), {}));
  test('a static token', async () => assert.deepEqual(await authHeaders(kc({ name: 'u', token: 'abc' })), { authorization: 'Bearer abc' }));
  test('basic auth', async () =>
    assert.deepEqual(await authHeaders(kc({ name: 'u', username: 'admin', password: 'pw' })), { authorization: `Basic ${Buffer.from('admin:pw').toString('base64')}` }));
  test('impersonation', async () => assert.deepEqual(await authHeaders(kc({ name: 'u', token: 't', impersonateUser: 'jane' })), { authorization: 'Bearer t', 'impersonate-user': 'jane' }));
  test('a token file (the in-cluster service account), read from the file', async () => {
    writeFileSync(join(dir, 'token'), 'from-file\n');
    const headers = await authHeaders(kc({ name: 'u', authProvider: { name: 'tokenFile', config: { tokenFile: join(dir, 'token') } } }));
    assert.match(headers.authorization ?? '', /^Bearer from-file/);
  });
  test('an exec plugin (client.authentication.k8s.io ExecCredential)', async () => {
    const plugin = join(dir, 'plugin.sh');
    writeFileSync(plugin, `#!/bin/sh\necho '{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","status":{"token":"exec-token"}}'\n`);
    chmodSync(plugin, 0o755);
    const headers = await authHeaders(kc({ name: 'exec-user', exec: { apiVersion: 'client.authentication.k8s.io/v1', command: plugin, interactiveMode: 'Never' } }));
    assert.deepEqual(headers, { authorization: 'Bearer exec-token' });
  });
});
