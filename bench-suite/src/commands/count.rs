//! `zkpar count --kind K`: one sub-circuit's witness generation and proof on one thread, inside
//! [`counted_region`], for the gate's work layer to count under Callgrind
//! ([`crate::gate::work`]).
//!
//! Everything before the counted region is set-up Callgrind does not count: loading or
//! generating the KZG parameters, generating the keys, executing the operations natively to
//! find the first slot of kind `K`. Run alone it proves once and prints the proof's size.

use crate::cli::CountArgs;
use crate::commands::Outcome;
use anyhow::Context;
use circuits::cost::CostModel;
use circuits::kind::SubCircuitKind;
use circuits::operations::OperationsFile;
use circuits::pipeline::Prover;
use circuits::world::WorldState;

/// Runs `zkpar count`.
pub fn run(args: &CountArgs) -> anyhow::Result<Outcome> {
    let data = crate::data::datasets_dir(args.data.as_deref())?;
    let ops =
        OperationsFile::load(data.join("operations.toml"))?.with_tree_depth(args.tree_depth)?;
    let kind: SubCircuitKind = args.kind;
    let prover = Prover::new(ops.clone(), CostModel::new(None));
    let key = prover.keys().get(kind, args.tree_depth)?;
    let mut world = WorldState::genesis(&ops.genesis)?;
    let mut input = None;
    for op in &ops.operations {
        let executed = world.execute(op, &op.id)?;
        if let Some(slot) = executed.slots.into_iter().find(|s| s.input.kind() == kind) {
            input = Some(slot.input);
            break;
        }
    }
    let input = input.with_context(|| format!("no operation proves a {kind}"))?;
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .context("a one-thread rayon pool")?;
    // The region runs on the pool's one thread, so the witness, the proof and every rayon
    // call inside them run on the thread whose collection Callgrind toggles.
    let proof = pool.install(|| {
        counted_region(|| {
            let circuit = input
                .into_circuit()
                .map_err(|e| anyhow::anyhow!("{kind} witness: {e}"))?;
            circuit
                .prove(&key.params, &key.keys)
                .map_err(|e| anyhow::anyhow!("proving {kind}: {e}"))
        })
    })?;
    println!(
        "{kind}: witness and proof at tree depth {} ({} proof bytes)",
        args.tree_depth,
        proof.len()
    );
    Ok(Outcome::Success)
}

/// The work the gate counts: Callgrind collects only inside this function
/// ([`crate::gate::work::COUNTED_FUNCTION`]). Never inlined, so it exists in the binary under
/// its name.
#[inline(never)]
pub fn counted_region<T>(work: impl FnOnce() -> T) -> T {
    std::hint::black_box(work())
}
