// Settings: Grafana's standard HTTP settings (URL, basic auth, TLS, custom headers, timeout), plus
// the Mimir tenant and a bearer token.
import React from 'react';
import type { DataSourcePluginOptionsEditorProps } from '@grafana/data';
import { DataSourceHttpSettings, InlineField, Input, SecretInput } from '@grafana/ui';

import type { SloJsonData, SloSecureJsonData } from './types';

type Props = DataSourcePluginOptionsEditorProps<SloJsonData, SloSecureJsonData>;

export function ConfigEditor({ options, onOptionsChange }: Props) {
  const secureFields = options.secureJsonFields ?? {};
  return (
    <div>
      <DataSourceHttpSettings
        defaultUrl="http://localhost:9090"
        dataSourceConfig={options}
        onChange={onOptionsChange}
        showAccessOptions={false}
      />
      <h3 className="page-heading">slokit</h3>
      <InlineField label="Tenant (X-Scope-OrgID)" labelWidth={26} tooltip="Mimir or Cortex tenant; empty for Prometheus">
        <Input
          width={40}
          value={options.jsonData.tenantId ?? ''}
          onChange={(e) =>
            onOptionsChange({ ...options, jsonData: { ...options.jsonData, tenantId: e.currentTarget.value } })
          }
        />
      </InlineField>
      <InlineField label="Bearer token" labelWidth={26} tooltip="Sent as `Authorization: Bearer` when basic auth is off">
        <SecretInput
          width={40}
          isConfigured={!!secureFields.bearerToken}
          value={options.secureJsonData?.bearerToken ?? ''}
          onReset={() =>
            onOptionsChange({
              ...options,
              secureJsonFields: { ...secureFields, bearerToken: false },
              secureJsonData: { ...options.secureJsonData, bearerToken: '' },
            })
          }
          onChange={(e) =>
            onOptionsChange({
              ...options,
              secureJsonData: { ...options.secureJsonData, bearerToken: e.currentTarget.value },
            })
          }
        />
      </InlineField>
    </div>
  );
}
