//! Queries: plan, candidates, re-rank, collapse, snippets.
//!
//! The query text is never parsed as a query language: it is tokenized with
//! the plain analyzer, so quotes, operators and `field:` syntax are just
//! words. Each query word (or a phrase staff listed as a synonym) is planned
//! once per index generation and cached: the word itself (its plain form and
//! its stem) when the dictionary knows it, plus a close neighbour many
//! times more frequent (a misspelling that made it into the index, such as
//! "bakup", also finds "backup"); otherwise its nearest plain
//! dictionary terms (edit distance 1 from 4 letters, 2 from 8), found by
//! walking the term dictionary with a Levenshtein automaton; for the last
//! word while typing, the most frequent terms it is a prefix of; and the
//! other members of its synonym group. Stop words ("how", "the", "my", and
//! what the analyzer leaves of contractions: "won", "t") do not take part
//! in matching unless the query has nothing else, nor count towards the
//! cap on query words.
//!
//! Ranking runs in two phases. Candidates: one flat disjunction of boosted
//! term queries over the stemmed title and body, walked by block-max
//! MaxScore, so a long natural question stays fast; the selected documents then get the text score of every field
//! (plain fields above stemmed ones, title above tags above body). Re-rank: the best seventy
//! or so candidates of a long question, thirty of a query of one to three
//! words (more for deep pages), are scored from their postings on
//! the share of query words they contain (each word weighted by its inverse
//! document frequency, so the rare words of a long question count more than
//! its common ones), the text score, a BM25F score (title, body and tags
//! weighted, one saturation per word, so another form of a rare word is not
//! outweighed by exact forms of common ones), words in the title and in
//! their typed form, proximity and phrase order of the words, times a
//! dampened solved/votes boost. A one- or two-word query needs every word
//! when some document has them all; a longer one needs a good part of the
//! word weight the best match carries, or the minimum share of words
//! (Lucene's `2<75%`). When no candidate has that share, the results are
//! flagged as partial matches ("matching some of your words"). Results of one group are
//! collapsed: one per question thread (the question itself unless an answer
//! matches better), two per article; a result titled like better ones
//! (duplicate questions) moves down.

mod candidates;
mod plan;
mod rerank;
mod snippets;
#[cfg(test)]
mod tests;

use tantivy::query::Bm25StatisticsProvider;

use super::cache::ResultKey;
use super::gate::Pass;
use super::{SearchIndex, SearchResult};
use plan::Concept;
use rerank::Ranked;

pub use plan::is_stop_word;
pub(crate) use plan::{analyze, PlanCache};
pub(crate) use rerank::ColumnCache;

/// Longest query text considered; the rest is ignored.
pub const MAX_QUERY_CHARS: usize = 256;

#[derive(Debug, Clone)]
pub struct SearchRequest<'a> {
    /// What the customer typed.
    pub text: &'a str,
    /// Restrict to one kind (`article`, `step`, `question`).
    pub kind: Option<&'a str>,
    /// Results per page.
    pub limit: usize,
    /// Results to skip.
    pub offset: usize,
}

/// One result, ready for display (HTML fields are escaped and highlighted).
#[derive(Debug, Clone)]
pub struct SearchHit {
    /// Document kind.
    pub kind: String,
    /// Link target (with `#anchor` for an answer or a manual section).
    pub url: String,
    /// Title with `<mark>` highlights, HTML-escaped.
    pub title_html: String,
    /// Snippet with `<mark>` highlights, HTML-escaped.
    pub snippet_html: String,
    /// Where it lives.
    pub breadcrumb: String,
    /// A solved question.
    pub solved: bool,
    /// Final score.
    pub score: f32,
}

/// The outcome of a search.
#[derive(Debug, Clone, Default)]
pub struct SearchResults {
    /// The page of hits.
    pub hits: Vec<SearchHit>,
    /// Matching results (after collapsing): exact below the candidate
    /// window, a lower bound above (see `total_is_lower_bound`).
    pub total: usize,
    /// More documents matched than were ranked.
    pub total_is_lower_bound: bool,
    /// The query with misspelt words replaced, when any were corrected.
    pub corrected: Option<String>,
    /// True when no document had the minimum share of the query's words and
    /// the best partial matches are shown.
    pub relaxed: bool,
    /// The index is being rebuilt; results may be incomplete.
    pub rebuilding: bool,
}

impl<'a> SearchRequest<'a> {
    /// What the request's results are kept under in the result cache.
    fn cache_key(&self) -> ResultKey {
        ResultKey {
            text: self.text.chars().take(MAX_QUERY_CHARS).collect(),
            kind: self.kind.map(str::to_string),
            limit: self.limit,
            offset: self.offset,
        }
    }
}

impl SearchIndex {
    /// Runs a search: the kept results of the same search on the same
    /// index when the result cache holds them (see
    /// [`SearchIndex::set_result_cache_bytes`]), else when the
    /// [`super::SearchGate`] lets it in (waiting on this thread: for
    /// commands and tests; the server waits for its [`Pass`] first and
    /// calls [`SearchIndex::search_admitted`]). Never fails on odd input:
    /// bad text yields no results.
    pub fn search(&self, request: &SearchRequest<'_>) -> SearchResult<SearchResults> {
        if let Some(kept) = self.cached(request) {
            return Ok(kept);
        }
        let pass = self.gate().enter();
        self.search_admitted(&pass, request)
    }

    /// The results the cache keeps for `request`, computed on the current
    /// index with the current synonyms; `None` when it keeps none (or is
    /// off). Needs no search turn.
    pub fn cached(&self, request: &SearchRequest<'_>) -> Option<SearchResults> {
        if !self.inner.results.is_on() {
            return None;
        }
        let stamp = self.result_stamp(&self.reader().searcher());
        let kept = self.inner.results.get(&request.cache_key(), stamp)?;
        let mut results = SearchResults::clone(&kept);
        results.rebuilding = self.is_rebuilding();
        Some(results)
    }

    /// Runs a search that the gate already let in (`_pass`, held until it
    /// returns), and keeps its results when the result cache is on.
    pub fn search_admitted(
        &self,
        _pass: &Pass,
        request: &SearchRequest<'_>,
    ) -> SearchResult<SearchResults> {
        let searcher = self.reader().searcher();
        let stamp = self.result_stamp(&searcher);
        let results = self.compute(&searcher, request)?;
        if self.inner.results.is_on() {
            self.inner.results.put(request.cache_key(), stamp, &results);
        }
        Ok(results)
    }

    /// The results of `request` on `searcher`.
    fn compute(
        &self,
        searcher: &tantivy::Searcher,
        request: &SearchRequest<'_>,
    ) -> SearchResult<SearchResults> {
        let fields = *self.fields();
        let text: String = request.text.chars().take(MAX_QUERY_CHARS).collect();
        let words = plan::tokenize(&text);
        let mut results = SearchResults {
            rebuilding: self.is_rebuilding(),
            ..Default::default()
        };
        if words.is_empty() {
            return Ok(results);
        }
        let typing_last = !text.ends_with(char::is_whitespace);
        let concepts = self.concepts(searcher, &fields, &words, typing_last)?;
        results.corrected = corrected_text(&text, &concepts);
        let statistics = plan::Statistics::new(searcher, &fields, self.plan_cache());
        let Some(query) = candidates::candidate_query(&concepts, &fields, request.kind, |term| {
            statistics.doc_freq(term)
        })?
        else {
            return Ok(results);
        };
        let text_clauses = query.text_clauses(&statistics)?;
        let limit = request.limit.clamp(1, 100);
        let offset = request.offset.min(10_000);
        // Candidates come in rounds of growing windows, each holding the
        // one before (see `candidates::window`). The results of a round
        // keep their places and a later round only adds what it found
        // beyond them, so every page of a search reads one list: no page
        // repeats or skips a result of another. Collapsing a thread's
        // answers into one result can leave fewer results than the page
        // needs (and no sign of a next page): fetch another round while
        // more documents match, within the candidate bound. The one
        // exception: when the rounds so far found only partial matches (too
        // few for the page) and a larger one finds documents with enough of
        // the words, the list starts over from that round, as the partial
        // matches would otherwise stand above them. A round whose added
        // candidates the re-rank all rejected ends the search: the next
        // ones score lower still, and a query of one rare word and common
        // ones (a rare word in four documents beside "nas" and "not") went
        // on to 2,000 candidates to show the same two results.
        let mut shown: Vec<Ranked> = Vec::new();
        let mut relaxed = false;
        let mut round = 0;
        let mut kept_before = 0;
        let first = query.first_window();
        let saturated = loop {
            let fetch = candidates::window(round, first);
            let (top, saturated) =
                candidates::top_candidates(searcher, &statistics, &query, fetch)?;
            let (ranked, partial) = rerank::rerank(
                searcher,
                &fields,
                &concepts,
                &text_clauses,
                &top,
                self.columns(),
            )?;
            if round == 0 || (relaxed && !partial) {
                shown.clear();
                relaxed = partial;
            }
            let kept = ranked.len();
            rerank::append_new(&mut shown, rerank::collapse(ranked));
            log::trace!(
                "round {round}: {} candidates, {kept} kept, {} shown",
                top.len(),
                shown.len()
            );
            let wanted = offset + limit;
            if !another_round(
                round,
                first,
                saturated,
                shown.len(),
                wanted,
                kept,
                kept_before,
            ) {
                break saturated;
            }
            kept_before = kept;
            round += 1;
        };
        results.relaxed = relaxed && !shown.is_empty();
        results.total = shown.len();
        results.total_is_lower_bound = saturated;
        let page: Vec<&Ranked> = shown.iter().skip(offset).take(limit).collect();
        if page.is_empty() {
            return Ok(results);
        }
        results.hits = snippets::page_hits(searcher, &fields, &concepts, &page)?;
        Ok(results)
    }
}

/// Whether a search fetches the next, larger round of candidates after
/// round `round` (of a search whose first round fetched `first`): while
/// its window was full (`saturated`: more documents match), the `shown`
/// results do not fill the page (`wanted`: a result
/// beyond it tells there is a next page), a larger window remains, and the
/// re-rank `kept` some candidate the round added to the `kept_before` of
/// the round before (rounds nest, so when it kept none of them the next
/// round's, which score lower still, are not worth reading).
fn another_round(
    round: u32,
    first: usize,
    saturated: bool,
    shown: usize,
    wanted: usize,
    kept: usize,
    kept_before: usize,
) -> bool {
    saturated
        && shown <= wanted
        && candidates::window(round, first) < candidates::window(round + 1, first)
        && (round == 0 || kept > kept_before)
}

/// `text` with each misspelt word replaced by `fix` of its tokens, when any
/// was; every other word stays as typed, so "won't" is shown as "won't", not
/// as its tokens `won not`.
fn respell(
    text: &str,
    mut fix: impl FnMut(&str) -> SearchResult<Option<String>>,
) -> SearchResult<Option<String>> {
    let mut changed = false;
    let mut out: Vec<String> = Vec::new();
    for typed in text.split_whitespace() {
        let tokens = plan::tokenize(typed);
        let mut fixed = Vec::with_capacity(tokens.len());
        let mut any = false;
        for token in tokens {
            match fix(&token)? {
                Some(correction) => {
                    any = true;
                    fixed.push(correction);
                }
                None => fixed.push(token),
            }
        }
        changed |= any;
        out.push(if any {
            fixed.join(" ")
        } else {
            typed.to_string()
        });
    }
    Ok(changed.then(|| out.join(" ")))
}

/// The query as typed with misspelt words replaced, when any were corrected.
fn corrected_text(text: &str, concepts: &[Concept]) -> Option<String> {
    let fixes: std::collections::HashMap<&str, &str> = concepts
        .iter()
        .filter_map(|c| Some((c.plan.word.as_str(), c.plan.correction.as_deref()?)))
        .collect();
    if fixes.is_empty() {
        return None;
    }
    respell(text, |word| Ok(fixes.get(word).map(|c| c.to_string())))
        .ok()
        .flatten()
}
