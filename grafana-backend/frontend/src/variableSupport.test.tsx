/** @jest-environment jsdom */
// Variable support: saved queries of both forms are shown in the editor and answered, the editor
// writes the object form, and the datasource declares custom variable support.
import React from 'react';
import { lastValueFrom } from 'rxjs';
import { act, fireEvent, render, screen } from '@testing-library/react';
import type { DataQueryRequest, DataSourceInstanceSettings } from '@grafana/data';
import { setTemplateSrv, TemplateSrv } from '@grafana/runtime';

import { DataSource } from './datasource';
import type { SloJsonData } from './types';
import {
  fromEditorQuery,
  SloVariableQuery,
  SloVariableSupport,
  toEditorQuery,
  VariableQueryEditor,
} from './variableSupport';

describe('toEditorQuery', () => {
  test('a text query is shown as its fields', () => {
    expect(toEditorQuery('slos(shop, $service)')).toEqual({
      refId: 'variable',
      resource: 'slos',
      product: 'shop',
      service: '$service',
    });
    expect(toEditorQuery('products')).toEqual({ refId: 'variable', resource: 'products' });
  });
  test('the object form the generated dashboards write is kept', () => {
    expect(toEditorQuery({ resource: 'services', product: '$product' })).toEqual({
      refId: 'variable',
      resource: 'services',
      product: '$product',
    });
  });
  test('anything unreadable starts as a products query', () => {
    expect(toEditorQuery('label_values(up, job)')).toEqual({ refId: 'variable', resource: 'products' });
    expect(toEditorQuery(undefined)).toEqual({ refId: 'variable', resource: 'products' });
  });
});

test('fromEditorQuery keeps only the parameters the resource takes', () => {
  expect(fromEditorQuery({ refId: 'A', resource: 'services', product: ' shop ', service: 'api' })).toEqual({
    refId: 'A',
    resource: 'services',
    product: 'shop',
  });
  expect(fromEditorQuery({ refId: 'A', resource: 'owners', product: 'shop', service: 'api' })).toEqual({
    refId: 'A',
    resource: 'owners',
    product: 'shop',
    service: 'api',
  });
  expect(fromEditorQuery({ refId: '', resource: 'slos', product: '', service: '$service' })).toEqual({
    refId: 'variable',
    resource: 'slos',
    service: '$service',
  });
});

describe('SloVariableSupport.query', () => {
  const request = (target: unknown) =>
    ({ targets: [target], scopedVars: { x: { text: 'x', value: 'x' } } }) as unknown as DataQueryRequest<SloVariableQuery>;

  test.each([
    ['the object form', { refId: 'variable', resource: 'slos', product: 'shop' }],
    ['a text query saved before', 'slos(shop)'],
  ])('%s goes to metricFindQuery as it is', async (_, target) => {
    const metricFindQuery = jest.fn(() => Promise.resolve([{ text: 'availability' }, { text: 'search' }]));
    const support = new SloVariableSupport({ metricFindQuery });
    const response = await lastValueFrom(support.query(request(target)));
    expect(response.data).toEqual([{ text: 'availability' }, { text: 'search' }]);
    expect(metricFindQuery).toHaveBeenCalledWith(target, { scopedVars: { x: { text: 'x', value: 'x' } } });
  });
});

describe('VariableQueryEditor', () => {
  function renderEditor(query: unknown) {
    const onChange = jest.fn();
    render(
      <VariableQueryEditor
        query={query as SloVariableQuery}
        datasource={{} as DataSource}
        onChange={onChange}
        onRunQuery={() => {}}
      />
    );
    return onChange;
  }

  test('a text query opens with its fields filled in', async () => {
    await act(async () => {
      renderEditor('slos(shop, $service)');
    });
    expect((screen.getByLabelText('Product') as HTMLInputElement).value).toBe('shop');
    expect((screen.getByLabelText('Service') as HTMLInputElement).value).toBe('$service');
  });

  test('group values take a label and an SLO', async () => {
    let onChange: jest.Mock = jest.fn();
    await act(async () => {
      onChange = renderEditor('groups(route, shop)');
    });
    expect((screen.getByLabelText('Label') as HTMLInputElement).value).toBe('route');
    const slo = screen.getByLabelText('SLO');
    fireEvent.change(slo, { target: { value: '$slo' } });
    fireEvent.blur(slo);
    expect(onChange).toHaveBeenCalledWith({
      refId: 'variable',
      resource: 'groups',
      label: 'route',
      product: 'shop',
      slo: '$slo',
    });
  });

  test('editing a field writes the object form', async () => {
    let onChange: jest.Mock = jest.fn();
    await act(async () => {
      onChange = renderEditor({ refId: 'variable', resource: 'services' });
    });
    expect(screen.queryByLabelText('Service')).toBeNull();
    const product = screen.getByLabelText('Product');
    fireEvent.change(product, { target: { value: '$product' } });
    fireEvent.blur(product);
    expect(onChange).toHaveBeenCalledWith({ refId: 'variable', resource: 'services', product: '$product' });
  });
});

test('the datasource declares custom variable support with an editor', () => {
  const settings = { id: 1, uid: 'slokit', type: 'slokit-slo-datasource', name: 'slokit', jsonData: {}, meta: {} };
  const ds = new DataSource(settings as unknown as DataSourceInstanceSettings<SloJsonData>);
  expect(ds.variables).toBeInstanceOf(SloVariableSupport);
  expect((ds.variables as SloVariableSupport).editor).toBe(VariableQueryEditor);
});

test('metricFindQuery lists owners from the slos resource, for text and object queries alike', async () => {
  setTemplateSrv({ replace: (text: string) => text } as unknown as TemplateSrv);
  const settings = { id: 1, uid: 'slokit', type: 'slokit-slo-datasource', name: 'slokit', jsonData: {}, meta: {} };
  const ds = new DataSource(settings as unknown as DataSourceInstanceSettings<SloJsonData>);
  const getResource = jest
    .spyOn(ds, 'getResource')
    .mockResolvedValue({ slos: [{ slo: 'a', owner: 'team-b' }, { slo: 'b', owner: 'team-a' }] });
  for (const query of ['owners(shop)', { resource: 'owners', product: 'shop' }]) {
    expect(await ds.metricFindQuery(query)).toEqual([{ text: 'team-a' }, { text: 'team-b' }]);
  }
  expect(getResource.mock.calls).toEqual([
    ['slos', { product: 'shop' }],
    ['slos', { product: 'shop' }],
  ]);
});
