/*
 * slokit SLO datasource: the frontend module Grafana loads (AMD, with Grafana's shared
 * `@grafana/*` and `react` modules as externals, as create-plugin's webpack output is).
 *
 * A hand-written equivalent of the TypeScript frontend in `frontend/`, which `build-dist.sh` ships
 * when `frontend/node_modules` is not installed (no build step). It is plain ES2017 without JSX: a
 * `DataSourceWithBackend` with template-variable support (the same logic as
 * `frontend/src/variables.ts`: variable queries in text or object form, multi-value variables as
 * lists), a config editor built on Grafana's standard HTTP settings (URL, basic auth, TLS, custom
 * headers, timeout) plus the Mimir tenant and a bearer token, and a query editor whose pickers are
 * fed by the plugin's resources.
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

  /*
   * Template variables, mirroring `frontend/src/variables.ts` (unit tested there): keep the two
   * in step.
   */

  /* Interpolates a selector (one value, a list or nothing): each `$var` that expands to several
   * values (`json` format gives a JSON list) adds them all; duplicates are dropped. */
  function interpolateSelector(value, replace) {
    if (value === undefined || value === null) {
      return undefined;
    }
    var values = [];
    (Array.isArray(value) ? value : [value]).forEach(function (item) {
      item = String(item);
      if (item.indexOf('$') < 0) {
        values.push(item);
        return;
      }
      var replaced = replace(item);
      try {
        var parsed = JSON.parse(replaced);
        if (Array.isArray(parsed)) {
          parsed.forEach(function (v) { values.push(String(v)); });
        } else {
          values.push(String(parsed));
        }
      } catch (e) {
        values.push(replaced);
      }
    });
    var unique = values.filter(function (v, i) { return values.indexOf(v) === i; });
    return unique.length === 1 ? unique[0] : unique;
  }

  var RESOURCES = ['products', 'services', 'slos'];
  var FORMS = 'variable query must be `products`, `services(product)`, `slos(product, service)` or {"resource": ...}';

  /* The text form: `products`, `services(<product>)` or `slos(<product>[, <service>])`. */
  function parseVariableQuery(text) {
    var match = /^\s*(products|services|slos)\s*(?:\(([^)]*)\))?\s*$/.exec(text);
    if (!match) {
      throw new Error('variable query must be `products`, `services(product)` or `slos(product, service)`');
    }
    var resource = match[1];
    var args = (match[2] || '').split(',').map(function (s) { return s.trim(); }).filter(function (s) { return s.length > 0; });
    var params = {};
    if (resource !== 'products') {
      if (args[0]) { params.product = args[0]; }
      if (resource === 'slos' && args[1]) { params.service = args[1]; }
    }
    return { resource: resource, params: params };
  }

  /*
   * A variable query in either form, with its parameters interpolated: the text form above, or the
   * object the generated dashboards write, `{"resource": "slos", "product": "shop", "service":
   * "$service"}`. Parameters are interpolated one by one after parsing, so a multi-value variable
   * (or "All") becomes a list, which `getResource` sends as a repeated query parameter.
   */
  function toVariableQuery(query, replace) {
    var parsed;
    if (typeof query === 'string') {
      parsed = parseVariableQuery(query);
    } else if (query !== null && typeof query === 'object' && RESOURCES.indexOf(query.resource) >= 0) {
      var resource = query.resource;
      var keys = resource === 'products' ? [] : resource === 'services' ? ['product'] : ['product', 'service'];
      var fields = {};
      keys.forEach(function (key) {
        var value = query[key];
        if (typeof value === 'string' && value.trim() !== '') {
          fields[key] = value.trim();
        }
      });
      parsed = { resource: resource, params: fields };
    } else {
      throw new Error(FORMS);
    }
    var params = {};
    Object.keys(parsed.params).forEach(function (key) {
      var value = parsed.params[key];
      var interpolated = interpolateSelector(Array.isArray(value) ? value : [value], replace);
      if (interpolated !== undefined && interpolated.length > 0) {
        params[key] = interpolated;
      }
    });
    return { resource: parsed.resource, params: params };
  }

  /* The names a resource answer lists, for a variable's values. */
  function resourceNames(resource, body) {
    var list = function (key) { return (body && body[key]) || []; };
    switch (resource) {
      case 'products':
        return list('products').map(function (p) { return p.name; });
      case 'services':
        return list('services').map(function (s) { return s.name; });
      default:
        return list('slos').map(function (s) { return s.slo; });
    }
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
      var templateSrv = runtime.getTemplateSrv();
      var replace = function (text) { return templateSrv.replace(text, scopedVars, 'json'); };
      var out = Object.assign({}, query);
      SELECTORS.forEach(function (key) {
        out[key] = interpolateSelector(query[key], replace);
      });
      out.window = query.window ? templateSrv.replace(query.window, scopedVars) : query.window;
      return out;
    }

    /* A variable query: text (`slos(shop, $service)`) or the generated dashboards' object form. */
    metricFindQuery(query, options) {
      var self = this;
      var replace = function (text) {
        return runtime.getTemplateSrv().replace(text, options && options.scopedVars, 'json');
      };
      return Promise.resolve().then(function () {
        var parsed = toVariableQuery(query, replace);
        return self.getResource(parsed.resource, parsed.params).then(function (body) {
          return resourceNames(parsed.resource, body).map(function (text) { return { text: text }; });
        });
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
