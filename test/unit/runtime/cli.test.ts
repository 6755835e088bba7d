import { describe, test } from '@jest/globals';
import assert from 'node:assert/strict';
import { HelpRequested, parseFlags } from '../../../src/cli.ts';
import { parseBindAddress } from '../../../src/runtime/manager/http.ts';

const available = ['job', 'cronjob', 'statefulset'];

describe('operator flags', () => {
  test('defaults match the process contract', () => {
    const f = parseFlags([], available);
    assert.equal(f.metricsBindAddress, ':8080');
    assert.equal(f.healthProbeBindAddress, ':8081');
    assert.equal(f.leaderElect, false);
    assert.equal(f.leaderElectionID, 'tentacle-operator');
    assert.deepEqual(f.controllers, available);
    assert.equal(f.kubeApiQps, 20);
    assert.equal(f.kubeApiBurst, 30);
  });

  const cases: { args: string[]; error: RegExp }[] = [
    { args: ['--controllers=job,bogus'], error: /unknown controller\(s\) bogus; available: job, cronjob, statefulset/ },
    { args: ['--kube-api-qps=fast'], error: /--kube-api-qps must be a non-negative number/ },
    { args: ['--log-level=loud'], error: /--log-level must be one of/ },
    { args: ['--no-such-flag'], error: /Unknown option '--no-such-flag'/ },
  ];
  for (const c of cases) {
    test(`rejects ${c.args.join(' ')}`, () => assert.throws(() => parseFlags(c.args, available), c.error));
  }

  test('selects controllers, deduplicated', () => {
    assert.deepEqual(parseFlags(['--controllers', 'job, job,cronjob', '--leader-elect'], available).controllers, ['job', 'cronjob']);
  });

  test('controller options are passed through, unset when not given', () => {
    const flags = parseFlags(['--prometheus-address', 'http://prom:9090', '--nfs-local-exports', '/tmp/x'], available);
    assert.deepEqual(flags.controllerOptions, {
      prometheusAddress: 'http://prom:9090',
      nfsLocalExports: '/tmp/x',
      nfsAgentImage: undefined,
      nfsProvisioner: undefined,
      nfsExportRoot: undefined,
      nfsAgentServiceAccount: undefined,
      nfsAgentImagePullSecrets: [],
      nfsAgentNodeFlags: [],
      operatorNamespace: undefined,
    });
  });

  test('the agent image pull secrets are a comma-separated list', () => {
    const flags = parseFlags(['--nfs-agent-image-pull-secrets', 'regcred, other,'], available);
    assert.deepEqual(flags.controllerOptions.nfsAgentImagePullSecrets, ['regcred', 'other']);
  });

  test('the agent node flags are a space-separated list', () => {
    const flags = parseFlags(['--nfs-agent-node-flags=--lite-mode  --max-semi-space-size=2'], available);
    assert.deepEqual(flags.controllerOptions.nfsAgentNodeFlags, ['--lite-mode', '--max-semi-space-size=2']);
  });

  test('"all" leaves out nfs-agent, which needs its flags when named', () => {
    const withAgent = [...available, 'nfs-agent'];
    assert.ok(!parseFlags([], withAgent).controllers.includes('nfs-agent'));
    assert.throws(() => parseFlags(['--controllers=nfs-agent'], withAgent), /needs --nfs-provisioner and --nfs-export-root/);
    const flags = parseFlags(['--controllers=nfs-agent', '--nfs-provisioner=x', '--nfs-export-root=/export'], withAgent);
    assert.deepEqual(flags.controllers, ['nfs-agent']);
  });

  test('--help is reported as such', () => assert.throws(() => parseFlags(['--help'], available), HelpRequested));
});

describe('bind addresses', () => {
  const cases: [string, { host: string; port: number } | undefined][] = [
    [':8080', { host: '0.0.0.0', port: 8080 }],
    ['127.0.0.1:0', { host: '127.0.0.1', port: 0 }],
    ['[::1]:9000', { host: '::1', port: 9000 }],
    ['0', undefined],
  ];
  for (const [input, want] of cases) test(input, () => assert.deepEqual(parseBindAddress(input), want));
  test('rejects a bad port', () => assert.throws(() => parseBindAddress(':http'), /invalid bind address/));
});
