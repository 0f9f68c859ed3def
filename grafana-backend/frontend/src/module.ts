// The plugin's entry point: Grafana loads `module.js` and reads `plugin`.
import { DataSourcePlugin } from '@grafana/data';

import { ConfigEditor } from './ConfigEditor';
import { DataSource } from './datasource';
import { QueryEditor } from './QueryEditor';
import type { SloJsonData, SloQuery } from './types';

export const plugin = new DataSourcePlugin<DataSource, SloQuery, SloJsonData>(DataSource)
  .setConfigEditor(ConfigEditor)
  .setQueryEditor(QueryEditor);
