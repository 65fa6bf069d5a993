//! Admission of searches: at most a few run at once, the others wait their
//! turn in arrival order, for a bounded time.
//!
//! A search is CPU work. With every request of a busy site searching at
//! once, the cores are shared among all of them and each takes as long as
//! all of them together; the expensive ones (a long question) take many
//! times longer still. Running a few at a time, first come first served,
//! gets the same work done with less switching between them, and every
//! search waits about as long as the others: the slowest searches stop
//! being many times slower than the typical one.
//!
//! The server waits for its turn without holding a thread
//! ([`SearchGate::enter_within`]): a waiting search takes no place on the
//! blocking pool, which the database queries of every other page need, and
//! gives up when its deadline passes (the page then says to try again).
//! Commands and benchmarks, which run outside the server, wait on their own
//! thread ([`SearchGate::enter`]).

use std::future::Future;
use std::pin::pin;
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};
use std::time::Duration;

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// Lets at most `permits` holders through at once, first come first served.
#[derive(Debug)]
pub struct SearchGate {
    permits: usize,
    turns: Arc<Semaphore>,
}

/// A holder's right to run; dropping it lets the next one in. It can be
/// moved to the thread that runs the search.
#[must_use]
#[derive(Debug)]
pub struct Pass {
    /// `None` only if the gate was closed, which nothing does.
    _permit: Option<OwnedSemaphorePermit>,
}

impl SearchGate {
    /// A gate for `permits` holders at once (at least one).
    pub fn new(permits: usize) -> SearchGate {
        let permits = permits.clamp(1, Semaphore::MAX_PERMITS);
        SearchGate {
            permits,
            turns: Arc::new(Semaphore::new(permits)),
        }
    }

    /// A gate sized for this machine: one and a half holders per core plus
    /// one (a search that waits for the disk leaves its core to another).
    /// One per core was measured too (1,000,000 posts, 2 cores, 32 clients
    /// over HTTP while other processes loaded the machine): no less
    /// processor time per search, and a worse p99 in most rounds.
    pub fn for_this_machine() -> SearchGate {
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        SearchGate::new(cores * 3 / 2 + 1)
    }

    /// A gate for `holders` at once as configured (`search_concurrency`):
    /// 0 means [`SearchGate::for_this_machine`].
    pub fn configured(holders: usize) -> SearchGate {
        match holders {
            0 => SearchGate::for_this_machine(),
            n => SearchGate::new(n),
        }
    }

    /// Holders let through at once.
    pub fn permits(&self) -> usize {
        self.permits
    }

    /// Waits for this caller's turn, at most `wait`, without holding a
    /// thread; `None` when the deadline passed first (the caller's place in
    /// line goes to the next one). Needs the server's async runtime (its
    /// timer).
    pub async fn enter_within(&self, wait: Duration) -> Option<Pass> {
        let turn = self.turns.clone().acquire_owned();
        match tokio::time::timeout(wait, turn).await {
            Ok(permit) => Some(Pass {
                _permit: permit.ok(),
            }),
            Err(_elapsed) => None,
        }
    }

    /// Waits for this caller's turn on this thread, in the same line as
    /// [`SearchGate::enter_within`]: for commands, benchmarks and tests,
    /// never for the server's worker threads.
    pub fn enter(&self) -> Pass {
        Pass {
            _permit: block_on(self.turns.clone().acquire_owned()).ok(),
        }
    }
}

/// Runs `future` to completion on this thread, sleeping while it waits.
fn block_on<F: Future>(future: F) -> F::Output {
    /// Wakes the waiting thread.
    struct Unpark(std::thread::Thread);
    impl Wake for Unpark {
        fn wake(self: Arc<Self>) {
            self.0.unpark();
        }
    }
    let waker = Waker::from(Arc::new(Unpark(std::thread::current())));
    let mut context = Context::from_waker(&waker);
    let mut future = pin!(future);
    loop {
        if let Poll::Ready(output) = future.as_mut().poll(&mut context) {
            return output;
        }
        std::thread::park();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::RefCell;
    use std::rc::Rc;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::Instant;

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
        actix_web::rt::System::new().block_on(async {
            let gate = Rc::new(SearchGate::new(1));
            let order = Rc::new(RefCell::new(Vec::new()));
            let first = gate.enter();
            let mut waiting = Vec::new();
            for id in 0..4 {
                let (gate, order) = (gate.clone(), order.clone());
                waiting.push(actix_web::rt::spawn(async move {
                    let pass = gate.enter_within(Duration::from_secs(600)).await;
                    assert!(pass.is_some(), "waiter {id} got its turn");
                    order.borrow_mut().push(id);
                    // Holds its turn across a switch to the other tasks.
                    actix_web::rt::task::yield_now().await;
                }));
                // Each waiter takes its place in line before the next starts.
                actix_web::rt::task::yield_now().await;
            }
            drop(first);
            for task in waiting {
                assert!(task.await.is_ok());
            }
            assert_eq!(*order.borrow(), vec![0, 1, 2, 3]);
        });
    }

    #[test]
    fn a_waiter_gives_up_at_its_deadline_and_leaves_the_line() {
        actix_web::rt::System::new().block_on(async {
            let gate = SearchGate::new(1);
            let held = gate.enter();
            let started = Instant::now();
            assert!(gate.enter_within(Duration::from_millis(50)).await.is_none());
            assert!(started.elapsed() >= Duration::from_millis(50));
            drop(held);
            // The one that gave up holds no place: the next gets in at once.
            let pass = gate.enter_within(Duration::from_secs(600)).await;
            assert!(pass.is_some());
            // And while it runs, the gate is full again.
            assert!(gate.enter_within(Duration::ZERO).await.is_none());
            drop(pass);
            assert!(gate.enter_within(Duration::ZERO).await.is_some());
        });
    }

    #[test]
    fn a_blocked_thread_is_woken_when_a_turn_frees() {
        let gate = SearchGate::new(1);
        let held = gate.enter();
        std::thread::scope(|scope| {
            let waiter = scope.spawn(|| {
                let _pass = gate.enter();
                Instant::now()
            });
            std::thread::sleep(Duration::from_millis(20));
            let freed = Instant::now();
            drop(held);
            let entered = waiter.join().expect("waiter");
            assert!(
                entered >= freed,
                "the waiter entered only after the turn freed"
            );
        });
    }

    #[test]
    fn a_machine_sized_gate_lets_several_through() {
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        assert_eq!(SearchGate::for_this_machine().permits(), cores * 3 / 2 + 1);
        assert_eq!(
            SearchGate::configured(0).permits(),
            SearchGate::for_this_machine().permits()
        );
        assert_eq!(SearchGate::configured(3).permits(), 3);
        assert_eq!(SearchGate::new(0).permits(), 1);
    }
}
