//! Shared fixtures for the report and gate tests: a hand-made `results.json` whose numbers are
//! test inputs (not measurements), and helpers to run the built `zkpar` binary.
#![allow(dead_code)]

use std::path::Path;
use std::process::{Command, Output};

use bench_suite::report::results::{
    LowerBounds, Machine, OperationResult, PeakRss, PublishedFigures, Results, ScalingPoint,
    Timings,
};

/// A complete results set for the four published operations.
pub fn sample_results() -> Results {
    let rows = [
        ("transfer", 2.0, 1.5, 1.25, 1.0, 0.8, 2.3, 1.4),
        ("erc20", 3.6, 2.6, 2.2, 1.9, 1.6, 4.1, 2.5),
        ("defi", 11.0, 7.5, 6.8, 6.0, 5.1, 12.8, 7.7),
        ("multicall", 16.0, 10.4, 9.6, 8.9, 7.5, 18.2, 10.9),
    ];
    let operations = rows
        .iter()
        .enumerate()
        .map(|(i, &(op, prev, rayon, dag, lb, lbn, p_prev, p_new))| {
            OperationResult::new(
                op,
                Timings {
                    previous_s: prev,
                    rayon_s: rayon,
                    dag_s: dag,
                },
                LowerBounds {
                    loaded_s: lb,
                    naive_s: lbn,
                },
                PeakRss {
                    previous: (300 + 100 * i as u64) << 20,
                    rayon: (500 + 100 * i as u64) << 20,
                    dag: (450 + 100 * i as u64) << 20,
                },
                PublishedFigures {
                    previous_s: p_prev,
                    new_s: p_new,
                },
            )
        })
        .collect();
    Results {
        machine: Machine {
            cpu: "Test CPU @ 3.0GHz".into(),
            cores: 16,
            numa_nodes: 2,
            topology_provider: "hwloc".into(),
            threads: 16,
        },
        git_rev: "abc1234".into(),
        date: "2025-01-02".into(),
        operations,
        calibration_s: 0.5,
        calibration_samples: Vec::new(),
        scaling: Vec::new(),
        reps: None,
        quick: None,
        tree_depth: None,
        unmeasured: Vec::new(),
    }
}

/// Scaling points for two policies of one operation.
pub fn sample_scaling() -> Vec<ScalingPoint> {
    let mut points = Vec::new();
    for (policy, base) in [("previous", 8.0), ("dag", 6.0)] {
        for threads in [1u64, 2, 4, 8] {
            points.push(ScalingPoint {
                op: "defi".into(),
                policy: policy.into(),
                threads,
                seconds: base / (threads as f64).powf(0.8),
            });
        }
    }
    points
}

/// Runs the built `zkpar` with `args`.
pub fn zkpar(args: &[&str], cwd: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_zkpar"))
        .args(args)
        .current_dir(cwd)
        .env("RUST_LOG", "warn")
        .output()
        .expect("the zkpar binary runs")
}

/// The exit code, failing the test on a signal.
pub fn code(output: &Output) -> i32 {
    output.status.code().expect("zkpar exited normally")
}

/// stdout as text.
pub fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// stderr as text.
pub fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}
