//! Memory the process freed but the allocator kept: handed back to the
//! system after work that needed much of it once (a full index rebuild).
//!
//! glibc's allocator keeps freed memory in its arenas (one per thread that
//! allocated, up to 8 per core) and returns it only from the top of the
//! main heap. A server that rebuilt its whole index at start kept about
//! 300–450 MB of anonymous memory afterwards that nothing used: the index
//! writer's and its merge threads' buffers, freed, still counted in RSS.

/// Hands memory freed by the allocator back to the operating system (the
/// free pages of every arena). Takes a few milliseconds; call it after
/// large, rare work, not per request. Does nothing off glibc.
pub fn return_freed_heap() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        // SAFETY: `malloc_trim` takes a plain integer (how much free space
        // to leave at the top of the heap), touches no memory of ours, and
        // is thread-safe: it takes each arena's lock as malloc and free do.
        // It only releases pages the allocator already counts as free.
        unsafe {
            libc::malloc_trim(0);
        }
    }
}

#[cfg(test)]
mod tests {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    #[test]
    fn freed_heap_goes_back_to_the_system() {
        use std::fs;

        fn anonymous_kb() -> Option<u64> {
            let status = fs::read_to_string("/proc/self/status").ok()?;
            let line = status.lines().find(|l| l.starts_with("RssAnon:"))?;
            line.split_whitespace().nth(1)?.parse().ok()
        }

        // Many small blocks (below the mmap threshold, so they live in an
        // arena) allocated on a thread of their own, touched, then freed
        // except one block at the end, which keeps the arena from shrinking
        // by itself.
        let (kept, before) = std::thread::spawn(|| {
            let mut blocks: Vec<Vec<u8>> = (0..40_000).map(|i| vec![i as u8; 4_000]).collect();
            let kept = blocks.pop();
            drop(blocks);
            (kept, anonymous_kb())
        })
        .join()
        .expect("the allocating thread");
        let (Some(before), Some(kept)) = (before, kept) else {
            return; // no /proc: nothing to measure
        };
        super::return_freed_heap();
        let after = anonymous_kb().expect("RssAnon");
        assert!(
            after + 100_000 < before,
            "about 160 MB freed should leave: {before} kB before, {after} kB after"
        );
        assert_eq!(kept.len(), 4_000);
    }
}
