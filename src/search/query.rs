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
//! term queries (plain fields above stemmed ones, title above tags above
//! body), which tantivy evaluates with block-max WAND, so a long natural
//! question stays fast. Re-rank: the best few hundred candidates are scored
//! from their postings on the share of query words they contain (each
//! word weighted by its inverse document frequency, so the rare words of
//! a long question count more than its common ones), the text score,
//! words in the title and in their typed form, proximity and phrase order
//! of the words, times a dampened solved/votes boost. A one- or two-word
//! query needs every word when some document has them all; a longer one
//! needs a good part of the word weight the best match carries. When no
//! candidate has the minimum share of words (Lucene's `2<75%`), the
//! results are flagged as partial matches ("matching some of your
//! words"). Results of one group are collapsed: one per question thread
//! (the question itself unless an answer matches better), two per article.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use tantivy::collector::TopDocs;
use tantivy::postings::Postings;
use tantivy::query::{BooleanQuery, BoostQuery, FuzzyTermQuery, Occur, Query, TermQuery};
use tantivy::schema::{Field, IndexRecordOption, TantivyDocument, Value};
use tantivy::snippet::SnippetGenerator;
use tantivy::{DocAddress, DocSet, Score, Searcher, Term, TERMINATED};

use super::schema::{self, Fields};
use super::{SearchIndex, SearchResult};

/// Longest query text considered; the rest is ignored.
pub const MAX_QUERY_CHARS: usize = 256;
/// Most words of a query considered, stop words not counted.
const MAX_WORDS: usize = 12;
/// Most words of a query considered, stop words counted.
const MAX_TOKENS: usize = 32;
/// Neighbours kept per misspelt word.
const MAX_FUZZY: usize = 3;
/// A known word also stands for a close neighbour this many times more
/// frequent (a misspelling that made it into the index).
const POPULAR_NEIGHBOUR: u64 = 20;
/// Completions kept for the last word.
const MAX_PREFIX: usize = 8;
/// Candidates re-ranked at least (more for deep pages).
const MIN_CANDIDATES: usize = 300;
/// Candidates fetched per result up to the requested page.
const CANDIDATES_PER_HIT: usize = 3;
/// Most candidates re-ranked.
const MAX_CANDIDATES: usize = 2000;
/// Positions of one word in one field considered for proximity.
const MAX_POSITIONS: usize = 256;
/// Plans kept in the cache before it is emptied.
const MAX_CACHED_PLANS: usize = 20_000;
/// Re-rank weight of the share of the query's words a document holds
/// (each word weighted by how rare it is).
const COVERAGE_WEIGHT: f32 = 4.0;
/// Re-rank weight of the candidate's text score (relative to the best).
const TEXT_WEIGHT: f32 = 3.0;
/// The solved/votes boost is applied to this power: it breaks near-ties
/// between equally relevant documents, it does not outrank relevance.
const BOOST_EXPONENT: f32 = 0.15;
/// Beyond two words, a document is shown when it holds at least this share
/// of the word weight the best-matching document holds. A long natural
/// question rarely shares most of its words with the page that answers it,
/// so a fixed share of the words would drop the right page.
const MIN_SHARE_OF_BEST: f32 = 0.3;

/// Words that never decide whether a document matches (they still count
/// for phrase order). Sorted, for binary search.
const STOP_WORDS: &[&str] = &[
    "a", "about", "am", "an", "and", "are", "aren", "as", "at", "be", "been", "being", "but", "by",
    "can", "could", "couldn", "d", "did", "didn", "do", "does", "doesn", "doing", "don", "for",
    "from", "had", "hadn", "has", "hasn", "have", "haven", "how", "i", "if", "in", "into", "is",
    "isn", "it", "its", "ll", "m", "me", "my", "of", "on", "or", "our", "re", "s", "should",
    "shouldn", "so", "such", "t", "than", "that", "the", "their", "them", "then", "there", "these",
    "they", "this", "those", "to", "ve", "was", "wasn", "we", "were", "weren", "what", "when",
    "where", "which", "who", "why", "will", "with", "won", "would", "wouldn", "you", "your",
];

/// Whether `word` is a stop word.
pub fn is_stop_word(word: &str) -> bool {
    STOP_WORDS.binary_search(&word).is_ok()
}

/// A search as asked.
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

/// One dictionary form a query word stands for.
#[derive(Debug, Clone, PartialEq)]
struct Variant {
    /// Plain terms (several for a phrase synonym such as `wi fi`).
    terms: Vec<String>,
    /// Their stems; empty when only the plain form may match (completions).
    stems: Vec<String>,
    /// How much a match counts (1 for the word as typed).
    weight: f32,
}

impl Variant {
    fn stemmed(terms: Vec<String>, weight: f32) -> Variant {
        let stems = terms.iter().map(|t| schema::stem(t)).collect();
        Variant {
            terms,
            stems,
            weight,
        }
    }
}

/// A query word and the dictionary forms it stands for.
#[derive(Debug, Clone, PartialEq)]
struct WordPlan {
    word: String,
    variants: Vec<Variant>,
    correction: Option<String>,
}

/// A query word (or a synonym phrase) as ranked.
#[derive(Debug, Clone)]
struct Concept {
    plan: Arc<WordPlan>,
    /// A stop word: not counted for matching, only for phrase order.
    stop: bool,
}

/// Word plans of one index generation (typo and prefix expansion walk the
/// term dictionary, which is worth doing once per word, not per query).
#[derive(Debug, Default)]
pub(crate) struct PlanCache {
    generation: u64,
    plans: HashMap<(String, bool, bool), Arc<WordPlan>>,
}

impl SearchIndex {
    /// Runs a search. Never fails on odd input: bad text yields no results.
    pub fn search(&self, request: &SearchRequest<'_>) -> SearchResult<SearchResults> {
        let searcher = self.reader().searcher();
        let fields = *self.fields();
        let text: String = request.text.chars().take(MAX_QUERY_CHARS).collect();
        let words = tokenize(&text);
        let mut results = SearchResults {
            rebuilding: self.is_rebuilding(),
            ..Default::default()
        };
        if words.is_empty() {
            return Ok(results);
        }
        let typing_last = !text.ends_with(char::is_whitespace);
        let concepts = self.concepts(&searcher, &fields, &words, typing_last)?;
        if concepts.iter().any(|c| c.plan.correction.is_some()) {
            let corrected: Vec<&str> = concepts
                .iter()
                .map(|c| c.plan.correction.as_deref().unwrap_or(&c.plan.word))
                .collect();
            results.corrected = Some(corrected.join(" "));
        }
        let Some(query) = candidate_query(&concepts, &fields, request.kind) else {
            return Ok(results);
        };
        let limit = request.limit.clamp(1, 100);
        let offset = request.offset.min(10_000);
        let fetch = ((offset + limit) * CANDIDATES_PER_HIT).clamp(MIN_CANDIDATES, MAX_CANDIDATES);
        let top = searcher.search(query.as_ref(), &TopDocs::with_limit(fetch).order_by_score())?;
        let saturated = top.len() == fetch;
        let (ranked, relaxed) = rerank(&searcher, &fields, &concepts, &top)?;
        let shown = collapse(ranked);
        results.relaxed = relaxed && !shown.is_empty();
        results.total = shown.len();
        results.total_is_lower_bound = saturated;
        let page: Vec<&Ranked> = shown.iter().skip(offset).take(limit).collect();
        if page.is_empty() {
            return Ok(results);
        }
        let highlight = highlight_query(&concepts, &fields);
        let mut body_snippets =
            SnippetGenerator::create(&searcher, highlight.as_ref(), fields.body_stem)?;
        body_snippets.set_max_num_chars(220);
        let mut title_snippets =
            SnippetGenerator::create(&searcher, highlight.as_ref(), fields.title_stem)?;
        title_snippets.set_max_num_chars(400);
        for hit in page {
            let doc: TantivyDocument = searcher.doc(hit.address)?;
            let text_of = |field: Field| {
                doc.get_first(field)
                    .and_then(|v| v.as_str())
                    .unwrap_or("")
                    .to_string()
            };
            let title = text_of(fields.title);
            let body = text_of(fields.body);
            let mut title_snippet = title_snippets.snippet(&title);
            title_snippet.set_snippet_prefix_postfix("<mark>", "</mark>");
            let title_html = if title_snippet.fragment().len() == title.len() {
                title_snippet.to_html()
            } else {
                crate::markdown::escape_html(&title)
            };
            let mut snippet = body_snippets.snippet(&body);
            snippet.set_snippet_prefix_postfix("<mark>", "</mark>");
            let snippet_html = if snippet.fragment().is_empty() {
                let start: String = body.chars().take(200).collect();
                let ellipsis = if start.len() < body.len() { "…" } else { "" };
                format!("{}{ellipsis}", crate::markdown::escape_html(&start))
            } else {
                snippet.to_html()
            };
            results.hits.push(SearchHit {
                kind: text_of(fields.kind),
                url: text_of(fields.url),
                title_html,
                snippet_html,
                breadcrumb: text_of(fields.breadcrumb),
                solved: doc
                    .get_first(fields.solved)
                    .and_then(|v| v.as_u64())
                    .unwrap_or(0)
                    == 1,
                score: hit.score,
            });
        }
        Ok(results)
    }

    /// The best-known spelling of `text`, if any word is unknown to the index
    /// and has a close dictionary neighbour.
    pub fn suggest(&self, text: &str) -> SearchResult<Option<String>> {
        let searcher = self.reader().searcher();
        let fields = *self.fields();
        let words = tokenize(&text.chars().take(MAX_QUERY_CHARS).collect::<String>());
        let mut changed = false;
        let mut out = Vec::new();
        for word in &words {
            let plan = self.cached_plan(&searcher, &fields, word, false, true)?;
            changed |= plan.correction.is_some();
            out.push(plan.correction.clone().unwrap_or_else(|| plan.word.clone()));
        }
        Ok(changed.then(|| out.join(" ")))
    }

    /// The query words as concepts: synonym phrases merged, stop words marked.
    fn concepts(
        &self,
        searcher: &Searcher,
        fields: &Fields,
        words: &[String],
        typing_last: bool,
    ) -> SearchResult<Vec<Concept>> {
        let synonyms = self.synonyms();
        let all_stop = words.iter().all(|w| is_stop_word(w));
        let mut concepts = Vec::with_capacity(words.len());
        let mut at = 0;
        while at < words.len() {
            let is_last = at + 1 == words.len();
            let stop = !all_stop && is_stop_word(&words[at]);
            if let Some(found) = synonyms.match_at(words, at) {
                let span = words[at..at + found.len].to_vec();
                let mut variants = vec![Variant::stemmed(span.clone(), 1.0)];
                for alternative in found.alternatives {
                    variants.push(Variant::stemmed(alternative.to_vec(), 0.9));
                }
                concepts.push(Concept {
                    plan: Arc::new(WordPlan {
                        word: span.join(" "),
                        variants,
                        correction: None,
                    }),
                    stop: stop && found.len == 1,
                });
                at += found.len;
                continue;
            }
            let plan =
                self.cached_plan(searcher, fields, &words[at], is_last && typing_last, !stop)?;
            concepts.push(Concept { plan, stop });
            at += 1;
        }
        Ok(concepts)
    }

    /// The plan of one word, from the cache when this index generation
    /// already planned it.
    fn cached_plan(
        &self,
        searcher: &Searcher,
        fields: &Fields,
        word: &str,
        prefix: bool,
        expand: bool,
    ) -> SearchResult<Arc<WordPlan>> {
        let generation = searcher.generation().generation_id();
        let key = (word.to_string(), prefix, expand);
        if let Ok(cache) = self.plan_cache().lock() {
            if cache.generation == generation {
                if let Some(plan) = cache.plans.get(&key) {
                    return Ok(plan.clone());
                }
            }
        }
        let plan = Arc::new(plan_word(searcher, fields, word, prefix, expand)?);
        if let Ok(mut cache) = self.plan_cache().lock() {
            if cache.generation != generation || cache.plans.len() >= MAX_CACHED_PLANS {
                cache.generation = generation;
                cache.plans.clear();
            }
            cache.plans.insert(key, plan.clone());
        }
        Ok(plan)
    }
}

/// Splits text into terms with the plain analyzer (every token, in order).
pub(crate) fn analyze(text: &str) -> Vec<String> {
    let mut analyzer = schema::analyzer();
    let mut stream = analyzer.token_stream(text);
    let mut words = Vec::new();
    while let Some(token) = stream.next() {
        words.push(token.text.clone());
    }
    words
}

/// Splits query text into terms with the plain analyzer (deduplicated, capped).
fn tokenize(text: &str) -> Vec<String> {
    let mut analyzer = schema::analyzer();
    let mut stream = analyzer.token_stream(text);
    let mut words: Vec<String> = Vec::new();
    while let Some(token) = stream.next() {
        if !words.contains(&token.text) {
            words.push(token.text.clone());
        }
        if words.len() == MAX_TOKENS
            || words.iter().filter(|w| !is_stop_word(w)).count() == MAX_WORDS
        {
            break;
        }
    }
    words
}

fn doc_freq(searcher: &Searcher, fields: &[Field], term: &str) -> SearchResult<u64> {
    let mut total = 0;
    for field in fields {
        total += searcher.doc_freq(&Term::from_field_text(*field, term))?;
    }
    Ok(total)
}

/// Allowed edit distance for a word of this length.
fn max_distance(word: &str) -> u8 {
    match word.chars().count() {
        0..=3 => 0,
        4..=7 => 1,
        _ => 2,
    }
}

/// Plans one word. Without `expand` (a stop word among other words) only
/// the word itself is looked for.
fn plan_word(
    searcher: &Searcher,
    fields: &Fields,
    word: &str,
    prefix: bool,
    expand: bool,
) -> SearchResult<WordPlan> {
    let plain: Vec<Field> = fields.text_fields().iter().map(|(f, _)| *f).collect();
    let stemmed: Vec<Field> = fields.stem_fields().iter().map(|(f, _)| *f).collect();
    let mut variants = Vec::new();
    let mut correction = None;
    let known = doc_freq(searcher, &plain, word)? > 0
        || doc_freq(searcher, &stemmed, &schema::stem(word))? > 0;
    let completions = if expand && prefix && word.chars().count() >= 2 {
        prefix_completions(searcher, &plain, word)?
    } else {
        Vec::new()
    };
    if known {
        variants.push(Variant::stemmed(vec![word.to_string()], 1.0));
        let distance = max_distance(word);
        if expand && distance > 0 {
            // A rare word next to a far more frequent one is most likely
            // its misspelling (misspellings get indexed too): look for both.
            let own = doc_freq(searcher, &plain, word)?;
            for (term, d, df) in fuzzy_neighbours(searcher, &plain, word, distance)? {
                if df >= POPULAR_NEIGHBOUR.saturating_mul(own.max(1)) {
                    variants.push(Variant::stemmed(vec![term], if d == 1 { 0.6 } else { 0.4 }));
                }
            }
        }
    } else if expand {
        let distance = max_distance(word);
        if distance > 0 {
            let neighbours = fuzzy_neighbours(searcher, &plain, word, distance)?;
            // A word still being typed that completes to something is not a typo.
            if completions.is_empty() {
                correction = neighbours.first().map(|(term, _, _)| term.clone());
            }
            for (term, d, _) in neighbours {
                variants.push(Variant::stemmed(vec![term], if d == 1 { 0.6 } else { 0.4 }));
            }
        }
    }
    for term in completions {
        if !variants
            .iter()
            .any(|v| v.terms.len() == 1 && v.terms[0] == term)
        {
            variants.push(Variant {
                terms: vec![term],
                stems: Vec::new(),
                weight: 0.5,
            });
        }
    }
    Ok(WordPlan {
        word: word.to_string(),
        variants,
        correction,
    })
}

/// Dictionary terms within `distance` edits of `word`, closest and most
/// frequent first.
fn fuzzy_neighbours(
    searcher: &Searcher,
    fields: &[Field],
    word: &str,
    distance: u8,
) -> SearchResult<Vec<(String, u8, u64)>> {
    let mut freq: HashMap<String, u64> = HashMap::new();
    for field in fields {
        let fuzzy = FuzzyTermQuery::new(Term::from_field_text(*field, word), distance, true);
        for segment in searcher.segment_readers() {
            let inverted = segment.inverted_index(*field)?;
            let mut stream = inverted.terms().search(fuzzy.automaton()?).into_stream()?;
            while stream.advance() {
                if let Ok(term) = std::str::from_utf8(stream.key()) {
                    *freq.entry(term.to_string()).or_default() +=
                        u64::from(stream.value().doc_freq);
                }
                if freq.len() > 500 {
                    break;
                }
            }
        }
    }
    let mut out: Vec<(String, u8, u64)> = freq
        .into_iter()
        .map(|(term, df)| {
            let d = edit_distance(word, &term);
            (term, d, df)
        })
        .filter(|(_, d, _)| *d <= distance)
        .collect();
    out.sort_by(|a, b| a.1.cmp(&b.1).then(b.2.cmp(&a.2)).then(a.0.cmp(&b.0)));
    out.truncate(MAX_FUZZY);
    Ok(out)
}

/// The most frequent dictionary terms starting with `word` (excluding itself).
fn prefix_completions(
    searcher: &Searcher,
    fields: &[Field],
    word: &str,
) -> SearchResult<Vec<String>> {
    let mut freq: HashMap<String, u64> = HashMap::new();
    for field in fields {
        for segment in searcher.segment_readers() {
            let inverted = segment.inverted_index(*field)?;
            let mut stream = inverted.terms().range().ge(word.as_bytes()).into_stream()?;
            let mut seen = 0;
            while stream.advance() {
                let key = stream.key();
                if !key.starts_with(word.as_bytes()) || seen > 2000 {
                    break;
                }
                seen += 1;
                if key.len() == word.len() {
                    continue;
                }
                if let Ok(term) = std::str::from_utf8(key) {
                    *freq.entry(term.to_string()).or_default() +=
                        u64::from(stream.value().doc_freq);
                }
            }
        }
    }
    let mut out: Vec<(String, u64)> = freq.into_iter().collect();
    out.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    Ok(out.into_iter().take(MAX_PREFIX).map(|(t, _)| t).collect())
}

/// Optimal-string-alignment distance (a swap of neighbours counts as one).
fn edit_distance(a: &str, b: &str) -> u8 {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let (n, m) = (a.len(), b.len());
    let mut d = vec![vec![0usize; m + 1]; n + 1];
    for (i, row) in d.iter_mut().enumerate() {
        row[0] = i;
    }
    for (j, cell) in d[0].iter_mut().enumerate() {
        *cell = j;
    }
    for i in 1..=n {
        for j in 1..=m {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut best = (d[i - 1][j] + 1)
                .min(d[i][j - 1] + 1)
                .min(d[i - 1][j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                best = best.min(d[i - 2][j - 2] + 1);
            }
            d[i][j] = best;
        }
    }
    d[n][m].min(255) as u8
}

/// The concepts that decide matching: the non-stop ones (all of them when
/// the query has only stop words, which are then not marked as stop).
fn deciding(concepts: &[Concept]) -> impl Iterator<Item = (usize, &Concept)> {
    concepts.iter().enumerate().filter(|(_, c)| !c.stop)
}

/// How much a concept tells documents apart: BM25's inverse document
/// frequency of its most frequent form in the stemmed title or body. A
/// word in no document (nothing to find it by) counts the most.
fn concept_idf(searcher: &Searcher, fields: &Fields, concept: &Concept) -> SearchResult<f32> {
    let total = searcher.num_docs() as f32;
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
fn minimum_should_match(n: usize) -> usize {
    if n <= 2 {
        n
    } else {
        n * 3 / 4
    }
}

/// The candidate query: one flat disjunction of boosted term queries, so
/// tantivy can use block-max WAND; with a kind filter, intersected with it.
fn candidate_query(
    concepts: &[Concept],
    fields: &Fields,
    kind: Option<&str>,
) -> Option<Box<dyn Query>> {
    let mut boosts: BTreeMap<(u32, String), (Field, f32)> = BTreeMap::new();
    let mut add = |field: Field, term: &str, boost: f32| {
        let entry = boosts
            .entry((field.field_id(), term.to_string()))
            .or_insert((field, boost));
        entry.1 = entry.1.max(boost);
    };
    for (_, concept) in deciding(concepts) {
        for variant in &concept.plan.variants {
            // A phrase's words alone are weak evidence; the re-rank checks order.
            let weight = variant.weight * if variant.terms.len() > 1 { 0.5 } else { 1.0 };
            for term in &variant.terms {
                for (field, field_weight) in fields.text_fields() {
                    add(field, term, weight * field_weight);
                }
            }
            for stem in &variant.stems {
                for (field, field_weight) in fields.stem_fields() {
                    add(field, stem, weight * field_weight);
                }
            }
        }
    }
    if boosts.is_empty() {
        return None;
    }
    let clauses: Vec<(Occur, Box<dyn Query>)> = boosts
        .into_iter()
        .map(|((_, term), (field, boost))| {
            let query = TermQuery::new(
                Term::from_field_text(field, &term),
                IndexRecordOption::WithFreqs,
            );
            let boosted: Box<dyn Query> = Box::new(BoostQuery::new(Box::new(query), boost));
            (Occur::Should, boosted)
        })
        .collect();
    let disjunction: Box<dyn Query> = Box::new(BooleanQuery::new(clauses));
    Some(match kind {
        None => disjunction,
        Some(kind) => Box::new(BooleanQuery::new(vec![
            (
                Occur::Must,
                Box::new(TermQuery::new(
                    Term::from_field_text(fields.kind, kind),
                    IndexRecordOption::Basic,
                )) as Box<dyn Query>,
            ),
            (Occur::Must, disjunction),
        ])),
    })
}

/// The terms to highlight: every stem the deciding words stand for, in the
/// stemmed title and body (whose analyzer finds them in the stored text).
fn highlight_query(concepts: &[Concept], fields: &Fields) -> Box<dyn Query> {
    let mut clauses: Vec<(Occur, Box<dyn Query>)> = Vec::new();
    for (_, concept) in deciding(concepts) {
        for variant in &concept.plan.variants {
            let stems: Vec<String> = if variant.stems.is_empty() {
                variant.terms.iter().map(|t| schema::stem(t)).collect()
            } else {
                variant.stems.clone()
            };
            for stem in stems {
                for field in [fields.title_stem, fields.body_stem] {
                    clauses.push((
                        Occur::Should,
                        Box::new(TermQuery::new(
                            Term::from_field_text(field, &stem),
                            IndexRecordOption::WithFreqs,
                        )),
                    ));
                }
            }
        }
    }
    Box::new(BooleanQuery::new(clauses))
}

/// A candidate after the re-rank.
#[derive(Debug, Clone)]
struct Ranked {
    address: DocAddress,
    score: Score,
    /// Deciding words found.
    matched: usize,
    /// Share of the deciding words' weight found (each word weighted by
    /// its rarity; typo and synonym matches count less than the word as
    /// typed).
    coverage: f32,
    group: u64,
    group_limit: u64,
    part: u64,
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
struct ConceptMatch {
    /// Best weight of a matching variant (0: absent).
    weight: f32,
    in_title: bool,
    exact_in_title: bool,
    /// (first, last) positions of each occurrence, in title and body.
    title_spans: Vec<(u32, u32)>,
    body_spans: Vec<(u32, u32)>,
}

/// Re-ranks the candidates; returns them best first, restricted to those
/// with enough of the query's words (see [`MIN_SHARE_OF_BEST`]), flagged
/// `true` when none has the minimum share of words.
fn rerank(
    searcher: &Searcher,
    fields: &Fields,
    concepts: &[Concept],
    top: &[(Score, DocAddress)],
) -> SearchResult<(Vec<Ranked>, bool)> {
    if top.is_empty() {
        return Ok((Vec::new(), false));
    }
    let mut needs = Needs::default();
    let mut sources: Vec<Vec<VariantSources>> = Vec::with_capacity(concepts.len());
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
                tags: (variant.terms.len() == 1).then(|| needs.id(fields.tags, &variant.terms[0])),
                weight: variant.weight,
            });
        }
        sources.push(list);
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
    let positions = read_positions(searcher, &needs, top)?;
    let empty: Vec<u32> = Vec::new();
    let best_text = top.iter().map(|(s, _)| *s).fold(0.0f32, f32::max).max(1e-6);
    let deciding_ids: Vec<usize> = deciding(concepts).map(|(i, _)| i).collect();
    let n = deciding_ids.len().max(1);
    let idfs = concepts
        .iter()
        .map(|c| concept_idf(searcher, fields, c))
        .collect::<SearchResult<Vec<f32>>>()?;
    let idf_total: f32 = deciding_ids.iter().map(|&c| idfs[c]).sum::<f32>().max(1e-6);
    let columns = SegmentColumns::new(searcher, fields);
    let mut ranked = Vec::with_capacity(top.len());
    for (candidate, (text_score, address)) in top.iter().enumerate() {
        let at = |id: usize| positions.get(&(candidate, id)).unwrap_or(&empty);
        let matches: Vec<ConceptMatch> = concepts
            .iter()
            .enumerate()
            .map(|(c, _)| {
                let mut found = ConceptMatch::default();
                for variant in &sources[c] {
                    let title = phrase_spans(&variant.title, &at);
                    let body = phrase_spans(&variant.body, &at);
                    let tagged = variant.tags.is_some_and(|id| !at(id).is_empty());
                    if !title.is_empty() || !body.is_empty() || tagged {
                        found.weight = found.weight.max(variant.weight);
                    }
                    found.in_title |= !title.is_empty();
                    found.title_spans.extend(title);
                    found.body_spans.extend(body);
                }
                found.exact_in_title = exact_title[c].is_some_and(|id| !at(id).is_empty());
                found.title_spans.sort_unstable();
                found.body_spans.sort_unstable();
                found
            })
            .collect();
        let matched = deciding_ids
            .iter()
            .filter(|&&c| matches[c].weight > 0.0)
            .count();
        let share = |f: &dyn Fn(&ConceptMatch) -> f32| {
            deciding_ids.iter().map(|&c| f(&matches[c])).sum::<f32>() / n as f32
        };
        let coverage = deciding_ids
            .iter()
            .map(|&c| matches[c].weight * idfs[c])
            .sum::<f32>()
            / idf_total;
        let title = share(&|m| if m.in_title { m.weight } else { 0.0 });
        let exact = share(&|m| f32::from(u8::from(m.exact_in_title)));
        let proximity = proximity(&deciding_ids, &matches, |m| &m.title_spans).max(proximity(
            &deciding_ids,
            &matches,
            |m| &m.body_spans,
        ));
        let phrase = phrase_order(&matches);
        let relevance = COVERAGE_WEIGHT * coverage
            + TEXT_WEIGHT * text_score / best_text
            + title
            + 0.5 * exact
            + 0.7 * proximity
            + 0.5 * phrase;
        let (boost, group, group_limit, part) = columns.get(*address);
        ranked.push(Ranked {
            address: *address,
            score: relevance * (boost.max(0.01) as f32).powf(BOOST_EXPONENT),
            matched,
            coverage,
            group,
            group_limit,
            part,
        });
    }
    let by_score = |a: &Ranked, b: &Ranked| {
        b.score
            .partial_cmp(&a.score)
            .unwrap_or(std::cmp::Ordering::Equal)
            .then(a.address.cmp(&b.address))
    };
    ranked.sort_by(by_score);
    let n = deciding_ids.len();
    let partial = !ranked.iter().any(|r| r.matched >= minimum_should_match(n));
    let every_word = n <= 2 && !partial;
    let best_coverage = ranked.iter().map(|r| r.coverage).fold(0.0f32, f32::max);
    ranked.retain(|r| {
        r.matched > 0
            && r.coverage + 1e-6 >= MIN_SHARE_OF_BEST * best_coverage
            && (!every_word || r.matched >= n)
    });
    Ok((ranked, partial))
}

/// Start and end positions where a variant's terms occur in order, one
/// after the other (a single term: each of its positions).
fn phrase_spans<'a>(ids: &[usize], at: &impl Fn(usize) -> &'a Vec<u32>) -> Vec<(u32, u32)> {
    let Some((&first, rest)) = ids.split_first() else {
        return Vec::new();
    };
    at(first)
        .iter()
        .filter(|&&start| {
            rest.iter()
                .enumerate()
                .all(|(k, &id)| at(id).binary_search(&(start + k as u32 + 1)).is_ok())
        })
        .map(|&start| (start, start + rest.len() as u32))
        .collect()
}

/// How close together the deciding words found in one field are: 1 when
/// they stand next to each other, falling with the width of the narrowest
/// window holding them all; 0 with fewer than two.
fn proximity(
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
fn phrase_order(matches: &[ConceptMatch]) -> f32 {
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

/// Positions of every needed term in every candidate, read from the
/// postings lists segment by segment (candidates in document order, so each
/// list is walked forward once).
fn read_positions(
    searcher: &Searcher,
    needs: &Needs,
    top: &[(Score, DocAddress)],
) -> SearchResult<HashMap<(usize, usize), Vec<u32>>> {
    let mut by_segment: BTreeMap<u32, Vec<(u32, usize)>> = BTreeMap::new();
    for (candidate, (_, address)) in top.iter().enumerate() {
        by_segment
            .entry(address.segment_ord)
            .or_default()
            .push((address.doc_id, candidate));
    }
    let mut out = HashMap::new();
    let mut buffer = Vec::new();
    for (segment_ord, mut docs) in by_segment {
        docs.sort_unstable();
        let segment = searcher.segment_reader(segment_ord);
        for (id, term) in needs.terms.iter().enumerate() {
            let inverted = segment.inverted_index(term.field())?;
            let Some(mut postings) =
                inverted.read_postings(term, IndexRecordOption::WithFreqsAndPositions)?
            else {
                continue;
            };
            for &(doc, candidate) in &docs {
                let current = postings.doc();
                if current == TERMINATED {
                    break;
                }
                if current > doc || postings.seek(doc) != doc {
                    continue;
                }
                buffer.clear();
                postings.positions(&mut buffer);
                out.insert((candidate, id), buffer.clone());
            }
        }
    }
    Ok(out)
}

/// The fast-field columns the re-rank reads, opened once per segment.
struct SegmentColumns {
    segments: Vec<ColumnSet>,
}

type ColumnSet = (
    Option<Arc<dyn tantivy::columnar::ColumnValues<f64>>>,
    Option<Arc<dyn tantivy::columnar::ColumnValues<u64>>>,
    Option<Arc<dyn tantivy::columnar::ColumnValues<u64>>>,
    Option<Arc<dyn tantivy::columnar::ColumnValues<u64>>>,
);

impl SegmentColumns {
    fn new(searcher: &Searcher, fields: &Fields) -> SegmentColumns {
        let schema = searcher.schema();
        let name = |field: Field| schema.get_field_name(field).to_string();
        let (boost, group, limit, part) = (
            name(fields.boost),
            name(fields.group_hash),
            name(fields.group_limit),
            name(fields.part),
        );
        let segments = searcher
            .segment_readers()
            .iter()
            .map(|reader| {
                let fast = reader.fast_fields();
                let u64_column =
                    |name: &str| fast.u64(name).ok().map(|c| c.first_or_default_col(0));
                (
                    fast.f64(&boost).ok().map(|c| c.first_or_default_col(1.0)),
                    u64_column(&group),
                    u64_column(&limit),
                    u64_column(&part),
                )
            })
            .collect();
        SegmentColumns { segments }
    }

    /// Boost, group hash, group limit and part flag of a document.
    fn get(&self, address: DocAddress) -> (f64, u64, u64, u64) {
        let Some((boost, group, limit, part)) = self.segments.get(address.segment_ord as usize)
        else {
            return (1.0, 0, 0, 0);
        };
        let u = |c: &Option<Arc<dyn tantivy::columnar::ColumnValues<u64>>>| {
            c.as_ref().map(|c| c.get_val(address.doc_id)).unwrap_or(0)
        };
        (
            boost
                .as_ref()
                .map(|c| c.get_val(address.doc_id))
                .unwrap_or(1.0),
            u(group),
            u(limit),
            u(part),
        )
    }
}

/// Keeps at most `group_limit` results per group (best first). A group
/// shown once (a question thread) is represented by its main document when
/// that matches as well as the best part (the question page shows its
/// answers), and by the best part, with its anchor, otherwise.
fn collapse(ranked: Vec<Ranked>) -> Vec<Ranked> {
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
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::search::indexer::GroupUpdate;
    use crate::search::SearchDoc;

    fn doc(group: &str, url: &str, title: &str, body: &str) -> SearchDoc {
        SearchDoc {
            kind: group.split(':').next().unwrap_or("article").to_string(),
            group: group.to_string(),
            url: url.to_string(),
            title: title.to_string(),
            body: body.to_string(),
            boost: 1.0,
            ..Default::default()
        }
    }

    fn index(groups: Vec<(&str, Vec<SearchDoc>)>) -> (tempfile::TempDir, SearchIndex) {
        let dir = tempfile::tempdir().expect("temp dir");
        let (index, _) = SearchIndex::open(dir.path()).expect("open");
        let mut feed = index.feed().expect("feed");
        let updates: Vec<GroupUpdate> = groups
            .into_iter()
            .map(|(group, docs)| GroupUpdate {
                group: group.to_string(),
                docs,
            })
            .collect();
        feed.stage(&updates).expect("stage");
        feed.commit(1).expect("commit");
        drop(feed);
        (dir, index)
    }

    fn urls(index: &SearchIndex, text: &str) -> (Vec<String>, bool) {
        let found = index
            .search(&SearchRequest {
                text,
                kind: None,
                limit: 10,
                offset: 0,
            })
            .expect("search");
        (
            found.hits.into_iter().map(|h| h.url).collect(),
            found.relaxed,
        )
    }

    #[test]
    fn stems_stop_words_share_of_words_and_synonyms() {
        let (_dir, index) = index(vec![
            (
                "article:1",
                vec![doc(
                    "article:1",
                    "/a",
                    "Installing the driver",
                    "Run setup.",
                )],
            ),
            (
                "article:2",
                vec![doc(
                    "article:2",
                    "/b",
                    "Printer offline",
                    "Restart the spooler.",
                )],
            ),
            (
                "article:3",
                vec![doc("article:3", "/c", "Printer colours", "Calibrate.")],
            ),
        ]);
        assert_eq!(urls(&index, "install "), (vec!["/a".to_string()], false));
        // Three of four deciding words; "why", "is", "my" do not count.
        assert_eq!(
            urls(&index, "why is my printer always offline spooler "),
            (vec!["/b".to_string()], false)
        );
        assert_eq!(urls(&index, "network "), (vec![], false));
        index.set_synonyms(&[vec!["network".to_string(), "spooler".to_string()]]);
        assert_eq!(urls(&index, "network "), (vec!["/b".to_string()], false));
    }

    #[test]
    fn a_thread_shows_once_with_the_best_matching_answer() {
        let thread = vec![
            doc(
                "question:1",
                "/q/1",
                "Screen flickers",
                "It flickers at night.",
            ),
            doc(
                "question:1",
                "/q/1#answer-2",
                "Screen flickers",
                "Lower the refresh rate.",
            ),
            doc(
                "question:1",
                "/q/1#answer-3",
                "Screen flickers",
                "Degauss the monitor.",
            ),
        ];
        let (_dir, index) = index(vec![("question:1", thread)]);
        assert_eq!(urls(&index, "degauss ").0, ["/q/1#answer-3"]);
        assert_eq!(urls(&index, "screen flickers ").0, ["/q/1"]);
        assert_eq!(urls(&index, "flickers refresh ").0, ["/q/1#answer-2"]);
    }

    fn article_keys(n: usize) -> Vec<String> {
        (1..=n).map(|i| format!("article:{i}")).collect()
    }

    /// One article per key, all with the same title and body.
    fn alike<'a>(
        keys: &'a [String],
        url: &str,
        title: &str,
        body: &str,
    ) -> Vec<(&'a str, Vec<SearchDoc>)> {
        keys.iter()
            .enumerate()
            .map(|(i, key)| {
                let page = doc(key, &format!("{url}{i}"), &format!("{title} {i}"), body);
                (key.as_str(), vec![page])
            })
            .collect()
    }

    #[test]
    fn a_long_question_finds_the_page_with_its_rare_words() {
        let keys = article_keys(4);
        let mut groups = alike(
            &keys,
            "/log",
            "Print log",
            "Every single morning I keep a print log.",
        );
        groups.push((
            "article:9",
            vec![doc(
                "article:9",
                "/spooler",
                "Spooler crash",
                "The spooler service crashed.",
            )],
        ));
        let (_dir, index) = index(groups);
        // Five of seven words are in the log pages, but they are the
        // common ones; the page holding the two rare ones comes first.
        let (found, partial) = urls(
            &index,
            "why does the print spooler keep crashing every single morning ",
        );
        assert_eq!(found.first().map(String::as_str), Some("/spooler"));
        assert!(!partial);
    }

    #[test]
    fn stop_words_do_not_count_towards_the_word_cap() {
        let text = "how do i stop the printer in the office from \
                    printing a blank page at the end of every single job it is sent";
        let words = tokenize(text);
        assert!(words.contains(&"sent".to_string()), "{words:?}");
        assert_eq!(words.iter().filter(|w| !is_stop_word(w)).count(), 11);
    }

    #[test]
    fn a_rare_word_also_finds_its_far_more_frequent_neighbour() {
        let keys = article_keys(25);
        let mut groups = alike(&keys, "/b", "Backup", "Take a backup nightly.");
        groups.push((
            "article:99",
            vec![doc("article:99", "/typo", "Misc", "my bakup failed")],
        ));
        let (_dir, index) = index(groups);
        let (found, _) = urls(&index, "bakup ");
        assert!(found.contains(&"/typo".to_string()), "{found:?}");
        assert!(found.iter().any(|u| u.starts_with("/b")), "{found:?}");
        // The word as typed still ranks first, and it is not "corrected".
        assert_eq!(found.first().map(String::as_str), Some("/typo"));
        assert_eq!(index.suggest("bakup").expect("suggest"), None);
    }

    #[test]
    fn edit_distances() {
        assert_eq!(edit_distance("search", "search"), 0);
        assert_eq!(edit_distance("serach", "search"), 1);
        assert_eq!(edit_distance("instal", "install"), 1);
        assert_eq!(edit_distance("configuraton", "configuration"), 1);
        assert_eq!(edit_distance("abc", "xyz"), 3);
    }

    #[test]
    fn distances_follow_word_length() {
        assert_eq!(max_distance("the"), 0);
        assert_eq!(max_distance("index"), 1);
        assert_eq!(max_distance("database"), 2);
    }

    #[test]
    fn hostile_text_tokenizes_to_plain_words() {
        assert_eq!(
            tokenize("\"unbalanced AND title:x* ~2 OR NOT"),
            ["unbalanced", "and", "title", "x", "2", "or", "not"]
        );
        assert!(tokenize("\"\"\" *** ~~~ ((( ").is_empty());
    }

    #[test]
    fn stop_words_are_sorted_and_found() {
        assert!(STOP_WORDS.windows(2).all(|w| w[0] < w[1]));
        assert!(is_stop_word("the") && is_stop_word("why") && is_stop_word("my"));
        assert!(!is_stop_word("printer") && !is_stop_word("not"));
        // What the analyzer leaves of contractions ("won't", "doesn't").
        for fragment in ["t", "s", "won", "doesn", "don", "isn", "can"] {
            assert!(is_stop_word(fragment), "{fragment}");
        }
    }

    #[test]
    fn minimum_should_match_is_two_then_three_quarters() {
        let wanted: Vec<usize> = (1..=8).map(minimum_should_match).collect();
        assert_eq!(wanted, [1, 2, 2, 3, 3, 4, 5, 6]);
    }

    fn spans(list: &[(u32, u32)]) -> ConceptMatch {
        ConceptMatch {
            weight: 1.0,
            body_spans: list.to_vec(),
            ..Default::default()
        }
    }

    #[test]
    fn proximity_rewards_the_narrowest_window() {
        let next_to = [spans(&[(3, 3), (40, 40)]), spans(&[(41, 41)])];
        assert_eq!(proximity(&[0, 1], &next_to, |m| &m.body_spans), 1.0);
        let apart = [spans(&[(3, 3)]), spans(&[(13, 13)])];
        assert!((proximity(&[0, 1], &apart, |m| &m.body_spans) - 0.1).abs() < 1e-6);
        let alone = [spans(&[(3, 3)]), spans(&[])];
        assert_eq!(proximity(&[0, 1], &alone, |m| &m.body_spans), 0.0);
    }

    #[test]
    fn phrase_order_counts_neighbouring_pairs() {
        // "reset the router": "reset" at 5, "the" at 6, "router" at 9.
        let found = [spans(&[(5, 5)]), spans(&[(6, 6)]), spans(&[(9, 9)])];
        assert_eq!(phrase_order(&found), 0.5);
    }

    #[test]
    fn phrases_need_their_terms_in_order() {
        let lists: Vec<Vec<u32>> = vec![vec![1, 7, 20], vec![2, 9, 21]];
        let at = |id: usize| &lists[id];
        assert_eq!(phrase_spans(&[0, 1], &at), vec![(1, 2), (20, 21)]);
        assert_eq!(phrase_spans(&[0], &at), vec![(1, 1), (7, 7), (20, 20)]);
    }
}
