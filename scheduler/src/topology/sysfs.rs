//! Linux sysfs topology reader.
//!
//! Layout (see the kernel's `Documentation/ABI/stable/sysfs-devices-system-cpu` and
//! `sysfs-devices-node`), relative to `/sys/devices/system`:
//! - `cpu/online`: the online CPUs as a cpulist (`0-3,8-11`);
//! - `cpu/cpuN/topology/thread_siblings_list`: CPUs sharing N's physical core;
//! - `cpu/cpuN/cache/index3/shared_cpu_list`: CPUs sharing N's L3 (when `index3/level` is 3);
//! - `node/nodeN/cpulist`: CPUs of NUMA node N (absent on kernels without NUMA).

use std::collections::BTreeSet;
use std::fs;
use std::path::Path;

use super::{Domain, Topology, TopologyError};

/// Parses a kernel cpulist such as `0-3,8,10-11` (also `0-7:2` strides). Empty input is the
/// empty list.
pub(crate) fn parse_cpulist(text: &str) -> Result<Vec<usize>, String> {
    let mut out = BTreeSet::new();
    for part in text
        .trim()
        .split(',')
        .map(str::trim)
        .filter(|p| !p.is_empty())
    {
        let num = |s: &str| {
            s.trim()
                .parse::<usize>()
                .map_err(|_| format!("bad number {s:?} in {part:?}"))
        };
        let (range, stride) = match part.split_once(':') {
            Some((r, s)) => (r, num(s)?),
            None => (part, 1),
        };
        let (lo, hi) = match range.split_once('-') {
            Some((a, b)) => (num(a)?, num(b)?),
            None => (num(range)?, num(range)?),
        };
        if lo > hi || stride == 0 {
            return Err(format!("bad range {part:?}"));
        }
        out.extend((lo..=hi).step_by(stride));
    }
    Ok(out.into_iter().collect())
}

fn read_text(path: &Path) -> Result<String, TopologyError> {
    fs::read_to_string(path).map_err(|source| TopologyError::Io {
        path: path.display().to_string(),
        source,
    })
}

fn read_list(path: &Path) -> Result<Vec<usize>, TopologyError> {
    parse_cpulist(&read_text(path)?).map_err(|reason| TopologyError::Parse {
        path: path.display().to_string(),
        reason,
    })
}

/// Numbered subdirectories `prefixN` of `dir`, sorted by N.
fn numbered(dir: &Path, prefix: &str) -> Vec<usize> {
    let Ok(entries) = fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut ids: Vec<usize> = entries
        .filter_map(|e| e.ok())
        .filter_map(|e| e.file_name().to_str()?.strip_prefix(prefix)?.parse().ok())
        .collect();
    ids.sort_unstable();
    ids
}

/// Groups defined by a per-CPU list file; each group listed once, restricted to `online`.
fn groups(online: &[usize], file: impl Fn(usize) -> Option<Vec<usize>>) -> Vec<Vec<usize>> {
    let on: BTreeSet<usize> = online.iter().copied().collect();
    let mut seen = BTreeSet::new();
    let mut out = Vec::new();
    for &cpu in online {
        let group: Vec<usize> = file(cpu)
            .unwrap_or_else(|| vec![cpu])
            .into_iter()
            .filter(|c| on.contains(c))
            .collect();
        if group.is_empty() || !seen.insert(group.clone()) {
            continue;
        }
        out.push(group);
    }
    out
}

pub(super) fn read(root: &Path) -> Result<Topology, TopologyError> {
    let cpu_dir = root.join("cpu");
    let online = match read_list(&cpu_dir.join("online")) {
        Ok(list) => list,
        Err(e @ TopologyError::Parse { .. }) => return Err(e),
        // Some containers hide `online`; the cpuN directories still say which CPUs exist.
        Err(_) => numbered(&cpu_dir, "cpu"),
    };
    if online.is_empty() {
        return Err(TopologyError::Invalid(format!(
            "no CPUs listed under {}",
            cpu_dir.display()
        )));
    }
    let on: BTreeSet<usize> = online.iter().copied().collect();

    let mut domains = Vec::new();
    for id in numbered(&root.join("node"), "node") {
        let cpus: Vec<usize> = read_list(&root.join(format!("node/node{id}/cpulist")))?
            .into_iter()
            .filter(|c| on.contains(c))
            .collect();
        // Memory-only nodes (CXL, HBM) have no CPUs to schedule on.
        if !cpus.is_empty() {
            domains.push(Domain { id, cpus });
        }
    }
    let placed: BTreeSet<usize> = domains
        .iter()
        .flat_map(|d| d.cpus.iter().copied())
        .collect();
    let unplaced: Vec<usize> = online
        .iter()
        .copied()
        .filter(|c| !placed.contains(c))
        .collect();
    if !unplaced.is_empty() {
        match domains.first_mut() {
            // A CPU outside every node would be a kernel oddity: keep it usable.
            Some(d) => {
                d.cpus.extend(unplaced);
                d.cpus.sort_unstable();
            }
            None => domains.push(Domain {
                id: 0,
                cpus: unplaced,
            }),
        }
    }

    let topo = |cpu: usize, file: &str| cpu_dir.join(format!("cpu{cpu}/topology/{file}"));
    let smt_siblings = groups(&online, |cpu| {
        read_list(&topo(cpu, "thread_siblings_list"))
            .or_else(|_| read_list(&topo(cpu, "core_cpus_list")))
            .ok()
    });
    let l3 = |cpu: usize| {
        let dir = cpu_dir.join(format!("cpu{cpu}/cache/index3"));
        if let Ok(level) = read_text(&dir.join("level")) {
            if level.trim() != "3" {
                return None;
            }
        }
        read_list(&dir.join("shared_cpu_list")).ok()
    };
    let has_l3 = online.iter().any(|&c| l3(c).is_some());
    let l3_groups = if has_l3 {
        groups(&online, l3)
    } else {
        Vec::new()
    };

    Ok(Topology {
        provider: "sysfs".into(),
        domains,
        smt_siblings,
        l3_groups,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cpulists() {
        assert_eq!(
            parse_cpulist("0-3,8,10-11\n").unwrap(),
            vec![0, 1, 2, 3, 8, 10, 11]
        );
        assert_eq!(parse_cpulist("0-6:3").unwrap(), vec![0, 3, 6]);
        assert_eq!(parse_cpulist("").unwrap(), Vec::<usize>::new());
        assert!(parse_cpulist("3-1").unwrap_err().contains("3-1"));
        assert!(parse_cpulist("a").unwrap_err().contains("\"a\""));
    }
}
