//! The full STG 50-task evaluation (180 graphs × P = 2, 4, 8, 16) for `heft` and `dag`.
//!
//! Ignored by default because it measures rather than checks; run it with
//! `cargo test -p bench-suite --release --test stg_full -- --ignored --nocapture`.
//!
//! Environment: `STG_ITERATIONS` and `STG_NODES` override the local-search and branch-and-bound
//! budgets (to see whether more search still helps); `STG_DETAIL=1` lists the graphs whose
//! schedule is not proven optimal; `STG_POLICY=heft` (or `dag`) evaluates one policy only, and
//! `STG_PROCS=8` one processor count.

use std::path::Path;
use std::time::Instant;

use bench_suite::stg::{self, EvalOptions, StgPolicy};

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
    let mut options = EvalOptions::default();
    let env_number = |name: &str| std::env::var(name).ok().and_then(|v| v.parse::<u64>().ok());
    if let Some(it) = env_number("STG_ITERATIONS") {
        options.plan.max_iterations = it as usize;
    }
    if let Some(nodes) = env_number("STG_NODES") {
        options.plan.max_search_nodes = nodes;
    }
    let detail = std::env::var("STG_DETAIL").is_ok_and(|v| v == "1");
    let only = std::env::var("STG_POLICY").ok();
    println!(
        "| policy | P | graphs | mean gap % (proven bound) | max gap % | optimal | proven by search | \
         mean gap % (table LOWER) | max gap % (table LOWER) | mean gap to best known % | wall s |"
    );
    println!("|---|---|---|---|---|---|---|---|---|---|---|");
    for policy in [StgPolicy::Heft, StgPolicy::Dag] {
        if only.as_deref().is_some_and(|o| o != policy.name()) {
            continue;
        }
        for p in PROCS {
            if env_number("STG_PROCS").is_some_and(|only| only != p as u64) {
                continue;
            }
            let started = Instant::now();
            let results =
                stg::evaluate_graphs(dir, &[p], policy, &options).expect("evaluation runs");
            let wall = started.elapsed().as_secs_f64();
            let summary = &stg::summarize(&results)[0];
            let to_best: f64 = results
                .iter()
                .map(|r| {
                    let best = r.optimum.expect("the 50-task set has tables").best_known();
                    (r.makespan - best) / best * 100.0
                })
                .sum::<f64>()
                / results.len() as f64;
            println!(
                "| {} | {} | {} | {:.3} | {:.2} | {} | {} | {:.3} | {:.2} | {:.3} | {:.2} |",
                summary.policy,
                p,
                summary.graphs,
                summary.mean_gap_pct,
                summary.max_gap_pct,
                summary.optimal,
                summary.proven_by_search,
                summary.mean_gap_vs_table_lower_pct.unwrap_or(f64::NAN),
                summary.max_gap_vs_table_lower_pct.unwrap_or(f64::NAN),
                to_best,
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
