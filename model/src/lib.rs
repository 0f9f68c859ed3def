//! The checked model (crate `slokit-model`): products, their SLOs and the policies they follow.
//! Every spec format is decoded into these types, and everything that renders or evaluates SLOs
//! (the generator's renderers, the dashboards, the plugin's policy column, `slo report`) reads
//! only these types. [`policy`] holds the one set of rules that decides which error-budget policy
//! step is in force, shared by `slo gate` and the Grafana plugin. A value here has passed
//! validation: objectives are in (0, 1), windows are ordered, names are unique, label names are
//! valid, PromQL parses. Invariant: the model has no serde and no spans; `Origin` is the only link
//! back to the files.

pub mod policy;

use slokit_conventions::duration::Duration;
use std::collections::BTreeMap;
use std::fmt;

/// Everything loaded in one run.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Catalog {
    /// Sorted by name.
    pub products: Vec<Product>,
    /// Error-budget policies by name.
    pub policies: BTreeMap<String, ErrorBudgetPolicy>,
}

impl Catalog {
    pub fn slos(&self) -> impl Iterator<Item = &Slo> {
        self.products.iter().flat_map(|p| p.slos.iter())
    }

    pub fn product(&self, name: &str) -> Option<&Product> {
        self.products.iter().find(|p| p.name == name)
    }

    /// The error-budget policy `product` follows, if any.
    pub fn policy_of(&self, product: &Product) -> Option<&ErrorBudgetPolicy> {
        self.policies.get(product.policy.as_ref()?)
    }

    /// The catalog with only the SLOs named in `names` (all of them when `names` is empty).
    pub fn only(mut self, names: &[&str]) -> Catalog {
        if !names.is_empty() {
            self.retain_slos(|slo| names.contains(&slo.name.as_str()));
        }
        self
    }

    /// Keeps only the SLOs for which `keep` holds, and the products that still have one. Policies
    /// stay: a policy nobody follows is harmless.
    pub fn retain_slos(&mut self, keep: impl Fn(&Slo) -> bool) {
        for product in &mut self.products {
            product.slos.retain(&keep);
        }
        self.products.retain(|p| !p.slos.is_empty());
    }
}

/// A set of services that users reach together, with the SLOs that describe it.
#[derive(Clone, Debug, PartialEq)]
pub struct Product {
    pub name: String,
    pub display_name: Option<String>,
    pub description: Option<String>,
    pub team: Option<String>,
    pub owners: Vec<String>,
    pub maturity: Maturity,
    pub review: Review,
    pub approvers: Vec<String>,
    /// The name of the [`ErrorBudgetPolicy`] this product follows; it exists in the catalog.
    pub policy: Option<String>,
    /// Declared services, sorted; every SLO's service is among them (a composite's service is
    /// the product itself, and is not listed).
    pub services: Vec<String>,
    /// The product's own SLO (a composite among `slos`), when the product declares objectives:
    /// the one its policy and release gate act on by default.
    pub slo: Option<String>,
    /// The product's own SLO first, then its other composites by name, then the rest by
    /// (service, name).
    pub slos: Vec<Slo>,
    /// `None` when no `Product` document exists and the product was made from an SLO's service, as
    /// happens for Sloth and OpenSLO specs.
    pub origin: Option<Origin>,
}

impl Product {
    /// The display name, else the name.
    pub fn title(&self) -> &str {
        self.display_name.as_deref().unwrap_or(&self.name)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Maturity {
    Greenfield,
    /// Monitoring exists but no objectives are agreed.
    Monitored,
    /// Objectives exist but nothing happens when they are missed.
    SloWithoutTeeth,
    /// Error budgets drive decisions.
    SloDriven,
}

impl Maturity {
    pub const ALL: [(&'static str, Maturity); 4] = [
        ("greenfield", Maturity::Greenfield),
        ("monitored", Maturity::Monitored),
        ("slo-without-teeth", Maturity::SloWithoutTeeth),
        ("slo-driven", Maturity::SloDriven),
    ];

    pub fn as_str(self) -> &'static str {
        Maturity::ALL
            .iter()
            .find(|(_, m)| *m == self)
            .map(|(s, _)| *s)
            .unwrap_or("greenfield")
    }
}

/// When a product or SLO was last reviewed and how often it should be.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Review {
    pub cadence: Option<Duration>,
    pub last_reviewed: Option<Date>,
}

impl Review {
    /// The date by which the next review is due, if both cadence and last review are known.
    pub fn due(&self) -> Option<Date> {
        let days = self.cadence?.millis() / Duration::from_days(1).millis();
        Some(self.last_reviewed?.add_days(days as i64))
    }
}

/// A calendar date (proleptic Gregorian), enough for review and phase dates.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Date {
    pub year: i32,
    pub month: u32,
    pub day: u32,
}

impl Date {
    /// Parses `YYYY-MM-DD`.
    pub fn parse(text: &str) -> Option<Date> {
        let mut parts = text.trim().splitn(3, '-');
        let year = parts.next()?.parse().ok()?;
        let month: u32 = parts.next()?.parse().ok()?;
        let day: u32 = parts.next()?.parse().ok()?;
        let date = Date { year, month, day };
        (text.trim().len() == 10
            && (1..=12).contains(&month)
            && day >= 1
            && day <= days_in_month(year, month))
        .then_some(date)
    }

    /// Days since 1970-01-01 (negative before it).
    pub fn days_since_epoch(self) -> i64 {
        // Howard Hinnant's days_from_civil.
        let y = i64::from(self.year) - i64::from(self.month <= 2);
        let era = y.div_euclid(400);
        let yoe = y - era * 400;
        let m = i64::from(self.month);
        let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(self.day) - 1;
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        era * 146_097 + doe - 719_468
    }

    pub fn from_days_since_epoch(days: i64) -> Date {
        let z = days + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z - era * 146_097;
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
        let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
        let year = (yoe + era * 400 + i64::from(month <= 2)) as i32;
        Date { year, month, day }
    }

    pub fn add_days(self, days: i64) -> Date {
        Date::from_days_since_epoch(self.days_since_epoch() + days)
    }
}

fn days_in_month(year: i32, month: u32) -> u32 {
    match month {
        2 if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

/// Where a spec came from, for headers, info series and messages.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Origin {
    /// The path as the user named it (relative paths stay relative, so output is reproducible).
    pub file: String,
    pub line: u32,
    pub format: SpecFormat,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SpecFormat {
    /// `slo.dev/v1`.
    Native,
    /// Sloth `prometheus/v1`.
    Sloth,
    /// Sloth's Kubernetes `sloth.slok.dev/v1` `PrometheusServiceLevel`.
    SlothKubernetes,
    /// OpenSLO `openslo/v1` or `openslo/v1alpha`.
    OpenSlo,
    /// Pyrra's `pyrra.dev/v1alpha1` `ServiceLevelObjective`.
    Pyrra,
    /// Google's slo-generator: `sre.google.com/v2` and the older flat v1 layout.
    SloGenerator,
}

impl SpecFormat {
    pub fn as_str(self) -> &'static str {
        match self {
            SpecFormat::Native => "slo.dev/v1",
            SpecFormat::Sloth => "prometheus/v1",
            SpecFormat::SlothKubernetes => "sloth.slok.dev/v1",
            SpecFormat::OpenSlo => "openslo",
            SpecFormat::Pyrra => "pyrra.dev/v1alpha1",
            SpecFormat::SloGenerator => "slo-generator",
        }
    }
}

/// One service level objective, fully resolved (templates filled, current phase applied).
#[derive(Clone, Debug, PartialEq)]
pub struct Slo {
    /// Unique within its product.
    pub name: String,
    pub product: String,
    pub service: String,
    pub display_name: Option<String>,
    pub description: Option<String>,
    /// The share of good events (or good time) required, strictly between 0 and 1.
    pub objective: f64,
    /// The rolling period the objective is measured over (30d unless the spec says otherwise).
    pub period: Duration,
    pub indicator: Indicator,
    /// Labels that split the SLO into one SLI per value combination (per route, per region ...).
    pub group_by: Vec<String>,
    /// Descriptive labels. They go on the info series and on alerts, never on windowed series, so
    /// that changing one does not reset the long windows.
    pub labels: BTreeMap<String, String>,
    pub owner: Option<String>,
    pub tier: Option<String>,
    pub alerting: Alerting,
    pub phases: Option<Phases>,
    pub review: Review,
    pub origin: Origin,
}

impl Slo {
    /// An SLO with what every SLO must have, and nothing else: no product yet (assembly gives
    /// it one), display name, description, grouping, labels, owner, tier, phases or review.
    /// Loaders add what their format says with struct update syntax.
    pub fn new(
        name: String,
        service: String,
        objective: f64,
        period: Duration,
        indicator: Indicator,
        alerting: Alerting,
        origin: Origin,
    ) -> Slo {
        Slo {
            name,
            product: String::new(),
            service,
            display_name: None,
            description: None,
            objective,
            period,
            indicator,
            group_by: Vec::new(),
            labels: BTreeMap::new(),
            owner: None,
            tier: None,
            alerting,
            phases: None,
            review: Review::default(),
            origin,
        }
    }

    /// The error budget as a ratio of events: `1 - objective`.
    pub fn error_budget(&self) -> f64 {
        1.0 - self.objective
    }

    /// The display name, else the name.
    pub fn title(&self) -> &str {
        self.display_name.as_deref().unwrap_or(&self.name)
    }

    /// The burn-rate alert tiers in force: none when alerting is disabled.
    pub fn alert_tiers(&self) -> &[AlertTier] {
        if self.alerting.enabled {
            &self.alerting.tiers
        } else {
            &[]
        }
    }

    /// The phase whose target the rules use, for progressive SLOs.
    pub fn current_phase(&self) -> Option<&Phase> {
        self.phases.as_ref().and_then(|p| p.list.get(p.current))
    }
}

#[derive(Clone, Debug, PartialEq)]
pub enum Indicator {
    Ratio(RatioIndicator),
    Latency(LatencyIndicator),
    Threshold(ThresholdIndicator),
    /// A ready error-ratio query (Sloth's `raw`). Long windows can only average it over time, so
    /// they are not exact when traffic is uneven; loading one warns about that.
    Raw {
        error_ratio: WindowQuery,
    },
    /// An SLO made of other SLOs (a user journey across services, or a product's own SLO). It
    /// reads only its members' recorded series, never raw metrics.
    Composite(CompositeIndicator),
}

/// How a composite SLO's members combine into its error ratio.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CompositeMethod {
    /// Good and bad events summed across members, each member's events scaled by its weight:
    /// the exact share of good events across the journey.
    Events,
    /// The weighted mean of the members' error ratios: each member counts by its weight, whatever
    /// its traffic, so a quiet but critical service is not drowned out.
    Weighted,
    /// The share of 5m slices in which every member meets its own objective: a time-slice
    /// composite.
    AllGood,
}

impl CompositeMethod {
    pub const ALL: [(&'static str, CompositeMethod); 3] = [
        ("events", CompositeMethod::Events),
        ("weighted", CompositeMethod::Weighted),
        ("all-good", CompositeMethod::AllGood),
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            CompositeMethod::Events => "events",
            CompositeMethod::Weighted => "weighted",
            CompositeMethod::AllGood => "all-good",
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct CompositeIndicator {
    pub method: CompositeMethod,
    /// At least one; each an SLO of the catalog (possibly another composite, never in a cycle).
    pub members: Vec<CompositeMember>,
}

/// One member of a composite SLO, resolved: which SLO, how much it counts, and (for `all-good`)
/// the error budget it must stay within.
#[derive(Clone, Debug, PartialEq)]
pub struct CompositeMember {
    pub product: String,
    pub slo: String,
    /// Positive; 1 unless the spec says otherwise.
    pub weight: f64,
    /// The member's own objective.
    pub objective: f64,
}

impl Indicator {
    pub fn kind(&self) -> &'static str {
        match self {
            Indicator::Ratio(_) => "ratio",
            Indicator::Latency(_) => "latency",
            Indicator::Threshold(_) => "threshold",
            Indicator::Raw { .. } => "raw",
            Indicator::Composite(_) => "composite",
        }
    }
}

/// Events counted by two sources: good (or bad) events and all events.
#[derive(Clone, Debug, PartialEq)]
pub struct RatioIndicator {
    pub counts: Counted,
    pub numerator: EventSource,
    pub total: EventSource,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Counted {
    /// The numerator counts good events; bad events are `total - good`.
    Good,
    /// The numerator counts bad events directly.
    Bad,
}

#[derive(Clone, Debug, PartialEq)]
pub enum EventSource {
    /// A counter, read as `rate(selector[5m])` summed by the SLO's grouping labels.
    Counter(Selector),
    /// A PromQL expression that yields an event rate over `{{.window}}`, as Sloth and OpenSLO specs
    /// write them. The generator only ever fills in the base window.
    Query(WindowQuery),
}

/// A metric name with label matchers, e.g. `http_requests_total{status_code!~"5.."}`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Selector {
    pub metric: String,
    pub matchers: Vec<Matcher>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Matcher {
    pub label: String,
    pub op: MatchOp,
    /// The value as the user meant it, unescaped. Rendering escapes it.
    pub value: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MatchOp {
    Equal,
    NotEqual,
    Regex,
    NotRegex,
}

impl MatchOp {
    pub fn as_str(self) -> &'static str {
        match self {
            MatchOp::Equal => "=",
            MatchOp::NotEqual => "!=",
            MatchOp::Regex => "=~",
            MatchOp::NotRegex => "!~",
        }
    }
}

/// A PromQL expression containing the placeholder `{{.window}}`, which the generator replaces with a
/// Prometheus duration. It parsed with `promql-parser` once the placeholder was filled with `5m`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WindowQuery {
    pub template: String,
}

/// The share of requests faster than a threshold, from a histogram.
#[derive(Clone, Debug, PartialEq)]
pub struct LatencyIndicator {
    /// The histogram's base name (`http_request_duration_seconds`) and the matchers that select it.
    pub histogram: Selector,
    /// The threshold in the histogram's unit (seconds for `_seconds` histograms).
    pub threshold: f64,
    /// Read a native histogram with `histogram_fraction` instead of classic `_bucket` series.
    pub native: bool,
}

/// Good time: the share of time a gauge satisfies a bound (`probe_success == 1`, say).
#[derive(Clone, Debug, PartialEq)]
pub struct ThresholdIndicator {
    pub gauge: Selector,
    pub op: Comparison,
    pub bound: f64,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Comparison {
    Less,
    LessOrEqual,
    Greater,
    GreaterOrEqual,
    Equal,
}

impl Comparison {
    pub fn as_str(self) -> &'static str {
        match self {
            Comparison::Less => "<",
            Comparison::LessOrEqual => "<=",
            Comparison::Greater => ">",
            Comparison::GreaterOrEqual => ">=",
            Comparison::Equal => "==",
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Alerting {
    pub enabled: bool,
    /// The alert name; when absent the generator derives one from the SLO.
    pub name: Option<String>,
    /// By severity, in the order given (pages first for the defaults).
    pub tiers: Vec<AlertTier>,
    /// `for:` on every burn-rate alert.
    pub for_duration: Option<Duration>,
    pub labels: BTreeMap<String, String>,
    pub annotations: BTreeMap<String, String>,
    pub runbook_url: Option<String>,
    /// Also alert when the period's budget is spent.
    pub budget_exhausted: bool,
    /// Alert when the SLI's source series have been absent this long.
    pub no_data: Option<Duration>,
}

impl Alerting {
    /// Every window pair of every tier, with its tier's severity, in tier order.
    pub fn pairs(&self) -> impl Iterator<Item = (&str, &BurnWindow)> {
        self.tiers
            .iter()
            .flat_map(|t| t.windows.iter().map(move |w| (t.severity.as_str(), w)))
    }

    /// Alerting on `tiers` (disabled when there are none), without `for:`, extra labels,
    /// annotations, runbook or the optional budget-exhausted and no-data alerts.
    pub fn with_tiers(tiers: Vec<AlertTier>) -> Alerting {
        Alerting {
            enabled: !tiers.is_empty(),
            name: None,
            tiers,
            for_duration: None,
            labels: BTreeMap::new(),
            annotations: BTreeMap::new(),
            runbook_url: None,
            budget_exhausted: false,
            no_data: None,
        }
    }
}

/// One alert (one severity) that fires when any of its window pairs burns too fast.
#[derive(Clone, Debug, PartialEq)]
pub struct AlertTier {
    pub severity: String,
    pub windows: Vec<BurnWindow>,
    /// Extra labels for this tier's alert, such as Sloth's `page_alert.labels`.
    pub labels: BTreeMap<String, String>,
    pub annotations: BTreeMap<String, String>,
}

/// The multi-window condition: burn rate above `factor` over both windows.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct BurnWindow {
    pub long: Duration,
    pub short: Duration,
    pub factor: f64,
}

/// Progressive targets: the ladder of phases and which one is in force.
#[derive(Clone, Debug, PartialEq)]
pub struct Phases {
    pub list: Vec<Phase>,
    /// Index into `list` of the phase whose target the rules use.
    pub current: usize,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Phase {
    pub name: String,
    pub target: f64,
    pub latency_p95: Option<Duration>,
    pub latency_p99: Option<Duration>,
    /// How long the phase lasts; `None` means ongoing.
    pub duration: Option<Duration>,
    pub starts: Option<Date>,
    /// What must hold before moving to the next phase, in words.
    pub criteria: Vec<String>,
}

impl Phase {
    /// The customers' default ladder ([`slokit_conventions::ladder::DEFAULT_LADDER`]) as phases
    /// without dates or criteria.
    pub fn default_ladder() -> Vec<Phase> {
        slokit_conventions::ladder::DEFAULT_LADDER
            .iter()
            .map(|rung| Phase {
                name: rung.name.to_string(),
                target: rung.target,
                latency_p95: Some(rung.latency_p95),
                latency_p99: Some(rung.latency_p99),
                duration: rung.duration,
                starts: None,
                criteria: Vec::new(),
            })
            .collect()
    }
}

/// What happens when an error budget runs low, step by step.
#[derive(Clone, Debug, PartialEq)]
pub struct ErrorBudgetPolicy {
    pub name: String,
    pub description: Option<String>,
    /// In the order written; the most severe step that matches is in force.
    pub steps: Vec<PolicyStep>,
    pub origin: Origin,
}

#[derive(Clone, Debug, PartialEq)]
pub struct PolicyStep {
    pub name: String,
    pub when: PolicyCondition,
    /// What people must do, e.g. "freeze feature releases, reliability fixes only".
    pub action: String,
    /// Whether `slo gate` must block releases while this step is in force.
    pub blocks_releases: bool,
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub enum PolicyCondition {
    /// Budget remaining over the period is below this ratio (0.25 = 25%).
    BudgetRemainingBelow(f64),
    /// Budget remaining is zero or less.
    BudgetExhausted,
    /// Burn rate above `factor` sustained over `window`.
    BurnRateAbove { factor: f64, window: Duration },
}
