//! The published-table loader: the seed claim loads, and each kind of bad file is reported
//! with the file and the field.

use std::path::Path;

use bench_suite::report::published::{default_path, PublishedTable};
use bench_suite::report::ReportError;

fn seed_text() -> String {
    std::fs::read_to_string(default_path()).unwrap()
}

fn parse_err(text: &str) -> String {
    let err = PublishedTable::parse(text, Path::new("claims/bad.toml")).unwrap_err();
    assert!(err.is_input_error());
    let msg = err.to_string();
    assert!(
        msg.contains("claims/bad.toml"),
        "message names the file: {msg}"
    );
    msg
}

#[test]
fn seed_claim_loads_with_published_numbers() {
    let table = PublishedTable::load(&default_path()).unwrap();
    let rows: Vec<(&str, &str, f64, f64, f64)> = table
        .operations
        .iter()
        .map(|o| {
            (
                o.id.as_str(),
                o.label.as_str(),
                o.previous_s,
                o.new_s,
                o.improvement_pct,
            )
        })
        .collect();
    assert_eq!(
        rows,
        [
            ("transfer", "Simple Transfer", 2.3, 1.4, 39.0),
            ("erc20", "ERC-20 Transfer", 4.1, 2.5, 39.0),
            ("defi", "Complex DeFi Interaction", 12.8, 7.7, 40.0),
            ("multicall", "Multi-step Contract Call", 18.2, 10.9, 40.0),
        ]
    );
    assert_eq!(table.label("unknown-op"), "unknown-op");
}

#[test]
fn missing_field_names_row_and_field() {
    let text = seed_text().replacen("new_s = 2.5\n", "", 1);
    let msg = parse_err(&text);
    assert!(
        msg.contains("operation[1].new_s") && msg.contains("is missing"),
        "{msg}"
    );
}

#[test]
fn wrong_type_and_non_positive_time() {
    let msg = parse_err(&seed_text().replacen("previous_s = 12.8", "previous_s = \"12.8\"", 1));
    assert!(
        msg.contains("operation[2].previous_s") && msg.contains("must be a number"),
        "{msg}"
    );
    let msg = parse_err(&seed_text().replacen("new_s = 1.4", "new_s = 0", 1));
    assert!(
        msg.contains("operation[0].new_s") && msg.contains("positive"),
        "{msg}"
    );
}

#[test]
fn inconsistent_improvement_is_rejected() {
    let msg = parse_err(&seed_text().replacen("improvement_pct = 39", "improvement_pct = 45", 1));
    assert!(
        msg.contains("operation[0].improvement_pct") && msg.contains("39.1"),
        "{msg}"
    );
}

#[test]
fn duplicate_id_missing_source_and_syntax() {
    let msg = parse_err(&seed_text().replacen("id = \"erc20\"", "id = \"transfer\"", 1));
    assert!(
        msg.contains("operation[1].id") && msg.contains("twice"),
        "{msg}"
    );
    let text = seed_text();
    let start = text.find("[source]").unwrap();
    let end = text.find("[[operation]]").unwrap();
    let msg = parse_err(&format!("{}{}", &text[..start], &text[end..]));
    assert!(msg.contains("field `source` is missing"), "{msg}");
    let err = PublishedTable::parse("[[operation]\nid = 1", Path::new("x.toml")).unwrap_err();
    assert!(matches!(err, ReportError::Syntax { .. }), "{err}");
    let msg = parse_err("[source]\ndescription = \"d\"\ncode_published = false\nnote = \"n\"\n");
    assert!(msg.contains("field `operation` is missing"), "{msg}");
}

#[test]
fn missing_file_is_a_read_error() {
    let err = PublishedTable::load(Path::new("/nonexistent/seed.toml")).unwrap_err();
    assert!(matches!(err, ReportError::Read { .. }));
    assert!(err.to_string().contains("/nonexistent/seed.toml"));
}
