//! Candidates: which documents the re-rank looks at, and their text score.
//!
//! Selection runs one flat disjunction of boosted term queries, walked by
//! block-max MaxScore (see `max_score`; restricted to one kind, by
//! tantivy as a conjunction): two
//! clauses per word form, its stem in the stemmed title and in the stemmed
//! body, each weighted as the stemmed field and its plain copy together (a
//! word completed while typing, which has no stem, goes to the plain title
//! and body instead), and in a query of one to three words a third, the
//! word in the tags (see `candidate_query`). The title's clause reads `title_select`, the stemmed
//! title of every document but an answer (scored with the stemmed title's
//! statistics, so it scores the same): an answer repeats its thread's
//! title, and a common word's title list was four times as long as the
//! threads it names; an answer is selected by its own words. A phrase
//! synonym selects by its rarest word, and a question of more than six
//! deciding words by its six rarest ones (see `selecting_concepts`). One window
//! of best documents spans every segment, so later segments start from the
//! score the window already requires. The window compares score buckets,
//! not exact scores, so the walk skips the near ties of many similar documents
//! (see `Window`), and a search fetches windows of fixed sizes in rounds
//! (see [`window`]).
//!
//! The text score of the selected documents is then computed exactly as
//! the full disjunction would score them (every form in every plain and
//! stemmed field, with the tags, each with its own weight; see
//! [`CandidateQuery::text_clauses`]), by seeking each term's postings to
//! the candidates only, in the re-rank's one read of their postings.
//! Scoring every field during the selection made WAND walk five posting
//! lists per word form instead of two: on a million documents it was most
//! of the time a long question took.

use std::cmp::Reverse;
use std::collections::{BTreeMap, BinaryHeap};

use tantivy::query::{
    Bm25StatisticsProvider, Bm25Weight, BooleanQuery, BoostQuery, EnableScoring, Occur, Query,
    TermQuery,
};
use tantivy::schema::{Field, IndexRecordOption};
use tantivy::{DocAddress, DocId, Score, Searcher, SegmentReader, Term};

use super::super::schema::Fields;
use super::super::SearchResult;
use super::plan::{deciding, document_slots, is_stop_word, Concept, Statistics, Variant};

mod max_score;

/// Candidates of the first round of a question of
/// [`LONG_QUESTION_WORDS`] or more (see [`window`]). Measured at 1,000,000
/// posts (callgrind, the 30 long questions of `benches/queries/long.txt`):
/// 11 % fewer instructions a question with 70 than with 100 (the re-rank,
/// which reads every candidate's postings, 27 % fewer); the relevance
/// evaluation is exactly the same with 70 and 100, while 50 lost a late
/// answer from the top five (R@5 0.97 → 0.96).
const MIN_CANDIDATES: usize = 70;
/// Candidates of the first round of a query of fewer words. Its re-rank
/// has little to weigh beyond the selection's score (every word is needed,
/// and the words are few), and its common words leave the selection many
/// near ties: a smaller window lets the walk skip them sooner. Measured
/// at 1,000,000 posts (each of the 24 short queries alone): 20 % less time
/// with 30 than with 100; the relevance evaluation is the same with 30, 50
/// and 100 for short queries, while 50 for every query lost late answers
/// of long questions from the top five (see [`MIN_CANDIDATES`]).
const MIN_SHORT_CANDIDATES: usize = 30;
/// Most candidates re-ranked.
const MAX_CANDIDATES: usize = 2000;
/// A question of this many deciding words or more selects its candidates
/// without its common words (see [`without_common_terms`]).
const LONG_QUESTION_WORDS: usize = 4;
/// Most deciding words that select the candidates: a longer question
/// selects by its rarest ones (see [`selecting_concepts`]).
const MAX_SELECTING_WORDS: usize = 6;
/// A term in more than this share of the documents is common.
const COMMON_SHARE: f64 = 0.1;
/// Below this many documents every postings list is short: nothing is
/// left out of the selection.
const MIN_DOCUMENTS_TO_TRIM: u64 = 1000;

/// One boosted term of a disjunction.
#[derive(Debug, Clone)]
pub(super) struct Clause {
    term: Term,
    option: IndexRecordOption,
    boost: Score,
}

/// The two disjunctions of a query: the one that selects the candidates
/// and the one whose score they carry into the re-rank.
#[derive(Debug, Clone)]
pub(super) struct CandidateQuery {
    selection: Vec<Clause>,
    scoring: Vec<Clause>,
    kind: Option<Term>,
    /// Deciding words (or synonym phrases) of the query.
    words: usize,
}

/// The query's deciding word forms with a weight per field, the highest
/// weight kept when a term comes up twice.
#[derive(Default)]
struct Boosts(BTreeMap<(u32, String), (Field, f32)>);

impl Boosts {
    fn add(&mut self, field: Field, term: &str, boost: f32) {
        let entry = self
            .0
            .entry((field.field_id(), term.to_string()))
            .or_insert((field, boost));
        entry.1 = entry.1.max(boost);
    }

    fn into_clauses(self) -> Vec<Clause> {
        self.0
            .into_iter()
            .map(|((_, term), (field, boost))| Clause {
                term: Term::from_field_text(field, &term),
                option: IndexRecordOption::WithFreqs,
                boost,
            })
            .collect()
    }
}

/// The weight of `field` in the text score (0 when it is not scored).
fn field_weight(fields: &Fields, field: Field) -> f32 {
    fields
        .text_fields()
        .into_iter()
        .chain(fields.stem_fields())
        .find(|(f, _)| *f == field)
        .map_or(0.0, |(_, w)| w)
}

/// The candidate query of the concepts, restricted to one kind when given;
/// `None` when no deciding word has a form to look for. `doc_freq` counts
/// the documents of a term (see [`selecting_word`]).
pub(super) fn candidate_query(
    concepts: &[Concept],
    fields: &Fields,
    kind: Option<&str>,
    mut doc_freq: impl FnMut(&Term) -> SearchResult<u64>,
) -> SearchResult<Option<CandidateQuery>> {
    // A stemmed field selects for itself and for its plain copy.
    // The title's selection field leaves the answers out (see `schema`).
    let pairs = [
        (fields.title_select, fields.title_stem, fields.title),
        (fields.body_stem, fields.body_stem, fields.body),
    ]
    .map(|(select, stem, plain)| {
        let weight = field_weight(fields, stem) + field_weight(fields, plain);
        (select, plain, weight)
    });
    let mut selection = Boosts::default();
    let mut scoring = Boosts::default();
    let deciding: Vec<&Concept> = deciding(concepts).map(|(_, c)| c).collect();
    let long_question = deciding.len() >= LONG_QUESTION_WORDS;
    let selects = selecting_concepts(&deciding, fields, &mut doc_freq)?;
    for (concept, selects) in deciding.iter().zip(selects) {
        for variant in &concept.plan.variants {
            // A phrase's words alone are weak evidence; the re-rank checks order.
            let weight = variant.weight * if variant.terms.len() > 1 { 0.5 } else { 1.0 };
            for term in &variant.terms {
                for (field, field_weight) in fields.text_fields() {
                    scoring.add(field, term, weight * field_weight);
                }
            }
            for stem in &variant.stems {
                for (field, field_weight) in fields.stem_fields() {
                    scoring.add(field, stem, weight * field_weight);
                }
            }
            if !selects {
                continue;
            }
            let selecting = selecting_word(variant, fields, &mut doc_freq)?;
            let Some(term) = variant.terms.get(selecting) else {
                continue;
            };
            // A variant found by another variant's stem is selected by it;
            // its own plain list of a common form only made WAND walk longer.
            if !variant.found_by_stem {
                for &(stem_field, plain_field, pair_weight) in &pairs {
                    match variant.stems.get(selecting) {
                        Some(stem) => selection.add(stem_field, stem, weight * pair_weight),
                        None => selection.add(plain_field, term, weight * pair_weight),
                    }
                }
            }
            // Tags have no stemmed copy; a page tagged with the word (and
            // not saying it) is still a candidate of a short query. A
            // question of more words selects by its words alone: a common
            // tag's list is about as long as its threads (83,000 of
            // 1,000,000 posts for "router"), which MaxScore walked for
            // every question naming the product; the re-rank and the text
            // score still count the tags. Measured at 1,000,000 posts over
            // the 30 long questions of `benches/queries/long.txt`: 15 %
            // fewer postings read and 10 % fewer probed, 551-794 (median
            // 704) searches/s with tags and 650-872 (791) without
            // (`bench-search`, 2 threads, six rounds alternating); the
            // relevance evaluation is the same.
            if !long_question {
                selection.add(
                    fields.tags,
                    term,
                    weight * field_weight(fields, fields.tags),
                );
            }
        }
    }
    if scoring.0.is_empty() {
        return Ok(None);
    }
    Ok(Some(CandidateQuery {
        selection: selection.into_clauses(),
        scoring: scoring.into_clauses(),
        kind: kind.map(|k| Term::from_field_text(fields.kind, k)),
        words: deciding.len(),
    }))
}

/// Which of the deciding concepts select candidates: every one, or in a
/// question of more than [`MAX_SELECTING_WORDS`], those whose forms are in
/// the fewest bodies (with any found in none, which cost nothing). A long
/// natural question shares its rare words with the page that answers it;
/// its common ones ("keep", "every", "work") are in tens of thousands of
/// threads, and block-max WAND walked each of their lists for every such
/// search. They still count in the re-rank, which scores every word.
fn selecting_concepts(
    deciding: &[&Concept],
    fields: &Fields,
    doc_freq: &mut impl FnMut(&Term) -> SearchResult<u64>,
) -> SearchResult<Vec<bool>> {
    if deciding.len() <= MAX_SELECTING_WORDS {
        return Ok(vec![true; deciding.len()]);
    }
    let mut costs = Vec::with_capacity(deciding.len());
    for (at, concept) in deciding.iter().enumerate() {
        let mut listed = 0u64;
        for variant in concept.plan.variants.iter().filter(|v| !v.found_by_stem) {
            let selecting = selecting_word(variant, fields, doc_freq)?;
            listed += match (variant.stems.get(selecting), variant.terms.get(selecting)) {
                (Some(stem), _) => doc_freq(&Term::from_field_text(fields.body_stem, stem))?,
                (None, Some(term)) => doc_freq(&Term::from_field_text(fields.body, term))?,
                (None, None) => 0,
            };
        }
        costs.push((listed, at));
    }
    let mut selects = vec![false; deciding.len()];
    costs.sort_unstable();
    let mut kept = 0;
    for (listed, at) in costs {
        if listed == 0 || kept < MAX_SELECTING_WORDS {
            selects[at] = true;
            kept += usize::from(listed > 0);
        }
    }
    Ok(selects)
}

/// Which of a variant's terms selects its candidates: its only one, or of
/// a phrase (a synonym such as `log in` or `new version`) the word in the
/// fewest bodies, stop words last. A page holding the phrase holds its
/// rarest word, and the re-rank checks the rest and their order; selecting
/// by every word made block-max WAND walk the long lists of words like
/// "in", "on" and "new" for every search of a word with such a synonym.
fn selecting_word(
    variant: &Variant,
    fields: &Fields,
    doc_freq: &mut impl FnMut(&Term) -> SearchResult<u64>,
) -> SearchResult<usize> {
    if variant.terms.len() < 2 {
        return Ok(0);
    }
    let mut best = (true, u64::MAX, 0);
    for (at, term) in variant.terms.iter().enumerate() {
        let listed = match variant.stems.get(at) {
            Some(stem) => Term::from_field_text(fields.body_stem, stem),
            None => Term::from_field_text(fields.body, term),
        };
        let rank = (is_stop_word(term), doc_freq(&listed)?, at);
        best = best.min(rank);
    }
    Ok(best.2)
}

impl CandidateQuery {
    /// `selection` (this query's selection or a part of it) as a tantivy
    /// query: one flat disjunction of boosted term queries (which tantivy
    /// walks by block-max WAND); with a kind filter, intersected with it (a
    /// conjunction with a nested disjunction, which tantivy runs without
    /// WAND: the kind's list bounds the walk instead).
    fn selection_query(&self, selection: &[Clause]) -> Box<dyn Query> {
        let disjunction: Box<dyn Query> = Box::new(disjunction(selection));
        match &self.kind {
            None => disjunction,
            Some(kind) => Box::new(BooleanQuery::new(vec![
                (
                    Occur::Must,
                    Box::new(TermQuery::new(kind.clone(), IndexRecordOption::Basic))
                        as Box<dyn Query>,
                ),
                (Occur::Must, disjunction),
            ])),
        }
    }

    /// Candidates of the search's first round (see [`window`]): fewer
    /// for a query of few words.
    pub(super) fn first_window(&self) -> usize {
        if self.words >= LONG_QUESTION_WORDS {
            MIN_CANDIDATES
        } else {
            MIN_SHORT_CANDIDATES
        }
    }

    /// Every clause the text score sums (the kind filter scores too),
    /// weighed with `statistics` and boosted as the term query of each in
    /// the full disjunction would be, so the text score of a document is
    /// the score that disjunction gives it (see `rerank::read_postings`,
    /// which reads them together with the re-rank's positions).
    pub(super) fn text_clauses(
        &self,
        statistics: &dyn Bm25StatisticsProvider,
    ) -> SearchResult<Vec<TextClause>> {
        let kind = self.kind.iter().map(|kind| Clause {
            term: kind.clone(),
            option: IndexRecordOption::Basic,
            boost: 1.0,
        });
        self.scoring
            .iter()
            .cloned()
            .chain(kind)
            .map(|clause| {
                let weight = Bm25Weight::for_terms(statistics, std::slice::from_ref(&clause.term))?
                    .boost_by(clause.boost);
                Ok(TextClause {
                    term: clause.term,
                    option: clause.option,
                    #[cfg(test)]
                    boost: clause.boost,
                    weight,
                })
            })
            .collect()
    }
}

/// One clause of the text score: a term, what its postings are read
/// with, and how a posting scores.
pub(super) struct TextClause {
    pub(super) term: Term,
    pub(super) option: IndexRecordOption,
    /// The clause's boost in the disjunction (`weight` carries it; the
    /// tests build the disjunction from it).
    #[cfg(test)]
    pub(super) boost: Score,
    pub(super) weight: Bm25Weight,
}

/// One flat disjunction of the boosted term queries of `clauses`.
fn disjunction(clauses: &[Clause]) -> BooleanQuery {
    let clauses: Vec<(Occur, Box<dyn Query>)> = clauses
        .iter()
        .map(|clause| {
            let query = TermQuery::new(clause.term.clone(), clause.option);
            let boosted: Box<dyn Query> = Box::new(BoostQuery::new(Box::new(query), clause.boost));
            (Occur::Should, boosted)
        })
        .collect();
    BooleanQuery::new(clauses)
}

/// Candidates fetched in round `round` of a search (from 0) whose first
/// round fetches `first` (see [`CandidateQuery::first_window`]), then
/// twice as many each round, at most [`MAX_CANDIDATES`]. Fixed for every
/// page, so the rounds of one search are the same whichever page asks.
pub(super) fn window(round: u32, first: usize) -> usize {
    first
        .saturating_mul(1usize.checked_shl(round).unwrap_or(usize::MAX))
        .min(MAX_CANDIDATES)
}

/// The best `fetch` candidates by their selection score, best first, and
/// whether the window was filled (more documents may match than were
/// fetched). A larger `fetch` holds the candidates of a smaller one (see
/// [`Window`] for where that can fail).
pub(super) fn top_candidates(
    searcher: &Searcher,
    statistics: &Statistics<'_>,
    query: &CandidateQuery,
    fetch: usize,
) -> SearchResult<(Vec<DocAddress>, bool)> {
    let selection = if query.words >= LONG_QUESTION_WORDS {
        let documents = document_slots(searcher);
        without_common_terms(&query.selection, documents, |term| {
            statistics.doc_freq(term)
        })?
    } else {
        query.selection.clone()
    };
    if log::log_enabled!(log::Level::Trace) {
        let clauses: Vec<String> = selection
            .iter()
            .map(|c| {
                let df = statistics.doc_freq(&c.term).unwrap_or(0);
                format!("{:?}x{:.2}df{df}", c.term.value().as_str(), c.boost)
            })
            .collect();
        log::trace!("selection of {fetch}: {}", clauses.join(" "));
    }
    let mut window = Window::new(fetch);
    // A kind filter makes the query a conjunction, which MaxScore does not
    // walk: tantivy intersects it with the kind's list.
    if query.kind.is_none() {
        let spans = max_score::select(searcher, statistics, &selection, &mut window)?;
        log::trace!(
            "{} spans walked, {} passed over",
            spans.walked,
            spans.passed_over
        );
    } else {
        select(
            searcher,
            statistics.scoring(),
            query.selection_query(&selection).as_ref(),
            &mut window,
        )?;
    }
    let saturated = window.is_full();
    Ok((window.into_best_first(), saturated))
}

/// The selection clauses of a long question without those of its common
/// terms (in more than [`COMMON_SHARE`] of the `documents`; `doc_freq`
/// counts a term's documents), unless no term found in some document would
/// be left, or the index is small. Block-max
/// WAND walks every list it is given: a common word's list is long and
/// adds little to the score that picks the candidates, and the re-rank
/// still scores every word. Measured on 1,000,000 posts, 8-12 word
/// questions cost a fifth less; short queries keep their common words (a
/// two-word query selecting on one of them fills the window with
/// documents the re-rank then rejects, and costs more).
fn without_common_terms(
    selection: &[Clause],
    documents: u64,
    mut doc_freq: impl FnMut(&Term) -> SearchResult<u64>,
) -> SearchResult<Vec<Clause>> {
    if documents < MIN_DOCUMENTS_TO_TRIM {
        return Ok(selection.to_vec());
    }
    let limit = COMMON_SHARE * documents as f64;
    let mut kept = Vec::with_capacity(selection.len());
    let mut found = false;
    for clause in selection {
        let df = doc_freq(&clause.term)?;
        if df as f64 <= limit {
            found |= df > 0;
            kept.push(clause.clone());
        }
    }
    Ok(if found { kept } else { selection.to_vec() })
}

/// Fills `window` with the best documents of `query` over the whole index
/// (segments largest first, each starting from the score the window
/// already requires), compared by [`bucket`] (see [`Window`]).
fn select(
    searcher: &Searcher,
    scoring: EnableScoring<'_>,
    query: &dyn Query,
    window: &mut Window,
) -> SearchResult<()> {
    let weight = query.weight(scoring)?;
    for (at, reader) in walk_order(searcher) {
        let alive = reader.alive_bitset();
        weight.for_each_pruning(window.threshold(), reader, &mut |doc, score| {
            if !alive.is_some_and(|a| a.is_deleted(doc)) {
                window.push(score, at, doc);
            }
            window.threshold()
        })?;
    }
    Ok(())
}

/// The segments in the order the selection walks them: largest first.
fn walk_order(searcher: &Searcher) -> Vec<(Place, &SegmentReader)> {
    let readers = searcher.segment_readers();
    let mut order: Vec<usize> = (0..readers.len()).collect();
    order.sort_by_key(|&ord| (Reverse(readers[ord].num_docs()), ord));
    order
        .into_iter()
        .enumerate()
        .map(|(rank, ord)| {
            let at = Place {
                rank: rank as u32,
                segment_ord: ord as u32,
            };
            (at, &readers[ord])
        })
        .collect()
}

/// Significant bits of a selection score the window compares, of the 24
/// an `f32` has: two buckets per doubling of the score, each 25-50 % of
/// the scores it holds wide. A tie goes to the document seen first.
/// Measured at 1,000,000 posts (`bench-search`, 2 threads, two rounds):
/// exact scores 1,180-1,188 short and 290-302 long searches/s, 4 bits
/// 1,261-1,449 and 326-336, 3 bits 1,481-1,503 and 344-383; on another
/// day, 3 bits 1,619-1,634 and 414-421, 2 bits 1,675-1,810 and 519-541.
/// The relevance evaluation is the same with exact scores and with 3 or 2
/// bits; with 1 it loses a manual page from the top 5.
const SCORE_BITS: u32 = 2;
/// Low bits of an `f32` a bucket leaves out.
const BUCKET_SHIFT: u32 = 24 - SCORE_BITS;

/// The bucket of a selection score: its sign, exponent and first
/// [`SCORE_BITS`] significant bits, ordered as the scores are (0 for a
/// score that is not positive or not a number, and for the smallest
/// subnormal ones; infinity counts as `f32::MAX`).
fn bucket(score: Score) -> u32 {
    if score > 0.0 {
        score.to_bits().min(Score::MAX.to_bits()) >> BUCKET_SHIFT
    } else {
        0
    }
}

/// The highest score in `bucket` (for the last finite bucket, which also
/// holds infinity, `f32::MAX`).
fn bucket_top(bucket: u32) -> Score {
    Score::from_bits((bucket << BUCKET_SHIFT) | ((1 << BUCKET_SHIFT) - 1))
}

/// A segment in the order the selection walks it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct Place {
    rank: u32,
    segment_ord: u32,
}

/// A selected document: a higher bucket wins, then the document seen
/// first (earlier segment in walk order, then lower id).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct Slot {
    bucket: u32,
    seen: Reverse<(Place, DocId)>,
}

/// The best `size` documents seen so far (a min-heap on the slot).
///
/// The walk (block-max MaxScore, or tantivy's block-max WAND with a kind
/// filter) scores every document a block's maximum could put in the
/// window. Many similar documents (a support site's many threads about
/// one problem) score a few percent apart, so with exact scores the
/// window's threshold stays under nearly every block and nearly every
/// posting gets scored. Comparing buckets instead, a document must reach a
/// higher bucket than the window's worst to enter, so the threshold the
/// walk is given is the top of that bucket and the near ties are skipped: the
/// discrete form of the original WAND's threshold factor, which prunes
/// harder at the cost of exactness at the window's tail. Documents arrive
/// in the order [`Slot`] prefers on a tie, so the window is the best
/// `size` in that order, and a larger window holds every document of a
/// smaller one, as far as tantivy's block maxima bound the scores: they
/// are chosen with each segment's own average field length when it is
/// written and scored with the whole index's, so across segments a block
/// may be skipped with a document a little above the threshold (before
/// buckets too), and a sum's last bit depends on the walk. Pages do not
/// rely on it: a later round of a search only adds to the list of the
/// earlier ones (see `search_admitted`). The re-rank scores the selected
/// documents exactly afterwards.
struct Window {
    heap: BinaryHeap<Reverse<Slot>>,
    size: usize,
    /// Documents that entered the window (some were pushed out later).
    #[cfg(test)]
    entered: usize,
}

impl Window {
    fn new(size: usize) -> Window {
        let size = size.max(1);
        Window {
            heap: BinaryHeap::with_capacity(size + 1),
            size,
            #[cfg(test)]
            entered: 0,
        }
    }

    fn is_full(&self) -> bool {
        self.heap.len() >= self.size
    }

    /// The score a document must beat to enter: the top of the worst
    /// document's bucket once the window is full.
    fn threshold(&self) -> Score {
        match self.heap.peek() {
            Some(Reverse(worst)) if self.is_full() => bucket_top(worst.bucket),
            _ => Score::MIN,
        }
    }

    fn push(&mut self, score: Score, place: Place, doc: DocId) {
        let slot = Slot {
            bucket: bucket(score),
            seen: Reverse((place, doc)),
        };
        if self.is_full() {
            match self.heap.peek() {
                Some(Reverse(worst)) if slot > *worst => {
                    self.heap.pop();
                }
                _ => return,
            }
        }
        self.heap.push(Reverse(slot));
        #[cfg(test)]
        {
            self.entered += 1;
        }
    }

    fn into_best_first(self) -> Vec<DocAddress> {
        let mut slots: Vec<Slot> = self.heap.into_iter().map(|Reverse(s)| s).collect();
        slots.sort_unstable_by(|a, b| b.cmp(a));
        slots
            .into_iter()
            .map(|slot| {
                let Reverse((place, doc)) = slot.seen;
                DocAddress::new(place.segment_ord, doc)
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_window_keeps_the_best_buckets_and_the_first_seen_on_ties() {
        let first = Place {
            rank: 0,
            segment_ord: 1,
        };
        let second = Place {
            rank: 1,
            segment_ord: 0,
        };
        let mut window = Window::new(3);
        assert_eq!(window.threshold(), Score::MIN);
        // 2.0 and 2.1 share a bucket, 3.0 is above it and 1.0 below.
        assert_eq!(bucket(2.0), bucket(2.1));
        for (score, place, doc) in [
            (1.0, first, 5),
            (2.1, first, 7),
            (3.0, first, 6),
            (2.0, first, 9),
            (0.5, second, 2),
            // Higher than the worst's 2.0 but in its bucket, seen later.
            (2.1, second, 1),
        ] {
            window.push(score, place, doc);
        }
        assert!(window.is_full());
        assert_eq!(window.threshold(), bucket_top(bucket(2.0)));
        assert!(window.threshold() >= 2.1);
        assert_eq!(
            window.into_best_first(),
            vec![
                DocAddress::new(1, 6),
                DocAddress::new(1, 7),
                DocAddress::new(1, 9)
            ]
        );
    }

    #[test]
    fn buckets_keep_the_order_of_scores_and_end_at_their_top() {
        let mut scores: Vec<Score> = vec![0.0, -1.0, Score::MIN_POSITIVE, Score::MAX];
        let mut x: Score = 1e-6;
        while x < 1e6 {
            scores.push(x);
            x *= 1.013;
        }
        scores.sort_by(|a, b| a.total_cmp(b));
        for pair in scores.windows(2) {
            assert!(bucket(pair[0]) <= bucket(pair[1]), "{pair:?}");
        }
        for &score in scores.iter().filter(|s| **s > 0.0) {
            let top = bucket_top(bucket(score));
            assert!(top >= score && top.is_finite(), "{score} {top}");
            assert_eq!(bucket(top), bucket(score));
            if top < Score::MAX {
                let next = Score::from_bits(top.to_bits() + 1);
                assert_eq!(bucket(next), bucket(score) + 1, "{score}");
            }
            // Two buckets per doubling: the top is at most 50 % above.
            assert!(top <= score * 1.5, "{score} {top}");
        }
        assert_eq!(bucket(0.0), 0);
        assert_eq!(bucket(-1.0), 0);
    }

    #[test]
    fn near_ties_are_skipped_and_the_first_seen_of_a_bucket_kept() {
        use tantivy::collector::TopDocs;
        use tantivy::schema::{Schema, TEXT};
        use tantivy::{doc, Index, IndexWriter};

        let mut builder = Schema::builder();
        let text = builder.add_text_field("text", TEXT);
        let index = Index::create_in_ram(builder.build());
        let mut writer: IndexWriter = index
            .writer_with_num_threads(1, 15_000_000)
            .expect("writer");
        // Each document a little shorter than the one before, so each
        // scores a little higher: a run of near ties.
        let documents = 2000;
        for i in 0..documents {
            let filler = " filler".repeat(40 - i * 30 / documents);
            writer
                .add_document(doc!(text => format!("printer jams{filler}")))
                .expect("add");
        }
        writer.commit().expect("commit");
        let searcher = index.reader().expect("reader").searcher();
        let term = |word: &str| {
            let term = Term::from_field_text(text, word);
            Box::new(TermQuery::new(term, IndexRecordOption::WithFreqs)) as Box<dyn Query>
        };
        let query = BooleanQuery::new(vec![
            (Occur::Should, term("printer")),
            (Occur::Should, term("jams")),
        ]);
        let scoring = EnableScoring::enabled_from_searcher(&searcher);
        let mut window = Window::new(10);
        select(&searcher, scoring, &query, &mut window).expect("select");
        let entered = window.entered;
        let selected = window.into_best_first();

        // Every document scored exactly, best bucket first, then the first
        // seen: the window holds exactly the best ten in that order.
        let all = searcher
            .search(&query, &TopDocs::with_limit(documents).order_by_score())
            .expect("search");
        assert_eq!(all.len(), documents);
        let mut expected: Vec<(u32, DocAddress)> =
            all.iter().map(|(score, a)| (bucket(*score), *a)).collect();
        expected.sort_by_key(|&(b, a)| (Reverse(b), a));
        let expected: Vec<DocAddress> = expected.iter().take(10).map(|&(_, a)| a).collect();
        assert_eq!(selected, expected);
        // With exact scores every new document length beats the window's
        // worst, and ten documents of each of the 30 lengths enter; with
        // buckets only a new bucket lets any in.
        assert!(entered <= 40, "{entered} documents entered the window");
    }

    #[test]
    fn long_questions_select_without_their_common_terms() {
        let field = Field::from_field_id(0);
        let clause = |text: &str| Clause {
            term: Term::from_field_text(field, text),
            option: IndexRecordOption::WithFreqs,
            boost: 1.0,
        };
        let selection = [clause("every"), clause("printer"), clause("offline")];
        let df = |term: &Term| -> SearchResult<u64> {
            Ok(match term.value().as_str() {
                Some("every") => 4000,
                Some("printer") => 1000,
                Some("offline") => 200,
                _ => 0,
            })
        };
        let texts = |clauses: Vec<Clause>| -> Vec<String> {
            clauses
                .iter()
                .filter_map(|c| c.term.value().as_str().map(str::to_string))
                .collect()
        };
        // 10% of 10,000 documents: "every" (4,000) goes, "printer" (1,000) stays.
        let kept = without_common_terms(&selection, 10_000, df).unwrap();
        assert_eq!(texts(kept), ["printer", "offline"]);
        // Every term common: the whole selection stays.
        let kept = without_common_terms(&selection, 1_500, df).unwrap();
        assert_eq!(texts(kept), ["every", "printer", "offline"]);
        // Only a term in no document would be left: the whole selection stays.
        let with_unknown = [clause("every"), clause("spooler")];
        let kept = without_common_terms(&with_unknown, 2_000, df).unwrap();
        assert_eq!(texts(kept), ["every", "spooler"]);
        // A small index keeps every term.
        let kept = without_common_terms(&selection, 999, df).unwrap();
        assert_eq!(texts(kept), ["every", "printer", "offline"]);
    }

    #[test]
    fn a_phrase_synonym_selects_by_its_rarest_word_not_its_stop_word() {
        use super::super::plan::{Concept, Variant, WordPlan};
        use crate::search::schema;
        use std::sync::Arc;
        let fields = Fields::from_schema(&schema::build()).unwrap();
        let variant = |terms: &[&str], weight| Variant {
            terms: terms.iter().map(|t| t.to_string()).collect(),
            stems: terms.iter().map(|t| schema::stem(t)).collect(),
            weight,
            found_by_stem: false,
        };
        let concept = |word: &str, variants| Concept {
            plan: Arc::new(WordPlan {
                word: word.to_string(),
                variants,
                correction: None,
            }),
            stop: false,
        };
        // "sign in" = "log in", "update" = "new version": the body lists of
        // "in" and "new" are long, "log" and "version" short.
        let concepts = [
            concept(
                "signin",
                vec![variant(&["sign", "in"], 1.0), variant(&["log", "in"], 0.8)],
            ),
            concept(
                "update",
                vec![variant(&["update"], 1.0), variant(&["new", "version"], 0.8)],
            ),
        ];
        let df = |term: &Term| -> SearchResult<u64> {
            Ok(match term.value().as_str() {
                Some("in") => 400_000,
                Some("new") => 50_000,
                Some("sign") => 9_000,
                Some("log") => 7_000,
                Some("version") => 3_000,
                _ => 1_000,
            })
        };
        let query = candidate_query(&concepts, &fields, None, df)
            .unwrap()
            .unwrap();
        let words = |clauses: &[Clause]| -> std::collections::BTreeSet<String> {
            clauses
                .iter()
                .filter_map(|c| c.term.value().as_str().map(str::to_string))
                .collect()
        };
        let selecting = words(&query.selection);
        assert_eq!(
            selecting,
            // Stemmed fields list "updat", the tags the word as typed.
            ["log", "sign", "updat", "update", "version"]
                .map(String::from)
                .into(),
            "{:?}",
            query.selection
        );
        // Every word still scores, and the query counts two deciding words.
        let scoring = words(&query.scoring);
        for word in ["in", "new", "sign", "log", "version", "update"] {
            assert!(scoring.contains(word), "{word} scores");
        }
        assert_eq!(query.words, 2);
        // A phrase of stop words alone still selects by one of them.
        let only_stops = [concept("in", vec![variant(&["in", "on"], 1.0)])];
        let query = candidate_query(&only_stops, &fields, None, df)
            .unwrap()
            .unwrap();
        assert_eq!(
            words(&query.selection),
            ["on"].map(String::from).into(),
            "the one in fewer bodies"
        );
    }

    #[test]
    fn a_long_question_selects_by_its_six_rarest_words_and_scores_every_word() {
        use super::super::plan::{Concept, Variant, WordPlan};
        use crate::search::schema;
        use std::sync::Arc;
        let fields = Fields::from_schema(&schema::build()).unwrap();
        let concept = |word: &str| Concept {
            plan: Arc::new(WordPlan {
                word: word.to_string(),
                variants: vec![Variant {
                    terms: vec![word.to_string()],
                    stems: vec![word.to_string()],
                    weight: 1.0,
                    found_by_stem: false,
                }],
                correction: None,
            }),
            stop: false,
        };
        // Body lists: "zzfoo" is in no document.
        let listed = |word: &str| match word {
            "keep" => 90_000,
            "every" => 80_000,
            "printer" => 60_000,
            "morning" => 20_000,
            "offline" => 9_000,
            "spooler" => 300,
            "driver" => 5_000,
            "queue" => 700,
            _ => 0,
        };
        let df = |term: &Term| -> SearchResult<u64> {
            Ok(term.value().as_str().map_or(0, |w| {
                if term.field() == fields.body_stem {
                    listed(w)
                } else {
                    1
                }
            }))
        };
        let words = |clauses: &[Clause]| -> std::collections::BTreeSet<String> {
            clauses
                .iter()
                .filter_map(|c| c.term.value().as_str().map(str::to_string))
                .collect()
        };
        let question = [
            "keep", "every", "printer", "morning", "offline", "spooler", "driver", "queue", "zzfoo",
        ]
        .map(concept);
        let query = candidate_query(&question, &fields, None, df)
            .unwrap()
            .unwrap();
        assert_eq!(query.words, 9);
        assert_eq!(
            words(&query.selection),
            ["driver", "morning", "offline", "printer", "queue", "spooler", "zzfoo"]
                .map(String::from)
                .into(),
            "the six rarest found, and the word found nowhere"
        );
        let scoring = words(&query.scoring);
        for word in ["keep", "every", "printer", "spooler", "zzfoo"] {
            assert!(scoring.contains(word), "{word} still scores");
        }
        // A question selects by its words, not by the tags; its tags
        // still score.
        assert!(query
            .selection
            .iter()
            .all(|c| c.term.field() != fields.tags));
        assert!(query
            .scoring
            .iter()
            .any(|c| c.term.field() == fields.tags && c.term.value().as_str() == Some("spooler")));
        // Six words or fewer: every one selects, the commonest too.
        let short = ["keep", "every", "printer", "offline", "spooler", "queue"].map(concept);
        let query = candidate_query(&short, &fields, None, df).unwrap().unwrap();
        assert!(words(&query.selection).contains("keep"));
        assert!(words(&query.selection).contains("every"));
        // A question's first round reads 70 candidates, a query of one
        // to three words 30.
        assert_eq!(query.first_window(), MIN_CANDIDATES);
        for n in 1..LONG_QUESTION_WORDS {
            let few = &short[..n];
            let query = candidate_query(few, &fields, None, df).unwrap().unwrap();
            assert_eq!(query.first_window(), MIN_SHORT_CANDIDATES, "{n} words");
            // A short query also selects pages tagged with its words.
            for word in few {
                assert!(
                    query.selection.iter().any(|c| c.term.field() == fields.tags
                        && c.term.value().as_str() == Some(word.plan.word.as_str())),
                    "{n} words: tag {}",
                    word.plan.word
                );
            }
        }
    }
}
