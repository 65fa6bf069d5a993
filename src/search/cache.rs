//! The cache of search results: a page of results per query, kept while
//! the index and the synonyms it was computed with stay the same.
//!
//! A support site's searches repeat ("reset password" is typed again and
//! again), and at a million posts computing one costs milliseconds while
//! serving a kept copy costs microseconds. Like Solr's query result cache,
//! an entry is only valid for the index generation (the searcher) that
//! computed it: every commit that makes a post searchable starts the cache
//! over, so a new post is found as soon as it is searchable, and so do new
//! synonyms. A hit is served without waiting for a search turn. Bounded in
//! bytes; the oldest entry goes first.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};

use super::SearchResults;

/// What a cached page of results was asked for.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct ResultKey {
    /// The query text as searched (a trailing space matters: it completes
    /// the last word).
    pub text: String,
    /// The kind filter.
    pub kind: Option<String>,
    /// Results per page.
    pub limit: usize,
    /// Results skipped.
    pub offset: usize,
}

/// What the results were computed from: the searcher's generation and the
/// synonyms' version. Both only grow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct Stamp {
    pub generation: u64,
    pub synonyms: u64,
}

impl Stamp {
    /// Whether `self` is as new as `other` in both parts.
    fn covers(self, other: Stamp) -> bool {
        self.generation >= other.generation && self.synonyms >= other.synonyms
    }
}

/// Bytes counted for an entry besides its text: the key, the map slot,
/// the queue slot and the results' fixed parts.
const ENTRY_OVERHEAD: usize = 256;
/// Bytes counted per hit besides its text.
const HIT_OVERHEAD: usize = 160;

#[derive(Default)]
struct Entries {
    stamp: Stamp,
    map: HashMap<ResultKey, Arc<SearchResults>>,
    /// Keys in the order they came in (the oldest goes first).
    order: VecDeque<ResultKey>,
    bytes: usize,
}

/// Pages of results by query, for one stamp at a time (see the module).
#[derive(Default)]
pub(crate) struct ResultCache {
    /// Most bytes kept; 0 keeps nothing.
    capacity: std::sync::atomic::AtomicUsize,
    entries: Mutex<Entries>,
}

/// An estimate of the memory an entry holds.
fn entry_bytes(key: &ResultKey, results: &SearchResults) -> usize {
    let hits: usize = results
        .hits
        .iter()
        .map(|h| {
            HIT_OVERHEAD
                + h.kind.len()
                + h.url.len()
                + h.title_html.len()
                + h.snippet_html.len()
                + h.breadcrumb.len()
        })
        .sum();
    // The key is held twice: in the map and in the queue of ages.
    ENTRY_OVERHEAD
        + 2 * key.text.len()
        + key.kind.as_ref().map_or(0, String::len)
        + results.corrected.as_ref().map_or(0, String::len)
        + hits
}

impl ResultCache {
    /// Keeps at most `bytes` of results from now on (0 turns the cache off
    /// and empties it).
    pub(crate) fn set_capacity(&self, bytes: usize) {
        self.capacity
            .store(bytes, std::sync::atomic::Ordering::Relaxed);
        if let Ok(mut entries) = self.entries.lock() {
            Self::shrink_to(&mut entries, bytes);
        }
    }

    /// Whether the cache keeps anything.
    pub(crate) fn is_on(&self) -> bool {
        self.capacity() > 0
    }

    fn capacity(&self) -> usize {
        self.capacity.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// The results kept for `key`, when they were computed with `stamp`.
    pub(crate) fn get(&self, key: &ResultKey, stamp: Stamp) -> Option<Arc<SearchResults>> {
        if self.capacity() == 0 {
            return None;
        }
        let entries = self.entries.lock().ok()?;
        if entries.stamp != stamp {
            return None;
        }
        entries.map.get(key).cloned()
    }

    /// Keeps `results` for `key`, computed with `stamp`. Results of an
    /// older stamp than the kept ones are dropped; a newer stamp empties
    /// the cache first.
    pub(crate) fn put(&self, key: ResultKey, stamp: Stamp, results: &SearchResults) {
        let capacity = self.capacity();
        if capacity == 0 {
            return;
        }
        let bytes = entry_bytes(&key, results);
        // One page may not push out much of everything else.
        if bytes > capacity / 8 {
            return;
        }
        let Ok(mut entries) = self.entries.lock() else {
            return;
        };
        if entries.stamp != stamp {
            if !stamp.covers(entries.stamp) {
                return;
            }
            // The old entries are freed after the lock is let go: a
            // full cache holds tens of thousands.
            let old = std::mem::replace(
                &mut *entries,
                Entries {
                    stamp,
                    ..Entries::default()
                },
            );
            drop(entries);
            drop(old);
            return self.put(key, stamp, results);
        }
        if entries.map.contains_key(&key) {
            return;
        }
        Self::shrink_to(&mut entries, capacity - bytes);
        entries.bytes += bytes;
        entries.order.push_back(key.clone());
        entries.map.insert(key, Arc::new(results.clone()));
    }

    /// Drops the oldest entries until at most `bytes` are kept.
    fn shrink_to(entries: &mut Entries, bytes: usize) {
        while entries.bytes > bytes {
            let Some(oldest) = entries.order.pop_front() else {
                entries.bytes = 0;
                break;
            };
            if let Some(results) = entries.map.remove(&oldest) {
                entries.bytes = entries.bytes.saturating_sub(entry_bytes(&oldest, &results));
            }
        }
    }

    /// Entries kept and their estimated bytes.
    #[cfg(test)]
    pub(crate) fn usage(&self) -> (usize, usize) {
        self.entries
            .lock()
            .map(|e| (e.map.len(), e.bytes))
            .unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::super::SearchHit;
    use super::*;

    fn key(text: &str) -> ResultKey {
        ResultKey {
            text: text.to_string(),
            kind: None,
            limit: 10,
            offset: 0,
        }
    }

    fn results(title: &str) -> SearchResults {
        SearchResults {
            hits: vec![SearchHit {
                kind: "article".into(),
                url: "/docs/a/b".into(),
                title_html: title.to_string(),
                snippet_html: "x".repeat(300),
                breadcrumb: "Manual".into(),
                solved: false,
                score: 1.0,
            }],
            total: 1,
            ..SearchResults::default()
        }
    }

    const FIRST: Stamp = Stamp {
        generation: 1,
        synonyms: 0,
    };

    #[test]
    fn results_are_kept_for_their_stamp_only() {
        let cache = ResultCache::default();
        cache.set_capacity(1 << 20);
        cache.put(key("printer offline"), FIRST, &results("Printer"));
        let hit = cache.get(&key("printer offline"), FIRST).expect("kept");
        assert_eq!(hit.hits[0].title_html, "Printer");
        // Another page, kind or text is another entry.
        assert!(cache.get(&key("printer offline "), FIRST).is_none());
        let mut page_two = key("printer offline");
        page_two.offset = 10;
        assert!(cache.get(&page_two, FIRST).is_none());
        // A new index generation or new synonyms: nothing kept is valid.
        let next = Stamp {
            generation: 2,
            ..FIRST
        };
        let synonyms = Stamp {
            synonyms: 1,
            ..FIRST
        };
        assert!(cache.get(&key("printer offline"), next).is_none());
        assert!(cache.get(&key("printer offline"), synonyms).is_none());
        // A newer stamp's results replace the older ones...
        cache.put(key("paper jam"), next, &results("Jam"));
        assert_eq!(cache.usage().0, 1);
        assert!(cache.get(&key("printer offline"), FIRST).is_none());
        // ... and results computed on an older searcher are not kept.
        cache.put(key("printer offline"), FIRST, &results("Old"));
        assert!(cache.get(&key("printer offline"), next).is_none());
        assert!(cache.get(&key("printer offline"), FIRST).is_none());
        assert!(cache.get(&key("paper jam"), next).is_some());
    }

    #[test]
    fn the_oldest_entries_go_when_the_bytes_run_out() {
        let cache = ResultCache::default();
        let one = entry_bytes(&key("query 00"), &results("T"));
        cache.set_capacity(one * 10);
        for i in 0..25 {
            cache.put(key(&format!("query {i:02}")), FIRST, &results("T"));
        }
        let (entries, bytes) = cache.usage();
        assert_eq!(entries, 10);
        assert!(bytes <= one * 10, "{bytes} > {}", one * 10);
        assert!(cache.get(&key("query 14"), FIRST).is_none());
        for i in 15..25 {
            assert!(cache.get(&key(&format!("query {i:02}")), FIRST).is_some());
        }
        // Shrinking drops the oldest at once; 0 turns the cache off.
        cache.set_capacity(one * 4);
        assert_eq!(cache.usage().0, 4);
        assert!(cache.get(&key("query 24"), FIRST).is_some());
        cache.set_capacity(0);
        assert_eq!(cache.usage(), (0, 0));
        cache.put(key("query 30"), FIRST, &results("T"));
        assert!(cache.get(&key("query 30"), FIRST).is_none());
    }

    #[test]
    fn a_page_larger_than_an_eighth_of_the_cache_is_not_kept() {
        let cache = ResultCache::default();
        let one = entry_bytes(&key("big"), &results("T"));
        cache.set_capacity(one * 8 - 1);
        cache.put(key("big"), FIRST, &results("T"));
        assert_eq!(cache.usage().0, 0);
        cache.set_capacity(one * 8);
        cache.put(key("big"), FIRST, &results("T"));
        assert_eq!(cache.usage().0, 1);
    }
}
