//! `zkpar calibrate`: measures each sub-circuit's proving cost on this machine, alone and under
//! load, and fits the cost model's lines (see [`crate::cost`]).

use crate::any::AnyCircuit;
use crate::cost::{Calibration, Fit, KindCost, ShapeStats};
use crate::kind::SubCircuitKind;
use crate::pipeline::{current_rss_bytes, peak_rss_bytes, reset_peak_rss, PipelineError, Prover};
use crate::world::WorldState;
use std::collections::BTreeMap;
use std::sync::{Arc, Barrier};
use std::time::Instant;

/// How much to measure.
#[derive(Clone, Copy, Debug)]
pub struct CalibrationOptions {
    /// Worker threads for the loaded measurement (P copies proved at once).
    pub threads: usize,
    /// Repetitions of the alone measurement (the median is kept).
    pub reps: usize,
}

/// One real instance of every sub-circuit kind the operations use, from executing them.
pub fn sample_circuits(
    prover: &Prover,
) -> Result<BTreeMap<SubCircuitKind, (AnyCircuit, f64)>, PipelineError> {
    let ops = prover.operations();
    let mut world = WorldState::genesis(&ops.genesis)?;
    let mut samples = BTreeMap::new();
    for op in &ops.operations {
        for slot in world.execute(op, &op.id)?.slots {
            let kind = slot.input.kind();
            if samples.contains_key(&kind) {
                continue;
            }
            let started = Instant::now();
            let circuit = slot
                .input
                .into_circuit()
                .map_err(|e| PipelineError::Calibration(format!("{kind} witness: {e}")))?;
            samples.insert(kind, (circuit, started.elapsed().as_secs_f64()));
        }
    }
    Ok(samples)
}

/// The CPU model and core count, for labelling results.
pub fn machine_description() -> String {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split(':').nth(1))
                .map(|m| m.trim().to_string())
        })
        .unwrap_or_else(|| std::env::consts::ARCH.to_string());
    let cores = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1);
    format!("{cpu}, {cores} logical CPUs")
}

fn single_thread_pool() -> rayon::ThreadPool {
    rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .expect("a one-thread rayon pool")
}

/// Measures every sub-circuit (alone: median of `reps`, and the largest peak memory of those
/// proofs; loaded: mean over `threads` concurrent copies) and fits the alone and loaded cost
/// lines. `progress` is called with each finished kind.
pub fn calibrate(
    prover: &Prover,
    options: CalibrationOptions,
    mut progress: impl FnMut(SubCircuitKind, &KindCost),
) -> Result<Calibration, PipelineError> {
    let depth = prover.operations().genesis.tree_depth;
    let threads = options.threads.max(1);
    let mut kinds = BTreeMap::new();
    for (kind, (circuit, witness_s)) in sample_circuits(prover)? {
        let key = prover.keys().get(kind, depth)?;
        let circuit = Arc::new(circuit);
        let prove_once = |circuit: &AnyCircuit| -> Result<f64, PipelineError> {
            let started = Instant::now();
            circuit
                .prove(&key.params, &key.keys)
                .map_err(|e| PipelineError::Calibration(format!("{kind}: proving failed: {e}")))?;
            Ok(started.elapsed().as_secs_f64())
        };
        let pool = single_thread_pool();
        let mut peak_mem_bytes = 0u64;
        let mut alone: Vec<f64> = (0..options.reps.max(1))
            .map(|_| {
                reset_peak_rss();
                let before = current_rss_bytes();
                let seconds = pool.install(|| prove_once(&circuit))?;
                peak_mem_bytes = peak_mem_bytes.max(peak_rss_bytes().saturating_sub(before));
                Ok(seconds)
            })
            .collect::<Result<_, PipelineError>>()?;
        alone.sort_by(f64::total_cmp);
        let alone_s = alone[alone.len() / 2];

        // With one worker there is no load to measure: the alone timing is the loaded one.
        let loaded: Vec<f64> = if threads == 1 {
            vec![alone_s]
        } else {
            let barrier = Arc::new(Barrier::new(threads));
            std::thread::scope(|scope| {
                let handles: Vec<_> = (0..threads)
                    .map(|_| {
                        let (barrier, circuit) = (barrier.clone(), circuit.clone());
                        let prove_once = &prove_once;
                        scope.spawn(move || {
                            let pool = single_thread_pool();
                            barrier.wait();
                            pool.install(|| prove_once(&circuit))
                        })
                    })
                    .collect();
                handles
                    .into_iter()
                    .map(|h| h.join().expect("calibration thread"))
                    .collect::<Result<Vec<f64>, _>>()
            })?
        };
        let loaded_s = loaded.iter().sum::<f64>() / loaded.len() as f64;
        let cost = KindCost {
            shape: ShapeStats::of(&circuit),
            alone_s,
            loaded_s,
            witness_s,
            keygen_s: key.keygen_s,
            peak_mem_bytes: (peak_mem_bytes > 0).then_some(peak_mem_bytes),
        };
        progress(kind, &cost);
        kinds.insert(kind.name().to_string(), cost);
    }
    let points = |f: fn(&KindCost) -> f64| -> Vec<(f64, f64)> {
        kinds
            .values()
            .map(|k| (k.shape.work_units(), f(k)))
            .collect()
    };
    Ok(Calibration {
        machine: machine_description(),
        threads,
        tree_depth: depth,
        alone_fit: Fit::least_squares(&points(|k| k.alone_s)),
        loaded_fit: Fit::least_squares(&points(|k| k.loaded_s)),
        kinds,
    })
}
