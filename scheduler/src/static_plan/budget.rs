//! The planner's work budget: how much searching one plan may do, counted in deterministic
//! *work units* rather than wall time, so that a plan stays a pure function of its inputs (the
//! same graph, workers and [`PlanOptions`](super::PlanOptions) give the same plan on any machine
//! and under any load).
//!
//! A work unit is about one nanosecond of planning on the 2-core development machine (an Intel
//! Xeon, release build): every charge below is the operation's step count times a factor
//! measured there, so the budget reads as a time on that machine and scales with the machine's
//! speed elsewhere. The charges are made before or right after the operation they pay for.
//! The construction heuristics, which give the first plan, are charged but never stopped;
//! validating the graph and setting up the bounds are not charged (linear in the graph, or
//! O(|V|³) only below 400 tasks, where the exact search's set-up is a few tens of ms).
//!
//! What stops when the budget is spent:
//! - the energy test that raises the root lower bound (at most a quarter of the budget:
//!   [`ROOT_BOUND_SHARE`]); a test cut short proves nothing, so the bound stays where it was,
//!   still valid;
//! - the local search (checked before every iteration);
//! - the branch and bound (its node limit is what is left, divided by the cost of a node).

/// Default of [`PlanOptions::max_work`](super::PlanOptions::max_work): 1.5 · 10⁹ units, about
/// 1.5 s of searching on the 2-core development machine.
///
/// Why this value: the `heft` policy must plan a 5,000-task graph on 16 workers in under 5 s
/// on two cores. On the hard generated 5,000-task graphs we measured, a unit cost 1.0 to 1.35 ns
/// on that machine, so the whole plan took 1.7 to 2.0 s: room for a machine twice as slow. Smaller graphs never reach it in practice: on the STG
/// 50-task set the iteration and node limits of [`PlanOptions`](super::PlanOptions) stop the
/// search first (a full 200,000-node branch and bound on 50 tasks costs about 0.6 · 10⁹).
pub(super) const DEFAULT_WORK_BUDGET: u64 = 1_500_000_000;

/// At most this share (1 / `ROOT_BOUND_SHARE`) of the budget goes to raising the root lower
/// bound with the energy test: on large graphs one full test scans every pair of window ends,
/// and the search itself must keep most of the budget.
pub(super) const ROOT_BOUND_SHARE: u64 = 4;

/// Units per elementary step of each operation, measured on the development machine (see the
/// module docs). A step is one task or edge visited by a decoding pass, one comparison of a
/// sort, one task visited by the energy test or a branch-and-bound node.
mod factor {
    /// Serial decoding and Graham's list scheduling: one task or edge, including the capacity
    /// profile's search and insertion.
    pub(super) const DECODE: u64 = 40;
    /// Sorting tasks by start or finish time: one comparison.
    pub(super) const SORT: u64 = 8;
    /// The energy test: one task's share of one interval (a few comparisons and a branch).
    pub(super) const ENERGY: u64 = 4;
    /// The branch and bound: one task or edge visited at a node (the energy tests visit every
    /// unplaced task once per unplaced task, in a tight loop).
    pub(super) const NODE: u64 = 1;
}

/// What each operation of one problem costs, in work units.
#[derive(Clone, Copy, Debug)]
pub(super) struct Charges {
    /// One serial decoding or one Graham list schedule.
    pub(super) decode: u64,
    /// One justification round: two decodings and two sorts.
    pub(super) justify_round: u64,
    /// One task's share of one interval of the energy test.
    pub(super) energy_step: u64,
    /// Setting up one energy test: sorting the window ends.
    pub(super) energy_setup: u64,
}

impl Charges {
    /// The charges for a problem of `n` tasks and `edges` edges.
    pub(super) fn new(n: usize, edges: usize) -> Charges {
        let (n, edges) = (n as u64, edges as u64);
        let decode = factor::DECODE * (n + edges);
        let log_n = u64::from(usize::BITS - (n as usize).leading_zeros()).max(1);
        Charges {
            decode,
            justify_round: 2 * decode + 2 * factor::SORT * n * log_n,
            energy_step: factor::ENERGY,
            energy_setup: 2 * factor::SORT * n * log_n,
        }
    }

    /// One branch-and-bound node on a reduced problem of `n` tasks and `edges` edges: the
    /// earliest starts (every task and edge), the candidate scan and the energy tests (every
    /// pair of unplaced tasks).
    pub(super) fn search_node(n: usize, edges: usize) -> u64 {
        let (n, edges) = (n as u64, edges as u64);
        factor::NODE * (n * n + n + edges)
    }
}

/// Work spent by one planning run, against its budget.
#[derive(Clone, Debug)]
pub(super) struct WorkMeter {
    spent: u64,
    limit: u64,
    /// The problem's charges.
    pub(super) charges: Charges,
}

impl WorkMeter {
    /// A meter with `limit` units for a problem of `n` tasks and `edges` edges.
    pub(super) fn new(limit: u64, n: usize, edges: usize) -> WorkMeter {
        WorkMeter {
            spent: 0,
            limit,
            charges: Charges::new(n, edges),
        }
    }

    /// Records `units` of work done (or about to be done).
    pub(super) fn charge(&mut self, units: u64) {
        self.spent = self.spent.saturating_add(units);
    }

    /// True once the budget is spent: no further search step may start.
    pub(super) fn exhausted(&self) -> bool {
        self.spent >= self.limit
    }

    /// Units left before the budget is spent.
    pub(super) fn left(&self) -> u64 {
        self.limit.saturating_sub(self.spent)
    }

    /// Units spent so far.
    pub(super) fn spent(&self) -> u64 {
        self.spent
    }

    /// The budget.
    pub(super) fn limit(&self) -> u64 {
        self.limit
    }
}
