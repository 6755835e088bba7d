// Admission of autoscaling.tentacle.dev HorizontalPodAutoscaler by the CRD schema alone (OpenAPI + CEL,
// no operator running): the examples are accepted (and the classic one as autoscaling/v2 too), the API
// defaults are those of autoscaling/v2, and invalid objects are rejected with a readable message, as
// pkg/apis/autoscaling/validation rejects them.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, test } from '@jest/globals';
import { fileURLToPath } from 'node:url';
import { kubectl, kubectlJson } from '../support/kube.ts';
import { useNamespace } from '../support/namespace-hooks.ts';
import { waitFor } from '../../src/testing/wait.ts';

const REPO = fileURLToPath(new URL('../../', import.meta.url));
const CRD = join(REPO, 'crds/autoscaling.tentacle.dev_horizontalpodautoscalers.yaml');
const EXAMPLES = join(REPO, 'examples', 'autoscaling');
const API_VERSION = 'autoscaling.tentacle.dev/v1alpha1';

beforeAll(async () => {
  await kubectl(['apply', '--server-side', '--force-conflicts', '-f', CRD]);
  await waitFor(async () => (await kubectl(['get', 'thpa', '-A', '--ignore-not-found'])) !== undefined, { what: 'thpa in discovery' });
});

const ns = useNamespace('hpa-adm');

type Obj = Record<string, any>;

function hpa(name: string, spec: Obj = {}, apiVersion = API_VERSION): Obj {
  return {
    apiVersion,
    kind: 'HorizontalPodAutoscaler',
    metadata: { name },
    spec: { scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web' }, maxReplicas: 5, ...spec },
  };
}

const resource = (target: Obj): Obj => ({ type: 'Resource', resource: { name: 'cpu', target } });
const external = (target: Obj): Obj => ({ type: 'External', external: { metric: { name: 'queue' }, target } });
const prometheus = (target: Obj, extra: Obj = {}): Obj => ({ type: 'Prometheus', prometheus: { query: 'sum(up)', target, ...extra } });

function dryRun(input: Obj | { text: string }): Promise<string> {
  return kubectl(['apply', '-n', ns.name, '--dry-run=server', '-f', '-'], 'text' in input ? input.text : JSON.stringify(input));
}

describe('examples', () => {
  const files = readdirSync(EXAMPLES).filter((f) => f.endsWith('.yaml'));
  test('the examples folder has the classic walkthrough', () => assert.ok(files.includes('php-apache.yaml')));
  for (const file of files) {
    test(`examples/autoscaling/${file} is accepted`, async () => {
      const out = await dryRun({ text: readFileSync(join(EXAMPLES, file), 'utf8') });
      assert.match(out, /horizontalpodautoscaler\.autoscaling\.tentacle\.dev\/\S+ created \(server dry run\)/);
    });
  }
  test('the classic example is accepted as autoscaling/v2 with only apiVersion changed', async () => {
    const text = readFileSync(join(EXAMPLES, 'php-apache.yaml'), 'utf8');
    assert.equal(text.match(/^apiVersion: autoscaling\.tentacle\.dev\/v1alpha1$/gm)?.length, 1);
    const out = await dryRun({ text: text.replace(/^apiVersion: autoscaling\.tentacle\.dev\/v1alpha1$/m, 'apiVersion: autoscaling/v2') });
    assert.match(out, /horizontalpodautoscaler\.autoscaling\/php-apache created \(server dry run\)/);
  });
});

describe('defaults as autoscaling/v2', () => {
  test('minReplicas 1 and a CPU metric at 80 %', async () => {
    await kubectl(['apply', '-n', ns.name, '-f', '-'], JSON.stringify(hpa('defaults')));
    const got = await kubectlJson(['get', '-n', ns.name, 'thpa', 'defaults', '-o', 'json']);
    assert.equal(got.spec.minReplicas, 1);
    assert.deepEqual(got.spec.metrics, [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 80 } } }]);
  });
});

describe('accepted beyond autoscaling/v2', () => {
  const cases: [string, Obj][] = [
    ['scale to zero with an External metric', hpa('zero-ext', { minReplicas: 0, metrics: [external({ type: 'Value', value: '10' })] })],
    ['scale to zero with a Prometheus metric and activation', hpa('zero-prom', { minReplicas: 0, metrics: [prometheus({ type: 'AverageValue', averageValue: '30', activationValue: '5' })] })],
    ['a Prometheus server address', hpa('prom-addr', { metrics: [prometheus({ type: 'Value', value: 1 }, { serverAddress: 'https://prom.example:9090/prefix' })] })],
    ['dry run with behavior', hpa('dry', { dryRun: true, behavior: { scaleDown: { selectPolicy: 'Disabled', policies: [{ type: 'Pods', value: 1, periodSeconds: 60 }] } } })],
    ['a tolerance per direction', hpa('tol', { behavior: { scaleUp: { tolerance: '0.05', policies: [{ type: 'Percent', value: 100, periodSeconds: 15 }] } } })],
  ];
  for (const [name, obj] of cases) test(name, async () => assert.match(await dryRun(obj), /created \(server dry run\)/));
});

describe('invalid objects are rejected with a message a person understands', () => {
  const cases: { name: string; obj: Obj; fragment: string }[] = [
    { name: 'no maxReplicas', obj: hpa('no-max', { maxReplicas: undefined }), fragment: 'spec.maxReplicas: Required value' },
    { name: 'maxReplicas 0', obj: hpa('max-zero', { maxReplicas: 0 }), fragment: 'spec.maxReplicas' },
    { name: 'maxReplicas below minReplicas', obj: hpa('max-min', { minReplicas: 6 }), fragment: 'maxReplicas must be greater than or equal to minReplicas' },
    { name: 'minReplicas 0 with only pod metrics', obj: hpa('zero-cpu', { minReplicas: 0 }), fragment: 'minReplicas 0 (scale to zero) needs at least one Object, External or Prometheus metric' },
    { name: 'no scaleTargetRef', obj: hpa('no-ref', { scaleTargetRef: undefined }), fragment: 'spec.scaleTargetRef: Required value' },
    { name: 'a name with a slash', obj: hpa('slash', { scaleTargetRef: { kind: 'Deployment', name: 'a/b' } }), fragment: "name may not contain '/' or '%'" },
    { name: 'a bad apiVersion', obj: hpa('bad-api', { scaleTargetRef: { apiVersion: 'apps/v1/x', kind: 'Deployment', name: 'web' } }), fragment: 'spec.scaleTargetRef.apiVersion' },
    { name: 'an unknown metric type', obj: hpa('bad-type', { metrics: [{ type: 'Cpu' }] }), fragment: 'spec.metrics[0].type: Unsupported value: "Cpu"' },
    { name: 'type without its source', obj: hpa('no-source', { metrics: [{ type: 'Pods' }] }), fragment: 'type Pods needs pods' },
    {
      name: 'two sources in one metric',
      obj: hpa('two', { metrics: [{ ...resource({ type: 'Utilization', averageUtilization: 50 }), external: external({ type: 'Value', value: '1' }).external }] }),
      fragment: 'set exactly one metric source',
    },
    { name: 'Utilization without averageUtilization', obj: hpa('no-util', { metrics: [resource({ type: 'Utilization' })] }), fragment: 'a target of type Utilization needs averageUtilization' },
    { name: 'averageUtilization 0', obj: hpa('util-zero', { metrics: [resource({ type: 'Utilization', averageUtilization: 0 })] }), fragment: 'averageUtilization' },
    { name: 'Value for a Resource metric', obj: hpa('res-value', { metrics: [resource({ type: 'Value', value: '1' })] }), fragment: 'Value is not supported for Resource metrics' },
    { name: 'a negative target value', obj: hpa('neg', { metrics: [external({ type: 'Value', value: '-1' })] }), fragment: 'must be positive' },
    { name: 'a zero average value', obj: hpa('zero-avg', { metrics: [external({ type: 'AverageValue', averageValue: '0' })] }), fragment: 'must be positive' },
    { name: 'not a quantity', obj: hpa('nq', { metrics: [external({ type: 'Value', value: 'ten' })] }), fragment: 'spec.metrics[0].external.target.value' },
    { name: 'AverageValue without averageValue', obj: hpa('no-avg', { metrics: [external({ type: 'AverageValue', value: '3' })] }), fragment: 'a target of type AverageValue needs averageValue' },
    { name: 'a Prometheus query that is empty', obj: hpa('empty-q', { metrics: [{ type: 'Prometheus', prometheus: { query: '', target: { type: 'Value', value: '1' } } }] }), fragment: 'spec.metrics[0].prometheus.query' },
    { name: 'a Prometheus address that is not a URL', obj: hpa('bad-url', { metrics: [prometheus({ type: 'Value', value: '1' }, { serverAddress: 'prom:9090' })] }), fragment: 'spec.metrics[0].prometheus.serverAddress' },
    { name: 'Utilization for a Prometheus metric', obj: hpa('prom-util', { metrics: [prometheus({ type: 'Utilization' })] }), fragment: 'Unsupported value: "Utilization"' },
    {
      name: 'a stabilization window over an hour',
      obj: hpa('window', { behavior: { scaleDown: { stabilizationWindowSeconds: 3601, policies: [{ type: 'Pods', value: 1, periodSeconds: 15 }] } } }),
      fragment: 'stabilizationWindowSeconds',
    },
    { name: 'rules without policies', obj: hpa('no-pol', { behavior: { scaleUp: { policies: [] } } }), fragment: 'spec.behavior.scaleUp.policies' },
    {
      name: 'a policy period over 30 minutes',
      obj: hpa('period', { behavior: { scaleUp: { policies: [{ type: 'Pods', value: 1, periodSeconds: 1801 }] } } }),
      fragment: 'periodSeconds',
    },
    {
      name: 'an unknown selectPolicy',
      obj: hpa('select', { behavior: { scaleUp: { selectPolicy: 'Average', policies: [{ type: 'Pods', value: 1, periodSeconds: 15 }] } } }),
      fragment: 'Unsupported value: "Average"',
    },
    {
      name: 'a negative tolerance',
      obj: hpa('neg-tol', { behavior: { scaleDown: { tolerance: '-0.1', policies: [{ type: 'Pods', value: 1, periodSeconds: 15 }] } } }),
      fragment: 'tolerance must not be negative',
    },
  ];
  for (const c of cases) {
    test(c.name, async () => {
      await assert.rejects(dryRun(c.obj), (err: Error) => {
        assert.ok(err.message.includes(c.fragment), `expected ${JSON.stringify(c.fragment)} in: ${err.message}`);
        return true;
      });
    });
  }
});
