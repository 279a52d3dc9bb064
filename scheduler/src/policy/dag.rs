//! `dag`: critical path first, with locality and work stealing.

use super::Policy;
use crate::analysis;
use crate::shape::{DagShape, Dispatch};

/// Critical-path-first dispatch: the priority of a task is its bottom level (its cost plus the
/// longest cost path after it), so the tasks that bound the makespan start first. Locality
/// hints are honoured unless `locality` is false.
#[derive(Clone, Copy, Debug)]
pub(crate) struct DagPriority {
    /// Whether to honour [`crate::shape::TaskShape::locality`] hints.
    pub(crate) locality: bool,
}

impl Default for DagPriority {
    fn default() -> Self {
        DagPriority { locality: true }
    }
}

impl Policy for DagPriority {
    fn name(&self) -> &'static str {
        "dag"
    }

    fn dispatch(&self, shape: &DagShape, _workers: usize) -> Dispatch {
        let priority = analysis::bottom_levels(shape).unwrap_or_else(|_| vec![0.0; shape.len()]);
        Dispatch::Priority {
            priority,
            locality: self.locality,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::shape::TaskShape;

    #[test]
    fn priority_is_bottom_level() {
        let t = |name: &str, cost_s| TaskShape {
            name: name.into(),
            kind: "k".into(),
            cost_s,
            max_threads: 1,
            peak_mem_bytes: 0,
            locality: None,
        };
        // a -> b, a -> c; b costs more, so a > b > c.
        let shape = DagShape {
            tasks: vec![t("a", 1.0), t("b", 5.0), t("c", 2.0)],
            preds: vec![vec![], vec![0], vec![0]],
            succs: vec![vec![1, 2], vec![], vec![]],
        };
        let Dispatch::Priority { priority, locality } = DagPriority::default().dispatch(&shape, 2)
        else {
            panic!("dag must dispatch by priority")
        };
        assert!(locality);
        assert_eq!(priority, vec![6.0, 5.0, 2.0]);
    }
}
