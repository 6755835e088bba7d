import { isDeepStrictEqual } from 'node:util';

/**
 * Equal as the API server would store them: fields set to undefined are absent. Lets a reconciler skip
 * a status write that would change nothing.
 */
export function semanticallyEqual(a: unknown, b: unknown): boolean {
  return isDeepStrictEqual(normalize(a), normalize(b));
}

function normalize(value: unknown): unknown {
  return value === undefined ? undefined : JSON.parse(JSON.stringify(value));
}
