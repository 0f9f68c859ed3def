//! Sloth specs: `version: prometheus/v1` files (snake_case keys) and Kubernetes
//! `sloth.slok.dev/v1` `PrometheusServiceLevel` manifests (camelCase keys under `spec`), plus
//! Sloth's `AlertWindows` documents. Every field Sloth knows is accepted; unknown keys are errors,
//! where Sloth silently ignores them. What slokit cannot do (Go SLI plugins, most SLO plugins) is
//! an error that says how to rewrite the spec, never a silent drop.
//!
//! Sloth has no period per SLO: it picks one for the whole run by command-line flag (30 days by
//! default). slokit has no such flag, so every Sloth SLO gets [`DEFAULT_PERIOD`]. An `AlertWindows`
//! table whose `sloPeriod` is that period replaces the default alert tiers of every Sloth SLO in the
//! run; tables for other periods are validated but cannot apply, which a warning says.

use super::{common, Budget, Drafts, Registry as All, SloDraft};
use crate::conventions::{burn_factor, DEFAULT_PERIOD};
use crate::diag::{Diagnostic, Diagnostics};
use crate::duration::Duration;
use crate::load::decode::{Field, Map};
use crate::load::source::Span;
use crate::load::yaml::{Document, Node, NodeKind};
use crate::model::{
    AlertTier, Alerting, BurnWindow, Counted, EventSource, Indicator, Origin, RatioIndicator,
    Review, Slo, SpecFormat,
};
use crate::promql;
use std::collections::BTreeMap;

/// Alert tables declared by `AlertWindows` documents, filled by the first pass.
#[derive(Default)]
pub struct Registry {
    windows: Vec<WindowTable>,
}

struct WindowTable {
    period: Duration,
    tiers: Vec<AlertTier>,
    span: Span,
}

impl Registry {
    /// The tiers every Sloth SLO starts from: the `AlertWindows` table for the default period if
    /// one was loaded, otherwise slokit's defaults (the same SRE workbook table Sloth uses).
    fn tiers(&self) -> Vec<AlertTier> {
        self.windows
            .iter()
            .find(|t| t.period == DEFAULT_PERIOD)
            .map(|t| t.tiers.clone())
            .unwrap_or_else(|| common::default_tiers(DEFAULT_PERIOD))
    }
}

/// The text of a scalar entry of a mapping, read without reporting anything. The first pass uses
/// it to recognise kinds; the second pass reports whatever is wrong with them.
fn peek<'a>(node: &'a Node, key: &str) -> Option<&'a str> {
    let NodeKind::Map(entries) = &node.kind else {
        return None;
    };
    entries
        .iter()
        .find(|(k, _)| k.name == key)
        .and_then(|(_, v)| match &v.kind {
            NodeKind::Scalar(s) => Some(s.text.as_str()),
            _ => None,
        })
}

/// The first pass: `AlertWindows` documents are decoded and checked here, so that the tables exist
/// whichever file order the SLOs come in.
pub fn register(doc: &Document, reg: &mut Registry, diags: &mut Diagnostics) {
    if peek(&doc.root, "kind") == Some("AlertWindows") {
        alert_windows(doc, reg, diags);
    }
}

fn alert_windows(doc: &Document, reg: &mut Registry, diags: &mut Diagnostics) {
    let Some(mut root) = Field::new(&doc.root, "").map(diags) else {
        return;
    };
    root.ignore(&["apiVersion", "kind", "metadata"]);
    let spec = root.required("spec", diags);
    root.finish(diags);
    let Some(mut spec) = spec.and_then(|f| f.map(diags)) else {
        return;
    };
    let period_field = spec.required("sloPeriod", diags);
    let period = period_field
        .as_ref()
        .and_then(|f| common::duration(f, diags));
    let mut tiers = Vec::new();
    for severity in ["page", "ticket"] {
        let Some(mut tier_map) = spec.required(severity, diags).and_then(|f| f.map(diags)) else {
            continue;
        };
        let mut windows = Vec::new();
        for speed in ["quick", "slow"] {
            if let Some(field) = tier_map.required(speed, diags) {
                if let Some(window) = alert_window(&field, period, diags) {
                    windows.push(window);
                }
            }
        }
        tier_map.finish(diags);
        tiers.push(AlertTier {
            severity: severity.to_string(),
            windows,
            labels: BTreeMap::new(),
            annotations: BTreeMap::new(),
        });
    }
    spec.finish(diags);
    let (Some(period), Some(period_field)) = (period, period_field) else {
        return;
    };
    if let Some(first) = reg.windows.iter().find(|t| t.period == period) {
        diags.push(
            period_field
                .error(format!(
                    "alert windows for the period `{period}` are defined twice"
                ))
                .note_at("first defined", first.span)
                .help("keep one `AlertWindows` document per period"),
        );
        return;
    }
    if period != DEFAULT_PERIOD {
        diags.push(
            period_field
                .warning(format!(
                    "alert windows for `{period}` are not used: every Sloth SLO has a {DEFAULT_PERIOD} period"
                ))
                .note("Sloth picks the period of all SLOs by command-line flag; slokit has no such flag and reads Sloth SLOs as 30 days")
                .help("to measure an SLO over another period, write it in the `slo.dev/v1` format, which sets a window per SLO"),
        );
    }
    reg.windows.push(WindowTable {
        period,
        tiers,
        span: period_field.span(),
    });
}

/// One `quick` or `slow` window: alert when `errorBudgetPercent` of the period's budget would be
/// spent within `longWindow`, so the burn-rate factor is `share * period / longWindow`.
fn alert_window(
    field: &Field<'_>,
    period: Option<Duration>,
    diags: &mut Diagnostics,
) -> Option<BurnWindow> {
    let mut map = field.map(diags)?;
    let percent_field = map.required("errorBudgetPercent", diags);
    let short_field = map.required("shortWindow", diags);
    let long_field = map.required("longWindow", diags);
    map.finish(diags);
    let percent_field = percent_field?;
    let percent = percent_field.number(diags)?;
    if !(percent > 0.0 && percent <= 100.0) {
        diags.push(percent_field.error(format!(
            "`errorBudgetPercent` is {}; it must be above 0 and at most 100",
            common::trim_float(percent)
        )));
        return None;
    }
    let short = common::duration(&short_field?, diags)?;
    let long_field = long_field?;
    let long = common::duration(&long_field, diags)?;
    if short >= long {
        diags.push(
            long_field
                .error(format!(
                    "`longWindow` `{long}` must be longer than `shortWindow` `{short}`"
                ))
                .help("the short window confirms that the long window's burn is still going on; swap them"),
        );
        return None;
    }
    let period = period?;
    if long > period {
        diags.push(long_field.error(format!(
            "`longWindow` `{long}` is longer than the SLO period `{period}`"
        )));
        return None;
    }
    Some(BurnWindow {
        long,
        short,
        factor: crate::conventions::tiers::round_factor(burn_factor(percent / 100.0, period, long)),
    })
}

/// The spelling of a key: Kubernetes manifests use camelCase, `prometheus/v1` files snake_case.
fn key(kube: bool, snake: &'static str, camel: &'static str) -> &'static str {
    if kube {
        camel
    } else {
        snake
    }
}

/// What every SLO of one document shares.
struct Context<'r> {
    kube: bool,
    file: &'r str,
    service: Option<String>,
    labels: BTreeMap<String, String>,
    tiers: Vec<AlertTier>,
}

/// The second pass: a `prometheus/v1` file or a `PrometheusServiceLevel` manifest becomes one
/// [`SloDraft`] per SLO. `AlertWindows` were handled by [`register`].
pub fn decode(
    doc: &Document,
    file: &str,
    reg: &All<'_>,
    drafts: &mut Drafts,
    diags: &mut Diagnostics,
) {
    let root = Field::new(&doc.root, "");
    let Some(mut map) = root.map(diags) else {
        return;
    };
    let kube = !map.has("version");
    if !kube {
        map.ignore(&["version"]);
        service_level(map, kube, file, reg, drafts, diags);
        return;
    }
    map.ignore(&["apiVersion"]);
    let Some((kind, _)) = super::kind(&mut map, &["PrometheusServiceLevel", "AlertWindows"], diags)
    else {
        return;
    };
    if kind == "AlertWindows" {
        return;
    }
    if let Some(meta) = map.required("metadata", diags) {
        kube_metadata(&meta, diags);
    }
    // `status` is written by the Sloth controller into the cluster's copy of the manifest.
    map.ignore(&["status"]);
    let spec = map.required("spec", diags);
    map.finish(diags);
    if let Some(spec) = spec.and_then(|f| f.map(diags)) {
        service_level(spec, kube, file, reg, drafts, diags);
    }
}

/// Kubernetes metadata of the manifest. Its labels and annotations label the generated
/// `PrometheusRule` object in Sloth, not the SLOs, so they are checked for shape and not used.
fn kube_metadata(field: &Field<'_>, diags: &mut Diagnostics) {
    let Some(mut meta) = field.map(diags) else {
        return;
    };
    if let Some(name) = meta.required("name", diags) {
        name.non_empty(diags);
    }
    for key in ["labels", "annotations"] {
        if let Some(f) = meta.get(key) {
            f.string_map(diags);
        }
    }
    meta.ignore(&[
        "namespace",
        "uid",
        "resourceVersion",
        "generation",
        "creationTimestamp",
        "managedFields",
        "ownerReferences",
        "finalizers",
    ]);
    meta.finish(diags);
}

/// The body both formats share: `service`, `labels`, `slos` and the SLO plugin chain.
fn service_level(
    mut map: Map<'_>,
    kube: bool,
    file: &str,
    all: &All<'_>,
    drafts: &mut Drafts,
    diags: &mut Diagnostics,
) {
    let (reg, budget) = (&all.sloth, &all.budget);
    let service = map.required("service", diags).and_then(|f| {
        let name = f.non_empty(diags)?;
        common::check_file_safe_name(&f, &name, "service", diags).then_some(name)
    });
    let labels = common::optional_labels(&mut map, "labels", diags);
    if let Some(plugins) = map.get(key(kube, "slo_plugins", "sloPlugins")) {
        slo_plugins(&plugins, diags);
    }
    let slos = map.required("slos", diags);
    map.finish(diags);
    let Some(slos) = slos else {
        return;
    };
    let items = slos.list(diags);
    if items.is_empty() && matches!(slos.node.kind, NodeKind::Seq(_) | NodeKind::Null) {
        diags.push(
            slos.error("`slos` is empty")
                .help("add at least one SLO, or delete the file"),
        );
    }
    let context = Context {
        kube,
        file,
        service,
        labels,
        tiers: reg.tiers(),
    };
    for item in items {
        slo(&item, &context, budget, drafts, diags);
    }
}

fn slo(
    item: &Field<'_>,
    context: &Context<'_>,
    budget: &Budget,
    drafts: &mut Drafts,
    diags: &mut Diagnostics,
) {
    let kube = context.kube;
    let Some(mut map) = item.map(diags) else {
        return;
    };
    let name = map.required("name", diags).and_then(|f| {
        let name = f.non_empty(diags)?;
        common::check_file_safe_name(&f, &name, "SLO", diags).then_some(name)
    });
    // Sloth derives the id from the service and the name; an explicit one only renames its series.
    if let Some(id) = map.get("id") {
        id.string(diags);
    }
    let objective = map
        .required("objective", diags)
        .and_then(|f| common::objective_percent(&f, diags));
    let description = map.get("description").and_then(|f| f.string(diags));
    let own_labels = common::optional_labels(&mut map, "labels", diags);
    let indicator = map
        .required("sli", diags)
        .and_then(|f| sli(&f, kube, diags));
    if let Some(plugins) = map.get("plugins") {
        slo_plugins(&plugins, diags);
    }
    let alerting = match map.get("alerting") {
        Some(f) => alerting(&f, kube, context.tiers.clone(), diags),
        None => Some(alerting_from(context.tiers.clone(), None)),
    };
    map.finish(diags);

    let (Some(service), Some(name), Some(objective), Some(indicator), Some(alerting)) = (
        context.service.clone(),
        name,
        objective,
        indicator,
        alerting,
    ) else {
        return;
    };
    // Cloned only for an SLO that is built (and charged to the budget): the shared labels may be
    // large and the `slos` list long.
    let mut labels = context.labels.clone();
    labels.extend(own_labels);
    // `owner` and `tier` are common Sloth labels; the model has fields for them.
    let owner = labels.remove("owner");
    let tier = labels.remove("tier");
    common::check_tiers(&alerting.tiers, objective, item.span(), &item.path, diags);
    let format = if kube {
        SpecFormat::SlothKubernetes
    } else {
        SpecFormat::Sloth
    };
    let slo = Slo {
        name,
        product: String::new(),
        service,
        display_name: None,
        description,
        objective,
        period: DEFAULT_PERIOD,
        indicator,
        group_by: Vec::new(),
        labels,
        owner,
        tier,
        alerting,
        phases: None,
        review: Review::default(),
        origin: Origin {
            file: context.file.to_string(),
            line: item.span().start.line,
            format,
        },
    };
    if !budget.slo(&slo, item.span(), &item.path, diags) {
        return;
    }
    drafts.slos.push(SloDraft {
        slo,
        product: None,
        span: item.span(),
    });
}

/// `sli`: exactly one of `events`, `raw` and `plugin`.
fn sli(field: &Field<'_>, kube: bool, diags: &mut Diagnostics) -> Option<Indicator> {
    let mut map = field.map(diags)?;
    let events = map.get("events");
    let raw = map.get("raw");
    let plugin = map.get("plugin");
    map.finish(diags);
    let given: Vec<&Field<'_>> = [&events, &raw, &plugin].into_iter().flatten().collect();
    match given.len() {
        0 => {
            diags.push(
                field
                    .error("`sli` must define one of `events`, `raw` or `plugin`")
                    .help(format!(
                        "add `events:` with `{}` and `{}`",
                        key(kube, "error_query", "errorQuery"),
                        key(kube, "total_query", "totalQuery")
                    )),
            );
            return None;
        }
        1 => {}
        _ => {
            diags.push(
                field
                    .error("`sli` defines more than one of `events`, `raw` and `plugin`")
                    .help("keep exactly one"),
            );
            return None;
        }
    }
    if let Some(events) = events {
        let mut map = events.map(diags)?;
        let error = map.required(key(kube, "error_query", "errorQuery"), diags);
        let total = map.required(key(kube, "total_query", "totalQuery"), diags);
        map.finish(diags);
        let error = common::window_query(&error?, diags);
        let total = common::window_query(&total?, diags);
        return Some(Indicator::Ratio(RatioIndicator {
            counts: Counted::Bad,
            numerator: EventSource::Query(error?),
            total: EventSource::Query(total?),
        }));
    }
    if let Some(raw) = raw {
        let mut map = raw.map(diags)?;
        let query = map.required(key(kube, "error_ratio_query", "errorRatioQuery"), diags);
        map.finish(diags);
        let error_ratio = common::window_query(&query?, diags)?;
        diags.push(
            raw.warning("a `raw` SLI's long windows are averages of its 5m ratios, not exact ratios")
                .note("an average of ratios weighs a quiet minute as much as a busy one, so long windows drift from the true error ratio when traffic is uneven")
                .help(format!(
                    "if the ratio comes from two counters, use `events` with `{}` and `{}` instead",
                    key(kube, "error_query", "errorQuery"),
                    key(kube, "total_query", "totalQuery")
                )),
        );
        return Some(Indicator::Raw { error_ratio });
    }
    if let Some(plugin) = plugin {
        let id = plugin.map(diags).and_then(|mut map| {
            let id = map.required("id", diags).and_then(|f| f.string(diags));
            map.ignore(&["options"]);
            map.finish(diags);
            id
        });
        diags.push(
            plugin
                .error(format!(
                    "SLI plugin `{}` cannot run in slokit",
                    id.unwrap_or_default()
                ))
                .note("Sloth SLI plugins are Go code that Sloth interprets at generation time")
                .help(format!(
                    "rewrite the SLI as `events` with the PromQL the plugin produces, in `{}` and `{}` over `{{{{.window}}}}`",
                    key(kube, "error_query", "errorQuery"),
                    key(kube, "total_query", "totalQuery")
                )),
        );
    }
    None
}

/// Sloth's SLO plugin chains (`slo_plugins` for the file, `plugins` per SLO). The core plugins only
/// do what slokit's generator does itself, so they are accepted with a warning. Contrib plugins
/// change the generated rules in ways slokit does not reproduce and are errors, except
/// `denominator_corrected_rules`, whose traffic weighting slokit's long windows already have.
fn slo_plugins(field: &Field<'_>, diags: &mut Diagnostics) {
    let Some(mut map) = field.map(diags) else {
        return;
    };
    if let Some(f) = map.get("overridePrevious") {
        f.boolean(diags);
    }
    let chain = map.get("chain");
    map.finish(diags);
    for item in chain.map(|c| c.list(diags)).unwrap_or_default() {
        let Some(mut plugin) = item.map(diags) else {
            continue;
        };
        let id_field = plugin.required("id", diags);
        if let Some(f) = plugin.get("priority") {
            f.number(diags);
        }
        plugin.ignore(&["config"]);
        plugin.finish(diags);
        let Some(id_field) = id_field else {
            continue;
        };
        let Some(id) = id_field.non_empty(diags) else {
            continue;
        };
        let diagnostic = if id.starts_with("sloth.dev/core/") {
            id_field
                .warning(format!("Sloth plugin `{id}` is not needed in slokit"))
                .note("slokit's generator writes the SLI, metadata and alert rules itself")
                .help("remove the plugin from the chain")
        } else if id.starts_with("sloth.dev/contrib/denominator_corrected_rules/") {
            id_field
                .warning(format!("Sloth plugin `{id}` is not needed in slokit"))
                .note("slokit's long windows divide summed event rates, so they are already weighted by traffic")
                .help("remove the plugin from the chain")
        } else {
            let mut d = id_field
                .error(format!("Sloth plugin `{id}` cannot run in slokit"))
                .note("Sloth SLO plugins are Go code that rewrites the generated rules");
            d = if id.starts_with("sloth.dev/contrib/info_labels/") {
                d.help("remove the plugin and move its labels into the SLO's `labels`")
            } else {
                d.help("remove the plugin from the chain; slokit generates the rules itself")
            };
            d
        };
        diags.push(diagnostic);
    }
}

/// `alerting`: the alert name, shared labels and annotations, and the page and ticket alerts.
fn alerting(
    field: &Field<'_>,
    kube: bool,
    tiers: Vec<AlertTier>,
    diags: &mut Diagnostics,
) -> Option<Alerting> {
    let mut map = field.map(diags)?;
    let name = match map.get("name") {
        Some(f) => {
            let name = f.non_empty(diags)?;
            if !promql::is_metric_name(&name) {
                diags.push(
                    f.error(format!("`{}` is not a valid alert name", name.escape_debug()))
                        .help("alert names match `[a-zA-Z_:][a-zA-Z0-9_:]*`, e.g. `MyServiceHighErrorRate`"),
                );
                return None;
            }
            Some(name)
        }
        None => None,
    };
    let labels = common::optional_labels(&mut map, "labels", diags);
    let annotations = common::optional_annotations(&mut map, "annotations", diags);
    let page = alert_key(&mut map, kube, "page_alert", "pageAlert", diags)
        .and_then(|f| tier_override(&f, diags));
    let ticket = alert_key(&mut map, kube, "ticket_alert", "ticketAlert", diags)
        .and_then(|f| tier_override(&f, diags));
    map.finish(diags);
    let mut tiers = tiers;
    for (severity, over) in [("page", page), ("ticket", ticket)] {
        let Some(over) = over else {
            continue;
        };
        if over.disable {
            tiers.retain(|t| t.severity != severity);
            continue;
        }
        if let Some(tier) = tiers.iter_mut().find(|t| t.severity == severity) {
            tier.labels.extend(over.labels);
            tier.annotations.extend(over.annotations);
        }
    }
    let mut out = alerting_from(tiers, name);
    out.labels = labels;
    out.annotations = annotations;
    Some(out)
}

/// Alerting with the given tiers; disabling both of Sloth's alerts disables alerting.
fn alerting_from(tiers: Vec<AlertTier>, name: Option<String>) -> Alerting {
    Alerting {
        name,
        ..Alerting::with_tiers(tiers)
    }
}

/// `page_alert` (or `pageAlert` in manifests). Sloth ignores the other format's spelling, as it
/// ignores every unknown key, and its own validation fixtures rely on that; slokit reads it with a
/// warning, because the author plainly meant the alert's settings.
fn alert_key<'a>(
    map: &mut Map<'a>,
    kube: bool,
    snake: &'static str,
    camel: &'static str,
    diags: &mut Diagnostics,
) -> Option<Field<'a>> {
    let (ours, theirs) = if kube { (camel, snake) } else { (snake, camel) };
    if let Some(found) = map.get(ours) {
        return Some(found);
    }
    let key_span = map.keys().find(|k| k.name == theirs).map(|k| k.span)?;
    let found = map.get(theirs)?;
    let format = if kube {
        "`PrometheusServiceLevel` manifests"
    } else {
        "`prometheus/v1` specs"
    };
    diags.push(
        Diagnostic::warning(format!(
            "`{theirs}` is not Sloth's spelling in {format}; Sloth ignores it, slokit reads it as `{ours}`"
        ))
        .at(key_span)
        .field(&found.path)
        .note("so the generated alert gets the labels and settings that Sloth left out")
        .help(format!("rename it to `{ours}`")),
    );
    Some(found)
}

struct TierOverride {
    disable: bool,
    labels: BTreeMap<String, String>,
    annotations: BTreeMap<String, String>,
}

fn tier_override(field: &Field<'_>, diags: &mut Diagnostics) -> Option<TierOverride> {
    if matches!(field.node.kind, NodeKind::Null) {
        return None;
    }
    let mut map = field.map(diags)?;
    let disable = map
        .get("disable")
        .and_then(|f| f.boolean(diags))
        .unwrap_or(false);
    let labels = common::optional_labels(&mut map, "labels", diags);
    let annotations = common::optional_annotations(&mut map, "annotations", diags);
    map.finish(diags);
    Some(TierOverride {
        disable,
        labels,
        annotations,
    })
}

#[cfg(test)]
mod tests {
    use crate::duration::Duration;
    use crate::load::test_load;
    use crate::model::{AlertTier, BurnWindow, Indicator, SpecFormat};

    /// Loads `yaml` as `test.yaml` and returns the rendered diagnostics.
    fn check(yaml: &str, expected: &str) {
        let (rendered, _) = test_load(&[("test.yaml", yaml)]);
        assert_eq!(rendered.trim_end(), expected.trim_end(), "input:\n{yaml}");
    }

    fn spec(slo: &str) -> String {
        format!("version: prometheus/v1\nservice: svc\nslos:\n{slo}")
    }

    const EVENTS: &str = "  sli:\n    events:\n      error_query: sum(rate(e[{{.window}}]))\n      total_query: sum(rate(t[{{.window}}]))\n";

    /// A tier's windows as `long/short factor` strings.
    fn windows(tier: &AlertTier) -> Vec<String> {
        tier.windows
            .iter()
            .map(|w: &BurnWindow| format!("{}/{} {}", w.long, w.short, w.factor))
            .collect()
    }

    #[test]
    fn events_become_a_bad_ratio_with_default_tiers() {
        let yaml = spec(&format!("- name: avail\n  objective: 99.9\n{EVENTS}"));
        let (rendered, catalog) = test_load(&[("test.yaml", &yaml)]);
        assert_eq!(rendered, "");
        let slo = catalog.slos().next().expect("one SLO");
        assert_eq!(
            (
                slo.name.as_str(),
                slo.service.as_str(),
                slo.product.as_str()
            ),
            ("avail", "svc", "svc")
        );
        assert!((slo.objective - 0.999).abs() < 1e-12);
        assert_eq!(slo.period, Duration::from_days(30));
        assert_eq!(slo.origin.line, 4);
        assert_eq!(slo.origin.format, SpecFormat::Sloth);
        let Indicator::Ratio(ratio) = &slo.indicator else {
            panic!("{:?}", slo.indicator)
        };
        assert_eq!(ratio.counts, crate::model::Counted::Bad);
        assert_eq!(slo.alerting.tiers.len(), 2);
        assert_eq!(windows(&slo.alerting.tiers[0]), ["1h/5m 14.4", "6h/30m 6"]);
        assert!(slo.alerting.enabled);
    }

    #[test]
    fn labels_merge_and_owner_and_tier_become_fields() {
        let yaml = "version: prometheus/v1\nservice: svc\nlabels: {owner: team-a, tier: \"2\", a: x, b: y}\nslos:\n- name: s\n  objective: 99\n  labels: {b: z}\n".to_string() + EVENTS;
        let (rendered, catalog) = test_load(&[("test.yaml", &yaml)]);
        assert_eq!(rendered, "");
        let slo = catalog.slos().next().expect("one SLO");
        assert_eq!(slo.owner.as_deref(), Some("team-a"));
        assert_eq!(slo.tier.as_deref(), Some("2"));
        assert_eq!(
            slo.labels
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect::<Vec<_>>(),
            ["a=x", "b=z"]
        );
    }

    #[test]
    fn page_and_ticket_alerts_override_and_disable_tiers() {
        let yaml = spec(&format!("- name: s\n  objective: 99.9\n{EVENTS}  alerting:\n    name: Alert\n    page_alert:\n      labels: {{severity: pageteam}}\n    ticket_alert:\n      disable: true\n"));
        let (rendered, catalog) = test_load(&[("test.yaml", &yaml)]);
        assert_eq!(rendered, "");
        let slo = catalog.slos().next().expect("one SLO");
        assert_eq!(slo.alerting.name.as_deref(), Some("Alert"));
        assert_eq!(slo.alerting.tiers.len(), 1);
        assert_eq!(slo.alerting.tiers[0].severity, "page");
        assert_eq!(slo.alerting.tiers[0].labels["severity"], "pageteam");

        let yaml = spec(&format!("- name: s\n  objective: 99.9\n{EVENTS}  alerting:\n    page_alert: {{disable: true}}\n    ticket_alert: {{disable: true}}\n"));
        let (_, catalog) = test_load(&[("test.yaml", &yaml)]);
        let slo = catalog.slos().next().expect("one SLO");
        assert!(!slo.alerting.enabled);
        assert!(slo.alerting.tiers.is_empty());
    }

    #[test]
    fn kubernetes_manifests_use_camel_case() {
        let yaml = "apiVersion: sloth.slok.dev/v1\nkind: PrometheusServiceLevel\nmetadata:\n  name: x\n  labels: {app.kubernetes.io/name: sloth}\nspec:\n  service: svc\n  slos:\n  - name: s\n    objective: 99\n    sli:\n      raw:\n        errorRatioQuery: rate(e[{{.window}}])\n";
        let (rendered, catalog) = test_load(&[("test.yaml", yaml)]);
        assert!(rendered.starts_with("warning: a `raw` SLI's long windows are averages of its 5m ratios, not exact ratios\n  --> test.yaml:13:9\n"), "{rendered}");
        let slo = catalog.slos().next().expect("one SLO");
        assert_eq!(slo.origin.format, SpecFormat::SlothKubernetes);
        assert_eq!(slo.origin.line, 9);
        assert!(matches!(slo.indicator, Indicator::Raw { .. }));
    }

    #[test]
    fn rejects_what_sloth_accepts_silently() {
        check(
            &spec(&format!("- name: s\n  objective: 100\n{EVENTS}")),
            "error: objective `100` is 100%, which leaves no error budget
  --> test.yaml:5:14
   |
 5 |   objective: 100
   |              ^^^
   = field: slos[0].objective
   = note: burn rates divide by the error budget, so a 100% objective makes every alert and budget series infinite
   = help: use an objective below 100, such as `99.99`",
        );
        check(
            &spec("- name: s\n  objective: 99\n  sli:\n    events:\n      errorQuery: x\n      total_query: y\n"),
            "error: missing required field `error_query`
  --> test.yaml:8:7
   |
 8 |       errorQuery: x
   |       ^
   = field: slos[0].sli.events
   = help: add `error_query:` here

error: unknown field `errorQuery`
  --> test.yaml:8:7
   |
 8 |       errorQuery: x
   |       ^^^^^^^^^^
   = field: slos[0].sli.events.errorQuery
   = help: did you mean `error_query`?",
        );
    }

    #[test]
    fn sli_must_have_exactly_one_source() {
        check(
            &spec("- name: s\n  objective: 99\n  sli: {}\n"),
            "error: `sli` must define one of `events`, `raw` or `plugin`
  --> test.yaml:6:8
   |
 6 |   sli: {}
   |        ^^
   = field: slos[0].sli
   = help: add `events:` with `error_query` and `total_query`",
        );
        check(
            &spec("- name: s\n  objective: 99\n  sli:\n    plugin:\n      id: getting_started_availability\n      options: {job: x}\n"),
            "error: SLI plugin `getting_started_availability` cannot run in slokit
  --> test.yaml:8:7
   |
 8 |       id: getting_started_availability
   |       ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^
   = field: slos[0].sli.plugin
   = note: Sloth SLI plugins are Go code that Sloth interprets at generation time
   = help: rewrite the SLI as `events` with the PromQL the plugin produces, in `error_query` and `total_query` over `{{.window}}`",
        );
    }

    #[test]
    fn plugins_are_warnings_for_core_and_errors_for_contrib() {
        check(
            &spec(&format!("- name: s\n  objective: 99\n{EVENTS}  plugins:\n    chain:\n    - id: sloth.dev/core/debug/v1\n      priority: -10\n      config: {{msg: hi}}\n    - id: sloth.dev/contrib/validate_victoria_metrics/v1\n")),
            "warning: Sloth plugin `sloth.dev/core/debug/v1` is not needed in slokit
  --> test.yaml:12:11
    |
 12 |     - id: sloth.dev/core/debug/v1
    |           ^^^^^^^^^^^^^^^^^^^^^^^
    = field: slos[0].plugins.chain[0].id
    = note: slokit's generator writes the SLI, metadata and alert rules itself
    = help: remove the plugin from the chain

error: Sloth plugin `sloth.dev/contrib/validate_victoria_metrics/v1` cannot run in slokit
  --> test.yaml:15:11
    |
 15 |     - id: sloth.dev/contrib/validate_victoria_metrics/v1
    |           ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^
    = field: slos[0].plugins.chain[1].id
    = note: Sloth SLO plugins are Go code that rewrites the generated rules
    = help: remove the plugin from the chain; slokit generates the rules itself",
        );
    }

    #[test]
    fn the_other_formats_alert_spelling_is_read_with_a_warning() {
        let yaml = spec(&format!("- name: s\n  objective: 99\n{EVENTS}  alerting:\n    pageAlert:\n      labels: {{team: a}}\n"));
        let (rendered, catalog) = test_load(&[("test.yaml", &yaml)]);
        assert_eq!(
            rendered.trim_end(),
            "warning: `pageAlert` is not Sloth's spelling in `prometheus/v1` specs; Sloth ignores it, slokit reads it as `page_alert`
  --> test.yaml:11:5
    |
 11 |     pageAlert:
    |     ^^^^^^^^^
    = field: slos[0].alerting.pageAlert
    = note: so the generated alert gets the labels and settings that Sloth left out
    = help: rename it to `page_alert`"
        );
        let slo = catalog.slos().next().expect("one SLO");
        assert_eq!(slo.alerting.tiers[0].labels["team"], "a");
    }

    #[test]
    fn alert_windows_replace_the_default_tiers_for_30d() {
        let windows = "apiVersion: sloth.slok.dev/v1\nkind: AlertWindows\nspec:\n  sloPeriod: 30d\n  page:\n    quick: {errorBudgetPercent: 1, shortWindow: 2m, longWindow: 30m}\n    slow: {errorBudgetPercent: 2, shortWindow: 15m, longWindow: 3h}\n  ticket:\n    quick: {errorBudgetPercent: 5, shortWindow: 1h, longWindow: 12h}\n    slow: {errorBudgetPercent: 5, shortWindow: 3h, longWindow: 36h}\n";
        let slos = spec(&format!("- name: s\n  objective: 99\n{EVENTS}"));
        // The SLO file comes first: the windows still apply because they are registered first.
        let (rendered, catalog) = test_load(&[("a.yaml", &slos), ("b.yaml", windows)]);
        assert_eq!(rendered, "");
        let slo = catalog.slos().next().expect("one SLO");
        assert_eq!(
            windows_of(&slo.alerting.tiers),
            [
                "page 30m/2m 14.4",
                "page 3h/15m 4.8",
                "ticket 12h/1h 3",
                "ticket 1d12h/3h 1"
            ]
        );
    }

    fn windows_of(tiers: &[AlertTier]) -> Vec<String> {
        tiers
            .iter()
            .flat_map(|t| {
                windows(t)
                    .into_iter()
                    .map(move |w| format!("{} {w}", t.severity))
            })
            .collect()
    }

    #[test]
    fn alert_windows_are_validated() {
        check(
            "apiVersion: sloth.slok.dev/v1\nkind: AlertWindows\nspec:\n  sloPeriod: 7d\n  page:\n    quick: {errorBudgetPercent: 0, shortWindow: 5m, longWindow: 1h}\n    slow: {errorBudgetPercent: 12.5, shortWindow: 6h, longWindow: 30m}\n  ticket:\n    quick: {errorBudgetPercent: 20, shortWindow: 2h, longWindow: 8d}\n",
            "warning: alert windows for `7d` are not used: every Sloth SLO has a 30d period
  --> test.yaml:4:14
   |
 4 |   sloPeriod: 7d
   |              ^^
   = field: spec.sloPeriod
   = note: Sloth picks the period of all SLOs by command-line flag; slokit has no such flag and reads Sloth SLOs as 30 days
   = help: to measure an SLO over another period, write it in the `slo.dev/v1` format, which sets a window per SLO

error: `errorBudgetPercent` is 0; it must be above 0 and at most 100
  --> test.yaml:6:33
   |
 6 |     quick: {errorBudgetPercent: 0, shortWindow: 5m, longWindow: 1h}
   |                                 ^
   = field: spec.page.quick.errorBudgetPercent

error: `longWindow` `30m` must be longer than `shortWindow` `6h`
  --> test.yaml:7:67
   |
 7 |     slow: {errorBudgetPercent: 12.5, shortWindow: 6h, longWindow: 30m}
   |                                                                   ^^^
   = field: spec.page.slow.longWindow
   = help: the short window confirms that the long window's burn is still going on; swap them

error: missing required field `slow`
  --> test.yaml:9:5
   |
 9 |     quick: {errorBudgetPercent: 20, shortWindow: 2h, longWindow: 8d}
   |     ^
   = field: spec.ticket
   = help: add `slow:` here

error: `longWindow` `8d` is longer than the SLO period `7d`
  --> test.yaml:9:66
   |
 9 |     quick: {errorBudgetPercent: 20, shortWindow: 2h, longWindow: 8d}
   |                                                                  ^^
   = field: spec.ticket.quick.longWindow",
        );
    }

    #[test]
    fn empty_service_and_alert_name_are_located() {
        check(
            "version: prometheus/v1\nservice: \"\"\nslos:\n- name: s\n  objective: 99\n  sli:\n    raw: {error_ratio_query: x}\n  alerting:\n    name: \"\"\n",
            "error: must not be empty
  --> test.yaml:2:10
   |
 2 | service: \"\"
   |          ^^
   = field: service

warning: a `raw` SLI's long windows are averages of its 5m ratios, not exact ratios
  --> test.yaml:7:10
   |
 7 |     raw: {error_ratio_query: x}
   |          ^^^^^^^^^^^^^^^^^^^^^^
   = field: slos[0].sli.raw
   = note: an average of ratios weighs a quiet minute as much as a busy one, so long windows drift from the true error ratio when traffic is uneven
   = help: if the ratio comes from two counters, use `events` with `error_query` and `total_query` instead

error: must not be empty
  --> test.yaml:9:11
   |
 9 |     name: \"\"
   |           ^^
   = field: slos[0].alerting.name",
        );
    }
}
