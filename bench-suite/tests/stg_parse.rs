//! The STG parser: every graph of the set parses, and malformed files give errors that name the
//! file, the line and the problem.

use std::path::{Path, PathBuf};

use bench_suite::stg::{self, Optimum, StgError};
use scheduler::analysis;

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

#[test]
fn parses_all_graphs_of_the_set() {
    let Some(dir) = stg_dir() else { return };
    let graphs = stg::list_graphs(&dir).unwrap();
    assert_eq!(graphs.len(), 180);
    for (name, path) in &graphs {
        let shape = stg::read_stg(path).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(shape.len(), 52, "{name}: 50 tasks plus two dummies");
        assert_eq!(shape.tasks[0].cost_s, 0.0);
        assert_eq!(shape.tasks[51].cost_s, 0.0);
        assert_eq!(shape.tasks[51].name, "t51");
        assert!(shape
            .tasks
            .iter()
            .all(|t| t.kind == "stg" && t.max_threads == 1));
        // preds and succs mirror each other, and ids are a topological order.
        for (t, ps) in shape.preds.iter().enumerate() {
            for &p in ps {
                assert!(p < t);
                assert!(shape.succs[p].contains(&t));
            }
        }
        analysis::topological_order(&shape).unwrap();
    }
}

#[test]
fn first_graph_matches_its_comment() {
    let Some(dir) = stg_dir() else { return };
    let shape = stg::read_stg(&dir.join("50/rand0000.stg")).unwrap();
    // The generator's notes: "CP Length : 55", and 96 + 23 edges.
    assert_eq!(analysis::critical_path(&shape).unwrap(), 55.0);
    assert_eq!(shape.preds.iter().map(Vec::len).sum::<usize>(), 96 + 23);
    assert_eq!(shape.preds[20], vec![10, 12, 14, 16, 19]);
}

#[test]
fn parses_the_optimal_tables() {
    let Some(dir) = stg_dir() else { return };
    for p in [2, 4, 8, 16] {
        let table = stg::read_optimal(&dir, 50, p).unwrap();
        assert_eq!(table.len(), 180);
        assert!(table
            .iter()
            .all(|e| e.procs == p && e.graph.starts_with("50/rand")));
    }
    let two = stg::read_optimal(&dir, 50, 2).unwrap();
    assert_eq!(two[0].optimum, Optimum::Proven(131.0));
    let bounded = two.iter().find(|e| e.graph == "50/rand0060.stg").unwrap();
    assert_eq!(
        bounded.optimum,
        Optimum::Bounds {
            lower: 157.0,
            upper: 165.0
        }
    );
    assert_eq!(bounded.optimum.reference(), 157.0);
    assert_eq!(bounded.optimum.best_known(), 165.0);
}

const GOOD: &str = "\
3
0 0 0
1 4 1 0
2 2 1 0
3 5 2 1 2
4 0 1 3
# comment
";

/// Writes `text` to a temporary file and parses it; returns the error.
fn parse_file_error(name: &str, text: &str) -> (String, StgError) {
    let path = std::env::temp_dir().join(format!("zkpar-stg-{}-{name}.stg", std::process::id()));
    std::fs::write(&path, text).unwrap();
    let result = stg::read_stg(&path);
    std::fs::remove_file(&path).unwrap();
    let err = result.expect_err("malformed file must not parse");
    (path.display().to_string(), err)
}

fn assert_error(name: &str, text: &str, line: usize, needle: &str) {
    let (path, err) = parse_file_error(name, text);
    let msg = err.to_string();
    match &err {
        StgError::Parse { line: l, .. } => assert_eq!(*l, line, "{msg}"),
        other => panic!("expected a parse error, got {other:?}"),
    }
    assert!(msg.starts_with(&format!("{path}:{line}: ")), "{msg}");
    assert!(msg.contains(needle), "`{msg}` should mention `{needle}`");
}

#[test]
fn small_file_parses() {
    let shape = stg::parse_stg(GOOD, "good").unwrap();
    assert_eq!(shape.len(), 5);
    assert_eq!(shape.preds[3], vec![1, 2]);
    assert_eq!(shape.succs[0], vec![1, 2]);
    assert_eq!(shape.tasks[3].cost_s, 5.0);
}

#[test]
fn bad_number_names_file_and_line() {
    assert_error(
        "badnum",
        &GOOD.replace("1 4 1 0", "1 4x 1 0"),
        3,
        "bad processing time `4x`",
    );
    assert_error(
        "badcount",
        &GOOD.replacen("3\n", "three\n", 1),
        1,
        "bad task count",
    );
}

#[test]
fn missing_task_line_is_reported() {
    assert_error(
        "missing",
        &GOOD.replace("4 0 1 3\n", ""),
        7,
        "missing task lines",
    );
}

#[test]
fn wrong_task_id_is_reported() {
    let text = GOOD.replace("2 2 1 0\n3 5 2 1 2", "3 5 2 1 2\n2 2 1 0");
    assert_error("order", &text, 4, "expected task id 2, found 3");
}

#[test]
fn predecessor_out_of_range_is_reported() {
    assert_error(
        "range",
        &GOOD.replace("3 5 2 1 2", "3 5 2 1 9"),
        5,
        "out of range",
    );
}

#[test]
fn forward_reference_or_cycle_is_reported() {
    assert_error(
        "forward",
        &GOOD.replace("1 4 1 0", "1 4 1 3"),
        3,
        "not earlier",
    );
    assert_error(
        "self",
        &GOOD.replace("2 2 1 0", "2 2 1 2"),
        4,
        "not earlier",
    );
}

#[test]
fn wrong_predecessor_count_is_reported() {
    assert_error(
        "fewer",
        &GOOD.replace("3 5 2 1 2", "3 5 3 1 2"),
        5,
        "lists only 2",
    );
    assert_error(
        "more",
        &GOOD.replace("3 5 2 1 2", "3 5 1 1 2"),
        5,
        "trailing garbage `2`",
    );
    assert_error(
        "dup",
        &GOOD.replace("3 5 2 1 2", "3 5 2 1 1"),
        5,
        "listed twice",
    );
}

#[test]
fn trailing_garbage_is_reported() {
    assert_error("trailing", &format!("{GOOD}5 1 0\n"), 8, "trailing garbage");
    assert_error(
        "negative",
        &GOOD.replace("1 4 1 0", "1 -4 1 0"),
        3,
        "non-negative",
    );
}

#[test]
fn unreadable_file_is_an_io_error() {
    let err = stg::read_stg(Path::new("/nonexistent/zkpar.stg")).unwrap_err();
    assert!(matches!(err, StgError::Io { .. }));
    assert!(err.to_string().contains("/nonexistent/zkpar.stg"));
}

#[test]
fn malformed_optimal_table_is_reported() {
    let err = stg::parse_optimal("50/a.stg,2,10\n50/b.stg,2\n", "opt.csv").unwrap_err();
    assert_eq!(
        err.to_string(),
        "opt.csv:2: expected `graph,P,VALUE` or `graph,P,LOWER,UPPER`, found 2 fields"
    );
    let err = stg::parse_optimal("50/a.stg,2,12,10\n", "opt.csv").unwrap_err();
    assert!(err
        .to_string()
        .starts_with("opt.csv:1: lower bound 12 exceeds"));
    let err = stg::parse_optimal("50/a.stg,x,12\n", "opt.csv").unwrap_err();
    assert!(err.to_string().contains("bad processor count `x`"));
}
