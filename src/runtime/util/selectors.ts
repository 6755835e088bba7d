// metav1.LabelSelector semantics, as metav1.LabelSelectorAsSelector and labels.Selector give them:
// - a nil (undefined/null) selector matches nothing;
// - an empty selector ({} or empty matchLabels/matchExpressions) matches everything;
// - all of matchLabels and matchExpressions must hold (AND).

import type { LabelSelector, LabelSelectorRequirement, ReadonlyDeep } from '../types.ts';

const operators: ReadonlySet<string> = new Set(['In', 'NotIn', 'Exists', 'DoesNotExist']);

const qualifiedNamePart = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const dns1123Subdomain = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/**
 * Whether `labels` satisfy `selector`. Nil selector: false; empty selector: true. An invalid selector
 * (see validateSelector) matches nothing, as upstream callers treat its conversion error.
 * In: the label exists and its value is listed. NotIn: the label is absent or its value is not
 * listed. Exists / DoesNotExist: presence of the key, whatever its value.
 */
export function matchesSelector(
  selector: ReadonlyDeep<LabelSelector> | undefined | null,
  labels: Readonly<Record<string, string>> | undefined | null,
): boolean {
  return selectorMatcher(selector)(labels);
}

/**
 * matchesSelector for one selector and many label sets: the selector is validated once, here, rather
 * than for every object (a list of 10,000 pods against an HPA's selector).
 */
export function selectorMatcher(
  selector: ReadonlyDeep<LabelSelector> | undefined | null,
): (labels: Readonly<Record<string, string>> | undefined | null) => boolean {
  if (!selector || validateSelector(selector) !== undefined) return () => false;
  const matchLabels = Object.entries(selector.matchLabels ?? {});
  const expressions = selector.matchExpressions ?? [];
  return (labels) => {
    const ls = labels ?? {};
    const has = (key: string) => Object.hasOwn(ls, key);
    for (const [key, value] of matchLabels) {
      if (!has(key) || ls[key] !== value) return false;
    }
    for (const req of expressions) {
      const values = req.values ?? [];
      switch (req.operator) {
        case 'In':
          if (!has(req.key) || !values.includes(ls[req.key] as string)) return false;
          break;
        case 'NotIn':
          if (has(req.key) && values.includes(ls[req.key] as string)) return false;
          break;
        case 'Exists':
          if (!has(req.key)) return false;
          break;
        case 'DoesNotExist':
          if (has(req.key)) return false;
          break;
      }
    }
    return true;
  };
}

/**
 * The selector in labels.Selector String() form, as the API's `labelSelector=` query parameter takes
 * it (not URL-encoded): `a=b,c in (x,y),c2 notin (z),d,!e`. Requirements are sorted by key (then by
 * text), In/NotIn values are sorted and de-duplicated, so the output is deterministic. An empty
 * selector gives '' (everything). A nil selector (nothing) has no query form, so it is not accepted:
 * callers must handle it (usually by not listing at all). Throws on an invalid selector.
 */
export function selectorToString(selector: ReadonlyDeep<LabelSelector>): string {
  const error = validateSelector(selector);
  if (error !== undefined) throw new Error(`invalid label selector: ${error}`);
  const parts: { key: string; text: string }[] = [];
  for (const [key, value] of Object.entries(selector.matchLabels ?? {})) {
    parts.push({ key, text: `${key}=${value}` });
  }
  for (const req of selector.matchExpressions ?? []) {
    parts.push({ key: req.key, text: requirementString(req) });
  }
  parts.sort((a, b) => compare(a.key, b.key) || compare(a.text, b.text));
  return parts.map((p) => p.text).join(',');
}

function requirementString(req: ReadonlyDeep<LabelSelectorRequirement>): string {
  const values = () => [...new Set(req.values ?? [])].sort(compare).join(',');
  switch (req.operator) {
    case 'In':
      return `${req.key} in (${values()})`;
    case 'NotIn':
      return `${req.key} notin (${values()})`;
    case 'Exists':
      return req.key;
    case 'DoesNotExist':
      return `!${req.key}`;
  }
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * undefined when the selector is valid (a nil selector is valid: it matches nothing), else the
 * first problem found, as metav1.LabelSelectorAsSelector would reject it: an unknown operator;
 * In/NotIn without values; Exists/DoesNotExist with values; a key that is not a qualified name
 * (`[prefix/]name`, name ≤ 63 chars of [-A-Za-z0-9_.] starting and ending alphanumeric, prefix a
 * DNS subdomain ≤ 253); a value (in matchLabels or In/NotIn) that is not a valid label value.
 */
export function validateSelector(selector: ReadonlyDeep<LabelSelector> | undefined | null): string | undefined {
  if (!selector) return undefined;
  for (const [key, value] of Object.entries(selector.matchLabels ?? {})) {
    const error = validateLabelKey(key) ?? validateLabelValue(key, value);
    if (error !== undefined) return `matchLabels: ${error}`;
  }
  const expressions = selector.matchExpressions ?? [];
  for (const [i, req] of expressions.entries()) {
    const where = `matchExpressions[${i}]`;
    const keyError = validateLabelKey(req.key);
    if (keyError !== undefined) return `${where}: ${keyError}`;
    const op = req.operator as string;
    if (!operators.has(op)) return `${where}: ${JSON.stringify(op)} is not a valid label selector operator`;
    const values = req.values ?? [];
    if ((op === 'In' || op === 'NotIn') && values.length === 0) {
      return `${where}: for 'In', 'NotIn' operators, values set can't be empty`;
    }
    if ((op === 'Exists' || op === 'DoesNotExist') && values.length > 0) {
      return `${where}: values set must be empty for 'Exists' and 'DoesNotExist' operators`;
    }
    for (const value of values) {
      const error = validateLabelValue(req.key, value);
      if (error !== undefined) return `${where}: ${error}`;
    }
  }
  return undefined;
}

/** undefined if `key` is a valid label key (a qualified name), else why not. */
export function validateLabelKey(key: string): string | undefined {
  if (typeof key !== 'string') return `label key must be a string`;
  const parts = key.split('/');
  let name = key;
  if (parts.length > 2) return `invalid label key ${JSON.stringify(key)}: at most one '/' is allowed`;
  if (parts.length === 2) {
    const prefix = parts[0] as string;
    name = parts[1] as string;
    if (prefix.length === 0) return `invalid label key ${JSON.stringify(key)}: prefix part must be non-empty`;
    if (prefix.length > 253 || !dns1123Subdomain.test(prefix)) {
      return `invalid label key ${JSON.stringify(key)}: prefix part must be a lowercase DNS subdomain of at most 253 characters`;
    }
  }
  if (name.length === 0) return `invalid label key ${JSON.stringify(key)}: name part must be non-empty`;
  if (name.length > 63 || !qualifiedNamePart.test(name)) {
    return `invalid label key ${JSON.stringify(key)}: name part must be at most 63 characters of alphanumerics, '-', '_' or '.', starting and ending with an alphanumeric`;
  }
  return undefined;
}

/** undefined if `value` is a valid label value ('' is valid), else why not. */
export function validateLabelValue(key: string, value: string): string | undefined {
  if (typeof value !== 'string') return `value of label ${JSON.stringify(key)} must be a string`;
  if (value === '') return undefined;
  if (value.length > 63 || !qualifiedNamePart.test(value)) {
    return `invalid value ${JSON.stringify(value)} for label ${JSON.stringify(key)}: must be at most 63 characters of alphanumerics, '-', '_' or '.', starting and ending with an alphanumeric`;
  }
  return undefined;
}

/**
 * Parses the string form of a selector (labels.Parse: `a=b`, `a==b`, `a!=b`, `a in (x,y)`,
 * `a notin (x)`, `a`, `!a`, comma-separated) into a LabelSelector, e.g. a scale subresource's
 * status.selector. `a!=b` becomes NotIn [b], which matches the same labels. The empty string selects
 * everything. Throws on text labels.Parse rejects (and on the rarely used `>`/`<` numeric operators).
 */
export function parseSelector(text: string): LabelSelector {
  const matchExpressions: LabelSelectorRequirement[] = [];
  const matchLabels: Record<string, string> = {};
  for (const part of splitTopLevel(text.trim())) {
    const t = part.trim();
    let m: RegExpMatchArray | null;
    if ((m = t.match(/^(\S+?)\s+(in|notin)\s*\(([^()]*)\)$/))) {
      const values = m[3]!.split(',').map((v) => v.trim());
      matchExpressions.push({ key: m[1]!, operator: m[2] === 'in' ? 'In' : 'NotIn', values });
    } else if ((m = t.match(/^([^=!\s]+)\s*!=\s*(\S*)$/))) {
      matchExpressions.push({ key: m[1]!, operator: 'NotIn', values: [m[2]!] });
    } else if ((m = t.match(/^([^=!\s]+)\s*==?\s*(\S*)$/))) {
      if (Object.hasOwn(matchLabels, m[1]!) && matchLabels[m[1]!] !== m[2]) {
        matchExpressions.push({ key: m[1]!, operator: 'In', values: [m[2]!] });
      } else matchLabels[m[1]!] = m[2]!;
    } else if ((m = t.match(/^!\s*([^=!\s(),]+)$/))) {
      matchExpressions.push({ key: m[1]!, operator: 'DoesNotExist' });
    } else if ((m = t.match(/^([^=!\s(),<>]+)$/))) {
      matchExpressions.push({ key: m[1]!, operator: 'Exists' });
    } else {
      throw new Error(`invalid label selector ${JSON.stringify(text)}: cannot parse ${JSON.stringify(t)}`);
    }
  }
  const selector: LabelSelector = {};
  if (Object.keys(matchLabels).length) selector.matchLabels = matchLabels;
  if (matchExpressions.length) selector.matchExpressions = matchExpressions;
  const error = validateSelector(selector);
  if (error !== undefined) throw new Error(`invalid label selector ${JSON.stringify(text)}: ${error}`);
  return selector;
}

/** Splits on commas outside parentheses; '' gives no parts. */
function splitTopLevel(text: string): string[] {
  if (text === '') return [];
  const parts: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '(') depth++;
    else if (c === ')') depth--;
    else if (c === ',' && depth === 0) {
      parts.push(text.slice(start, i));
      start = i + 1;
    }
  }
  parts.push(text.slice(start));
  return parts;
}
