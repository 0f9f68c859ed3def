// Template-variable logic, free of Grafana imports so it can be unit tested in Node: interpolating
// selectors (a multi-value variable becomes a list) and parsing variable queries.
import type { Selector } from './types';

/** Replaces variables in one string; `json` format makes multi-value variables JSON arrays. */
export type Replace = (text: string) => string;

/** Interpolates a selector: each `$var` that expands to several values adds them all. */
export function interpolateSelector(value: Selector, replace: Replace): Selector {
  if (value === undefined) {
    return undefined;
  }
  const values: string[] = [];
  for (const item of Array.isArray(value) ? value : [value]) {
    if (!item.includes('$')) {
      values.push(item);
      continue;
    }
    const replaced = replace(item);
    try {
      const parsed: unknown = JSON.parse(replaced);
      if (Array.isArray(parsed)) {
        values.push(...parsed.map(String));
      } else {
        values.push(String(parsed));
      }
    } catch {
      values.push(replaced);
    }
  }
  const unique = values.filter((v, i) => values.indexOf(v) === i);
  return unique.length === 1 ? unique[0] : unique;
}

/** A variable query: `products`, `services(<product>)` or `slos(<product>[, <service>])`. */
export interface VariableQuery {
  resource: 'products' | 'services' | 'slos';
  params: Record<string, string>;
}

export function parseVariableQuery(text: string): VariableQuery {
  const match = /^\s*(products|services|slos)\s*(?:\(([^)]*)\))?\s*$/.exec(text);
  if (!match) {
    throw new Error('variable query must be `products`, `services(product)` or `slos(product, service)`');
  }
  const resource = match[1] as VariableQuery['resource'];
  const args = (match[2] ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
  const params: Record<string, string> = {};
  if (resource !== 'products') {
    if (args[0]) {
      params.product = args[0];
    }
    if (resource === 'slos' && args[1]) {
      params.service = args[1];
    }
  }
  return { resource, params };
}

/** The names a resource answer lists, for a variable's values. */
export function resourceNames(resource: VariableQuery['resource'], body: any): string[] {
  switch (resource) {
    case 'products':
      return (body?.products ?? []).map((p: { name: string }) => p.name);
    case 'services':
      return (body?.services ?? []).map((s: { name: string }) => s.name);
    case 'slos':
      return (body?.slos ?? []).map((s: { slo: string }) => s.slo);
  }
}
