//! `zkpar ops`, `zkpar topology` and `zkpar stg`, run through the built binary.

use std::path::Path;
use std::process::{Command, Output};

use serde_json::Value;

fn zkpar(args: &[&str], dir: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_zkpar"))
        .args(args)
        .current_dir(dir)
        .output()
        .expect("the zkpar binary runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn json_stdout(out: &Output) -> Value {
    assert_eq!(
        out.status.code(),
        Some(0),
        "stdout:\n{}\nstderr:\n{}",
        text(&out.stdout),
        text(&out.stderr)
    );
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("stdout is not JSON ({e}):\n{}", text(&out.stdout)))
}

#[test]
fn ops_json_lists_the_four_operations_with_k() {
    // Run from an empty folder: the workspace's datasets are found without --data.
    let dir = tempfile::tempdir().unwrap();
    let ops = json_stdout(&zkpar(&["ops", "--json"], dir.path()));
    let ops = ops.as_array().expect("an array");
    let names: Vec<&str> = ops.iter().map(|o| o["op"].as_str().unwrap()).collect();
    assert_eq!(names, ["transfer", "erc20", "defi", "multicall"]);
    for op in ops {
        let subs = op["subcircuits"].as_array().expect("subcircuits array");
        assert!(!subs.is_empty(), "{op}");
        for s in subs {
            let name = s["name"].as_str().expect("name");
            assert!(
                name.parse::<circuits::kind::SubCircuitKind>().is_ok(),
                "{name}"
            );
            let k = s["k"].as_u64().expect("k");
            assert!((4..=20).contains(&k), "{name}: k = {k}");
        }
    }
    // transfer proves a signature, two account updates and the balance arithmetic.
    let transfer: Vec<&str> = ops[0]["subcircuits"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        transfer,
        ["signature", "account_update", "account_update", "balance"]
    );
}

#[test]
fn ops_table_and_an_explicit_data_folder() {
    let dir = tempfile::tempdir().unwrap();
    let data = concat!(env!("CARGO_MANIFEST_DIR"), "/../datasets");
    let out = zkpar(&["ops", "--data", data], dir.path());
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let table = text(&out.stdout);
    for needle in [
        "transfer",
        "Simple Transfer",
        "multicall",
        "amm_swap",
        "event_log",
    ] {
        assert!(table.contains(needle), "{needle} missing:\n{table}");
    }
    let out = zkpar(&["ops", "--data", "no-such-folder"], dir.path());
    assert_eq!(out.status.code(), Some(2));
    let err = text(&out.stderr);
    assert!(
        err.starts_with("error: ") && err.contains("no-such-folder"),
        "{err}"
    );
}

#[test]
fn topology_json_parses() {
    let dir = tempfile::tempdir().unwrap();
    let t = json_stdout(&zkpar(&["topology", "--json"], dir.path()));
    let provider = t["provider"].as_str().expect("provider").to_string();
    assert!(
        ["sysfs", "hwloc", "flat"].contains(&provider.as_str()),
        "{provider}"
    );
    let domains = t["domains"].as_array().expect("domains");
    assert!(!domains.is_empty());
    let cpus: usize = domains
        .iter()
        .map(|d| d["cpus"].as_array().unwrap().len())
        .sum();
    assert_eq!(t["cpus"].as_u64(), Some(cpus as u64));
    assert!(t["cores"].as_u64().unwrap() >= 1);
    // The JSON is the library's type, so it must round-trip into it.
    let parsed: scheduler::topology::Topology = serde_json::from_value(t).unwrap();
    assert_eq!(parsed.num_cpus(), cpus);

    let out = zkpar(&["topology"], dir.path());
    assert_eq!(out.status.code(), Some(0));
    assert!(text(&out.stdout).contains(&format!("provider       {provider}")));
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
    let expected = scheduler::stg::evaluate(set, &[16], scheduler::stg::StgPolicy::Dag).unwrap();
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
