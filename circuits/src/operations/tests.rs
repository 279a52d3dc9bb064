//! The shipped file loads, and every kind of mistake is reported with its file, operation and field.

use super::*;

fn shipped() -> String {
    std::fs::read_to_string(default_operations_path()).expect("datasets/operations.toml")
}

fn parse(text: &str) -> Result<OperationsFile, SpecError> {
    OperationsFile::parse(Path::new("ops.toml"), text)
}

#[test]
fn shipped_file_has_the_four_operations() {
    let file = OperationsFile::load(default_operations_path()).unwrap();
    let ids: Vec<&str> = file.operations.iter().map(|o| o.id.as_str()).collect();
    assert_eq!(ids, ["transfer", "erc20", "defi", "multicall"]);
    assert_eq!(file.genesis.tree_depth, 32);
    let slots = |id: &str| {
        file.operation(id)
            .unwrap()
            .steps
            .iter()
            .map(|s| s.prove.len())
            .sum::<usize>()
    };
    assert!(slots("transfer") < slots("erc20"));
    assert!(slots("erc20") < slots("defi"));
    assert!(slots("defi") < slots("multicall"));
}

#[test]
fn unknown_subcircuit_names_file_operation_and_field() {
    let text = shipped().replace("\"balance@balance\"]", "\"balanse@balance\"]");
    let err = parse(&text).unwrap_err().to_string();
    assert!(err.starts_with("ops.toml: "), "{err}");
    assert!(
        err.contains("operation \"transfer\", step 1, field \"prove\""),
        "{err}"
    );
    assert!(err.contains("unknown sub-circuit `balanse`"), "{err}");
}

#[test]
fn missing_field_names_file_operation_and_field() {
    let text = shipped().replacen("  amount = 25_000_000\n", "", 1);
    let err = parse(&text).unwrap_err().to_string();
    assert!(
        err.contains("operation \"erc20\", step 1, field \"amount\": missing field"),
        "{err}"
    );
}

#[test]
fn missing_state_changing_role_is_rejected() {
    let text = shipped().replace(
        "\"account_update@sender\", \"account_update@recipient\", \"balance@balance\"]\n\n",
        "\"account_update@sender\", \"balance@balance\"]\n\n",
    );
    let err = parse(&text).unwrap_err().to_string();
    assert!(
        err.contains("missing \"account_update@recipient\""),
        "{err}"
    );
}

#[test]
fn wrong_subcircuit_for_role_unknown_role_and_unknown_names() {
    let err = parse(&shipped().replace(
        "\"event_log@transfer_event\"]\n\n",
        "\"balance@transfer_event\"]\n\n",
    ))
    .unwrap_err()
    .to_string();
    assert!(err.contains("proved by event_log, not balance"), "{err}");
    let err = parse(&shipped().replace("\"amm_swap@swap\"", "\"amm_swap@swop\""))
        .unwrap_err()
        .to_string();
    assert!(err.contains("has no role \"swop\""), "{err}");
    let err = parse(&shipped().replacen("pool = \"WETH/DAI\"", "pool = \"WETH/XYZ\"", 1))
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("operation \"defi\", step 2, field \"pool\": unknown pool"),
        "{err}"
    );
    let err = parse(&shipped().replacen("action = \"swap\"", "action = \"flashloan\"", 1))
        .unwrap_err()
        .to_string();
    assert!(err.contains("unknown action \"flashloan\""), "{err}");
}

#[test]
fn syntax_errors_and_type_errors_are_reported() {
    let err = parse("[[operation]\nid=").unwrap_err();
    assert_eq!(err.context, "TOML syntax");
    let err = parse(&shipped().replacen("amount = 1_500_000", "amount = \"lots\"", 1))
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("field \"amount\": expected a non-negative integer, found string"),
        "{err}"
    );
    let err = parse(&shipped().replacen("amount = 1_500_000", "amount = -3", 1))
        .unwrap_err()
        .to_string();
    assert!(err.contains("must not be negative"), "{err}");
    let err = OperationsFile::load("/nonexistent/ops.toml")
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("/nonexistent/ops.toml: file: cannot read"),
        "{err}"
    );
}

#[test]
fn unknown_operation_lists_known_ones() {
    let file = OperationsFile::load(default_operations_path()).unwrap();
    let err = file.operation("flashloan").unwrap_err().to_string();
    assert!(
        err.contains("unknown operation (known: transfer, erc20, defi, multicall)"),
        "{err}"
    );
}
