// Values derived from cached objects, computed once per object version. The cache hands out the very
// object it stores until a watch event replaces it with the next version, so keying by identity is
// keying by version; the keys are weak, so an entry goes when its version leaves the cache. A
// controller that re-reads the same objects on every sync (an HPA its pods every 15 s) parses their
// timestamps and quantities once instead of on every sync.
//
// Contract: the objects are not mutated (no cached object may be), and `derive` is a pure function of
// the object (and key).

/** `derive(obj)`, remembered per object. */
export function perVersion<O extends object, V>(derive: (obj: O) => V): (obj: O) => V {
  const values = new WeakMap<O, V>();
  return (obj) => {
    if (values.has(obj)) return values.get(obj) as V;
    const value = derive(obj);
    values.set(obj, value);
    return value;
  };
}

/** `derive(obj, key)`, remembered per object and key (e.g. one per container and resource). */
export function perVersionKeyed<O extends object, V>(derive: (obj: O, key: string) => V): (obj: O, key: string) => V {
  const values = new WeakMap<O, Map<string, V>>();
  return (obj, key) => {
    let byKey = values.get(obj);
    if (!byKey) values.set(obj, (byKey = new Map()));
    if (byKey.has(key)) return byKey.get(key) as V;
    const value = derive(obj, key);
    byKey.set(key, value);
    return value;
  };
}
