//! `zkpar stg`, run through the built binary: the shared 50-task set, a generated set of another
//! size laid out as published, a folder without a table, and input errors (exit 2, one line
//! naming the file and the line).

mod cli_common;
mod stg_common;

use std::path::Path;

use cli_common::{json_stdout, text, zkpar};
use stg_common::{random_stg, write_published};

/// Runs `zkpar stg` expecting an input error; returns its one stderr line.
fn input_error(args: &[&str], dir: &Path) -> String {
    let out = zkpar(args, dir);
    let err = text(&out.stderr);
    assert_eq!(
        out.status.code(),
        Some(2),
        "stdout {}\nstderr {err}",
        text(&out.stdout)
    );
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(!err.contains("panicked"), "{err}");
    err
}
const STG_DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared/datasets/stg");

#[test]
fn stg_json_matches_the_library() {
    let set = Path::new(STG_DIR);
    if !set.join("50").is_dir() {
        eprintln!("skipped: the STG set is not at {STG_DIR}");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let out = zkpar(
        &[
            "stg", "--dir", STG_DIR, "--procs", "16", "--policy", "dag", "--json",
        ],
        dir.path(),
    );
    let rows = json_stdout(&out);
    let rows = rows.as_array().expect("an array");
    assert_eq!(rows.len(), 1);
    let row = &rows[0];
    for field in [
        "set",
        "procs",
        "policy",
        "graphs",
        "mean_gap_pct",
        "max_gap_pct",
        "optimal",
    ] {
        assert!(row.get(field).is_some(), "{field} missing: {row}");
    }
    assert_eq!(row["procs"], 16);
    assert_eq!(row["policy"], "dag");
    // The simulation is deterministic: the command must report exactly what the library finds.
    let expected =
        bench_suite::stg::evaluate(set, &[16], bench_suite::stg::StgPolicy::Dag).unwrap();
    assert_eq!(row, &serde_json::to_value(&expected[0]).unwrap());
    let mean = row["mean_gap_pct"].as_f64().unwrap();
    assert!(mean >= 0.0 && mean <= row["max_gap_pct"].as_f64().unwrap());
}

#[test]
fn a_malformed_stg_file_names_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let graphs = dir.path().join("set").join("50");
    std::fs::create_dir_all(&graphs).unwrap();
    std::fs::write(
        graphs.join("rand0000.stg"),
        "# two real tasks\n2\n0 0 0\n1 5 1 0\n2 seven 1 1\n3 0 1 2\n",
    )
    .unwrap();
    let out = zkpar(&["stg", "--dir", "set", "--procs", "2"], dir.path());
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stdout));
    let err = text(&out.stderr);
    assert!(
        err.contains("rand0000.stg") && err.contains("line 5"),
        "{err}"
    );
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(!err.contains("panicked"), "{err}");

    let out = zkpar(&["stg", "--dir", "missing"], dir.path());
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("missing"));
}

#[test]
fn a_100_task_set_laid_out_as_published_runs() {
    let dir = tempfile::tempdir().unwrap();
    write_published(&dir.path().join("set"), 100, 2, &[2, 4, 8, 16]);
    let rows = json_stdout(&zkpar(
        &["stg", "--dir", "set", "--procs", "4,16", "--json"],
        dir.path(),
    ));
    let rows = rows.as_array().expect("an array");
    assert_eq!(rows.len(), 2);
    for (row, p) in rows.iter().zip([4, 16]) {
        assert_eq!(
            (row["set"].as_str(), row["procs"].as_u64()),
            (Some("100"), Some(p))
        );
        assert_eq!(row["graphs"], 2);
        assert!(row.get("mean_gap_vs_table_lower_pct").is_some(), "{row}");
    }
    let out = zkpar(&["stg", "--dir", "set", "--procs", "16"], dir.path());
    assert_eq!(out.status.code(), Some(0));
    let table = text(&out.stdout);
    assert!(table.starts_with("set  procs policy  graphs"), "{table}");
    assert!(
        table.lines().nth(1).unwrap().starts_with("100     16 dag"),
        "{table}"
    );
    assert!(!table.contains("no optimal table"), "{table}");
}

#[test]
fn a_folder_without_a_table_says_what_the_gap_is_against() {
    let dir = tempfile::tempdir().unwrap();
    let mine = dir.path().join("my-graphs");
    std::fs::create_dir(&mine).unwrap();
    std::fs::write(mine.join("g.stg"), random_stg(40, 3)).unwrap();
    let out = zkpar(
        &[
            "stg",
            "--dir",
            "my-graphs",
            "--procs",
            "2",
            "--policy",
            "heft",
        ],
        dir.path(),
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let table = text(&out.stdout);
    assert!(table.contains("my-graphs     2 heft"), "{table}");
    assert!(
        table.contains("no optimal table for `my-graphs`: gaps are measured against zkpar's proven lower bound"),
        "{table}"
    );
    let rows = json_stdout(&zkpar(
        &["stg", "--dir", "my-graphs/g.stg", "--procs", "2", "--json"],
        dir.path(),
    ));
    assert_eq!(rows[0]["set"], "g");
    assert!(
        rows[0].get("mean_gap_vs_table_lower_pct").is_none(),
        "{rows}"
    );
}

#[test]
fn malformed_sets_are_input_errors_naming_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let set = dir.path().join("set");
    write_published(&set, 100, 2, &[2]);

    // A table naming a graph that is not there.
    let table = set.join("optimal/Case100_2_OPT.csv");
    let good = std::fs::read_to_string(&table).unwrap();
    std::fs::write(&table, format!("{good}100/rand0042.stg,2,500\n")).unwrap();
    let err = input_error(&["stg", "--dir", "set", "--procs", "2"], dir.path());
    assert!(
        err.contains("Case100_2_OPT.csv") && err.contains("line 3") && err.contains("rand0042"),
        "{err}"
    );
    std::fs::write(&table, good).unwrap();

    // A bad line in a table.
    std::fs::write(&table, "100/rand0000.stg,2\n").unwrap();
    let err = input_error(&["stg", "--dir", "set", "--procs", "2"], dir.path());
    assert!(
        err.contains("Case100_2_OPT.csv") && err.contains("line 1"),
        "{err}"
    );

    // An unknown size folder.
    std::fs::create_dir(set.join("150")).unwrap();
    let err = input_error(&["stg", "--dir", "set", "--procs", "2"], dir.path());
    assert!(
        err.contains("150") && err.contains("unknown size folder"),
        "{err}"
    );

    // An empty folder.
    std::fs::create_dir(dir.path().join("empty")).unwrap();
    let err = input_error(&["stg", "--dir", "empty"], dir.path());
    assert!(
        err.contains("empty") && err.contains("no .stg file"),
        "{err}"
    );
}
