//! Where the index files are read from: mapped into memory, except the
//! stored text.
//!
//! Posting lists, positions, columns and the term dictionary are mapped
//! (for reading at random, see [`IndexDirectory::open`]): searches walk
//! them, and a mapped read costs no copy. The stored text (`.store`) is only
//! read for the page of results a search shows, one compressed block per
//! result; mapped, each such read also mapped the already-cached pages
//! around it (the kernel's fault-around, 64 KiB), and at 1,000,000 posts
//! that kept about 35 MB of the store resident in the server after a few
//! dozen searches, for nothing. Its small reads are positional reads
//! instead (a copy of a few KiB into the block tantivy decompresses anyway),
//! which leave the file in the kernel's cache and out of the server's
//! memory; reads of a MiB or more (a merge copying whole stores) still go
//! through the map. The store's block index (tens of KiB per segment) is
//! thereby copied to the heap when a searcher opens the segment. Elsewhere
//! than on Unix every file is mapped.

use std::fs::File;
use std::ops::Range;
#[cfg(unix)]
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use tantivy::directory::error::{DeleteError, LockError, OpenReadError, OpenWriteError};
use tantivy::directory::{
    Advice, Directory, DirectoryLock, FileHandle, Lock, MmapDirectory, OwnedBytes, WatchCallback,
    WatchHandle, WritePtr,
};
use tantivy::HasLen;

/// Reads of at least this many bytes of a stored-text file use the map.
const LARGE_READ: usize = 1 << 20;

/// The index directory (see the module documentation).
#[derive(Debug, Clone)]
pub struct IndexDirectory {
    mapped: MmapDirectory,
    root: PathBuf,
}

impl IndexDirectory {
    /// The index in `dir`. Its files are mapped for reading at random: a
    /// search reads a few blocks of each long posting list and column, and
    /// without the hint the kernel reads ahead around every one.
    pub fn open(dir: &Path) -> tantivy::Result<IndexDirectory> {
        let mapped = MmapDirectory::open_with_madvice(dir, Advice::Random)?;
        Ok(IndexDirectory {
            mapped,
            root: dir.canonicalize()?,
        })
    }
}

/// Whether `path` holds a segment's stored text.
fn is_stored_text(path: &Path) -> bool {
    path.extension().is_some_and(|e| e == "store")
}

impl Directory for IndexDirectory {
    fn get_file_handle(&self, path: &Path) -> Result<Arc<dyn FileHandle>, OpenReadError> {
        let mapped = self.mapped.get_file_handle(path)?;
        if !cfg!(unix) || !is_stored_text(path) || mapped.len() == 0 {
            return Ok(mapped);
        }
        let file = File::open(self.root.join(path))
            .map_err(|e| OpenReadError::wrap_io_error(e, path.to_path_buf()))?;
        Ok(Arc::new(ReadAt { file, mapped }))
    }

    fn delete(&self, path: &Path) -> Result<(), DeleteError> {
        self.mapped.delete(path)
    }

    fn exists(&self, path: &Path) -> Result<bool, OpenReadError> {
        self.mapped.exists(path)
    }

    fn open_write(&self, path: &Path) -> Result<WritePtr, OpenWriteError> {
        self.mapped.open_write(path)
    }

    fn atomic_read(&self, path: &Path) -> Result<Vec<u8>, OpenReadError> {
        self.mapped.atomic_read(path)
    }

    fn atomic_write(&self, path: &Path, data: &[u8]) -> std::io::Result<()> {
        self.mapped.atomic_write(path, data)
    }

    fn sync_directory(&self) -> std::io::Result<()> {
        self.mapped.sync_directory()
    }

    fn acquire_lock(&self, lock: &Lock) -> Result<DirectoryLock, LockError> {
        self.mapped.acquire_lock(lock)
    }

    fn watch(&self, watch_callback: WatchCallback) -> tantivy::Result<WatchHandle> {
        self.mapped.watch(watch_callback)
    }
}

/// A stored-text file: small reads by position, large ones from the map.
#[derive(Debug)]
struct ReadAt {
    file: File,
    mapped: Arc<dyn FileHandle>,
}

impl FileHandle for ReadAt {
    fn read_bytes(&self, range: Range<usize>) -> std::io::Result<OwnedBytes> {
        if range.end > self.len() || range.start > range.end {
            return Err(std::io::Error::new(
                std::io::ErrorKind::InvalidInput,
                format!("read of {range:?} in a file of {} bytes", self.len()),
            ));
        }
        if range.len() >= LARGE_READ {
            return self.mapped.read_bytes(range);
        }
        #[cfg(unix)]
        {
            let mut bytes = vec![0; range.len()];
            self.file.read_exact_at(&mut bytes, range.start as u64)?;
            Ok(OwnedBytes::new(bytes))
        }
        #[cfg(not(unix))]
        self.mapped.read_bytes(range)
    }
}

impl HasLen for ReadAt {
    fn len(&self) -> usize {
        self.mapped.len()
    }
}

// The tests read /proc/self/smaps.
#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::*;
    use crate::search::indexer::GroupUpdate;
    use crate::search::{SearchDoc, SearchIndex};

    /// Resident kilobytes of the mappings of files whose name ends with
    /// `suffix` (from `/proc/self/smaps`).
    fn resident_kb(suffix: &str) -> u64 {
        let smaps = std::fs::read_to_string("/proc/self/smaps").unwrap_or_default();
        let mut resident = 0;
        let mut counting = false;
        for line in smaps.lines() {
            let mut parts = line.split_whitespace();
            let first = parts.next().unwrap_or("");
            if first.contains('-') && first.chars().all(|c| c.is_ascii_hexdigit() || c == '-') {
                counting = line.ends_with(suffix);
            } else if counting && first == "Rss:" {
                resident += parts
                    .next()
                    .and_then(|n| n.parse::<u64>().ok())
                    .unwrap_or(0);
            }
        }
        resident
    }

    #[test]
    fn stored_text_is_read_without_mapping_it() {
        let dir = tempfile::tempdir().unwrap();
        let (index, _) = SearchIndex::open(dir.path()).unwrap();
        let mut feed = index.feed().unwrap();
        let updates: Vec<GroupUpdate> = (0..400)
            .map(|n| GroupUpdate {
                group: format!("question:{n}"),
                docs: vec![SearchDoc {
                    kind: "question".into(),
                    group: format!("question:{n}"),
                    url: format!("/questions/{n}"),
                    title: format!("Printer number {n} shows offline"),
                    body: format!("Restart the spooler of printer {n}. ").repeat(40),
                    breadcrumb: "Questions".into(),
                    boost: 1.0,
                    ..Default::default()
                }],
            })
            .collect();
        feed.stage(&updates).unwrap();
        feed.commit(1).unwrap();
        let results = index
            .search(&crate::search::SearchRequest {
                text: "printer spooler",
                kind: None,
                limit: 20,
                offset: 0,
            })
            .unwrap();
        assert_eq!(results.hits.len(), 20, "every hit has its stored text");
        assert_eq!(
            index.index().settings().docstore_blocksize,
            super::super::STORED_BLOCK_BYTES
        );
        assert!(results
            .hits
            .iter()
            .all(|h| h.url.starts_with("/questions/")));
        // The postings the search walked are mapped and resident; the stored
        // text it read (a block per hit) is not.
        assert!(resident_kb(".idx") > 0, "postings are read from the map");
        assert_eq!(resident_kb(".store"), 0, "stored text is read by position");
    }

    #[test]
    fn reads_outside_a_stored_text_file_are_errors_not_panics() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.store");
        std::fs::write(&path, b"0123456789").unwrap();
        let directory = IndexDirectory::open(dir.path()).unwrap();
        let handle = directory.get_file_handle(Path::new("a.store")).unwrap();
        assert_eq!(handle.read_bytes(2..5).unwrap().as_slice(), b"234");
        assert_eq!(handle.read_bytes(4..4).unwrap().as_slice(), b"");
        assert!(handle.read_bytes(8..12).is_err());
        assert_eq!(handle.len(), 10);
    }
}
