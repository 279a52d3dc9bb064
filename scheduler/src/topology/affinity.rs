//! Thread pinning with `sched_setaffinity` (Linux); a no-op error elsewhere.

/// Why a thread could not be pinned. Callers log it and carry on unpinned.
#[derive(Debug, thiserror::Error)]
pub(crate) enum PinError {
    /// The CPU list was empty or a CPU number is beyond what the OS call can express.
    #[error("invalid CPU set {0:?}")]
    InvalidSet(Vec<usize>),
    /// The OS refused.
    #[error("pinning to CPUs {cpus:?} failed: {reason}")]
    Os {
        /// The requested CPUs.
        cpus: Vec<usize>,
        /// The OS error.
        reason: String,
    },
    /// Pinning is not supported on this platform.
    #[cfg_attr(target_os = "linux", allow(dead_code))]
    #[error("thread pinning is not supported on this platform")]
    Unsupported,
}

/// Pins the calling thread to `cpus`.
#[cfg(target_os = "linux")]
pub(crate) fn pin_current_thread(cpus: &[usize]) -> Result<(), PinError> {
    // CPU_SETSIZE bounds what a cpu_set_t can hold.
    let max = libc::CPU_SETSIZE as usize;
    if cpus.is_empty() || cpus.iter().any(|&c| c >= max) {
        return Err(PinError::InvalidSet(cpus.to_vec()));
    }
    // SAFETY: cpu_set_t is plain data; zeroed is the empty set, and every index is < CPU_SETSIZE.
    let rc = unsafe {
        let mut set: libc::cpu_set_t = std::mem::zeroed();
        for &c in cpus {
            libc::CPU_SET(c, &mut set);
        }
        // pid 0 = the calling thread.
        libc::sched_setaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &set)
    };
    if rc == 0 {
        Ok(())
    } else {
        Err(PinError::Os {
            cpus: cpus.to_vec(),
            reason: std::io::Error::last_os_error().to_string(),
        })
    }
}

/// Pins the calling thread to `cpus`.
#[cfg(not(target_os = "linux"))]
pub(crate) fn pin_current_thread(_cpus: &[usize]) -> Result<(), PinError> {
    Err(PinError::Unsupported)
}

/// The CPUs the calling thread may run on, if the OS says.
#[cfg(target_os = "linux")]
pub fn current_affinity() -> Option<Vec<usize>> {
    // SAFETY: the kernel fills a properly sized, zero-initialised cpu_set_t.
    unsafe {
        let mut set: libc::cpu_set_t = std::mem::zeroed();
        if libc::sched_getaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &mut set) != 0 {
            return None;
        }
        let cpus: Vec<usize> = (0..libc::CPU_SETSIZE as usize)
            .filter(|&c| libc::CPU_ISSET(c, &set))
            .collect();
        (!cpus.is_empty()).then_some(cpus)
    }
}

/// The CPUs the calling thread may run on, if the OS says.
#[cfg(not(target_os = "linux"))]
pub fn current_affinity() -> Option<Vec<usize>> {
    None
}
