//! Topology from a fake sysfs tree, virtual splits, restriction, and executors on them.

mod common;

use std::fs;
use std::path::Path;

use scheduler::executor::{Executor, ExecutorConfig};
use scheduler::graph::{Cost, TaskGraph};
use scheduler::policy::PolicyName;
use scheduler::topology::{Domain, Topology};

fn write(root: &Path, rel: &str, content: &str) {
    let path = root.join(rel);
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    fs::write(path, content).unwrap();
}

/// 2 NUMA nodes, 2 cores each, 2 SMT threads per core (siblings c and c+4), one L3 per node,
/// plus a memory-only node 2 and an offline CPU 8.
fn fake_sysfs(root: &Path) {
    write(root, "cpu/online", "0-7\n");
    write(root, "node/node0/cpulist", "0-1,4-5\n");
    write(root, "node/node1/cpulist", "2-3,6-7\n");
    write(root, "node/node2/cpulist", "\n");
    for cpu in 0..9 {
        let sib = cpu % 4;
        write(
            root,
            &format!("cpu/cpu{cpu}/topology/thread_siblings_list"),
            &format!("{sib},{}\n", sib + 4),
        );
        let l3 = if sib < 2 { "0-1,4-5" } else { "2-3,6-7" };
        write(root, &format!("cpu/cpu{cpu}/cache/index3/level"), "3\n");
        write(
            root,
            &format!("cpu/cpu{cpu}/cache/index3/shared_cpu_list"),
            &format!("{l3}\n"),
        );
    }
}

#[test]
fn parses_fake_sysfs() {
    let dir = tempfile::tempdir().unwrap();
    fake_sysfs(dir.path());
    let t = Topology::from_sysfs(dir.path()).unwrap();
    assert_eq!(t.provider, "sysfs");
    assert_eq!(
        t.domains,
        vec![
            Domain {
                id: 0,
                cpus: vec![0, 1, 4, 5]
            },
            Domain {
                id: 1,
                cpus: vec![2, 3, 6, 7]
            }
        ]
    );
    assert_eq!(
        t.smt_siblings,
        vec![vec![0, 4], vec![1, 5], vec![2, 6], vec![3, 7]]
    );
    assert_eq!(t.l3_groups, vec![vec![0, 1, 4, 5], vec![2, 3, 6, 7]]);
    assert_eq!((t.num_cpus(), t.num_cores()), (8, 4));
    // Restrict to 4 threads: one per physical core, both nodes.
    let r = t.restrict(4);
    assert_eq!(r.cpus(), vec![0, 1, 2, 3]);
    assert_eq!(r.domains.len(), 2);
    // JSON round trip.
    let back: Topology = serde_json::from_str(&serde_json::to_string(&t).unwrap()).unwrap();
    assert_eq!(back, t);
}

#[test]
fn tolerates_missing_numa_and_cache_but_not_garbage() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "cpu/online", "0-2");
    let t = Topology::from_sysfs(dir.path()).unwrap();
    assert_eq!(
        t.domains,
        vec![Domain {
            id: 0,
            cpus: vec![0, 1, 2]
        }]
    );
    assert_eq!(t.smt_siblings, vec![vec![0], vec![1], vec![2]]);
    assert!(t.l3_groups.is_empty());

    write(dir.path(), "node/node0/cpulist", "0-x");
    let err = Topology::from_sysfs(dir.path()).unwrap_err().to_string();
    assert!(
        err.contains("node0/cpulist") && err.contains("\"x\""),
        "{err}"
    );

    let empty = tempfile::tempdir().unwrap();
    assert!(Topology::from_sysfs(empty.path()).is_err());
}

#[test]
fn virtual_domains_drive_the_numa_code_paths() {
    let t = Topology::flat(4).split_virtual(2).unwrap();
    assert_eq!(t.domains.len(), 2);
    let ex = Executor::new(ExecutorConfig {
        topology: t,
        threads: 4,
        mem_budget: None,
        pin: true,
    })
    .unwrap();
    assert_eq!(ex.workers(), 4);
    // Locality hints send tasks to both domains; a wide graph makes domains steal.
    let mut g = TaskGraph::new();
    for i in 0..200 {
        g.add_task(
            format!("t{i}"),
            "k",
            Cost::secs(1.0).with_locality(i % 2),
            move || {
                std::hint::black_box((0..20_000u64).sum::<u64>());
                Ok(())
            },
        );
    }
    let report = ex.run(g, PolicyName::Dag.policy().as_ref(), None).unwrap();
    assert_eq!(report.domains, 2);
    let domains_used: std::collections::BTreeSet<usize> =
        report.tasks.iter().map(|t| t.domain).collect();
    assert_eq!(domains_used.len(), 2);
    assert!(report
        .tasks
        .iter()
        .all(|t| t.remote == (t.domain != t.name[1..].parse::<usize>().unwrap() % 2)));
    assert_eq!(
        report.remote_steals,
        report.tasks.iter().filter(|t| t.remote).count()
    );
}

#[test]
fn detected_topology_restricts_and_pins() {
    let t = Topology::detect();
    let ex = Executor::new(ExecutorConfig {
        topology: t,
        threads: 1,
        mem_budget: None,
        pin: true,
    })
    .unwrap();
    assert_eq!(ex.workers(), 1);
    let mut g = TaskGraph::new();
    let cpu = std::sync::Arc::new(std::sync::Mutex::new(None));
    let seen = cpu.clone();
    g.add_task("where", "k", Cost::default(), move || {
        *seen.lock().unwrap() = scheduler::topology::current_affinity();
        Ok(())
    });
    ex.run(g, PolicyName::Dag.policy().as_ref(), None).unwrap();
    // Pinned to the one chosen CPU (pinning may be refused in odd sandboxes: then unpinned).
    let affinity = cpu.lock().unwrap().clone().unwrap();
    assert!(
        affinity == ex.topology().cpus() || affinity.len() > 1,
        "{affinity:?}"
    );
}
