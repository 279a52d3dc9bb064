//! `zkpar reproduce`: the main job. Proves each operation under each policy, measures, and writes
//! `results.json`, `results.md`, the charts and Perfetto traces.
//!
//! Order of work, and why:
//! 1. the calibration kernel (for the gate) and a per-sub-circuit cost calibration (alone and
//!    loaded), so priorities and lower bounds use this machine's costs;
//! 2. key generation for every sub-circuit (set-up, not timed);
//! 3. one untimed warm-up proof, so first-touch page faults do not land on the first policy;
//! 4. rounds: each round times the calibration kernel once, then proves every operation that
//!    still needs samples with `previous`, `rayon` and `dag` back to back, starting with a
//!    different policy each round. The three timings of an operation in one round are seconds
//!    apart, so the gate can pair them (`dag[i] / previous[i]`) and a machine that drifts over
//!    the run moves both halves of each pair alike; rotating the order keeps "always runs
//!    right after previous" from becoming a bias of its own. An operation stops once it has
//!    `reps` rounds and enough seconds of samples (`QUICK_MIN_MEASURED_S`);
//! 5. every `dag` bundle of the last round is verified (assembly + batch verification), so the
//!    timed proofs are known to be real;
//! 6. a thread-scaling sweep of one operation for `scaling.svg`: the smaller thread counts are
//!    proved here, the full count is the rounds' medians;
//! 7. a full run only: `dag` against `rayon` on the small block, with and without a memory
//!    budget ([`super::hetero`], `hetero.md`).

use crate::cli::ReproduceArgs;
use crate::commands::Outcome;
use crate::measure::{self, TABLE_POLICIES};
use crate::report::charts::gantt_chart;
use crate::report::published::PublishedTable;
use crate::report::results::{
    median, LowerBounds, OperationResult, PeakRss, PublishedFigures, Results, Samples,
    ScalingPoint, Timings,
};
use crate::report::{provenance, write_report};
use anyhow::Context;
use circuits::bundle::assemble_and_verify;
use circuits::calibrate::{calibrate, CalibrationOptions};
use circuits::cost::CostModel;
use circuits::operations::OperationsFile;
use circuits::pipeline::{ProveOutcome, Prover, Target};
use scheduler::policy::PolicyName;
use scheduler::topology::Topology;
use std::collections::BTreeMap;
use std::path::Path;
use std::time::Instant;

/// Repetitions of a full run (the median is reported); `--quick` uses one.
const DEFAULT_REPS: usize = 3;
/// Seconds of `dag` samples each operation should collect in a quick run: operations faster
/// than this get more rounds, because one timing of a short proof wanders more than a long
/// one's. With the KZG circuits at the quick depth (12) on the 2-core Xeon, transfer's `dag`
/// took 10.6-11.4 s, erc20's 16-16.6 s, defi's and multicall's about a minute: 9 s gives each
/// one round, which keeps the quick run under ten minutes (a second transfer round costs 35 s).
const QUICK_MIN_MEASURED_S: f64 = 9.0;
/// The same for a full run.
const FULL_MIN_MEASURED_S: f64 = 30.0;
/// At most this many rounds, however short an operation is: beyond it the median gains little
/// and the run grows long.
const MAX_ROUNDS: usize = 7;
/// Merkle tree depth of a quick run. At the shipped depth (32) a Merkle sub-proof is a k = 17
/// circuit of ~300k cells (12-16 s on one thread) and a quick run would take about 20 minutes
/// on 2 cores; at depth 16 (k = 16) one took 12.2 minutes on the 2-core Xeon. At 12 account
/// updates are k = 15 (3.6 s) and storage updates k = 16 (7.7 s, against 8.4 s at depth 16);
/// every circuit and rule is the same with shorter paths, and the
/// world's storage keys still own distinct leaves (the world refuses a collision; a test runs
/// every operation and block at this depth).
const QUICK_TREE_DEPTH: usize = 12;
/// Calibration kernel timings taken before the first round (more follow, one per round).
const INITIAL_KERNEL_TIMINGS: usize = 3;

/// Runs the reproduction.
pub fn run(args: &ReproduceArgs) -> anyhow::Result<Outcome> {
    let started = Instant::now();
    let data = crate::data::datasets_dir(args.data.as_deref())?;
    let ops = OperationsFile::load(data.join("operations.toml"))?;
    let depth = args.tree_depth.unwrap_or(if args.quick {
        QUICK_TREE_DEPTH
    } else {
        ops.genesis.tree_depth
    });
    let ops = ops.with_tree_depth(depth)?;
    let published_path = data.join("published").join("seed-claim.toml");
    let published = if published_path.exists() {
        PublishedTable::load(&published_path)?
    } else {
        PublishedTable::embedded()?
    };
    let topology = Topology::detect();
    let threads = args.threads.unwrap_or_else(|| topology.num_cpus()).max(1);
    let reps = args
        .reps
        .unwrap_or(if args.quick { 1 } else { DEFAULT_REPS })
        .max(1);
    let out = &args.out;
    std::fs::create_dir_all(out).with_context(|| format!("cannot create {}", out.display()))?;
    eprintln!(
        "reproduce: {} threads on {} ({} NUMA domain(s), topology from {}), {reps} repetition(s), output in {}",
        threads,
        provenance::basic_machine().cpu,
        topology.domains.len(),
        topology.provider,
        out.display()
    );

    let mut calibration_samples: Vec<f64> = (0..INITIAL_KERNEL_TIMINGS)
        .map(|_| measure::calibration_kernel_once())
        .collect();
    eprintln!(
        "calibration kernel: {:.3} s",
        median(&calibration_samples).unwrap_or(0.0)
    );
    let uncalibrated = Prover::new(ops.clone(), CostModel::new(None));
    eprintln!("measuring sub-circuit costs (alone and with {threads} concurrent copies)...");
    let calibration = calibrate(
        &uncalibrated,
        CalibrationOptions {
            threads,
            reps: if args.quick { 1 } else { 3 },
        },
        |kind, cost| {
            eprintln!(
                "  {:<15} k={:<2} alone {:>7.3} s  loaded {:>7.3} s  ({:.2}x)",
                kind.name(),
                cost.shape.k,
                cost.alone_s,
                cost.loaded_s,
                cost.loaded_s / cost.alone_s
            )
        },
    )?;
    calibration.save(&out.join("calibration.json"))?;
    let prover = Prover::new(ops.clone(), CostModel::new(Some(calibration)));
    for op in &ops.operations {
        prover.warm_keys(&Target::Operation(op.id.clone()))?;
    }
    // Keys were generated once (during calibration); report what that cost.
    let mut keygen_s = 0.0;
    for kind in circuits::kind::SubCircuitKind::ALL {
        keygen_s += prover.keys().get(kind, ops.genesis.tree_depth)?.keygen_s;
    }
    eprintln!("keys ready ({keygen_s:.1} s of key generation, not counted in proving times)");

    let executor = measure::executor(&topology, threads)?;
    // The warm-up run is the only one the cost model learns from: learning inside the timed
    // rounds would let one round's noise steer the next round's priorities.
    let warm_up = measure::prove_once(&prover, &executor, &ops.operations[0].id, PolicyName::Dag)?;
    prover.learn_costs(&warm_up);

    let mut samples: BTreeMap<(String, PolicyName), Vec<f64>> = BTreeMap::new();
    let mut peak: BTreeMap<(String, PolicyName), u64> = BTreeMap::new();
    let mut last_dag: BTreeMap<String, ProveOutcome> = BTreeMap::new();
    // Short operations get extra rounds until each policy has MIN_MEASURED_S of samples (up to
    // MAX_ROUNDS): a 3-second proof is noisier than a 20-second one, and the gate judges each
    // operation on its own.
    let min_measured_s = if args.quick {
        QUICK_MIN_MEASURED_S
    } else {
        FULL_MIN_MEASURED_S
    };
    for round in 0..MAX_ROUNDS.max(reps) {
        let needs_samples = |op: &&circuits::operations::OperationSpec| {
            let measured: f64 = samples
                .get(&(op.id.clone(), PolicyName::Dag))
                .map(|s| s.iter().sum())
                .unwrap_or(0.0);
            round < reps || measured < min_measured_s
        };
        let active: Vec<_> = ops.operations.iter().filter(needs_samples).collect();
        if active.is_empty() {
            break;
        }
        let kernel_s = measure::calibration_kernel_once();
        calibration_samples.push(kernel_s);
        eprintln!("  round {}  calibration kernel {kernel_s:.3} s", round + 1);
        let mut order = TABLE_POLICIES;
        order.rotate_left(round % TABLE_POLICIES.len());
        for op in active {
            for policy in order {
                let outcome = measure::prove_once(&prover, &executor, &op.id, policy)?;
                eprintln!(
                    "  round {}  {:<10} {:<9} {:>8.3} s  ({} sub-proofs, efficiency {:.2})",
                    round + 1,
                    op.id,
                    policy.as_str(),
                    outcome.wall_s,
                    outcome.bundle.proofs.len(),
                    outcome.efficiency
                );
                samples
                    .entry((op.id.clone(), policy))
                    .or_default()
                    .push(outcome.wall_s);
                let p = peak.entry((op.id.clone(), policy)).or_default();
                *p = (*p).max(outcome.peak_rss_bytes);
                if policy == PolicyName::Dag {
                    last_dag.insert(op.id.clone(), outcome);
                }
            }
        }
    }
    let calibration_s = median(&calibration_samples).unwrap_or(0.0);

    let mut operations = Vec::new();
    for op in &ops.operations {
        let outcome = &last_dag[&op.id];
        let report = assemble_and_verify(&outcome.bundle, prover.keys())
            .with_context(|| format!("the {} bundle proved by dag does not verify", op.id))?;
        eprintln!(
            "  verified {}: {} sub-proofs, {} state transitions",
            op.id, report.subproofs, report.transitions
        );
        let median_of = |policy| median(&samples[&(op.id.clone(), policy)]).unwrap_or(0.0);
        let figures = published
            .get(&op.id)
            .map(|p| PublishedFigures {
                previous_s: p.previous_s,
                new_s: p.new_s,
            })
            .unwrap_or_default();
        let mut row = OperationResult::new(
            op.id.clone(),
            Timings {
                previous_s: median_of(PolicyName::Previous),
                rayon_s: median_of(PolicyName::Rayon),
                dag_s: median_of(PolicyName::Dag),
            },
            LowerBounds {
                loaded_s: outcome.lower_bound_s,
                naive_s: outcome.lower_bound_naive_s,
            },
            PeakRss {
                previous: peak[&(op.id.clone(), PolicyName::Previous)],
                rayon: peak[&(op.id.clone(), PolicyName::Rayon)],
                dag: peak[&(op.id.clone(), PolicyName::Dag)],
            },
            figures,
        );
        row.samples = Some(Samples {
            previous: samples[&(op.id.clone(), PolicyName::Previous)].clone(),
            rayon: samples[&(op.id.clone(), PolicyName::Rayon)].clone(),
            dag: samples[&(op.id.clone(), PolicyName::Dag)].clone(),
        });
        operations.push(row);
        write_run_artifacts(out, &op.id, &outcome.run)?;
    }

    // The sweep op: the largest operation in a full run, a mid-sized one in a quick run (whose
    // sweep is only the rounds' own points).
    let sweep_op = if args.quick { "erc20" } else { "defi" };
    let sweep_op = ops
        .operation(sweep_op)
        .map(|o| o.id.clone())
        .unwrap_or_else(|_| ops.operations[0].id.clone());
    eprintln!("scaling sweep of {sweep_op}...");
    let print_point = |p: &ScalingPoint| {
        eprintln!(
            "  {:>3} threads  {:<9} {:>8.3} s",
            p.threads, p.policy, p.seconds
        )
    };
    // The rounds above already measured every operation at `threads`; their medians are the
    // sweep's last point, so only the smaller thread counts are proved again.
    // A quick run skips the smaller thread counts: with the KZG circuits the one-thread points
    // of erc20 alone take about three minutes on 2 cores, a third of the quick run's budget.
    let fewer_threads: Vec<usize> = if args.quick {
        Vec::new()
    } else {
        measure::sweep_threads(threads)
            .into_iter()
            .filter(|&t| t < threads)
            .collect()
    };
    let mut scaling = measure::scaling_sweep(
        &prover,
        &topology,
        &sweep_op,
        &fewer_threads,
        &TABLE_POLICIES,
        1,
        print_point,
    )?;
    if let Some(row) = operations.iter().find(|o| o.op == sweep_op) {
        for (policy, seconds) in [
            (PolicyName::Previous, row.previous_s),
            (PolicyName::Rayon, row.rayon_s),
            (PolicyName::Dag, row.dag_s),
        ] {
            let point = ScalingPoint {
                op: sweep_op.clone(),
                policy: policy.as_str().to_string(),
                threads: threads as u64,
                seconds,
            };
            print_point(&point);
            scaling.push(point);
        }
    }

    // A full run also measures dag against rayon on a heterogeneous block, with and without a
    // memory budget (`hetero.md`). A quick run leaves it out: the small block's four
    // configurations take about five minutes on 2 cores, half the quick run's budget
    // (`zkpar hetero` runs it alone).
    if !args.quick {
        let block = circuits::block::BlockSpec::load(data.join("blocks").join("small.json"), &ops)?;
        let hetero =
            super::hetero::measure_block(&prover, &block, &topology, threads, reps, None, &data)?;
        for path in super::hetero::write(&hetero, out)? {
            eprintln!("wrote {}", path.display());
        }
    }

    let results = Results {
        machine: measure::machine(&topology, threads),
        git_rev: provenance::git_rev(&data),
        date: provenance::utc_date_today(),
        operations,
        calibration_s,
        calibration_samples,
        scaling,
        reps: Some(reps as u32),
        quick: Some(args.quick),
        tree_depth: Some(depth as u32),
        unmeasured: Vec::new(),
    };
    let written = write_report(&results, &published, out)?;
    println!("{}", crate::report::markdown::render(&results, &published));
    for path in written {
        eprintln!("wrote {}", path.display());
    }
    eprintln!(
        "reproduce finished in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    Ok(Outcome::Success)
}

/// `gantt-<op>.svg` and `trace-<op>.json` of one run.
pub fn write_run_artifacts(
    out: &Path,
    op: &str,
    run: &scheduler::metrics::RunReport,
) -> anyhow::Result<()> {
    let title = format!(
        "{op}: {} policy, {} workers, {:.2} s",
        run.policy, run.workers, run.makespan_s
    );
    gantt_chart(
        &measure::gantt_tasks(run),
        &title,
        &out.join(format!("gantt-{op}.svg")),
    )?;
    let trace_path = out.join(format!("trace-{op}.json"));
    let file = std::fs::File::create(&trace_path)
        .with_context(|| format!("cannot write {}", trace_path.display()))?;
    scheduler::trace::write_chrome_trace(run, std::io::BufWriter::new(file))
        .with_context(|| format!("cannot write {}", trace_path.display()))?;
    Ok(())
}
