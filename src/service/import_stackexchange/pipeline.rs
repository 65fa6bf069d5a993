//! An ordered worker pool on std threads and channels: one thread produces
//! items, a pool of workers turns each into a result, and the calling thread
//! consumes the results in the order the items were produced. The import
//! reads the dump on the producer thread, sanitizes post bodies on the
//! workers and writes to the database on the calling thread, which keeps the
//! connection and the transaction batching.
//!
//! Memory stays bounded: the producer blocks once `2 × workers` items wait
//! for a worker or for the consumer. Each item carries its own one-slot
//! answer channel, and those channels reach the consumer in production
//! order, so no reordering buffer can grow.

use std::sync::mpsc::{sync_channel, Receiver, SyncSender};
use std::sync::{Arc, Mutex};

/// Hands one produced item to the pool; `false` once the consumer has
/// stopped (the producer should stop too).
pub(super) type Handover<'a, I> = &'a mut dyn FnMut(I) -> bool;

/// Threads to sanitize on: one per core the process may use.
pub(super) fn default_workers() -> usize {
    std::thread::available_parallelism().map_or(2, |n| n.get())
}

/// Runs `produce` on its own thread, `work` on `workers` threads and
/// `consume` on this one, in production order. The first error wins: an
/// error of `consume` stops the producer at its next item; an error of
/// `produce` is returned once every item it sent has been consumed.
pub(super) fn ordered<I, O, E>(
    workers: usize,
    produce: impl FnOnce(Handover<'_, I>) -> Result<(), E> + Send,
    work: impl Fn(I) -> O + Sync,
    mut consume: impl FnMut(O) -> Result<(), E>,
) -> Result<(), E>
where
    I: Send,
    O: Send,
    E: Send,
{
    let workers = workers.max(1);
    let (job_tx, job_rx) = sync_channel::<(I, SyncSender<O>)>(workers);
    let (order_tx, order_rx) = sync_channel::<Receiver<O>>(workers);
    // Shared by the workers only, so that it closes if every worker has
    // panicked and a producer waiting to queue a job is let go.
    let job_rx = Arc::new(Mutex::new(job_rx));
    let work = &work;
    std::thread::scope(|scope| {
        let producer = scope.spawn(move || {
            let mut send = |item: I| {
                let (answer_tx, answer_rx) = sync_channel(1);
                order_tx.send(answer_rx).is_ok() && job_tx.send((item, answer_tx)).is_ok()
            };
            produce(&mut send)
        });
        for _ in 0..workers {
            let job_rx = Arc::clone(&job_rx);
            scope.spawn(move || loop {
                // The lock is held only while waiting for the next job.
                let job = match job_rx.lock() {
                    Ok(jobs) => jobs.recv(),
                    Err(_) => return,
                };
                let Ok((item, answer)) = job else { return };
                // The consumer may have stopped; the result is then not needed.
                let _ = answer.send(work(item));
            });
        }
        drop(job_rx);
        let mut consumed = Ok(());
        for answer in order_rx.iter() {
            // A worker that panicked drops its answer channel; the scope
            // re-raises that panic when it joins the threads.
            let Ok(result) = answer.recv() else { break };
            consumed = consume(result);
            if consumed.is_err() {
                break;
            }
        }
        // Stops a producer still sending, which then lets the workers go.
        drop(order_rx);
        let produced = producer
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        consumed.and(produced)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn results_come_in_production_order_whatever_the_work_takes() {
        let mut seen = Vec::new();
        let result: Result<(), String> = ordered(
            4,
            |send| {
                for i in 0..200u64 {
                    if !send(i) {
                        return Err("stopped early".into());
                    }
                }
                Ok(())
            },
            |i| {
                // Early items take longest, so later ones finish first.
                std::thread::sleep(Duration::from_micros((200 - i) * 20));
                i * 10
            },
            |o| {
                seen.push(o);
                Ok(())
            },
        );
        assert_eq!(result, Ok(()));
        assert_eq!(seen, (0..200).map(|i| i * 10).collect::<Vec<_>>());
    }

    #[test]
    fn a_consumer_error_stops_the_producer_and_is_returned() {
        let produced = std::sync::atomic::AtomicU64::new(0);
        let mut consumed = Vec::new();
        let result: Result<(), String> = ordered(
            2,
            |send| {
                for i in 0..1_000_000u64 {
                    produced.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    if !send(i) {
                        return Ok(());
                    }
                }
                Err("the producer was never stopped".into())
            },
            |i| i,
            |o| {
                consumed.push(o);
                if o == 5 {
                    Err(format!("failed at {o}"))
                } else {
                    Ok(())
                }
            },
        );
        assert_eq!(result, Err("failed at 5".to_string()));
        assert_eq!(consumed, [0, 1, 2, 3, 4, 5]);
        // Bounded: only the queued items were produced past the failure.
        assert!(produced.load(std::sync::atomic::Ordering::Relaxed) < 100);
    }

    #[test]
    fn a_producer_error_comes_after_everything_it_sent() {
        let mut consumed = Vec::new();
        let result: Result<(), String> = ordered(
            3,
            |send| {
                for i in 0..10u32 {
                    send(i);
                }
                Err("file ends early".into())
            },
            |i| i + 1,
            |o| {
                consumed.push(o);
                Ok(())
            },
        );
        assert_eq!(result, Err("file ends early".to_string()));
        assert_eq!(consumed, (1..=10).collect::<Vec<_>>());
    }
}
