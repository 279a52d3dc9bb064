//! The `zkpar` command: see `zkpar --help` and the `bench_suite` library docs.
#![deny(missing_docs)]

use std::process::ExitCode;

use bench_suite::cli::Cli;
use bench_suite::commands;
use clap::Parser;

fn main() -> ExitCode {
    // halo2-base warns when a circuit builder is dropped without being proved, which sizing a
    // circuit (layout, key generation) does on purpose: only its errors are worth a line.
    env_logger::Builder::from_env(
        env_logger::Env::default().default_filter_or("info,halo2_base=error"),
    )
    .format_timestamp(None)
    .init();
    // A bug should still read as one line on stderr; RUST_BACKTRACE=1 restores the full report.
    if std::env::var_os("RUST_BACKTRACE").is_none() {
        std::panic::set_hook(Box::new(|info| {
            eprintln!("error: internal error (a bug in zkpar): {info}");
        }));
    }
    // clap prints usage errors itself and exits with 2 (0 for --help / --version).
    let cli = Cli::try_parse().unwrap_or_else(|e| e.exit());
    match commands::run(&cli.command) {
        Ok(outcome) => ExitCode::from(outcome.exit_code()),
        Err(error) => {
            eprint!("{}", commands::format_error(&error));
            ExitCode::from(commands::exit_code(&error))
        }
    }
}
