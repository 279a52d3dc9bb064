//! A real worker process running the synthetic handler, for tests and benchmarks.
//!
//! `fleet-synthetic-worker --url URL [--name NAME] [--threads N] [--lease-ms MS] [--poll-ms MS]`;
//! `FLEET_SYNTH_CRASH=0.01` makes each task abort the process with that probability. Prints the
//! worker summary as JSON on exit. SIGINT/SIGTERM: once drains, twice releases.

use std::sync::Arc;
use std::time::Duration;

use fleet::synthetic::{SyntheticHandler, CRASH_ENV};
use fleet::worker::{self, install_signal_handlers, StopSignal, WorkerConfig};

/// Log lines to stderr, prefixed with the level (no extra dependency for a test binary).
struct StderrLog;

impl log::Log for StderrLog {
    fn enabled(&self, metadata: &log::Metadata<'_>) -> bool {
        metadata.level() <= log::Level::Info
    }
    fn log(&self, record: &log::Record<'_>) {
        if self.enabled(record.metadata()) {
            eprintln!("[{}] {}", record.level(), record.args());
        }
    }
    fn flush(&self) {}
}

fn main() {
    if log::set_logger(&StderrLog).is_ok() {
        log::set_max_level(log::LevelFilter::Info);
    }
    let mut args = std::env::args().skip(1);
    let mut config = WorkerConfig::new(String::new());
    while let Some(flag) = args.next() {
        let value = args
            .next()
            .unwrap_or_else(|| usage(&format!("{flag} needs a value")));
        let ms = |v: &str| {
            Duration::from_millis(v.parse().unwrap_or_else(|_| usage(&format!("bad {flag}"))))
        };
        match flag.as_str() {
            "--url" => config.url = value,
            "--name" => config.name = value,
            "--threads" => {
                config.threads = value.parse().unwrap_or_else(|_| usage("bad --threads"))
            }
            "--lease-ms" => config.lease = ms(&value),
            "--poll-ms" => config.poll_interval = ms(&value),
            other => usage(&format!("unknown flag {other}")),
        }
    }
    if config.url.is_empty() {
        usage("--url is required");
    }
    let crash_probability = std::env::var(CRASH_ENV)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(0.0);
    let stop = StopSignal::new();
    if let Err(e) = install_signal_handlers(&stop) {
        eprintln!("fleet-synthetic-worker: {e}");
        std::process::exit(1);
    }
    match worker::run(
        config,
        Arc::new(SyntheticHandler { crash_probability }),
        &stop,
    ) {
        Ok(summary) => println!(
            "{}",
            serde_json::to_string(&summary).expect("a summary serialises")
        ),
        Err(e) => {
            eprintln!("fleet-synthetic-worker: {e}");
            std::process::exit(1);
        }
    }
}

fn usage(problem: &str) -> ! {
    eprintln!(
        "fleet-synthetic-worker: {problem}\nusage: fleet-synthetic-worker --url URL [--name NAME] \
         [--threads N] [--lease-ms MS] [--poll-ms MS]"
    );
    std::process::exit(2)
}
