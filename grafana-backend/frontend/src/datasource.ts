// The datasource: queries go to the backend (`DataSourceWithBackend`); selectors are interpolated
// first, and variable queries list products, services or SLOs from the plugin's resources.
// Variables use `CustomVariableSupport` (variableSupport.tsx) with an editor; `metricFindQuery`
// answers both its queries and text queries. Annotations are `annotations` queries (see annotations.ts), whose frames Grafana's standard
// annotation processing reads.
import type { DataSourceInstanceSettings, MetricFindValue, ScopedVars } from '@grafana/data';
import { DataSourceWithBackend, getTemplateSrv } from '@grafana/runtime';

import type { SloJsonData, SloQuery } from './types';
import { prepareAnnotation, prepareAnnotationQuery } from './annotations';
import { SloVariableSupport } from './variableSupport';
import { endpoint, interpolateSelector, resourceNames, toVariableQuery } from './variables';

export class DataSource extends DataSourceWithBackend<SloQuery, SloJsonData> {
  constructor(instanceSettings: DataSourceInstanceSettings<SloJsonData>) {
    super(instanceSettings);
    this.annotations = { prepareAnnotation, prepareQuery: prepareAnnotationQuery };
    this.variables = new SloVariableSupport(this);
  }

  getDefaultQuery(): Partial<SloQuery> {
    return { queryType: 'status' };
  }

  filterQuery(query: SloQuery): boolean {
    return !query.hide && !!query.queryType;
  }

  applyTemplateVariables(query: SloQuery, scopedVars: ScopedVars): SloQuery {
    const replace = (text: string) => getTemplateSrv().replace(text, scopedVars, 'json');
    return {
      ...query,
      product: interpolateSelector(query.product, replace),
      service: interpolateSelector(query.service, replace),
      slo: interpolateSelector(query.slo, replace),
      window: query.window ? getTemplateSrv().replace(query.window, scopedVars) : query.window,
    };
  }

  /** A variable query: text (`slos(shop, $service)`, `owners(shop)`) or the object form. */
  async metricFindQuery(query: unknown, options?: { scopedVars?: ScopedVars }): Promise<MetricFindValue[]> {
    const replace = (text: string) => getTemplateSrv().replace(text, options?.scopedVars, 'json');
    const parsed = toVariableQuery(query, replace);
    const body = await this.getResource(endpoint(parsed.resource), parsed.params);
    return resourceNames(parsed.resource, body).map((text) => ({ text }));
  }
}
