// The query and settings shapes the backend reads (see ../../README.md). Selectors hold one value,
// a list, or nothing for "all".
import type { DataQuery, DataSourceJsonData } from '@grafana/data';

export type QueryType =
  | 'sli'
  | 'burn_rate'
  | 'budget_remaining'
  | 'budget_burndown'
  | 'status'
  | 'events'
  | 'annotations';

export type Selector = string | string[] | undefined;

export interface SloQuery extends DataQuery {
  queryType?: QueryType;
  product?: Selector;
  service?: Selector;
  slo?: Selector;
  window?: string;
}

export interface SloJsonData extends DataSourceJsonData {
  timeout?: string | number;
  tenantId?: string;
  tlsSkipVerify?: boolean;
  tlsAuthWithCACert?: boolean;
}

export interface SloSecureJsonData {
  basicAuthPassword?: string;
  bearerToken?: string;
  tlsCACert?: string;
}

export const QUERY_TYPES: Array<{ value: QueryType; label: string; description: string }> = [
  { value: 'status', label: 'Status table', description: 'One row per SLO: SLI, budget, burn rates, alerts' },
  { value: 'sli', label: 'SLI', description: 'Share of good events over a window' },
  { value: 'burn_rate', label: 'Burn rate', description: 'Per window, with alert tiers as thresholds' },
  { value: 'budget_remaining', label: 'Budget remaining', description: 'Over the rolling period' },
  { value: 'budget_burndown', label: 'Budget burn-down', description: 'Across the time range, against the ideal line' },
  { value: 'events', label: 'Events', description: 'Good and total events per second' },
  {
    value: 'annotations',
    label: 'Annotations',
    description: 'Alert firing and budget-exhausted intervals (for annotations)',
  },
];

/** The windows the generated rules record for every SLO. */
export const WINDOWS = ['5m', '30m', '1h', '2h', '6h', '1d', '3d', 'period'];

/** The window the backend uses when a query names none, or undefined when it takes none. */
export function defaultWindow(queryType: QueryType | undefined): string | undefined {
  switch (queryType) {
    case 'sli':
      return 'period';
    case 'burn_rate':
      return '1h';
    case 'events':
      return '5m';
    default:
      return undefined;
  }
}
