//! Query planning: tokenizing the text, planning each word (its plain and
//! stemmed forms, close neighbours for a typo or a popular misspelling,
//! completions of the last word, synonyms) and caching plans per index
//! generation.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use tantivy::query::{Bm25StatisticsProvider, EnableScoring, FuzzyTermQuery};
use tantivy::schema::Field;
use tantivy::{Searcher, Term};

use super::super::schema::{self, Fields};
use super::super::{SearchIndex, SearchResult};

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
/// Plans kept in the cache before it is emptied.
const MAX_CACHED_PLANS: usize = 20_000;
/// Term statistics kept in the cache before they are emptied.
const MAX_CACHED_TERMS: usize = 200_000;

/// Words that never decide whether a document matches (they still count
/// for phrase order). Sorted, for binary search.
pub(super) const STOP_WORDS: &[&str] = &[
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

/// One dictionary form a query word stands for.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Variant {
    /// Plain terms (several for a phrase synonym such as `wi fi`).
    pub(super) terms: Vec<String>,
    /// Their stems; empty when only the plain form may match (completions).
    pub(super) stems: Vec<String>,
    /// How much a match counts (1 for the word as typed).
    pub(super) weight: f32,
    /// A completion that is another form of a word already looked for
    /// ("updated" while typing "update"): the candidate selection finds it
    /// by that word's stem, not by its own plain posting lists.
    pub(super) found_by_stem: bool,
}

impl Variant {
    fn stemmed(terms: Vec<String>, weight: f32) -> Variant {
        let stems = terms.iter().map(|t| schema::stem(t)).collect();
        Variant {
            terms,
            stems,
            weight,
            found_by_stem: false,
        }
    }
}

/// A query word and the dictionary forms it stands for.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct WordPlan {
    pub(super) word: String,
    pub(super) variants: Vec<Variant>,
    pub(super) correction: Option<String>,
}

/// A query word (or a synonym phrase) as ranked.
#[derive(Debug, Clone)]
pub(super) struct Concept {
    pub(super) plan: Arc<WordPlan>,
    /// A stop word: not counted for matching, only for phrase order.
    pub(super) stop: bool,
}

/// Word plans and term statistics of one index generation (typo and
/// prefix expansion walk the term dictionary, and a term's document
/// frequency sums a dictionary lookup per segment: worth doing once per
/// word, not per query).
#[derive(Debug, Default)]
pub(crate) struct PlanCache {
    generation: u64,
    plans: HashMap<(String, bool, bool), Arc<WordPlan>>,
    /// Documents holding a term, over every segment.
    doc_freqs: HashMap<Term, u64>,
    /// Tokens in a field, over every segment.
    tokens: HashMap<Field, u64>,
}

impl PlanCache {
    /// The cache emptied first when it holds another generation's entries.
    fn of_generation(&mut self, generation: u64) -> &mut PlanCache {
        if self.generation != generation {
            *self = PlanCache {
                generation,
                ..PlanCache::default()
            };
        }
        self
    }
}

/// The BM25 statistics of one searcher (documents, tokens per field,
/// documents per term), each computed once per index generation and kept
/// in the [`PlanCache`]: the weights of a query's term queries read them
/// instead of looking every term up in every segment's dictionary again.
/// The selection's title field (`title_select`) is weighed with the
/// stemmed title's statistics, so a document found there scores as the
/// stemmed title scores it.
pub(super) struct Statistics<'a> {
    searcher: &'a Searcher,
    cache: &'a Mutex<PlanCache>,
    generation: u64,
    /// `title_select` and the field whose statistics it borrows.
    borrowed: (Field, Field),
}

impl<'a> Statistics<'a> {
    pub(super) fn new(
        searcher: &'a Searcher,
        fields: &Fields,
        cache: &'a Mutex<PlanCache>,
    ) -> Statistics<'a> {
        Statistics {
            searcher,
            cache,
            generation: searcher.generation().generation_id(),
            borrowed: (fields.title_select, fields.title_stem),
        }
    }

    /// The field whose statistics weigh `field`.
    fn statistics_field(&self, field: Field) -> Field {
        if field == self.borrowed.0 {
            self.borrowed.1
        } else {
            field
        }
    }

    /// Scoring of this searcher's documents with the cached statistics.
    pub(super) fn scoring(&self) -> EnableScoring<'_> {
        EnableScoring::enabled_from_statistics_provider(self, self.searcher)
    }

    /// Reads (`None`: not cached) or fills the cache of this generation; a
    /// poisoned lock only costs the cache.
    fn with_cache<T>(&self, f: impl FnOnce(&mut PlanCache) -> Option<T>) -> Option<T> {
        let mut cache = self.cache.lock().ok()?;
        f(cache.of_generation(self.generation))
    }
}

/// The documents of `searcher` with the deleted ones not yet merged away,
/// as tantivy's own statistics count them: a term's document frequency and
/// a field's token count include deleted documents until their segment is
/// merged, so shares and averages divide by this, never by the live count.
/// tantivy's BM25 asserts that no term is in more documents than the index
/// holds: with the live count, a search for a word in nearly every
/// document panicked after a thread was edited.
pub(super) fn document_slots(searcher: &Searcher) -> u64 {
    searcher
        .segment_readers()
        .iter()
        .map(|reader| u64::from(reader.max_doc()))
        .sum()
}

impl Bm25StatisticsProvider for Statistics<'_> {
    fn total_num_tokens(&self, field: Field) -> tantivy::Result<u64> {
        let field = self.statistics_field(field);
        if let Some(tokens) = self.with_cache(|c| c.tokens.get(&field).copied()) {
            return Ok(tokens);
        }
        let tokens = self.searcher.total_num_tokens(field)?;
        self.with_cache(|c| c.tokens.insert(field, tokens));
        Ok(tokens)
    }

    /// Every document slot ([`document_slots`]).
    fn total_num_docs(&self) -> tantivy::Result<u64> {
        Ok(document_slots(self.searcher))
    }

    fn doc_freq(&self, term: &Term) -> tantivy::Result<u64> {
        let field = self.statistics_field(term.field());
        let borrowed;
        let term = match term.value().as_str() {
            Some(text) if field != term.field() => {
                borrowed = Term::from_field_text(field, text);
                &borrowed
            }
            _ => term,
        };
        if let Some(df) = self.with_cache(|c| c.doc_freqs.get(term).copied()) {
            return Ok(df);
        }
        let df = self.searcher.doc_freq(term)?;
        self.with_cache(|c| {
            if c.doc_freqs.len() >= MAX_CACHED_TERMS {
                c.doc_freqs.clear();
            }
            c.doc_freqs.insert(term.clone(), df)
        });
        Ok(df)
    }
}

impl SearchIndex {
    /// The query words as concepts: synonym phrases merged, stop words marked.
    pub(super) fn concepts(
        &self,
        searcher: &Searcher,
        fields: &Fields,
        words: &[String],
        typing_last: bool,
    ) -> SearchResult<Vec<Concept>> {
        let synonyms = self.synonyms();
        let stems = if synonyms.is_empty() {
            Vec::new()
        } else {
            super::super::synonyms::stems_of(words)
        };
        let all_stop = words.iter().all(|w| is_stop_word(w));
        let mut concepts = Vec::with_capacity(words.len());
        let mut at = 0;
        while at < words.len() {
            let is_last = at + 1 == words.len();
            let stop = !all_stop && is_stop_word(&words[at]);
            if let Some(found) = synonyms.match_at(&stems, at) {
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
    pub(super) fn cached_plan(
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
            let cache = cache.of_generation(generation);
            if cache.plans.len() >= MAX_CACHED_PLANS {
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
pub(super) fn tokenize(text: &str) -> Vec<String> {
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

/// Documents holding `term`, summed over `fields`.
pub(super) fn doc_freq(searcher: &Searcher, fields: &[Field], term: &str) -> SearchResult<u64> {
    let mut total = 0;
    for field in fields {
        total += searcher.doc_freq(&Term::from_field_text(*field, term))?;
    }
    Ok(total)
}

/// Allowed edit distance for a word of this length.
pub(super) fn max_distance(word: &str) -> u8 {
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
        if variants
            .iter()
            .any(|v| v.terms.len() == 1 && v.terms[0] == term)
        {
            continue;
        }
        let stem = schema::stem(&term);
        let found_by_stem = variants
            .iter()
            .any(|v| v.terms.len() == 1 && v.stems.contains(&stem));
        variants.push(Variant {
            terms: vec![term],
            stems: Vec::new(),
            weight: 0.5,
            found_by_stem,
        });
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
pub(super) fn edit_distance(a: &str, b: &str) -> u8 {
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
pub(super) fn deciding(concepts: &[Concept]) -> impl Iterator<Item = (usize, &Concept)> {
    concepts.iter().enumerate().filter(|(_, c)| !c.stop)
}
