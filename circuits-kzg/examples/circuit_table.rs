//! Each KZG sub-circuit's size and single-thread proving cost on this machine:
//!
//! `cargo run --release -p circuits-kzg --example circuit_table -- [OUT_DIR]`
//!
//! For every sub-circuit (a sample honest witness): its minimal `k`, advice / lookup / fixed
//! cells, key generation, one SHPLONK proof on ONE thread (a one-thread rayon pool, so halo2's
//! parallel FFTs and MSMs run serially), the proof's size and its verification time. Parameters
//! are the deterministic test set-up, cached under the workspace's `target/zkpar-kzg/`
//! (generating a new `k` is set-up, not counted). Writes `OUT_DIR/circuits.{md,json}` (default
//! `reports/kzg`) naming the machine.

use std::time::Instant;

use circuits_kzg::amm_swap::{AmmSwapCircuit, AmmSwapWitness};
use circuits_kzg::balance::{BalanceCircuit, BalanceWitness};
use circuits_kzg::event_log::{Event, EventLogCircuit};
use circuits_kzg::harness::{self, BaseCircuit};
use circuits_kzg::merkle::native::{
    account_index_at, account_leaf, storage_index_at, storage_slot_key,
};
use circuits_kzg::merkle::{
    AccountUpdateCircuit, AccountUpdateWitness, SparseMerkleTree, StorageUpdateCircuit,
    StorageUpdateWitness, DEFAULT_DEPTH,
};
use circuits_kzg::params::{self, test_params};
use circuits_kzg::signature;
use halo2_base::halo2_proofs::halo2curves::bn256::Fr;
use halo2_base::halo2_proofs::plonk::ProvingKey;
use serde::Serialize;

#[derive(Serialize)]
struct Row {
    circuit: String,
    k: u32,
    advice_cells: usize,
    lookup_cells: usize,
    fixed_cells: usize,
    keygen_s: f64,
    prove_1_thread_s: f64,
    proof_bytes: usize,
    verify_ms: f64,
}

type Failure = Box<dyn std::error::Error>;

fn one_thread<T: Send>(f: impl FnOnce() -> T + Send) -> T {
    rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .expect("a one-thread pool")
        .install(f)
}

fn measure<C: BaseCircuit + Sync>(circuit: &C) -> Result<Row, Failure> {
    let sizing = harness::sizing(circuit);
    let k = harness::min_k(circuit);
    let params = test_params(k)?;
    let started = Instant::now();
    let keys = harness::keygen(circuit, &params)?;
    let keygen_s = started.elapsed().as_secs_f64();
    let started = Instant::now();
    let proof = one_thread(|| harness::prove(circuit, &params, &keys))?;
    let prove_s = started.elapsed().as_secs_f64();
    let verify_ms = verify_ms(&params, &keys.pk, &proof, circuit.public_inputs())?;
    Ok(Row {
        circuit: C::NAME.into(),
        k,
        advice_cells: sizing.cells.advice,
        lookup_cells: sizing.cells.lookup,
        fixed_cells: sizing.cells.fixed,
        keygen_s,
        prove_1_thread_s: prove_s,
        proof_bytes: proof.len(),
        verify_ms,
    })
}

fn verify_ms(
    params: &halo2_base::halo2_proofs::poly::kzg::commitment::ParamsKZG<
        halo2_base::halo2_proofs::halo2curves::bn256::Bn256,
    >,
    pk: &ProvingKey<halo2_base::halo2_proofs::halo2curves::bn256::G1Affine>,
    proof: &[u8],
    public: Vec<Fr>,
) -> Result<f64, Failure> {
    let started = Instant::now();
    params::verify(params, pk.get_vk(), proof, &[public])?;
    Ok(started.elapsed().as_secs_f64() * 1e3)
}

fn account_witness() -> AccountUpdateWitness {
    let depth = DEFAULT_DEPTH;
    let mut tree = SparseMerkleTree::new(depth).expect("default depth");
    let index = account_index_at(depth, 7).expect("account 7");
    tree.update(index, account_leaf(500, 3)).expect("insert");
    let update = tree.update(index, account_leaf(450, 4)).expect("update");
    AccountUpdateWitness {
        update,
        old_balance: 500,
        old_nonce: 3,
        new_balance: 450,
        new_nonce: 4,
    }
}

fn storage_witness() -> StorageUpdateWitness {
    let depth = DEFAULT_DEPTH;
    let contract = Fr::from(42);
    let mut tree = SparseMerkleTree::new(depth).expect("default depth");
    let index =
        storage_index_at(depth, storage_slot_key(contract, Fr::from(1))).expect("slot index");
    tree.update(index, Fr::from(10)).expect("insert");
    let update = tree.update(index, Fr::from(11)).expect("update");
    StorageUpdateWitness {
        update,
        contract,
        slot_index: Fr::from(1),
    }
}

fn signature_row() -> Result<Row, Failure> {
    let witness = signature::sample_witness();
    let params = test_params(signature::K)?;
    let started = Instant::now();
    let keys = signature::keygen(&params)?;
    let keygen_s = started.elapsed().as_secs_f64();
    let started = Instant::now();
    let proof = one_thread(|| signature::prove(&params, &keys, &witness))?;
    let prove_s = started.elapsed().as_secs_f64();
    let verify_ms = verify_ms(&params, &keys.pk, &proof, witness.public_inputs())?;
    let stats = signature::build_circuit(
        halo2_base::gates::circuit::CircuitBuilderStage::Mock,
        &witness,
        None,
    )
    .statistics();
    Ok(Row {
        circuit: "signature (ECDSA secp256k1)".into(),
        k: signature::K,
        advice_cells: stats.gate.total_advice_per_phase.iter().sum(),
        lookup_cells: stats.total_lookup_advice_per_phase.iter().sum(),
        fixed_cells: stats.gate.total_fixed,
        keygen_s,
        prove_1_thread_s: prove_s,
        proof_bytes: proof.len(),
        verify_ms,
    })
}

fn main() -> Result<(), Failure> {
    let out = std::path::PathBuf::from(
        std::env::args()
            .nth(1)
            .unwrap_or_else(|| "reports/kzg".into()),
    );
    let rows = vec![
        signature_row()?,
        measure(&AccountUpdateCircuit::new(account_witness())?)?,
        measure(&StorageUpdateCircuit::new(storage_witness())?)?,
        measure(&BalanceCircuit::new(&BalanceWitness {
            sender_balance: 1_000,
            sender_nonce: 3,
            receiver_balance: 50,
            amount: 300,
            fee: 7,
        })?)?,
        measure(&AmmSwapCircuit::new(&AmmSwapWitness {
            reserve_in: 1_000_000,
            reserve_out: 2_000_000,
            amount_in: 10_000,
            fee_bps: 30,
        })?)?,
        measure(&EventLogCircuit::new(&Event {
            topics: vec![Fr::from(1), Fr::from(2)],
            data: vec![Fr::from(300)],
        })?)?,
    ];
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split(':').nth(1))
                .map(|m| m.trim().to_string())
        })
        .unwrap_or_else(|| std::env::consts::ARCH.into());
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let mut md = format!(
        "# KZG sub-circuits (halo2-base / halo2-ecc 0.5.5, bn256, SHPLONK)\n\n\
         Machine: {cpu}, {cores} logical CPUs. Command: `cargo run --release -p circuits-kzg \
         --example circuit_table`. Proving on one thread; keygen on all; deterministic test \
         parameters (never for production).\n\n\
         | circuit | k | advice cells | lookup cells | fixed cells | keygen | prove (1 thread) | proof | verify |\n\
         |---|---:|---:|---:|---:|---:|---:|---:|---:|\n"
    );
    for r in &rows {
        md.push_str(&format!(
            "| {} | {} | {} | {} | {} | {:.2} s | {:.2} s | {} B | {:.1} ms |\n",
            r.circuit,
            r.k,
            r.advice_cells,
            r.lookup_cells,
            r.fixed_cells,
            r.keygen_s,
            r.prove_1_thread_s,
            r.proof_bytes,
            r.verify_ms
        ));
    }
    std::fs::create_dir_all(&out)?;
    std::fs::write(out.join("circuits.md"), &md)?;
    std::fs::write(
        out.join("circuits.json"),
        serde_json::to_string_pretty(&serde_json::json!({
            "machine": { "cpu": cpu, "cores": cores },
            "circuits": rows,
        }))?,
    )?;
    print!("{md}");
    Ok(())
}
