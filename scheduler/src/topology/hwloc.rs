//! hwloc topology provider and thread binding (feature `hwloc`).

use std::sync::OnceLock;

use hwlocality::cpu::binding::CpuBindingFlags;
use hwlocality::cpu::cpuset::CpuSet;
use hwlocality::object::types::ObjectType;

use super::{Domain, PinError, Topology, TopologyError};

/// hwloc topologies take milliseconds to load: one per process, shared by every binding call.
fn shared() -> Result<&'static hwlocality::Topology, TopologyError> {
    static TOPOLOGY: OnceLock<Result<hwlocality::Topology, String>> = OnceLock::new();
    TOPOLOGY
        .get_or_init(|| hwlocality::Topology::new().map_err(|e| e.to_string()))
        .as_ref()
        .map_err(|e| TopologyError::Hwloc(e.clone()))
}

fn cpus_of(set: &CpuSet) -> Vec<usize> {
    set.iter_set().map(usize::from).collect()
}

pub(super) fn read() -> Result<Topology, TopologyError> {
    let topo = shared()?;
    let all = cpus_of(&topo.cpuset());
    if all.is_empty() {
        return Err(TopologyError::Hwloc("no CPUs in the topology".into()));
    }
    let mut domains: Vec<Domain> = topo
        .objects_with_type(ObjectType::NUMANode)
        .enumerate()
        .filter_map(|(i, node)| {
            let cpus = cpus_of(&*node.cpuset()?);
            (!cpus.is_empty()).then(|| Domain {
                id: node.os_index().unwrap_or(i),
                cpus,
            })
        })
        .collect();
    if domains.is_empty() {
        domains.push(Domain {
            id: 0,
            cpus: all.clone(),
        });
    }
    let groups = |ty: ObjectType| -> Vec<Vec<usize>> {
        topo.objects_with_type(ty)
            .filter_map(|o| Some(cpus_of(&*o.cpuset()?)))
            .filter(|g| !g.is_empty())
            .collect()
    };
    let mut smt_siblings = groups(ObjectType::Core);
    if smt_siblings.is_empty() {
        smt_siblings = all.iter().map(|&c| vec![c]).collect();
    }
    Ok(Topology {
        provider: "hwloc".into(),
        domains,
        smt_siblings,
        l3_groups: groups(ObjectType::L3Cache),
    })
}

pub(super) fn bind_current_thread(cpus: &[usize]) -> Result<(), PinError> {
    if cpus.is_empty() || cpus.iter().any(|&c| c > i32::MAX as usize) {
        return Err(PinError::InvalidSet(cpus.to_vec()));
    }
    let topo = shared().map_err(|e| PinError::Os {
        cpus: cpus.to_vec(),
        reason: e.to_string(),
    })?;
    let mut set = CpuSet::new();
    for &c in cpus {
        set.set(c);
    }
    topo.bind_cpu(&set, CpuBindingFlags::THREAD)
        .map_err(|e| PinError::Os {
            cpus: cpus.to_vec(),
            reason: e.to_string(),
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hwloc_topology_matches_the_machine() {
        let t = read().expect("hwloc loads");
        assert_eq!(t.provider, "hwloc");
        assert!(t.num_cpus() >= 1);
        assert!(t.num_cores() >= 1 && t.num_cores() <= t.num_cpus().max(t.num_cores()));
        let first = super::super::current_affinity().map_or(t.cpus()[0], |a| a[0]);
        bind_current_thread(&[first]).expect("binding to an allowed CPU works");
        assert_eq!(super::super::current_affinity(), Some(vec![first]));
    }
}
