//! The library behind the `zkpar` command and the criterion benches.
//!
//! zkpar reproduces a published zkEVM table (Operation Type | Previous Time | New Time |
//! Improvement) where "previous" proves the sub-circuits of an operation one after another
//! (each with halo2's own multi-threading) and "new" proves independent sub-circuits in
//! parallel. This crate holds everything around the proofs themselves:
//!
//! - [`report`]: the data model of a run (`results.json`), the published table it is compared
//!   against, and the renderers (`results.md`, SVG charts);
//! - [`gate`]: the regression gate comparing two `results.json` files;
//! - [`cli`]: the command-line interface (clap) and small argument parsers;
//! - [`commands`]: one module per subcommand, and the dispatcher that maps outcomes and errors
//!   to exit codes;
//! - [`data`]: where the datasets folder is found (`--data`, `./datasets`, the workspace's).
//! - [`sizing`]: simulated fleet sizing (proving time of a job on W workers × P threads).
//! - [`stg`]: the Standard Task Graph Set: its formats and layouts, and the gaps of the
//!   scheduling policies to the optimal schedules (`zkpar stg`).
//!
//! The benches (`benches/operations.rs`) link against this library so that the numbers they
//! produce and the numbers the report reads share one definition.
#![deny(missing_docs)]

pub mod cli;
pub mod commands;
pub mod data;
pub mod gate;
pub mod measure;
pub mod report;
pub mod sizing;
pub mod stg;
