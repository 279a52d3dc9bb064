//! `zkpar verify`: check a proof bundle end to end.
//!
//! [`Bundle::read`] checks the file's structure (magic, version, checksum, every length, the
//! entries against the header); [`assemble_and_verify`] then checks each sub-proof's `k` and
//! verifying-key fingerprint against this build's keys (generated at the tree depth the bundle's
//! header names), the chain of state roots from the initial to the final root, and batch-verifies
//! the halo2 proofs of each sub-circuit kind.
//!
//! Exit 0 only when every check passes. Any failure — unreadable, truncated or modified file,
//! unsupported version, reordered sub-proofs, a broken root chain, a proof that does not verify —
//! is one `error: ...` line naming the file and what is wrong, and exit 2: the bundle is the
//! input, and it is at fault. `--json` prints `{"ok", "id", "subproofs", "transitions", "error"}`
//! on stdout in both cases.

use std::path::Path;

use circuits::bundle::{assemble_and_verify, Bundle, BundleError, VerifyReport};
use circuits::keys::KeyCache;
use serde_json::json;

use super::prove::spinner;
use super::Outcome;
use crate::cli::VerifyArgs;
use crate::data;

/// Runs `zkpar verify`.
pub fn run(args: &VerifyArgs) -> anyhow::Result<Outcome> {
    let path = &args.bundle;
    let (bundle, result) = match Bundle::read(path) {
        Err(e) => (None, Err(e)),
        Ok(bundle) => {
            let bar = spinner(format!(
                "verifying {} sub-proofs of `{}` (generating keys first)",
                bundle.proofs.len(),
                bundle.header.id
            ));
            let result = assemble_and_verify(&bundle, KeyCache::global());
            bar.finish_and_clear();
            (Some(bundle), result)
        }
    };
    if args.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&json_report(bundle.as_ref(), &result))?
        );
    }
    match result {
        Ok(report) => {
            if !args.json {
                print!("{}", render(path, bundle.as_ref(), &report));
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
    result: &Result<VerifyReport, BundleError>,
) -> serde_json::Value {
    match result {
        Ok(r) => json!({
            "ok": true,
            "id": r.id,
            "subproofs": r.subproofs,
            "transitions": r.transitions,
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
