//! `Dispatch::Sequential`: one task at a time on one thread of the flat pool (the whole loop
//! runs inside `flat.install`), so each task's own rayon parallelism can use every worker and
//! no cross-thread hand-off is paid per task.

use super::state::RunState;

impl RunState {
    /// Runs `order` on the calling thread, which must be a flat-pool thread. An order that is not topological is reported as an
    /// invalid dispatch rather than run out of dependency order.
    pub(crate) fn run_sequential(&self, order: &[usize]) -> Result<(), String> {
        let n = self.slots.len();
        let mut seen = vec![false; n];
        if order.len() != n {
            return Err(format!(
                "sequential order has {} tasks, the graph {n}",
                order.len()
            ));
        }
        for &t in order {
            if t >= n || std::mem::replace(&mut seen[t], true) {
                return Err(format!(
                    "sequential order lists task #{t} twice or out of range"
                ));
            }
        }
        for &task in order {
            if self.stopping() {
                break;
            }
            let t = &self.shape.tasks[task];
            if !self.slots[task].pending.is_ready() {
                return Err(format!(
                    "sequential order runs {:?} before its predecessors",
                    t.name
                ));
            }
            if let Some(adm) = &self.admission {
                // Never waits (nothing else runs); logs oversized tasks.
                adm.start_blocking(&t.name, t.peak_mem_bytes, || false);
            }
            let ok = self.run_body(task, self.pools.flat.current_thread_index().unwrap_or(0));
            if let Some(adm) = &self.admission {
                adm.finish(t.peak_mem_bytes);
            }
            if !ok {
                break;
            }
            for &s in &self.shape.succs[task] {
                if self.slots[s].pending.arrive() {
                    self.mark_ready(s, None);
                }
            }
        }
        Ok(())
    }
}
