//! Machine topology: which logical CPUs exist, how they group into NUMA domains, physical cores
//! (SMT siblings) and shared L3 caches, and how to pin a thread to some of them.
//!
//! Providers, in the order [`Topology::detect`] tries them:
//! 1. `hwloc` (feature `hwloc`): the portable hwloc library, via `hwlocality`.
//! 2. `sysfs`: Linux's `/sys/devices/system/{node,cpu}` files, parsed directly.
//! 3. `flat`: one domain of `std::thread::available_parallelism()` CPUs when neither works
//!    (containers without `/sys`, other operating systems).
//!
//! Detected topologies are intersected with the process's CPU affinity mask, so `taskset` and
//! cgroup CPU sets are respected. Two transformations make experiments reproducible:
//! [`Topology::restrict`] keeps `N` CPUs (distinct physical cores first, domain by domain), and
//! [`Topology::split_virtual`] cuts a machine into `n` pretend domains so NUMA-aware code paths
//! run on a one-node machine.

use serde::{Deserialize, Serialize};

mod affinity;
#[cfg(feature = "hwloc")]
mod hwloc;
mod sysfs;

pub use self::affinity::current_affinity;
pub(crate) use self::affinity::{pin_current_thread, PinError};

/// A NUMA domain (or a virtual one): CPUs that share a memory controller.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Domain {
    /// Domain id (the OS node number for `sysfs`/`hwloc`, `0..n` otherwise).
    pub id: usize,
    /// Logical CPU numbers in this domain, ascending.
    pub cpus: Vec<usize>,
}

/// The CPUs a scheduler may use and how they are grouped.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Topology {
    /// Where the description came from: `sysfs`, `hwloc`, `flat` or `virtual`.
    pub provider: String,
    /// Domains, each with at least one CPU; every usable CPU is in exactly one.
    pub domains: Vec<Domain>,
    /// Physical cores: each entry lists the logical CPUs (SMT siblings) of one core.
    pub smt_siblings: Vec<Vec<usize>>,
    /// CPUs sharing one L3 cache (empty when unknown).
    pub l3_groups: Vec<Vec<usize>>,
}

/// Why a topology could not be read or transformed.
#[derive(Debug, thiserror::Error)]
pub enum TopologyError {
    /// A sysfs file could not be read.
    #[error("cannot read {path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// The I/O error.
        source: std::io::Error,
    },
    /// A file's content is not what the kernel documents.
    #[error("cannot parse {path}: {reason}")]
    Parse {
        /// The file.
        path: String,
        /// What is wrong.
        reason: String,
    },
    /// A request that the machine cannot satisfy.
    #[error("{0}")]
    Invalid(String),
    /// hwloc failed.
    #[error("hwloc: {0}")]
    Hwloc(String),
}

impl Topology {
    /// The best description of this machine: hwloc (with the feature), else sysfs, else flat;
    /// intersected with the process affinity mask. Never fails.
    pub fn detect() -> Topology {
        let detected = Self::detect_raw();
        match current_affinity() {
            Some(allowed) => detected.keep_cpus(&allowed).unwrap_or(detected),
            None => detected,
        }
    }

    fn detect_raw() -> Topology {
        #[cfg(feature = "hwloc")]
        match Self::from_hwloc() {
            Ok(t) => return t,
            Err(e) => log::warn!("hwloc topology unavailable ({e}); trying sysfs"),
        }
        match Self::from_sysfs(std::path::Path::new("/sys/devices/system")) {
            Ok(t) => t,
            Err(e) => {
                let n = std::thread::available_parallelism().map_or(1, |n| n.get());
                log::warn!("sysfs topology unavailable ({e}); using a flat topology of {n} CPUs");
                Topology::flat(n)
            }
        }
    }

    /// Reads a Linux sysfs tree rooted at `root` (normally `/sys/devices/system`): `cpu/online`,
    /// `cpu/cpuN/topology/thread_siblings_list`, `cpu/cpuN/cache/index3/shared_cpu_list` and
    /// `node/nodeN/cpulist`. Missing node or cache files are tolerated (one domain, no L3
    /// groups); missing CPU information is an error.
    pub fn from_sysfs(root: &std::path::Path) -> Result<Topology, TopologyError> {
        sysfs::read(root)
    }

    /// Reads the topology with hwloc.
    #[cfg(feature = "hwloc")]
    pub fn from_hwloc() -> Result<Topology, TopologyError> {
        hwloc::read()
    }

    /// `n` CPUs numbered `0..n` in one domain, one core each, no L3 information.
    pub fn flat(n: usize) -> Topology {
        let n = n.max(1);
        Topology {
            provider: "flat".into(),
            domains: vec![Domain {
                id: 0,
                cpus: (0..n).collect(),
            }],
            smt_siblings: (0..n).map(|c| vec![c]).collect(),
            l3_groups: Vec::new(),
        }
    }

    /// Number of usable logical CPUs.
    pub fn num_cpus(&self) -> usize {
        self.domains.iter().map(|d| d.cpus.len()).sum()
    }

    /// Number of physical cores.
    pub fn num_cores(&self) -> usize {
        self.smt_siblings.len()
    }

    /// All usable CPUs, domain by domain.
    pub fn cpus(&self) -> Vec<usize> {
        self.domains
            .iter()
            .flat_map(|d| d.cpus.iter().copied())
            .collect()
    }

    /// Physical cores of each domain, in domain order (a core belongs to the domain of its
    /// first CPU).
    fn cores_by_domain(&self) -> Vec<Vec<Vec<usize>>> {
        let mut out = vec![Vec::new(); self.domains.len()];
        let domain_of = |cpu: usize| self.domains.iter().position(|d| d.cpus.contains(&cpu));
        let mut covered = std::collections::HashSet::new();
        for core in &self.smt_siblings {
            if let Some(d) = core.first().and_then(|&c| domain_of(c)) {
                out[d].push(core.clone());
                covered.extend(core.iter().copied());
            }
        }
        // CPUs the SMT table does not mention count as cores of their own.
        for (d, dom) in self.domains.iter().enumerate() {
            for &c in &dom.cpus {
                if !covered.contains(&c) {
                    out[d].push(vec![c]);
                }
            }
        }
        out
    }

    /// Keeps `threads` CPUs: first one CPU of every physical core, domain by domain (so small
    /// counts stay inside one domain and avoid SMT sharing), then second SMT siblings, and so
    /// on. `threads == 0` or more than available keeps everything.
    pub fn restrict(&self, threads: usize) -> Topology {
        if threads == 0 || threads >= self.num_cpus() {
            return self.clone();
        }
        let cores = self.cores_by_domain();
        let mut chosen = Vec::with_capacity(threads);
        let mut round = 0;
        while chosen.len() < threads {
            for core in cores.iter().flatten() {
                if let Some(&c) = core.get(round) {
                    if chosen.len() < threads {
                        chosen.push(c);
                    }
                }
            }
            round += 1;
        }
        self.keep_cpus(&chosen)
            .expect("chosen CPUs are non-empty and known")
    }

    /// The topology limited to `cpus` (empty domains, cores and caches dropped).
    pub(crate) fn keep_cpus(&self, cpus: &[usize]) -> Result<Topology, TopologyError> {
        let keep: std::collections::HashSet<usize> = cpus.iter().copied().collect();
        let filter = |groups: &[Vec<usize>]| -> Vec<Vec<usize>> {
            groups
                .iter()
                .map(|g| {
                    g.iter()
                        .copied()
                        .filter(|c| keep.contains(c))
                        .collect::<Vec<_>>()
                })
                .filter(|g| !g.is_empty())
                .collect()
        };
        let domains: Vec<Domain> = self
            .domains
            .iter()
            .map(|d| Domain {
                id: d.id,
                cpus: d
                    .cpus
                    .iter()
                    .copied()
                    .filter(|c| keep.contains(c))
                    .collect(),
            })
            .filter(|d| !d.cpus.is_empty())
            .collect();
        if domains.is_empty() {
            return Err(TopologyError::Invalid(format!(
                "none of the CPUs {cpus:?} is in the topology"
            )));
        }
        Ok(Topology {
            provider: self.provider.clone(),
            domains,
            smt_siblings: filter(&self.smt_siblings),
            l3_groups: filter(&self.l3_groups),
        })
    }

    /// The same CPUs cut into `n` virtual domains of nearly equal size (whole physical cores
    /// where possible, in domain order), provider `virtual`. Lets NUMA-aware code run on a
    /// one-node machine.
    pub fn split_virtual(&self, n: usize) -> Result<Topology, TopologyError> {
        let cpus = self.num_cpus();
        if n == 0 || n > cpus {
            return Err(TopologyError::Invalid(format!(
                "cannot split {cpus} CPUs into {n} virtual domains (need 1..={cpus})"
            )));
        }
        let mut units: Vec<Vec<usize>> = self.cores_by_domain().into_iter().flatten().collect();
        if units.len() < n {
            // Fewer cores than domains: split SMT siblings apart.
            units = self.cpus().into_iter().map(|c| vec![c]).collect();
        }
        let (base, extra) = (units.len() / n, units.len() % n);
        let mut domains = Vec::with_capacity(n);
        let mut it = units.into_iter();
        for id in 0..n {
            let take = base + usize::from(id < extra);
            let mut cpus: Vec<usize> = it.by_ref().take(take).flatten().collect();
            cpus.sort_unstable();
            domains.push(Domain { id, cpus });
        }
        Ok(Topology {
            provider: "virtual".into(),
            domains,
            smt_siblings: self.smt_siblings.clone(),
            l3_groups: self.l3_groups.clone(),
        })
    }

    /// Pins the calling thread to `cpus`: with hwloc when this topology came from hwloc (and
    /// the feature is on), else with `sched_setaffinity`.
    pub(crate) fn pin_current_thread(&self, cpus: &[usize]) -> Result<(), PinError> {
        #[cfg(feature = "hwloc")]
        if self.provider == "hwloc" {
            return hwloc::bind_current_thread(cpus);
        }
        pin_current_thread(cpus)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn two_node_smt() -> Topology {
        // 2 nodes x 2 cores x 2 threads; siblings are (c, c+4) like Linux numbers them.
        Topology {
            provider: "sysfs".into(),
            domains: vec![
                Domain {
                    id: 0,
                    cpus: vec![0, 1, 4, 5],
                },
                Domain {
                    id: 1,
                    cpus: vec![2, 3, 6, 7],
                },
            ],
            smt_siblings: vec![vec![0, 4], vec![1, 5], vec![2, 6], vec![3, 7]],
            l3_groups: vec![vec![0, 1, 4, 5], vec![2, 3, 6, 7]],
        }
    }

    #[test]
    fn restrict_prefers_physical_cores_of_the_first_domain() {
        let t = two_node_smt();
        let r = t.restrict(2);
        assert_eq!(
            r.domains,
            vec![Domain {
                id: 0,
                cpus: vec![0, 1]
            }]
        );
        assert_eq!(r.smt_siblings, vec![vec![0], vec![1]]);
        let r = t.restrict(5);
        assert_eq!(r.cpus(), vec![0, 1, 4, 2, 3]);
        assert_eq!(r.num_cpus(), 5);
        assert_eq!(t.restrict(0), t);
    }

    #[test]
    fn split_virtual_keeps_cores_whole() {
        let t = two_node_smt().keep_cpus(&[0, 1, 4, 5]).unwrap();
        let v = t.split_virtual(2).unwrap();
        assert_eq!(v.provider, "virtual");
        assert_eq!(v.domains[0].cpus, vec![0, 4]);
        assert_eq!(v.domains[1].cpus, vec![1, 5]);
        let v = t.split_virtual(3).unwrap();
        assert_eq!(v.num_cpus(), 4);
        assert!(v.domains.iter().all(|d| !d.cpus.is_empty()));
        let err = t.split_virtual(5).unwrap_err().to_string();
        assert!(err.contains("4 CPUs into 5"), "{err}");
        let flat = Topology::flat(4).split_virtual(2).unwrap();
        assert_eq!(flat.domains[1].cpus, vec![2, 3]);
    }

    #[test]
    fn detect_never_fails() {
        let t = Topology::detect();
        assert!(t.num_cpus() >= 1);
        assert!(["sysfs", "hwloc", "flat"].contains(&t.provider.as_str()));
    }
}
