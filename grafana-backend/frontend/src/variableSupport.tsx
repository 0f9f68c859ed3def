// Template variables through Grafana's `CustomVariableSupport`: the variable editor below writes
// the object form (`{"resource": "slos", "product": "shop", "service": "$service"}`), which
// Grafana's variable editor shows as fields instead of `[object Object]` in a text box. Text
// queries (`slos(shop, $service)`) saved before keep working: they reach `query` as they were and
// are read by the same parser as `metricFindQuery`.
import React from 'react';
import { from, map, Observable } from 'rxjs';
import { CustomVariableSupport } from '@grafana/data';
import type { DataQuery, DataQueryRequest, DataQueryResponse, QueryEditorProps, ScopedVars } from '@grafana/data';
import { InlineField, InlineFieldRow, Input, Select } from '@grafana/ui';

import type { DataSource } from './datasource';
import type { SloJsonData, SloQuery } from './types';
import { parameterNames, parseVariableQuery, VariableQuery } from './variables';

/** A variable's query as the editor writes it. */
export interface SloVariableQuery extends DataQuery {
  resource: VariableQuery['resource'];
  product?: string;
  service?: string;
  slo?: string;
  /** The group label whose values a `groups` query lists. */
  label?: string;
}

const RESOURCE_OPTIONS: Array<{ value: VariableQuery['resource']; label: string; description: string }> = [
  { value: 'products', label: 'Products', description: 'Every product with SLOs' },
  { value: 'services', label: 'Services', description: 'The services of a product (or of all)' },
  { value: 'slos', label: 'SLOs', description: 'The SLOs of a product and service (or of all)' },
  { value: 'owners', label: 'Owners', description: 'The owners of those SLOs' },
  { value: 'tiers', label: 'Tiers', description: 'The tiers of those SLOs' },
  { value: 'groups', label: 'Group values', description: 'The values of a group label (e.g. route) of those SLOs' },
];

/**
 * The editor's view of a saved query: the object form as it is, a text query parsed into it (so
 * opening an old variable shows its fields), and anything unreadable as a products query.
 */
export function toEditorQuery(query: unknown): SloVariableQuery {
  if (typeof query === 'string') {
    try {
      const parsed = parseVariableQuery(query);
      const params = parsed.params as Record<string, string>;
      return { refId: 'variable', resource: parsed.resource, ...params };
    } catch {
      return { refId: 'variable', resource: 'products' };
    }
  }
  if (query !== null && typeof query === 'object' && 'resource' in query) {
    const object = query as SloVariableQuery;
    return { ...object, refId: object.refId || 'variable' };
  }
  return { refId: 'variable', resource: 'products' };
}

type Parameter = 'product' | 'service' | 'slo' | 'label';

/** What the editor saves: only the parameters the resource takes, without empty ones. */
export function fromEditorQuery(query: SloVariableQuery): SloVariableQuery {
  const out: SloVariableQuery = { refId: query.refId || 'variable', resource: query.resource };
  for (const name of parameterNames(query.resource) as Parameter[]) {
    const value = query[name]?.trim();
    if (value) {
      out[name] = value;
    }
  }
  return out;
}

const FIELDS: Array<{ name: Parameter; label: string; tooltip: string }> = [
  { name: 'label', label: 'Label', tooltip: 'The group label, such as route' },
  { name: 'product', label: 'Product', tooltip: 'A product, a variable such as $product, or empty for all' },
  { name: 'service', label: 'Service', tooltip: 'A service, a variable such as $service, or empty for all' },
  { name: 'slo', label: 'SLO', tooltip: 'An SLO, a variable such as $slo, or empty for all' },
];

type EditorProps = QueryEditorProps<DataSource, SloQuery, SloJsonData, SloVariableQuery>;

export function VariableQueryEditor({ query, onChange }: EditorProps) {
  const current = toEditorQuery(query);
  const update = (patch: Partial<SloVariableQuery>) => onChange(fromEditorQuery({ ...current, ...patch }));
  return (
    <InlineFieldRow>
      <InlineField label="List" labelWidth={10}>
        <Select
          width={20}
          aria-label="List"
          options={RESOURCE_OPTIONS}
          value={current.resource}
          onChange={(v) => update({ resource: v.value ?? 'products' })}
        />
      </InlineField>
      {FIELDS.filter((f) => parameterNames(current.resource).includes(f.name)).map((field) => (
        <InlineField key={field.name} label={field.label} labelWidth={10} tooltip={field.tooltip}>
          <Input
            width={24}
            aria-label={field.label}
            placeholder={field.name === 'label' ? '' : 'all'}
            defaultValue={current[field.name] ?? ''}
            onBlur={(e) => update({ [field.name]: e.currentTarget.value })}
          />
        </InlineField>
      ))}
    </InlineFieldRow>
  );
}

/** The datasource methods variable support needs (the datasource itself in Grafana). */
export interface VariableSource {
  metricFindQuery(query: unknown, options?: { scopedVars?: ScopedVars }): Promise<Array<{ text: string }>>;
}

export class SloVariableSupport extends CustomVariableSupport<DataSource, SloVariableQuery> {
  editor = VariableQueryEditor;

  constructor(private readonly source: VariableSource) {
    super();
  }

  /** The values of the variable's one query (a text query arrives as the string it was saved as). */
  query(request: DataQueryRequest<SloVariableQuery>): Observable<DataQueryResponse> {
    const target: unknown = request.targets[0];
    return from(this.source.metricFindQuery(target, { scopedVars: request.scopedVars })).pipe(
      map((values) => ({ data: values }))
    );
  }
}
