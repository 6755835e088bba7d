// The reflector's store: objects by key ("namespace/name"), with indexes kept up to date on every
// change so lookups by namespace, owner or any custom function cost one map access. A list by label
// selector looks up its first matchLabels pair in an index of that label key, made on first use: an
// HPA's selector among 10,000 pods of one namespace visits its own 100, not all of them.
import { objectKey, type KubeObject, type LabelSelector, type ReadonlyDeep } from '../types.ts';
import { selectorMatcher } from '../util/selectors.ts';

/** Returns the index values of an object (an object may sit under several values, or none). */
export type IndexFunc<T> = (obj: T) => string[];

export const NAMESPACE_INDEX = 'namespace';
export const OWNER_UID_INDEX = 'owner-uid';
/** Name of the index of label `key` (values are the label's values), made by list() on first use. */
export const labelIndexName = (key: string) => `label:${key}`;

export const namespaceIndex: IndexFunc<KubeObject> = (obj) => [obj.metadata.namespace ?? ''];
export const ownerUidIndex: IndexFunc<KubeObject> = (obj) => (obj.metadata.ownerReferences ?? []).map((o) => o.uid);

export class Store<T extends KubeObject> {
  private readonly items = new Map<string, T>();
  private readonly indexers = new Map<string, IndexFunc<T>>();
  private readonly indices = new Map<string, Map<string, Set<string>>>();

  constructor() {
    this.addIndexer(NAMESPACE_INDEX, namespaceIndex);
    this.addIndexer(OWNER_UID_INDEX, ownerUidIndex);
  }

  /** Adds an index; existing items are indexed at once. A name can be registered once. */
  addIndexer(name: string, fn: IndexFunc<T>): void {
    if (this.indexers.has(name)) throw new Error(`index ${name} already exists`);
    this.indexers.set(name, fn);
    const index = new Map<string, Set<string>>();
    this.indices.set(name, index);
    for (const [key, obj] of this.items) addTo(index, fn(obj), key);
  }

  hasIndexer(name: string): boolean {
    return this.indexers.has(name);
  }

  get size(): number {
    return this.items.size;
  }

  get(key: string): T | undefined {
    return this.items.get(key);
  }

  getByName(namespace: string, name: string): T | undefined {
    return this.items.get(namespace ? `${namespace}/${name}` : name);
  }

  keys(): IterableIterator<string> {
    return this.items.keys();
  }

  values(): IterableIterator<T> {
    return this.items.values();
  }

  /** Objects of one namespace (or all, when namespace is undefined) that match the selector. */
  list(options: { namespace?: string; selector?: ReadonlyDeep<LabelSelector> } = {}): T[] {
    const { namespace, selector } = options;
    if (!selector) return namespace === undefined ? [...this.items.values()] : this.byIndex(NAMESPACE_INDEX, namespace);
    const matches = selectorMatcher(selector);
    const inNamespace = (o: T) => namespace === undefined || (o.metadata.namespace ?? '') === namespace;
    const [first] = Object.entries(selector.matchLabels ?? {});
    if (first) {
      const [key, value] = first;
      const index = labelIndexName(key);
      if (!this.indexers.has(index)) this.addIndexer(index, labelValueOf(key));
      return this.byIndex(index, value).filter((o) => inNamespace(o) && matches(o.metadata.labels));
    }
    const candidates = namespace === undefined ? [...this.items.values()] : this.byIndex(NAMESPACE_INDEX, namespace);
    return candidates.filter((o) => matches(o.metadata.labels));
  }

  byIndex(indexName: string, value: string): T[] {
    const index = this.indices.get(indexName);
    if (!index) throw new Error(`no index ${indexName}`);
    const keys = index.get(value);
    if (!keys) return [];
    const result: T[] = [];
    for (const key of keys) {
      const obj = this.items.get(key);
      if (obj) result.push(obj);
    }
    return result;
  }

  /** Inserts or replaces; returns the previous object. */
  set(obj: T): T | undefined {
    const key = objectKey(obj);
    const old = this.items.get(key);
    if (old) this.unindex(key, old);
    this.items.set(key, obj);
    for (const [name, fn] of this.indexers) addTo(this.indices.get(name)!, fn(obj), key);
    return old;
  }

  /** Removes; returns the removed object. */
  delete(key: string): T | undefined {
    const old = this.items.get(key);
    if (!old) return undefined;
    this.unindex(key, old);
    this.items.delete(key);
    return old;
  }

  private unindex(key: string, obj: T): void {
    for (const [name, fn] of this.indexers) {
      const index = this.indices.get(name)!;
      for (const value of fn(obj)) {
        const keys = index.get(value);
        keys?.delete(key);
        if (keys?.size === 0) index.delete(value);
      }
    }
  }
}

function labelValueOf(key: string): IndexFunc<KubeObject> {
  return (obj) => {
    const value = obj.metadata.labels?.[key];
    return value === undefined ? [] : [value];
  };
}

function addTo(index: Map<string, Set<string>>, values: string[], key: string): void {
  for (const value of values) {
    let keys = index.get(value);
    if (!keys) index.set(value, (keys = new Set()));
    keys.add(key);
  }
}
