// Where tentacle/testing looks for the control-plane binaries (the order of hack/tools.sh), and what it
// says when they are missing.
import { describe, expect, test } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { binaryCandidates, findBinary, PACKAGE_ROOT, parseVersions } from '../../../src/testing/control-plane/binaries.ts';

const versions = parseVersions(readFileSync(join(PACKAGE_ROOT, 'hack', 'versions.env'), 'utf8'));

describe('parseVersions', () => {
  test('reads KEY=VALUE lines and skips comments', () => {
    expect(parseVersions('# pinned\nA_VERSION=v1.2.3\n\n  B=x  \nnot a line\n')).toEqual({ A_VERSION: 'v1.2.3', B: 'x' });
  });
  test('hack/versions.env pins the control plane', () => {
    for (const key of ['KUBERNETES_VERSION', 'ETCD_VERSION', 'KWOK_VERSION', 'METRICS_SERVER_VERSION']) {
      expect(versions[key]).toMatch(/^v\d+\.\d+\.\d+$/);
    }
  });
});

describe('binaryCandidates', () => {
  const k8s = versions.KUBERNETES_VERSION!;
  test.each<[string, string, string | undefined, NodeJS.ProcessEnv, string[]]>([
    ['an explicit folder is the only place', 'etcd', '/opt/k8s', { TENTACLE_TOOLS_DIR: '/tools', PATH: '/usr/bin' }, ['/opt/k8s/etcd']],
    ['$TENTACLE_BIN_DIR likewise', 'etcd', undefined, { TENTACLE_BIN_DIR: '/b', PATH: '/usr/bin' }, ['/b/etcd']],
    [
      'tools dir, bin/, the cache at the pinned version, then $PATH',
      'kube-apiserver',
      undefined,
      { TENTACLE_TOOLS_DIR: '/tools', TENTACLE_CACHE: '/cache', PATH: '/usr/local/bin:/usr/bin' },
      ['/tools/kube-apiserver', join(PACKAGE_ROOT, 'bin', 'kube-apiserver'), `/cache/kubernetes-${k8s}/kube-apiserver`, '/usr/local/bin/kube-apiserver', '/usr/bin/kube-apiserver'],
    ],
    [
      'the cache defaults to $XDG_CACHE_HOME/tentacle',
      'kwok',
      undefined,
      { XDG_CACHE_HOME: '/xdg', PATH: '' },
      [join(PACKAGE_ROOT, 'bin', 'kwok'), `/xdg/tentacle/kwok-${versions.KWOK_VERSION}/kwok`],
    ],
    ['an unknown binary has no cache folder', 'crictl', undefined, { PATH: '/usr/bin' }, [join(PACKAGE_ROOT, 'bin', 'crictl'), '/usr/bin/crictl']],
  ])('%s', (_name, binary, binDir, env, expected) => {
    expect(binaryCandidates(binary, binDir, env)).toEqual(expected);
  });
});

describe('findBinary', () => {
  test('a missing binary names the places looked at and the command that provides it', () => {
    expect(() => findBinary('kube-apiserver', '/nonexistent')).toThrow(
      /kube-apiserver not found \(looked at \/nonexistent\/kube-apiserver\)\. Run `bash .*hack\/tools\.sh control-plane` once/,
    );
  });
});
