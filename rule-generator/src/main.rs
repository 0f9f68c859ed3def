//! The `slo` binary: parses arguments and hands over to [`slokit::cli`].

fn main() -> std::process::ExitCode {
    slokit::cli::run()
}
