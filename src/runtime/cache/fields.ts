// Cache projections: which fields of a kind the controllers read, so that the cache keeps only those.
// A pod as the API server sends it carries its service-account volume and mounts, tolerations, IPs and
// more that no controller here reads; at 10,000 cached pods that is tens of MiB. Each watch of a kind
// declares the fields it reads, the cache keeps their union, and a watch that declares nothing keeps the
// whole object. apiVersion, kind and metadata are always kept whole: the runtime itself reads metadata
// (keys, owners, labels, finalizers, resourceVersion).
//
// A projected object is for reading. Writing one back whole (an update) would send the missing fields
// as removed: controllers of projected kinds write with patches that name only what they change.

/**
 * The fields read, by name: `true` keeps the field whole; a nested set keeps those fields of an object
 * value, or of each element of an array value.
 */
export interface FieldSet {
  readonly [field: string]: true | FieldSet;
}

/** What a cache keeps of a kind: the whole object, or the union of the declared fields. */
export type Projection = 'whole' | FieldSet;

const ALWAYS_KEPT = ['apiVersion', 'kind', 'metadata'];

/** The union of two projections: every field either keeps. */
export function unionOf(a: Projection, b: Projection): Projection {
  if (a === 'whole' || b === 'whole') return 'whole';
  return unionFields(a, b);
}

function unionFields(a: FieldSet, b: FieldSet): FieldSet {
  const result: Record<string, true | FieldSet> = { ...a };
  for (const [name, wanted] of Object.entries(b)) {
    const had = result[name];
    result[name] = had === undefined ? wanted : had === true || wanted === true ? true : unionFields(had, wanted);
  }
  return result;
}

/** True when everything `b` keeps, `a` keeps too. */
export function covers(a: Projection, b: Projection): boolean {
  if (a === 'whole') return true;
  if (b === 'whole') return false;
  return Object.entries(b).every(([name, wanted]) => {
    const had = a[name];
    return had === true || (had !== undefined && wanted !== true && covers(had, wanted));
  });
}

/**
 * A new object with the always-kept fields and the declared ones. Fields are copied into fresh objects
 * in one go (deleting properties would leave V8's slower and larger dictionary-mode objects behind).
 */
export function project<T extends object>(obj: T, projection: Projection): T {
  if (projection === 'whole') return obj;
  const source = obj as Record<string, unknown>;
  const result: Record<string, unknown> = {};
  for (const name of ALWAYS_KEPT) if (source[name] !== undefined) result[name] = source[name];
  copyFields(source, projection, result);
  return result as T;
}

function copyFields(source: Record<string, unknown>, fields: FieldSet, into: Record<string, unknown>): void {
  for (const [name, wanted] of Object.entries(fields)) {
    const value = source[name];
    if (value === undefined) continue;
    into[name] = wanted === true ? value : projectValue(value, wanted);
  }
}

function projectValue(value: unknown, fields: FieldSet): unknown {
  if (Array.isArray(value)) return value.map((element) => projectValue(element, fields));
  if (value === null || typeof value !== 'object') return value;
  const result: Record<string, unknown> = {};
  copyFields(value as Record<string, unknown>, fields, result);
  return result;
}
