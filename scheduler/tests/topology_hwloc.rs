//! The hwloc provider (feature `hwloc`): detection and pinned execution.
#![cfg(feature = "hwloc")]

use scheduler::executor::{Executor, ExecutorConfig};
use scheduler::graph::{Cost, TaskGraph};
use scheduler::policy::PolicyName;
use scheduler::topology::Topology;

#[test]
fn hwloc_topology_runs_pinned_graphs() {
    let t = Topology::from_hwloc().unwrap();
    assert_eq!(t.provider, "hwloc");
    assert_eq!(Topology::detect().provider, "hwloc");
    let sysfs = Topology::from_sysfs(std::path::Path::new("/sys/devices/system"));
    if let Ok(s) = sysfs {
        // hwloc lists the CPUs this process may use, all of them online per sysfs.
        let online = s.cpus();
        assert!(
            t.cpus().iter().all(|c| online.contains(c)),
            "{t:?} vs {s:?}"
        );
    }
    let ex = Executor::new(ExecutorConfig {
        topology: t,
        threads: 2,
        mem_budget: None,
        pin: true,
    })
    .unwrap();
    let mut g = TaskGraph::new();
    let affinity = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    for i in 0..8 {
        let a = affinity.clone();
        g.add_task(format!("t{i}"), "k", Cost::default(), move || {
            a.lock()
                .unwrap()
                .push(scheduler::topology::current_affinity().unwrap_or_default());
            Ok(())
        });
    }
    ex.run(g, PolicyName::Dag.policy().as_ref(), None).unwrap();
    let allowed = ex.topology().cpus();
    for cpus in affinity.lock().unwrap().iter() {
        assert!(
            cpus.iter().all(|c| allowed.contains(c)),
            "{cpus:?} outside {allowed:?}"
        );
    }
}
