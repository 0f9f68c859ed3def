//! `slokit-demo-workload [--listen ADDR] [--speed N]`: serves the demo metrics. `--speed` adds N
//! simulated seconds of traffic per real second (default 1).

use slokit_demo_workload::{model, router, simulate};
use std::sync::{Arc, Mutex};

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let mut listen = "127.0.0.1:9100".to_string();
    let mut speed: u64 = 1;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match (arg.as_str(), args.next()) {
            ("--listen", Some(value)) => listen = value,
            ("--speed", Some(value)) => match value.parse() {
                Ok(n) if n > 0 => speed = n,
                _ => {
                    return usage(&format!(
                        "`--speed` takes a whole number above 0, not `{value}`"
                    ))
                }
            },
            _ => return usage(&format!("unexpected argument `{arg}`")),
        }
    }
    let state = Arc::new(Mutex::new(model::State::new(model::example_services())));
    let listener = match tokio::net::TcpListener::bind(&listen).await {
        Ok(l) => l,
        Err(e) => return usage(&format!("cannot listen on `{listen}`: {e}")),
    };
    println!("slokit demo workload listening on http://{listen} (speed {speed}x)");
    tokio::spawn(simulate(
        state.clone(),
        std::time::Duration::from_secs(1),
        speed,
    ));
    let shutdown = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    match axum::serve(listener, router(state))
        .with_graceful_shutdown(shutdown)
        .await
    {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => usage(&format!("server failed: {e}")),
    }
}

fn usage(message: &str) -> std::process::ExitCode {
    eprintln!(
        "error: {message}\nusage: slokit-demo-workload [--listen 127.0.0.1:9100] [--speed 1]"
    );
    std::process::ExitCode::from(2)
}
