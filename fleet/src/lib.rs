//! A prover fleet: [`scheduler::spec::JobSpec`]s run by worker processes that claim tasks from a
//! PostgreSQL task database.
#![deny(missing_docs)]
