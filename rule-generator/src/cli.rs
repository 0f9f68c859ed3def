//! The `slo` command line: argument parsing with clap, and the glue from each command to the
//! pipeline (load → validate → model → render → write), and from the error-budget commands
//! (`report`, `gate`, `plan`, `readiness`) and `compare` to the live API. Exit codes: 0 success, 1 invalid specs
//! (or failing generated tests, a blocked gate, an SLO not ready), 2 usage or I/O errors and
//! anything that cannot be decided (the monitoring system unreachable, no data).

use crate::diag::{suggestion, Diagnostics};
use crate::duration::Duration;
use crate::live::prometheus_api::{Client, Config as ApiConfig};
use crate::live::readiness::{self, Verdict};
use crate::live::{budget, plan, report};
use crate::load::source::SourceMap;
use crate::load::{self, Loaded, Options};
use crate::model::Date;
use crate::model::{Catalog, Slo};
use crate::render::{self, DashboardFlavour, DashboardOptions, GenerateOptions, Target};
use crate::write::Staging;
use clap::{Parser, Subcommand, ValueEnum};
use slokit_wire::{Auth, Secret};
use std::ffi::OsString;
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

/// slokit: SLO specs in, Prometheus rules, alerts and their tests out.
#[derive(Debug, Parser)]
#[command(name = "slo", version, about, long_about = None, propagate_version = true)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Check specs and report every problem with its file, line and column.
    ///
    /// Reads slokit (`slo.dev/v1`), Sloth (`prometheus/v1`, `sloth.slok.dev/v1`) and OpenSLO
    /// (`openslo/v1`, `openslo/v1alpha`) specs. Directories are searched recursively for
    /// `.yaml`, `.yml` and `.json` files. Exits 0 when valid, 1 when not, 2 on usage or I/O errors.
    Validate {
        /// Spec files or directories [default: .]
        paths: Vec<PathBuf>,
        /// Treat warnings as errors.
        #[arg(long)]
        strict: bool,
    },
    /// Generate Prometheus rules, alerts and promtool tests from specs.
    ///
    /// Writes `prometheus/rules/<product>.yml` and `prometheus/tests/<product>.test.yml` under
    /// `--out`. Nothing under `--out` changes unless every spec is valid and every file was written.
    Generate {
        /// Spec files or directories [default: .]
        paths: Vec<PathBuf>,
        /// The output directory.
        #[arg(long, short)]
        out: PathBuf,
        /// The rule-file flavour.
        #[arg(long, value_enum, default_value_t = TargetArg::Prometheus)]
        target: TargetArg,
        /// How the Grafana dashboards query: through the slokit plugin, or with plain PromQL
        /// through a Prometheus datasource (for Grafanas that cannot load unsigned plugins).
        /// Dashboards are written for the `prometheus` target.
        #[arg(long, value_enum, default_value_t = DashboardsArg::Plugin)]
        dashboards: DashboardsArg,
        /// The URL Grafana reaches Prometheus at, for the provisioned datasources.
        #[arg(long, value_name = "URL", default_value = "http://prometheus:9090")]
        prometheus_url: String,
        /// Treat warnings as errors.
        #[arg(long)]
        strict: bool,
    },
    /// Run `promtool check rules` and `promtool test rules` on a generated tree.
    Test {
        /// The directory `slo generate --out` wrote.
        dir: PathBuf,
    },
    /// Rewrite Sloth or OpenSLO specs in slokit's own format, as a migration path.
    Convert {
        /// Spec files or directories.
        #[arg(required = true)]
        paths: Vec<PathBuf>,
        /// The format to write.
        #[arg(long, value_enum, default_value_t = ConvertTo::Native)]
        to: ConvertTo,
    },
    /// Error budgets per product and SLO, from live data: SLI, budget left, burn rates, alerts,
    /// the policy step in force, phase readiness and review status.
    ///
    /// Exits 0 when the report was written, 1 on invalid specs, 2 when the API cannot be read.
    Report {
        /// Spec files or directories [default: .]
        paths: Vec<PathBuf>,
        /// Only this product.
        #[arg(long)]
        product: Option<String>,
        /// `html` is one self-contained file with a burn-down chart per SLO.
        #[arg(long, value_enum, default_value_t = ReportFormat::Text)]
        format: ReportFormat,
        #[command(flatten)]
        api: ApiArgs,
    },
    /// Whether releases may proceed under the products' error-budget policies, for CI/CD.
    ///
    /// Exits 0 when releases may proceed, 1 when a policy step that blocks releases is in force,
    /// 2 when it cannot decide (API unreachable, no data, invalid specs): an outage of the
    /// monitoring system never looks like a green light.
    Gate {
        /// Spec files or directories [default: .]
        paths: Vec<PathBuf>,
        /// Only this product [default: every product].
        #[arg(long)]
        product: Option<String>,
        /// Only this service's SLOs.
        #[arg(long)]
        service: Option<String>,
        /// Decide on every SLO of a product that has its own SLO, not only on the product's SLO
        /// (the default for such products, as its policy acts on it).
        #[arg(long)]
        every_slo: bool,
        #[arg(long, value_enum, default_value_t = GateFormat::Text)]
        format: GateFormat,
        #[command(flatten)]
        api: ApiArgs,
    },
    /// The progressive plan of each SLO: phases, dates, targets and success criteria.
    ///
    /// SLOs without `phases` get the default ladder as a proposal.
    Plan {
        #[command(flatten)]
        pick: SloPick,
        #[arg(long, value_enum, default_value_t = PlanFormat::Markdown)]
        format: PlanFormat,
    },
    /// Whether each SLO meets its current phase's success criteria, and what blocks advancing.
    ///
    /// Exits 0 when every SLO with phases is ready, 1 when one is not, 2 when it cannot decide.
    Readiness {
        #[command(flatten)]
        pick: SloPick,
        #[command(flatten)]
        api: ApiArgs,
    },
    /// Compare slokit's SLOs with the legacy ones a team already runs (Sloth, Pyrra, or
    /// hand-written rules), on a Prometheus where both rule sets are loaded.
    ///
    /// Compares, over a range, the error ratio per window (5m, 30m, 1h, 2h, 6h, 1d, 3d, period),
    /// the budget remaining and the alerts fired, and explains differences whose cause is known.
    /// Exits 0 when every SLO matches within the tolerance (explained differences do not fail
    /// unless `--strict`), 1 when any differs, 2 when it cannot decide (API unreachable, no SLO
    /// with data on both sides, invalid specs or mapping).
    /// List the SLOs a live Prometheus already evaluates, recognised from the rules Sloth, Pyrra
    /// and slokit generate; with `--out`, write them as `slo.dev/v1` specs (one file per service)
    /// with `TODO` comments for what the rules cannot say.
    Inventory {
        /// A directory for the recovered specs, `<service>.yaml` each.
        #[arg(long, value_name = "DIR")]
        out: Option<PathBuf>,
        #[command(flatten)]
        api: ApiArgs,
    },
    Compare {
        #[command(flatten)]
        pick: SloPick,
        /// The legacy rules: `auto` (Sloth's, else Pyrra's, recognised by their labels), `sloth`,
        /// `pyrra`, or a mapping file naming the legacy PromQL of each SLO.
        #[arg(long, value_name = "auto|sloth|pyrra|FILE", default_value = "auto")]
        against: String,
        /// The start of the range (Unix seconds); with `--to`.
        #[arg(
            long,
            value_name = "UNIX_SECONDS",
            requires = "to",
            conflicts_with = "last"
        )]
        from: Option<f64>,
        /// The end of the range (Unix seconds) [default: `--at`, else now].
        #[arg(long, value_name = "UNIX_SECONDS")]
        to: Option<f64>,
        /// The range, ending at `--to` (or now).
        #[arg(long, value_name = "DURATION", default_value = "1d")]
        last: String,
        /// The relative tolerance on ratios (0.01 = 1%).
        #[arg(long, value_name = "RATIO", default_value_t = crate::live::compare::DEFAULT_TOLERANCE)]
        tolerance: f64,
        /// Explained differences fail too, and so does an SLO without data on both sides.
        #[arg(long)]
        strict: bool,
        /// `markdown` for a pull-request comment, `json` for machines.
        #[arg(long, value_enum, default_value_t = CompareFormat::Text)]
        format: CompareFormat,
        #[command(flatten)]
        api: ApiArgs,
    },
}

/// The spec files and, optionally, one product or one SLO of them.
#[derive(Debug, clap::Args)]
struct SloPick {
    /// Spec files or directories.
    #[arg(required = true)]
    paths: Vec<PathBuf>,
    /// Only this product.
    #[arg(long)]
    product: Option<String>,
    /// Only this SLO.
    #[arg(long)]
    slo: Option<String>,
}

/// How to reach a Prometheus-compatible API; secrets come from files or the environment, never
/// from the command line, where other users could read them.
#[derive(Debug, clap::Args)]
struct ApiArgs {
    /// Base URL of a Prometheus-compatible API (Prometheus, Mimir, Thanos, VictoriaMetrics).
    #[arg(long, value_name = "URL")]
    prometheus: String,
    /// User for HTTP basic auth; the password comes from `--basic-auth-password-file` or the
    /// `SLOKIT_PROMETHEUS_PASSWORD` variable.
    #[arg(long, value_name = "USER")]
    basic_auth_user: Option<String>,
    #[arg(long, value_name = "FILE")]
    basic_auth_password_file: Option<PathBuf>,
    /// A file holding a bearer token [default: the `SLOKIT_PROMETHEUS_BEARER_TOKEN` variable].
    #[arg(long, value_name = "FILE")]
    bearer_token_file: Option<PathBuf>,
    /// Tenant for multi-tenant stores, sent as `X-Scope-OrgID`.
    #[arg(long)]
    tenant: Option<String>,
    /// An extra request header, `Name=value`; repeatable.
    #[arg(long = "header", value_name = "NAME=VALUE")]
    headers: Vec<String>,
    /// Timeout of each request.
    #[arg(long, default_value = "30s")]
    timeout: String,
    /// Evaluate at this time (Unix seconds) instead of now, for reproducible reports.
    #[arg(long, value_name = "UNIX_SECONDS")]
    at: Option<f64>,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum ReportFormat {
    Text,
    Markdown,
    Json,
    Html,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum GateFormat {
    Text,
    Json,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum CompareFormat {
    Text,
    Markdown,
    Json,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum PlanFormat {
    Markdown,
    Yaml,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum DashboardsArg {
    /// Panels query the slokit Grafana plugin.
    Plugin,
    /// Panels query Prometheus with plain PromQL over the recorded series.
    Prometheus,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum TargetArg {
    Prometheus,
    PrometheusOperator,
    Mimir,
    Vmalert,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum ConvertTo {
    /// slokit's `slo.dev/v1`.
    Native,
}

/// Parses the process arguments and runs the command.
pub fn run() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Validate { paths, strict } => validate(&paths, strict),
        Command::Generate {
            paths,
            out,
            target,
            dashboards,
            prometheus_url,
            strict,
        } => {
            let flavour = match dashboards {
                DashboardsArg::Plugin => DashboardFlavour::Plugin,
                DashboardsArg::Prometheus => DashboardFlavour::Prometheus,
            };
            let dashboards = DashboardOptions {
                flavour,
                prometheus_url,
            };
            generate(&paths, out, target, &dashboards, strict)
        }
        Command::Test { dir } => match crate::promtool::test_tree(&dir) {
            Ok(report) => {
                print!("{report}");
                ExitCode::SUCCESS
            }
            Err(report) => {
                eprint!("{report}");
                ExitCode::from(1)
            }
        },
        Command::Convert {
            paths,
            to: ConvertTo::Native,
        } => convert(&paths),
        Command::Report {
            paths,
            product,
            format,
            api,
        } => report(&paths, product.as_deref(), format, &api),
        Command::Gate {
            paths,
            product,
            service,
            every_slo,
            format,
            api,
        } => gate(
            &paths,
            (product.as_deref(), service.as_deref()),
            every_slo,
            format,
            &api,
        ),
        Command::Plan { pick, format } => plan(&pick, format),
        Command::Readiness { pick, api } => readiness(&pick, &api),
        Command::Inventory { out, api } => inventory(out.as_deref(), &api),
        Command::Compare {
            pick,
            against,
            from,
            to,
            last,
            tolerance,
            strict,
            format,
            api,
        } => compare(
            &pick,
            &against,
            (from, to, &last),
            (tolerance, strict),
            format,
            &api,
        ),
    }
}

/// "Today" for review checks: the `SLOKIT_TODAY` variable (`YYYY-MM-DD`, for reproducible runs
/// and tests) or the system clock.
fn today() -> Date {
    today_at(None)
}

/// "Today" as of `at` (Unix seconds) when given, so a report for a past instant judges reviews and
/// phases as of that day; `SLOKIT_TODAY` still wins.
fn today_at(at: Option<f64>) -> Date {
    if let Some(at) = at.filter(|_| std::env::var_os("SLOKIT_TODAY").is_none()) {
        return Date::from_days_since_epoch((at / 86_400.0).floor() as i64);
    }
    if let Some(date) = std::env::var("SLOKIT_TODAY")
        .ok()
        .and_then(|v| Date::parse(&v))
    {
        return date;
    }
    let seconds = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    Date::from_days_since_epoch((seconds / 86_400) as i64)
}

fn default_paths(paths: &[PathBuf]) -> Vec<PathBuf> {
    if paths.is_empty() {
        vec![PathBuf::from(".")]
    } else {
        paths.to_vec()
    }
}

/// Loads specs and prints every diagnostic. Returns the loaded specs when they may be used, or the
/// exit code to stop with.
fn load_and_report(paths: &[PathBuf], strict: bool) -> Result<Loaded, ExitCode> {
    let loaded = load::load(&default_paths(paths), Options { today: today() });
    report_loaded(loaded, strict)
}

/// Prints every diagnostic of a load, and decides whether its catalog may be used.
fn report_loaded(loaded: Loaded, strict: bool) -> Result<Loaded, ExitCode> {
    let mut stderr = std::io::stderr().lock();
    for error in &loaded.io_errors {
        let _ = writeln!(stderr, "error: {error}");
    }
    if !loaded.io_errors.is_empty() {
        return Err(ExitCode::from(2));
    }
    print_diagnostics(&mut stderr, &loaded.diagnostics, &loaded.sources);
    let errors = loaded.diagnostics.error_count();
    let warnings = loaded.diagnostics.warning_count();
    if errors > 0 || (strict && warnings > 0) {
        let what = if errors > 0 {
            plural(errors, "error")
        } else {
            format!("{} (--strict)", plural(warnings, "warning"))
        };
        let _ = writeln!(
            stderr,
            "{what} in {}; nothing was generated or changed",
            plural(loaded.files, "file")
        );
        return Err(ExitCode::from(1));
    }
    if loaded.files == 0 {
        let _ = writeln!(
            stderr,
            "error: no spec files found (looked for .yaml, .yml and .json files)"
        );
        return Err(ExitCode::from(2));
    }
    Ok(loaded)
}

fn print_diagnostics(out: &mut impl Write, diagnostics: &Diagnostics, sources: &SourceMap) {
    let rendered = diagnostics.render(sources);
    if !rendered.is_empty() {
        let _ = writeln!(out, "{rendered}");
    }
}

fn plural(n: usize, word: &str) -> String {
    if n == 1 {
        format!("1 {word}")
    } else {
        format!("{n} {word}s")
    }
}

fn summary(loaded: &Loaded) -> String {
    let slos = loaded.catalog.slos().count();
    let products = loaded.catalog.products.len();
    let warnings = loaded.diagnostics.warning_count();
    let mut line = format!(
        "{} in {} from {}",
        plural(slos, "SLO"),
        plural(products, "product"),
        plural(loaded.files, "file")
    );
    if !loaded.catalog.policies.is_empty() {
        line.push_str(&format!(
            ", {}",
            plural(loaded.catalog.policies.len(), "policy").replace("policys", "policies")
        ));
    }
    if warnings > 0 {
        line.push_str(&format!(" ({})", plural(warnings, "warning")));
    }
    line
}

fn validate(paths: &[PathBuf], strict: bool) -> ExitCode {
    match load_and_report(paths, strict) {
        Ok(loaded) => {
            println!("valid: {}", summary(&loaded));
            ExitCode::SUCCESS
        }
        Err(code) => code,
    }
}

fn generate(
    paths: &[PathBuf],
    out: PathBuf,
    target: TargetArg,
    dashboards: &DashboardOptions,
    strict: bool,
) -> ExitCode {
    let loaded = match load_and_report(paths, strict) {
        Ok(loaded) => loaded,
        Err(code) => return code,
    };
    let target = match target {
        TargetArg::Prometheus => Target::Prometheus,
        TargetArg::PrometheusOperator => Target::PrometheusOperator,
        TargetArg::Mimir => Target::Mimir,
        TargetArg::Vmalert => Target::Vmalert,
    };
    let options = GenerateOptions { target };
    // Files are written as they are rendered, products in parallel; the tree is swapped in only
    // once every file is written, so a failure leaves `out` as it was.
    let regenerated = render::output_dirs(&options)
        .iter()
        .map(OsString::from)
        .collect();
    let written = Staging::begin(&out, &regenerated).and_then(|staging| {
        let count = render::for_each_file(&loaded.catalog, &options, dashboards, &|file| {
            staging.write(&file)
        })?;
        staging.commit().map(|()| count)
    });
    match written {
        Ok(count) => {
            println!(
                "generated {} for {} into {}",
                plural(count, "file"),
                summary(&loaded),
                out.display()
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!(
                "error: cannot write `{}`: {e}; nothing under it was changed",
                out.display()
            );
            ExitCode::from(2)
        }
    }
}

/// `slo convert`: the catalog as `slo.dev/v1` documents. An SLO whose SLI is a Sloth plugin
/// slokit cannot run is written too, using a stub SLI template ([`stubs`]) for the user to fill
/// in, so its error is only a warning here.
fn convert(paths: &[PathBuf]) -> ExitCode {
    let mut loaded = load::load(&default_paths(paths), Options { today: today() });
    let stubbed: Vec<crate::diag::Diagnostic> =
        loaded.stubs.iter().map(|s| s.diagnostic.clone()).collect();
    if !stubbed.is_empty() {
        let mut relabelled = Diagnostics::default();
        for d in loaded.diagnostics.iter() {
            let mut d = d.clone();
            if stubbed.contains(&d) {
                d.severity = crate::diag::Severity::Warning;
                d.notes
                    .push("`slo convert` wrote the stub template and the SLO using it; fill in the template's queries".into());
            }
            relabelled.push(d);
        }
        loaded.diagnostics = relabelled;
    }
    let loaded = match report_loaded(loaded, false) {
        Ok(loaded) => loaded,
        Err(code) => return code,
    };
    let mut out = crate::render::convert::to_native(&loaded.catalog);
    if !loaded.stubs.is_empty() {
        for document in stubs(&loaded.stubs) {
            if !out.is_empty() {
                out.push_str("---\n");
            }
            out.push_str(&document);
        }
        eprintln!(
            "wrote {} for Sloth plugins slokit cannot run; replace their `TODO` queries with PromQL",
            plural(
                loaded
                    .stubs
                    .iter()
                    .map(|s| &s.template)
                    .collect::<std::collections::BTreeSet<_>>()
                    .len(),
                "stub SLI template"
            )
        );
    }
    print!("{out}");
    ExitCode::SUCCESS
}

/// The stub documents for SLOs whose SLI is a Sloth plugin slokit cannot run: one SLI template
/// per plugin (with every option any of its uses passes as a parameter; those not passed by every
/// use default to empty), then each SLO using it.
fn stubs(stubs: &[load::PluginStub]) -> Vec<String> {
    /// One stub template: its name, the plugin it replaces, and its parameters with defaults.
    struct Template<'a> {
        name: &'a str,
        plugin: &'a str,
        params: Vec<(&'a str, Option<&'a str>)>,
    }
    let mut templates: Vec<Template<'_>> = Vec::new();
    for stub in stubs {
        if !templates.iter().any(|t| t.name == stub.template) {
            templates.push(Template {
                name: &stub.template,
                plugin: &stub.plugin,
                params: Vec::new(),
            });
        }
    }
    for template in &mut templates {
        let uses: Vec<&load::PluginStub> = stubs
            .iter()
            .filter(|s| s.template == template.name)
            .collect();
        for stub in &uses {
            for (name, _) in &stub.params {
                if template.params.iter().any(|(n, _)| n == name) {
                    continue;
                }
                let everywhere = uses.iter().all(|u| u.params.iter().any(|(n, _)| n == name));
                template.params.push((name, (!everywhere).then_some("")));
            }
        }
    }
    let mut documents = Vec::new();
    for template in &templates {
        documents.push(load::sloth::template_yaml(
            template.plugin,
            template.name,
            &template.params,
        ));
        for stub in stubs.iter().filter(|s| s.template == template.name) {
            documents.push(stub_slo(stub));
        }
    }
    documents
}

/// One stubbed SLO as `slo.dev/v1`: converted like any other SLO, with its placeholder indicator
/// replaced by the use of the stub template.
fn stub_slo(stub: &load::PluginStub) -> String {
    const MARKER: &str = "slokit-convert-stub-indicator";
    let mut slo = stub.slo.clone();
    slo.indicator = crate::model::Indicator::Raw {
        error_ratio: crate::model::WindowQuery {
            template: MARKER.into(),
        },
    };
    let catalog = Catalog {
        products: vec![crate::model::Product {
            name: slo.service.clone(),
            display_name: None,
            description: None,
            team: None,
            owners: Vec::new(),
            maturity: crate::model::Maturity::SloWithoutTeeth,
            review: crate::model::Review::default(),
            approvers: Vec::new(),
            policy: None,
            services: vec![slo.service.clone()],
            slo: None,
            slos: vec![slo],
            origin: None,
        }],
        policies: Default::default(),
    };
    let text = crate::render::convert::to_native(&catalog);
    let lines: Vec<&str> = text.lines().collect();
    let marker = lines.iter().position(|l| l.trim_end().ends_with(MARKER));
    let start = marker.and_then(|m| lines[..m].iter().rposition(|l| l.trim() == "indicator:"));
    let (Some(start), Some(marker)) = (start, marker) else {
        // The converter writes indicators differently now; the SLO is still worth writing.
        return text;
    };
    let indent = &lines[start][..lines[start].len() - lines[start].trim_start().len()];
    let mut out: Vec<String> = lines[..start].iter().map(|l| l.to_string()).collect();
    out.extend(
        stub.indicator_lines()
            .iter()
            .map(|l| format!("{indent}{l}")),
    );
    out.extend(lines[marker + 1..].iter().map(|l| l.to_string()));
    out.join("\n") + "\n"
}

fn now_unix() -> f64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as f64)
        .unwrap_or(0.0)
}

/// Reads a secret from a file (trailing newline removed) or an environment variable.
fn secret(file: Option<&PathBuf>, variable: &str, flag: &str) -> Result<Option<Secret>, String> {
    if let Some(path) = file {
        return std::fs::read_to_string(path)
            .map(|text| Some(Secret::new(text.trim_end_matches(['\n', '\r']))))
            .map_err(|e| format!("cannot read `{flag}` file `{}`: {e}", path.display()));
    }
    Ok(std::env::var(variable)
        .ok()
        .filter(|v| !v.is_empty())
        .map(Secret::new))
}

fn client(api: &ApiArgs) -> Result<Client, String> {
    let timeout = Duration::parse(&api.timeout).map_err(|e| {
        format!(
            "invalid `--timeout` `{}`: {e}; write e.g. `30s`",
            api.timeout
        )
    })?;
    let password = secret(
        api.basic_auth_password_file.as_ref(),
        "SLOKIT_PROMETHEUS_PASSWORD",
        "--basic-auth-password-file",
    )?;
    let token = secret(
        api.bearer_token_file.as_ref(),
        "SLOKIT_PROMETHEUS_BEARER_TOKEN",
        "--bearer-token-file",
    )?;
    let auth = match (&api.basic_auth_user, password, token) {
        (Some(_), _, Some(_)) if api.bearer_token_file.is_some() => {
            return Err("use either `--basic-auth-user` or `--bearer-token-file`, not both".into())
        }
        (Some(user), Some(password), _) => Auth::Basic {
            user: user.clone(),
            password,
        },
        (Some(_), None, _) => {
            return Err("`--basic-auth-user` needs a password: pass `--basic-auth-password-file` or set `SLOKIT_PROMETHEUS_PASSWORD`".into())
        }
        (None, _, Some(token)) => Auth::Bearer(token),
        (None, _, None) => Auth::None,
    };
    let mut headers = Vec::new();
    for header in &api.headers {
        match header.split_once('=') {
            Some((name, value)) if !name.trim().is_empty() => {
                headers.push((name.trim().to_string(), value.to_string()))
            }
            _ => {
                return Err(format!(
                    "invalid `--header` `{}`: write `Name=value`",
                    header.split('=').next().unwrap_or_default()
                ))
            }
        }
    }
    Ok(Client::new(&ApiConfig {
        url: api.prometheus.clone(),
        auth,
        tenant: api.tenant.clone(),
        headers,
        timeout: std::time::Duration::from_millis(timeout.millis()),
    }))
}

/// The SLOs to work on, in catalog order, or an error naming what does not exist.
fn select<'a>(
    catalog: &'a Catalog,
    product: Option<&str>,
    service: Option<&str>,
    slo: Option<&str>,
) -> Result<Vec<&'a Slo>, String> {
    let unknown = |what: &str, name: &str, names: Vec<&str>| {
        let hint = suggestion(name, names.iter().copied(), || {
            format!("the {what}s are {}", names.join(", "))
        });
        format!("unknown {what} `{name}`; {hint}")
    };
    if let Some(p) = product {
        if catalog.product(p).is_none() {
            return Err(unknown(
                "product",
                p,
                catalog.products.iter().map(|p| p.name.as_str()).collect(),
            ));
        }
    }
    let in_product: Vec<&Slo> = catalog
        .slos()
        .filter(|s| product.is_none_or(|p| s.product == p))
        .collect();
    if let Some(name) = service {
        if !in_product.iter().any(|s| s.service == name) {
            let mut services: Vec<&str> = in_product.iter().map(|s| s.service.as_str()).collect();
            services.dedup();
            return Err(unknown("service", name, services));
        }
    }
    if let Some(name) = slo {
        if !in_product.iter().any(|s| s.name == name) {
            return Err(unknown(
                "SLO",
                name,
                in_product.iter().map(|s| s.name.as_str()).collect(),
            ));
        }
    }
    Ok(in_product
        .into_iter()
        .filter(|s| service.is_none_or(|v| s.service == v))
        .filter(|s| slo.is_none_or(|v| s.name == v))
        .collect())
}

fn usage_error(message: String) -> ExitCode {
    eprintln!("error: {message}");
    ExitCode::from(2)
}

/// Runs a command that reads a live API: loads the specs, builds the client, selects the SLOs
/// (`product`, `service`, `slo` as given) and calls `body` with them and the evaluation time
/// (`--at`, else now). Specs that do not load end the command with their diagnostics' exit code,
/// or with 2 and `undecided` for commands whose 1 means a decision (a blocked gate, an SLO not
/// ready); a bad flag or an unknown name is a usage error.
fn run_live(
    paths: &[PathBuf],
    api: &ApiArgs,
    undecided: Option<&str>,
    (product, service, slo): (Option<&str>, Option<&str>, Option<&str>),
    body: impl FnOnce(&Catalog, &Client, f64, &[&Slo]) -> ExitCode,
) -> ExitCode {
    let loaded = match load_and_report(paths, false) {
        Ok(loaded) => loaded,
        Err(code) => {
            return match undecided {
                Some(message) => {
                    eprintln!("{message}");
                    ExitCode::from(2)
                }
                None => code,
            }
        }
    };
    let started = client(api).and_then(|client| {
        select(&loaded.catalog, product, service, slo).map(|slos| (client, slos))
    });
    match started {
        Ok((client, slos)) => body(
            &loaded.catalog,
            &client,
            api.at.unwrap_or_else(now_unix),
            &slos,
        ),
        Err(message) => usage_error(message),
    }
}

fn report(
    paths: &[PathBuf],
    product: Option<&str>,
    format: ReportFormat,
    api: &ApiArgs,
) -> ExitCode {
    run_live(
        paths,
        api,
        None,
        (product, None, None),
        |catalog, client, at, slos| {
            let fetched = budget::fetch(client, catalog, slos, Some(at)).and_then(|status| {
                let measurements = readiness::fetch(client, slos, Some(at))?;
                let burn_down = match format {
                    ReportFormat::Html => budget::fetch_burn_down(client, slos, at)?,
                    _ => Default::default(),
                };
                Ok((status, measurements, burn_down))
            });
            let (status, measurements, burn_down) = match fetched {
                Ok(figures) => figures,
                Err(e) => {
                    eprintln!("error: {e}; no report was written");
                    return ExitCode::from(2);
                }
            };
            let built = report::build(
                catalog,
                slos,
                &status,
                &measurements,
                &burn_down,
                at,
                today_at(Some(at)),
            );
            print!(
                "{}",
                match format {
                    ReportFormat::Text => report::text::render(&built),
                    ReportFormat::Markdown => report::markdown::render(&built),
                    ReportFormat::Json => report::json::render(&built),
                    ReportFormat::Html => report::html::render(&built),
                }
            );
            ExitCode::SUCCESS
        },
    )
}

fn gate(
    paths: &[PathBuf],
    (product, service): (Option<&str>, Option<&str>),
    every_slo: bool,
    format: GateFormat,
    api: &ApiArgs,
) -> ExitCode {
    // Invalid specs leave the gate undecided (2), never "blocked" (1), so pipelines can tell a
    // policy decision from a broken setup.
    run_live(
        paths,
        api,
        Some("gate: cannot decide: the specs did not load; releases are not cleared"),
        (product, service, None),
        |catalog, client, at, slos| {
            let status = match budget::fetch(client, catalog, slos, Some(at)) {
                Ok(status) => status,
                Err(e) => {
                    eprintln!("error: {e}");
                    eprintln!("gate: cannot decide: the monitoring system cannot be read; releases are not cleared");
                    return ExitCode::from(2);
                }
            };
            // A product with its own SLO is gated on that SLO, as its policy acts on it; the
            // figures of every selected SLO were fetched, so the product SLO's members show.
            let decided = if every_slo || service.is_some() {
                slos.to_vec()
            } else {
                report::gate::deciding(catalog, slos)
            };
            let built = report::build(
                catalog,
                &decided,
                &status,
                &Default::default(),
                &Default::default(),
                at,
                today_at(Some(at)),
            );
            let outcome = report::gate::outcome(&built);
            match format {
                GateFormat::Text => print!("{}", report::gate::text(&built)),
                GateFormat::Json => print!("{}", report::gate::json(&built)),
            }
            ExitCode::from(outcome as u8)
        },
    )
}

fn plan(pick: &SloPick, format: PlanFormat) -> ExitCode {
    let (product, slo) = (pick.product.as_deref(), pick.slo.as_deref());
    let loaded = match load_and_report(&pick.paths, false) {
        Ok(loaded) => loaded,
        Err(code) => return code,
    };
    let slos = match select(&loaded.catalog, product, None, slo) {
        Ok(slos) => slos,
        Err(message) => return usage_error(message),
    };
    let today = today();
    let plans: Vec<_> = slos.iter().map(|s| plan::plan(s, today)).collect();
    print!(
        "{}",
        match format {
            PlanFormat::Markdown => plan::to_markdown(&plans),
            PlanFormat::Yaml => plan::to_yaml(&plans),
        }
    );
    ExitCode::SUCCESS
}

fn readiness(pick: &SloPick, api: &ApiArgs) -> ExitCode {
    let (product, slo) = (pick.product.as_deref(), pick.slo.as_deref());
    run_live(
        &pick.paths,
        api,
        Some("readiness: cannot decide: the specs did not load"),
        (product, None, slo),
        |catalog, client, at, slos| {
            let fetched = budget::fetch(client, catalog, slos, Some(at))
                .and_then(|status| Ok((status, readiness::fetch(client, slos, Some(at))?)));
            let (status, measurements) = match fetched {
                Ok(figures) => figures,
                Err(e) => {
                    eprintln!("error: {e}");
                    eprintln!("readiness: cannot decide: the monitoring system cannot be read");
                    return ExitCode::from(2);
                }
            };
            let today = today_at(Some(at));
            let items: Vec<(String, readiness::Readiness)> = slos
                .iter()
                .map(|s| {
                    let m = measurements
                        .get(&budget::key(s))
                        .cloned()
                        .unwrap_or_default();
                    (
                        format!("{}/{}", s.product, s.name),
                        readiness::assess(s, status.get(s), &m, today),
                    )
                })
                .collect();
            print!("{}", readiness::render_text(&items));
            let verdicts: Vec<Verdict> = items.iter().map(|(_, r)| r.verdict).collect();
            let ready = verdicts.iter().filter(|v| **v == Verdict::Ready).count();
            let with_phases = verdicts.iter().filter(|v| **v != Verdict::NoPhases).count();
            println!("readiness: {ready} of {with_phases} SLOs with phases ready");
            if verdicts.contains(&Verdict::NotReady) {
                ExitCode::from(1)
            } else if verdicts.contains(&Verdict::Unknown) {
                ExitCode::from(2)
            } else {
                ExitCode::SUCCESS
            }
        },
    )
}

/// `slo compare`: the range and the legacy side from the flags, then fetch, compare, render.
/// Whatever stops it before a comparison (invalid specs or mapping, the API) exits 2: a missing
/// answer is never "they match".
fn inventory(out: Option<&std::path::Path>, api: &ApiArgs) -> ExitCode {
    use crate::live::inventory;
    let client = match client(api) {
        Ok(client) => client,
        Err(message) => return usage_error(message),
    };
    let groups = match client.rules() {
        Ok(groups) => groups,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    let found = inventory::recognise(&groups);
    if found.is_empty() {
        println!(
            "no SLO rules of Sloth, Pyrra or slokit found in {} rule groups",
            groups.len()
        );
    } else {
        print!("{}", inventory::table(&found));
    }
    let Some(out) = out else {
        return ExitCode::SUCCESS;
    };
    let files: Vec<crate::render::OutputFile> =
        inventory::specs(&found, &slokit_wire::redact_url(&api.prometheus))
            .into_iter()
            .map(|(service, contents)| crate::render::OutputFile {
                path: PathBuf::from(format!("{service}.yaml")),
                contents,
            })
            .collect();
    match crate::write::write_tree(out, &files) {
        Ok(()) => {
            eprintln!(
                "wrote {} spec files for {} SLOs into {}; review their TODOs",
                files.len(),
                found.len(),
                out.display()
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: cannot write `{}`: {e}", out.display());
            ExitCode::from(1)
        }
    }
}

fn compare(
    pick: &SloPick,
    against: &str,
    (from, to, last): (Option<f64>, Option<f64>, &str),
    (tolerance, strict): (f64, bool),
    format: CompareFormat,
    api: &ApiArgs,
) -> ExitCode {
    use crate::live::compare::{self, Against, Options};
    let (product, slo) = (pick.product.as_deref(), pick.slo.as_deref());
    if !(0.0..1.0).contains(&tolerance) {
        return usage_error(format!(
            "invalid `--tolerance` `{tolerance}`: write a ratio such as `0.01` for 1%"
        ));
    }
    run_live(
        &pick.paths,
        api,
        Some("compare: cannot decide: the specs did not load"),
        (product, None, slo),
        |catalog, client, at, slos| {
            let to = to.unwrap_or(at);
            let from = match from {
                Some(from) if from < to => from,
                Some(_) => return usage_error("`--from` must be before `--to`".into()),
                None => match Duration::parse(last) {
                    Ok(d) if d.millis() > 0 => to - d.secs_f64(),
                    _ => {
                        return usage_error(format!(
                            "invalid `--last` `{last}`: write a duration such as `14d`"
                        ))
                    }
                },
            };
            let against = match against {
                "auto" => Against::Auto,
                "sloth" => Against::Sloth,
                "pyrra" => Against::Pyrra,
                file => match load::mapping::load(std::path::Path::new(file), catalog) {
                    Ok(mapping) => Against::File(mapping),
                    Err(rendered) => {
                        eprintln!("{rendered}");
                        eprintln!("compare: cannot decide: the mapping `{file}` did not load");
                        return ExitCode::from(2);
                    }
                },
            };
            let options = Options {
                from,
                to,
                tolerance,
                strict,
            };
            let fetched = match compare::fetch(client, slos, &against, &options) {
                Ok(fetched) => fetched,
                Err(e) => {
                    eprintln!("error: {e}");
                    eprintln!("compare: cannot decide: the monitoring system cannot be read");
                    return ExitCode::from(2);
                }
            };
            let comparison = compare::compare(slos, &fetched, &options);
            print!(
                "{}",
                match format {
                    CompareFormat::Text => compare::render::text(&comparison),
                    CompareFormat::Markdown => compare::render::markdown(&comparison),
                    CompareFormat::Json => compare::render::json(&comparison),
                }
            );
            ExitCode::from(comparison.outcome() as u8)
        },
    )
}
