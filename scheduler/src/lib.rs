//! zkpar's scheduler: a generic dependency-graph scheduler.
//!
//! Build a [`graph::TaskGraph`] of closures with cost estimates, pick a [`policy::Policy`],
//! and run it on an [`executor::Executor`]: hierarchical (NUMA-domain) work stealing on
//! rayon-core pools, so each task's own rayon parallelism shares the same threads. The run
//! yields a [`metrics::RunReport`] that [`trace`] exports as a Chrome/Perfetto trace.
//!
//! Modules, one concept each:
//! - [`graph`]: tasks, costs, dependencies, validation;
//! - [`shape`] and [`analysis`]: the graph as numbers, bottom levels, lower bounds;
//! - [`policy`]: `previous`, `rayon`, `dag`, `heft`;
//! - [`executor`]: the threads and the dispatch protocol (its module docs walk through it);
//! - [`topology`]: NUMA domains, cores and caches (the executor pins its threads by them);
//! - [`metrics`] and [`trace`]: what happened;
//! - [`spec`]: tasks as data (kind + input bytes), run here by [`spec::run_local`] or on a fleet;
//! - [`sim`]: the same dispatch decisions simulated, to predict a bigger machine;
//! - [`static_plan`]: the `heft` policy's planner ([`static_plan::solve`], with its work
//!   budget and proven lower bound) and the one plan check, for tools that evaluate plans.
//!
//! Everything else (queues, join counters, the planner's internals) is private to the crate.
//!
//! # Example
//!
//! Tasks hand results back through what they capture (here an `Arc<Mutex<_>>`; a channel works
//! as well). A task may fail by returning a [`graph::TaskError`] or by panicking; the run then
//! stops with an error naming it.
//!
//! ```
//! use std::sync::{Arc, Mutex};
//! use scheduler::executor::{Executor, ExecutorConfig};
//! use scheduler::graph::{Cost, TaskGraph};
//! use scheduler::policy::policy_by_name;
//! use scheduler::sim::{simulate, SimMachine};
//! use scheduler::topology::Topology;
//!
//! // Two "witness" tasks feed one "prove" task.
//! let results = Arc::new(Mutex::new(Vec::new()));
//! let mut graph = TaskGraph::new();
//! let mut witnesses = Vec::new();
//! for i in 0..2u64 {
//!     let out = Arc::clone(&results);
//!     witnesses.push(graph.add_task(format!("witness {i}"), "witness", Cost::secs(0.01), move || {
//!         out.lock().unwrap().push(i * 10);
//!         Ok(())
//!     }));
//! }
//! let out = Arc::clone(&results);
//! let prove = graph.add_task("prove", "prove", Cost::secs(0.05).with_threads(4), move || {
//!     let mut r = out.lock().unwrap();
//!     let sum: u64 = r.iter().sum(); // both witnesses are done: the dependency guarantees it
//!     r.push(sum);
//!     Ok(())
//! });
//! for w in witnesses {
//!     graph.add_dependency(w, prove)?;
//! }
//! let shape = graph.shape(); // the same graph as numbers, for the simulator below
//!
//! let executor = Executor::new(ExecutorConfig {
//!     topology: Topology::flat(2),
//!     threads: 2,
//!     mem_budget: None,
//!     pin: false,
//! })?;
//! let policy = policy_by_name("dag")?;
//! let report = executor.run(graph, policy.as_ref(), None)?;
//!
//! assert_eq!(results.lock().unwrap().last(), Some(&10));
//! assert_eq!(report.tasks.len(), 3);
//! let prove_rec = &report.tasks[prove.index()];
//! assert!(report.tasks.iter().all(|t| t.name == "prove" || t.end_s <= prove_rec.start_s));
//! println!("makespan {:.3} s, efficiency {:.2}", report.makespan_s, report.efficiency);
//! let _trace = scheduler::trace::chrome_trace(&report); // open in ui.perfetto.dev
//!
//! // The same policy decision, simulated on a 16-worker machine (prove uses 4 threads there).
//! let predicted = simulate(&shape, &policy.dispatch(&shape, 16), &SimMachine::uniform(16), 0)?;
//! assert!(predicted.makespan_s >= predicted.lower_bound_s);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![deny(missing_docs)]

pub mod analysis;
pub mod executor;
pub mod graph;
pub mod metrics;
pub mod policy;
pub mod shape;
pub mod sim;
pub mod spec;
pub mod static_plan;
pub mod topology;
pub mod trace;
