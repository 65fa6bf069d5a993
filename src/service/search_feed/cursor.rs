//! Where one index stands in the outbox. Ids are handed out when a
//! transaction writes its entry, not when it commits, so on a database with
//! concurrent writers (PostgreSQL) entry 41 may become visible after 42.
//! The cursor applies what it sees at once, remembers the ids it skipped
//! ("holes"), applies them if they appear later, and gives them up as never
//! committed (a rolled-back transaction) after [`HOLE_GRACE`]. Its
//! watermark, the id up to which nothing can still appear, is what the
//! commit payload and the node's row in `index_nodes` record. On SQLite
//! (one writer, ids in commit order) there are no holes.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

/// How long a skipped id may still appear (its transaction commit).
pub const HOLE_GRACE: Duration = Duration::from_secs(60);
/// Most holes remembered; past it the oldest are given up early.
const MAX_HOLES: usize = 10_000;

/// Progress of one index through the outbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeedCursor {
    /// The highest id read.
    read: i32,
    /// Ids at or below `read` not seen yet, with when they were first missed.
    holes: BTreeMap<i32, Instant>,
}

impl FeedCursor {
    /// A cursor that has applied everything up to `id`.
    pub fn at(id: i32) -> Self {
        FeedCursor {
            read: id,
            holes: BTreeMap::new(),
        }
    }

    /// A cursor that read up to `read`, except `missing`, first missed at `since`.
    pub fn with_holes(read: i32, missing: &[i32], since: Instant) -> Self {
        let mut cursor = FeedCursor::at(read);
        for id in missing.iter().filter(|id| **id <= read) {
            cursor.holes.insert(*id, since);
        }
        cursor.cap();
        cursor
    }

    /// Every entry up to this id is applied or given up: nothing at or
    /// below it can still appear.
    pub fn watermark(&self) -> i32 {
        match self.holes.keys().next() {
            Some(first) => first - 1,
            None => self.read,
        }
    }

    /// The highest id read (entries above the watermark up to here are
    /// applied, except the holes).
    pub fn read(&self) -> i32 {
        self.read
    }

    /// The ids skipped so far, oldest first.
    pub fn holes(&self) -> Vec<i32> {
        self.holes.keys().copied().collect()
    }

    /// Takes the ids of a batch read after [`FeedCursor::read`] (ascending)
    /// and of holes that appeared; ids skipped between them become holes.
    pub fn advance(&mut self, batch: &[i32], filled: &[i32], now: Instant) {
        for id in filled {
            self.holes.remove(id);
        }
        for &id in batch {
            if id <= self.read {
                self.holes.remove(&id);
                continue;
            }
            let mut first = self.read.saturating_add(1);
            if id - first > MAX_HOLES as i32 {
                log::warn!(
                    "search outbox: ids {first} to {} never appeared; given up (gap too large)",
                    id - 1 - MAX_HOLES as i32
                );
                first = id - MAX_HOLES as i32;
            }
            for missing in first..id {
                self.holes.insert(missing, now);
            }
            self.read = id;
            self.cap();
        }
    }

    /// Gives up the holes first missed more than [`HOLE_GRACE`] before `now`.
    pub fn expire(&mut self, now: Instant) {
        self.holes
            .retain(|_, missed| now.saturating_duration_since(*missed) < HOLE_GRACE);
    }

    fn cap(&mut self) {
        while self.holes.len() > MAX_HOLES {
            if let Some((id, _)) = self.holes.pop_first() {
                log::warn!(
                    "search outbox: entry {id} never appeared; given up early (too many gaps)"
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn in_order_ids_move_the_watermark() {
        let now = Instant::now();
        let mut cursor = FeedCursor::at(10);
        cursor.advance(&[11, 12, 13], &[], now);
        assert_eq!(cursor.watermark(), 13);
        assert_eq!(cursor.read(), 13);
        assert!(cursor.holes().is_empty());
    }

    #[test]
    fn a_skipped_id_holds_the_watermark_until_it_appears() {
        let now = Instant::now();
        let mut cursor = FeedCursor::at(10);
        cursor.advance(&[11, 14], &[], now);
        assert_eq!(cursor.holes(), vec![12, 13]);
        assert_eq!(cursor.watermark(), 11, "12 may still commit");
        assert_eq!(cursor.read(), 14, "14 is applied already");
        cursor.advance(&[15], &[12], now);
        assert_eq!(cursor.watermark(), 12);
        cursor.advance(&[], &[13], now);
        assert_eq!(cursor.watermark(), 15);
    }

    #[test]
    fn a_hole_is_given_up_after_the_grace_period() {
        let start = Instant::now();
        let mut cursor = FeedCursor::at(0);
        cursor.advance(&[1, 3], &[], start);
        cursor.expire(start + HOLE_GRACE / 2);
        assert_eq!(cursor.watermark(), 1);
        cursor.expire(start + HOLE_GRACE);
        assert_eq!(cursor.watermark(), 3, "a rolled-back id is given up");
    }

    #[test]
    fn holes_from_a_rebuild_and_their_bound() {
        let start = Instant::now();
        let cursor = FeedCursor::with_holes(100, &[97, 99, 120], start);
        assert_eq!(cursor.holes(), vec![97, 99], "ids above read are not holes");
        assert_eq!(cursor.watermark(), 96);
        let mut huge = FeedCursor::at(0);
        huge.advance(&[(MAX_HOLES as i32) * 3], &[], start);
        assert_eq!(huge.holes().len(), MAX_HOLES);
        assert_eq!(huge.read(), (MAX_HOLES as i32) * 3);
    }
}
