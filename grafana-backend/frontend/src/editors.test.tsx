/** @jest-environment jsdom */
// Component tests of the query and config editors with React Testing Library, rendered with
// Grafana's real @grafana/ui components; the datasource is a stand-in answering resource calls.
import React from 'react';
import { act, fireEvent, render, screen } from '@testing-library/react';

import { ConfigEditor } from './ConfigEditor';
import type { DataSource } from './datasource';
import { QueryEditor } from './QueryEditor';
import type { SloQuery } from './types';

const bodies: Record<string, unknown> = {
  products: { products: [{ name: 'shop', services: 2, slos: 2 }] },
  services: { services: [{ product: 'shop', name: 'api', slos: 1 }] },
  slos: { slos: [{ product: 'shop', service: 'api', slo: 'availability' }] },
};

function datasource() {
  const getResource = jest.fn((path: string) => Promise.resolve(bodies[path]));
  return { ds: { getResource } as unknown as DataSource, getResource };
}

async function renderQueryEditor(query: SloQuery) {
  const { ds, getResource } = datasource();
  const onChange = jest.fn();
  const onRunQuery = jest.fn();
  await act(async () => {
    render(<QueryEditor query={query} datasource={ds} onChange={onChange} onRunQuery={onRunQuery} />);
  });
  return { getResource, onChange, onRunQuery };
}

describe('QueryEditor', () => {
  test('pickers are fed by the resources, each narrowed by the ones before it', async () => {
    const { getResource } = await renderQueryEditor({ refId: 'A', queryType: 'status', product: 'shop', service: 'api' });
    expect(getResource.mock.calls).toEqual([
      ['products', {}],
      ['services', { product: 'shop' }],
      ['slos', { product: 'shop', service: 'api' }],
    ]);
    expect(screen.getByText('Product')).toBeTruthy();
    expect(screen.getByText('Service')).toBeTruthy();
    expect(screen.getByText('SLO')).toBeTruthy();
  });

  test('a list selector narrows nothing', async () => {
    const { getResource } = await renderQueryEditor({ refId: 'A', queryType: 'sli', product: ['shop', 'billing'] });
    expect(getResource.mock.calls).toEqual([
      ['products', {}],
      ['services', {}],
      ['slos', {}],
    ]);
  });

  test('the window shows only for query types that take one, with its default', async () => {
    await renderQueryEditor({ refId: 'A', queryType: 'burn_rate' });
    expect(screen.getByText('Window')).toBeTruthy();
    expect(screen.getByText('1h')).toBeTruthy();
    expect(screen.getByText('Burn rate')).toBeTruthy();
  });

  test('the status table takes no window', async () => {
    await renderQueryEditor({ refId: 'A', queryType: 'status' });
    expect(screen.queryByText('Window')).toBeNull();
    expect(screen.getByText('Status table')).toBeTruthy();
  });
});

describe('ConfigEditor', () => {
  const options = (secureJsonFields: Record<string, boolean>) =>
    ({
      id: 1,
      uid: 'slokit',
      orgId: 1,
      name: 'slokit',
      type: 'slokit-slo-datasource',
      typeName: 'slokit',
      typeLogoUrl: '',
      access: 'proxy',
      url: 'http://prometheus:9090',
      user: '',
      database: '',
      basicAuth: false,
      basicAuthUser: '',
      isDefault: false,
      readOnly: false,
      withCredentials: false,
      jsonData: { tenantId: 'team-a' },
      secureJsonFields,
      secureJsonData: {},
    }) as any;

  test('the tenant is read and written in jsonData', () => {
    const onOptionsChange = jest.fn();
    render(<ConfigEditor options={options({})} onOptionsChange={onOptionsChange} />);
    const tenant = screen.getByDisplayValue('team-a');
    fireEvent.change(tenant, { target: { value: 'team-b' } });
    expect(onOptionsChange).toHaveBeenCalledTimes(1);
    expect(onOptionsChange.mock.calls[0][0].jsonData).toEqual({ tenantId: 'team-b' });
  });

  test('a configured bearer token is never shown and can be reset', () => {
    const onOptionsChange = jest.fn();
    render(<ConfigEditor options={options({ bearerToken: true })} onOptionsChange={onOptionsChange} />);
    expect(screen.getByDisplayValue('configured')).toBeTruthy();
    fireEvent.click(screen.getByText('Reset'));
    const changed = onOptionsChange.mock.calls[0][0];
    expect(changed.secureJsonFields.bearerToken).toBe(false);
    expect(changed.secureJsonData.bearerToken).toBe('');
  });

  test('a new bearer token goes to secureJsonData', () => {
    const onOptionsChange = jest.fn();
    const { container } = render(<ConfigEditor options={options({})} onOptionsChange={onOptionsChange} />);
    // With basic auth off, the bearer token is the only secret field.
    const secrets = container.querySelectorAll('input[type="password"]');
    expect(secrets).toHaveLength(1);
    fireEvent.change(secrets[0], { target: { value: 's3cret' } });
    const changed = onOptionsChange.mock.calls[onOptionsChange.mock.calls.length - 1][0];
    expect(changed.secureJsonData.bearerToken).toBe('s3cret');
    expect(changed.jsonData).toEqual({ tenantId: 'team-a' });
  });
});
