//! Aggregation cost on this machine: key generation, proving time, peak memory, final proof
//! size and verification time of one aggregation node per fan-in:
//!
//! `cargo run --release -p circuits-kzg --example aggregation_table -- [--k K] [--fan-in 2,4] [OUT_DIR]`
//!
//! The leaves are chained `account_update` proofs on a depth-2 tree (the cheapest state-moving
//! sub-circuit; with `VerifierUniversality::Full` a leaf's in-circuit verification costs the same
//! whatever its `k`). Each node is keyed from scratch (no key cache) and proved with all the
//! machine's threads. Peak memory is the process's `VmHWM`, reset through `/proc/self/clear_refs`
//! before each phase. Parameters are the deterministic test set-up (generation not counted).
//! Prints the cost-model fit of `aggregation::plan` and writes `OUT_DIR/aggregation.md`
//! (default `reports/kzg`) naming the machine.

use circuits_kzg::aggregation::{
    keygen, leaf_child, node_cells, prove, verify, Child, NodeStatement, RootPositions,
};
use circuits_kzg::harness::{self, BaseCircuit};
use circuits_kzg::merkle::native::{account_index_at, account_leaf};
use circuits_kzg::merkle::{
    AccountUpdateCircuit, AccountUpdateWitness, SparseMerkleTree, MIN_DEPTH,
};
use circuits_kzg::params::test_params;
use std::fmt::Write as _;
use std::time::Instant;

type Failure = Box<dyn std::error::Error>;

/// One measured node.
struct Row {
    fan_in: usize,
    k: u32,
    advice: usize,
    lookup: usize,
    columns: String,
    area: f64,
    keygen_s: f64,
    keygen_peak: u64,
    prove_s: f64,
    prove_peak: u64,
    proof_bytes: usize,
    verify_ms: f64,
}

/// `n` chained updates of one account on a depth-2 tree.
fn chained_updates(n: usize) -> Vec<AccountUpdateCircuit> {
    let mut tree = SparseMerkleTree::new(MIN_DEPTH).expect("depth");
    let index = account_index_at(MIN_DEPTH, 1).expect("index");
    let (mut balance, mut nonce) = (10_000u64, 0u64);
    tree.update(index, account_leaf(balance, nonce))
        .expect("update");
    (0..n)
        .map(|_| {
            let update = tree
                .update(index, account_leaf(balance - 10, nonce + 1))
                .expect("update");
            let witness = AccountUpdateWitness {
                update,
                old_balance: balance,
                old_nonce: nonce,
                new_balance: balance - 10,
                new_nonce: nonce + 1,
            };
            (balance, nonce) = (balance - 10, nonce + 1);
            AccountUpdateCircuit::new(witness).expect("valid update")
        })
        .collect()
}

/// Resets the peak-RSS counter (`VmHWM`) of this process.
fn reset_peak() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

/// `VmHWM` of this process in bytes.
fn peak_rss() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        .map_or(0, |kb| kb * 1024)
}

fn cpu_model() -> String {
    std::fs::read_to_string("/proc/cpuinfo")
        .unwrap_or_default()
        .lines()
        .find_map(|l| {
            l.strip_prefix("model name")
                .map(|v| v.trim_start_matches([' ', '\t', ':']).to_string())
        })
        .unwrap_or_else(|| "unknown CPU".into())
}

/// `n` chained leaf children, proved.
fn leaves(n: usize) -> Result<Vec<Child>, Failure> {
    let circuits = chained_updates(n);
    let leaf_k = harness::min_k(&circuits[0]);
    let leaf_params = test_params(leaf_k)?;
    let leaf_keys = harness::keygen(&circuits[0], &leaf_params)?;
    let mut children: Vec<Child> = Vec::new();
    for c in &circuits {
        let proof = harness::prove(c, &leaf_params, &leaf_keys)?;
        let roots = Some(RootPositions { pre: 0, post: 1 });
        children.push(leaf_child(
            &leaf_params,
            leaf_keys.pk.get_vk(),
            &c.public_inputs(),
            proof,
            roots,
        )?);
    }
    Ok(children)
}

fn measure(fan_in: usize, k: u32) -> Result<Row, Failure> {
    let children = leaves(fan_in)?;
    let params = test_params(k)?;
    let cells = node_cells(&params, &children)?;

    reset_peak();
    let started = Instant::now();
    let keys = keygen(&params, &children)?;
    let keygen_s = started.elapsed().as_secs_f64();
    let keygen_peak = peak_rss();

    reset_peak();
    let started = Instant::now();
    let proof = prove(&params, &keys, &children)?;
    let prove_s = started.elapsed().as_secs_f64();
    let prove_peak = peak_rss();

    let expected = NodeStatement::of_children(&children)?;
    let started = Instant::now();
    verify(&params, keys.pk.get_vk(), &proof, &expected)?;
    let verify_ms = started.elapsed().as_secs_f64() * 1e3;

    let c = keys.config;
    let columns = format!(
        "{} advice, {} lookup, {} fixed",
        c.num_advice, c.num_lookup_advice, c.num_fixed
    );
    let area = ((c.num_advice + c.num_lookup_advice) as f64) * (1u64 << k) as f64;
    let row = Row {
        fan_in,
        k,
        advice: cells.advice,
        lookup: cells.lookup,
        columns,
        area,
        keygen_s,
        keygen_peak,
        prove_s,
        prove_peak,
        proof_bytes: proof.proof.len(),
        verify_ms,
    };
    eprintln!(
        "fan-in {fan_in} at k = {k}: keygen {keygen_s:.1} s, prove {prove_s:.1} s, peak {:.2} GB, proof {} B, verify {verify_ms:.1} ms",
        prove_peak as f64 / 1e9,
        row.proof_bytes
    );
    Ok(row)
}

fn main() -> Result<(), Failure> {
    let mut args = std::env::args().skip(1);
    let (mut k, mut fan_ins, mut out) = (18u32, vec![2usize, 4], None);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--k" => k = args.next().ok_or("--k K")?.parse()?,
            "--fan-in" => {
                fan_ins = args
                    .next()
                    .ok_or("--fan-in 2,4")?
                    .split(',')
                    .map(str::parse)
                    .collect::<Result<_, _>>()?
            }
            other => out = Some(other.to_string()),
        }
    }
    let out = out.unwrap_or_else(|| concat!(env!("CARGO_MANIFEST_DIR"), "/../reports/kzg").into());
    let rows = fan_ins
        .iter()
        .map(|&f| measure(f, k))
        .collect::<Result<Vec<_>, _>>()?;

    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let command =
        format!(
        "cargo run --release -p circuits-kzg --example aggregation_table -- --k {k} --fan-in {}",
        fan_ins.iter().map(ToString::to_string).collect::<Vec<_>>().join(",")
    );
    let mut md = String::new();
    writeln!(
        md,
        "# Aggregation cost (KZG, SHPLONK, snark-verifier-sdk 0.2.7)\n"
    )?;
    writeln!(
        md,
        "Machine: {}, {threads} hardware threads (all used for proving).  ",
        cpu_model()
    )?;
    writeln!(md, "Command: `{command}`\n")?;
    writeln!(
        md,
        "One aggregation node per fan-in over chained `account_update` leaves (depth-2 tree), \
         `VerifierUniversality::Full`, range table of k − 1 bits, deterministic test set-up. \
         Key generation without the key cache; peak RSS is `VmHWM`, reset before each phase; \
         verify = the final verifier (statement, SHPLONK, accumulator pairing).\n"
    )?;
    writeln!(md, "| fan-in | agg k | advice cells | lookup cells | columns | keygen s | keygen peak GB | prove s | prove peak GB | proof bytes | verify ms |")?;
    writeln!(md, "|---|---|---|---|---|---|---|---|---|---|---|")?;
    for r in &rows {
        writeln!(
            md,
            "| {} | {} | {} | {} | {} | {:.1} | {:.2} | {:.1} | {:.2} | {} | {:.1} |",
            r.fan_in,
            r.k,
            r.advice,
            r.lookup,
            r.columns,
            r.keygen_s,
            r.keygen_peak as f64 / 1e9,
            r.prove_s,
            r.prove_peak as f64 / 1e9,
            r.proof_bytes,
            r.verify_ms
        )?;
    }
    // The planner's model (aggregation::plan): cells affine in the fan-in (layouts at fan-in 2
    // and 3, no proving), time and memory affine in the area (two measured rows) or, from one
    // row, proportional to it.
    let params = test_params(k)?;
    let (c2, c3) = (
        node_cells(&params, &leaves(2)?)?,
        node_cells(&params, &leaves(3)?)?,
    );
    let per_child = (c3.advice + c3.lookup) as f64 - (c2.advice + c2.lookup) as f64;
    let base = (c2.advice + c2.lookup) as f64 - 2.0 * per_child;
    let (a, b) = (&rows[0], rows.get(1));
    let (secs_per_area, bytes_per_area) = match b {
        Some(b) => (
            (b.prove_s - a.prove_s) / (b.area - a.area),
            (b.prove_peak as f64 - a.prove_peak as f64) / (b.area - a.area),
        ),
        None => (a.prove_s / a.area, a.prove_peak as f64 / a.area),
    };
    writeln!(md, "\n## Cost-model fit (`aggregation::AggCostModel`)\n")?;
    writeln!(
        md,
        "Cells from layouts at fan-in 2 and 3 ({} and {} advice + lookup cells); time and peak \
         memory affine in the area = (advice + lookup columns) × 2^k, from {}:\n",
        c2.advice + c2.lookup,
        c3.advice + c3.lookup,
        if b.is_some() {
            "the first two rows"
        } else {
            "the one row (proportional)"
        }
    )?;
    writeln!(
        md,
        "- cells_base = {base:.0}, cells_per_child = {per_child:.0}"
    )?;
    writeln!(
        md,
        "- secs_per_area = {secs_per_area:.4e}, secs_base = {:.2} (ref_threads = {threads})",
        a.prove_s - secs_per_area * a.area
    )?;
    writeln!(
        md,
        "- bytes_per_area = {bytes_per_area:.2}, bytes_base = {:.0}",
        a.prove_peak as f64 - bytes_per_area * a.area
    )?;
    std::fs::create_dir_all(&out)?;
    let path = format!("{out}/aggregation.md");
    std::fs::write(&path, &md)?;
    print!("{md}");
    eprintln!("wrote {path}");
    Ok(())
}
