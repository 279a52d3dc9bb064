//! Decoding priorities and activity lists into schedules, and improving them.
//!
//! - [`graham`]: Graham's event-driven list scheduling (a worker that goes idle takes the ready
//!   task of highest priority); what an online priority scheduler does.
//! - [`serial`]: the *serial schedule generation scheme*: tasks in list order, each at the
//!   earliest time where capacity is free, inserted into earlier holes if it fits. It can reach
//!   every *active* schedule, a set that always contains an optimal one.
//! - [`justify`]: forward-backward justification, which never lengthens a schedule.
//! - [`to_plan`]: workers for a schedule given by start times (interval-graph colouring).
//!
//! Zero-cost tasks use no capacity but still need a worker that is free at their instant; the
//! decoders keep at most `P - 1` tasks strictly around every such instant.

use std::cmp::Ordering;

use super::budget::WorkMeter;
use super::problem::{Problem, Profile, Workspace};
use super::reduced::Reduced;
use crate::analysis::{self, ReadyOrder};
use crate::shape::{StaticPlan, TaskIndex};

/// Event-driven list scheduling: whenever a worker is idle, it takes the ready task of highest
/// priority (ties: lowest index). Returns start times and the worker of each task.
pub(super) fn graham(pb: &Problem, priority: &[f64]) -> (Vec<f64>, Vec<usize>) {
    let n = pb.n;
    let mut free_at = vec![0.0f64; pb.cap];
    let mut missing: Vec<usize> = pb.preds.iter().map(Vec::len).collect();
    let mut ready_at = vec![0.0f64; n];
    // Tasks whose predecessors are all scheduled.
    let mut released: Vec<TaskIndex> = (0..n).filter(|&i| missing[i] == 0).collect();
    let mut starts = vec![0.0; n];
    let mut worker_of = vec![0; n];
    let mut done = 0;
    while done < n {
        let (w, &t) = free_at
            .iter()
            .enumerate()
            .min_by(|a, b| a.1.partial_cmp(b.1).unwrap_or(Ordering::Equal))
            .expect("at least one worker");
        let best = released
            .iter()
            .enumerate()
            .filter(|(_, &task)| ready_at[task] <= t)
            .max_by(|a, b| {
                priority[*a.1]
                    .partial_cmp(&priority[*b.1])
                    .unwrap_or(Ordering::Equal)
                    .then(b.1.cmp(a.1))
            })
            .map(|(k, &task)| (k, task));
        match best {
            Some((k, task)) => {
                released.swap_remove(k);
                starts[task] = t;
                worker_of[task] = w;
                let end = t + pb.dur[task];
                free_at[w] = end;
                for &s in &pb.succs[task] {
                    ready_at[s] = ready_at[s].max(end);
                    missing[s] -= 1;
                    if missing[s] == 0 {
                        released.push(s);
                    }
                }
                done += 1;
            }
            None => {
                // Nothing is ready yet: idle workers wait for the next release.
                let next = released
                    .iter()
                    .map(|&task| ready_at[task])
                    .fold(f64::INFINITY, f64::min);
                for f in free_at.iter_mut() {
                    if *f < next {
                        *f = next;
                    }
                }
            }
        }
    }
    (starts, worker_of)
}

/// Serial schedule generation: tasks in `list` order (which must be topological for `preds`),
/// each at its earliest feasible start. Writes start times into `starts`; returns the makespan.
pub(super) fn serial(
    dur: &[f64],
    preds: &[Vec<TaskIndex>],
    list: &[TaskIndex],
    profile: &mut Profile,
    starts: &mut [f64],
) -> f64 {
    profile.reset();
    let mut makespan = 0.0f64;
    for &t in list {
        let ready = preds[t]
            .iter()
            .map(|&p| starts[p] + dur[p])
            .fold(0.0, f64::max);
        let s = profile.earliest(ready, dur[t]);
        profile.insert(s, dur[t]);
        starts[t] = s;
        makespan = makespan.max(s + dur[t]);
    }
    makespan
}

/// Sorts tasks by start time, ties by finish then topological position: an order consistent
/// with precedence for any feasible schedule (zero-length tasks included).
pub(super) fn sort_by_start(pb: &Problem, starts: &[f64], order: &mut Vec<TaskIndex>) {
    order.clear();
    order.extend(0..pb.n);
    order.sort_by(|&a, &b| {
        starts[a]
            .partial_cmp(&starts[b])
            .unwrap_or(Ordering::Equal)
            .then(
                (starts[a] + pb.dur[a])
                    .partial_cmp(&(starts[b] + pb.dur[b]))
                    .unwrap_or(Ordering::Equal),
            )
            .then(pb.topo_pos[a].cmp(&pb.topo_pos[b]))
    });
}

/// One forward-backward justification round on `starts` (in place); returns the new makespan,
/// never larger than the old one.
pub(super) fn justify(pb: &Problem, ws: &mut Workspace, starts: &mut [f64]) -> f64 {
    // Backward: in reversed time, tasks in order of decreasing finish.
    ws.order.clear();
    ws.order.extend(0..pb.n);
    ws.order.sort_by(|&a, &b| {
        let (fa, fb) = (starts[a] + pb.dur[a], starts[b] + pb.dur[b]);
        fb.partial_cmp(&fa)
            .unwrap_or(Ordering::Equal)
            .then(starts[b].partial_cmp(&starts[a]).unwrap_or(Ordering::Equal))
            .then(pb.topo_pos[b].cmp(&pb.topo_pos[a]))
    });
    let back = serial(
        &pb.dur,
        &pb.succs,
        &ws.order,
        &mut ws.profile,
        &mut ws.rev_starts,
    );
    for ((s, r), d) in starts.iter_mut().zip(&ws.rev_starts).zip(&pb.dur) {
        *s = back - r - d;
    }
    // Forward: tasks in order of the right-justified starts.
    let mut order = std::mem::take(&mut ws.order);
    sort_by_start(pb, starts, &mut order);
    let ms = serial(&pb.dur, &pb.preds, &order, &mut ws.profile, starts);
    ws.order = order;
    ms
}

/// Repeats justification while it shortens the schedule (at most a few rounds: later rounds
/// rarely gain anything). Every round is charged to `meter`; rounds never stop for the budget
/// (a half-justified schedule would be worth no less, but a round is short and keeps plans the
/// same whether or not the budget is near).
pub(super) fn justify_fully(
    pb: &Problem,
    ws: &mut Workspace,
    meter: &mut WorkMeter,
    starts: &mut [f64],
    mut ms: f64,
) -> f64 {
    for _ in 0..4 {
        meter.charge(meter.charges.justify_round);
        let next = justify(pb, ws, starts);
        if next < ms {
            ms = next;
        } else {
            ms = ms.min(next);
            break;
        }
    }
    ms
}

/// Turns priorities into an activity list: repeatedly the released task of highest priority
/// (ties: lowest index).
pub(super) fn priority_list(pb: &Problem, priority: &[f64]) -> Vec<TaskIndex> {
    let in_degree = pb.preds.iter().map(Vec::len).collect();
    analysis::kahn(in_degree, ReadyOrder::Priority(priority), |t| {
        pb.succs[t].iter().copied()
    })
    .expect("a validated problem is acyclic")
}

/// Assigns workers to a schedule given by start times (at most `cap` tasks overlap) by scanning
/// tasks in order of start time, each on the free worker that became free last.
pub(super) fn to_plan(pb: &Problem, starts: &[f64]) -> StaticPlan {
    let mut order = Vec::new();
    sort_by_start(pb, starts, &mut order);
    let mut last_end = vec![f64::NEG_INFINITY; pb.cap];
    let mut plan = StaticPlan {
        worker_of: vec![0; pb.n],
        start_s: starts.to_vec(),
        order_per_worker: vec![Vec::new(); pb.cap],
        makespan_s: pb.makespan(starts),
    };
    for t in order {
        let s = starts[t];
        let w = (0..pb.cap)
            .filter(|&w| last_end[w] <= s)
            .max_by(|&a, &b| {
                last_end[a]
                    .partial_cmp(&last_end[b])
                    .unwrap_or(Ordering::Equal)
                    .then(b.cmp(&a))
            })
            .expect("a feasible schedule never needs more than `workers` workers");
        last_end[w] = s + pb.dur[t];
        plan.worker_of[t] = w;
        plan.order_per_worker[w].push(t);
    }
    plan
}

/// Graham's list scheduling: whenever a worker goes idle it takes the ready task of highest
/// `priority` (ties: lowest index); the worker that went idle first (then the lowest-indexed)
/// chooses first. `workers == 0` is treated as 1.
///
/// This is what an online priority scheduler does on identical workers; with bottom levels as
/// priorities it is critical-path-first scheduling.
///
/// # Panics
/// If the shape has a cycle or is inconsistent, or `priority` has the wrong length; see
/// [`try_list_schedule`] for the fallible version.
///
/// # Complexity
/// O(|V|² + |E|).
#[cfg(test)]
pub(super) fn list_schedule(
    shape: &crate::shape::DagShape,
    workers: usize,
    priority: &[f64],
) -> StaticPlan {
    try_list_schedule(shape, workers, priority).unwrap_or_else(|e| panic!("list_schedule: {e}"))
}

/// [`list_schedule`] returning an error instead of panicking on a bad shape or priority vector.
#[cfg(test)]
pub(super) fn try_list_schedule(
    shape: &crate::shape::DagShape,
    workers: usize,
    priority: &[f64],
) -> Result<StaticPlan, super::PlanError> {
    let pb = Problem::new(shape, workers)?;
    if priority.len() != pb.n {
        return Err(super::PlanError::InvalidShape(format!(
            "{} priorities for {} tasks",
            priority.len(),
            pb.n
        )));
    }
    let (starts, worker_of) = graham(&pb, priority);
    let mut plan = StaticPlan {
        worker_of,
        makespan_s: pb.makespan(&starts),
        start_s: starts,
        order_per_worker: vec![Vec::new(); pb.cap],
    };
    let mut order = Vec::new();
    sort_by_start(&pb, &plan.start_s, &mut order);
    for t in order {
        plan.order_per_worker[plan.worker_of[t]].push(t);
    }
    Ok(plan)
}

/// Start times of every task from the start times of the positive-cost tasks of `red`: each
/// zero-cost task as soon as its predecessors end.
pub(super) fn expand(pb: &Problem, red: &Reduced, reduced_starts: &[f64]) -> Vec<f64> {
    let mut starts = vec![0.0; pb.n];
    for (k, &t) in red.orig.iter().enumerate() {
        starts[t] = reduced_starts[k];
    }
    for &t in &pb.topo {
        if pb.dur[t] == 0.0 {
            starts[t] = pb.preds[t]
                .iter()
                .map(|&p| starts[p] + pb.dur[p])
                .fold(0.0, f64::max);
        }
    }
    starts
}

/// True when every zero-cost task has a worker free at its instant (fewer than `P` tasks run
/// strictly around it), as [`to_plan`] needs.
pub(super) fn zero_tasks_fit(pb: &Problem, starts: &[f64]) -> bool {
    (0..pb.n).filter(|&z| pb.dur[z] == 0.0).all(|z| {
        let at = starts[z];
        (0..pb.n)
            .filter(|&t| starts[t] < at && at < starts[t] + pb.dur[t])
            .count()
            < pb.cap
    })
}
