// fast-check arbitraries derived from a CRD's OpenAPI v3 schema. `fromSchema` follows the schema
// (types, enums, bounds, required fields) but mixes in what a careless or hostile user sends: huge and
// boundary numbers, empty, 10,000-character and unicode strings, wrong types, deep nesting, missing
// required fields. `valid-looking` objects are a known-good spec with a few fields replaced by such
// values, so many get past admission and reach the controllers.
import fc from 'fast-check';

export interface Schema {
  type?: string;
  properties?: Record<string, Schema>;
  additionalProperties?: Schema | boolean;
  items?: Schema;
  required?: string[];
  enum?: unknown[];
  minimum?: number;
  maximum?: number;
  format?: string;
  'x-kubernetes-int-or-string'?: boolean;
  'x-kubernetes-preserve-unknown-fields'?: boolean;
}

type Json = unknown;

const hostileString = fc.oneof(
  fc.constant(''),
  fc.constant('x'.repeat(10_000)),
  fc.constant('../../etc/passwd'),
  fc.constant('/'),
  fc.constant('💥ünïcödé\u0000\u202e'),
  fc.constant('*/1 * * * *'),
  fc.constant('@every 0s'),
  fc.constant('-1'),
  fc.constant('1e309'),
  fc.constant('NaN'),
  fc.string({ unit: 'grapheme', maxLength: 40 }),
);
const plainString = fc.oneof(fc.stringMatching(/^[a-z][a-z0-9-]{0,15}$/), fc.constantFrom('nginx', 'app', '1', '100m', '1Gi', '50%', '10s', 'true'));

const boundaryInteger = fc.constantFrom(0, 1, -1, 2, 2 ** 31 - 1, 2 ** 31, -(2 ** 31), 2 ** 53 - 1, Number.MAX_SAFE_INTEGER, -(2 ** 53));
const wrongType = fc.oneof(fc.constant(null), fc.constant(true), fc.constant([]), fc.constant({}), fc.constant('not-a-number'), fc.constant(1.5), deep(40));

/** An object nested `depth` levels deep. */
function deep(depth: number): fc.Arbitrary<Json> {
  return fc.constant(Array.from({ length: depth }).reduce<Json>((inner) => ({ a: inner }), 'bottom'));
}

/** Values for `schema`: mostly shaped by it, sometimes hostile (1 in `hostility`). */
export function fromSchema(schema: Schema, hostility = 8, depth = 0): fc.Arbitrary<Json> {
  const shaped = shapedBy(schema, hostility, depth);
  return fc.oneof({ arbitrary: shaped, weight: hostility - 1 }, { arbitrary: wrongType, weight: 1 });
}

function shapedBy(schema: Schema, hostility: number, depth: number): fc.Arbitrary<Json> {
  if (schema.enum) return fc.oneof({ arbitrary: fc.constantFrom(...schema.enum), weight: 4 }, { arbitrary: hostileString, weight: 1 });
  if (schema['x-kubernetes-int-or-string']) return fc.oneof(boundaryInteger, plainString, hostileString);
  switch (schema.type) {
    case 'integer': {
      const min = schema.minimum ?? -(2 ** 31);
      const max = schema.maximum ?? 2 ** 31 - 1;
      return fc.oneof(fc.integer({ min: Math.max(min, -(2 ** 31)), max: Math.min(max, 2 ** 31 - 1) }), boundaryInteger, fc.constantFrom(min - 1, max + 1, min, max));
    }
    case 'number':
      return fc.oneof(fc.double({ noNaN: true, noDefaultInfinity: true }), boundaryInteger, fc.constantFrom(1e308, -1e308, 5e-324));
    case 'boolean':
      return fc.boolean();
    case 'string':
      if (schema.format === 'date-time') return fc.oneof(fc.date({ noInvalidDate: true }).map((d) => d.toISOString()), hostileString);
      return fc.oneof({ arbitrary: plainString, weight: 3 }, { arbitrary: hostileString, weight: 2 });
    case 'array':
      if (depth > 6) return fc.constant([]);
      return fc.oneof(
        { arbitrary: fc.array(fromSchema(schema.items ?? {}, hostility, depth + 1), { maxLength: 3 }), weight: 5 },
        { arbitrary: fc.array(fromSchema(schema.items ?? {}, hostility, depth + 1), { minLength: 40, maxLength: 60 }), weight: 1 },
      );
    case 'object':
    default: {
      const properties = schema.properties ?? {};
      const keys = Object.keys(properties);
      if (!keys.length || depth > 6) {
        // Free-form (preserve-unknown-fields, maps): a few arbitrary keys.
        return fc.dictionary(fc.oneof(plainString, hostileString), fc.oneof(plainString, boundaryInteger, deep(3)), { maxKeys: 3 });
      }
      const record: Record<string, fc.Arbitrary<Json>> = {};
      for (const key of keys) record[key] = fromSchema(properties[key]!, hostility, depth + 1);
      // Required fields are usually present; now and then one is not.
      const required = (schema.required ?? []).filter((k) => k in record);
      return fc.boolean().chain((dropRequired) =>
        fc.record(record, { requiredKeys: dropRequired ? [] : required }),
      );
    }
  }
}

/**
 * `base` with one or two top-level spec fields replaced by values from the schema. Fields with a
 * schema of their own (templates, selectors) are picked less often: a generated pod template is
 * almost never valid, and near-valid objects are meant to pass admission often.
 */
export function nearValid(base: Record<string, Json>, specSchema: Schema): fc.Arbitrary<Record<string, Json>> {
  const properties = specSchema.properties ?? {};
  const field = (key: string) => fromSchema(properties[key]!, 16).map((value) => [key, value] as const);
  const weighted = Object.keys(properties).map((key) => ({ arbitrary: field(key), weight: properties[key]!.properties ? 1 : 6 }));
  return fc.array(fc.oneof(...weighted), { minLength: 1, maxLength: 2 }).map((pairs) => ({ ...base, ...Object.fromEntries(pairs) }));
}

/** Specs for one kind: half near-valid, half generated from the schema alone. */
export function specs(base: Record<string, Json>, specSchema: Schema): fc.Arbitrary<Json> {
  return fc.oneof(nearValid(base, specSchema), fromSchema(specSchema, 6));
}
