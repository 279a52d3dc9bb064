//! `zkpar verify`: check a proof bundle end to end.
//!
//! [`Bundle::read`] checks the file's structure (magic, version, checksum, every length, the
//! entries against the header); [`assemble_and_verify`] then checks each sub-proof's `k` and
//! verifying-key fingerprint against this build's keys (generated at the tree depth the bundle's
//! header names), the chain of state roots from the initial to the final root, and batch-verifies
//! the halo2 proofs of each sub-circuit kind.
//!
//! A bundle with a final proof ([`verify_final`]) is checked by that proof ALONE: its statement
//! (the header's initial and final roots, verifying keys of this build, the sub-proofs' public
//! inputs) and the SHPLONK proof with its KZG accumulator; the time it took is printed in ms.
//! The sub-proofs are then not re-verified unless `--all` asks for it. Sub-circuit verifying keys
//! come from the key store (`target/zkpar-keys/vk`, written whenever a key is generated; else
//! generated now), parameters are read only as far as a verifier needs (`g[0]`, `g2`, `s·g2`),
//! and the JSON reports that set-up (`keys_ms`) apart from `verify_ms`. A node's verifying key
//! comes from the node key store (`target/zkpar-agg-keys`), generated there if missing (said so).
//! `--params DIR` reads ceremony parameters.
//!
//! Exit 0 only when every check passes. Any failure — unreadable, truncated or modified file,
//! unsupported version, reordered sub-proofs, a broken root chain, a proof that does not verify —
//! is one `error: ...` line naming the file and what is wrong, and exit 2: the bundle is the
//! input, and it is at fault. `--json` prints `{"ok", "id", "subproofs", "transitions", "error"}`
//! on stdout in both cases.

use std::path::Path;

use circuits::bundle::{
    assemble_and_verify, verify_final, Bundle, BundleError, FinalVerifyReport, VerifyReport,
};
use serde_json::json;
use std::time::Instant;

use super::prove::spinner;
use super::Outcome;
use crate::cli::VerifyArgs;
use crate::data;

/// Runs `zkpar verify`.
pub fn run(args: &VerifyArgs) -> anyhow::Result<Outcome> {
    let path = &args.bundle;
    let keys = super::prove::key_cache(args.params.as_deref())?;
    let mut final_result: Option<(FinalVerifyReport, f64)> = None;
    let mut key_setup: Option<(f64, usize)> = None;
    let (bundle, result) = match Bundle::read(path) {
        Err(e) => (None, Err(e)),
        Ok(bundle) => {
            let mut result = Ok(None);
            if bundle.final_proof.is_some() {
                let bar = spinner(format!(
                    "verifying the final proof of `{}` (keys first)",
                    bundle.header.id
                ));
                // The keys (this build's sub-circuit keys, the node keys) are set-up: load them
                // first, so the time printed is the verification's.
                let keys_started = Instant::now();
                let stored = circuits::bundle::verify_final_keys(&bundle, keys).unwrap_or(0);
                key_setup = Some((keys_started.elapsed().as_secs_f64() * 1e3, stored));
                let started = Instant::now();
                result = verify_final(&bundle, keys).map(|r| {
                    final_result = Some((r, started.elapsed().as_secs_f64() * 1e3));
                    None
                });
                bar.finish_and_clear();
            }
            if result.is_ok() && (bundle.final_proof.is_none() || args.all) {
                let bar = spinner(format!(
                    "verifying {} sub-proofs of `{}` (generating keys first)",
                    bundle.proofs.len(),
                    bundle.header.id
                ));
                result = assemble_and_verify(&bundle, keys).map(Some);
                bar.finish_and_clear();
            }
            (Some(bundle), result)
        }
    };
    if args.json {
        let mut report = json_report(bundle.as_ref(), &result);
        report["final_proof"] = match &final_result {
            Some((r, ms)) => json!({
                "verify_ms": ms,
                "proof_bytes": r.proof_bytes,
                "agg_k": r.agg_k,
                "nodes": r.nodes,
                "levels": r.levels,
                "generated_keys": r.generated_keys,
                "keys_ms": key_setup.map(|(ms, _)| ms),
                "stored_verifying_keys": key_setup.map(|(_, n)| n),
            }),
            None => serde_json::Value::Null,
        };
        println!("{}", serde_json::to_string_pretty(&report)?);
    }
    match result {
        Ok(report) => {
            if !args.json {
                if let Some((r, ms)) = &final_result {
                    print!("{}", render_final(path, bundle.as_ref(), r, *ms, args.all));
                }
                if let Some(report) = &report {
                    print!("{}", render(path, bundle.as_ref(), report));
                }
            }
            Ok(Outcome::Success)
        }
        Err(BundleError::Io { source, .. }) => {
            Err(data::input_error(path, format!("cannot read: {source}")))
        }
        Err(e) => Err(data::input_error(path, e)),
    }
}

fn json_report(
    bundle: Option<&Bundle>,
    result: &Result<Option<VerifyReport>, BundleError>,
) -> serde_json::Value {
    match result {
        Ok(r) => json!({
            "ok": true,
            "id": bundle.map(|b| b.header.id.clone()),
            "subproofs": bundle.map(|b| b.proofs.len()),
            "transitions": r.as_ref().map(|r| r.transitions),
        }),
        Err(e) => json!({
            "ok": false,
            "id": bundle.map(|b| b.header.id.clone()),
            "subproofs": bundle.map(|b| b.proofs.len()),
            "transitions": null,
            "error": e.to_string(),
        }),
    }
}

fn render_final(
    path: &Path,
    bundle: Option<&Bundle>,
    r: &FinalVerifyReport,
    ms: f64,
    all: bool,
) -> String {
    let (initial, last) = bundle.map_or(("", ""), |b| {
        (b.header.initial_root.as_str(), b.header.final_root.as_str())
    });
    format!(
        "ok: {} final proof verifies in {ms:.1} ms ({} `{}`)\n  \
         one {}-byte proof at agg k = {} over {} sub-proofs ({} node{}, {} level{}); sub-proofs {}{}\n  \
         initial root {initial}\n  final root   {last}{}\n",
        path.display(),
        bundle.map_or("bundle", |b| b.header.kind.as_str()),
        r.id,
        r.proof_bytes,
        r.agg_k,
        r.subproofs,
        r.nodes,
        if r.nodes == 1 { "" } else { "s" },
        r.levels,
        if r.levels == 1 { "" } else { "s" },
        if all {
            "re-verified too (--all)"
        } else {
            "not re-verified"
        },
        if r.generated_keys > 0 {
            format!(
                "; {} node key{} generated (not in the key store)",
                r.generated_keys,
                if r.generated_keys == 1 { "" } else { "s" }
            )
        } else {
            String::new()
        },
        if r.moves_state { "" } else { " (no state change)" }
    )
}

fn render(path: &Path, bundle: Option<&Bundle>, r: &VerifyReport) -> String {
    let (kind, policy, depth, initial, last) = match bundle {
        Some(b) => (
            b.header.kind.as_str(),
            b.header.policy.as_str(),
            b.header.tree_depth,
            b.header.initial_root.as_str(),
            b.header.final_root.as_str(),
        ),
        None => ("bundle", "?", 0, "", ""),
    };
    format!(
        "ok: {} verifies ({kind} `{}`, proved with {policy})\n  \
         {} sub-proofs against {} verifying key{}, {} state transition{} chained at tree depth {depth}\n  \
         initial root {}\n  final root   {}\n",
        path.display(),
        r.id,
        r.subproofs,
        r.keys,
        if r.keys == 1 { "" } else { "s" },
        r.transitions,
        if r.transitions == 1 { "" } else { "s" },
        initial,
        last
    )
}
