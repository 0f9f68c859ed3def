//! Building blocks of Grafana's dashboard JSON: panels with their grid position, thresholds, value
//! mappings and the options each panel type requires (the fields the dashboard JSON Schemas list
//! as required, so that a dashboard opened and saved by Grafana changes as little as possible).

use serde_json::{json, Value};

/// Assigns panel ids in order, so ids are unique within a dashboard and stable across runs.
pub struct Ids(u32);

impl Ids {
    pub fn new() -> Ids {
        Ids(0)
    }

    pub fn next(&mut self) -> u32 {
        self.0 += 1;
        self.0
    }
}

/// A position on Grafana's 24-column grid.
#[derive(Clone, Copy, Debug)]
pub struct Pos {
    pub x: u32,
    pub y: u32,
    pub w: u32,
    pub h: u32,
}

pub fn pos(x: u32, y: u32, w: u32, h: u32) -> Pos {
    Pos { x, y, w, h }
}

/// A panel of `kind` with its targets, field defaults, overrides and options.
#[allow(clippy::too_many_arguments)]
pub fn panel(
    ids: &mut Ids,
    kind: &str,
    title: &str,
    description: &str,
    at: Pos,
    datasource: &Value,
    targets: Vec<Value>,
    defaults: Value,
    overrides: Vec<Value>,
    options: Value,
) -> Value {
    json!({
        "id": ids.next(),
        "type": kind,
        "title": title,
        "description": description,
        "gridPos": {"x": at.x, "y": at.y, "w": at.w, "h": at.h},
        "datasource": datasource,
        "targets": targets,
        "fieldConfig": {"defaults": defaults, "overrides": overrides},
        "options": options,
    })
}

/// A row header spanning the grid; its panels follow it in the dashboard's list (not collapsed).
pub fn row(ids: &mut Ids, title: &str, y: u32) -> Value {
    json!({
        "id": ids.next(),
        "type": "row",
        "title": title,
        "collapsed": false,
        "gridPos": {"x": 0, "y": y, "w": 24, "h": 1},
        "panels": [],
    })
}

/// Threshold steps: a base colour, then `(value, colour)` in ascending order.
pub fn thresholds(base: &str, steps: &[(f64, &str)]) -> Value {
    let mut list = vec![json!({"color": base, "value": null})];
    for (value, color) in steps {
        list.push(json!({"color": color, "value": value}));
    }
    json!({"mode": "absolute", "steps": list})
}

/// Red when spent, orange under a quarter left, green otherwise (the plugin uses the same).
pub fn budget_thresholds() -> Value {
    thresholds("red", &[(0.0, "orange"), (0.25, "green")])
}

/// Field defaults of a budget-remaining gauge or bar: a share from 0 to 1, coloured by
/// [`budget_thresholds`].
pub fn budget_remaining_defaults() -> Value {
    json!({
        "unit": "percentunit",
        "decimals": 1,
        "min": 0,
        "max": 1,
        "thresholds": budget_thresholds(),
        "color": {"mode": "thresholds"},
    })
}

pub fn legend(placement: &str) -> Value {
    json!({"displayMode": "list", "placement": placement, "showLegend": true, "calcs": []})
}

pub fn tooltip() -> Value {
    json!({"mode": "multi", "sort": "desc"})
}

pub fn reduce(calc: &str, fields: &str) -> Value {
    json!({"values": false, "calcs": [calc], "fields": fields})
}

/// Time-series options and `custom` field defaults with threshold lines drawn.
pub fn timeseries_options() -> Value {
    json!({"legend": legend("bottom"), "tooltip": tooltip()})
}

pub fn timeseries_custom(thresholds_style: &str) -> Value {
    json!({
        "drawStyle": "line",
        "lineWidth": 1,
        "fillOpacity": 10,
        "showPoints": "never",
        "spanNulls": false,
        "axisPlacement": "auto",
        "thresholdsStyle": {"mode": thresholds_style},
    })
}

pub fn stat_options(calc: &str, fields: &str) -> Value {
    json!({
        "graphMode": "none",
        "colorMode": "background",
        "justifyMode": "center",
        "textMode": "value",
        "wideLayout": true,
        "showPercentChange": false,
        "reduceOptions": reduce(calc, fields),
        "percentChangeColorMode": "standard",
        "orientation": "auto",
    })
}

pub fn gauge_options() -> Value {
    json!({
        "showThresholdLabels": false,
        "showThresholdMarkers": true,
        "sizing": "auto",
        "minVizWidth": 75,
        "minVizHeight": 75,
        "reduceOptions": reduce("lastNotNull", ""),
        "orientation": "auto",
    })
}

pub fn bargauge_options() -> Value {
    json!({
        "displayMode": "gradient",
        "valueMode": "color",
        "namePlacement": "auto",
        "showUnfilled": true,
        "sizing": "auto",
        "minVizWidth": 8,
        "minVizHeight": 16,
        "maxVizHeight": 300,
        "legend": {"displayMode": "list", "placement": "bottom", "showLegend": false, "calcs": []},
        "reduceOptions": reduce("lastNotNull", ""),
        "orientation": "horizontal",
    })
}

pub fn table_options(sort_by: &str) -> Value {
    json!({
        "frameIndex": 0,
        "showHeader": true,
        "cellHeight": "sm",
        "sortBy": [{"displayName": sort_by, "desc": false}],
        "footer": {"show": false, "reducer": ["sum"], "countRows": false},
    })
}

pub fn state_timeline_options() -> Value {
    json!({
        "showValue": "never",
        "rowHeight": 0.9,
        "mergeValues": true,
        "alignValue": "left",
        "legend": legend("bottom"),
        "tooltip": {"mode": "single", "sort": "none"},
    })
}

/// A value mapping from exact values to text and colour.
pub fn value_mapping(entries: &[(&str, &str, &str)]) -> Value {
    let mut options = serde_json::Map::new();
    for (index, (value, text, color)) in entries.iter().enumerate() {
        options.insert(
            (*value).to_string(),
            json!({"text": text, "color": color, "index": index}),
        );
    }
    json!({"type": "value", "options": options})
}

/// An override of the field named `name`, setting `properties` (`(id, value)` pairs).
pub fn override_by_name(name: &str, properties: Vec<(&str, Value)>) -> Value {
    let properties: Vec<Value> = properties
        .into_iter()
        .map(|(id, value)| json!({"id": id, "value": value}))
        .collect();
    json!({"matcher": {"id": "byName", "options": name}, "properties": properties})
}

/// A data link or dashboard link to a Grafana path; every field the schema requires is present.
pub fn link(title: &str, url: &str, tooltip: &str) -> Value {
    json!({
        "title": title,
        "type": "link",
        "icon": "dashboard",
        "tooltip": tooltip,
        "url": url,
        "tags": [],
        "asDropdown": false,
        "targetBlank": false,
        "includeVars": false,
        "keepTime": true,
    })
}

/// The dashboards menu listing every slokit dashboard by tag.
pub fn tag_menu(tag: &str) -> Value {
    json!({
        "title": "SLO dashboards",
        "type": "dashboards",
        "icon": "external link",
        "tooltip": "",
        "tags": [tag],
        "asDropdown": true,
        "targetBlank": false,
        "includeVars": false,
        "keepTime": true,
    })
}

/// Formats a ratio as a percentage for titles: 0.999 is `99.9%`, 0.99995 is `99.995%`.
pub fn percent(ratio: f64) -> String {
    let text = format!("{:.4}", ratio * 100.0);
    let text = text.trim_end_matches('0').trim_end_matches('.');
    format!("{text}%")
}

/// A factor for titles and legends: `14.4x`, `6x`.
pub fn factor(value: f64) -> String {
    let text = format!("{value:.3}");
    let text = text.trim_end_matches('0').trim_end_matches('.');
    format!("{text}x")
}

/// A whole dashboard: what every generated dashboard shares (browser time zone, shared
/// crosshair, a 1m refresh over the last 7 days, the schema version) around its own identity,
/// links, variables, annotations and panels.
pub struct Dashboard {
    pub uid: String,
    pub title: String,
    pub description: String,
    pub tags: Vec<String>,
    pub links: Vec<Value>,
    pub variables: Vec<Value>,
    pub annotations: Vec<Value>,
    pub panels: Vec<Value>,
}

impl Dashboard {
    pub fn into_json(self) -> Value {
        json!({
            "uid": self.uid,
            "title": self.title,
            "description": self.description,
            "tags": self.tags,
            "timezone": "browser",
            "editable": true,
            "graphTooltip": 1,
            "fiscalYearStartMonth": 0,
            "liveNow": false,
            "refresh": "1m",
            "schemaVersion": crate::SCHEMA_VERSION,
            "time": {"from": "now-7d", "to": "now"},
            "timepicker": {},
            "links": self.links,
            "templating": {"list": self.variables},
            "annotations": {"list": self.annotations},
            "panels": self.panels,
        })
    }
}
