//! zkpar's scheduler: a generic dependency-graph scheduler.
#![deny(missing_docs)]

pub mod analysis;
pub mod executor;
pub mod graph;
pub mod list_schedule;
pub mod metrics;
pub mod policy;
pub mod shape;
pub mod sim;
pub mod stg;
pub mod topology;
pub mod trace;
