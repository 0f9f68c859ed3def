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

/**
 * A variable query: `products`, `services(<product>)`, `slos`, `owners` or `tiers` of
 * `(<product>[, <service>])`, or `groups(<label>[, <product>[, <service>[, <slo>]]])` (the values of
 * a group label; positions may be left empty). Owners and tiers are read from the `slos`
 * resource's entries.
 */
export interface VariableQuery {
  resource: 'products' | 'services' | 'slos' | 'owners' | 'tiers' | 'groups';
  /** A list repeats the parameter, which the plugin's resources read as several values. */
  params: Record<string, string | string[]>;
}

const RESOURCES: Array<VariableQuery['resource']> = ['products', 'services', 'slos', 'owners', 'tiers', 'groups'];

/** The resource of the plugin that answers a variable query of `resource`. */
export function endpoint(resource: VariableQuery['resource']): 'products' | 'services' | 'slos' | 'groups' {
  return resource === 'owners' || resource === 'tiers' ? 'slos' : resource;
}

/** Whether a variable query of `resource` takes a service (every list of SLOs' figures does). */
export function takesService(resource: VariableQuery['resource']): boolean {
  return endpoint(resource) === 'slos' || resource === 'groups';
}

/** The parameters a variable query of `resource` takes, in the order of its text form. */
export function parameterNames(resource: VariableQuery['resource']): string[] {
  switch (resource) {
    case 'products':
      return [];
    case 'services':
      return ['product'];
    case 'groups':
      return ['label', 'product', 'service', 'slo'];
    default:
      return ['product', 'service'];
  }
}

export function parseVariableQuery(text: string): VariableQuery {
  const match = /^\s*(products|services|slos|owners|tiers|groups)\s*(?:\(([^)]*)\))?\s*$/.exec(text);
  if (!match) {
    throw new Error(
      'variable query must be `products`, `services(product)`, `slos`, `owners` or `tiers` of `(product, service)`, or `groups(label, product, service, slo)`'
    );
  }
  const resource = match[1] as VariableQuery['resource'];
  // Arguments by position: an empty one leaves its parameter unset.
  const args = (match[2] ?? '').split(',').map((s) => s.trim());
  const params: Record<string, string> = {};
  parameterNames(resource).forEach((name, index) => {
    if (args[index]) {
      params[name] = args[index];
    }
  });
  return { resource, params };
}

/**
 * A variable query in either form, with its parameters interpolated: the text form above, or the
 * object the generated dashboards write, `{"resource": "slos", "product": "shop", "service":
 * "$service"}`. Parameters are interpolated one by one after parsing, so a multi-value variable
 * (or "All") becomes a list rather than text the parser would split.
 */
export function toVariableQuery(query: unknown, replace: Replace): VariableQuery {
  let parsed: VariableQuery;
  if (typeof query === 'string') {
    parsed = parseVariableQuery(query);
  } else if (
    query !== null &&
    typeof query === 'object' &&
    RESOURCES.includes((query as { resource?: unknown }).resource as VariableQuery['resource'])
  ) {
    const object = query as Record<string, unknown>;
    const resource = object.resource as VariableQuery['resource'];
    const keys = parameterNames(resource);
    const params: Record<string, string> = {};
    for (const key of keys) {
      const value = object[key];
      if (typeof value === 'string' && value.trim() !== '') {
        params[key] = value.trim();
      }
    }
    parsed = { resource, params };
  } else {
    throw new Error(
      'variable query must be `products`, `services(product)`, `slos`, `owners` or `tiers` of `(product, service)`, `groups(label, product, service, slo)`, or {"resource": ...}'
    );
  }
  const params: Record<string, string | string[]> = {};
  for (const [key, value] of Object.entries(parsed.params)) {
    const interpolated = interpolateSelector(Array.isArray(value) ? value : [value], replace);
    if (interpolated !== undefined && interpolated.length > 0) {
      params[key] = interpolated;
    }
  }
  return { resource: parsed.resource, params };
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
    case 'groups': {
      const values: string[] = (body?.groups ?? []).flatMap((g: { values?: string[] }) => g.values ?? []);
      return values.filter((v, i) => values.indexOf(v) === i).sort();
    }
    case 'owners':
    case 'tiers': {
      const key = resource === 'owners' ? 'owner' : 'tier';
      const values: string[] = (body?.slos ?? [])
        .map((s: Record<string, unknown>) => s[key])
        .filter((v: unknown): v is string => typeof v === 'string' && v !== '');
      return values.filter((v, i) => values.indexOf(v) === i).sort();
    }
  }
}
