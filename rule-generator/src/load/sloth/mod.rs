//! Sloth specs: `version: prometheus/v1` files (snake_case keys) and Kubernetes
//! `sloth.slok.dev/v1` `PrometheusServiceLevel` manifests (camelCase keys under `spec`), plus
//! Sloth's `AlertWindows` documents ([`windows`]). Every field Sloth knows is read; an unknown key
//! is a warning, because Sloth silently ignores it and a file Sloth runs must load here too.
//!
//! SLIs ([`sli`]) are `events`, `raw` or a plugin: the common `sloth-common` plugins are built in
//! ([`sli_plugins`]), any other plugin is Go code slokit cannot run, an error that shows the
//! `slo.dev/v1` template that would replace it ([`stub`]). SLO plugin chains ([`slo_plugins`]) are
//! mapped onto what they mean in slokit.
//!
//! Sloth has no period per SLO: it picks one for the whole run by command-line flag (30 days by
//! default). slokit has no such flag, so every Sloth SLO gets [`DEFAULT_PERIOD`]. An `AlertWindows`
//! table whose `sloPeriod` is that period replaces the default alert tiers of every Sloth SLO in the
//! run; tables for other periods are validated but cannot apply, which a warning says.
//!
//! Alert labels and annotations are copied as written, Go templates included
//! (`{{$labels.request_host}}`, `{{ $value }}`): Prometheus expands them when the alert fires, as
//! it does for the alerts Sloth writes.

mod sli;
mod sli_plugins;
mod slo_plugins;
mod stub;
mod windows;

pub use stub::{template_yaml, PluginStub};

use super::{common, Budget, Drafts, Registry as All, SloDraft};
use crate::conventions::DEFAULT_PERIOD;
use crate::diag::{Diagnostic, Diagnostics};
use crate::duration::Duration;
use crate::load::decode::{Field, Map};
use crate::load::source::Span;
use crate::load::yaml::{Document, Node, NodeKind};
use crate::model::{AlertTier, Alerting, Indicator, Origin, Slo, SpecFormat, WindowQuery};
use crate::promql;
use sli::Sli;
use slo_plugins::Chain;
use std::collections::BTreeMap;
use windows::WindowTable;

/// Alert tables declared by `AlertWindows` documents, filled by the first pass.
#[derive(Default)]
pub struct Registry {
    windows: Vec<WindowTable>,
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
        windows::alert_windows(doc, reg, diags);
    }
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
    /// The file's SLO plugin chain (`slo_plugins`).
    chain: Chain,
}

/// The second pass: a `prometheus/v1` file or a `PrometheusServiceLevel` manifest becomes one
/// [`SloDraft`] per SLO. `AlertWindows` were handled by [`register`].
pub fn decode(input: super::Doc<'_>, drafts: &mut Drafts, diags: &mut Diagnostics) {
    let super::Doc {
        doc,
        file,
        all: reg,
    } = input;
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
    map.finish_ignoring_unknown("Sloth", diags);
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
    meta.finish_ignoring_unknown("Kubernetes", diags);
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
    let chain = map
        .get(key(kube, "slo_plugins", "sloPlugins"))
        .map(|f| slo_plugins::chain(&f, diags))
        .unwrap_or_default();
    let slos = map.required("slos", diags);
    map.finish_ignoring_unknown("Sloth", diags);
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
        chain,
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
    let sli = map
        .required("sli", diags)
        .and_then(|f| sli::sli(&f, kube, objective, diags));
    let own_chain = map.get("plugins").map(|f| slo_plugins::chain(&f, diags));
    let applied = slo_plugins::apply(&context.chain, own_chain.as_ref());
    let alerting = match map.get("alerting") {
        Some(f) => alerting(
            &f,
            kube,
            context.tiers.clone(),
            applied.effects.alert_for,
            diags,
        ),
        None => Some(alerting_from(context.tiers.clone(), None)),
    };
    map.finish_ignoring_unknown("Sloth", diags);

    let (Some(service), Some(name), Some(objective), Some(sli), Some(mut alerting)) =
        (context.service.clone(), name, objective, sli, alerting)
    else {
        return;
    };
    if let Some(span) = applied.alerts_dropped {
        diags.push(
            Diagnostic::warning("Sloth writes no alerts for this SLO, so neither does slokit")
                .at(span)
                .field(&item.path)
                .note(format!(
                    "`overridePrevious` drops Sloth's default plugins, and the chain does not add `{}` back",
                    "sloth.dev/core/alert_rules/v1"
                ))
                .help("to keep the alerts, add `sloth.dev/core/alert_rules/v1` to the chain"),
        );
        alerting.enabled = false;
    }
    alerting.budget_exhausted |= applied.effects.budget_exhausted;
    // Cloned only for an SLO that is built (and charged to the budget): the shared labels may be
    // large and the `slos` list long.
    let mut labels = context.labels.clone();
    labels.extend(own_labels);
    // `owner` and `tier` are common Sloth labels; the model has fields for them.
    let owner = labels.remove("owner");
    let tier = labels.remove("tier");
    // `info_labels` puts its labels on Sloth's info series, which is where slokit writes an SLO's
    // descriptive labels (and on its alerts).
    labels.extend(applied.effects.info_labels);
    common::check_tiers(&alerting.tiers, objective, item.span(), &item.path, diags);
    let format = if kube {
        SpecFormat::SlothKubernetes
    } else {
        SpecFormat::Sloth
    };
    let (indicator, group_by, custom) = match sli {
        Sli::Indicator {
            indicator,
            group_by,
        } => (indicator, group_by, None),
        // A placeholder: the SLO goes to the stubs, never into the catalog.
        Sli::Custom(custom) => (
            Indicator::Raw {
                error_ratio: WindowQuery {
                    template: "vector(0)".into(),
                },
            },
            Vec::new(),
            Some(custom),
        ),
    };
    let slo = Slo {
        description,
        group_by,
        labels,
        owner,
        tier,
        ..Slo::new(
            name,
            service,
            objective,
            DEFAULT_PERIOD,
            indicator,
            alerting,
            Origin {
                file: context.file.to_string(),
                line: item.span().start.line,
                format,
            },
        )
    };
    if let Some(custom) = custom {
        drafts.stubs.push(PluginStub {
            slo,
            plugin: custom.id,
            template: custom.template,
            params: custom.params,
            diagnostic: custom.diagnostic,
        });
        return;
    }
    if !budget.slo(&slo, item.span(), &item.path, diags) {
        return;
    }
    drafts.slos.push(SloDraft {
        slo,
        product: None,
        span: item.span(),
        policy: None,
    });
}

/// `alerting`: the alert name, shared labels and annotations, and the page and ticket alerts.
/// `alert_for` says whether the `alert_for` plugin is in the SLO's chain, without which Sloth
/// ignores the alerts' `for`.
fn alerting(
    field: &Field<'_>,
    kube: bool,
    tiers: Vec<AlertTier>,
    alert_for: bool,
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
    map.finish_ignoring_unknown("Sloth", diags);
    let mut tiers = tiers;
    let mut waits: Vec<(Duration, Field<'_>)> = Vec::new();
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
        waits.extend(over.wait);
    }
    let mut out = alerting_from(tiers, name);
    out.labels = labels;
    out.annotations = annotations;
    out.for_duration = alert_wait(&waits, alert_for, diags);
    Some(out)
}

/// The `for` of the alerts. Sloth uses the page and ticket alerts' `for` only when the
/// `alert_for` plugin is in the chain; slokit has one `for` for all of an SLO's alerts, so two
/// different ones become the shorter, which never fires later than Sloth would.
fn alert_wait(
    waits: &[(Duration, Field<'_>)],
    alert_for: bool,
    diags: &mut Diagnostics,
) -> Option<Duration> {
    if !alert_for {
        for (_, field) in waits {
            diags.push(
                field
                    .warning("`for` is ignored without the `alert_for` plugin, as Sloth ignores it")
                    .help("add `sloth.dev/contrib/alert_for/v1` to the SLO's `plugins` chain to use it"),
            );
        }
        return None;
    }
    let shortest = waits.iter().map(|(d, _)| *d).min()?;
    if let Some((longest, field)) = waits.iter().max_by_key(|(d, _)| *d) {
        if *longest != shortest {
            diags.push(
                field
                    .warning(format!(
                        "every alert of the SLO waits {shortest}, the shorter of the page and ticket alerts' `for`"
                    ))
                    .note("slokit has one `for` for all the burn-rate alerts of an SLO")
                    .help("give both alerts the same `for`"),
            );
        }
    }
    Some(shortest)
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
    let key_span: Span = map.keys().find(|k| k.name == theirs).map(|k| k.span)?;
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

struct TierOverride<'a> {
    disable: bool,
    labels: BTreeMap<String, String>,
    annotations: BTreeMap<String, String>,
    /// `for`, with its field.
    wait: Option<(Duration, Field<'a>)>,
}

fn tier_override<'a>(field: &Field<'a>, diags: &mut Diagnostics) -> Option<TierOverride<'a>> {
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
    let wait = map
        .get("for")
        .and_then(|f| common::duration(&f, diags).map(|d| (d, f)));
    map.finish_ignoring_unknown("Sloth", diags);
    Some(TierOverride {
        disable,
        labels,
        annotations,
        wait,
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

warning: unknown field `errorQuery` is ignored, as Sloth ignores it
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
            "error: SLI plugin `getting_started_availability` cannot run in slokit: it is Go code, and slokit does not run Go code
  --> test.yaml:8:11
   |
 8 |       id: getting_started_availability
   |           ^^^^^^^^^^^^^^^^^^^^^^^^^^^^
   = field: slos[0].sli.plugin.id
   = note: slokit ships the sloth-common plugins under their own ids; any other plugin has to be written as PromQL once
   = help: replace the plugin with an SLI template that counts the same events, and use it as `indicator: {template: sloth-getting-started-availability, params: ...}`; `slo convert` writes this stub and the SLO using it:
        apiVersion: slo.dev/v1
        kind: SLITemplate
        metadata:
          name: \"sloth-getting-started-availability\"
        spec:
          description: \"Replaces the Sloth SLI plugin `getting_started_availability`: write the PromQL it computed in both queries\"
          parameters:
          - name: job
          indicator:
            type: ratio
            ratio:
              bad:
                query: \"TODO: the rate of bad events over {{.window}}, using {{ .job }}\"
              total:
                query: \"TODO: the rate of all events over {{.window}}, using {{ .job }}\"",
        );
    }

    #[test]
    fn plugin_ids_close_to_a_builtin_and_misplaced_ids_get_a_hint() {
        check(
            &spec("- name: s\n  objective: 99\n  sli:\n    plugin:\n      id: sloth-common/noop\n"),
            "error: unknown SLI plugin `sloth-common/noop`
  --> test.yaml:8:11
   |
 8 |       id: sloth-common/noop
   |           ^^^^^^^^^^^^^^^^^
   = field: slos[0].sli.plugin.id
   = help: did you mean `sloth_common/noop`?",
        );
        // The noop plugin's README indents `id` next to `plugin:` instead of under it.
        check(
            &spec("- name: s\n  objective: 99\n  sli:\n    plugin:\n    id: sloth_common/noop\n"),
            "error: `plugin` is empty
  --> test.yaml:7:11
   |
 7 |     plugin:
   |           ^
   = field: slos[0].sli.plugin
   = help: `id` is next to `plugin:` instead of under it; indent `id` (and `options`) below `plugin:`

warning: unknown field `id` is ignored, as Sloth ignores it
  --> test.yaml:8:5
   |
 8 |     id: sloth_common/noop
   |     ^^
   = field: slos[0].sli.id
   = help: expected one of `events`, `plugin`, `raw`",
        );
    }

    #[test]
    fn slo_plugins_are_mapped_warned_about_or_refused() {
        check(
            &spec(&format!("- name: s\n  objective: 99\n{EVENTS}  plugins:\n    chain:\n    - id: sloth.dev/core/debug/v1\n      priority: -10\n      config: {{msg: hi}}\n    - id: sloth.dev/contrib/validate_victoria_metrics/v1\n    - id: sloth.dev/contrib/rule_intervals/v1\n      config: {{interval: {{default: 5m}}}}\n    - id: sloth.dev/contrib/info_label/v1\n    - id: acme/rewrite/v1\n")),
            "warning: Sloth plugin `sloth.dev/core/debug/v1` is not needed in slokit
  --> test.yaml:12:11
    |
 12 |     - id: sloth.dev/core/debug/v1
    |           ^^^^^^^^^^^^^^^^^^^^^^^
    = field: slos[0].plugins.chain[0].id
    = note: slokit's generator validates the SLO and writes the SLI, metadata and alert rules itself
    = help: remove the plugin from the chain

warning: Sloth plugin `sloth.dev/contrib/validate_victoria_metrics/v1` is not needed in slokit
  --> test.yaml:15:11
    |
 15 |     - id: sloth.dev/contrib/validate_victoria_metrics/v1
    |           ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^
    = field: slos[0].plugins.chain[1].id
    = note: slokit checks every query as PromQL, which VictoriaMetrics also runs; MetricsQL-only functions are reported where they are used
    = help: remove the plugin from the chain, and write the queries in PromQL

warning: Sloth plugin `sloth.dev/contrib/rule_intervals/v1` has no effect in slokit
  --> test.yaml:16:11
    |
 16 |     - id: sloth.dev/contrib/rule_intervals/v1
    |           ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^
    = field: slos[0].plugins.chain[2].id
    = note: slokit sets the interval of its rule groups itself: each SLO's fast group runs at the server's evaluation interval, and its slow group, which reads hourly windows, every 2m30s
    = help: remove the plugin from the chain

error: unknown Sloth plugin `sloth.dev/contrib/info_label/v1`
  --> test.yaml:18:11
    |
 18 |     - id: sloth.dev/contrib/info_label/v1
    |           ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^
    = field: slos[0].plugins.chain[3].id
    = help: did you mean `sloth.dev/contrib/info_labels/v1`?

error: SLO plugin `acme/rewrite/v1` cannot run in slokit
  --> test.yaml:19:11
    |
 19 |     - id: acme/rewrite/v1
    |           ^^^^^^^^^^^^^^^
    = field: slos[0].plugins.chain[4].id
    = note: it is Go code that Sloth runs to rewrite the generated rules, and slokit cannot run Go code
    = help: remove it from the chain; slokit's generated rules may already do what it did, see the `slo.dev/v1` format for what an SLO can set",
        );
    }

    #[test]
    fn contrib_plugins_that_mean_something_become_slo_fields() {
        let chain = "  plugins:\n    chain:\n    - id: sloth.dev/contrib/info_labels/v1\n      config: {labels: {team: a, owner: b}}\n    - id: sloth.dev/contrib/alert_for/v1\n    - id: sloth.dev/contrib/error_budget_exhausted_alert/v1\n";
        let yaml = spec(&format!("- name: s\n  objective: 99\n  labels: {{team: x}}\n{EVENTS}{chain}  alerting:\n    page_alert: {{for: 5m}}\n    ticket_alert: {{for: 5m}}\n"));
        let (rendered, catalog) = test_load(&[("test.yaml", &yaml)]);
        assert_eq!(rendered, "");
        let slo = catalog.slos().next().expect("one SLO");
        // The plugin's labels win over the SLO's, as the plugin merges them over Sloth's.
        assert_eq!(slo.labels["team"], "a");
        assert_eq!(slo.labels["owner"], "b");
        assert_eq!(slo.alerting.for_duration, Some(Duration::from_mins(5)));
        assert!(slo.alerting.budget_exhausted);

        // Without `alert_for`, Sloth ignores `for`; so does slokit, with a warning.
        let yaml = spec(&format!(
            "- name: s\n  objective: 99\n{EVENTS}  alerting:\n    page_alert: {{for: 5m}}\n"
        ));
        let (rendered, catalog) = test_load(&[("test.yaml", &yaml)]);
        assert!(
            rendered.starts_with("warning: `for` is ignored without the `alert_for` plugin, as Sloth ignores it\n  --> test.yaml:11:23\n"),
            "{rendered}"
        );
        assert_eq!(catalog.slos().next().unwrap().alerting.for_duration, None);
    }

    #[test]
    fn overriding_the_chain_without_alert_rules_disables_alerting() {
        let yaml = format!("version: prometheus/v1\nservice: svc\nslo_plugins:\n  overridePrevious: true\n  chain:\n  - id: sloth.dev/core/sli_rules/v1\nslos:\n- name: s\n  objective: 99\n{EVENTS}");
        let (rendered, catalog) = test_load(&[("test.yaml", &yaml)]);
        assert!(
            rendered.contains("warning: Sloth writes no alerts for this SLO, so neither does slokit\n  --> test.yaml:4:21\n"),
            "{rendered}"
        );
        assert!(!catalog.slos().next().unwrap().alerting.enabled);
        // An SLO's own chain that adds the alert rules back keeps them.
        let yaml =
            format!("{yaml}  plugins:\n    chain:\n    - id: sloth.dev/core/alert_rules/v1\n");
        let (_, catalog) = test_load(&[("test.yaml", &yaml)]);
        assert!(catalog.slos().next().unwrap().alerting.enabled);
    }

    #[test]
    fn queries_aggregated_by_labels_make_a_grouped_slo() {
        let yaml = spec("- name: s\n  objective: 99\n  sli:\n    events:\n      error_query: sum(rate(e{code=~\"5..\"}[{{.window}}])) by (host)\n      total_query: sum by (host) (rate(e[{{.window}}]))\n  alerting:\n    annotations: {summary: 'High errors on {{$labels.host}} ({{ $value }})'}\n");
        let (rendered, catalog) = test_load(&[("test.yaml", &yaml)]);
        assert_eq!(rendered, "");
        let slo = catalog.slos().next().expect("one SLO");
        assert_eq!(slo.group_by, ["host"]);
        // Go templates in annotations are kept as written, for Prometheus to expand.
        assert_eq!(
            slo.alerting.annotations["summary"],
            "High errors on {{$labels.host}} ({{ $value }})"
        );
    }

    #[test]
    fn unknown_keys_are_warnings_because_sloth_ignores_them() {
        // `ticker_alert` and `disabled` are real typos from a user's spec: Sloth ignores them and
        // keeps both alerts, and so does slokit.
        let yaml = spec(&format!("- name: s\n  objective: 99\n{EVENTS}  alerting:\n    page_alert:\n      disabled: true\n    ticker_alert:\n      disable: true\n"));
        let (rendered, catalog) = test_load(&[("test.yaml", &yaml)]);
        assert_eq!(
            rendered.trim_end(),
            "warning: unknown field `disabled` is ignored, as Sloth ignores it
  --> test.yaml:12:7
    |
 12 |       disabled: true
    |       ^^^^^^^^
    = field: slos[0].alerting.page_alert.disabled
    = help: did you mean `disable`?

warning: unknown field `ticker_alert` is ignored, as Sloth ignores it
  --> test.yaml:13:5
    |
 13 |     ticker_alert:
    |     ^^^^^^^^^^^^
    = field: slos[0].alerting.ticker_alert
    = help: did you mean `ticket_alert`?"
        );
        assert_eq!(catalog.slos().next().unwrap().alerting.tiers.len(), 2);
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
