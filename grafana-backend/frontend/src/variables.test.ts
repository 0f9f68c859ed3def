import { endpoint, interpolateSelector, parseVariableQuery, resourceNames, toVariableQuery } from './variables';

// A stand-in for Grafana's template service with `json` formatting: `$multi` holds two values.
const replace = (text: string) =>
  text.replace('$multi', JSON.stringify(['a', 'b'])).replace('$one', JSON.stringify('shop'));

describe('interpolateSelector', () => {
  test.each([
    [undefined, undefined],
    ['plain', 'plain'],
    ['$one', 'shop'],
    ['$multi', ['a', 'b']],
    [['$multi', 'c', 'a'], ['a', 'b', 'c']],
  ])('%j becomes %j', (input, expected) => {
    expect(interpolateSelector(input as any, replace)).toEqual(expected);
  });
});

describe('parseVariableQuery', () => {
  test('products', () => {
    expect(parseVariableQuery('products')).toEqual({ resource: 'products', params: {} });
  });
  test('services of a product', () => {
    expect(parseVariableQuery(' services(shop) ')).toEqual({ resource: 'services', params: { product: 'shop' } });
  });
  test('slos of a product and service', () => {
    expect(parseVariableQuery('slos(shop, api)')).toEqual({
      resource: 'slos',
      params: { product: 'shop', service: 'api' },
    });
  });
  test('owners and tiers of a product and service', () => {
    expect(parseVariableQuery('owners(shop, api)')).toEqual({
      resource: 'owners',
      params: { product: 'shop', service: 'api' },
    });
    expect(parseVariableQuery('tiers')).toEqual({ resource: 'tiers', params: {} });
  });
  test('group values by position, empty positions unset', () => {
    expect(parseVariableQuery('groups(route, shop, , $slo)')).toEqual({
      resource: 'groups',
      params: { label: 'route', product: 'shop', slo: '$slo' },
    });
  });
  test('anything else is an error naming the forms', () => {
    expect(() => parseVariableQuery('label_values(x)')).toThrow(
      'variable query must be `products`, `services(product)`, `slos`, `owners` or `tiers` of `(product, service)`, or `groups(label, product, service, slo)`'
    );
  });
});

test('owners and tiers are read from the slos answer, once each, sorted, without blanks', () => {
  const body = {
    slos: [
      { slo: 'a', owner: 'team-b', tier: 'critical' },
      { slo: 'b', owner: 'team-a', tier: '' },
      { slo: 'c', owner: 'team-b' },
    ],
  };
  expect(resourceNames('owners', body)).toEqual(['team-a', 'team-b']);
  expect(resourceNames('tiers', body)).toEqual(['critical']);
  expect(endpoint('owners')).toBe('slos');
  expect(endpoint('groups')).toBe('groups');
  expect(
    resourceNames('groups', {
      groups: [
        { label: 'route', values: ['/b', '/a'] },
        { label: 'code', values: ['/a'] },
      ],
    })
  ).toEqual(['/a', '/b']);
  expect(endpoint('services')).toBe('services');
});

test('resourceNames reads each resource answer', () => {
  expect(resourceNames('products', { products: [{ name: 'shop', services: 2, slos: 2 }] })).toEqual(['shop']);
  expect(resourceNames('services', { services: [{ product: 'shop', name: 'api', slos: 1 }] })).toEqual(['api']);
  expect(resourceNames('slos', { slos: [{ product: 'shop', service: 'api', slo: 'availability' }] })).toEqual([
    'availability',
  ]);
});

describe('toVariableQuery', () => {
  test('the object form the generated dashboards write, "All" becoming a list', () => {
    expect(toVariableQuery({ resource: 'slos', product: 'shop', service: '$multi' }, replace)).toEqual({
      resource: 'slos',
      params: { product: 'shop', service: ['a', 'b'] },
    });
    expect(toVariableQuery({ resource: 'products' }, replace)).toEqual({ resource: 'products', params: {} });
  });
  test('the text form, interpolated after parsing', () => {
    expect(toVariableQuery('slos($one, $multi)', replace)).toEqual({
      resource: 'slos',
      params: { product: 'shop', service: ['a', 'b'] },
    });
  });
  test('parameters a resource does not take are dropped', () => {
    expect(toVariableQuery({ resource: 'services', product: 'shop', service: 'api' }, replace)).toEqual({
      resource: 'services',
      params: { product: 'shop' },
    });
  });
  test('anything else is an error naming the forms', () => {
    expect(() => toVariableQuery({ resource: 'alerts' }, replace)).toThrow(
      'variable query must be `products`, `services(product)`, `slos`, `owners` or `tiers` of `(product, service)`, `groups(label, product, service, slo)`, or {"resource": ...}'
    );
    expect(() => toVariableQuery(42, replace)).toThrow('variable query must be');
  });
});
