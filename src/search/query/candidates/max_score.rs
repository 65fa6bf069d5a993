//! The selection's walk: MaxScore over windows of documents.
//!
//! tantivy's block-max WAND re-sorts every list at every document it
//! considers; with the dozen to twenty lists of a long question (two or
//! three per word) that bookkeeping, not reading the postings, was most of
//! a search's time. MaxScore (Turtle and Flood, as Lucene's disjunctions
//! run it) orders the lists by their highest possible score once. The
//! lists whose highest scores together cannot beat the window's threshold
//! are *non-essential*: a document found only in them cannot enter, so
//! only the other, *essential* lists are read in full, a window of
//! document ids at a time, their scores summed into an array. Each
//! document found there then looks into the non-essential lists, the most
//! promising first, and stops as soon as what they could still add cannot
//! lift it over the threshold. As the threshold rises, lists move from
//! essential to non-essential between windows.
//!
//! Short queries stay with block-max WAND: with two to ten lists its
//! block maxima skip whole blocks of a common word's list, where MaxScore
//! reads every posting of the essential ones (measured at 1,000,000 posts,
//! `bench-search`, 2 threads: long questions 485-552 searches/s by WAND,
//! 634-729 by MaxScore; short queries 1,550-1,987 by WAND, 1,179-1,199 by
//! MaxScore).
//!
//! Documents enter the window in id order, each with the score the flat
//! disjunction gives it (the same BM25 weight per term and boost), so the
//! window ends as block-max WAND would leave it, save for the last bit of
//! a sum (the terms are added in another order).

use tantivy::fieldnorm::FieldNormReader;
use tantivy::postings::{Postings, SegmentPostings};
use tantivy::query::{Bm25StatisticsProvider, Bm25Weight};
use tantivy::{DocId, DocSet, Score, Searcher, SegmentReader, TERMINATED};

use super::super::super::SearchResult;
use super::{walk_order, Clause, Place, Window};

/// Document ids summed together: a bitset of 64 words and an array of
/// scores that stay in the processor's cache.
const SPAN: u32 = 4096;

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

/// One clause's postings in a segment, scored as its term query scores.
struct List<'a> {
    postings: SegmentPostings,
    norms: FieldNormReader,
    scoring: &'a Scoring,
    /// The highest score a document can get from this list.
    most: Score,
}

impl List<'_> {
    fn new(postings: SegmentPostings, norms: FieldNormReader, scoring: &Scoring) -> List<'_> {
        List {
            postings,
            norms,
            scoring,
            most: scoring.weight.max_score(),
        }
    }

    /// The score of the current document, exactly as
    /// `Bm25Weight::score` gives it.
    fn score(&self) -> Score {
        let id = self.norms.fieldnorm_id(self.postings.doc());
        match self.postings.term_freq() {
            1 => self.scoring.once[usize::from(id)],
            tf => self.scoring.weight.score(id, tf),
        }
    }
}

/// Fills `window` with the best documents of the flat disjunction of
/// `clauses` over the whole index (segments in [`walk_order`]), each term
/// weighed with `statistics` as its term query would be.
pub(super) fn select(
    searcher: &Searcher,
    statistics: &dyn Bm25StatisticsProvider,
    clauses: &[Clause],
    window: &mut Window,
) -> SearchResult<()> {
    let scorings = clauses
        .iter()
        .map(|clause| {
            let weight = Bm25Weight::for_terms(statistics, std::slice::from_ref(&clause.term))?;
            Ok(Scoring::new(weight.boost_by(clause.boost)))
        })
        .collect::<SearchResult<Vec<Scoring>>>()?;
    for (at, reader) in walk_order(searcher) {
        walk_segment(reader, at, clauses, &scorings, window)?;
    }
    Ok(())
}

/// Offers `window` every document of `reader` (segment `at`) whose summed
/// score over the `clauses` (scored by `scorings`) beats its threshold, in
/// id order.
fn walk_segment(
    reader: &SegmentReader,
    at: Place,
    clauses: &[Clause],
    scorings: &[Scoring],
    window: &mut Window,
) -> SearchResult<()> {
    let mut lists = Vec::with_capacity(clauses.len());
    for (clause, scoring) in clauses.iter().zip(scorings) {
        let field = clause.term.field();
        let Some(postings) = reader
            .inverted_index(field)?
            .read_postings(&clause.term, clause.option)?
        else {
            continue;
        };
        if postings.doc() == TERMINATED {
            continue;
        }
        lists.push(List::new(
            postings,
            reader.get_fieldnorms_reader(field)?,
            scoring,
        ));
    }
    if lists.is_empty() {
        return Ok(());
    }
    lists.sort_by(|a, b| a.most.total_cmp(&b.most));
    // bounds[i]: the most lists 0..=i can add together.
    let bounds: Vec<Score> = lists
        .iter()
        .scan(0.0, |sum: &mut Score, list| {
            *sum += list.most;
            Some(*sum)
        })
        .collect();
    let alive = reader.alive_bitset();
    let mut sums: Vec<Score> = vec![0.0; SPAN as usize];
    let mut found = [0u64; (SPAN / 64) as usize];
    loop {
        let threshold = window.threshold();
        // Lists before `essential` cannot lift a document over the
        // threshold together: a document must be in a later one.
        let Some(essential) = bounds.iter().position(|&most| most > threshold) else {
            return Ok(());
        };
        let start = lists[essential..]
            .iter()
            .map(|list| list.postings.doc())
            .min()
            .unwrap_or(TERMINATED);
        if start == TERMINATED {
            return Ok(());
        }
        let end = start.saturating_add(SPAN);
        for list in &mut lists[essential..] {
            if list.postings.doc() < start {
                list.postings.seek(start);
            }
            while list.postings.doc() < end {
                let offset = (list.postings.doc() - start) as usize;
                sums[offset] += list.score();
                found[offset / 64] |= 1 << (offset % 64);
                list.postings.advance();
            }
        }
        for (word, bits) in found.iter_mut().enumerate() {
            while *bits != 0 {
                let offset = word * 64 + bits.trailing_zeros() as usize;
                *bits &= *bits - 1;
                let doc = start + offset as DocId;
                let score = std::mem::take(&mut sums[offset]);
                if alive.is_some_and(|a| a.is_deleted(doc)) {
                    continue;
                }
                if let Some(score) = complete(&mut lists[..essential], &bounds, score, doc, window)
                {
                    window.push(score, at, doc);
                }
            }
        }
    }
}

/// The full score of `doc` from its `score` in the essential lists and
/// what the non-essential `lists` hold of it, when it beats the window's
/// threshold; `None` as soon as the lists not yet read could no longer
/// lift it over.
fn complete(
    lists: &mut [List],
    bounds: &[Score],
    mut score: Score,
    doc: DocId,
    window: &Window,
) -> Option<Score> {
    let threshold = window.threshold();
    for at in (0..lists.len()).rev() {
        if score + bounds[at] <= threshold {
            return None;
        }
        let list = &mut lists[at];
        if list.postings.doc() < doc {
            list.postings.seek(doc);
        }
        if list.postings.doc() == doc {
            score += list.score();
        }
    }
    (score > threshold).then_some(score)
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
    fn a_list_scores_as_bm25_does_with_the_table_for_one_occurrence() {
        let (index, _title, body) = corpus();
        let searcher = index.reader().expect("reader").searcher();
        let weight = Bm25Weight::for_one_term(120, 10_000, 37.5).boost_by(1.7);
        let scoring = Scoring::new(weight.clone());
        let mut seen = [0usize; 3];
        for reader in searcher.segment_readers() {
            let term = Term::from_field_text(body, "printer");
            let postings = reader
                .inverted_index(body)
                .expect("index")
                .read_postings(&term, IndexRecordOption::WithFreqs)
                .expect("read")
                .expect("postings");
            let norms = reader.get_fieldnorms_reader(body).expect("norms");
            let mut list = List::new(postings, norms.clone(), &scoring);
            while list.postings.doc() != TERMINATED {
                let tf = list.postings.term_freq();
                let id = norms.fieldnorm_id(list.postings.doc());
                assert_eq!(list.score().to_bits(), weight.score(id, tf).to_bits());
                seen[(tf as usize).min(2)] += 1;
                list.postings.advance();
            }
        }
        assert!(seen[1] > 100 && seen[2] > 100, "{seen:?}");
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
        let questions: [&[&str]; 3] = [
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
            for size in [10, 100, 1000] {
                let mut by_wand = Window::new(size);
                let scoring = EnableScoring::enabled_from_searcher(&searcher);
                select_by_wand(&searcher, scoring, &query, &mut by_wand).expect("wand");
                let mut by_max_score = Window::new(size);
                select(&searcher, &searcher, &clauses, &mut by_max_score).expect("max score");
                let wand: Vec<DocAddress> = by_wand.into_best_first();
                let max_score: Vec<DocAddress> = by_max_score.into_best_first();
                assert_eq!(wand.len(), size.min(5_000), "{words:?}");
                assert_eq!(max_score, wand, "{words:?} in a window of {size}");
            }
        }
    }
}
