//! Background threads: a named thread with a stop flag and a wake-up
//! channel, stopped and joined when its handle is dropped. The search
//! indexer, the job worker, the synonyms reload and the content reload are four.

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
