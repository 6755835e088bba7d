// Registering a local aggregated API server (metrics-server, a test's metrics adapter) with the API server.

/** An API request as the admin user: status and parsed body. */
export type AdminApi = (method: string, path: string, body?: unknown) => Promise<{ status: number; json: any }>;

/** Available condition of an APIService object. */
export function apiServiceAvailable(apiService: any): { ok: boolean; message: string } {
  const cond = (apiService?.status?.conditions ?? []).find((c: any) => c.type === 'Available');
  return {
    ok: cond?.status === 'True',
    message: cond ? `Available=${cond.status} ${cond.reason ?? ''}: ${cond.message ?? ''}` : 'no Available condition yet',
  };
}

/**
 * Registers an aggregated API server listening on 127.0.0.1:`port`: an ExternalName Service (see
 * --enable-aggregator-routing in apiserver.ts) and one APIService per group/version, verified against
 * `caBundle` (without one, not verified: `insecureSkipTLSVerify`, for a test's self-signed server).
 * Replaces objects of the same names; labels them `app.kubernetes.io/managed-by: <managedBy>`.
 */
export async function registerAggregatedApi(
  api: AdminApi,
  opts: {
    service: { namespace: string; name: string };
    port: number;
    apiServices: { group: string; version: string }[];
    caBundle?: Buffer;
    /** Default tentacle-control-plane. */
    managedBy?: string;
  },
): Promise<void> {
  const { namespace, name } = opts.service;
  const labels = { 'app.kubernetes.io/managed-by': opts.managedBy ?? 'tentacle-control-plane' };
  const trust = opts.caBundle ? { caBundle: opts.caBundle.toString('base64') } : { insecureSkipTLSVerify: true };
  const put = async (path: string, collection: string, obj: any) => {
    const res = await api('POST', collection, obj);
    if (res.status === 201) return;
    if (res.status === 409) {
      const current = await api('GET', path);
      obj.metadata.resourceVersion = current.json?.metadata?.resourceVersion;
      const upd = await api('PUT', path, obj);
      if (upd.status === 200) return;
      throw new Error(`updating ${path}: ${upd.status} ${JSON.stringify(upd.json)}`);
    }
    throw new Error(`creating ${path}: ${res.status} ${JSON.stringify(res.json)}`);
  };
  await put(`/api/v1/namespaces/${namespace}/services/${name}`, `/api/v1/namespaces/${namespace}/services`, {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name, namespace, labels },
    spec: { type: 'ExternalName', externalName: '127.0.0.1', ports: [{ name: 'https', port: opts.port }] },
  });
  for (const { group, version } of opts.apiServices) {
    const apiName = `${version}.${group}`;
    await put(`/apis/apiregistration.k8s.io/v1/apiservices/${apiName}`, '/apis/apiregistration.k8s.io/v1/apiservices', {
      apiVersion: 'apiregistration.k8s.io/v1',
      kind: 'APIService',
      metadata: { name: apiName, labels },
      spec: {
        group,
        version,
        service: { namespace, name, port: opts.port },
        ...trust,
        groupPriorityMinimum: 100,
        versionPriority: 100,
      },
    });
  }
}
