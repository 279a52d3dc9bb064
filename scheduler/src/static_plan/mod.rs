//! Static scheduling on identical workers (`P | prec | Cmax`): the planner behind the `heft`
//! policy. It is not HEFT: it combines list scheduling, a local search that improves on it, lower
//! bounds, and an exact branch and bound that proves them; textbook HEFT (in the `heft`
//! policy's module) is only its fallback. Also the one plan check.
//!
//! Public: [`solve`] (plan and proven lower bound, for a [`PlanOptions`] budget and seed),
//! [`validate_plan`], and their types. The `heft` policy
//! ([`PolicyName::Heft`](crate::policy::PolicyName::Heft)) calls the same planner with the
//! default options.
//!
//! # Where things are
//! | module | job |
//! |---|---|
//! | `problem` | the model: validated instance, capacity profile, buffers, task bitsets |
//! | `decode` | list scheduling (Graham), serial decoding, justification, worker assignment |
//! | `search` | the driver ([`solve`]): construction, local search, then the exact search |
//! | `bounds` | every lower bound, in one head/tail convention |
//! | `reduced` | the problem without zero-cost tasks, with dominance, for the exact search |
//! | `bnb` | the exact branch and bound |
//! | `check` | the one plan check: runnable (executor, simulator) and [`validate_plan`] |
//! | `budget` | the work budget: deterministic work units, what each step costs |
//!
//! Imports run one way: `problem` <- `reduced` <- `bounds` <- `bnb` <- `search`, with `decode`
//! (on `problem` and `reduced`) used by `search`; `budget` (used by `bounds`, `decode` and
//! `search`) and `check` stand alone.
//!
//! # The problem
//! Tasks with known costs and precedence constraints run non-preemptively on `P` identical
//! workers, with no communication costs; the goal is the shortest makespan. The problem is
//! NP-hard, but graphs of a few hundred tasks are small enough to search well in milliseconds.
//!
//! # How [`solve`] plans
//! 1. **Lower bound.** The root bound starts from `max(W / P, C)` and raises it twice
//!    (details in the `bounds` submodule, which states every bound in one convention: heads and
//!    tails). *Heads and tails*: a task cannot start before all its
//!    ancestors are done, and those need at least `W / P` (or the pigeonhole bound: of the
//!    `P + 1` longest, two share a worker) after the earliest of them can start; on layered
//!    graphs this sees that whole layers run one after another, which no path argument does.
//!    *Energy* (Fernández and Bussell): for a candidate makespan `T`, every task has a window
//!    `[head, T - tail]` it must run in, and the work that must fall inside any interval
//!    `[a, b]` cannot exceed `P (b - a)`. With integer costs the smallest `T` passing the test is a
//!    valid bound. Reaching it proves a schedule optimal, which stops the search early (on the
//!    STG 50-task set most graphs stop there).
//! 2. **Construction.** Several priority rules (bottom level with various tie-breaks, most
//!    descendants, longest task first, ...) are each decoded two ways: Graham's event-driven list
//!    scheduling (a worker that goes idle takes the best ready task) and the
//!    *serial schedule generation scheme* (tasks in list order, each at the earliest time where
//!    capacity is free, inserted into earlier holes if they fit). Serial decoding can reach every
//!    *active* schedule, a set that always contains an optimal one, which event-driven decoding
//!    cannot.
//! 3. **Justification.** Every schedule is improved by forward-backward justification: shift all
//!    tasks as late as possible (in order of decreasing finish time), then as early as possible
//!    (in order of increasing start). It never lengthens a schedule and often closes holes.
//! 4. **Iterated local search.** An activity list (a topological order) is perturbed by a few
//!    random shifts that keep it topological, decoded serially and justified; the result is kept
//!    when it is no longer. After a stall the search restarts from a noisy bottom-level order.
//!    All randomness comes from a ChaCha generator seeded by [`PlanOptions::seed`], so a plan is
//!    a pure function of its inputs.
//! 5. **Branch and bound.** When the best schedule still misses the bound, an exact depth-first
//!    search (the `bnb` submodule) asks, for `T` = bound, bound + 1, ..., whether a schedule of
//!    length `T` exists. It builds active schedules task by task in order of start time, so
//!    workers are never told apart, and prunes with earliest starts propagated from the placed
//!    prefix (never below the heads of step 1), latest starts from the tails, the energy due
//!    before each deadline and after each release, left-shift dominance, and swaps of
//!    interchangeable tasks. It ignores zero-cost tasks (the `reduced` problem: a relaxation, so
//!    its bounds hold). Each exhausted `T` raises the proven bound; the first feasible `T` is
//!    optimal. A node limit ([`PlanOptions::max_search_nodes`]) and the work budget keep it
//!    bounded; [`solve`] returns the proven bound with the plan. It runs only on graphs of at
//!    most 400 positive-cost tasks: its set bounds cost O(|V|³) and a node O(|V|²), so on larger
//!    graphs the budget is better spent on the local search.
//! 6. **Workers.** The schedule only fixes start times under a capacity of `P`; workers are then
//!    assigned by scanning tasks in order of start time (interval-graph colouring, which needs no
//!    more than `P` workers when no more than `P` tasks overlap).
//!
//! Zero-cost tasks (such as the STG dummies) use no capacity but still need a worker that is free
//! at their instant; the decoders keep at most `P - 1` tasks strictly around every such instant.
//!
//! # Planning time: the work budget
//! Steps 1, 4 and 5 stop when [`PlanOptions::max_work`] is spent, and [`solve`] returns the best
//! plan so far with the bound proven so far. The budget counts deterministic work units (about a
//! nanosecond each on the 2-core development machine), not wall time, so a plan is reproducible
//! on any machine and under any load; the default keeps a hard 5,000-task graph on 16 workers
//! under 5 s on two cores (about 2 s measured, see the `budget` submodule for the value and
//! the charges). Steps 2, 3 and 6 always run: they are what gives a plan at all.
//!
//! # Intra-task parallelism
//! [`TaskShape::max_threads`](crate::shape::TaskShape::max_threads) is ignored: the plan runs
//! each task on one worker at its single-thread cost. A task that also uses data parallelism
//! only finishes earlier than planned, and the plan's order stays valid.

mod bnb;
mod bounds;
mod budget;
pub(crate) mod check;
mod decode;
mod problem;
mod reduced;
mod search;

#[cfg(test)]
mod budget_tests;
#[cfg(test)]
mod exact_tests;
#[cfg(test)]
mod tests;

pub use check::validate_plan;
pub use problem::PlanError;
pub use search::{solve, PlanOptions, Solution};

pub(crate) use search::plan_with;
// The other entry points serve the tests (and the docs above) only.
#[cfg(test)]
use bounds::makespan_lower_bound;
#[cfg(test)]
use decode::{list_schedule, try_list_schedule};
#[cfg(test)]
use search::plan;
