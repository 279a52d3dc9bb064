//! STG sets laid out as published, at sizes other than 50, and sets without a table, from small
//! generated fixtures; malformed layouts and tables give errors naming the file and the line.

mod stg_common;

use std::path::Path;

use bench_suite::stg::{self, EvalOptions, Optimum, StgError, StgPolicy};
use stg_common::{layered_stg, random_stg, write_published};

fn layout_error(err: StgError) -> (String, String) {
    match err {
        StgError::Layout { path, message } => (path.display().to_string(), message),
        other => panic!("expected a layout error, got {other:?}"),
    }
}

fn parse_error(err: StgError) -> (String, usize, String) {
    match err {
        StgError::Parse {
            origin,
            line,
            message,
        } => (origin, line, message),
        other => panic!("expected a parse error, got {other:?}"),
    }
}

#[test]
fn a_100_task_set_with_tables_is_evaluated() {
    let root = tempfile::tempdir().unwrap();
    let names = write_published(root.path(), 100, 3, &[4, 16]);
    let set = stg::discover(root.path()).unwrap();
    assert_eq!(set.groups.len(), 1);
    let group = &set.groups[0];
    assert_eq!((group.name.as_str(), group.size), ("100", Some(100)));
    assert_eq!(group.tables, Some(root.path().join("optimal")));
    let listed: Vec<&str> = group.graphs.iter().map(|g| g.name.as_str()).collect();
    assert_eq!(listed, names);

    let results = stg::evaluate_graphs(
        root.path(),
        &[4, 16],
        StgPolicy::Heft,
        &EvalOptions::default(),
    )
    .unwrap();
    assert_eq!(results.len(), 6);
    for r in &results {
        assert_eq!(r.set, "100");
        let optimum = r.optimum.expect("a table");
        assert!(r.proven_lower_bound >= optimum.reference());
        assert!(r.makespan >= r.proven_lower_bound - 1e-9, "{r:?}");
        assert!(r.gap_pct >= 0.0 && r.gap_vs_table_pct.unwrap() >= r.gap_pct - 1e-9);
    }
    let summaries = stg::summarize(&results);
    assert_eq!(summaries.len(), 2);
    assert!(summaries
        .iter()
        .all(|s| s.set == "100" && s.graphs == 3 && s.has_table()));
}

#[test]
fn sizes_come_in_order_and_a_size_without_tables_uses_the_lower_bound() {
    let root = tempfile::tempdir().unwrap();
    write_published(root.path(), 100, 1, &[]);
    write_published(root.path(), 50, 2, &[16]);
    let set = stg::discover(root.path()).unwrap();
    let names: Vec<&str> = set.groups.iter().map(|g| g.name.as_str()).collect();
    assert_eq!(names, ["50", "100"]);
    assert!(set.groups[0].tables.is_some());
    assert!(
        set.groups[1].tables.is_none(),
        "optimal/ has no Case100_* table"
    );
    let results =
        stg::evaluate_graphs(root.path(), &[16], StgPolicy::Dag, &EvalOptions::default()).unwrap();
    let summaries = stg::summarize(&results);
    assert_eq!(summaries.len(), 2);
    assert!(summaries[0].has_table() && !summaries[1].has_table());
    let untabled = results.iter().find(|r| r.set == "100").unwrap();
    assert_eq!(untabled.optimum, None);
    assert_eq!(untabled.proven_lower_bound, untabled.own_lower_bound);
}

#[test]
fn a_folder_or_a_file_without_a_table_is_evaluated() {
    let root = tempfile::tempdir().unwrap();
    let folder = root.path().join("mine");
    std::fs::create_dir(&folder).unwrap();
    std::fs::write(folder.join("b.stg"), random_stg(30, 2)).unwrap();
    std::fs::write(folder.join("a.stg"), random_stg(20, 1)).unwrap();
    std::fs::write(folder.join("notes.txt"), "not a graph").unwrap();

    let set = stg::discover(&folder).unwrap();
    assert_eq!(set.groups.len(), 1);
    assert_eq!(set.groups[0].name, "mine");
    let names: Vec<&str> = set.groups[0]
        .graphs
        .iter()
        .map(|g| g.name.as_str())
        .collect();
    assert_eq!(names, ["a.stg", "b.stg"]);
    let summaries = stg::evaluate(&folder, &[2], StgPolicy::Heft).unwrap();
    assert_eq!(summaries.len(), 1);
    assert_eq!(
        (summaries[0].set.as_str(), summaries[0].graphs),
        ("mine", 2)
    );
    assert!(!summaries[0].has_table());
    assert!(summaries[0].mean_gap_pct >= 0.0);

    let file = folder.join("a.stg");
    let results =
        stg::evaluate_graphs(&file, &[2, 4], StgPolicy::Heft, &EvalOptions::default()).unwrap();
    assert_eq!(results.len(), 2);
    assert!(results.iter().all(|r| r.set == "a" && r.graph == "a.stg"));
}

#[test]
fn a_bad_line_in_a_graph_names_the_file_and_line() {
    let root = tempfile::tempdir().unwrap();
    write_published(root.path(), 100, 2, &[2]);
    let path = root.path().join("100/rand0001.stg");
    let text = std::fs::read_to_string(&path).unwrap();
    // Line 1 is the count, line k + 2 task k.
    let mut lines: Vec<String> = text.lines().map(String::from).collect();
    lines[6] = "          5        4x          1          0".into();
    std::fs::write(&path, lines.join("\n")).unwrap();
    let err = stg::evaluate(root.path(), &[2], StgPolicy::Dag).unwrap_err();
    let (origin, line, message) = parse_error(err);
    assert_eq!((origin, line), (path.display().to_string(), 7));
    assert!(message.contains("bad processing time `4x`"), "{message}");
}

#[test]
fn a_graph_of_the_wrong_size_is_reported() {
    let root = tempfile::tempdir().unwrap();
    write_published(root.path(), 100, 1, &[]);
    let path = root.path().join("100/rand0000.stg");
    std::fs::write(&path, random_stg(40, 9)).unwrap();
    let (at, message) = layout_error(stg::evaluate(root.path(), &[2], StgPolicy::Dag).unwrap_err());
    assert_eq!(at, path.display().to_string());
    assert!(message.contains("holds 40 tasks"), "{message}");
}

#[test]
fn a_table_naming_a_missing_graph_names_the_table_and_line() {
    let root = tempfile::tempdir().unwrap();
    write_published(root.path(), 100, 2, &[4]);
    let table = root.path().join("optimal/Case100_4_OPT.csv");
    let mut text = std::fs::read_to_string(&table).unwrap();
    text.push_str("100/rand0007.stg,4,100\n");
    std::fs::write(&table, &text).unwrap();
    let (origin, line, message) =
        parse_error(stg::evaluate(root.path(), &[4], StgPolicy::Dag).unwrap_err());
    assert_eq!((origin, line), (table.display().to_string(), 3));
    assert!(
        message.contains("`100/rand0007.stg`, which is not in"),
        "{message}"
    );

    // A graph of another size, a wrong P, a graph listed twice.
    for (bad, needle) in [
        ("50/rand0000.stg,4,100\n", "not a graph of the 100-task set"),
        ("100/rand0001.stg,8,100\n", "but the table is for P = 4"),
        ("100/rand0001.stg,4,100\n", "a second time"),
    ] {
        let lines: Vec<&str> = text.lines().take(2).collect();
        std::fs::write(&table, format!("{}\n{bad}", lines.join("\n"))).unwrap();
        let err = stg::evaluate(root.path(), &[4], StgPolicy::Dag).unwrap_err();
        let (_, line, message) = parse_error(err);
        assert_eq!(line, 3, "{message}");
        assert!(
            message.contains(needle),
            "`{message}` should say `{needle}`"
        );
    }
}

#[test]
fn a_graph_missing_from_its_table_or_a_missing_table_is_reported() {
    let root = tempfile::tempdir().unwrap();
    write_published(root.path(), 100, 2, &[4]);
    let table = root.path().join("optimal/Case100_4_OPT.csv");
    let text = std::fs::read_to_string(&table).unwrap();
    std::fs::write(&table, text.lines().next().unwrap()).unwrap();
    let (at, message) = layout_error(stg::evaluate(root.path(), &[4], StgPolicy::Dag).unwrap_err());
    assert_eq!(at, table.display().to_string());
    assert!(
        message.contains("no line for 100/rand0001.stg"),
        "{message}"
    );

    // Tables for P = 4 only: P = 8 is missing, not silently measured another way.
    let (at, message) = layout_error(stg::evaluate(root.path(), &[8], StgPolicy::Dag).unwrap_err());
    assert!(at.ends_with("Case100_8_OPT.csv"), "{at}");
    assert!(message.contains("none for P = 8"), "{message}");
}

#[test]
fn an_unknown_size_folder_is_reported() {
    let root = tempfile::tempdir().unwrap();
    write_published(root.path(), 100, 1, &[]);
    std::fs::create_dir(root.path().join("70")).unwrap();
    let (at, message) = layout_error(stg::discover(root.path()).unwrap_err());
    assert_eq!(at, root.path().join("70").display().to_string());
    assert!(message.contains("unknown size folder `70`"), "{message}");
    assert!(
        message.contains("50, 100, 300, 500, 750, 1000, 2000, 3000, 5000"),
        "{message}"
    );

    // A named folder holding graphs beside the size folders is unknown as well.
    std::fs::remove_dir(root.path().join("70")).unwrap();
    let other = root.path().join("big");
    std::fs::create_dir(&other).unwrap();
    std::fs::write(other.join("x.stg"), random_stg(5, 1)).unwrap();
    let (at, message) = layout_error(stg::discover(root.path()).unwrap_err());
    assert_eq!(at, other.display().to_string());
    assert!(message.contains("unknown size folder `big`"), "{message}");

    // So is a loose graph.
    std::fs::remove_dir_all(&other).unwrap();
    std::fs::write(root.path().join("x.stg"), random_stg(5, 1)).unwrap();
    let (at, message) = layout_error(stg::discover(root.path()).unwrap_err());
    assert!(at.ends_with("x.stg"), "{at}");
    assert!(message.contains("beside the size folders"), "{message}");
}

#[test]
fn empty_folders_are_reported() {
    let root = tempfile::tempdir().unwrap();
    let (at, message) = layout_error(stg::discover(root.path()).unwrap_err());
    assert_eq!(at, root.path().display().to_string());
    assert!(message.contains("no .stg file here"), "{message}");

    std::fs::create_dir(root.path().join("300")).unwrap();
    let (at, message) = layout_error(stg::discover(root.path()).unwrap_err());
    assert_eq!(at, root.path().join("300").display().to_string());
    assert!(message.contains("empty size folder"), "{message}");

    std::fs::remove_dir(root.path().join("300")).unwrap();
    std::fs::create_dir(root.path().join("optimal")).unwrap();
    let (_, message) = layout_error(stg::discover(root.path()).unwrap_err());
    assert!(message.contains("no size folder"), "{message}");
}

#[test]
fn the_generator_writes_what_the_parser_reads() {
    for n in [1, 2, 50, 300] {
        let shape = stg::parse_stg(&random_stg(n, n as u64), "generated").unwrap();
        assert_eq!(shape.len(), n + 2);
        assert!(shape.preds[n + 1]
            .iter()
            .all(|&t| shape.succs[t] == [n + 1]));
        assert!(shape.tasks[1..=n]
            .iter()
            .all(|t| (1.0..=10.0).contains(&t.cost_s)));
    }
    let root = tempfile::tempdir().unwrap();
    write_published(root.path(), 100, 2, &[2]);
    let table = stg::read_optimal(root.path(), 100, 2).unwrap();
    assert_eq!(table.len(), 2);
    assert!(table
        .iter()
        .all(|e| matches!(e.optimum, Optimum::Proven(_) | Optimum::Bounds { .. })));
}

/// Writes 1,000- and 5,000-task random graphs for measuring the planner on large graphs:
/// `$STG_GEN_DIR/{1000,5000}/rand0000.stg` ([`random_stg`]: sparse, wide, easy) and
/// `$STG_GEN_DIR/layered/{1000,5000}/rand0000.stg` ([`layered_stg`], layers of 16 to 32 tasks,
/// or `$STG_GEN_WIDTH=MIN,MAX`: critical path and work per processor close at P = 16). Run
/// `STG_GEN_DIR=/tmp/stg-big cargo test -p bench-suite --test stg_layout -- --ignored`, then
/// `cargo run --release -p bench-suite -- stg --dir /tmp/stg-big/5000 --procs 16 --policy heft`.
#[test]
#[ignore = "writes large graphs for a measurement"]
fn write_large_graphs() {
    let Ok(dir) = std::env::var("STG_GEN_DIR") else {
        println!("set STG_GEN_DIR to write the graphs");
        return;
    };
    // `STG_GEN_WIDTH=MIN,MAX` sets the layers' widths.
    let width: Vec<usize> = std::env::var("STG_GEN_WIDTH")
        .unwrap_or_else(|_| "16,32".into())
        .split(',')
        .map(|w| w.parse().expect("STG_GEN_WIDTH=MIN,MAX"))
        .collect();
    for n in [1000, 5000] {
        let sub = Path::new(&dir).join(n.to_string());
        std::fs::create_dir_all(&sub).unwrap();
        std::fs::write(sub.join("rand0000.stg"), random_stg(n, 42)).unwrap();
        let sub = Path::new(&dir).join("layered").join(n.to_string());
        std::fs::create_dir_all(&sub).unwrap();
        std::fs::write(
            sub.join("rand0000.stg"),
            layered_stg(n, 42, width[0], width[1]),
        )
        .unwrap();
    }
}
