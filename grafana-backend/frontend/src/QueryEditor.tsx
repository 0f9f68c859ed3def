// The query editor: query type, window, and product / service / SLO pickers fed by the plugin's
// resources (each picker narrowed by the ones before it). An empty picker means all.
import React, { useEffect, useState } from 'react';
import type { QueryEditorProps, SelectableValue } from '@grafana/data';
import { InlineField, InlineFieldRow, MultiSelect, Select } from '@grafana/ui';

import type { DataSource } from './datasource';
import { defaultWindow, QUERY_TYPES, Selector, SloJsonData, SloQuery, WINDOWS } from './types';
import { resourceNames, VariableQuery } from './variables';

type Props = QueryEditorProps<DataSource, SloQuery, SloJsonData>;

function useNames(datasource: DataSource, resource: VariableQuery['resource'], params: Record<string, string>) {
  const [names, setNames] = useState<string[]>([]);
  const key = resource + JSON.stringify(params);
  useEffect(() => {
    let live = true;
    datasource
      .getResource(resource, params)
      .then((body) => live && setNames(resourceNames(resource, body)))
      .catch(() => live && setNames([]));
    return () => {
      live = false;
    };
    // `key` stands for `resource` and `params`.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [datasource, key]);
  return names.map((name) => ({ value: name, label: name }));
}

function asList(value: Selector): string[] {
  return value === undefined ? [] : Array.isArray(value) ? value : [value];
}

function fromList(values: string[]): Selector {
  return values.length === 0 ? undefined : values.length === 1 ? values[0] : values;
}

export function QueryEditor({ query, datasource, onChange, onRunQuery }: Props) {
  const update = (patch: Partial<SloQuery>) => {
    onChange({ ...query, ...patch });
    onRunQuery();
  };
  const single = (value: Selector) => (typeof value === 'string' && value ? value : undefined);
  const product = single(query.product);
  const service = single(query.service);
  const products = useNames(datasource, 'products', {});
  const services = useNames(datasource, 'services', product ? { product } : {});
  const slos = useNames(datasource, 'slos', {
    ...(product ? { product } : {}),
    ...(service ? { service } : {}),
  });
  const window = defaultWindow(query.queryType);
  const picker = (key: 'product' | 'service' | 'slo', label: string, options: Array<SelectableValue<string>>) => (
    <InlineField label={label} labelWidth={10}>
      <MultiSelect<string>
        width={30}
        allowCustomValue
        placeholder="all"
        options={options}
        value={asList(query[key])}
        onChange={(selected) => update({ [key]: fromList(selected.map((s) => s.value ?? '').filter(Boolean)) })}
      />
    </InlineField>
  );
  return (
    <div>
      <InlineFieldRow>
        <InlineField label="Query" labelWidth={10}>
          <Select
            width={30}
            options={QUERY_TYPES}
            value={query.queryType ?? 'status'}
            onChange={(v) => update({ queryType: v.value })}
          />
        </InlineField>
        {window !== undefined && (
          <InlineField label="Window" labelWidth={10}>
            <Select
              width={16}
              allowCustomValue
              options={WINDOWS.map((w) => ({ value: w, label: w }))}
              value={query.window ?? window}
              onChange={(v) => update({ window: v.value })}
            />
          </InlineField>
        )}
      </InlineFieldRow>
      <InlineFieldRow>
        {picker('product', 'Product', products)}
        {picker('service', 'Service', services)}
        {picker('slo', 'SLO', slos)}
      </InlineFieldRow>
    </div>
  );
}
