//! A prover fleet: [`scheduler::spec::JobSpec`]s run by worker processes that claim tasks from a
//! PostgreSQL task database.
//!
//! The same job that [`scheduler::spec::run_local`] runs on one machine can be submitted to a
//! [`TaskDb`] and run by any number of [`worker`] processes, each running what it claims on its
//! own local executor. The design follows RISC Zero Bento's taskdb (jobs, tasks, dependencies,
//! `FOR UPDATE SKIP LOCKED`, the state machine in SQL functions, one migration per change) and
//! adds what it lacks: fenced completions, logged tables, and missing outputs as errors.
//!
//! # The protocol, step by step
//!
//! 1. **Submit** ([`TaskDb::submit`]): the job is validated (cycles, names, costs) and inserted
//!    in one transaction: the job row, every task (priority = bottom level, `pending` = number
//!    of distinct predecessors; tasks with none start `ready`), every dependency with its
//!    ordinal (the order predecessor outputs reach the handler). `NOTIFY fleet` wakes workers.
//! 2. **Claim** ([`TaskDb::claim`]): one statement picks the highest-priority ready task of any
//!    running job `FOR UPDATE SKIP LOCKED` (concurrent claimers never wait on each other),
//!    marks it `running`, increments its `attempt` (the fencing token), records the worker,
//!    lane, start time and `lease_expires = now + lease`. The predecessors' outputs follow in
//!    ordinal order; a missing one is an error, never an empty payload.
//! 3. **Lease and heartbeat** ([`TaskDb::heartbeat`]): each worker renews the leases of all its
//!    running tasks every `lease / 3`. A task whose lease expired (its worker crashed, hung or
//!    lost the network) is *reaped* ([`TaskDb::reap`], run inside every claim and every
//!    [`TaskDb::wait`] poll): back to `ready` with `losses + 1`, or `failed` past `max_losses`.
//!    Losses are counted apart from task errors.
//! 4. **Complete** ([`TaskDb::complete`]) is *fenced*: it only counts if the task is still
//!    `running` under the same attempt and the job still runs. A worker that lost its lease and
//!    finishes late is told (`Ok(false)`) and changes nothing: the output is written exactly
//!    once. In the same transaction the successors' `pending` counts drop, those reaching 0
//!    become `ready`, and the job becomes `done` with its last task.
//! 5. **Retry** ([`TaskDb::fail`]), fenced likewise: a failed attempt makes the task `ready`
//!    again until it has failed more than `max_retries` times; then the task and its job fail,
//!    the job's error naming the task, its kind and its last error.
//! 6. **Release** ([`TaskDb::release`]): a worker stopping hard gives its running tasks back
//!    (`ready`, no loss counted); its attempts' late reports are fenced.
//! 7. **Cancel** ([`TaskDb::cancel`]): the job becomes `cancelled` and its unfinished tasks
//!    (waiting, ready and running) `cancelled`, so nothing more is claimed and late
//!    completions are rejected.
//!
//! Every timestamp comes from the server's `clock_timestamp()`, so traces from many machines
//! share one clock ([`TaskDb::run_report`]).
//!
//! # Example
//!
//! ```no_run
//! use std::sync::Arc;
//! use fleet::synthetic::{encode_input, SyntheticHandler};
//! use fleet::worker::{self, StopSignal, WorkerConfig};
//! use fleet::{PgServer, SubmitOptions, TaskDb, WaitOptions};
//! use scheduler::graph::Cost;
//! use scheduler::spec::JobSpec;
//!
//! let server = PgServer::start()?; // or any PostgreSQL URL
//! let mut db = TaskDb::open(&server.url())?; // connect, check the schema, migrate
//! let mut job = JobSpec::new("demo");
//! let a = job.add_task("a", "synth", Cost::secs(0.01), encode_input(10_000, 1));
//! let b = job.add_task("b", "synth", Cost::secs(0.01), encode_input(10_000, 2));
//! job.add_dependency(a, b)?;
//! let id = db.submit(&job, &SubmitOptions::default())?;
//!
//! // Normally another process (`zkpar worker`); here a thread.
//! let stop = StopSignal::new();
//! let mut config = WorkerConfig::new(server.url());
//! config.threads = 2;
//! let worker = {
//!     let stop = stop.clone();
//!     std::thread::spawn(move || worker::run(config, Arc::new(SyntheticHandler::default()), &stop))
//! };
//! let outcome = db.wait(id, &WaitOptions::default(), &mut |s| eprintln!("{:?}", s.counts))?;
//! assert_eq!(outcome.outputs.len(), 2);
//! stop.request(); // drain and return
//! worker.join().expect("worker thread")?;
//! let trace = scheduler::trace::chrome_trace(&db.run_report(id)?);
//! # let _ = trace;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Modules
//! - [`schema`]: embedded, versioned migrations;
//! - [`db`]: connecting, submitting and the state transitions;
//! - [`status`]: job status, task rows, outputs and waiting;
//! - [`report`]: a job as a [`scheduler::metrics::RunReport`];
//! - [`worker`]: the worker process loop and stop handling;
//! - [`pgserver`]: a throwaway PostgreSQL server for tests and local runs;
//! - [`synthetic`]: a synthetic task handler for tests and benchmarks;
//! - [`error`]: the error type, [`FleetError`].
#![deny(missing_docs)]

pub mod db;
pub mod error;
pub mod pgserver;
pub mod report;
pub mod schema;
pub mod status;
pub mod synthetic;
pub mod worker;

pub use db::{ClaimedTask, SubmitOptions, TaskDb};
pub use error::FleetError;
pub use pgserver::PgServer;
pub use status::{
    JobOutcome, JobState, JobStatus, OutputSelection, StateCounts, TaskRow, TaskState, WaitOptions,
};
pub use worker::{StopSignal, WorkerConfig, WorkerSummary};

use serde::{Deserialize, Serialize};

/// A job's id in the task database.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct JobId(pub i64);

impl std::fmt::Display for JobId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.0)
    }
}
