//! Background threads: a named thread with a stop flag and a wake-up
//! channel, stopped and joined when its handle is dropped. The search
//! indexer, the job worker, the synonyms reload, the content reload, the
//! page cache's change feed and the search log writer are such threads.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, Receiver, Sender};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use crate::error::{AppError, AppResult};

/// Wakes a background thread; cheap to clone, never blocks.
#[derive(Debug, Clone)]
pub struct Wake(Sender<()>);

impl Wake {
    /// Tells the thread there is work.
    pub fn notify(&self) {
        let _ = self.0.send(());
    }
}

/// What the thread's body gets: whether to stop, and a way to sleep until
/// woken.
pub struct Control {
    stop: Arc<AtomicBool>,
    wake: Receiver<()>,
}

impl Control {
    /// Whether the handle was dropped: finish the work in hand and return.
    pub fn stopping(&self) -> bool {
        self.stop.load(Ordering::SeqCst)
    }

    /// Sleeps until woken or until `timeout` passes; wake-ups that came
    /// meanwhile are consumed.
    pub fn wait(&self, timeout: Duration) {
        let _ = self.wake.recv_timeout(timeout);
        while self.wake.try_recv().is_ok() {}
    }
}

/// A running background thread; stopped and joined when dropped.
pub struct Background {
    stop: Arc<AtomicBool>,
    wake: Wake,
    handle: Option<JoinHandle<()>>,
}

impl Background {
    /// Starts `body` on a thread called `name`.
    pub fn spawn(name: &str, body: impl FnOnce(Control) + Send + 'static) -> AppResult<Self> {
        let (tx, rx) = mpsc::channel();
        let stop = Arc::new(AtomicBool::new(false));
        let control = Control {
            stop: stop.clone(),
            wake: rx,
        };
        let handle = std::thread::Builder::new()
            .name(name.into())
            .spawn(move || body(control))
            .map_err(AppError::internal)?;
        Ok(Background {
            stop,
            wake: Wake(tx),
            handle: Some(handle),
        })
    }

    /// Starts a thread called `name` that runs `tick` every `interval`, and
    /// at once when woken, until the handle is dropped (a tick in progress
    /// finishes first; none starts after).
    pub fn every(
        name: &str,
        interval: Duration,
        mut tick: impl FnMut() + Send + 'static,
    ) -> AppResult<Self> {
        Self::spawn(name, move |control| loop {
            control.wait(interval);
            if control.stopping() {
                break;
            }
            tick();
        })
    }

    /// A handle that wakes the thread.
    pub fn wake(&self) -> Wake {
        self.wake.clone()
    }
}

impl Drop for Background {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        self.wake.notify();
        if let Some(handle) = self.handle.take() {
            let _ = handle.join();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicUsize;

    #[test]
    fn every_ticks_on_time_and_when_woken_and_never_after_the_drop() {
        let ticks = Arc::new(AtomicUsize::new(0));
        let counted = ticks.clone();
        // An interval no test run reaches: only wake-ups tick.
        let thread = Background::every("test-every", Duration::from_secs(3600), move || {
            counted.fetch_add(1, Ordering::SeqCst);
        })
        .expect("thread");
        assert_eq!(
            ticks.load(Ordering::SeqCst),
            0,
            "no tick before the interval"
        );
        thread.wake().notify();
        let deadline = std::time::Instant::now() + Duration::from_secs(30);
        while ticks.load(Ordering::SeqCst) == 0 && std::time::Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(5));
        }
        assert_eq!(ticks.load(Ordering::SeqCst), 1, "woken: one tick");
        drop(thread);
        assert_eq!(
            ticks.load(Ordering::SeqCst),
            1,
            "the drop wakes it only to stop"
        );

        let ticks = Arc::new(AtomicUsize::new(0));
        let counted = ticks.clone();
        let thread = Background::every("test-every", Duration::from_millis(1), move || {
            counted.fetch_add(1, Ordering::SeqCst);
        })
        .expect("thread");
        let deadline = std::time::Instant::now() + Duration::from_secs(30);
        while ticks.load(Ordering::SeqCst) < 3 && std::time::Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(5));
        }
        drop(thread);
        assert!(ticks.load(Ordering::SeqCst) >= 3, "ticks on its interval");
    }
}
