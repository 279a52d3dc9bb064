//! The subcommands' handlers, and how their outcomes and errors become exit codes.
//!
//! # Exit codes
//!
//! | code | meaning |
//! |---|---|
//! | 0 | success ([`Outcome::Success`]) |
//! | 1 | a failure that is not the input's fault (writing output, a command not implemented yet) |
//! | 2 | bad or missing input: usage errors (clap), unreadable or malformed files, missing data |
//! | 3 | the gate found a regression ([`Outcome::Regressed`]) |
//!
//! Errors are `anyhow` chains; [`exit_code`] looks through the chain for the crate's input
//! error types ([`ReportError`], [`SizeError`], [`ChartError`] caused by the data) to pick 2.
//!
//! # Adding a subcommand
//!
//! 1. In [`crate::cli`]: a `FooArgs` struct and a `Foo(FooArgs)` variant of [`Command`].
//! 2. Here: `pub mod foo;` with `pub fn run(args: &FooArgs) -> anyhow::Result<Outcome>` in
//!    `commands/foo.rs`, and the arm `Command::Foo(a) => foo::run(a)` in [`run`].
//! 3. Machine-readable output (`--json`) goes alone on stdout; progress and logs go to stderr
//!    (`log` macros, shown with `RUST_LOG`).

pub mod calibrate;
pub mod count;
pub mod fleet_report;
pub mod gate;
pub mod hetero;
pub mod jobs;
pub mod ops;
pub mod prove;
pub mod prove_fleet;
pub mod report;
pub mod reproduce;
pub mod scale;
pub mod spread;
pub mod stg;
pub mod topology;
pub mod verify;
pub mod worker;

use std::fmt::Write as _;

use crate::cli::{Command, SizeError};
use crate::report::charts::ChartError;
use crate::report::ReportError;

/// Exit code: success.
pub const EXIT_OK: u8 = 0;
/// Exit code: a failure that is not the input's fault.
pub const EXIT_FAILURE: u8 = 1;
/// Exit code: bad or missing input (also what clap uses for usage errors).
pub const EXIT_INPUT: u8 = 2;
/// Exit code: the gate found a regression.
pub const EXIT_REGRESSION: u8 = 3;

/// How a command that ran to the end turned out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Everything held.
    Success,
    /// The gate found a regression (already reported by the command).
    Regressed,
}

impl Outcome {
    /// The process exit code.
    pub fn exit_code(self) -> u8 {
        match self {
            Outcome::Success => EXIT_OK,
            Outcome::Regressed => EXIT_REGRESSION,
        }
    }
}

/// A subcommand that is declared but not written yet.
#[derive(Debug, thiserror::Error)]
#[error("`zkpar {0}` is not implemented yet")]
pub struct NotImplemented(pub &'static str);

/// Runs the parsed command.
pub fn run(command: &Command) -> anyhow::Result<Outcome> {
    match command {
        Command::Gate(args) => gate::run(args),
        Command::Report(args) => report::run(args),
        Command::Ops(args) => ops::run(args),
        Command::Topology(args) => topology::run(args),
        Command::Prove(args) => prove::run(args),
        Command::Verify(args) => verify::run(args),
        Command::Calibrate(args) => calibrate::run(args),
        Command::Stg(args) => stg::run(args),
        Command::Reproduce(args) => reproduce::run(args),
        Command::Scale(args) => scale::run(args),
        Command::Hetero(args) => hetero::run(args),
        Command::Count(args) => count::run(args),
        Command::Spread(args) => spread::run(args),
        Command::Worker(args) => worker::run(args),
        Command::Jobs(args) => jobs::run(args),
        Command::FleetReport(args) => fleet_report::run(args),
    }
}

/// The exit code for an error: [`EXIT_INPUT`] when any error in the chain is an input error,
/// else [`EXIT_FAILURE`].
pub fn exit_code(error: &anyhow::Error) -> u8 {
    let input = error.chain().any(|cause| {
        if let Some(e) = cause.downcast_ref::<ReportError>() {
            e.is_input_error()
        } else if let Some(e) = cause.downcast_ref::<ChartError>() {
            matches!(e, ChartError::Empty { .. } | ChartError::BadInput { .. })
        } else if let Some(e) = cause.downcast_ref::<circuits::pipeline::PipelineError>() {
            use circuits::pipeline::PipelineError;
            use scheduler::executor::RunError;
            match e {
                PipelineError::Spec(_) | PipelineError::Execution(_) => true,
                // Native execution runs inside the job: an operation that cannot execute on the
                // genesis state fails the `execute` task, and that is the input's fault.
                PipelineError::Run(RunError::TaskFailed {
                    task,
                    panicked: false,
                    ..
                }) => task == circuits::tasks::EXECUTE,
                _ => false,
            }
        } else if let Some(e) = cause.downcast_ref::<fleet::FleetError>() {
            // A database that cannot be reached or used as given is the input's fault (the URL
            // or the server named by it); a job that failed is not.
            matches!(
                e,
                fleet::FleetError::MalformedUrl { .. }
                    | fleet::FleetError::Unreachable { .. }
                    | fleet::FleetError::SchemaTooNew { .. }
                    | fleet::FleetError::ForeignSchema(_)
                    | fleet::FleetError::UnknownJob(_)
            )
        } else {
            cause.is::<SizeError>()
                || cause.is::<circuits::operations::SpecError>()
                || cause.is::<circuits::bundle::BundleError>()
                || cause.is::<crate::stg::StgError>()
                || cause.is::<scheduler::policy::UnknownPolicy>()
        }
    });
    if input {
        EXIT_INPUT
    } else {
        EXIT_FAILURE
    }
}

/// `error: <outermost>` then one `  caused by: <cause>` line per cause, newline-terminated.
pub fn format_error(error: &anyhow::Error) -> String {
    let mut text = format!("error: {error}\n");
    for cause in error.chain().skip(1) {
        let _ = writeln!(text, "  caused by: {cause}");
    }
    text
}
