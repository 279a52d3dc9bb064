//! The full STG 50-task evaluation (180 graphs × P = 2, 4, 8, 16) for `heft` and `dag`.
//!
//! Ignored by default because it measures rather than checks; run it with
//! `cargo test -p scheduler --release --test stg_full -- --ignored --nocapture`.

use std::path::Path;
use std::time::Instant;

use scheduler::stg::{self, EvalOptions, StgPolicy};

const PROCS: [usize; 4] = [2, 4, 8, 16];

#[test]
#[ignore = "measurement: run with --release -- --ignored --nocapture"]
fn stg_full_table() {
    let dir = Path::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../shared/datasets/stg"
    ));
    if !dir.join("50").is_dir() {
        println!("STG set not found at {}; skipping", dir.display());
        return;
    }
    println!(
        "| policy | P | graphs | mean gap % | max gap % | optimal | at own bound | \
         mean gap to best known % | mean gap to max(LOWER, own bound) % | wall s |"
    );
    println!("|---|---|---|---|---|---|---|---|---|---|");
    // STG_ITERATIONS overrides the search budget (to see whether more search still helps);
    // STG_DETAIL=1 lists the graphs whose optimum is unknown.
    let mut options = EvalOptions::default();
    if let Some(it) = std::env::var("STG_ITERATIONS")
        .ok()
        .and_then(|v| v.parse().ok())
    {
        options.plan.max_iterations = it;
    }
    let detail = std::env::var("STG_DETAIL").is_ok_and(|v| v == "1");
    for policy in [StgPolicy::Heft, StgPolicy::Dag] {
        for p in PROCS {
            let started = Instant::now();
            let results =
                stg::evaluate_graphs(dir, &[p], policy, &options).expect("evaluation runs");
            let wall = started.elapsed().as_secs_f64();
            let summary = &stg::summarize(&results)[0];
            let to_best: f64 = results
                .iter()
                .map(|r| (r.makespan - r.optimum.best_known()) / r.optimum.best_known() * 100.0)
                .sum::<f64>()
                / results.len() as f64;
            let at_own_bound = results
                .iter()
                .filter(|r| r.makespan <= r.own_lower_bound)
                .count();
            // The table's LOWER values are often weaker than this crate's own bound; the gap to
            // the better of the two is the tighter statement of how far from optimal we are.
            let to_best_bound: f64 = results
                .iter()
                .map(|r| {
                    let lb = r.optimum.reference().max(r.own_lower_bound);
                    (r.makespan - lb) / lb * 100.0
                })
                .sum::<f64>()
                / results.len() as f64;
            println!(
                "| {} | {} | {} | {:.3} | {:.2} | {} | {} | {:.3} | {:.3} | {:.2} |",
                summary.policy,
                p,
                summary.graphs,
                summary.mean_gap_pct,
                summary.max_gap_pct,
                summary.optimal,
                at_own_bound,
                to_best,
                to_best_bound,
                wall
            );
            println!("{}", serde_json::to_string(summary).expect("serialises"));
            for r in results.iter().filter(|r| detail && !r.is_optimal()) {
                println!(
                    "    {} P={} makespan {} vs {:?}, own lower bound {}",
                    r.graph, r.procs, r.makespan, r.optimum, r.own_lower_bound
                );
            }
        }
    }
}
