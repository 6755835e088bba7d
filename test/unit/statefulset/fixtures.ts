// Shared fixtures of the StatefulSet table tests.
import { API_VERSION } from '../../../src/api/apps/types.ts';
import type { StatefulSet, StatefulSetSpec } from '../../../src/api/apps/types.ts';

/** Upstream's newStatefulSet(replicas): set foo, one claim template datadir, a hostPath volume home. */
export function makeSet(replicas: number, spec: Partial<StatefulSetSpec> = {}, name = 'foo'): StatefulSet {
  return {
    apiVersion: API_VERSION,
    kind: 'StatefulSet',
    metadata: { name, namespace: 'default', uid: 'test', generation: 1 },
    spec: {
      replicas,
      selector: { matchLabels: { foo: 'bar' } },
      serviceName: 'governingsvc',
      template: {
        metadata: { labels: { foo: 'bar' } },
        spec: {
          containers: [
            {
              name: 'nginx',
              image: 'nginx',
              volumeMounts: [
                { name: 'datadir', mountPath: '/tmp/zookeeper' },
                { name: 'home', mountPath: '/home' },
              ],
            },
          ],
          volumes: [{ name: 'home', hostPath: { path: '/tmp/home' } }],
        },
      },
      volumeClaimTemplates: [{ metadata: { name: 'datadir' }, spec: { resources: { requests: { storage: '1' } } } }],
      updateStrategy: { type: 'RollingUpdate' },
      revisionHistoryLimit: 2,
      ...spec,
    },
  };
}
