//! Memory the process freed but the allocator kept: handed back to the
//! system after work that needed much of it once (a full index rebuild).
//!
//! glibc's allocator keeps freed memory in its arenas (one per thread that
//! allocated, up to 8 per core) and returns it only from the top of the
//! main heap. A server that rebuilt its whole index at start kept about
//! 300–450 MB of anonymous memory afterwards that nothing used: the index
//! writer's and its merge threads' buffers, freed, still counted in RSS.
//! And large blocks are mapped apart from the arenas, so a password hash's
//! 19 MiB goes back when it is freed ([`map_large_blocks_apart`]).

/// Blocks of at least this many bytes are mapped on their own and
/// unmapped when freed (a password hash's 19 MiB of argon2 memory).
const LARGE_BLOCK: i32 = 16 << 20;

/// Free space at the top of a heap above which glibc gives it back.
const TRIM_ABOVE: i32 = 32 << 20;

/// Fixes glibc's thresholds for the process: blocks of 16 MiB and more are
/// mapped apart and given back when freed. Left to itself, glibc raises
/// its threshold to the size of the first such block freed, so the next
/// ones come from the arena of the thread that asked and stay there: every
/// blocking thread that once checked a password kept its 19 MiB (two
/// sign-ins on a fresh server: +38 MB of anonymous memory). The trim
/// threshold is set to twice the block size, where glibc's own raise would
/// take it. Called once at start, before any thread allocates much; does
/// nothing off glibc.
pub fn map_large_blocks_apart() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        // SAFETY: `mallopt` takes two plain integers, touches no memory of
        // ours and takes the allocator's lock; an unknown or refused
        // setting returns 0 and changes nothing.
        let set = unsafe {
            libc::mallopt(libc::M_MMAP_THRESHOLD, LARGE_BLOCK)
                + libc::mallopt(libc::M_TRIM_THRESHOLD, TRIM_ABOVE)
        };
        if set != 2 {
            log::warn!("the allocator refused its large-block thresholds");
        }
    }
}

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
    /// This process's anonymous resident memory in kB, from /proc.
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    fn anonymous_kb() -> Option<u64> {
        let status = std::fs::read_to_string("/proc/self/status").ok()?;
        let line = status.lines().find(|l| l.starts_with("RssAnon:"))?;
        line.split_whitespace().nth(1)?.parse().ok()
    }

    /// Password hashes on several threads one after the other (as the
    /// blocking pool runs sign-ins) leave no 19 MiB block per thread behind. Measured
    /// in a child process running only this test, so other tests'
    /// allocations do not blur the figure.
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    #[test]
    fn password_hashes_give_their_memory_back() {
        const CHILD: &str = "SIGNPOST_MEMORY_CHILD";
        if std::env::var_os(CHILD).is_none() {
            let exe = std::env::current_exe().expect("test binary");
            let out = std::process::Command::new(exe)
                .args([
                    "memory::tests::password_hashes_give_their_memory_back",
                    "--exact",
                    "--test-threads=1",
                    "--nocapture",
                ])
                .env(CHILD, "1")
                .output()
                .expect("child test process");
            let text = String::from_utf8_lossy(&out.stdout);
            let errors = String::from_utf8_lossy(&out.stderr);
            assert!(out.status.success(), "child failed: {text}{errors}");
            assert!(text.contains("1 passed"), "child ran no test: {text}");
            return;
        }
        use crate::auth::password::hash;
        super::map_large_blocks_apart();
        // Without the fixed threshold, the first hash would raise glibc's.
        hash("warming up the allocator").expect("hash");
        let before = anonymous_kb().unwrap_or(0);
        for n in 0..4 {
            std::thread::spawn(move || hash(&format!("password number {n}")).expect("hash"))
                .join()
                .expect("hashing thread");
        }
        let after = anonymous_kb().unwrap_or(0);
        assert!(before > 0, "no RssAnon in /proc/self/status");
        assert!(
            after < before + 10 * 1024,
            "four hashes on four threads kept {} kB ({before} kB before, {after} kB after)",
            after.saturating_sub(before)
        );
    }

    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    #[test]
    fn freed_heap_goes_back_to_the_system() {
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
