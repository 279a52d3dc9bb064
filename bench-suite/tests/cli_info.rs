//! `zkpar ops` and `zkpar topology`, run through the built binary (`zkpar stg`: `stg_cli.rs`).

mod cli_common;

use cli_common::{json_stdout, text, zkpar};

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
