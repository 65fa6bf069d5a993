//! Snippets: the page of hits made ready for display, with the query's
//! words highlighted in the title and an excerpt of the body.

use std::collections::BTreeMap;

use tantivy::schema::{Field, TantivyDocument, Value};
use tantivy::snippet::SnippetGenerator;
use tantivy::tokenizer::{
    AsciiFoldingFilter, Language, LowerCaser, RawTokenizer, RemoveLongFilter, SimpleTokenizer,
    Stemmer, TextAnalyzer, Token, TokenFilter, TokenStream, Tokenizer,
};
use tantivy::{Score, Searcher, Term};

use super::super::negation::Negations;
use super::super::schema::{self, Fields, MAX_TOKEN_BYTES};
use super::super::spelling::AmericanSpelling;
use super::super::SearchResult;
use super::plan::{deciding, Concept};
use super::rerank::Ranked;
use super::SearchHit;

/// Longest highlighted body excerpt, in characters.
const MAX_SNIPPET_CHARS: usize = 220;
/// Longest title highlighted as a whole, in characters.
const MAX_TITLE_CHARS: usize = 400;
/// Characters of the body shown when no query word is found in it.
const BODY_START_CHARS: usize = 200;

/// The page of hits ready for display: escaped, with the query's words
/// marked in the title and in a snippet of the body.
pub(super) fn page_hits(
    searcher: &Searcher,
    fields: &Fields,
    concepts: &[Concept],
    page: &[&Ranked],
) -> SearchResult<Vec<SearchHit>> {
    let stems = highlighted_stems(concepts);
    let body_snippets = generator(searcher, fields.body_stem, &stems, MAX_SNIPPET_CHARS)?;
    let title_snippets = generator(searcher, fields.title_stem, &stems, MAX_TITLE_CHARS)?;
    let mut hits = Vec::with_capacity(page.len());
    for hit in page {
        let doc: TantivyDocument = searcher.doc(hit.address)?;
        hits.push(display_hit(
            &doc,
            fields,
            hit,
            &title_snippets,
            &body_snippets,
        ));
    }
    Ok(hits)
}

/// One ranked document as shown: its stored fields, the title highlighted
/// when it fits whole, else escaped, and a highlighted body snippet (or the
/// start of the body when no query word is in it).
fn display_hit(
    doc: &TantivyDocument,
    fields: &Fields,
    hit: &Ranked,
    title_snippets: &SnippetGenerator,
    body_snippets: &SnippetGenerator,
) -> SearchHit {
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
        let start: String = body.chars().take(BODY_START_CHARS).collect();
        let ellipsis = if start.len() < body.len() { "…" } else { "" };
        format!("{}{ellipsis}", crate::markdown::escape_html(&start))
    } else {
        snippet.to_html()
    };
    SearchHit {
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
    }
}

/// The terms to highlight: every stem the deciding words stand for (their
/// stemmed field's analyzer finds them in the stored text).
fn highlighted_stems(concepts: &[Concept]) -> Vec<String> {
    let mut stems = Vec::new();
    for (_, concept) in deciding(concepts) {
        for variant in &concept.plan.variants {
            if variant.stems.is_empty() {
                stems.extend(variant.terms.iter().map(|t| schema::stem(t)));
            } else {
                stems.extend(variant.stems.iter().cloned());
            }
        }
    }
    stems.sort_unstable();
    stems.dedup();
    stems
}

/// A snippet generator for `field` marking `stems` (each weighted as
/// tantivy's own generator weighs a query term: rarer counts more; a stem
/// in no document of the field is left out).
fn generator(
    searcher: &Searcher,
    field: Field,
    stems: &[String],
    max_chars: usize,
) -> SearchResult<SnippetGenerator> {
    let mut terms: BTreeMap<String, Score> = BTreeMap::new();
    for stem in stems {
        let doc_freq = searcher.doc_freq(&Term::from_field_text(field, stem))?;
        if doc_freq > 0 {
            terms.insert(stem.clone(), 1.0 / (1.0 + doc_freq as Score));
        }
    }
    let analyzer = snippet_analyzer(terms.keys().map(String::as_str));
    Ok(SnippetGenerator::new(terms, analyzer, field, max_chars))
}

/// The stemmed fields' analyzer ([`schema::stem_analyzer`]) for finding
/// `stems` in a text: it folds spellings and stems only the words that
/// begin with the first letter of one of them. Neither the fold nor the
/// stemmer changes a word's first letter, so no other word can become one
/// of the stems; most words of a snippet's text are left as they are, and
/// stemming every word was most of a search's processor time on a small
/// site (and about a twelfth on a large one).
fn snippet_analyzer<'a>(stems: impl Iterator<Item = &'a str>) -> TextAnalyzer {
    let mut initials = [false; 256];
    for stem in stems {
        if let Some(&first) = stem.as_bytes().first() {
            initials[usize::from(first)] = true;
        }
    }
    TextAnalyzer::builder(SimpleTokenizer::default())
        .filter(RemoveLongFilter::limit(MAX_TOKEN_BYTES))
        .filter(LowerCaser)
        .filter(AsciiFoldingFilter)
        .filter(Negations)
        .filter(StemWhere { initials })
        .build()
}

/// `token` (already split, lowercased and folded to ASCII) through the last
/// two stages of the stemmed fields' analyzer only: the spelling fold and
/// the stemmer. Running the whole analyzer again would split a token that
/// folding turned into punctuation ("x⑴" is the token `x(1)`).
fn fold_and_stem(token: &str) -> String {
    thread_local! {
        static LAST_STAGES: std::cell::RefCell<TextAnalyzer> = std::cell::RefCell::new(
            TextAnalyzer::builder(RawTokenizer::default())
                .filter(AmericanSpelling)
                .filter(Stemmer::new(Language::English))
                .build(),
        );
    }
    LAST_STAGES.with_borrow_mut(|analyzer| {
        let mut stream = analyzer.token_stream(token);
        match stream.next() {
            Some(stemmed) => stemmed.text.clone(),
            None => token.to_string(),
        }
    })
}

/// A token filter that replaces a token by its folded stem
/// ([`fold_and_stem`]) when its first byte is one of `initials`.
#[derive(Clone)]
struct StemWhere {
    initials: [bool; 256],
}

impl TokenFilter for StemWhere {
    type Tokenizer<T: Tokenizer> = StemWhereTokenizer<T>;

    fn transform<T: Tokenizer>(self, tokenizer: T) -> StemWhereTokenizer<T> {
        StemWhereTokenizer {
            inner: tokenizer,
            initials: self.initials,
        }
    }
}

/// A tokenizer followed by [`StemWhere`].
#[derive(Clone)]
struct StemWhereTokenizer<T> {
    inner: T,
    initials: [bool; 256],
}

impl<T: Tokenizer> Tokenizer for StemWhereTokenizer<T> {
    type TokenStream<'a> = StemWhereStream<'a, T::TokenStream<'a>>;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> Self::TokenStream<'a> {
        StemWhereStream {
            tail: self.inner.token_stream(text),
            initials: &self.initials,
        }
    }
}

/// The token stream of [`StemWhereTokenizer`].
struct StemWhereStream<'a, T> {
    tail: T,
    initials: &'a [bool; 256],
}

impl<T: TokenStream> TokenStream for StemWhereStream<'_, T> {
    fn advance(&mut self) -> bool {
        if !self.tail.advance() {
            return false;
        }
        let token = self.tail.token_mut();
        if let Some(&first) = token.text.as_bytes().first() {
            if self.initials[usize::from(first)] {
                token.text = fold_and_stem(&token.text);
            }
        }
        true
    }

    fn token(&self) -> &Token {
        self.tail.token()
    }

    fn token_mut(&mut self) -> &mut Token {
        self.tail.token_mut()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every word of the shipped manuals, in their own sentences.
    fn manual_texts() -> Vec<String> {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("content/manuals");
        let mut texts = Vec::new();
        let mut dirs = vec![dir];
        while let Some(dir) = dirs.pop() {
            for entry in std::fs::read_dir(&dir).expect("manuals").flatten() {
                let path = entry.path();
                if path.is_dir() {
                    dirs.push(path);
                } else if path.extension().is_some_and(|e| e == "md") {
                    texts.push(std::fs::read_to_string(&path).expect("manual"));
                }
            }
        }
        assert!(texts.len() > 10, "the manuals are read");
        texts.push(
            "The colour of the analyser's centre light won't change; I cannot \
             see the licences. Organised organisations dying, lying, skies. \
             x⑴ İndex ⒈ first"
                .to_string(),
        );
        texts
    }

    #[test]
    fn snippets_mark_the_same_words_as_the_full_stemming_analyzer() {
        let field = Field::from_field_id(0);
        let texts = manual_texts();
        let queries: &[&[&str]] = &[
            &["search", "index"],
            &["color", "analyz", "center"],
            &["not", "can"],
            &["die", "lie", "sky"],
            &["organ", "licens"],
            &["backup", "restor", "databas"],
            &["a"],
            &["x", "i", "first"],
        ];
        for query in queries {
            let terms: BTreeMap<String, Score> = query
                .iter()
                .enumerate()
                .map(|(i, t)| (t.to_string(), 1.0 / (2.0 + i as Score)))
                .collect();
            let full = SnippetGenerator::new(terms.clone(), schema::stem_analyzer(), field, 220);
            let fast = SnippetGenerator::new(
                terms.clone(),
                snippet_analyzer(query.iter().copied()),
                field,
                220,
            );
            let mut marked = 0;
            for text in &texts {
                let expected = full.snippet(text).to_html();
                assert_eq!(fast.snippet(text).to_html(), expected, "{query:?}");
                marked += usize::from(expected.contains("<b>"));
            }
            assert!(marked > 0, "{query:?} marks something");
        }
    }
}
