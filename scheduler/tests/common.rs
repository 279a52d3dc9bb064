//! Helpers shared by the integration tests (included with `mod common;`).
#![allow(dead_code)]

use scheduler::executor::{Executor, ExecutorConfig};
use scheduler::topology::Topology;

/// An executor of `threads` workers on a flat topology, or on `domains` virtual domains.
pub fn executor(threads: usize, domains: usize) -> Executor {
    let mut topology = Topology::flat(threads);
    if domains > 1 {
        topology = topology.split_virtual(domains).unwrap();
    }
    Executor::new(ExecutorConfig {
        topology,
        threads,
        mem_budget: None,
        pin: false,
    })
    .unwrap()
}

/// Same with a memory budget.
pub fn executor_with_budget(threads: usize, budget: u64) -> Executor {
    Executor::new(ExecutorConfig {
        topology: Topology::flat(threads),
        threads,
        mem_budget: Some(budget),
        pin: false,
    })
    .unwrap()
}

/// Every built-in policy.
pub fn policies() -> Vec<Box<dyn scheduler::policy::Policy>> {
    scheduler::policy::PolicyName::ALL
        .iter()
        .map(|p| p.policy())
        .collect()
}
