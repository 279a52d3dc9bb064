//! Loom model of the join-counter release and the queue hand-off (run with
//! `RUSTFLAGS="--cfg loom" cargo test -p scheduler --test loom_release --release`).
//!
//! Two predecessors finish concurrently; each writes its output (a relaxed store, so only the
//! counter's ordering can make it visible) and arrives on the successor's counter. Exactly one
//! of them must release the successor, and the thread that takes the successor from the queue
//! must see both outputs.
#![cfg(loom)]

use loom::sync::atomic::{AtomicUsize, Ordering};
use loom::sync::{Arc, Mutex};
use loom::thread;
use scheduler::executor::release::{release_successors, JoinCounter};

#[test]
fn two_predecessors_release_the_successor_exactly_once() {
    let mut model = loom::model::Builder::new();
    // Bounding preemptions at 3 (as tokio's loom tests do) keeps the search to seconds; every
    // ordering bug in this protocol needs at most 2 (and the bound still catches a `Relaxed`
    // counter, which is how this test was checked).
    model.preemption_bound = Some(3);
    model.check(|| {
        // counters[0] belongs to the successor (task 0 in this toy graph).
        let counters = Arc::new([JoinCounter::new(2)]);
        let outputs = Arc::new([AtomicUsize::new(0), AtomicUsize::new(0)]);
        let queue: Arc<Mutex<Vec<usize>>> = Arc::new(Mutex::new(Vec::new()));
        let releases = Arc::new(AtomicUsize::new(0));

        let preds: Vec<_> = (0..2)
            .map(|i| {
                let (counters, outputs, queue, releases) = (
                    counters.clone(),
                    outputs.clone(),
                    queue.clone(),
                    releases.clone(),
                );
                thread::spawn(move || {
                    outputs[i].store(i + 10, Ordering::Relaxed);
                    release_successors(&[0], &counters[..], |s| {
                        releases.fetch_add(1, Ordering::Relaxed);
                        queue.lock().unwrap().push(s);
                    });
                })
            })
            .collect();

        // The consumer: a worker that looks at the queue once; loom explores every moment at
        // which it may do so, including right after the releaser's push.
        let consumer = {
            let (outputs, queue) = (outputs.clone(), queue.clone());
            thread::spawn(move || {
                if let Some(task) = queue.lock().unwrap().pop() {
                    assert_eq!(task, 0);
                    assert_eq!(
                        outputs[0].load(Ordering::Relaxed),
                        10,
                        "output of pred 0 not visible"
                    );
                    assert_eq!(
                        outputs[1].load(Ordering::Relaxed),
                        11,
                        "output of pred 1 not visible"
                    );
                }
            })
        };
        for p in preds {
            p.join().unwrap();
        }
        consumer.join().unwrap();
        assert_eq!(releases.load(Ordering::Relaxed), 1);
        assert!(counters[0].is_ready());
    });
}

#[test]
fn one_predecessor_releases_two_successors() {
    loom::model(|| {
        let counters = Arc::new([JoinCounter::new(1), JoinCounter::new(2)]);
        let released = Arc::new(Mutex::new(Vec::new()));
        let handles: Vec<_> = [vec![0usize, 1], vec![1]]
            .into_iter()
            .map(|succs| {
                let (counters, released) = (counters.clone(), released.clone());
                thread::spawn(move || {
                    release_successors(&succs, &counters[..], |s| released.lock().unwrap().push(s));
                })
            })
            .collect();
        for h in handles {
            h.join().unwrap();
        }
        let mut r = released.lock().unwrap().clone();
        r.sort();
        assert_eq!(r, vec![0, 1]);
    });
}
