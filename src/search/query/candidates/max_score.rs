//! The selection's walk: block-max MaxScore over spans of documents.
//!
//! tantivy's block-max WAND re-sorts every list at every document it
//! considers; with the dozen to twenty lists of a long question (two or
//! three per word) that bookkeeping, not reading the postings, was most of
//! a search's time, and a short query of common words ("router firmware
//! update", "nas not visible") spent most of its time there too. MaxScore
//! (Turtle and Flood, as Lucene's disjunctions run it) orders the lists by
//! their highest possible score once. The lists whose highest scores
//! together cannot beat the window's threshold are *non-essential*: a
//! document found only in them cannot enter.
//!
//! The walk goes a span of document ids at a time (Lucene's
//! `MaxScoreBulkScorer` does the same). Each list bounds what it adds in
//! the span by the best posting of the blocks it has there, which the
//! index keeps in each block's skip entry: read without decoding a block
//! (see [`Skips`]). A span whose bounds together cannot beat the threshold
//! is passed over without decoding anything; in another, the lists are
//! ordered by their bounds, those that together cannot beat it are
//! non-essential for the span, the others are read in full, their scores
//! summed into an array, and each document found there looks into the
//! non-essential ones, the most promising first, and stops as soon as
//! what they could still add cannot lift it over the threshold.
//!
//! Counted by callgrind at 1,000,000 posts (instructions per search,
//! every query of `benches/queries` alone): the selection of the 24 short
//! queries took 42 % fewer than block-max WAND (53 against 92 million in
//! all), the 30 long questions 7 % fewer than MaxScore without block
//! bounds (208 against 224 million); spans of 4,096 and 8,192 ids cost a
//! few percent more than 16,384.
//!
//! Documents enter the window in id order, each with the score the flat
//! disjunction gives it (the same BM25 weight per term and boost), so the
//! window ends as block-max WAND would leave it, save for the last bit of
//! a sum (the terms are added in another order) and the block bounds'
//! caveat (see `Window`).

use std::path::Path;
use std::sync::Arc;

use tantivy::directory::{CompositeFile, Directory, OwnedBytes};
use tantivy::fieldnorm::FieldNormReader;
use tantivy::postings::{BlockSegmentPostings, TermInfo};
use tantivy::query::{Bm25StatisticsProvider, Bm25Weight};
use tantivy::schema::IndexRecordOption;
use tantivy::{DocId, HasLen, InvertedIndexReader, Score, Searcher, SegmentReader, TERMINATED};

use super::super::super::SearchResult;
use super::{walk_order, Clause, Place, Window};

/// Document ids of a span: summed together in a bitset and an array of
/// scores (64 KiB) that stay in the processor's cache. The unit tests'
/// segments hold a few thousand documents: their spans are shorter, so
/// the tests walk many spans a segment, some passed over, as a large index
/// is walked.
const SPAN: u32 = if cfg!(test) { 256 } else { 16384 };

/// How one clause scores: its term query's BM25 weight, and the score of
/// a document holding the term once by its length's fieldnorm id (most
/// postings hold it once, and the table spares them the division of
/// BM25's term frequency part). Made once per search, for every segment.
struct Scoring {
    weight: Bm25Weight,
    once: Box<[Score; 256]>,
}

impl Scoring {
    fn new(weight: Bm25Weight) -> Scoring {
        let mut once = Box::new([0.0; 256]);
        for (id, score) in (0..=u8::MAX).zip(once.iter_mut()) {
            *score = weight.score(id, 1);
        }
        Scoring { weight, once }
    }
}

/// Postings in a full block (every block of a list but its last).
const BLOCK: usize = 128;

/// The skip entries of a postings list, read from the index without
/// decoding its blocks: for each full block its last document and the
/// fieldnorm id and term frequency of its best posting, which bound every
/// score in the block (the bounds tantivy's block-max WAND skips by).
struct Skips {
    data: OwnedBytes,
    /// Bytes per entry.
    entry: usize,
    /// Full blocks (entries).
    count: usize,
    /// The first block whose last document is at or after the walk's
    /// current span (`count` past the last full block).
    at: usize,
}

impl Skips {
    /// The entries of a list of `doc_freq` postings whose bytes in the
    /// index are `raw`, kept with `option`; `None` for a list of one block
    /// or bytes not laid out as this version of tantivy writes them (the
    /// walk then bounds the list by its highest score).
    fn read(raw: OwnedBytes, doc_freq: u32, option: IndexRecordOption) -> Option<Skips> {
        let entry = match option {
            IndexRecordOption::Basic => return None,
            IndexRecordOption::WithFreqs => 8,
            IndexRecordOption::WithFreqsAndPositions => 12,
        };
        let count = doc_freq as usize / BLOCK;
        if count == 0 {
            return None;
        }
        // The skip entries' length, a variable-length integer: seven bits
        // a byte, low bits first, the last byte's high bit set.
        let bytes = raw.as_slice();
        let mut len = 0usize;
        let mut read = 0;
        loop {
            let byte = *bytes.get(read)?;
            len |= usize::from(byte & 0x7f).checked_shl(7 * read as u32)?;
            read += 1;
            if byte & 0x80 != 0 || read > 4 {
                break;
            }
        }
        if len != count.checked_mul(entry)? || bytes.len() < read + len {
            return None;
        }
        Some(Skips {
            data: raw.slice(read..read + len),
            entry,
            count,
            at: 0,
        })
    }

    /// The last document of full block `k`.
    fn last_doc(&self, k: usize) -> DocId {
        let at = k * self.entry;
        let bytes = [
            self.data[at],
            self.data[at + 1],
            self.data[at + 2],
            self.data[at + 3],
        ];
        DocId::from_le_bytes(bytes)
    }

    /// The fieldnorm id and term frequency of the best posting of full
    /// block `k`.
    fn best(&self, k: usize) -> (u8, u32) {
        let end = (k + 1) * self.entry;
        let tf = match self.data[end - 1] {
            u8::MAX => u32::MAX,
            tf => u32::from(tf),
        };
        (self.data[end - 2], tf)
    }

    /// Moves to the first block whose last document is `start` or later.
    fn advance_to(&mut self, start: DocId) {
        while self.at < self.count && self.last_doc(self.at) < start {
            self.at += 1;
        }
    }
}

/// One clause's postings in a segment, read a block at a time and scored
/// as its term query scores them, with its skip entries to bound a span
/// without decoding it.
struct List<'a> {
    block: BlockSegmentPostings,
    /// The current posting's place in the block; the block's length when
    /// the list is done.
    at: usize,
    norms: FieldNormReader,
    scoring: &'a Scoring,
    skips: Option<Skips>,
    /// Where the list's postings are, to read its last block apart.
    source: Option<(Arc<InvertedIndexReader>, TermInfo)>,
    /// The first document of the last block (after the last full one) and
    /// the best score in it, once read (see [`List::tail`]).
    tail: Option<(DocId, Score)>,
    /// The highest score a document can get from this list.
    most: Score,
}

impl<'a> List<'a> {
    fn new(
        block: BlockSegmentPostings,
        norms: FieldNormReader,
        scoring: &'a Scoring,
        skips: Option<Skips>,
    ) -> List<'a> {
        List {
            block,
            at: 0,
            norms,
            scoring,
            skips,
            source: None,
            tail: None,
            most: scoring.weight.max_score(),
        }
    }

    /// The first document of the list's last block, the one after its
    /// last full block (which has no skip entry), and the best score in
    /// it: read once, by a cursor of its own, so the list's own cursor
    /// keeps its place. `TERMINATED` when no posting follows the last
    /// full block; the list's highest score when the block cannot be read.
    fn tail(&mut self) -> (DocId, Score) {
        if let Some(tail) = self.tail {
            return tail;
        }
        let read = || -> Option<(DocId, Score)> {
            let skips = self.skips.as_ref()?;
            let (inverted, info) = self.source.as_ref()?;
            let mut block = inverted
                .read_block_postings_from_terminfo(info, IndexRecordOption::WithFreqs)
                .ok()?;
            let after = skips.last_doc(skips.count.checked_sub(1)?).checked_add(1)?;
            let at = block.seek(after);
            Some(match block.docs().get(at) {
                Some(&first) => (
                    first,
                    block.block_max_score(&self.norms, &self.scoring.weight),
                ),
                None => (TERMINATED, 0.0),
            })
        };
        let tail = read().unwrap_or((0, self.most));
        self.tail = Some(tail);
        tail
    }

    /// The current document, `TERMINATED` when the list is done.
    fn doc(&self) -> DocId {
        self.block
            .docs()
            .get(self.at)
            .copied()
            .unwrap_or(TERMINATED)
    }

    /// The last document of the decoded block (`TERMINATED` when done).
    fn block_end(&self) -> DocId {
        match self.block.docs().last() {
            Some(&last) if self.at < self.block.docs().len() => last,
            _ => TERMINATED,
        }
    }

    /// The score of the posting at `at` of the decoded block, exactly as
    /// `Bm25Weight::score` gives it.
    fn score_at(&self, at: usize) -> Score {
        let id = self.norms.fieldnorm_id(self.block.docs()[at]);
        match self.block.freqs()[at] {
            1 => self.scoring.once[usize::from(id)],
            tf => self.scoring.weight.score(id, tf),
        }
    }

    /// Moves to the first document at or after `target` (never back),
    /// decoding the block that holds it. Within the decoded block it
    /// gallops: steps of 1, 2, 4… from the current posting, then a binary
    /// search of the last step. A document found in the other lists of a
    /// span looks into this one a few postings on, as a rule; a binary
    /// search of the rest of the block cost it several times more.
    fn seek(&mut self, target: DocId) {
        if self.doc() >= target {
            return;
        }
        if self.block_end() < target {
            self.at = self.block.seek(target);
            return;
        }
        // The block's last document is at or after `target`, the current
        // one before it.
        let docs = self.block.docs();
        let mut low = self.at + 1;
        let mut step = 1;
        let high = loop {
            let probe = low + step - 1;
            match docs.get(probe) {
                Some(&doc) if doc < target => {
                    low = probe + 1;
                    step *= 2;
                }
                _ => break (probe + 1).min(docs.len()),
            }
        };
        self.at = low + docs[low..high].partition_point(|&doc| doc < target);
    }

    /// The most this list adds to a document of `start..end` (`None` when
    /// it holds none that it knows of): the best of its blocks there, from
    /// the skip entries; only a last block is decoded for it.
    fn span_most(&mut self, start: DocId, end: DocId) -> Option<Score> {
        if self.doc() >= end {
            return None;
        }
        let Some(skips) = self.skips.as_mut() else {
            if self.block.doc_freq() as usize >= BLOCK {
                // tantivy's own skip entries are not at hand: one block of
                // a list that has more bounds nothing beyond itself.
                return Some(self.most);
            }
            // A list of one block, shorter than a full one: decoded, its
            // postings bound it.
            self.seek(start);
            if self.doc() >= end {
                return None;
            }
            let most = self
                .block
                .block_max_score(&self.norms, &self.scoring.weight);
            return Some(most.min(self.most));
        };
        skips.advance_to(start);
        let mut most: Option<Score> = None;
        for k in skips.at..skips.count {
            let (id, tf) = skips.best(k);
            let score = self.scoring.weight.score(id, tf);
            most = Some(most.map_or(score, |m: Score| m.max(score)));
            if skips.last_doc(k) >= end - 1 {
                return most.map(|m| m.min(self.most));
            }
        }
        // The span reaches past the last full block.
        let (first, last) = self.tail();
        if first < end {
            most = Some(most.map_or(last, |m| m.max(last)));
        }
        most.map(|m| m.min(self.most))
    }

    /// Adds the score of each of its documents in `start..end` to `sums`
    /// at its offset from `start`, marking it in `found`; then stands on
    /// the first document at or after `end`.
    fn sum_span(&mut self, start: DocId, end: DocId, sums: &mut [Score], found: &mut [u64]) {
        self.seek(start);
        loop {
            let len = self.block.docs().len();
            while self.at < len {
                let doc = self.block.docs()[self.at];
                if doc >= end {
                    return;
                }
                let offset = (doc - start) as usize;
                sums[offset] += self.score_at(self.at);
                found[offset / 64] |= 1 << (offset % 64);
                self.at += 1;
            }
            if len < BLOCK {
                return;
            }
            self.block.advance();
            self.at = 0;
        }
    }

    /// The score `doc` gets from this list (0 when it is not in it),
    /// moving to it.
    fn score_of(&mut self, doc: DocId) -> Score {
        self.seek(doc);
        if self.doc() == doc {
            self.score_at(self.at)
        } else {
            0.0
        }
    }
}

/// Fills `window` with the best documents of the flat disjunction of
/// `clauses` over the whole index (segments in [`walk_order`]), each term
/// weighed with `statistics` as its term query would be; returns how many
/// spans it walked and how many of them it passed over unread.
pub(super) fn select(
    searcher: &Searcher,
    statistics: &dyn Bm25StatisticsProvider,
    clauses: &[Clause],
    window: &mut Window,
) -> SearchResult<Spans> {
    let scorings = clauses
        .iter()
        .map(|clause| {
            let weight = Bm25Weight::for_terms(statistics, std::slice::from_ref(&clause.term))?;
            Ok(Scoring::new(weight.boost_by(clause.boost)))
        })
        .collect::<SearchResult<Vec<Scoring>>>()?;
    let mut spans = Spans::default();
    for (at, reader) in walk_order(searcher) {
        let lists = open_lists(searcher, reader, clauses, &scorings)?;
        walk_segment(reader, at, lists, window, &mut spans);
    }
    Ok(spans)
}

/// Spans a walk went through.
#[derive(Debug, Default, Clone, Copy)]
pub(super) struct Spans {
    pub(super) walked: usize,
    /// Spans whose bounds could not beat the threshold: no block read.
    pub(super) passed_over: usize,
}

/// The postings file of a segment, by field; `None` when it cannot be
/// opened (its lists are then bounded by their highest scores only).
fn postings_file(searcher: &Searcher, reader: &SegmentReader) -> Option<CompositeFile> {
    let name = format!("{}.idx", reader.segment_id().uuid_string());
    let file = searcher
        .index()
        .directory()
        .open_read(Path::new(&name))
        .ok()?;
    CompositeFile::open(&file).ok()
}

/// The clauses' postings lists in `reader` that hold some document, by
/// their highest score, lowest first.
fn open_lists<'a>(
    searcher: &Searcher,
    reader: &SegmentReader,
    clauses: &[Clause],
    scorings: &'a [Scoring],
) -> SearchResult<Vec<List<'a>>> {
    let file = postings_file(searcher, reader);
    let mut lists = Vec::with_capacity(clauses.len());
    for (clause, scoring) in clauses.iter().zip(scorings) {
        if let Some(list) = open_list(file.as_ref(), reader, clause, scoring)? {
            lists.push(list);
        }
    }
    lists.sort_by(|a, b| a.most.total_cmp(&b.most));
    Ok(lists)
}

/// The postings list of `clause` in `reader` (`file` its postings file),
/// `None` when it holds no document.
fn open_list<'a>(
    file: Option<&CompositeFile>,
    reader: &SegmentReader,
    clause: &Clause,
    scoring: &'a Scoring,
) -> SearchResult<Option<List<'a>>> {
    let field = clause.term.field();
    let inverted = reader.inverted_index(field)?;
    let Some(info) = inverted.get_term_info(&clause.term)? else {
        return Ok(None);
    };
    let block = inverted.read_block_postings_from_terminfo(&info, clause.option)?;
    let indexed = reader
        .schema()
        .get_field_entry(field)
        .field_type()
        .get_index_record_option();
    let skips = match (file, indexed) {
        (Some(file), Some(option)) if clause.option.has_freq() => file
            .open_read(field)
            // The field's postings start with its count of tokens.
            .filter(|postings| postings.len() >= 8)
            .map(|postings| postings.split(8))
            .filter(|(head, _)| {
                head.read_bytes().is_ok_and(|head| {
                    head.as_slice() == inverted.total_num_tokens().to_le_bytes().as_slice()
                })
            })
            .filter(|(_, body)| info.postings_range.end <= body.len())
            .and_then(|(_, body)| body.slice(info.postings_range.clone()).read_bytes().ok())
            .and_then(|raw| Skips::read(raw, info.doc_freq, option))
            // The first entry must end the block tantivy decoded.
            .filter(|skips| block.docs().last() == Some(&skips.last_doc(0))),
        _ => None,
    };
    let mut list = List::new(block, reader.get_fieldnorms_reader(field)?, scoring, skips);
    if list.skips.is_some() {
        list.source = Some((inverted, info));
    }
    Ok((list.doc() != TERMINATED).then_some(list))
}

/// Offers `window` every document of a segment (`at`) whose summed score
/// over its `lists` beats the window's threshold, in id order, a span of
/// documents at a time.
///
/// Each span is bounded list by list by the blocks it covers (their skip
/// entries, read without decoding a block): a span whose bounds together
/// cannot beat the threshold is passed over; in another, the lists whose
/// bounds together cannot are non-essential for it, the others are read
/// in full and each document found there looks into the non-essential
/// ones, the most promising first.
fn walk_segment(
    reader: &SegmentReader,
    at: Place,
    mut lists: Vec<List>,
    window: &mut Window,
    spans: &mut Spans,
) {
    // bounds[i]: the most lists 0..=i can add together.
    let bounds: Vec<Score> = lists
        .iter()
        .scan(0.0, |sum: &mut Score, list| {
            *sum += list.most;
            Some(*sum)
        })
        .collect();
    let alive = reader.alive_bitset();
    // A list whose spans were passed over stays where it was: the walk
    // ends with the segment's documents, not with its lists.
    let max_doc = reader.max_doc();
    let mut sums: Vec<Score> = vec![0.0; SPAN as usize];
    let mut found = [0u64; (SPAN / 64) as usize];
    // The lists with documents in a span, by their most in it: (most, list).
    let mut span_lists: Vec<(Score, usize)> = Vec::with_capacity(lists.len());
    // span_bounds[k]: what span_lists[0..=k] can add together.
    let mut span_bounds: Vec<Score> = Vec::with_capacity(lists.len());
    let mut done: DocId = 0;
    loop {
        let threshold = window.threshold();
        // Lists before `essential` cannot lift a document over the
        // threshold together: a document must be in a later one.
        let Some(essential) = bounds.iter().position(|&most| most > threshold) else {
            return;
        };
        let start = lists[essential..]
            .iter()
            .map(List::doc)
            .min()
            .unwrap_or(TERMINATED)
            .max(done);
        if start >= max_doc {
            return;
        }
        let end = start.saturating_add(SPAN);
        done = end;
        span_lists.clear();
        for (i, list) in lists.iter_mut().enumerate() {
            if let Some(most) = list.span_most(start, end) {
                span_lists.push((most, i));
            }
        }
        span_lists.sort_by(|a, b| a.0.total_cmp(&b.0));
        span_bounds.clear();
        span_bounds.extend(span_lists.iter().scan(0.0, |sum: &mut Score, &(most, _)| {
            *sum += most;
            Some(*sum)
        }));
        // Lists before `first` cannot lift a document of the span over
        // the threshold together: it must be in a later one. When none
        // can, the span is passed over.
        spans.walked += 1;
        let Some(first) = span_bounds.iter().position(|&most| most > threshold) else {
            spans.passed_over += 1;
            continue;
        };
        for &(_, i) in &span_lists[first..] {
            lists[i].sum_span(start, end, &mut sums, &mut found);
        }
        let rest = Rest {
            lists: &span_lists[..first],
            bounds: &span_bounds[..first],
        };
        let words = (end - start).div_ceil(64) as usize;
        for (word, bits) in found[..words].iter_mut().enumerate() {
            while *bits != 0 {
                let offset = word * 64 + bits.trailing_zeros() as usize;
                *bits &= *bits - 1;
                let doc = start + offset as DocId;
                let score = std::mem::take(&mut sums[offset]);
                if alive.is_some_and(|a| a.is_deleted(doc)) {
                    continue;
                }
                if let Some(score) = rest.complete(&mut lists, score, doc, window) {
                    window.push(score, at, doc);
                }
            }
        }
    }
}

/// The lists of a span a document found in its other lists may still be
/// in, by their most in the span (lowest first).
struct Rest<'s> {
    /// (most in the span, list).
    lists: &'s [(Score, usize)],
    /// `bounds[k]`: what `lists[0..=k]` can add together.
    bounds: &'s [Score],
}

impl Rest<'_> {
    /// The full score of `doc` from its `score` in the span's other lists
    /// and what these lists hold of it, when it beats the window's
    /// threshold; `None` as soon as the lists not yet read could no longer
    /// lift it over. The most promising lists are read first.
    fn complete(
        &self,
        lists: &mut [List],
        mut score: Score,
        doc: DocId,
        window: &Window,
    ) -> Option<Score> {
        let threshold = window.threshold();
        for (&(_, i), &most) in self.lists.iter().zip(self.bounds).rev() {
            if score + most <= threshold {
                return None;
            }
            score += lists[i].score_of(doc);
        }
        (score > threshold).then_some(score)
    }
}

#[cfg(test)]
mod tests {
    use tantivy::query::EnableScoring;
    use tantivy::schema::{IndexRecordOption, Schema, TEXT};
    use tantivy::{doc, DocAddress, Index, IndexWriter, Term};

    use super::super::{disjunction, select as select_by_wand, Window};
    use super::*;

    /// A few thousand documents of words drawn unevenly (some in most
    /// documents, some in a few) from a small vocabulary, in three
    /// segments, with some documents deleted.
    fn corpus() -> (Index, tantivy::schema::Field, tantivy::schema::Field) {
        let mut builder = Schema::builder();
        let title = builder.add_text_field("title", TEXT);
        let body = builder.add_text_field("body", TEXT);
        let index = Index::create_in_ram(builder.build());
        let mut writer: IndexWriter = index
            .writer_with_num_threads(1, 15_000_000)
            .expect("writer");
        let words = [
            "printer", "offline", "wifi", "router", "keeps", "morning", "driver", "paper", "jam",
            "light", "every", "update", "cable", "reset", "slow", "noise",
        ];
        let mut seed: u64 = 7;
        let mut next = move |below: u64| {
            seed = seed
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            (seed >> 33) % below
        };
        for segment in 0..3 {
            for i in 0..2000u64 {
                let title_words = 1 + next(6);
                let title_text = pick(&words, title_words, &mut next);
                let body_words = 5 + next(60);
                let body_text = pick(&words, body_words, &mut next);
                writer
                    .add_document(doc!(title => title_text, body => body_text))
                    .expect("add");
                if segment == 1 && i % 7 == 0 {
                    writer.delete_term(Term::from_field_text(title, "noise"));
                }
            }
            writer.commit().expect("commit");
        }
        (index, title, body)
    }

    /// `n` words of `words`, word k picked with a share falling as k grows.
    fn pick(words: &[&str], n: u64, next: &mut impl FnMut(u64) -> u64) -> String {
        (0..n)
            .map(|_| {
                let k = next(words.len() as u64).min(next(words.len() as u64));
                words[k as usize]
            })
            .collect::<Vec<_>>()
            .join(" ")
    }

    #[test]
    fn a_list_reads_scores_and_bounds_its_postings_as_tantivy_does() {
        use tantivy::postings::Postings;
        use tantivy::DocSet;

        let (index, title, body) = corpus();
        let searcher = index.reader().expect("reader").searcher();
        let mut seen = [0usize; 3];
        let mut blocks = 0;
        // Spans whose block bound is below the list's highest score.
        let mut tighter = 0;
        // Spans reaching the end of a list, past its last full block.
        let mut tail_spans = 0;
        for reader in searcher.segment_readers() {
            let file = postings_file(&searcher, reader);
            assert!(file.is_some());
            for (field, word) in [(body, "printer"), (title, "noise"), (body, "cable")] {
                let term = Term::from_field_text(field, word);
                let inverted = reader.inverted_index(field).expect("index");
                let norms = reader.get_fieldnorms_reader(field).expect("norms");
                // Weighed with the segment's own average length, as its
                // writer chose each block's best posting (with another
                // average the block maxima are only near bounds).
                let average = inverted.total_num_tokens() as Score / reader.max_doc() as Score;
                let weight = Bm25Weight::for_one_term(120, 10_000, average).boost_by(1.7);
                let scoring = Scoring::new(weight.clone());
                let clause = Clause {
                    term: term.clone(),
                    option: IndexRecordOption::WithFreqs,
                    boost: 1.0,
                };
                let open = || {
                    open_list(file.as_ref(), reader, &clause, &scoring)
                        .expect("open")
                        .expect("postings")
                };
                let reference = || {
                    inverted
                        .read_postings(&term, IndexRecordOption::WithFreqs)
                        .expect("read")
                        .expect("postings")
                };
                // The skip entries end the blocks where tantivy does.
                let list = open();
                let doc_freq = reference().doc_freq() as usize;
                if doc_freq >= BLOCK {
                    let skips = list.skips.as_ref().expect("skip entries");
                    assert_eq!(skips.count, doc_freq / BLOCK);
                    let mut postings = reference();
                    for k in 0..skips.count {
                        let mut last = postings.doc();
                        for _ in 0..BLOCK {
                            last = postings.doc();
                            postings.advance();
                        }
                        assert_eq!(skips.last_doc(k), last, "{word} block {k}");
                        blocks += 1;
                    }
                }
                // Every posting, one after another: the same documents
                // and scores, each within the bound of a span holding it.
                let mut list = open();
                let mut postings = reference();
                while postings.doc() != TERMINATED {
                    let doc = postings.doc();
                    let tf = postings.term_freq();
                    assert_eq!(list.doc(), doc);
                    let expected = weight.score(norms.fieldnorm_id(doc), tf);
                    let most = list.span_most(doc, doc + 1).expect("in the span");
                    assert!(most >= expected, "{word} {doc}: {most} < {expected}");
                    tighter += usize::from(most < list.most);
                    assert_eq!(list.score_of(doc).to_bits(), expected.to_bits());
                    seen[(tf as usize).min(2)] += 1;
                    postings.advance();
                    list.seek(doc + 1);
                }
                assert_eq!(list.doc(), TERMINATED);
                assert_eq!(list.span_most(TERMINATED - 1, TERMINATED), None);
                // Spans of every length from within every block, met by a
                // list that has not moved (as the walk passes spans over),
                // the longest reaching past the last full block: each
                // bound holds every score in its span.
                let mut scored: Vec<(DocId, Score)> = Vec::new();
                let mut postings = reference();
                while postings.doc() != TERMINATED {
                    let doc = postings.doc();
                    scored.push((
                        doc,
                        weight.score(norms.fieldnorm_id(doc), postings.term_freq()),
                    ));
                    postings.advance();
                }
                let mut starts: Vec<DocId> = scored.iter().step_by(37).map(|&(d, _)| d).collect();
                if let Some(skips) = open().skips.as_ref() {
                    starts.extend((0..skips.count).map(|k| skips.last_doc(k)));
                }
                for start in starts {
                    for len in [1, 100, 5_000, TERMINATED - start] {
                        let end = start.saturating_add(len);
                        let best = scored
                            .iter()
                            .filter(|&&(d, _)| d >= start && d < end)
                            .map(|&(_, score)| score)
                            .fold(None, |m: Option<Score>, s| Some(m.map_or(s, |m| m.max(s))));
                        let bound = open().span_most(start, end);
                        if let Some(best) = best {
                            let bound = bound.expect("a bound for a span with postings");
                            assert!(bound >= best, "{word} {start}..{end}: {bound} < {best}");
                            tail_spans += usize::from(end == TERMINATED);
                        }
                    }
                }
                // Seeks of every stride, within a block and across many.
                for stride in [1, 7, 130, 999] {
                    let mut list = open();
                    let mut postings = reference();
                    let mut target = 0;
                    while postings.doc() != TERMINATED {
                        target += stride;
                        // tantivy's seek never goes back (and asserts it).
                        let expected = if postings.doc() < target {
                            postings.seek(target)
                        } else {
                            postings.doc()
                        };
                        list.seek(target);
                        assert_eq!(list.doc(), expected, "{word} {stride} {target}");
                        if expected != TERMINATED {
                            assert_eq!(list.score_of(expected), {
                                let id = norms.fieldnorm_id(expected);
                                weight.score(id, postings.term_freq())
                            });
                        }
                    }
                }
            }
        }
        assert!(seen[1] > 100 && seen[2] > 100, "{seen:?}");
        assert!(blocks > 10, "{blocks}");
        assert!(tighter > 100, "{tighter}");
        assert!(tail_spans > 100, "{tail_spans}");
    }

    #[test]
    fn max_score_fills_the_window_as_block_max_wand_does() {
        let (index, title, body) = corpus();
        let searcher = index.reader().expect("reader").searcher();
        assert_eq!(searcher.segment_readers().len(), 3);
        let clause = |field, word: &str, boost| Clause {
            term: Term::from_field_text(field, word),
            option: IndexRecordOption::WithFreqs,
            boost,
        };
        let (mut walked, mut passed_over) = (0, 0);
        let questions: [&[&str]; 6] = [
            &["printer"],
            &["router", "update"],
            &["paper", "jam", "light"],
            &["printer", "offline", "every", "morning", "keeps", "light"],
            &["router", "update", "slow", "noise"],
            &[
                "jam", "paper", "driver", "reset", "cable", "wifi", "missing",
            ],
        ];
        for words in questions {
            let clauses: Vec<Clause> = words
                .iter()
                .flat_map(|w| [clause(title, w, 3.3), clause(body, w, 1.7)])
                .collect();
            let query = disjunction(&clauses);
            for size in [10, 30, 100, 1000] {
                let mut by_wand = Window::new(size);
                let scoring = EnableScoring::enabled_from_searcher(&searcher);
                select_by_wand(&searcher, scoring, &query, &mut by_wand).expect("wand");
                let mut by_max_score = Window::new(size);
                let spans =
                    select(&searcher, &searcher, &clauses, &mut by_max_score).expect("max score");
                walked += spans.walked;
                passed_over += spans.passed_over;
                let wand: Vec<DocAddress> = by_wand.into_best_first();
                let max_score: Vec<DocAddress> = by_max_score.into_best_first();
                assert_eq!(wand.len(), size.min(5_000), "{words:?}");
                assert_eq!(max_score, wand, "{words:?} in a window of {size}");
            }
        }
        // The walk went through many spans and passed some over unread.
        assert!(walked > 100, "{walked}");
        assert!(passed_over > 10, "{passed_over} of {walked}");
    }
}
