/*
 * slokit SLO datasource: the frontend module Grafana loads (AMD, with Grafana's shared
 * `@grafana/*` and `react` modules as externals, as create-plugin's webpack output is).
 *
 * This is a hand-written stopgap so the plugin is usable before the TypeScript frontend in
 * `frontend/` (create-plugin conventions, unit tests) exists. It is plain ES2017 without JSX: a
 * `DataSourceWithBackend` with template-variable support, a config editor built on Grafana's
 * standard HTTP settings (URL, basic auth, TLS, custom headers, timeout) plus the Mimir tenant and
 * a bearer token, and a query editor whose pickers are fed by the plugin's resources.
 */
define(['react', '@grafana/data', '@grafana/runtime', '@grafana/ui'], function (React, data, runtime, ui) {
  'use strict';
  var h = React.createElement;

  var QUERY_TYPES = [
    { value: 'status', label: 'Status table', description: 'One row per SLO: SLI, budget, burn rates, alerts' },
    { value: 'sli', label: 'SLI', description: 'Share of good events over a window' },
    { value: 'burn_rate', label: 'Burn rate', description: 'Per window, with alert tiers as thresholds' },
    { value: 'budget_remaining', label: 'Budget remaining', description: 'Over the rolling period' },
    { value: 'budget_burndown', label: 'Budget burn-down', description: 'Across the time range, against the ideal line' },
    { value: 'events', label: 'Events', description: 'Good and total events per second' },
  ];
  var WINDOWS = ['5m', '30m', '1h', '2h', '6h', '1d', '3d', 'period'].map(function (w) {
    return { value: w, label: w };
  });
  var SELECTORS = ['product', 'service', 'slo'];

  /* Replaces template variables; a multi-value variable becomes a list. */
  function interpolate(value, scopedVars) {
    var templateSrv = runtime.getTemplateSrv();
    var one = function (text) {
      if (typeof text !== 'string' || text.indexOf('$') < 0) {
        return [text];
      }
      var replaced = templateSrv.replace(text, scopedVars, 'json');
      try {
        var parsed = JSON.parse(replaced);
        return Array.isArray(parsed) ? parsed : [String(parsed)];
      } catch (e) {
        return [replaced];
      }
    };
    if (value === undefined || value === null) {
      return value;
    }
    var list = (Array.isArray(value) ? value : [value]).reduce(function (all, v) {
      return all.concat(one(v));
    }, []);
    return list.length === 1 ? list[0] : list;
  }

  class SlokitDataSource extends runtime.DataSourceWithBackend {
    constructor(instanceSettings) {
      super(instanceSettings);
    }

    getDefaultQuery() {
      return { queryType: 'status' };
    }

    filterQuery(query) {
      return !query.hide && !!query.queryType;
    }

    applyTemplateVariables(query, scopedVars) {
      var out = Object.assign({}, query);
      SELECTORS.concat(['window']).forEach(function (key) {
        out[key] = interpolate(query[key], scopedVars);
      });
      return out;
    }

    /* Variable queries: `products`, `services(<product>)`, `slos(<product>[, <service>])`. */
    metricFindQuery(query, options) {
      var text = runtime.getTemplateSrv().replace(String(query || ''), options && options.scopedVars);
      var match = /^\s*(products|services|slos)\s*(?:\(([^)]*)\))?\s*$/.exec(text);
      if (!match) {
        return Promise.reject(new Error('variable query must be `products`, `services(product)` or `slos(product, service)`'));
      }
      var args = (match[2] || '').split(',').map(function (s) { return s.trim(); }).filter(Boolean);
      var params = {};
      if (args[0]) { params.product = args[0]; }
      if (args[1]) { params.service = args[1]; }
      return this.getResource(match[1], params).then(function (body) {
        if (match[1] === 'products') {
          return body.products.map(function (p) { return { text: p.name }; });
        }
        if (match[1] === 'services') {
          return body.services.map(function (s) { return { text: s.name }; });
        }
        return body.slos.map(function (s) { return { text: s.slo }; });
      });
    }
  }

  function ConfigEditor(props) {
    var options = props.options;
    var jsonData = options.jsonData || {};
    var secure = options.secureJsonFields || {};
    var setJson = function (key, value) {
      var next = Object.assign({}, jsonData);
      next[key] = value;
      props.onOptionsChange(Object.assign({}, options, { jsonData: next }));
    };
    var setSecret = function (key, value) {
      var next = Object.assign({}, options.secureJsonData || {});
      next[key] = value;
      props.onOptionsChange(Object.assign({}, options, { secureJsonData: next }));
    };
    var resetSecret = function (key) {
      var fields = Object.assign({}, secure);
      fields[key] = false;
      var values = Object.assign({}, options.secureJsonData || {});
      values[key] = '';
      props.onOptionsChange(Object.assign({}, options, { secureJsonFields: fields, secureJsonData: values }));
    };
    return h('div', null,
      h(ui.DataSourceHttpSettings, {
        defaultUrl: 'http://localhost:9090',
        dataSourceConfig: options,
        onChange: props.onOptionsChange,
        showAccessOptions: false,
      }),
      h('h3', { className: 'page-heading' }, 'slokit'),
      h(ui.InlineField, { label: 'Tenant (X-Scope-OrgID)', labelWidth: 26, tooltip: 'Mimir or Cortex tenant; leave empty for Prometheus' },
        h(ui.Input, {
          width: 40,
          value: jsonData.tenantId || '',
          onChange: function (e) { setJson('tenantId', e.currentTarget.value); },
        })),
      h(ui.InlineField, { label: 'Bearer token', labelWidth: 26, tooltip: 'Sent as `Authorization: Bearer` when basic auth is off' },
        h(ui.SecretInput, {
          width: 40,
          isConfigured: !!secure.bearerToken,
          value: (options.secureJsonData || {}).bearerToken || '',
          onReset: function () { resetSecret('bearerToken'); },
          onChange: function (e) { setSecret('bearerToken', e.currentTarget.value); },
        })));
  }

  /* Options for one picker, loaded from the plugin's resources. */
  function useOptions(datasource, resource, params, pick) {
    var state = React.useState([]);
    var key = resource + JSON.stringify(params);
    React.useEffect(function () {
      var live = true;
      datasource.getResource(resource, params).then(function (body) {
        if (live) {
          state[1](pick(body).map(function (v) { return { value: v, label: v }; }));
        }
      }).catch(function () { if (live) { state[1]([]); } });
      return function () { live = false; };
    }, [key]);
    return state[0];
  }

  function QueryEditor(props) {
    var query = props.query;
    var datasource = props.datasource;
    var change = function (key, value) {
      var next = Object.assign({}, query);
      next[key] = value;
      props.onChange(next);
      props.onRunQuery();
    };
    var scope = {};
    if (typeof query.product === 'string' && query.product) { scope.product = query.product; }
    if (typeof query.service === 'string' && query.service) { scope.service = query.service; }
    var products = useOptions(datasource, 'products', {}, function (b) { return b.products.map(function (p) { return p.name; }); });
    var services = useOptions(datasource, 'services', scope.product ? { product: scope.product } : {},
      function (b) { return b.services.map(function (s) { return s.name; }); });
    var slos = useOptions(datasource, 'slos', scope, function (b) { return b.slos.map(function (s) { return s.slo; }); });
    var picker = function (key, label, options) {
      var value = query[key];
      var values = value === undefined || value === null ? [] : (Array.isArray(value) ? value : [value]);
      return h(ui.InlineField, { label: label, labelWidth: 10 },
        h(ui.MultiSelect, {
          width: 30,
          allowCustomValue: true,
          placeholder: 'all',
          options: options,
          value: values,
          onChange: function (selected) {
            var list = selected.map(function (s) { return s.value; });
            change(key, list.length === 0 ? undefined : (list.length === 1 ? list[0] : list));
          },
        }));
    };
    var needsWindow = ['sli', 'burn_rate', 'events'].indexOf(query.queryType) >= 0;
    return h('div', null,
      h(ui.InlineFieldRow, null,
        h(ui.InlineField, { label: 'Query', labelWidth: 10 },
          h(ui.Select, {
            width: 30,
            options: QUERY_TYPES,
            value: query.queryType || 'status',
            onChange: function (v) { change('queryType', v.value); },
          })),
        needsWindow ? h(ui.InlineField, { label: 'Window', labelWidth: 10 },
          h(ui.Select, {
            width: 16,
            allowCustomValue: true,
            options: WINDOWS,
            value: query.window || (query.queryType === 'sli' ? 'period' : query.queryType === 'events' ? '5m' : '1h'),
            onChange: function (v) { change('window', v.value); },
          })) : null),
      h(ui.InlineFieldRow, null,
        picker('product', 'Product', products),
        picker('service', 'Service', services),
        picker('slo', 'SLO', slos)));
  }

  var plugin = new data.DataSourcePlugin(SlokitDataSource)
    .setConfigEditor(ConfigEditor)
    .setQueryEditor(QueryEditor);

  return { plugin: plugin };
});
