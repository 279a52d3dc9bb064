//! `zkpar worker`: one machine of a prover fleet.
//!
//! The worker claims proving tasks (execute, witness, prove, aggregate, assemble) from the task database
//! and runs them with the same [`circuits::tasks::ProvingHandler`] a local run uses, on a local
//! executor of `--threads` threads: up to that many tasks at once, and halo2's own parallelism
//! inside a proof shares the same threads. Keys for the datasets' operations are generated
//! before the first claim, so a task's time is proving, not set-up.
//!
//! SIGINT or SIGTERM once: stop claiming, finish the tasks in flight, exit 0. Twice: give the
//! tasks in flight back to the database (another worker runs them) and exit at once.
//!
//! Exit codes: 2 for a malformed URL, an unreachable database or a schema this binary does not
//! know; 1 for anything else that stops it from starting.

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use circuits::keys::KeyCache;
use circuits::kind::SubCircuitKind;
use circuits::tasks::ProvingHandler;
use fleet::worker::{default_worker_name, install_signal_handlers};
use fleet::{StopSignal, WorkerConfig};

use super::ops::load_operations;
use super::Outcome;
use crate::cli::WorkerArgs;

/// Runs `zkpar worker` until it is stopped.
pub fn run(args: &WorkerArgs) -> anyhow::Result<Outcome> {
    // Check the database first: a wrong URL should fail in milliseconds, not after keygen.
    fleet::TaskDb::open(&args.db)?;
    let keys: &'static KeyCache = super::prove::key_cache(args.params.as_deref())?;
    match load_operations(args.data.as_deref()) {
        Ok(ops) => {
            let started = Instant::now();
            let depth = ops.genesis.tree_depth;
            for kind in SubCircuitKind::ALL {
                keys.get(kind, depth)
                    .with_context(|| format!("generating the {kind} key"))?;
            }
            log::info!(
                "keys for tree depth {depth} ready in {:.1} s",
                started.elapsed().as_secs_f64()
            );
        }
        Err(e) => log::warn!("no datasets to warm keys from ({e:#}); keys are made on first use"),
    }
    let config = WorkerConfig {
        name: args.name.clone().unwrap_or_else(default_worker_name),
        threads: args.threads,
        lease: Duration::from_secs(args.lease_secs),
        ..WorkerConfig::new(args.db.clone())
    };
    let stop = StopSignal::new();
    install_signal_handlers(&stop)?;
    log::info!(
        "worker {} with {} thread(s) on {}",
        config.name,
        config.threads,
        fleet::error::redact_url(&args.db)
    );
    let summary = fleet::worker::run(config, Arc::new(ProvingHandler::new(keys)), &stop)?;
    eprintln!(
        "worker {} stopped: {} completed, {} failed, {} fenced",
        summary.name, summary.completed, summary.failed, summary.fenced
    );
    Ok(Outcome::Success)
}
