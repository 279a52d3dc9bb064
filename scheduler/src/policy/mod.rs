//! Scheduling policies: each turns a [`DagShape`] into a [`Dispatch`] decision that the
//! executor (or the simulator) carries out.
//!
//! | name       | dispatch                   | what it models                                        |
//! |------------|----------------------------|-------------------------------------------------------|
//! | `previous` | [`Dispatch::Sequential`]   | proving sub-circuits one after another, each using every core |
//! | `rayon`    | [`Dispatch::Fifo`]         | spawning every ready task into plain `rayon`           |
//! | `dag`      | [`Dispatch::Priority`]     | critical path first (bottom level), locality, stealing |
//! | `heft`     | [`Dispatch::Plan`]         | a static list-scheduling plan (HEFT on identical workers) |
//!
//! Policies are pure functions of the shape: no clocks, no randomness, so a decision can be
//! replayed in the simulator.
//!
//! Policies expect an acyclic shape (a validated [`crate::graph::TaskGraph`] guarantees it). On
//! a cyclic shape they do not panic: they fall back to index order, and the executor, which
//! validates first, never hands them one.

use std::fmt;
use std::str::FromStr;

use crate::shape::{DagShape, Dispatch};

mod dag;
mod heft;
mod previous;
mod rayon;

// The built-in policies are reached through `PolicyName` (or `policy_by_name`); their types
// carry no knobs a caller needs.
use self::dag::DagPriority;
use self::heft::Heft;
use self::previous::Previous;
use self::rayon::RayonFifo;

/// A scheduling policy.
pub trait Policy: Send + Sync {
    /// Short name used on the command line and in reports.
    fn name(&self) -> &'static str;

    /// How to dispatch `shape` onto `workers` worker threads.
    fn dispatch(&self, shape: &DagShape, workers: usize) -> Dispatch;
}

/// The built-in policies, by name.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum PolicyName {
    /// `previous`: sequential, each task with every worker.
    Previous,
    /// `rayon`: plain rayon spawning.
    Rayon,
    /// `dag`: critical-path-first work stealing.
    Dag,
    /// `heft`: a static plan ([`crate::static_plan::solve`]).
    Heft,
}

impl PolicyName {
    /// Every built-in policy, in the order reports list them.
    pub const ALL: [PolicyName; 4] = [
        PolicyName::Previous,
        PolicyName::Rayon,
        PolicyName::Dag,
        PolicyName::Heft,
    ];

    /// The command-line name.
    pub fn as_str(self) -> &'static str {
        match self {
            PolicyName::Previous => "previous",
            PolicyName::Rayon => "rayon",
            PolicyName::Dag => "dag",
            PolicyName::Heft => "heft",
        }
    }

    /// The policy itself.
    pub fn policy(self) -> Box<dyn Policy> {
        match self {
            PolicyName::Previous => Box::new(Previous),
            PolicyName::Rayon => Box::new(RayonFifo),
            PolicyName::Dag => Box::new(DagPriority::default()),
            PolicyName::Heft => Box::new(Heft),
        }
    }
}

impl fmt::Display for PolicyName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A policy name that is not one of [`PolicyName::ALL`].
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("unknown policy {given:?}; valid policies: previous, rayon, dag, heft")]
pub struct UnknownPolicy {
    /// What was asked for.
    pub given: String,
}

impl FromStr for PolicyName {
    type Err = UnknownPolicy;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        PolicyName::ALL
            .into_iter()
            .find(|p| p.as_str().eq_ignore_ascii_case(s.trim()))
            .ok_or_else(|| UnknownPolicy {
                given: s.to_owned(),
            })
    }
}

/// The built-in policy called `name` (`previous`, `rayon`, `dag` or `heft`).
pub fn policy_by_name(name: &str) -> Result<Box<dyn Policy>, UnknownPolicy> {
    Ok(name.parse::<PolicyName>()?.policy())
}

/// A topological order, or index order if the shape is cyclic (see the module docs).
pub(crate) fn order_or_index(shape: &DagShape) -> Vec<usize> {
    crate::analysis::topological_order(shape).unwrap_or_else(|_| (0..shape.len()).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_unknown_lists_valid() {
        for p in PolicyName::ALL {
            assert_eq!(p.as_str().parse::<PolicyName>().unwrap(), p);
            assert_eq!(p.policy().name(), p.as_str());
        }
        let err = policy_by_name("fastest").err().unwrap().to_string();
        assert!(
            err.contains("\"fastest\"") && err.contains("previous, rayon, dag, heft"),
            "{err}"
        );
    }
}
