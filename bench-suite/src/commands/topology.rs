//! `zkpar topology`: the machine as the scheduler sees it — [`Topology::detect`] (hwloc with the
//! `hwloc` feature, else Linux sysfs, else a flat list of CPUs), already intersected with the
//! process's CPU affinity mask, so `taskset` and cgroup limits show here as they apply to runs.
//!
//! `--json` prints the serde form of [`Topology`] (`provider`, `domains`, `smt_siblings`,
//! `l3_groups`) with the derived `cpus` and `cores` counts added.

use std::fmt::Write as _;

use scheduler::topology::Topology;
use serde_json::json;

use super::Outcome;
use crate::cli::TopologyArgs;

/// Runs `zkpar topology`.
pub fn run(args: &TopologyArgs) -> anyhow::Result<Outcome> {
    let topology = Topology::detect();
    if args.json {
        let mut value = serde_json::to_value(&topology)?;
        if let Some(object) = value.as_object_mut() {
            object.insert("cpus".into(), json!(topology.num_cpus()));
            object.insert("cores".into(), json!(topology.num_cores()));
        }
        println!("{}", serde_json::to_string_pretty(&value)?);
    } else {
        print!("{}", render(&topology));
    }
    Ok(Outcome::Success)
}

fn render(t: &Topology) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "provider       {}", t.provider);
    let _ = writeln!(
        out,
        "logical CPUs   {} on {} physical cores ({} NUMA domain{})",
        t.num_cpus(),
        t.num_cores(),
        t.domains.len(),
        if t.domains.len() == 1 { "" } else { "s" }
    );
    for d in &t.domains {
        let _ = writeln!(
            out,
            "domain {:<7} CPUs {} ({})",
            d.id,
            cpulist(&d.cpus),
            d.cpus.len()
        );
    }
    let shared: Vec<&Vec<usize>> = t.smt_siblings.iter().filter(|c| c.len() > 1).collect();
    if shared.is_empty() {
        let _ = writeln!(out, "SMT            none (one logical CPU per core)");
    } else {
        let groups: Vec<String> = shared.iter().map(|c| cpulist(c)).collect();
        let _ = writeln!(
            out,
            "SMT siblings   {} cores with {}: {}",
            shared.len(),
            shared.iter().map(|c| c.len()).max().unwrap_or(0),
            groups.join(" ")
        );
    }
    if t.l3_groups.is_empty() {
        let _ = writeln!(out, "L3 caches      unknown");
    } else {
        for (i, group) in t.l3_groups.iter().enumerate() {
            let _ = writeln!(
                out,
                "L3 cache {:<5} shared by CPUs {} ({})",
                i,
                cpulist(group),
                group.len()
            );
        }
    }
    out
}

/// Linux's cpulist notation: `0-3,8,10-11`.
fn cpulist(cpus: &[usize]) -> String {
    let mut sorted = cpus.to_vec();
    sorted.sort_unstable();
    sorted.dedup();
    let mut parts = Vec::new();
    let mut i = 0;
    while i < sorted.len() {
        let start = sorted[i];
        let mut end = start;
        while i + 1 < sorted.len() && sorted[i + 1] == end + 1 {
            i += 1;
            end = sorted[i];
        }
        parts.push(if start == end {
            start.to_string()
        } else {
            format!("{start}-{end}")
        });
        i += 1;
    }
    parts.join(",")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cpulist_compresses_runs() {
        assert_eq!(cpulist(&[0, 1, 2, 3, 8, 10, 11]), "0-3,8,10-11");
        assert_eq!(cpulist(&[5]), "5");
        assert_eq!(cpulist(&[]), "");
        assert_eq!(cpulist(&[3, 1, 2, 2]), "1-3");
    }

    #[test]
    fn the_flat_topology_renders() {
        let text = render(&Topology::flat(4));
        assert!(text.contains("provider       flat"), "{text}");
        assert!(text.contains("CPUs 0-3 (4)"), "{text}");
        assert!(text.contains("L3 caches      unknown"), "{text}");
    }
}
