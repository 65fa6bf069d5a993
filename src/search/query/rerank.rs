//! Re-rank: the best candidates scored from their postings (share of the
//! query's words weighted by rarity, text score, BM25F, title, proximity,
//! phrase order, a dampened solved/votes boost), then collapsed per group,
//! results titled like a better one moved down.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::{Arc, Mutex, PoisonError};

use tantivy::columnar::ColumnValues;
use tantivy::fieldnorm::FieldNormReader;
use tantivy::index::SegmentId;
use tantivy::postings::Postings;
use tantivy::schema::{Field, IndexRecordOption};
use tantivy::{DocAddress, DocSet, Score, Searcher, SegmentReader, Term, TERMINATED};

use super::super::schema::{self, Fields};
use super::super::SearchResult;
use super::candidates::TextClause;
use super::plan::{deciding, doc_freq, document_slots, Concept};

/// Positions of one word in one field considered for proximity.
const MAX_POSITIONS: usize = 256;
/// Re-rank weight of the share of the query's words a document holds
/// (each word weighted by how rare it is).
const COVERAGE_WEIGHT: f32 = 4.0;
/// Re-rank weight of the candidate's text score (relative to the best).
const TEXT_WEIGHT: f32 = 3.0;
/// Re-rank weight of the candidate's BM25F score (relative to the best).
const BM25F_WEIGHT: f32 = 3.0;
/// The BM25F parameters (see [`Scoring::bm25f`]).
const BM25F: Bm25f = Bm25f {
    k1: 1.2,
    b: 0.75,
    title: 2.0,
    tags: 2.0,
};
/// A result whose title is the same as that of `n` better results (a
/// duplicate question, say) has its score multiplied by this to the `n`.
const SAME_TITLE_DECAY: f32 = 0.8;
/// The solved/votes boost is applied to this power: it breaks near-ties
/// between equally relevant documents, it does not outrank relevance.
const BOOST_EXPONENT: f32 = 0.15;
/// Beyond two words, a document is shown when it holds at least this share
/// of the word weight the best-matching document holds. A long natural
/// question rarely shares most of its words with the page that answers it,
/// so a fixed share of the words would drop the right page.
const MIN_SHARE_OF_BEST: f32 = 0.3;

/// BM25F parameters: term-frequency saturation (`k1`), length
/// normalisation (`b`), and the weight of a word in the title (with its
/// context) and in the tags, the body's being 1.
struct Bm25f {
    k1: f32,
    b: f32,
    title: f32,
    tags: f32,
}

/// How much a concept tells documents apart: BM25's inverse document
/// frequency of its most frequent form in the stemmed title or body. A
/// word in no document (nothing to find it by) counts the most.
fn concept_idf(searcher: &Searcher, fields: &Fields, concept: &Concept) -> SearchResult<f32> {
    let total = document_slots(searcher) as f32;
    let mut df = 0u64;
    for variant in &concept.plan.variants {
        if let Some(form) = variant.stems.first().or(variant.terms.first()) {
            for field in [fields.title_stem, fields.body_stem] {
                df = df.max(doc_freq(searcher, &[field], form)?);
            }
        }
    }
    let df = (df as f32).min(total);
    Ok((1.0 + (total - df + 0.5) / (df + 0.5)).ln())
}

/// Words a document must contain out of `n` to count as a full match: all
/// of one or two, then 75% (rounded down), as Lucene's `2<75%`.
pub(super) fn minimum_should_match(n: usize) -> usize {
    if n <= 2 {
        n
    } else {
        n * 3 / 4
    }
}

/// A candidate after the re-rank.
#[derive(Debug, Clone)]
pub(super) struct Ranked {
    pub(super) address: DocAddress,
    pub(super) score: Score,
    /// Deciding words found.
    pub(super) matched: usize,
    /// Share of the deciding words' weight found (each word weighted by
    /// its rarity; typo and synonym matches count less than the word as
    /// typed).
    pub(super) coverage: f32,
    pub(super) group: u64,
    pub(super) group_limit: u64,
    pub(super) part: u64,
    /// Hash of the title's words.
    pub(super) title: u64,
}

/// Where the re-rank reads one variant's matches: a postings list per term
/// in the title and in the body, and one in the tags (single words only).
#[derive(Debug, Clone)]
struct VariantSources {
    title: Vec<usize>,
    body: Vec<usize>,
    tags: Option<usize>,
    weight: f32,
}

/// The postings lists the re-rank reads, deduplicated.
#[derive(Default)]
struct Needs {
    terms: Vec<Term>,
    index: HashMap<Term, usize>,
}

impl Needs {
    fn id(&mut self, field: Field, text: &str) -> usize {
        let term = Term::from_field_text(field, text);
        if let Some(id) = self.index.get(&term) {
            return *id;
        }
        let id = self.terms.len();
        self.terms.push(term.clone());
        self.index.insert(term, id);
        id
    }
}

/// What one concept has in one document.
#[derive(Debug, Default)]
pub(super) struct ConceptMatch {
    /// Best weight of a matching variant (0: absent).
    pub(super) weight: f32,
    pub(super) in_title: bool,
    pub(super) exact_in_title: bool,
    pub(super) in_tags: bool,
    /// (first, last) positions of each occurrence, in title and body.
    pub(super) title_spans: Vec<(u32, u32)>,
    pub(super) body_spans: Vec<(u32, u32)>,
}

/// Re-ranks the candidates; returns them best first, restricted to those
/// with enough of the query's words (see [`MIN_SHARE_OF_BEST`]), flagged
/// `true` when none has the minimum share of words. `text` are the clauses
/// of the candidates' text score (see `CandidateQuery::text_clauses`).
pub(super) fn rerank(
    searcher: &Searcher,
    fields: &Fields,
    concepts: &[Concept],
    text: &[TextClause],
    candidates: &[DocAddress],
    columns: &ColumnCache,
) -> SearchResult<(Vec<Ranked>, bool)> {
    if candidates.is_empty() {
        return Ok((Vec::new(), false));
    }
    let sources = ConceptSources::new(fields, concepts);
    let (positions, text_scores) = read_postings(searcher, &sources.needs, text, candidates)?;
    let scoring = Scoring::new(searcher, fields, concepts, &text_scores)?;
    let columns = columns.of(searcher, fields);
    let lengths = FieldLengths::new(searcher, fields);
    let mut found: Vec<ConceptMatch> = Vec::new();
    // Each candidate's BM25F and the other parts of its relevance; the
    // BM25F counts relative to the best candidate's, known at the end.
    let parts: Vec<(f32, Parts)> = candidates
        .iter()
        .enumerate()
        .map(|(candidate, address)| {
            sources.matches_into(&|id| positions.of(candidate, id), &mut found);
            (
                scoring.bm25f(&found, lengths.get(*address)),
                scoring.parts(&found),
            )
        })
        .collect();
    let best_bm25f = parts
        .iter()
        .map(|(bm25f, _)| *bm25f)
        .fold(0.0f32, f32::max)
        .max(1e-6);
    let mut ranked = Vec::with_capacity(candidates.len());
    for ((text_score, address), (bm25f, parts)) in text_scores.iter().zip(candidates).zip(&parts) {
        let relevance = scoring.relevance(parts, *text_score, bm25f / best_bm25f);
        let values = columns.get(*address);
        ranked.push(Ranked {
            address: *address,
            score: relevance * (values.boost.max(0.01) as f32).powf(BOOST_EXPONENT),
            matched: parts.matched,
            coverage: parts.coverage,
            group: values.group,
            group_limit: values.group_limit,
            part: values.part,
            title: values.title,
        });
    }
    Ok(keep_enough_words(ranked, scoring.deciding.len()))
}

/// Where the re-rank reads every concept's matches.
struct ConceptSources {
    /// The postings lists to read.
    needs: Needs,
    /// Per concept, where each of its variants is found.
    variants: Vec<Vec<VariantSources>>,
    /// Per concept, the single word as typed in the plain title (none for
    /// a phrase or a word that was corrected).
    exact_title: Vec<Option<usize>>,
}

impl ConceptSources {
    fn new(fields: &Fields, concepts: &[Concept]) -> ConceptSources {
        let mut needs = Needs::default();
        let mut variants: Vec<Vec<VariantSources>> = Vec::with_capacity(concepts.len());
        let mut exact_title: Vec<Option<usize>> = Vec::with_capacity(concepts.len());
        for concept in concepts {
            let mut list = Vec::new();
            for variant in &concept.plan.variants {
                let (title_field, body_field, texts) = if variant.stems.is_empty() {
                    (fields.title, fields.body, &variant.terms)
                } else {
                    (fields.title_stem, fields.body_stem, &variant.stems)
                };
                list.push(VariantSources {
                    title: texts.iter().map(|t| needs.id(title_field, t)).collect(),
                    body: texts.iter().map(|t| needs.id(body_field, t)).collect(),
                    tags: (variant.terms.len() == 1)
                        .then(|| needs.id(fields.tags, &variant.terms[0])),
                    weight: variant.weight,
                });
            }
            variants.push(list);
            let typed = concept
                .plan
                .variants
                .first()
                .filter(|v| v.weight >= 1.0)
                .map(|v| v.terms.join(" "));
            exact_title.push(match typed {
                Some(t) if !t.contains(' ') => Some(needs.id(fields.title, &t)),
                _ => None,
            });
        }
        ConceptSources {
            needs,
            variants,
            exact_title,
        }
    }

    /// What each concept has in one candidate, `at` giving the positions of
    /// a needed term in it, written over `found` (one per concept): the
    /// re-rank reuses the same matches and their lists of spans for every
    /// candidate rather than allocating them again for each.
    fn matches_into<'a>(&self, at: &impl Fn(usize) -> &'a [u32], found: &mut Vec<ConceptMatch>) {
        found.resize_with(self.variants.len(), ConceptMatch::default);
        for ((variants, exact_title), found) in
            self.variants.iter().zip(&self.exact_title).zip(found)
        {
            found.clear();
            for variant in variants {
                // Appended in place: a candidate has no list of its own
                // per variant (most variants are absent from it).
                let in_title = add_phrase_spans(&variant.title, at, &mut found.title_spans);
                let in_body = add_phrase_spans(&variant.body, at, &mut found.body_spans);
                let tagged = variant.tags.is_some_and(|id| !at(id).is_empty());
                if in_title || in_body || tagged {
                    found.weight = found.weight.max(variant.weight);
                }
                found.in_title |= in_title;
                found.in_tags |= tagged;
            }
            found.exact_in_title = exact_title.is_some_and(|id| !at(id).is_empty());
            found.title_spans.sort_unstable();
            found.body_spans.sort_unstable();
        }
    }
}

impl ConceptMatch {
    /// Absent, keeping the lists' room for the next candidate.
    fn clear(&mut self) {
        self.weight = 0.0;
        self.in_title = false;
        self.exact_in_title = false;
        self.in_tags = false;
        self.title_spans.clear();
        self.body_spans.clear();
    }
}

/// What every candidate is scored against: the deciding concepts, their
/// rarity, and the best text score among the candidates.
struct Scoring {
    /// Indexes of the deciding concepts.
    deciding: Vec<usize>,
    /// Inverse document frequency of every concept.
    idfs: Vec<f32>,
    /// Sum of the deciding concepts' inverse document frequencies.
    idf_total: f32,
    /// Best text score among the candidates.
    best_text: f32,
    /// Average length of the title (with its context) and of the body, in
    /// words.
    average_lengths: [f32; 2],
}

impl Scoring {
    fn new(
        searcher: &Searcher,
        fields: &Fields,
        concepts: &[Concept],
        text_scores: &[Score],
    ) -> SearchResult<Scoring> {
        let best_text = text_scores.iter().copied().fold(0.0f32, f32::max).max(1e-6);
        let deciding: Vec<usize> = deciding(concepts).map(|(i, _)| i).collect();
        let idfs = concepts
            .iter()
            .map(|c| concept_idf(searcher, fields, c))
            .collect::<SearchResult<Vec<f32>>>()?;
        let idf_total: f32 = deciding.iter().map(|&c| idfs[c]).sum::<f32>().max(1e-6);
        let docs = document_slots(searcher).max(1) as f32;
        let mut average_lengths = [0.0f32; 2];
        for (average, field) in average_lengths
            .iter_mut()
            .zip([fields.title_stem, fields.body_stem])
        {
            let mut tokens = 0u64;
            for segment in searcher.segment_readers() {
                tokens += segment.inverted_index(field)?.total_num_tokens();
            }
            *average = (tokens as f32 / docs).max(1.0);
        }
        Ok(Scoring {
            deciding,
            idfs,
            idf_total,
            best_text,
            average_lengths,
        })
    }

    /// BM25F of one candidate over the deciding words: each word's
    /// occurrences in the title (with its context), body and tags, weighted
    /// by field and length-normalised per field, saturated once per word
    /// (a word in the title and the body is not counted twice over), times
    /// its rarity and the weight of the form found.
    fn bm25f(&self, matches: &[ConceptMatch], lengths: [f32; 2]) -> f32 {
        let [title_norm, body_norm] =
            [0, 1].map(|f| 1.0 - BM25F.b + BM25F.b * lengths[f] / self.average_lengths[f]);
        self.deciding
            .iter()
            .map(|&c| {
                let m = &matches[c];
                let tf = BM25F.title * m.title_spans.len() as f32 / title_norm
                    + m.body_spans.len() as f32 / body_norm
                    + BM25F.tags * f32::from(u8::from(m.in_tags));
                self.idfs[c] * m.weight * tf * (BM25F.k1 + 1.0) / (tf + BM25F.k1)
            })
            .sum()
    }

    /// What one candidate's relevance is made of, but for its text score
    /// and BM25F (which count relative to the best candidate's).
    fn parts(&self, matches: &[ConceptMatch]) -> Parts {
        let deciding_ids = &self.deciding;
        let n = deciding_ids.len().max(1);
        let matched = deciding_ids
            .iter()
            .filter(|&&c| matches[c].weight > 0.0)
            .count();
        let share = |f: &dyn Fn(&ConceptMatch) -> f32| {
            deciding_ids.iter().map(|&c| f(&matches[c])).sum::<f32>() / n as f32
        };
        let coverage = deciding_ids
            .iter()
            .map(|&c| matches[c].weight * self.idfs[c])
            .sum::<f32>()
            / self.idf_total;
        let title = share(&|m| if m.in_title { m.weight } else { 0.0 });
        let exact = share(&|m| f32::from(u8::from(m.exact_in_title)));
        let proximity = proximity(deciding_ids, matches, |m| &m.title_spans).max(proximity(
            deciding_ids,
            matches,
            |m| &m.body_spans,
        ));
        let phrase = phrase_order(matches);
        Parts {
            matched,
            coverage,
            title,
            exact,
            proximity,
            phrase,
        }
    }

    /// Relevance of one candidate (before the boost) from its `parts`, its
    /// text score and its BM25F relative to the best candidate's.
    fn relevance(&self, parts: &Parts, text_score: Score, bm25f: f32) -> f32 {
        COVERAGE_WEIGHT * parts.coverage
            + TEXT_WEIGHT * text_score / self.best_text
            + BM25F_WEIGHT * bm25f
            + parts.title
            + 0.5 * parts.exact
            + 0.7 * parts.proximity
            + 0.5 * parts.phrase
    }
}

/// What a candidate's relevance is made of (see [`Scoring::relevance`]).
struct Parts {
    /// Deciding words found.
    matched: usize,
    /// Share of the deciding words' weight found.
    coverage: f32,
    /// Share of the deciding words in the title (by the weight of the form found).
    title: f32,
    /// Share of the deciding words in the title as typed.
    exact: f32,
    /// How close together the words stand (see [`proximity`]).
    proximity: f32,
    /// Share of neighbouring words in order (see [`phrase_order`]).
    phrase: f32,
}

/// Sorts the candidates best first and keeps those with enough of the `n`
/// deciding words: every word of a one- or two-word query when some
/// candidate has them all, else a good part of the best coverage or the
/// minimum share of words (a document holding one very rare query word
/// has the best coverage by far, and "nas not visible" showed it alone
/// while threads holding "nas" and "not" were full matches). A candidate
/// the re-rank puts above the best-covering one is kept whatever its
/// coverage: the bar is there to drop weak partial matches below a better
/// match, and which documents fill the window beside it (one holding
/// more of a long question's common words, say) must not drop the best
/// one. Flags `true` when none has the minimum share of words.
pub(super) fn keep_enough_words(mut ranked: Vec<Ranked>, n: usize) -> (Vec<Ranked>, bool) {
    let by_score = |a: &Ranked, b: &Ranked| {
        b.score
            .partial_cmp(&a.score)
            .unwrap_or(std::cmp::Ordering::Equal)
            .then(a.address.cmp(&b.address))
    };
    ranked.sort_by(by_score);
    let minimum = minimum_should_match(n);
    let partial = !ranked.iter().any(|r| r.matched >= minimum);
    let every_word = n <= 2 && !partial;
    // Sorted best first: the first of the highest coverage ranks highest.
    let (best_at, best_coverage) = ranked
        .iter()
        .enumerate()
        .fold((0, 0.0f32), |best, (at, r)| {
            if r.coverage > best.1 {
                (at, r.coverage)
            } else {
                best
            }
        });
    let mut at = 0;
    ranked.retain(|r| {
        let above_best = at <= best_at;
        at += 1;
        r.matched > 0
            && (above_best
                || r.coverage + 1e-6 >= MIN_SHARE_OF_BEST * best_coverage
                || r.matched >= minimum)
            && (!every_word || r.matched >= n)
    });
    (ranked, partial)
}

/// Appends to `spans` the start and end positions where a variant's terms
/// occur in order, one after the other (a single term: each of its
/// positions); true when it found any.
pub(super) fn add_phrase_spans<'a>(
    ids: &[usize],
    at: &impl Fn(usize) -> &'a [u32],
    spans: &mut Vec<(u32, u32)>,
) -> bool {
    let Some((&first, rest)) = ids.split_first() else {
        return false;
    };
    let before = spans.len();
    spans.extend(
        at(first)
            .iter()
            .filter(|&&start| {
                rest.iter()
                    .enumerate()
                    .all(|(k, &id)| at(id).binary_search(&(start + k as u32 + 1)).is_ok())
            })
            .map(|&start| (start, start + rest.len() as u32)),
    );
    spans.len() > before
}

/// How close together the deciding words found in one field are: 1 when
/// they stand next to each other, falling with the width of the narrowest
/// window holding them all; 0 with fewer than two.
pub(super) fn proximity(
    deciding: &[usize],
    matches: &[ConceptMatch],
    spans: impl Fn(&ConceptMatch) -> &Vec<(u32, u32)>,
) -> f32 {
    let mut events: Vec<(u32, u32, usize)> = Vec::new();
    let mut present = 0;
    for (slot, &c) in deciding.iter().enumerate() {
        let list = spans(&matches[c]);
        if !list.is_empty() {
            present += 1;
        }
        events.extend(list.iter().take(MAX_POSITIONS).map(|&(s, e)| (s, e, slot)));
    }
    if present < 2 {
        return 0.0;
    }
    events.sort_unstable();
    let mut counts = vec![0usize; deciding.len()];
    let mut covered = 0;
    let mut best = u32::MAX;
    let mut left = 0;
    for right in 0..events.len() {
        let slot = events[right].2;
        counts[slot] += 1;
        if counts[slot] == 1 {
            covered += 1;
        }
        while covered == present {
            let width = events[right].1.max(events[left].1) - events[left].0;
            best = best.min(width);
            let slot = events[left].2;
            counts[slot] -= 1;
            if counts[slot] == 0 {
                covered -= 1;
            }
            left += 1;
        }
    }
    let tightest = (present - 1) as f32;
    tightest / (best as f32).max(tightest)
}

/// Share of neighbouring query words (stop words included) that stand next
/// to each other, in the same order, in the title or the body.
pub(super) fn phrase_order(matches: &[ConceptMatch]) -> f32 {
    if matches.len() < 2 {
        return 0.0;
    }
    let follows = |a: &[(u32, u32)], b: &[(u32, u32)]| {
        a.iter()
            .any(|&(_, end)| b.binary_search_by(|&(s, _)| s.cmp(&(end + 1))).is_ok())
    };
    let pairs = matches
        .windows(2)
        .filter(|pair| {
            follows(&pair[0].title_spans, &pair[1].title_spans)
                || follows(&pair[0].body_spans, &pair[1].body_spans)
        })
        .count();
    pairs as f32 / (matches.len() - 1) as f32
}

/// The positions of every needed term in every candidate, in one flat
/// table (read for each concept and variant of each candidate: a hash map
/// keyed by both cost a long question about 7 % of its time in hashing),
/// all of them in one buffer.
struct Positions {
    terms: usize,
    /// Per candidate and term, where its positions are in `all`.
    spans: Vec<(usize, usize)>,
    all: Vec<u32>,
}

impl Positions {
    /// The positions of term `id` in candidate `candidate` (none when it
    /// does not hold it).
    fn of(&self, candidate: usize, id: usize) -> &[u32] {
        self.spans
            .get(candidate * self.terms + id)
            .and_then(|&(start, end)| self.all.get(start..end))
            .unwrap_or(&[])
    }
}

/// Reads the positions of every needed term in every candidate and the
/// candidates' text scores (the sum of what each of the `text` clauses
/// scores, added in the clauses' order as the disjunction adds them),
/// segment by segment, each term's postings once, seeking to the
/// candidates in order. A term both needed and scored (a stem in the
/// stemmed title or body, a word in the tags or as typed in the title) is
/// read once for both: before, the text score read them apart and a long
/// question decoded nearly every block of its common words twice.
fn read_postings(
    searcher: &Searcher,
    needs: &Needs,
    text: &[TextClause],
    candidates: &[DocAddress],
) -> SearchResult<(Positions, Vec<Score>)> {
    let mut by_segment: BTreeMap<u32, Vec<(u32, usize)>> = BTreeMap::new();
    for (candidate, address) in candidates.iter().enumerate() {
        by_segment
            .entry(address.segment_ord)
            .or_default()
            .push((address.doc_id, candidate));
    }
    // What to read: the text clauses in their order (with the needed term's
    // id when the re-rank needs it too), then the terms only needed.
    let mut reads: Vec<(&Term, Option<usize>, Option<&TextClause>)> = text
        .iter()
        .map(|clause| {
            (
                &clause.term,
                needs.index.get(&clause.term).copied(),
                Some(clause),
            )
        })
        .collect();
    let scored: HashSet<&Term> = text.iter().map(|clause| &clause.term).collect();
    reads.extend(
        needs
            .terms
            .iter()
            .enumerate()
            .filter(|(_, term)| !scored.contains(term))
            .map(|(id, term)| (term, Some(id), None)),
    );
    let terms = needs.terms.len();
    let mut out = Positions {
        terms,
        spans: vec![(0, 0); candidates.len() * terms],
        all: Vec::new(),
    };
    let mut scores: Vec<Score> = vec![0.0; candidates.len()];
    for (segment_ord, mut docs) in by_segment {
        docs.sort_unstable();
        let segment = searcher.segment_reader(segment_ord);
        for &(term, needed, clause) in &reads {
            let option = match (needed, clause) {
                (Some(_), _) | (None, None) => IndexRecordOption::WithFreqsAndPositions,
                (None, Some(clause)) => clause.option,
            };
            let inverted = segment.inverted_index(term.field())?;
            let Some(mut postings) = inverted.read_postings(term, option)? else {
                continue;
            };
            // The field's lengths, as the term query reads them.
            let norms = match clause {
                Some(_) => Some(
                    segment
                        .fieldnorms_readers()
                        .get_field(term.field())?
                        .unwrap_or_else(|| FieldNormReader::constant(segment.max_doc(), 1)),
                ),
                None => None,
            };
            for &(doc, candidate) in &docs {
                let current = postings.doc();
                if current == TERMINATED {
                    break;
                }
                if current > doc || postings.seek(doc) != doc {
                    continue;
                }
                if let (Some(clause), Some(norms)) = (clause, &norms) {
                    // A clause kept without frequencies scores each of its
                    // documents once, as its term query does, even when
                    // its list is read with them for the re-rank.
                    let tf = if clause.option.has_freq() {
                        postings.term_freq()
                    } else {
                        1
                    };
                    scores[candidate] += clause.weight.score(norms.fieldnorm_id(doc), tf);
                }
                if let Some(id) = needed {
                    let start = out.all.len();
                    postings.append_positions_with_offset(0, &mut out.all);
                    out.spans[candidate * terms + id] = (start, out.all.len());
                }
            }
        }
    }
    Ok((out, scores))
}

/// Title and body lengths of documents, read from the field norms.
struct FieldLengths {
    segments: Vec<[Option<FieldNormReader>; 2]>,
}

impl FieldLengths {
    fn new(searcher: &Searcher, fields: &Fields) -> FieldLengths {
        let segments = searcher
            .segment_readers()
            .iter()
            .map(|reader| {
                [fields.title_stem, fields.body_stem]
                    .map(|field| reader.get_fieldnorms_reader(field).ok())
            })
            .collect();
        FieldLengths { segments }
    }

    /// Title and body length of a document, in words.
    fn get(&self, address: DocAddress) -> [f32; 2] {
        let Some(readers) = self.segments.get(address.segment_ord as usize) else {
            return [0.0; 2];
        };
        readers.each_ref().map(|reader| {
            reader
                .as_ref()
                .map_or(0.0, |r| r.fieldnorm(address.doc_id) as f32)
        })
    }
}

/// What the re-rank reads of a document from its fast fields.
#[derive(Debug, Clone, Copy)]
struct DocValues {
    boost: f64,
    group: u64,
    group_limit: u64,
    part: u64,
    title: u64,
}

type U64Column = Option<Arc<dyn ColumnValues<u64>>>;

/// The fast-field columns the re-rank reads of one segment: the boost, then
/// group key, group limit, part flag and title key.
type Columns = (U64Column, [U64Column; 4]);

/// The columns of every segment searched lately, opened once per segment
/// (opening them for each search was 2 % of a search's processor time on a
/// million documents). A segment's columns never change; those of segments
/// merged away are dropped when a searcher without them opens columns.
#[derive(Default)]
pub(crate) struct ColumnCache(Mutex<HashMap<SegmentId, Arc<Columns>>>);

impl ColumnCache {
    /// The columns of every segment of `searcher`, in segment order.
    fn of(&self, searcher: &Searcher, fields: &Fields) -> SegmentColumns {
        let readers = searcher.segment_readers();
        let mut cache = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        let segments: Vec<Arc<Columns>> = readers
            .iter()
            .map(|reader| {
                cache
                    .entry(reader.segment_id())
                    .or_insert_with(|| Arc::new(open_columns(searcher, fields, reader)))
                    .clone()
            })
            .collect();
        if cache.len() > readers.len() {
            cache.retain(|id, _| readers.iter().any(|r| r.segment_id() == *id));
        }
        SegmentColumns { segments }
    }
}

/// Opens the columns the re-rank reads in one segment.
fn open_columns(searcher: &Searcher, fields: &Fields, reader: &SegmentReader) -> Columns {
    let schema = searcher.schema();
    let name = |field: Field| schema.get_field_name(field);
    let fast = reader.fast_fields();
    let boost = fast
        .u64(name(fields.boost))
        .ok()
        .map(|c| c.first_or_default_col(schema::boost_value(1.0)));
    let others = [
        fields.group_hash,
        fields.group_limit,
        fields.part,
        fields.title_hash,
    ]
    .map(|field| {
        fast.u64(name(field))
            .ok()
            .map(|c| c.first_or_default_col(0))
    });
    (boost, others)
}

/// The columns of a searcher's segments, in segment order.
struct SegmentColumns {
    segments: Vec<Arc<Columns>>,
}

impl SegmentColumns {
    /// The fast-field values of a document.
    fn get(&self, address: DocAddress) -> DocValues {
        let Some((boost, columns)) = self
            .segments
            .get(address.segment_ord as usize)
            .map(|c| &**c)
        else {
            return DocValues {
                boost: 1.0,
                group: 0,
                group_limit: 0,
                part: 0,
                title: 0,
            };
        };
        let [group, group_limit, part, title] = columns
            .each_ref()
            .map(|c| c.as_ref().map_or(0, |c| c.get_val(address.doc_id)));
        DocValues {
            boost: boost
                .as_ref()
                .map_or(1.0, |c| schema::boost_of(c.get_val(address.doc_id))),
            group,
            group_limit,
            part,
            title,
        }
    }
}

/// Adds to `shown` the results of a later round (`more`, collapsed) that
/// it does not hold yet, in their order: a result already shown (the same
/// document, or its thread) keeps its place, and a group keeps its
/// `group_limit` across rounds. The same-title decay of [`collapse`] ran
/// over the whole later round, shown results included; an added result
/// stands below every earlier one whatever its score.
pub(super) fn append_new(shown: &mut Vec<Ranked>, more: Vec<Ranked>) {
    if shown.is_empty() {
        *shown = more;
        return;
    }
    let mut counts: HashMap<u64, u64> = HashMap::new();
    let mut addresses: HashSet<DocAddress> = HashSet::with_capacity(shown.len());
    for r in shown.iter() {
        *counts.entry(r.group).or_default() += 1;
        addresses.insert(r.address);
    }
    for r in more {
        let count = counts.entry(r.group).or_default();
        let full = r.group_limit > 0 && *count >= r.group_limit;
        if full || addresses.contains(&r.address) {
            continue;
        }
        *count += 1;
        addresses.insert(r.address);
        shown.push(r);
    }
}

/// Keeps at most `group_limit` results per group (best first). A group
/// shown once (a question thread) is represented by its main document when
/// that matches as well as the best part (the question page shows its
/// answers), and by the best part, with its anchor, otherwise. Then a result
/// titled like `n` better ones (duplicate questions) counts
/// [`SAME_TITLE_DECAY`] to the `n` as much, so one title does not fill the
/// first page.
pub(super) fn collapse(ranked: Vec<Ranked>) -> Vec<Ranked> {
    let mut mains: HashMap<u64, usize> = HashMap::new();
    for (i, r) in ranked.iter().enumerate() {
        if r.part == 0 {
            mains.entry(r.group).or_insert(i);
        }
    }
    let mut shown: HashMap<u64, u64> = HashMap::new();
    let mut out = Vec::new();
    for r in &ranked {
        let count = shown.entry(r.group).or_default();
        if r.group_limit > 0 && *count >= r.group_limit {
            continue;
        }
        *count += 1;
        let mut pick = r.clone();
        if r.group_limit == 1 && r.part != 0 {
            if let Some(main) = mains.get(&r.group).map(|&i| &ranked[i]) {
                if main.matched >= r.matched && main.coverage + 1e-6 >= r.coverage {
                    pick = Ranked {
                        score: r.score,
                        ..main.clone()
                    };
                }
            }
        }
        out.push(pick);
    }
    let mut titles: HashMap<u64, i32> = HashMap::new();
    for r in &mut out {
        let better = titles.entry(r.title).or_default();
        r.score *= SAME_TITLE_DECAY.powi(*better);
        *better += 1;
    }
    // Stable: equal scores keep their order.
    out.sort_by(|a, b| {
        b.score
            .partial_cmp(&a.score)
            .unwrap_or(std::cmp::Ordering::Equal)
    });
    out
}

#[cfg(test)]
mod tests {
    use tantivy::query::{
        Bm25StatisticsProvider, BooleanQuery, BoostQuery, Occur, Query, TermQuery,
    };
    use tantivy::DocSet;

    use super::super::candidates::candidate_query;
    use super::super::plan::{self, Statistics};
    use super::super::tests::{apply, doc, index};
    use super::*;
    use crate::search::indexer::GroupUpdate;

    /// The text score read beside the re-rank's positions is the score the
    /// disjunction of every text clause gives a document (tantivy's own
    /// scorers, summed in another order), the kind filter's clause too;
    /// and reading the scores changes no position read.
    #[test]
    fn text_scores_are_the_disjunctions_and_positions_stay_the_same() {
        let (_dir, index) = index(vec![
            (
                "article:1",
                vec![doc(
                    "article:1",
                    "/a",
                    "Printer offline every morning",
                    "The printer goes offline every morning after the router restarts.",
                )],
            ),
            (
                "article:2",
                vec![doc(
                    "article:2",
                    "/b",
                    "Printing a test page",
                    "Print a test page from the printer's menu, offline or not.",
                )],
            ),
            (
                "question:3",
                vec![doc(
                    "question:3",
                    "/questions/3",
                    "Router restarts",
                    "My router restarts every morning; the printers go offline too.",
                )],
            ),
        ]);
        // A second segment, so the reads run segment by segment.
        apply(
            &index,
            &[GroupUpdate {
                group: "article:4".to_string(),
                docs: vec![doc(
                    "article:4",
                    "/d",
                    "Offline printers",
                    "Offline printers print nothing: printing offline printers waits.",
                )],
            }],
            2,
        );
        let searcher = index.reader().searcher();
        assert_eq!(searcher.segment_readers().len(), 2);
        let fields = *index.fields();
        let words = plan::tokenize("printers offline every morning");
        let concepts = index
            .concepts(&searcher, &fields, &words, false)
            .expect("concepts");
        let statistics = Statistics::new(&searcher, &fields, index.plan_cache());
        for kind in [None, Some("article")] {
            let query = candidate_query(&concepts, &fields, kind, |term| statistics.doc_freq(term))
                .expect("query")
                .expect("words");
            let text = query.text_clauses(&statistics).expect("clauses");
            assert!(text.len() > 5, "every form in every field: {}", text.len());
            let candidates: Vec<DocAddress> = searcher
                .segment_readers()
                .iter()
                .enumerate()
                .flat_map(|(ord, reader)| {
                    (0..reader.max_doc()).map(move |doc| DocAddress::new(ord as u32, doc))
                })
                .collect();
            assert!(candidates.len() >= 4);
            let sources = ConceptSources::new(&fields, &concepts);
            let (positions, scores) =
                read_postings(&searcher, &sources.needs, &text, &candidates).expect("read");
            // tantivy's disjunction of the same clauses.
            let disjunction = BooleanQuery::new(
                text.iter()
                    .map(|clause| {
                        let term: Box<dyn Query> =
                            Box::new(TermQuery::new(clause.term.clone(), clause.option));
                        let boosted: Box<dyn Query> = Box::new(BoostQuery::new(term, clause.boost));
                        (Occur::Should, boosted)
                    })
                    .collect(),
            );
            let weight = disjunction.weight(statistics.scoring()).expect("weight");
            let mut matched = 0;
            for (address, score) in candidates.iter().zip(&scores) {
                let reader = searcher.segment_reader(address.segment_ord);
                let mut scorer = weight.scorer(reader, 1.0).expect("scorer");
                let expected = if scorer.seek(address.doc_id) == address.doc_id {
                    scorer.score()
                } else {
                    0.0
                };
                assert!(
                    (score - expected).abs() <= 1e-5 * expected.abs().max(1.0),
                    "{kind:?} {address:?}: {score} read, {expected} by tantivy"
                );
                matched += usize::from(expected > 0.0);
            }
            assert!(matched >= 4, "{kind:?}: {matched} documents scored");
            // The positions read alone are the same.
            let (alone, unscored) =
                read_postings(&searcher, &sources.needs, &[], &candidates).expect("read");
            assert!(unscored.iter().all(|&s| s == 0.0));
            let mut held = 0;
            for candidate in 0..candidates.len() {
                for id in 0..sources.needs.terms.len() {
                    assert_eq!(positions.of(candidate, id), alone.of(candidate, id));
                    held += usize::from(!alone.of(candidate, id).is_empty());
                }
            }
            assert!(held > 8, "{held} terms found in candidates");
        }
    }
}
