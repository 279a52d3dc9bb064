//! [`SimMachine`]: the virtual machine a simulation runs on (see the module docs of
//! [`crate::sim`] for the model).

use serde::{Deserialize, Serialize};

use super::SimError;

/// The virtual machine a simulation runs on.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SimMachine {
    /// Number of identical workers (at least 1).
    pub workers: usize,
    /// Number of NUMA domains (at least 1, at most `workers`); workers are split contiguously.
    pub domains: usize,
    /// Extra running time of a task run outside its home domain, in seconds.
    pub remote_steal_penalty_s: f64,
    /// Time a worker spends taking a task from another worker's or domain's queue, in seconds.
    pub steal_latency_s: f64,
    /// Amdahl serial fraction of a task's own data parallelism under
    /// [`Dispatch::Sequential`](crate::shape::Dispatch::Sequential): a task of cost `c` on `k` threads runs for `c (s + (1 - s) / k)`.
    pub serial_fraction: f64,
}

impl SimMachine {
    /// Default serial fraction. A halo2 proof spends roughly a tenth of its single-thread time in
    /// code that does not use the thread pool (transcript hashing, witness assignment, polynomial
    /// bookkeeping between the parallel FFTs and MSMs), and published multi-core halo2 provers
    /// flatten out at 6-8x on 16 cores; `s = 0.1` gives 6.4x on 16. Measure and override it for
    /// real predictions.
    pub const DEFAULT_SERIAL_FRACTION: f64 = 0.1;

    /// `workers` workers in one domain, no stealing costs, the default serial fraction.
    pub fn uniform(workers: usize) -> SimMachine {
        SimMachine {
            workers,
            domains: 1,
            remote_steal_penalty_s: 0.0,
            steal_latency_s: 0.0,
            serial_fraction: Self::DEFAULT_SERIAL_FRACTION,
        }
    }

    /// `workers` workers in `domains` NUMA domains, paying `remote_steal_penalty_s` per task run
    /// away from its home domain.
    pub fn numa(workers: usize, domains: usize, remote_steal_penalty_s: f64) -> SimMachine {
        SimMachine {
            domains,
            remote_steal_penalty_s,
            ..SimMachine::uniform(workers)
        }
    }

    /// The domain of a worker.
    pub fn domain_of(&self, worker: usize) -> usize {
        worker * self.domains / self.workers
    }

    /// Speed-up of one task on `threads` threads under the Amdahl model.
    pub fn speedup(&self, threads: usize) -> f64 {
        let k = threads.max(1) as f64;
        1.0 / (self.serial_fraction + (1.0 - self.serial_fraction) / k)
    }

    pub(super) fn check(&self) -> Result<(), SimError> {
        let bad = |m: String| Err(SimError::InvalidMachine(m));
        if self.workers == 0 {
            return bad("machine has no workers".into());
        }
        if self.domains == 0 || self.domains > self.workers {
            return bad(format!(
                "{} domains for {} workers",
                self.domains, self.workers
            ));
        }
        for (what, v) in [
            ("remote_steal_penalty_s", self.remote_steal_penalty_s),
            ("steal_latency_s", self.steal_latency_s),
        ] {
            if !v.is_finite() || v < 0.0 {
                return bad(format!("{what} = {v} must be finite and non-negative"));
            }
        }
        if !(0.0..=1.0).contains(&self.serial_fraction) {
            return bad(format!(
                "serial_fraction = {} must lie in [0, 1]",
                self.serial_fraction
            ));
        }
        Ok(())
    }
}
