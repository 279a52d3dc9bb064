//! The simulator: determinism, precedence, the machine model (Amdahl, NUMA penalties) and
//! agreement with the static list scheduler.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use scheduler::analysis;
use scheduler::shape::{DagShape, Dispatch, StaticPlan, TaskShape};
use scheduler::sim::{self, SimError, SimMachine, SimReport};
use scheduler::static_plan::{self, PlanOptions};

/// A random layered-ish DAG with integer costs; `locality` hints (if any) cycle over `domains`.
fn random_dag(
    n: usize,
    density: f64,
    seed: u64,
    max_threads: usize,
    domains: Option<usize>,
) -> DagShape {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut shape = DagShape::default();
    for i in 0..n {
        shape.tasks.push(TaskShape {
            name: format!("t{i}"),
            kind: "test".into(),
            cost_s: rng.gen_range(1..=10) as f64,
            max_threads,
            peak_mem_bytes: 0,
            locality: domains.map(|d| i % d),
        });
        let lo = i.saturating_sub(20);
        shape
            .preds
            .push((lo..i).filter(|_| rng.gen_bool(density)).collect());
    }
    shape.succs = vec![Vec::new(); n];
    for i in 0..n {
        for k in 0..shape.preds[i].len() {
            let p = shape.preds[i][k];
            shape.succs[p].push(i);
        }
    }
    shape
}

/// The `heft` policy's plan (the planner with its default budget).
fn plan(shape: &DagShape, workers: usize) -> StaticPlan {
    static_plan::solve(shape, workers, &PlanOptions::default())
        .unwrap()
        .plan
}

fn dispatches(shape: &DagShape, workers: usize) -> Vec<(&'static str, Dispatch)> {
    let order = analysis::topological_order(shape).unwrap();
    let priority = analysis::bottom_levels(shape).unwrap();
    vec![
        ("sequential", Dispatch::Sequential { order }),
        ("fifo", Dispatch::Fifo),
        (
            "priority",
            Dispatch::Priority {
                priority,
                locality: true,
            },
        ),
        ("plan", Dispatch::Plan(plan(shape, workers))),
    ]
}

fn check_precedence(shape: &DagShape, report: &SimReport, what: &str) {
    for (t, preds) in shape.preds.iter().enumerate() {
        for &p in preds {
            assert!(
                report.tasks[t].start_s >= report.tasks[p].end_s - 1e-9,
                "{what}: task {t} starts before predecessor {p} ends"
            );
        }
    }
    let last = report.tasks.iter().map(|t| t.end_s).fold(0.0, f64::max);
    assert!((last - report.makespan_s).abs() < 1e-9, "{what}");
}

fn check_no_overlap(report: &SimReport, workers: usize, what: &str) {
    for w in 0..workers {
        let mut runs: Vec<(f64, f64)> = report
            .tasks
            .iter()
            .filter(|t| t.worker == w)
            .map(|t| (t.start_s, t.end_s))
            .collect();
        runs.sort_by(|a, b| a.partial_cmp(b).unwrap());
        for pair in runs.windows(2) {
            assert!(
                pair[1].0 >= pair[0].1 - 1e-9,
                "{what}: worker {w} overlaps {pair:?}"
            );
        }
        let busy: f64 = runs.iter().map(|(s, e)| e - s).sum();
        assert!(
            (busy - report.busy_s[w]).abs() < 1e-6,
            "{what}: busy time of worker {w}"
        );
    }
}

#[test]
fn same_seed_gives_identical_reports() {
    let shape = random_dag(80, 0.15, 1, 1, Some(2));
    let mut machine = SimMachine::numa(8, 2, 0.5);
    machine.steal_latency_s = 0.05;
    for (what, dispatch) in dispatches(&shape, 8) {
        let a = sim::simulate(&shape, &dispatch, &machine, 42).unwrap();
        let b = sim::simulate(&shape, &dispatch, &machine, 42).unwrap();
        assert_eq!(a, b, "{what}");
        assert_eq!(
            serde_json::to_string(&a).unwrap(),
            serde_json::to_string(&b).unwrap()
        );
    }
}

#[test]
fn precedence_and_bounds_hold_for_every_dispatch() {
    for seed in 0..8 {
        let shape = random_dag(60, 0.12, seed, 1, None);
        for workers in [1, 3, 8] {
            let machine = SimMachine::uniform(workers);
            let lb = analysis::lower_bound(&shape, workers).unwrap();
            for (what, dispatch) in dispatches(&shape, workers) {
                let report = sim::simulate(&shape, &dispatch, &machine, seed).unwrap();
                check_precedence(&shape, &report, what);
                assert!(
                    report.makespan_s >= lb - 1e-9,
                    "{what}: {} < {lb}",
                    report.makespan_s
                );
                assert_eq!(report.lower_bound_s, lb);
                assert!(report.efficiency > 0.0 && report.efficiency <= 1.0 + 1e-12);
                if what != "sequential" {
                    check_no_overlap(&report, workers, what);
                }
            }
        }
    }
}

#[test]
fn sequential_tasks_use_every_worker() {
    let shape = random_dag(30, 0.1, 3, 64, None);
    let order = analysis::topological_order(&shape).unwrap();
    let machine = SimMachine {
        serial_fraction: 0.0,
        ..SimMachine::uniform(8)
    };
    let report = sim::simulate(&shape, &Dispatch::Sequential { order }, &machine, 0).unwrap();
    assert!(report.tasks.iter().all(|t| t.threads == 8));
    let w = analysis::total_work(&shape);
    assert!((report.makespan_s - w / 8.0).abs() < 1e-9);
    assert!(report.busy_s.iter().all(|&b| (b - w / 8.0).abs() < 1e-9));
    assert!(report.idle_s.iter().all(|&i| i.abs() < 1e-9));

    // With the default serial fraction, the speed-up follows Amdahl's law.
    let machine = SimMachine::uniform(8);
    let order = analysis::topological_order(&shape).unwrap();
    let report = sim::simulate(&shape, &Dispatch::Sequential { order }, &machine, 0).unwrap();
    assert!((report.makespan_s - w / machine.speedup(8)).abs() < 1e-9);

    // Tasks that cannot use more than two threads leave the other workers idle.
    let narrow = random_dag(30, 0.1, 3, 2, None);
    let order = analysis::topological_order(&narrow).unwrap();
    let report = sim::simulate(&narrow, &Dispatch::Sequential { order }, &machine, 0).unwrap();
    assert!(report.tasks.iter().all(|t| t.threads == 2));
    assert_eq!(report.busy_s[2], 0.0);
}

#[test]
fn remote_penalty_slows_cross_domain_runs() {
    // Every task's data lives in domain 0, but there is more parallel work than domain 0's
    // four workers can take, so the other domain steals and pays.
    let mut shape = random_dag(120, 0.03, 5, 1, Some(1));
    for t in &mut shape.tasks {
        t.locality = Some(0);
    }
    let priority = analysis::bottom_levels(&shape).unwrap();
    let dispatch = Dispatch::Priority {
        priority,
        locality: true,
    };
    let free = sim::simulate(&shape, &dispatch, &SimMachine::numa(8, 2, 0.0), 0).unwrap();
    let costly = sim::simulate(&shape, &dispatch, &SimMachine::numa(8, 2, 2.0), 0).unwrap();
    assert!(free.remote_steals > 0);
    assert!(costly.remote_steals > 0);
    assert!(costly.tasks.iter().any(|t| t.remote));
    assert!(
        costly.makespan_s > free.makespan_s,
        "{} <= {}",
        costly.makespan_s,
        free.makespan_s
    );
    // A remote task runs exactly its cost plus the penalty.
    for (t, rec) in costly.tasks.iter().enumerate() {
        let expected = shape.tasks[t].cost_s + if rec.remote { 2.0 } else { 0.0 };
        assert!((rec.end_s - rec.start_s - expected).abs() < 1e-9);
        assert_eq!(rec.remote, costly.tasks[t].worker >= 4);
    }
    // One domain never pays.
    let single = sim::simulate(&shape, &dispatch, &SimMachine::numa(8, 1, 2.0), 0).unwrap();
    assert_eq!(single.remote_steals, 0);
    assert!(single.tasks.iter().all(|t| !t.remote));
}

#[test]
fn fifo_steals_and_pays_latency() {
    let shape = random_dag(100, 0.05, 9, 1, None);
    let mut machine = SimMachine::numa(8, 2, 0.0);
    let cheap = sim::simulate(&shape, &Dispatch::Fifo, &machine, 1).unwrap();
    assert!(cheap.local_steals + cheap.remote_steals > 0);
    machine.steal_latency_s = 1.0;
    let slow = sim::simulate(&shape, &Dispatch::Fifo, &machine, 1).unwrap();
    assert!(slow.makespan_s > cheap.makespan_s);
}

#[test]
fn predicts_a_64_worker_4_domain_machine() {
    let shape = random_dag(600, 0.02, 11, 16, Some(4));
    let mut machine = SimMachine::numa(64, 4, 0.5);
    machine.steal_latency_s = 0.01;
    assert_eq!(machine.domain_of(15), 0);
    assert_eq!(machine.domain_of(16), 1);
    assert_eq!(machine.domain_of(63), 3);
    let mut makespans = Vec::new();
    for (what, dispatch) in dispatches(&shape, 64) {
        let report = sim::simulate(&shape, &dispatch, &machine, 7).unwrap();
        check_precedence(&shape, &report, what);
        assert_eq!(report.busy_s.len(), 64);
        assert_eq!(report.tasks.len(), 600);
        println!(
            "{what}: makespan {:.1} s, efficiency {:.3}, steals {} local / {} remote",
            report.makespan_s, report.efficiency, report.local_steals, report.remote_steals
        );
        makespans.push(report.makespan_s);
    }
    // Task parallelism beats one-task-at-a-time with a 10 % serial fraction on 64 workers.
    assert!(makespans[2] < makespans[0]);
}

#[test]
fn plan_dispatch_follows_the_plan() {
    let shape = random_dag(60, 0.1, 4, 1, None);
    let plan = plan(&shape, 4);
    let report = sim::simulate(
        &shape,
        &Dispatch::Plan(plan.clone()),
        &SimMachine::uniform(4),
        0,
    )
    .unwrap();
    for t in 0..shape.len() {
        assert_eq!(report.tasks[t].worker, plan.worker_of[t]);
        assert!(report.tasks[t].start_s <= plan.start_s[t] + 1e-9);
    }
    assert!(report.makespan_s <= plan.makespan_s + 1e-9);
    // A plan made for fewer workers runs on a bigger machine; one for more does not.
    assert!(sim::simulate(
        &shape,
        &Dispatch::Plan(plan.clone()),
        &SimMachine::uniform(6),
        0
    )
    .is_ok());
    let err = sim::simulate(&shape, &Dispatch::Plan(plan), &SimMachine::uniform(2), 0).unwrap_err();
    assert!(matches!(err, SimError::InvalidDispatch(_)), "{err}");
}

#[test]
fn bad_inputs_are_errors() {
    let shape = random_dag(4, 0.0, 0, 1, None);
    let mut chain = shape.clone();
    chain.preds = vec![vec![], vec![0], vec![1], vec![2]];
    chain.succs = vec![vec![1], vec![2], vec![3], vec![]];

    // A plan whose workers wait on each other.
    let plan = StaticPlan {
        worker_of: vec![0, 1, 0, 1],
        start_s: vec![0.0; 4],
        order_per_worker: vec![vec![2, 0], vec![3, 1]],
        makespan_s: 0.0,
    };
    let err = sim::simulate(&chain, &Dispatch::Plan(plan), &SimMachine::uniform(2), 0).unwrap_err();
    assert!(matches!(err, SimError::Deadlock(_)), "{err}");
    assert!(
        err.to_string().contains("worker 0 waits on task 2"),
        "{err}"
    );

    let err = sim::simulate(
        &chain,
        &Dispatch::Sequential {
            order: vec![1, 0, 2, 3],
        },
        &SimMachine::uniform(2),
        0,
    )
    .unwrap_err();
    assert!(err.to_string().contains("not topological"), "{err}");

    let bad_priority = Dispatch::Priority {
        priority: vec![1.0],
        locality: false,
    };
    assert!(sim::simulate(&chain, &bad_priority, &SimMachine::uniform(2), 0).is_err());

    let err = sim::simulate(&chain, &Dispatch::Fifo, &SimMachine::uniform(0), 0).unwrap_err();
    assert!(matches!(err, SimError::InvalidMachine(_)));
    let err = sim::simulate(&chain, &Dispatch::Fifo, &SimMachine::numa(2, 3, 0.0), 0).unwrap_err();
    assert!(matches!(err, SimError::InvalidMachine(_)));

    let mut cyclic = chain.clone();
    cyclic.preds[0] = vec![3];
    cyclic.succs[3] = vec![0];
    let err = sim::simulate(&cyclic, &Dispatch::Fifo, &SimMachine::uniform(2), 0).unwrap_err();
    assert!(matches!(err, SimError::Cycle(_)));

    let empty = DagShape::default();
    let report = sim::simulate(&empty, &Dispatch::Fifo, &SimMachine::uniform(2), 0).unwrap();
    assert_eq!(report.makespan_s, 0.0);
    assert_eq!(report.efficiency, 1.0);
}
