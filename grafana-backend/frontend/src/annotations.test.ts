/** @jest-environment jsdom */
// Annotation support: saved annotations become `annotations` queries, with or without a target,
// and the datasource declares the support Grafana looks for.
import type { AnnotationQuery, DataSourceInstanceSettings } from '@grafana/data';

import { DataSource } from './datasource';
import { ANNOTATION_REF_ID, prepareAnnotation, prepareAnnotationQuery } from './annotations';
import type { SloJsonData, SloQuery } from './types';

const base = { name: 'Alerts', enable: true, iconColor: 'red', datasource: { type: 'slokit-slo-datasource', uid: 'slokit' } };

describe('prepareAnnotation', () => {
  test('the generated dashboards\' annotation keeps its target, as an annotations query', () => {
    const target: SloQuery = { refId: 'Anno', queryType: 'annotations', product: 'shop', service: '$service', slo: '$slo' };
    expect(prepareAnnotation({ ...base, target })).toEqual({ ...base, target });
  });

  test('an annotation without a target gets one from its selectors', () => {
    const legacy = { ...base, product: 'shop', slo: ['a', 'b'] } as AnnotationQuery<SloQuery>;
    expect(prepareAnnotation(legacy).target).toEqual({
      refId: ANNOTATION_REF_ID,
      queryType: 'annotations',
      product: 'shop',
      service: undefined,
      slo: ['a', 'b'],
    });
  });

  test('a target of another query type is made an annotations query', () => {
    const prepared = prepareAnnotation({ ...base, target: { refId: '', queryType: 'status', product: 'shop' } });
    expect(prepared.target).toEqual({ refId: ANNOTATION_REF_ID, queryType: 'annotations', product: 'shop' });
  });
});

describe('prepareAnnotationQuery', () => {
  test('the query Grafana runs is the target', () => {
    const target: SloQuery = { refId: 'Anno', queryType: 'annotations', product: 'shop' };
    expect(prepareAnnotationQuery({ ...base, target })).toEqual(target);
  });

  test('no target, no query', () => {
    expect(prepareAnnotationQuery({ ...base })).toBeUndefined();
  });
});

test('the datasource declares its annotation support', () => {
  const settings = { id: 1, uid: 'slokit', type: 'slokit-slo-datasource', name: 'slokit', jsonData: {}, meta: {} };
  const ds = new DataSource(settings as unknown as DataSourceInstanceSettings<SloJsonData>);
  expect(ds.annotations?.prepareAnnotation).toBe(prepareAnnotation);
  expect(ds.annotations?.prepareQuery).toBe(prepareAnnotationQuery);
});
