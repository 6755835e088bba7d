// Kind → resource mapping through API discovery, cached per group-version. A miss triggers one fresh
// discovery (a CRD may have been installed since), so new kinds work without a restart.
import { apiVersionOf, type GroupVersionKind } from '../types.ts';
import type { RestClient } from './rest.ts';

export interface ResourceInfo {
  gvk: GroupVersionKind;
  /** Plural resource name, e.g. `pods`. */
  resource: string;
  namespaced: boolean;
}

interface APIResourceList {
  resources: { name: string; kind: string; namespaced: boolean }[];
}

export class RestMapper {
  private readonly rest: RestClient;
  private readonly byGroupVersion = new Map<string, Promise<Map<string, ResourceInfo>>>();

  constructor(rest: RestClient) {
    this.rest = rest;
  }

  async resourceFor(gvk: GroupVersionKind): Promise<ResourceInfo> {
    const gv = apiVersionOf(gvk);
    let info = (await this.discover(gv, false)).get(gvk.kind);
    if (!info) info = (await this.discover(gv, true)).get(gvk.kind);
    if (!info) throw new Error(`the server has no resource for kind ${gvk.kind} in ${gv}`);
    return info;
  }

  /** Forgets what discovery said, e.g. after installing CRDs. */
  reset(): void {
    this.byGroupVersion.clear();
  }

  private discover(gv: string, refresh: boolean): Promise<Map<string, ResourceInfo>> {
    let found = this.byGroupVersion.get(gv);
    if (!found || refresh) {
      found = this.fetch(gv);
      this.byGroupVersion.set(gv, found);
      // A failed discovery must not be cached.
      found.catch(() => this.byGroupVersion.delete(gv));
    }
    return found;
  }

  private async fetch(gv: string): Promise<Map<string, ResourceInfo>> {
    const path = gv.includes('/') ? `/apis/${gv}` : `/api/${gv}`;
    const list = await this.rest.json<APIResourceList>({ method: 'GET', path });
    const slash = gv.indexOf('/');
    const group = slash < 0 ? '' : gv.slice(0, slash);
    const version = slash < 0 ? gv : gv.slice(slash + 1);
    const result = new Map<string, ResourceInfo>();
    for (const r of list.resources) {
      if (r.name.includes('/')) continue; // subresources
      result.set(r.kind, { gvk: { group, version, kind: r.kind }, resource: r.name, namespaced: r.namespaced });
    }
    return result;
  }
}

/** The REST path of a collection (no name) or an object, optionally a subresource of it. */
export function resourcePath(info: ResourceInfo, namespace?: string, name?: string, subresource?: string): string {
  const { group, version } = info.gvk;
  let path = group ? `/apis/${group}/${version}` : `/api/${version}`;
  if (info.namespaced && namespace) path += `/namespaces/${encodeURIComponent(namespace)}`;
  path += `/${info.resource}`;
  if (name) path += `/${encodeURIComponent(name)}`;
  if (subresource) path += `/${subresource}`;
  return path;
}
