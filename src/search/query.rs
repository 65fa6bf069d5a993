//! Typo-tolerant queries with highlighted snippets.
//!
//! The query text is never parsed as a query language: it is tokenized with
//! the index analyzer, so quotes, operators and `field:` syntax are just
//! words. Each word becomes a disjunction over title, tags and body of:
//! the word itself when the dictionary knows it; otherwise its nearest
//! dictionary terms (edit distance 1 from 4 letters, 2 from 8), found by
//! walking the term dictionary with a Levenshtein automaton; and, for the
//! last word, the most frequent terms it is a prefix of. Everything runs as
//! plain term queries. Words are combined with AND; when that finds nothing,
//! with OR ("matching some of your words").

use std::collections::HashMap;

use tantivy::collector::TopDocs;
use tantivy::query::{BooleanQuery, BoostQuery, FuzzyTermQuery, Occur, Query, TermQuery};
use tantivy::schema::{Field, IndexRecordOption, TantivyDocument, Value};
use tantivy::snippet::SnippetGenerator;
use tantivy::{Score, Searcher, Term};

use super::{SearchIndex, SearchResult};

/// Longest query text considered; the rest is ignored.
pub const MAX_QUERY_CHARS: usize = 256;
/// Most words of a query considered.
const MAX_WORDS: usize = 12;
/// Neighbours kept per misspelt word.
const MAX_FUZZY: usize = 3;
/// Completions kept for the last word.
const MAX_PREFIX: usize = 8;

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
    /// Link target.
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
    /// Matching documents: exact below the candidate window, a lower bound above
    /// (see `total_is_lower_bound`).
    pub total: usize,
    /// More documents matched than were ranked.
    pub total_is_lower_bound: bool,
    /// The query with misspelt words replaced, when any were corrected.
    pub corrected: Option<String>,
    /// True when no document had every word and the OR fallback was used.
    pub relaxed: bool,
    /// The index is being rebuilt; results may be incomplete.
    pub rebuilding: bool,
}

/// A query word and the dictionary terms it stands for, with weights.
#[derive(Debug, Clone)]
struct WordPlan {
    word: String,
    variants: Vec<(String, f32)>,
    correction: Option<String>,
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
        let mut plans = Vec::with_capacity(words.len());
        for (i, word) in words.iter().enumerate() {
            let is_last = i + 1 == words.len();
            plans.push(plan_word(
                &searcher,
                &fields.text_fields(),
                word,
                is_last && typing_last,
            )?);
        }
        if plans.iter().any(|p| p.correction.is_some()) {
            let corrected: Vec<&str> = plans
                .iter()
                .map(|p| p.correction.as_deref().unwrap_or(&p.word))
                .collect();
            results.corrected = Some(corrected.join(" "));
        }
        let kind_filter = request.kind.map(|k| Term::from_field_text(fields.kind, k));
        let limit = request.limit.clamp(1, 100);
        let mut query = build_query(
            &plans,
            &fields.text_fields(),
            Occur::Must,
            kind_filter.clone(),
        );
        let mut found = run(
            &searcher,
            query.as_ref(),
            fields.boost,
            limit,
            request.offset,
        )?;
        if found.1 == 0 && plans.len() > 1 {
            query = build_query(&plans, &fields.text_fields(), Occur::Should, kind_filter);
            found = run(
                &searcher,
                query.as_ref(),
                fields.boost,
                limit,
                request.offset,
            )?;
            results.relaxed = found.1 > 0;
        }
        let (top, total, saturated) = found;
        results.total = total;
        results.total_is_lower_bound = saturated;
        if top.is_empty() {
            return Ok(results);
        }
        let mut body_snippets = SnippetGenerator::create(&searcher, query.as_ref(), fields.body)?;
        body_snippets.set_max_num_chars(220);
        let mut title_snippets = SnippetGenerator::create(&searcher, query.as_ref(), fields.title)?;
        title_snippets.set_max_num_chars(400);
        for (score, address) in top {
            let doc: TantivyDocument = searcher.doc(address)?;
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
                score,
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
            let plan = plan_word(&searcher, &fields.text_fields(), word, false)?;
            changed |= plan.correction.is_some();
            out.push(plan.correction.unwrap_or(plan.word));
        }
        Ok(changed.then(|| out.join(" ")))
    }
}

/// Splits text into index terms with the index analyzer (deduplicated, capped).
fn tokenize(text: &str) -> Vec<String> {
    let mut analyzer = super::schema::analyzer();
    let mut stream = analyzer.token_stream(text);
    let mut words: Vec<String> = Vec::new();
    while let Some(token) = stream.next() {
        if !words.contains(&token.text) {
            words.push(token.text.clone());
        }
        if words.len() == MAX_WORDS {
            break;
        }
    }
    words
}

fn doc_freq(searcher: &Searcher, fields: &[(Field, f32)], word: &str) -> SearchResult<u64> {
    let mut total = 0;
    for (field, _) in fields {
        total += searcher.doc_freq(&Term::from_field_text(*field, word))?;
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

fn plan_word(
    searcher: &Searcher,
    fields: &[(Field, f32)],
    word: &str,
    prefix: bool,
) -> SearchResult<WordPlan> {
    let mut variants = Vec::new();
    let mut correction = None;
    let known = doc_freq(searcher, fields, word)? > 0;
    let completions = if prefix && word.chars().count() >= 2 {
        prefix_completions(searcher, fields, word)?
    } else {
        Vec::new()
    };
    if known {
        variants.push((word.to_string(), 1.0));
    } else {
        let distance = max_distance(word);
        if distance > 0 {
            let neighbours = fuzzy_neighbours(searcher, fields, word, distance)?;
            // A word still being typed that completes to something is not a typo.
            if completions.is_empty() {
                correction = neighbours.first().map(|(term, _, _)| term.clone());
            }
            for (term, d, _) in neighbours {
                variants.push((term, if d == 1 { 0.6 } else { 0.4 }));
            }
        }
    }
    for term in completions {
        if !variants.iter().any(|(t, _)| *t == term) {
            variants.push((term, 0.5));
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
    fields: &[(Field, f32)],
    word: &str,
    distance: u8,
) -> SearchResult<Vec<(String, u8, u64)>> {
    let mut freq: HashMap<String, u64> = HashMap::new();
    for (field, _) in fields {
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
    fields: &[(Field, f32)],
    word: &str,
) -> SearchResult<Vec<String>> {
    let mut freq: HashMap<String, u64> = HashMap::new();
    for (field, _) in fields {
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
    for j in 0..=m {
        d[0][j] = j;
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

fn build_query(
    plans: &[WordPlan],
    fields: &[(Field, f32)],
    combine: Occur,
    kind: Option<Term>,
) -> Box<dyn Query> {
    let mut clauses: Vec<(Occur, Box<dyn Query>)> = Vec::new();
    for plan in plans {
        let mut alternatives: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        for (term_text, weight) in &plan.variants {
            for (field, field_weight) in fields {
                let term = Term::from_field_text(*field, term_text);
                let query = TermQuery::new(term, IndexRecordOption::WithFreqs);
                alternatives.push((
                    Occur::Should,
                    Box::new(BoostQuery::new(Box::new(query), weight * field_weight)),
                ));
            }
        }
        if alternatives.is_empty() {
            if combine == Occur::Must {
                // A word nothing matches: no document can have every word.
                clauses.push((Occur::Must, Box::new(tantivy::query::EmptyQuery)));
            }
            continue;
        }
        clauses.push((combine, Box::new(BooleanQuery::new(alternatives))));
    }
    if combine == Occur::Should {
        let words: Vec<(Occur, Box<dyn Query>)> = clauses;
        clauses = vec![(Occur::Must, Box::new(BooleanQuery::new(words)))];
    }
    // One word and no filter: hand tantivy the bare disjunction of term
    // queries, which it ranks with block-max WAND (skipping most documents).
    if kind.is_none() && clauses.len() == 1 && clauses[0].0 == Occur::Must {
        if let Some((_, only)) = clauses.pop() {
            return only;
        }
    }
    if let Some(kind) = kind {
        clauses.push((
            Occur::Must,
            Box::new(TermQuery::new(kind, IndexRecordOption::Basic)),
        ));
    }
    Box::new(BooleanQuery::new(clauses))
}

/// One page of hits, how many matched, and whether that count is a lower bound.
type Page = (Vec<(Score, tantivy::DocAddress)>, usize, bool);

/// Candidates fetched per shown result before re-ranking by the boost field.
const CANDIDATES_PER_HIT: usize = 3;
/// Most candidates fetched.
const MAX_CANDIDATES: usize = 300;

/// The top documents by text score (so tantivy's block-max WAND can skip most
/// of a large index), re-ranked by `score × boost` and paged. The total is
/// exact when fewer candidates than asked for matched, a lower bound otherwise.
fn run(
    searcher: &Searcher,
    query: &dyn Query,
    boost: Field,
    limit: usize,
    offset: usize,
) -> SearchResult<Page> {
    let wanted = (offset.min(10_000) + limit) * CANDIDATES_PER_HIT;
    let fetch = wanted.clamp(limit, MAX_CANDIDATES.max(offset.min(10_000) + limit + 1));
    let top = searcher.search(query, &TopDocs::with_limit(fetch).order_by_score())?;
    let boost_name = searcher.schema().get_field_name(boost).to_string();
    let mut columns = HashMap::new();
    let mut ranked: Vec<(Score, tantivy::DocAddress)> = Vec::with_capacity(top.len());
    for (score, address) in &top {
        let column = match columns.entry(address.segment_ord) {
            std::collections::hash_map::Entry::Occupied(e) => e.into_mut(),
            std::collections::hash_map::Entry::Vacant(e) => {
                let reader = searcher.segment_reader(address.segment_ord);
                e.insert(
                    reader
                        .fast_fields()
                        .f64(&boost_name)
                        .ok()
                        .map(|c| c.first_or_default_col(1.0)),
                )
            }
        };
        let factor = column
            .as_ref()
            .map(|c| c.get_val(address.doc_id) as Score)
            .unwrap_or(1.0);
        ranked.push((score * factor, *address));
    }
    ranked.sort_by(|a, b| b.0.partial_cmp(&a.0).unwrap_or(std::cmp::Ordering::Equal));
    let total = top.len();
    let saturated = total == fetch;
    let page = ranked.into_iter().skip(offset).take(limit).collect();
    Ok((page, total, saturated))
}

#[cfg(test)]
mod tests {
    use super::*;

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
}
