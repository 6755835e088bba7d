// Admission of apps.tentacle.dev StatefulSet by the CRD schema alone (OpenAPI + CEL, no operator running):
// the examples are accepted (and so are they as apps/v1), invalid objects are rejected with a readable
// message, the API-level defaults are those of apps/v1, updates are limited like apps/v1 (plus growing claim
// storage), and the scale subresource works.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, test } from '@jest/globals';
import { fileURLToPath } from 'node:url';
import { create, getObject, kubectl, kubectlJson } from '../support/kube.ts';
import { useNamespace } from '../support/namespace-hooks.ts';
import { waitFor } from '../../src/testing/wait.ts';

const REPO = fileURLToPath(new URL('../../', import.meta.url));
const CRD = 'crds/apps.tentacle.dev_statefulsets.yaml';
const EXAMPLES = join(REPO, 'examples', 'apps');
const API_VERSION = 'apps.tentacle.dev/v1alpha1';

// The CRD stays installed afterwards: other test files use it.
beforeAll(async () => {
  await kubectl(['apply', '--server-side', '--force-conflicts', '-f', join(REPO, CRD)]);
  await waitFor(
    async () => {
      const crd = await getObject('/apis/apiextensions.k8s.io/v1/customresourcedefinitions/statefulsets.apps.tentacle.dev');
      return crd?.status?.conditions?.some((c: any) => c.type === 'Established' && c.status === 'True');
    },
    { what: 'CRD statefulsets.apps.tentacle.dev Established' },
  );
  // Established can precede discovery by a moment; wait until kubectl can resolve the kind.
  await waitFor(async () => (await kubectl(['get', 'tsts', '-A', '--ignore-not-found'])) !== undefined, {
    what: 'tsts in discovery',
  });
});

const ns = useNamespace('apps-adm');

type Obj = Record<string, any>;

/** A valid StatefulSet; `spec` is merged over the defaults, `podSpec` over the pod template's spec. */
function sts(name: string, spec: Obj = {}, podSpec: Obj = {}, apiVersion = API_VERSION): Obj {
  return {
    apiVersion,
    kind: 'StatefulSet',
    metadata: { name },
    spec: {
      serviceName: name,
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name } },
        spec: { containers: [{ name: 'main', image: 'busybox' }], ...podSpec },
      },
      ...spec,
    },
  };
}

function claim(name: string, storage: string | number = '1Gi', spec: Obj = {}): Obj {
  return { metadata: { name }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage } }, ...spec } };
}

/** Server-side dry-run apply of one object or a file (text); resolves with kubectl's output. */
function dryRun(input: Obj | { text: string }): Promise<string> {
  return kubectl(['apply', '-n', ns.name, '--dry-run=server', '-f', '-'], 'text' in input ? input.text : JSON.stringify(input));
}

async function assertRejected(promise: Promise<unknown>, fragment: string): Promise<void> {
  await assert.rejects(promise, (err: Error) => {
    assert.ok(err.message.includes(fragment), `expected the error to mention ${JSON.stringify(fragment)}, got: ${err.message}`);
    return true;
  });
}

describe('examples', () => {
  const files = readdirSync(EXAMPLES).filter((f) => f.endsWith('.yaml'));

  test('the examples folder has the classic manifests', () => {
    for (const f of ['nginx-web.yaml', 'mysql.yaml']) assert.ok(files.includes(f), f);
  });

  for (const file of files) {
    test(`examples/apps/${file} is accepted, and so is it as apps/v1`, async () => {
      const text = readFileSync(join(EXAMPLES, file), 'utf8');
      const ours = await dryRun({ text });
      assert.match(ours, /statefulset\.apps\.tentacle\.dev\/\S+ created \(server dry run\)/);
      // Drop-in: the same manifest with the built-in apiVersion is accepted by the built-in API.
      assert.equal(text.match(/^apiVersion: apps\.tentacle\.dev\/v1alpha1$/gm)?.length, 1, 'one StatefulSet per example');
      const builtIn = await dryRun({ text: text.replace(/^apiVersion: apps\.tentacle\.dev\/v1alpha1$/m, 'apiVersion: apps/v1') });
      assert.match(builtIn, /statefulset\.apps\/\S+ created \(server dry run\)/);
    });
  }
});

describe('invalid objects are rejected with a message a person understands', () => {
  const cases: { name: string; obj: Obj; fragment: string }[] = [
    {
      name: 'selector that does not match the template labels',
      obj: sts('mismatch', { selector: { matchLabels: { app: 'other' } } }),
      fragment: "selector does not match the pod template's labels",
    },
    {
      name: 'matchExpressions that do not match the template labels',
      obj: sts('mismatch-expr', {
        selector: { matchLabels: { app: 'mismatch-expr' }, matchExpressions: [{ key: 'tier', operator: 'Exists' }] },
      }),
      fragment: "selector does not match the pod template's labels",
    },
    {
      name: 'empty selector',
      obj: sts('empty-selector', { selector: {} }),
      fragment: 'an empty selector is invalid for a StatefulSet',
    },
    { name: 'no selector', obj: sts('no-selector', { selector: undefined }), fragment: 'spec.selector: Required value' },
    {
      name: 'selector label value that is not a label value',
      obj: sts('bad-label', { selector: { matchLabels: { app: 'a b' } } }),
      fragment: 'spec.selector.matchLabels.app',
    },
    {
      name: 'restartPolicy Never',
      obj: sts('never', {}, { restartPolicy: 'Never' }),
      fragment: 'must have restartPolicy "Always"',
    },
    {
      name: 'activeDeadlineSeconds in the pod template',
      obj: sts('deadline', {}, { activeDeadlineSeconds: 30 }),
      fragment: 'activeDeadlineSeconds is not supported',
    },
    { name: 'no containers', obj: sts('no-containers', {}, { containers: [] }), fragment: 'spec.template.spec.containers' },
    {
      name: 'an unknown podManagementPolicy',
      obj: sts('bad-pmp', { podManagementPolicy: 'Sequential' }),
      fragment: 'spec.podManagementPolicy: Unsupported value: "Sequential"',
    },
    { name: 'negative replicas', obj: sts('neg-replicas', { replicas: -1 }), fragment: 'spec.replicas' },
    { name: 'negative minReadySeconds', obj: sts('neg-ready', { minReadySeconds: -1 }), fragment: 'spec.minReadySeconds' },
    { name: 'negative ordinals.start', obj: sts('neg-start', { ordinals: { start: -1 } }), fragment: 'spec.ordinals.start' },
    {
      name: 'rollingUpdate with type OnDelete',
      obj: sts('ondelete-rolling', { updateStrategy: { type: 'OnDelete', rollingUpdate: { partition: 1 } } }),
      fragment: 'rollingUpdate is only allowed for updateStrategy type RollingUpdate',
    },
    {
      name: 'an unknown updateStrategy type',
      obj: sts('bad-strategy', { updateStrategy: { type: 'Recreate' } }),
      fragment: 'spec.updateStrategy.type: Unsupported value: "Recreate"',
    },
    {
      name: 'negative partition',
      obj: sts('neg-partition', { updateStrategy: { type: 'RollingUpdate', rollingUpdate: { partition: -1 } } }),
      fragment: 'spec.updateStrategy.rollingUpdate.partition',
    },
    {
      name: 'maxUnavailable 0',
      obj: sts('max-unavailable-0', { updateStrategy: { rollingUpdate: { maxUnavailable: 0 } } }),
      fragment: 'maxUnavailable must be a positive number of pods or a percentage from 1% to 100%',
    },
    {
      name: 'maxUnavailable 0%',
      obj: sts('max-unavailable-0pc', { updateStrategy: { rollingUpdate: { maxUnavailable: '0%' } } }),
      fragment: 'maxUnavailable must be a positive number of pods or a percentage from 1% to 100%',
    },
    {
      name: 'maxUnavailable 101%',
      obj: sts('max-unavailable-101', { updateStrategy: { rollingUpdate: { maxUnavailable: '101%' } } }),
      fragment: 'maxUnavailable must be a positive number of pods or a percentage from 1% to 100%',
    },
    {
      name: 'maxUnavailable that is neither a number nor a percentage',
      obj: sts('max-unavailable-word', { updateStrategy: { rollingUpdate: { maxUnavailable: 'one' } } }),
      fragment: 'maxUnavailable must be a positive number of pods or a percentage from 1% to 100%',
    },
    {
      name: 'an unknown persistentVolumeClaimRetentionPolicy',
      obj: sts('bad-retention', { persistentVolumeClaimRetentionPolicy: { whenDeleted: 'Keep' } }),
      fragment: 'spec.persistentVolumeClaimRetentionPolicy.whenDeleted: Unsupported value: "Keep"',
    },
    {
      name: 'duplicate claim template names',
      obj: sts('dup-claims', { volumeClaimTemplates: [claim('data'), claim('data', '2Gi')] }),
      fragment: 'volumeClaimTemplates names must be unique',
    },
    {
      name: 'a claim template without a name',
      obj: sts('nameless-claim', { volumeClaimTemplates: [{ metadata: {}, spec: claim('x').spec }] }),
      fragment: 'spec.volumeClaimTemplates[0].metadata.name: Required value',
    },
    {
      name: 'a claim template name that is not a DNS label',
      obj: sts('bad-claim-name', { volumeClaimTemplates: [claim('Data_1')] }),
      fragment: 'spec.volumeClaimTemplates[0].metadata.name',
    },
    {
      name: 'a claim template without a storage request',
      obj: sts('no-storage', { volumeClaimTemplates: [{ metadata: { name: 'data' }, spec: { resources: { requests: {} } } }] }),
      fragment: 'needs spec.resources.requests.storage',
    },
    {
      name: 'a claim template with a storage request that is not a quantity',
      obj: sts('bad-storage', { volumeClaimTemplates: [claim('data', 'lots')] }),
      fragment: 'spec.volumeClaimTemplates[0].spec.resources.requests.storage',
    },
    {
      name: 'a claim template with zero storage',
      obj: sts('zero-storage', { volumeClaimTemplates: [claim('data', '0')] }),
      fragment: 'storage must be a positive quantity',
    },
    {
      name: 'an unknown access mode',
      obj: sts('bad-access', { volumeClaimTemplates: [claim('data', '1Gi', { accessModes: ['ReadWriteSometimes'] })] }),
      fragment: 'Unsupported value: "ReadWriteSometimes"',
    },
    {
      name: 'a name that is not a DNS label',
      obj: sts('web.v1'),
      fragment: "a StatefulSet's name must be a DNS label",
    },
    {
      name: 'a serviceName that cannot name a Service',
      obj: sts('bad-service', { serviceName: 'My_Service' }),
      fragment: 'serviceName must be the name of a Service',
    },
  ];

  for (const c of cases) {
    test(c.name, async () => {
      await assertRejected(dryRun(c.obj), c.fragment);
    });
  }

  test('valid neighbours of the rejected cases are accepted', async () => {
    const valid = [
      sts('no-service-name', { serviceName: undefined }),
      sts('zero-replicas', { replicas: 0, minReadySeconds: 0, ordinals: { start: 0 } }),
      sts('parallel', { podManagementPolicy: 'Parallel', ordinals: { start: 5 } }),
      sts('ondelete', { updateStrategy: { type: 'OnDelete' } }),
      sts('max-unavailable-2', { updateStrategy: { type: 'RollingUpdate', rollingUpdate: { partition: 2, maxUnavailable: 2 } } }),
      sts('max-unavailable-pc', { updateStrategy: { rollingUpdate: { maxUnavailable: '100%' } } }),
      sts('retention', { persistentVolumeClaimRetentionPolicy: { whenDeleted: 'Delete', whenScaled: 'Delete' } }),
      sts('restart-always', {}, { restartPolicy: 'Always' }),
      sts('expressions', {
        selector: {
          matchLabels: { app: 'expressions' },
          matchExpressions: [
            { key: 'tier', operator: 'In', values: ['db', 'cache'] },
            { key: 'env', operator: 'NotIn', values: ['prod'] },
            { key: 'app', operator: 'Exists' },
            { key: 'canary', operator: 'DoesNotExist' },
          ],
        },
        template: {
          metadata: { labels: { app: 'expressions', tier: 'db', env: 'dev' } },
          spec: { containers: [{ name: 'main', image: 'busybox' }] },
        },
      }),
      sts('claims', {
        volumeClaimTemplates: [
          claim('data', '10Gi', { storageClassName: 'fast', volumeMode: 'Block' }),
          { ...claim('logs', 1073741824), apiVersion: 'v1', kind: 'PersistentVolumeClaim', status: { phase: 'Pending' } },
        ],
      }),
      sts('s'.repeat(63)),
    ];
    for (const obj of valid) await dryRun(obj);
  });
});

describe('defaults', () => {
  test('a minimal StatefulSet gets the same spec defaults as apps/v1', async () => {
    const minimal = (apiVersion: string) => {
      const obj = sts('minimal', { volumeClaimTemplates: [claim('data')] }, {}, apiVersion);
      delete obj.spec.serviceName;
      return obj;
    };
    const get = async (apiVersion: string) =>
      JSON.parse(
        await kubectl(['create', '-n', ns.name, '--dry-run=server', '-o', 'json', '-f', '-'], JSON.stringify(minimal(apiVersion))),
      );
    const [mine, builtIn] = await Promise.all([get(API_VERSION), get('apps/v1')]);
    // The pod template gets the core/v1 Pod defaults only when the pods are created, and apps/v1 shows
    // status.phase Pending in claim templates; everything else must be the same.
    const comparable = (spec: Obj) => ({
      ...spec,
      template: undefined,
      volumeClaimTemplates: spec.volumeClaimTemplates.map(({ status: _status, ...t }: Obj) => t),
    });
    assert.deepEqual(comparable(mine.spec), comparable(builtIn.spec));
    assert.equal(mine.spec.replicas, 1);
    assert.equal(mine.spec.podManagementPolicy, 'OrderedReady');
    assert.deepEqual(mine.spec.updateStrategy, { type: 'RollingUpdate', rollingUpdate: { partition: 0 } });
    assert.equal(mine.spec.revisionHistoryLimit, 10);
    assert.deepEqual(mine.spec.persistentVolumeClaimRetentionPolicy, { whenDeleted: 'Retain', whenScaled: 'Retain' });
    assert.equal(mine.spec.volumeClaimTemplates[0].spec.volumeMode, 'Filesystem');
  });
});

describe('updates', () => {
  const patch = (name: string, p: Obj | Obj[]) =>
    kubectl(['patch', '-n', ns.name, 'tsts', name, `--type=${Array.isArray(p) ? 'json' : 'merge'}`, '-p', JSON.stringify(p)]);

  beforeAll(async () => {
    await create(sts('upd', { replicas: 2, volumeClaimTemplates: [claim('data', '1Gi'), claim('logs', '1Gi')] }), ns.name);
    await create(sts('no-claims'), ns.name);
  });

  test('immutable fields cannot change', async () => {
    await assertRejected(
      patch('upd', {
        spec: { selector: { matchLabels: { app: 'upd', v: '2' } }, template: { metadata: { labels: { app: 'upd', v: '2' } } } },
      }),
      'selector is immutable',
    );
    await assertRejected(patch('upd', { spec: { serviceName: 'other' } }), 'serviceName is immutable');
    await assertRejected(patch('upd', { spec: { podManagementPolicy: 'Parallel' } }), 'podManagementPolicy is immutable');
  });

  test('claim templates cannot be added, removed, renamed or changed', async () => {
    await assertRejected(
      patch('upd', [{ op: 'add', path: '/spec/volumeClaimTemplates/-', value: claim('extra') }]),
      'volumeClaimTemplates cannot be added, removed, renamed or reordered',
    );
    await assertRejected(
      patch('upd', [{ op: 'remove', path: '/spec/volumeClaimTemplates/1' }]),
      'volumeClaimTemplates cannot be added, removed, renamed or reordered',
    );
    await assertRejected(
      patch('upd', [{ op: 'replace', path: '/spec/volumeClaimTemplates/1/metadata/name', value: 'journal' }]),
      'volumeClaimTemplates cannot be added, removed, renamed or reordered',
    );
    await assertRejected(
      patch('upd', [{ op: 'replace', path: '/spec/volumeClaimTemplates/0/spec/accessModes', value: ['ReadWriteMany'] }]),
      'volumeClaimTemplates are immutable, except that spec.resources.requests.storage may grow',
    );
    await assertRejected(
      patch('upd', [{ op: 'add', path: '/spec/volumeClaimTemplates/0/spec/storageClassName', value: 'fast' }]),
      'volumeClaimTemplates are immutable, except that spec.resources.requests.storage may grow',
    );
    await assertRejected(
      patch('upd', [{ op: 'add', path: '/spec/volumeClaimTemplates/0/metadata/labels', value: { a: 'b' } }]),
      'volumeClaimTemplates are immutable, except that spec.resources.requests.storage may grow',
    );
    await assertRejected(
      patch('upd', [{ op: 'add', path: '/spec/volumeClaimTemplates/0/spec/resources/requests/cpu', value: '1' }]),
      'volumeClaimTemplates are immutable, except that spec.resources.requests.storage may grow',
    );
    await assertRejected(
      patch('no-claims', { spec: { volumeClaimTemplates: [claim('data')] } }),
      'volumeClaimTemplates cannot be added or removed',
    );
    await assertRejected(patch('upd', { spec: { volumeClaimTemplates: null } }), 'volumeClaimTemplates cannot be added or removed');
  });

  test('claim storage may grow but never shrink', async () => {
    const storage = async () =>
      (await kubectlJson(['get', '-n', ns.name, 'tsts', 'upd'])).spec.volumeClaimTemplates.map(
        (t: Obj) => t.spec.resources.requests.storage,
      );
    await patch('upd', [{ op: 'replace', path: '/spec/volumeClaimTemplates/0/spec/resources/requests/storage', value: '2Gi' }]);
    assert.deepEqual(await storage(), ['2Gi', '1Gi']);
    // The same size written differently is not a shrink.
    await patch('upd', [{ op: 'replace', path: '/spec/volumeClaimTemplates/0/spec/resources/requests/storage', value: '2048Mi' }]);
    await assertRejected(
      patch('upd', [{ op: 'replace', path: '/spec/volumeClaimTemplates/0/spec/resources/requests/storage', value: '1Gi' }]),
      'the storage request of a volumeClaimTemplate cannot shrink',
    );
    await assertRejected(
      patch('upd', [{ op: 'replace', path: '/spec/volumeClaimTemplates/1/spec/resources/requests/storage', value: '500Mi' }]),
      'the storage request of a volumeClaimTemplate cannot shrink',
    );
    assert.deepEqual(await storage(), ['2048Mi', '1Gi']);
  });

  test('the fields apps/v1 lets change can change', async () => {
    await patch('upd', {
      spec: {
        replicas: 4,
        ordinals: { start: 1 },
        minReadySeconds: 5,
        revisionHistoryLimit: 3,
        persistentVolumeClaimRetentionPolicy: { whenScaled: 'Delete' },
        updateStrategy: { rollingUpdate: { partition: 2, maxUnavailable: '50%' } },
        template: { metadata: { annotations: { note: 'v2' } }, spec: { containers: [{ name: 'main', image: 'busybox:1.37' }] } },
      },
    });
    const got = await kubectlJson(['get', '-n', ns.name, 'tsts', 'upd']);
    assert.equal(got.spec.replicas, 4);
    assert.equal(got.spec.template.spec.containers[0].image, 'busybox:1.37');
    assert.deepEqual(got.spec.updateStrategy, { type: 'RollingUpdate', rollingUpdate: { partition: 2, maxUnavailable: '50%' } });
    await patch('upd', { spec: { updateStrategy: { type: 'OnDelete', rollingUpdate: null } } });
  });
});

describe('scale subresource and kubectl', () => {
  beforeAll(async () => {
    await kubectl(['apply', '-n', ns.name, '-f', join(EXAMPLES, 'nginx-web.yaml')]);
  });

  test('kubectl scale changes spec.replicas through the scale subresource', async () => {
    const out = await kubectl(['scale', '-n', ns.name, 'tsts/web', '--replicas=5']);
    assert.match(out, /statefulset\.apps\.tentacle\.dev\/web scaled/);
    const got = await kubectlJson(['get', '-n', ns.name, 'tsts', 'web']);
    assert.equal(got.spec.replicas, 5);
    const scale = await getObject(`/apis/apps.tentacle.dev/v1alpha1/namespaces/${ns.name}/statefulsets/web/scale`);
    assert.equal(scale.kind, 'Scale');
    assert.equal(scale.spec.replicas, 5);
    await assertRejected(kubectl(['scale', '-n', ns.name, 'tsts/web', '--replicas=-1']), 'replicas');
  });

  test('printer columns, and kubectl get tentacle lists it', async () => {
    const table = await kubectl(['get', '-n', ns.name, 'tsts', 'web']);
    assert.match(table.split('\n')[0] ?? '', /^NAME\s+READY\s+REPLICAS\s+AGE$/);
    // READY stays empty until a controller writes status.readyReplicas (none runs here).
    assert.match(table.split('\n')[1] ?? '', /^web\s+5\s+\S+$/);
    const wide = await kubectl(['get', '-n', ns.name, 'tsts', 'web', '-o', 'wide']);
    assert.match(wide.split('\n')[0] ?? '', /^NAME\s+READY\s+REPLICAS\s+AGE\s+CONTAINERS\s+IMAGES\s+CURRENT\s+UPDATE$/);
    assert.match(wide, /nginx\s+registry\.k8s\.io\/nginx-slim:0\.24/);
    const all = await kubectl(['get', 'tentacle', '-n', ns.name, '-o', 'name']);
    assert.match(all, /^statefulset\.apps\.tentacle\.dev\/web$/m);
  });
});
