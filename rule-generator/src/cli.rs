//! The `slo` command line: argument parsing with clap, and the glue from each command to the
//! pipeline (load → validate → model → render → write). Exit codes: 0 success, 1 invalid specs
//! (or failing generated tests), 2 usage or I/O errors.

use crate::diag::Diagnostics;
use crate::generate::{self, GenerateOptions, Target};
use crate::model::Date;
use crate::source::SourceMap;
use crate::spec::{self, Loaded, Options};
use clap::{Parser, Subcommand, ValueEnum};
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
            strict,
        } => generate(&paths, out, target, strict),
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
    }
}

/// "Today" for review checks: the `SLOKIT_TODAY` variable (`YYYY-MM-DD`, for reproducible runs
/// and tests) or the system clock.
fn today() -> Date {
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
    let loaded = spec::load(&default_paths(paths), Options { today: today() });
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

fn generate(paths: &[PathBuf], out: PathBuf, target: TargetArg, strict: bool) -> ExitCode {
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
    let files = generate::generate(&loaded.catalog, &GenerateOptions { target });
    if let Err(e) = crate::write::write_tree(&out, &files) {
        eprintln!(
            "error: cannot write `{}`: {e}; nothing under it was changed",
            out.display()
        );
        return ExitCode::from(2);
    }
    println!(
        "generated {} for {} into {}",
        plural(files.len(), "file"),
        summary(&loaded),
        out.display()
    );
    ExitCode::SUCCESS
}

fn convert(paths: &[PathBuf]) -> ExitCode {
    let loaded = match load_and_report(paths, false) {
        Ok(loaded) => loaded,
        Err(code) => return code,
    };
    print!("{}", crate::convert::to_native(&loaded.catalog));
    ExitCode::SUCCESS
}
