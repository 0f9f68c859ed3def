//! The `gpx_slokit` executable Grafana starts: everything lives in the library.

fn main() -> std::process::ExitCode {
    grafana_backend::run()
}
