//! Admission of searches: at most a few run at once, the others wait their
//! turn in arrival order.
//!
//! A search is CPU work. With every request of a busy site searching at
//! once, the cores are shared among all of them and each takes as long as
//! all of them together; the expensive ones (a long question) take many
//! times longer still. Running a few at a time, first come first served,
//! gets the same work done with less switching between them, and every
//! search waits about as long as the others: the slowest searches stop
//! being many times slower than the typical one.

use std::sync::{Condvar, Mutex};

/// Lets at most `permits` holders through at once, first come first served.
#[derive(Debug)]
pub struct SearchGate {
    permits: u64,
    state: Mutex<Turns>,
    turn: Condvar,
}

#[derive(Debug, Default)]
struct Turns {
    /// Tickets handed out.
    issued: u64,
    /// Holders that left.
    finished: u64,
}

/// A holder's right to run; leaving the scope lets the next one in.
#[must_use]
#[derive(Debug)]
pub struct Pass<'a> {
    gate: &'a SearchGate,
}

impl SearchGate {
    /// A gate for `permits` holders at once (at least one).
    pub fn new(permits: usize) -> SearchGate {
        SearchGate {
            permits: permits.max(1) as u64,
            state: Mutex::new(Turns::default()),
            turn: Condvar::new(),
        }
    }

    /// A gate sized for this machine: one and a half holders per core plus
    /// one (a search that waits for the disk leaves its core to another).
    pub fn for_this_machine() -> SearchGate {
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        SearchGate::new(cores * 3 / 2 + 1)
    }

    /// Holders let through at once.
    pub fn permits(&self) -> usize {
        self.permits as usize
    }

    /// Waits for this caller's turn.
    pub fn enter(&self) -> Pass<'_> {
        // A poisoned lock only means another holder panicked; the counts
        // are still consistent, so keep going.
        let mut turns = self.state.lock().unwrap_or_else(|e| e.into_inner());
        let ticket = turns.issued;
        turns.issued += 1;
        while ticket >= turns.finished + self.permits {
            turns = self.turn.wait(turns).unwrap_or_else(|e| e.into_inner());
        }
        Pass { gate: self }
    }
}

impl Drop for Pass<'_> {
    fn drop(&mut self) {
        let mut turns = self.gate.state.lock().unwrap_or_else(|e| e.into_inner());
        turns.finished += 1;
        drop(turns);
        self.gate.turn.notify_all();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::Duration;

    #[test]
    fn no_more_than_the_permits_run_at_once() {
        let gate = SearchGate::new(2);
        let running = AtomicUsize::new(0);
        let most = AtomicUsize::new(0);
        std::thread::scope(|scope| {
            for _ in 0..8 {
                scope.spawn(|| {
                    for _ in 0..5 {
                        let _pass = gate.enter();
                        let now = running.fetch_add(1, Ordering::SeqCst) + 1;
                        most.fetch_max(now, Ordering::SeqCst);
                        std::thread::sleep(Duration::from_millis(1));
                        running.fetch_sub(1, Ordering::SeqCst);
                    }
                });
            }
        });
        assert_eq!(most.load(Ordering::SeqCst), 2);
        assert_eq!(running.load(Ordering::SeqCst), 0);
    }

    #[test]
    fn waiting_callers_go_in_arrival_order() {
        let gate = SearchGate::new(1);
        let order = Mutex::new(Vec::new());
        let first = gate.enter();
        std::thread::scope(|scope| {
            for id in 0..4 {
                // Each waiter takes its ticket before the next one starts.
                let issued = gate.state.lock().map(|t| t.issued).unwrap_or(0);
                let (gate, order) = (&gate, &order);
                scope.spawn(move || {
                    let _pass = gate.enter();
                    order.lock().expect("order").push(id);
                });
                while gate.state.lock().map(|t| t.issued).unwrap_or(0) == issued {
                    std::thread::yield_now();
                }
            }
            drop(first);
        });
        assert_eq!(order.into_inner().expect("order"), vec![0, 1, 2, 3]);
    }

    #[test]
    fn a_machine_sized_gate_lets_several_through() {
        assert!(SearchGate::for_this_machine().permits() >= 2);
        assert_eq!(SearchGate::new(0).permits(), 1);
    }
}
