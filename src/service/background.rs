//! A named background thread that is told to stop, woken and joined when
//! its handle is dropped (the search indexer, the synonyms reload).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, Receiver, Sender};
use std::sync::Arc;
use std::thread::JoinHandle;

use crate::error::{AppError, AppResult};

/// What the thread's body is handed: the stop flag (set when the handle is
/// dropped) and the receiving end of its wake-up channel.
pub struct Control {
    /// Set when the thread should end.
    pub stop: Arc<AtomicBool>,
    /// Wake-ups; one arrives when the handle is dropped.
    pub wake: Receiver<()>,
}

impl Control {
    /// Whether the thread should end.
    pub fn stopping(&self) -> bool {
        self.stop.load(Ordering::SeqCst)
    }
}

/// A running background thread; stops and joins when dropped.
pub struct BackgroundThread {
    stop: Arc<AtomicBool>,
    wake: Sender<()>,
    handle: Option<JoinHandle<()>>,
}

impl BackgroundThread {
    /// Starts `body` on a thread called `name`.
    pub fn spawn(
        name: &str,
        body: impl FnOnce(Control) + Send + 'static,
    ) -> AppResult<BackgroundThread> {
        let (wake, receiver) = mpsc::channel();
        let stop = Arc::new(AtomicBool::new(false));
        let control = Control {
            stop: stop.clone(),
            wake: receiver,
        };
        let handle = std::thread::Builder::new()
            .name(name.to_string())
            .spawn(move || body(control))
            .map_err(AppError::internal)?;
        Ok(BackgroundThread {
            stop,
            wake,
            handle: Some(handle),
        })
    }

    /// A sender that wakes the thread.
    pub fn waker(&self) -> Sender<()> {
        self.wake.clone()
    }
}

impl Drop for BackgroundThread {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        let _ = self.wake.send(());
        if let Some(handle) = self.handle.take() {
            let _ = handle.join();
        }
    }
}
