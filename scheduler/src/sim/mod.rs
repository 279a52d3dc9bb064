//! A deterministic discrete-event simulator of the dispatch policies on a virtual machine.
//!
//! The simulator answers "what would this policy do on a machine I do not have?" (64 workers in
//! 4 NUMA domains, say) and "how far from optimal is the online policy?" (the STG evaluation),
//! from a [`DagShape`] and a [`Dispatch`], without running any task.
//!
//! # Machine model
//! [`SimMachine`] has `workers` identical workers split into `domains` contiguous NUMA domains
//! (worker `w` is in domain `w * domains / workers`). A task's inputs live in its *home* domain:
//! its [`TaskShape::locality`](crate::shape::TaskShape::locality) hint when it has one, otherwise the domain of the worker that
//! finished its last predecessor (entry tasks have no home). A task that runs outside its home
//! domain takes [`SimMachine::remote_steal_penalty_s`] longer (remote memory traffic), and a
//! worker that takes a task from another worker's or domain's queue first waits
//! [`SimMachine::steal_latency_s`]. Memory admission is not modelled.
//!
//! # Policies
//! * [`Dispatch::Sequential`]: one task at a time in the given order; each task uses
//!   `k = min(P, max_threads)` workers and runs for `cost · (s + (1 - s) / k)` (Amdahl's law with
//!   serial fraction `s = `[`SimMachine::serial_fraction`]).
//! * [`Dispatch::Fifo`]: rayon-like work stealing without priorities. Entry tasks wait in a
//!   global injector queue; a task released by a worker is pushed onto that worker's deque; an
//!   idle worker takes the oldest task of its own deque, else from the injector, else steals the
//!   oldest task of the first non-empty deque found scanning from a random victim.
//! * [`Dispatch::Priority`]: one ready queue per domain, highest priority first. A released
//!   task goes to its hinted domain (when `locality` is on and it has a hint), else to the
//!   domain that released it; entry tasks are dealt round-robin over the domains. An idle worker
//!   takes the best task of its own domain, else steals the best task of another domain.
//! * [`Dispatch::Plan`]: worker `w` runs `order_per_worker[w]` in order, each task as soon as its
//!   predecessors are done. Plans are checked first by the executor's own check (the
//!   crate-private `static_plan::check`), so a plan the executor runs also simulates, and one it
//!   rejects fails here too ([`SimError::Deadlock`] for waits that never end).
//!
//! In the three task-parallel policies a task runs on one worker at its single-thread cost.
//!
//! # Event loop
//! At every event time, first all tasks finishing then are completed (releasing successors),
//! then the idle workers, lowest index first, each try to take a task. Ties are broken by index
//! and the only randomness (victim choice under `Fifo`) comes from a ChaCha generator seeded by
//! the caller, so a report is a pure function of its inputs. With one domain and no latencies,
//! `Priority` is exactly Graham's list scheduling.

use std::cmp::{Ordering, Reverse};
use std::collections::{BinaryHeap, VecDeque};

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

use crate::analysis::{self, CycleError};
use crate::shape::{DagShape, Dispatch, ReadyTask, TaskIndex};
use crate::static_plan::check::{check_runnable, PlanFault};

mod machine;

pub use machine::SimMachine;

/// Why a simulation could not run.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum SimError {
    /// The graph has a cycle.
    #[error(transparent)]
    Cycle(#[from] CycleError),
    /// The shape is inconsistent.
    #[error("invalid task graph shape: {0}")]
    InvalidShape(String),
    /// The machine description is unusable.
    #[error("invalid machine: {0}")]
    InvalidMachine(String),
    /// The dispatch does not fit the graph or machine.
    #[error("invalid dispatch: {0}")]
    InvalidDispatch(String),
    /// A plan's per-worker orders wait on each other forever.
    #[error("plan deadlocks: {0}")]
    Deadlock(String),
}

/// What happened to one task.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SimTask {
    /// Start time, in seconds.
    pub start_s: f64,
    /// End time, in seconds.
    pub end_s: f64,
    /// The worker that ran it (the first of them under `Sequential`).
    pub worker: usize,
    /// How many workers it used.
    pub threads: usize,
    /// Whether it ran outside its home domain (and paid the remote penalty).
    pub remote: bool,
}

/// The outcome of a simulation.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SimReport {
    /// Finish time of the last task, in seconds.
    pub makespan_s: f64,
    /// One record per task, indexed like the shape.
    pub tasks: Vec<SimTask>,
    /// Time each worker spent running tasks, in seconds.
    pub busy_s: Vec<f64>,
    /// Time each worker spent idle (or stealing) before the makespan, in seconds.
    pub idle_s: Vec<f64>,
    /// Tasks taken from another worker's queue in the same domain (only under `Fifo`: under
    /// `Priority` the workers of a domain share one queue).
    pub local_steals: usize,
    /// Tasks taken from a queue of another domain.
    pub remote_steals: usize,
    /// [`analysis::lower_bound`] for the machine's worker count.
    pub lower_bound_s: f64,
    /// `lower_bound_s / makespan_s` (1 for an empty graph). It can exceed 1 only under
    /// `Sequential`, whose data-parallel tasks may beat the single-thread critical path.
    pub efficiency: f64,
}

/// A completion event, ordered by time then worker.
#[derive(Clone, Copy, Debug)]
struct Event {
    time: f64,
    worker: usize,
    task: TaskIndex,
}

impl PartialEq for Event {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}
impl Eq for Event {}
impl PartialOrd for Event {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Event {
    fn cmp(&self, other: &Self) -> Ordering {
        self.time
            .total_cmp(&other.time)
            .then(self.worker.cmp(&other.worker))
            .then(self.task.cmp(&other.task))
    }
}

/// Where ready tasks wait, per policy.
enum Queues<'a> {
    Fifo {
        injector: VecDeque<TaskIndex>,
        deques: Vec<VecDeque<TaskIndex>>,
        // Boxed: the generator's state is large next to the other variants.
        rng: Box<ChaCha8Rng>,
    },
    Priority {
        per_domain: Vec<BinaryHeap<ReadyTask>>,
        priority: &'a [f64],
        locality: bool,
        next_root: usize,
    },
    Plan {
        lists: &'a [Vec<TaskIndex>],
        next: Vec<usize>,
    },
}

/// Simulates `dispatch` of `shape` on `machine`; `seed` drives the only random choice (the
/// victims of `Fifo` stealing).
///
/// # Complexity
/// O((|V| + |E|) log |V| + events · P) for the task-parallel policies.
pub fn simulate(
    shape: &DagShape,
    dispatch: &Dispatch,
    machine: &SimMachine,
    seed: u64,
) -> Result<SimReport, SimError> {
    machine.check()?;
    let n = shape.tasks.len();
    let succs = analysis::checked_succs(shape).map_err(SimError::InvalidShape)?;
    let checked = DagShape {
        tasks: shape.tasks.clone(),
        preds: shape.preds.clone(),
        succs,
    };
    let lower_bound_s = analysis::lower_bound(&checked, machine.workers)?;

    let mut report = match dispatch {
        Dispatch::Sequential { order } => sequential(&checked, order, machine)?,
        Dispatch::Fifo => {
            let queues = Queues::Fifo {
                injector: VecDeque::new(),
                deques: vec![VecDeque::new(); machine.workers],
                rng: Box::new(ChaCha8Rng::seed_from_u64(seed)),
            };
            EventSim::new(&checked, machine, queues).run()?
        }
        Dispatch::Priority { priority, locality } => {
            if priority.len() != n {
                return Err(SimError::InvalidDispatch(format!(
                    "{} priorities for {n} tasks",
                    priority.len()
                )));
            }
            if let Some(t) = priority.iter().position(|p| p.is_nan()) {
                return Err(SimError::InvalidDispatch(format!(
                    "priority of task {t} is NaN"
                )));
            }
            let queues = Queues::Priority {
                per_domain: vec![BinaryHeap::new(); machine.domains],
                priority,
                locality: *locality,
                next_root: 0,
            };
            EventSim::new(&checked, machine, queues).run()?
        }
        Dispatch::Plan(plan) => {
            check_runnable(&checked, plan, machine.workers).map_err(|e| match e {
                PlanFault::Invalid(m) => SimError::InvalidDispatch(m),
                PlanFault::Deadlock(m) => SimError::Deadlock(m),
            })?;
            let queues = Queues::Plan {
                lists: &plan.order_per_worker,
                next: vec![0; plan.order_per_worker.len()],
            };
            EventSim::new(&checked, machine, queues).run()?
        }
    };
    report.lower_bound_s = lower_bound_s;
    report.efficiency = if report.makespan_s > 0.0 {
        lower_bound_s / report.makespan_s
    } else {
        1.0
    };
    Ok(report)
}

fn empty_report(n: usize, workers: usize) -> SimReport {
    SimReport {
        makespan_s: 0.0,
        tasks: vec![
            SimTask {
                start_s: 0.0,
                end_s: 0.0,
                worker: 0,
                threads: 1,
                remote: false
            };
            n
        ],
        busy_s: vec![0.0; workers],
        idle_s: vec![0.0; workers],
        local_steals: 0,
        remote_steals: 0,
        lower_bound_s: 0.0,
        efficiency: 1.0,
    }
}

fn sequential(
    shape: &DagShape,
    order: &[TaskIndex],
    machine: &SimMachine,
) -> Result<SimReport, SimError> {
    let n = shape.len();
    if order.len() != n {
        return Err(SimError::InvalidDispatch(format!(
            "order lists {} tasks for {n}",
            order.len()
        )));
    }
    let mut done = vec![false; n];
    let mut report = empty_report(n, machine.workers);
    let mut now = 0.0;
    for &t in order {
        if t >= n || done[t] {
            return Err(SimError::InvalidDispatch(format!(
                "order lists task {t} twice or out of range 0..{n}"
            )));
        }
        if let Some(&p) = shape.preds[t].iter().find(|&&p| !done[p]) {
            return Err(SimError::InvalidDispatch(format!(
                "order is not topological: task {t} ({}) comes before its predecessor {p} ({})",
                shape.tasks[t].name, shape.tasks[p].name
            )));
        }
        let threads = shape.tasks[t].max_threads.clamp(1, machine.workers);
        let run = shape.tasks[t].cost_s / machine.speedup(threads);
        report.tasks[t] = SimTask {
            start_s: now,
            end_s: now + run,
            worker: 0,
            threads,
            remote: false,
        };
        for b in &mut report.busy_s[..threads] {
            *b += run;
        }
        now += run;
        done[t] = true;
    }
    report.makespan_s = now;
    for (idle, busy) in report.idle_s.iter_mut().zip(&report.busy_s) {
        *idle = (now - busy).max(0.0);
    }
    Ok(report)
}

/// State of an event-driven simulation of a task-parallel policy.
struct EventSim<'a> {
    shape: &'a DagShape,
    machine: &'a SimMachine,
    queues: Queues<'a>,
    missing: Vec<usize>,
    home: Vec<Option<usize>>,
    idle: Vec<bool>,
    events: BinaryHeap<Reverse<Event>>,
    report: SimReport,
}

impl<'a> EventSim<'a> {
    fn new(shape: &'a DagShape, machine: &'a SimMachine, queues: Queues<'a>) -> EventSim<'a> {
        let n = shape.len();
        EventSim {
            shape,
            machine,
            queues,
            missing: shape.preds.iter().map(Vec::len).collect(),
            home: shape
                .tasks
                .iter()
                .map(|t| t.locality.map(|d| d % machine.domains))
                .collect(),
            idle: vec![true; machine.workers],
            events: BinaryHeap::new(),
            report: empty_report(n, machine.workers),
        }
    }

    /// Queues a task whose predecessors are all done; `from` is the worker that finished the last
    /// one (`None` for entry tasks).
    fn release(&mut self, task: TaskIndex, from: Option<usize>) {
        let from_domain = from.map(|w| self.machine.domain_of(w));
        if self.home[task].is_none() {
            self.home[task] = from_domain;
        }
        let hinted = self.shape.tasks[task]
            .locality
            .map(|d| d % self.machine.domains);
        match &mut self.queues {
            Queues::Fifo {
                injector, deques, ..
            } => match from {
                Some(w) => deques[w].push_back(task),
                None => injector.push_back(task),
            },
            Queues::Priority {
                per_domain,
                priority,
                locality,
                next_root,
            } => {
                let domain = match (*locality, hinted, from_domain) {
                    (true, Some(d), _) => d,
                    (_, _, Some(d)) => d,
                    _ => {
                        *next_root += 1;
                        (*next_root - 1) % per_domain.len()
                    }
                };
                per_domain[domain].push(ReadyTask {
                    priority: priority[task],
                    task,
                });
            }
            // Plan workers look at their own lists; nothing to queue.
            Queues::Plan { .. } => {}
        }
    }

    /// The task worker `w` takes now, with the time it spends getting it.
    fn acquire(&mut self, w: usize) -> Option<(TaskIndex, f64)> {
        let machine = self.machine;
        let my_domain = machine.domain_of(w);
        match &mut self.queues {
            Queues::Fifo {
                injector,
                deques,
                rng,
            } => {
                if let Some(t) = deques[w].pop_front().or_else(|| injector.pop_front()) {
                    return Some((t, 0.0));
                }
                let start = rng.gen_range(0..machine.workers);
                let victim = (start..machine.workers)
                    .chain(0..start)
                    .find(|&v| v != w && !deques[v].is_empty())?;
                let t = deques[victim].pop_front()?;
                if machine.domain_of(victim) == my_domain {
                    self.report.local_steals += 1;
                } else {
                    self.report.remote_steals += 1;
                }
                Some((t, machine.steal_latency_s))
            }
            Queues::Priority { per_domain, .. } => {
                if let Some(r) = per_domain[my_domain].pop() {
                    return Some((r.task, 0.0));
                }
                // Best head among the other domains; ties go to the nearest domain.
                let victim = (0..per_domain.len())
                    .filter(|&d| d != my_domain)
                    .filter_map(|d| per_domain[d].peek().map(|r| (d, *r)))
                    .max_by(|a, b| {
                        a.1.cmp(&b.1)
                            .then(my_domain.abs_diff(b.0).cmp(&my_domain.abs_diff(a.0)))
                    })?
                    .0;
                let r = per_domain[victim].pop()?;
                self.report.remote_steals += 1;
                Some((r.task, machine.steal_latency_s))
            }
            Queues::Plan { lists, next } => {
                let list = lists.get(w)?;
                let &t = list.get(next[w])?;
                if self.missing[t] == 0 {
                    next[w] += 1;
                    Some((t, 0.0))
                } else {
                    None
                }
            }
        }
    }

    fn run(mut self) -> Result<SimReport, SimError> {
        let n = self.shape.len();
        for t in 0..n {
            if self.missing[t] == 0 {
                self.release(t, None);
            }
        }
        let mut now = 0.0f64;
        let mut finished = 0;
        loop {
            for w in 0..self.machine.workers {
                if !self.idle[w] {
                    continue;
                }
                if let Some((task, latency)) = self.acquire(w) {
                    let domain = self.machine.domain_of(w);
                    let remote = self.home[task].is_some_and(|h| h != domain);
                    let penalty = if remote {
                        self.machine.remote_steal_penalty_s
                    } else {
                        0.0
                    };
                    let run = self.shape.tasks[task].cost_s + penalty;
                    let start = now + latency;
                    self.report.tasks[task] = SimTask {
                        start_s: start,
                        end_s: start + run,
                        worker: w,
                        threads: 1,
                        remote,
                    };
                    self.report.busy_s[w] += run;
                    self.idle[w] = false;
                    self.events.push(Reverse(Event {
                        time: start + run,
                        worker: w,
                        task,
                    }));
                }
            }
            let Some(Reverse(first)) = self.events.pop() else {
                break;
            };
            now = first.time;
            let mut batch = vec![first];
            while let Some(Reverse(e)) = self.events.peek() {
                if e.time != now {
                    break;
                }
                batch.push(*e);
                self.events.pop();
            }
            for e in batch {
                self.idle[e.worker] = true;
                finished += 1;
                for k in 0..self.shape.succs[e.task].len() {
                    let s = self.shape.succs[e.task][k];
                    self.missing[s] -= 1;
                    if self.missing[s] == 0 {
                        self.release(s, Some(e.worker));
                    }
                }
            }
        }
        if finished < n {
            // Only plans can stall: the other policies always run some ready task.
            let stuck = match &self.queues {
                Queues::Plan { lists, next } => lists
                    .iter()
                    .zip(next)
                    .enumerate()
                    .filter_map(|(w, (list, &k))| {
                        list.get(k).map(|&t| {
                            format!(
                                "worker {w} waits on task {t} ({})",
                                self.shape.tasks[t].name
                            )
                        })
                    })
                    .collect::<Vec<_>>()
                    .join(", "),
                _ => String::from("no worker can run any remaining task"),
            };
            return Err(SimError::Deadlock(format!(
                "{finished} of {n} tasks finished; {stuck}"
            )));
        }
        self.report.makespan_s = self
            .report
            .tasks
            .iter()
            .map(|t| t.end_s)
            .fold(now, f64::max);
        let makespan = self.report.makespan_s;
        for (idle, busy) in self.report.idle_s.iter_mut().zip(&self.report.busy_s) {
            *idle = (makespan - busy).max(0.0);
        }
        Ok(self.report)
    }
}
