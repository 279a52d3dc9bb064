//! Fleet sizing: predictions respect the lower bound, never grow with the fleet, reduce to the
//! sum of costs on one lane, hit the database floor or the critical path at the extremes, and
//! render as markdown, JSON and SVG. No proofs run: jobs are built from the cost model alone.

use std::path::Path;

use bench_suite::sizing::{
    default_worker_counts, predict, predict_job, sizing_chart, sizing_markdown, sizing_svg,
    FleetModel, SizingError, SizingReport, BOUND_DATABASE, BOUND_SCHEDULE,
};
use circuits::block::BlockSpec;
use circuits::cost::CostModel;
use circuits::operations::{default_operations_path, OperationsFile};
use circuits::pipeline::{Prover, ProvingJob, Target};
use scheduler::graph::Cost;
use scheduler::spec::JobSpec;

/// The proving job of `datasets/blocks/mainnet-mix.json` under the uncalibrated cost model.
fn mainnet_mix() -> ProvingJob {
    let ops = OperationsFile::load(default_operations_path()).expect("operations file");
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../datasets/blocks/mainnet-mix.json");
    let block = BlockSpec::load(&path, &ops).expect("mainnet-mix block");
    let prover = Prover::new(ops, CostModel::new(None));
    prover
        .job(&Target::Block(block), "dag", 16)
        .expect("mainnet-mix job")
}

fn free_fleet(threads: usize) -> FleetModel {
    FleetModel {
        threads_per_worker: threads,
        overhead_s: 0.0,
        db_tasks_per_s: f64::INFINITY,
    }
}

/// Critical path of the job with `overhead_s` added to each task, computed here by hand
/// (longest path in topological = index order is not guaranteed, so relax until stable).
fn critical_path(spec: &JobSpec, costs: &[f64], overhead_s: f64) -> f64 {
    let n = spec.len();
    let mut finish: Vec<f64> = costs.iter().map(|c| c + overhead_s).collect();
    for _ in 0..n {
        for &(before, after) in &spec.deps {
            let f = finish[before] + costs[after] + overhead_s;
            if f > finish[after] {
                finish[after] = f;
            }
        }
    }
    finish.into_iter().fold(0.0, f64::max)
}

/// execute → `width` independent proofs of `cost` → assemble.
fn fork_join(width: usize, cost: f64) -> (JobSpec, Vec<f64>) {
    let mut job = JobSpec::new("fork-join");
    let e = job.add_task("execute", "execute", Cost::secs(0.01), vec![]);
    let a = job.add_task("assemble", "assemble", Cost::secs(0.01), vec![]);
    let mut costs = vec![0.01, 0.01];
    for i in 0..width {
        let p = job.add_task(format!("prove {i}"), "prove", Cost::secs(cost), vec![]);
        job.add_dependency(e, p).unwrap();
        job.add_dependency(p, a).unwrap();
        costs.push(cost);
    }
    (job, costs)
}

fn check_invariants(report: &SizingReport) {
    assert!(report.simulated);
    let mut last = f64::INFINITY;
    for p in &report.points {
        assert!(
            p.predicted_s >= p.lower_bound_s - 1e-9,
            "W={}: predicted {} beats the lower bound {}",
            p.workers,
            p.predicted_s,
            p.lower_bound_s
        );
        assert!(p.simulated_s >= p.lower_bound_s - 1e-9, "W={}", p.workers);
        assert!(p.predicted_s >= p.db_floor_s, "W={}", p.workers);
        assert!(
            p.predicted_s <= last + 1e-12,
            "W={}: predicted {} grew from {}",
            p.workers,
            p.predicted_s,
            last
        );
        assert!(p.effective_workers <= p.workers && p.effective_workers >= 1);
        assert_eq!(p.lanes, p.workers * report.model.threads_per_worker);
        assert!(p.speedup.is_finite() && p.efficiency.is_finite());
        assert!(p.bound_by == BOUND_SCHEDULE || p.bound_by == BOUND_DATABASE);
        last = p.predicted_s;
    }
}

#[test]
fn mainnet_mix_never_beats_the_bound_and_never_grows() {
    let job = mainnet_mix();
    assert!(job.spec.len() > 50, "{} tasks", job.spec.len());
    let workers = default_worker_counts();
    for threads in [1, 4, 16] {
        for model in [
            FleetModel {
                threads_per_worker: threads,
                ..FleetModel::default()
            },
            free_fleet(threads),
        ] {
            let report = predict_job(&job, &model, &workers).unwrap();
            assert_eq!(report.tasks, job.spec.len());
            assert_eq!(report.points.len(), workers.len());
            check_invariants(&report);
            assert!((report.points[0].speedup - 1.0).abs() < 1e-12);
        }
    }
}

#[test]
fn one_lane_without_overhead_is_the_sum_of_costs() {
    let job = mainnet_mix();
    let report = predict_job(&job, &free_fleet(1), &[1]).unwrap();
    let sum: f64 = job.loaded_costs.iter().sum();
    let p = &report.points[0];
    assert_eq!(p.lanes, 1);
    assert!(
        (p.predicted_s - sum).abs() <= 1e-9 * sum.max(1.0),
        "{} vs {sum}",
        p.predicted_s
    );
    assert!((p.simulated_s - sum).abs() <= 1e-9 * sum.max(1.0));
    assert_eq!(p.db_floor_s, 0.0);
    assert_eq!(p.bound_by, BOUND_SCHEDULE);
    assert!((report.baseline_s - sum).abs() <= 1e-9 * sum.max(1.0));
}

#[test]
fn overhead_is_paid_per_task() {
    let job = mainnet_mix();
    let model = FleetModel {
        threads_per_worker: 1,
        overhead_s: 0.05,
        db_tasks_per_s: f64::INFINITY,
    };
    let report = predict_job(&job, &model, &[1]).unwrap();
    let sum: f64 = job.loaded_costs.iter().sum::<f64>() + 0.05 * job.spec.len() as f64;
    assert!((report.points[0].predicted_s - sum).abs() <= 1e-9 * sum);
    assert!((report.total_work_s - sum).abs() <= 1e-9 * sum);
}

#[test]
fn database_floor_binds_a_huge_fleet_with_a_slow_database() {
    let job = mainnet_mix();
    let model = FleetModel {
        threads_per_worker: 16,
        overhead_s: 0.01,
        db_tasks_per_s: 5.0,
    };
    let report = predict_job(&job, &model, &[1, 1000]).unwrap();
    let floor = job.spec.len() as f64 / 5.0;
    let big = &report.points[1];
    assert_eq!(big.workers, 1000);
    assert_eq!(big.bound_by, BOUND_DATABASE);
    assert!((big.db_floor_s - floor).abs() < 1e-9);
    assert_eq!(big.predicted_s, big.db_floor_s);
    assert!(big.simulated_s < floor, "{} vs {floor}", big.simulated_s);
    check_invariants(&report);

    // A fast database does not bind the same fleet.
    let fast = FleetModel {
        db_tasks_per_s: 1e6,
        ..model
    };
    let report = predict_job(&job, &fast, &[1000]).unwrap();
    assert_eq!(report.points[0].bound_by, BOUND_SCHEDULE);
}

#[test]
fn a_huge_fleet_runs_at_the_critical_path_plus_overhead() {
    let job = mainnet_mix();
    for overhead_s in [0.0, 0.02] {
        let model = FleetModel {
            threads_per_worker: 16,
            overhead_s,
            db_tasks_per_s: f64::INFINITY,
        };
        let report = predict_job(&job, &model, &default_worker_counts()).unwrap();
        let cp = critical_path(&job.spec, &job.loaded_costs, overhead_s);
        assert!(
            (report.critical_path_s - cp).abs() <= 1e-9 * cp,
            "{}",
            report.critical_path_s
        );
        let last = report.points.last().unwrap();
        assert_eq!(last.workers, 1000);
        assert!(
            (last.predicted_s - cp).abs() <= 1e-9 * cp,
            "{} vs critical path {cp}",
            last.predicted_s
        );
        assert!((last.lower_bound_s - cp).abs() <= 1e-9 * cp);
        // One worker's lanes cannot keep up with the block's width.
        assert!(report.points[0].predicted_s > 1.1 * cp);
    }
}

#[test]
fn hand_made_fork_join_matches_the_arithmetic() {
    let (job, costs) = fork_join(8, 1.0);
    let model = FleetModel {
        threads_per_worker: 2,
        overhead_s: 0.0,
        db_tasks_per_s: f64::INFINITY,
    };
    let report = predict(&job, &costs, &model, &[4, 1, 2, 2, 8]).unwrap();
    let workers: Vec<usize> = report.points.iter().map(|p| p.workers).collect();
    assert_eq!(workers, [1, 2, 4, 8], "sorted and deduplicated");
    // 2, 4, 8, 16 lanes: 4, 2, 1, 1 rounds of 1 s proofs, plus execute and assemble.
    for (p, rounds) in report.points.iter().zip([4.0, 2.0, 1.0, 1.0]) {
        assert!(
            (p.predicted_s - (rounds + 0.02)).abs() < 1e-9,
            "W={}",
            p.workers
        );
    }
    assert!((report.points[2].speedup - 4.02 / 1.02).abs() < 1e-9);
    assert!((report.points[2].efficiency - 4.02 / 1.02 / 4.0).abs() < 1e-9);
    check_invariants(&report);
}

#[test]
fn bad_inputs_are_errors() {
    let (job, costs) = fork_join(2, 1.0);
    let ok = FleetModel::default();
    assert!(matches!(
        predict(&job, &costs[1..], &ok, &[1]),
        Err(SizingError::CostCount { .. })
    ));
    let mut nan = costs.clone();
    nan[3] = f64::NAN;
    let err = predict(&job, &nan, &ok, &[1]).unwrap_err();
    assert!(err.to_string().contains("prove 1"), "{err}");
    assert!(matches!(
        predict(&job, &costs, &ok, &[]),
        Err(SizingError::Workers(_))
    ));
    assert!(matches!(
        predict(&job, &costs, &ok, &[0, 1]),
        Err(SizingError::Workers(_))
    ));
    for bad in [
        FleetModel {
            threads_per_worker: 0,
            ..ok.clone()
        },
        FleetModel {
            overhead_s: -1.0,
            ..ok.clone()
        },
        FleetModel {
            db_tasks_per_s: 0.0,
            ..ok.clone()
        },
    ] {
        assert!(matches!(
            predict(&job, &costs, &bad, &[1]),
            Err(SizingError::Model(_))
        ));
    }
    let mut cyclic = job.clone();
    cyclic.add_dependency(1, 0).unwrap();
    assert!(predict(&cyclic, &costs, &ok, &[1]).is_err());
}

#[test]
fn empty_job_predicts_zero() {
    let report = predict(&JobSpec::new("empty"), &[], &FleetModel::default(), &[1, 4]).unwrap();
    assert!(report
        .points
        .iter()
        .all(|p| p.predicted_s == 0.0 && p.speedup == 1.0));
    assert!(
        sizing_svg(&report).is_err(),
        "nothing positive to draw on a log axis"
    );
}

#[test]
fn markdown_json_and_svg() {
    let job = mainnet_mix();
    let model = FleetModel::default();
    let report = predict_job(&job, &model, &default_worker_counts()).unwrap();

    let md = sizing_markdown(&report);
    assert!(md.contains("simulated"), "{md}");
    assert!(md.contains("16 threads per worker"), "{md}");
    assert!(md.contains("0.0100 s"), "{md}");
    assert!(md.contains("500 tasks/s"), "{md}");
    assert_eq!(
        md.lines().filter(|l| l.starts_with("| ")).count(),
        1 + report.points.len()
    );

    let json = serde_json::to_string(&report).unwrap();
    let back: SizingReport = serde_json::from_str(&json).unwrap();
    assert_eq!(back.model, report.model);
    assert_eq!(back.points.len(), report.points.len());
    for (b, p) in back.points.iter().zip(&report.points) {
        assert_eq!(
            (b.workers, b.lanes, &b.bound_by),
            (p.workers, p.lanes, &p.bound_by)
        );
        assert!((b.predicted_s - p.predicted_s).abs() <= 1e-12 * p.predicted_s);
    }
    let unlimited = predict_job(&job, &free_fleet(4), &[1, 2]).unwrap();
    let json = serde_json::to_string(&unlimited).unwrap();
    assert!(json.contains("\"db_tasks_per_s\":null"), "{json}");
    let back: SizingReport = serde_json::from_str(&json).unwrap();
    assert!(back.model.db_tasks_per_s.is_infinite());
    assert!(sizing_markdown(&unlimited).contains("unlimited"));

    for r in [&report, &unlimited] {
        let svg = sizing_svg(r).unwrap();
        assert!(svg.starts_with("<svg") || svg.starts_with("<?xml"));
        assert!(svg.contains("simulated"));
        assert!(
            !svg.contains("NaN") && !svg.contains("inf"),
            "bad number in the SVG"
        );
        assert!(svg.contains("1000") || r.points.len() == 2);
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("sizing.svg");
    sizing_chart(&report, &path).unwrap();
    assert_eq!(
        std::fs::read_to_string(&path).unwrap(),
        sizing_svg(&report).unwrap()
    );
}
