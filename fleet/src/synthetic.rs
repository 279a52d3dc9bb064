//! A synthetic task handler for tests and benchmarks, whose outputs can be recomputed.
//!
//! Input = sleep in microseconds (u32 LE) + seed (u64 LE). Output = an order-sensitive 64-bit
//! digest of the input and every predecessor output, so a missing, duplicated or reordered
//! dependency changes the result. Kinds: `synth` (sleep, digest), `fail` (always an error),
//! `panic` (always panics). With a crash probability `p`, a `synth` task aborts the whole
//! process halfway through its sleep with probability `p`, simulating a crashed worker.

use std::time::Duration;

use scheduler::graph::TaskError;
use scheduler::spec::{TaskHandler, TaskInput};

/// The environment variable the synthetic worker binary reads its crash probability from.
pub const CRASH_ENV: &str = "FLEET_SYNTH_CRASH";

/// A `synth` task's input.
pub fn encode_input(sleep_us: u32, seed: u64) -> Vec<u8> {
    let mut v = sleep_us.to_le_bytes().to_vec();
    v.extend_from_slice(&seed.to_le_bytes());
    v
}

fn decode_input(input: &[u8]) -> Result<(u32, u64), TaskError> {
    if input.len() != 12 {
        return Err(TaskError::new(format!(
            "synthetic input must be 12 bytes, got {}",
            input.len()
        )));
    }
    let sleep = u32::from_le_bytes(input[..4].try_into().expect("4 bytes"));
    let seed = u64::from_le_bytes(input[4..].try_into().expect("8 bytes"));
    Ok((sleep, seed))
}

/// The output a `synth` task must produce: FNV-1a over the input and each predecessor output,
/// each prefixed by its length.
pub fn digest(input: &[u8], deps: &[&[u8]]) -> Vec<u8> {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    let mut feed = |bytes: &[u8]| {
        for &b in (bytes.len() as u64).to_le_bytes().iter().chain(bytes) {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0000_0100_0000_01b3);
        }
    };
    feed(input);
    for d in deps {
        feed(d);
    }
    h.to_le_bytes().to_vec()
}

/// The synthetic handler.
#[derive(Clone, Debug, Default)]
pub struct SyntheticHandler {
    /// Probability that a `synth` task aborts the process.
    pub crash_probability: f64,
}

impl TaskHandler for SyntheticHandler {
    fn run(&self, task: &TaskInput<'_>) -> Result<Vec<u8>, TaskError> {
        match task.kind {
            "synth" => {
                let (sleep_us, _) = decode_input(task.input)?;
                let half = Duration::from_micros(u64::from(sleep_us) / 2);
                std::thread::sleep(half);
                if self.crash_probability > 0.0 && rand::random::<f64>() < self.crash_probability {
                    eprintln!("synthetic worker: crashing in task {}", task.name);
                    std::process::abort();
                }
                std::thread::sleep(Duration::from_micros(u64::from(sleep_us)) - half);
                Ok(digest(task.input, task.deps))
            }
            "fail" => Err(TaskError::new(format!("{}: synthetic failure", task.name))),
            "panic" => panic!("{}: synthetic panic", task.name),
            other => Err(TaskError::new(format!("unknown synthetic kind {other:?}"))),
        }
    }
}
