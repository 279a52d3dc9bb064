//! Regression check of the STG evaluation on the first 20 graphs: the static plan must stay
//! (near) optimal and the simulated online policy within a few percent.

use std::path::PathBuf;

use bench_suite::stg::{self, EvalOptions, StgPolicy, StgSummary};

fn stg_dir() -> Option<PathBuf> {
    let dir = PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../shared/datasets/stg"
    ));
    if dir.join("50").is_dir() {
        Some(dir)
    } else {
        println!("STG set not found at {}; skipping", dir.display());
        None
    }
}

const PROCS: [usize; 4] = [2, 4, 8, 16];

#[test]
fn first_twenty_graphs_stay_close_to_optimal() {
    let Some(dir) = stg_dir() else { return };
    let options = EvalOptions {
        limit: Some(20),
        ..EvalOptions::default()
    };
    let heft = stg::evaluate_graphs(&dir, &PROCS, StgPolicy::Heft, &options).unwrap();
    let dag = stg::evaluate_graphs(&dir, &PROCS, StgPolicy::Dag, &options).unwrap();
    assert_eq!(heft.len(), 80);
    assert_eq!(dag.len(), 80);
    for (h, d) in heft.iter().zip(&dag) {
        assert_eq!((&h.graph, h.procs), (&d.graph, d.procs));
        // The plan starts from the same critical-path list schedule the online policy makes.
        assert!(
            h.makespan <= d.makespan,
            "{} P={}: heft {} > dag {}",
            h.graph,
            h.procs,
            h.makespan,
            d.makespan
        );
        // No schedule beats a proven bound; both policies carry the same bound.
        for r in [h, d] {
            assert!(
                r.makespan >= r.proven_lower_bound - 1e-9,
                "{} P={}",
                r.graph,
                r.procs
            );
        }
        let optimum = h.optimum.expect("the 50-task set has tables");
        assert!(h.proven_lower_bound >= optimum.reference());
        assert!(h.proven_lower_bound >= h.own_lower_bound);
        assert_eq!(h.own_lower_bound, d.own_lower_bound);
        // On graphs whose optimum the table proves, the plan reaches it.
        if let stg::Optimum::Proven(opt) = optimum {
            assert_eq!(h.makespan, opt, "{} P={}", h.graph, h.procs);
        }
    }
    for s in stg::summarize(&heft) {
        println!("{}", serde_json::to_string(&s).unwrap());
        // Measured: every one of these 80 schedules is optimal. Allow one graph per P to slip by
        // a unit of time before calling it a regression.
        assert!(s.optimal >= 19, "{s:?}");
        assert!(s.mean_gap_pct <= 0.25, "{s:?}");
    }
    for s in stg::summarize(&dag) {
        println!("{}", serde_json::to_string(&s).unwrap());
        // Measured on these graphs: at most ~1.3 % mean gap (P = 4).
        assert!(s.mean_gap_pct <= 2.0, "{s:?}");
    }
}

#[test]
fn summary_serialises_with_the_agreed_field_names() {
    let summary = StgSummary {
        set: "50".into(),
        procs: 4,
        policy: "heft".into(),
        graphs: 180,
        mean_gap_pct: 0.5,
        max_gap_pct: 2.0,
        optimal: 170,
        proven_by_search: 3,
        mean_gap_vs_table_lower_pct: Some(0.7),
        max_gap_vs_table_lower_pct: Some(3.0),
    };
    let json: serde_json::Value = serde_json::to_value(&summary).unwrap();
    let object = json.as_object().unwrap();
    // The seven agreed fields, exactly named, plus the optional extras.
    for key in [
        "graphs",
        "max_gap_pct",
        "mean_gap_pct",
        "optimal",
        "policy",
        "procs",
        "set",
    ] {
        assert!(object.contains_key(key), "missing {key} in {json}");
    }
    assert_eq!(object.len(), 10, "{json}");
    assert_eq!(object["proven_by_search"], 3);
    // A summary written with only the agreed fields still reads back.
    let agreed = r#"{"set":"50","procs":2,"policy":"dag","graphs":1,"mean_gap_pct":0.0,
        "max_gap_pct":0.0,"optimal":1}"#;
    let back: StgSummary = serde_json::from_str(agreed).unwrap();
    assert_eq!(back.proven_by_search, 0);
    // Without a table the two vs-table extras are absent.
    let untabled = StgSummary {
        mean_gap_vs_table_lower_pct: None,
        max_gap_vs_table_lower_pct: None,
        ..summary
    };
    let json = serde_json::to_value(&untabled).unwrap();
    assert_eq!(json.as_object().unwrap().len(), 8, "{json}");
    assert!(!untabled.has_table());
}

#[test]
fn evaluate_reports_every_processor_count() {
    let Some(dir) = stg_dir() else { return };
    let options = EvalOptions {
        limit: Some(3),
        threads: 1,
        ..EvalOptions::default()
    };
    let results = stg::evaluate_graphs(&dir, &[2, 16], StgPolicy::Dag, &options).unwrap();
    let summaries = stg::summarize(&results);
    assert_eq!(summaries.len(), 2);
    assert_eq!((summaries[0].procs, summaries[1].procs), (2, 16));
    assert!(summaries
        .iter()
        .all(|s| s.graphs == 3 && s.set == "50" && s.policy == "dag"));
}

#[test]
fn missing_directory_is_an_error() {
    let err = stg::evaluate(
        std::path::Path::new("/nonexistent/stg"),
        &[2],
        StgPolicy::Heft,
    )
    .unwrap_err();
    assert!(err.to_string().contains("/nonexistent/stg"), "{err}");
}
