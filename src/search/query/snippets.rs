//! Snippets: the page of hits made ready for display, with the query's
//! words highlighted in the title and an excerpt of the body.

use std::collections::{BTreeMap, HashMap};
use std::ops::Range;

use tantivy::schema::{Field, TantivyDocument, Value};
use tantivy::snippet::collapse_overlapped_ranges;
use tantivy::tokenizer::{
    AsciiFoldingFilter, BoxTokenStream, Language, LowerCaser, RawTokenizer, RemoveLongFilter,
    SimpleTokenizer, Stemmer, TextAnalyzer, Token, TokenFilter, TokenStream, Tokenizer,
};
use tantivy::{Score, Searcher, Term};

use super::super::negation::Negations;
use super::super::schema::{self, Fields, MAX_TOKEN_BYTES};
use super::super::spelling::AmericanSpelling;
use super::super::SearchResult;
use super::plan::{deciding, Concept};
use super::rerank::Ranked;
use super::SearchHit;

/// Longest highlighted body excerpt, in bytes of UTF-8 (fewer characters
/// in non-Latin text), measured as tantivy's snippets measure it.
const MAX_SNIPPET_BYTES: usize = 220;
/// Longest title highlighted as a whole, in bytes of UTF-8.
const MAX_TITLE_BYTES: usize = 400;
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
    let mut body_marker = Marker::new(searcher, fields.body_stem, &stems, MAX_SNIPPET_BYTES)?;
    let mut title_marker = Marker::new(searcher, fields.title_stem, &stems, MAX_TITLE_BYTES)?;
    let mut hits = Vec::with_capacity(page.len());
    for hit in page {
        let doc: TantivyDocument = searcher.doc(hit.address)?;
        hits.push(display_hit(
            &doc,
            fields,
            hit,
            &mut title_marker,
            &mut body_marker,
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
    title_marker: &mut Marker,
    body_marker: &mut Marker,
) -> SearchHit {
    let text_of = |field: Field| {
        doc.get_first(field)
            .and_then(|v| v.as_str())
            .unwrap_or("")
            .to_string()
    };
    let title = text_of(fields.title);
    let body = text_of(fields.body);
    let title_html = match title_marker.excerpt(&title) {
        Some(excerpt) if excerpt.range.len() == title.len() => excerpt.to_html(&title),
        _ => crate::markdown::escape_html(&title),
    };
    let snippet_html = match body_marker.excerpt(&body) {
        Some(excerpt) => excerpt.to_html(&body),
        None => {
            let start: String = body.chars().take(BODY_START_CHARS).collect();
            let ellipsis = if start.len() < body.len() { "…" } else { "" };
            format!("{}{ellipsis}", crate::markdown::escape_html(&start))
        }
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

/// A part of a text to show, with the query's words in it.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Excerpt {
    /// Byte range of the part in the text.
    range: Range<usize>,
    /// Byte ranges of the words to mark, in the text, in order.
    marks: Vec<Range<usize>>,
}

impl Excerpt {
    /// The part of `text`, escaped, with its words in `<mark>`.
    fn to_html(&self, text: &str) -> String {
        let escape = crate::markdown::escape_html;
        let mut html = String::with_capacity(self.range.len() + 16 * self.marks.len());
        let mut from = self.range.start;
        for mark in collapse_overlapped_ranges(&self.marks) {
            html.push_str(&escape(&text[from..mark.start]));
            html.push_str("<mark>");
            html.push_str(&escape(&text[mark.clone()]));
            html.push_str("</mark>");
            from = mark.end;
        }
        html.push_str(&escape(&text[from..self.range.end]));
        html
    }
}

/// Finds the best part of a text to show for the query's stems in one
/// field: the choice tantivy's `SnippetGenerator` makes (the text cut into
/// parts of at most `max_bytes` at token boundaries, each scored by the
/// weights of the stems in it; the best part, the first on ties), without
/// its allocation of a lowercased copy of every token of the text, which
/// made it most of the cost of a page's snippets.
struct Marker {
    /// Stem → weight (rarer counts more).
    terms: BTreeMap<String, Score>,
    analyzer: SnippetAnalyzer,
    max_bytes: usize,
}

impl Marker {
    /// A marker for `stems` in `field`, each weighted as tantivy's own
    /// generator weighs a query term (rarer counts more); a stem in no
    /// document of the field is left out.
    fn new(
        searcher: &Searcher,
        field: Field,
        stems: &[String],
        max_bytes: usize,
    ) -> SearchResult<Marker> {
        let mut terms: BTreeMap<String, Score> = BTreeMap::new();
        for stem in stems {
            let doc_freq = searcher.doc_freq(&Term::from_field_text(field, stem))?;
            if doc_freq > 0 {
                terms.insert(stem.clone(), 1.0 / (1.0 + doc_freq as Score));
            }
        }
        let analyzer = snippet_analyzer(terms.keys().map(String::as_str));
        Ok(Marker::with_terms(terms, analyzer, max_bytes))
    }

    fn with_terms(
        terms: BTreeMap<String, Score>,
        analyzer: SnippetAnalyzer,
        max_bytes: usize,
    ) -> Marker {
        Marker {
            terms,
            analyzer,
            max_bytes,
        }
    }

    /// The best part of `text`, or `None` when no stem is in it.
    fn excerpt(&mut self, text: &str) -> Option<Excerpt> {
        if self.terms.is_empty() {
            return None;
        }
        let mut best: Option<(Score, Excerpt)> = None;
        let mut part = Excerpt {
            range: 0..0,
            marks: Vec::new(),
        };
        let mut score: Score = 0.0;
        let mut lowercased = String::new();
        let mut stream = self.analyzer.token_stream(text);
        while let Some(token) = stream.next() {
            if token.offset_to - part.range.start > self.max_bytes {
                keep_better(&mut best, score, &part);
                part.range = token.offset_from..token.offset_from;
                part.marks.clear();
                score = 0.0;
            }
            part.range.end = token.offset_to;
            if let Some(weight) = self.terms.get(lowercase(&token.text, &mut lowercased)) {
                score += weight;
                part.marks.push(token.offset_from..token.offset_to);
            }
        }
        keep_better(&mut best, score, &part);
        best.map(|(_, excerpt)| excerpt)
    }
}

/// `text` lowercased as tantivy's generator compares a token with its
/// terms; without a copy when it has no capital (the analyzer lowercased
/// it already: nearly always).
fn lowercase<'a>(text: &'a str, buffer: &'a mut String) -> &'a str {
    if text.is_ascii() && !text.bytes().any(|b| b.is_ascii_uppercase()) {
        return text;
    }
    *buffer = text.to_lowercase();
    buffer
}

/// Keeps `part` as the best when it has a stem and scores more than the
/// best so far (the first of equal scores stays, as tantivy chooses).
fn keep_better(best: &mut Option<(Score, Excerpt)>, score: Score, part: &Excerpt) {
    if score > 0.0 && best.as_ref().is_none_or(|(top, _)| score > *top) {
        *best = Some((score, part.clone()));
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

/// The stemmed fields' analyzer ([`schema::stem_analyzer`]) for finding
/// `stems` in a text: it folds spellings and stems only the words that
/// begin with the first letter of one of them. Neither the fold nor the
/// stemmer changes a word's first letter, so no other word can become one
/// of the stems; most words of a snippet's text are left as they are, and
/// stemming every word was most of a search's processor time on a small
/// site (and about a twelfth on a large one).
fn snippet_analyzer<'a>(stems: impl Iterator<Item = &'a str>) -> SnippetAnalyzer {
    let mut initials = [false; 256];
    for stem in stems {
        if let Some(&first) = stem.as_bytes().first() {
            initials[usize::from(first)] = true;
        }
    }
    SnippetAnalyzer {
        ascii: TextAnalyzer::builder(AsciiWords::default())
            .filter(Negations)
            .filter(StemWhere { initials })
            .build(),
        any: TextAnalyzer::builder(SimpleTokenizer::default())
            .filter(RemoveLongFilter::limit(MAX_TOKEN_BYTES))
            .filter(LowerCaser)
            .filter(AsciiFoldingFilter)
            .filter(Negations)
            .filter(StemWhere { initials })
            .build(),
    }
}

/// The snippet analyzer (see [`snippet_analyzer`]) in two builds: one for
/// a text that is all ASCII, whose first stages are [`AsciiWords`], and
/// one for any other text.
struct SnippetAnalyzer {
    ascii: TextAnalyzer,
    any: TextAnalyzer,
}

impl SnippetAnalyzer {
    fn token_stream<'a>(&'a mut self, text: &'a str) -> BoxTokenStream<'a> {
        if text.is_ascii() {
            self.ascii.token_stream(text)
        } else {
            self.any.token_stream(text)
        }
    }
}

/// The first stages of the stemmed fields' analyzer (tantivy's
/// `SimpleTokenizer`, `RemoveLongFilter`, `LowerCaser` and
/// `AsciiFoldingFilter`) in one pass over the bytes of a text that is all
/// ASCII, where they come to this: a word is a run of letters and digits,
/// lowercased, and one of [`MAX_TOKEN_BYTES`] or more is left out (its
/// position still counted). The chain of the four read every character as
/// Unicode and copied every word on the way; it was most of the cost of a
/// page's snippets.
#[derive(Clone, Default)]
struct AsciiWords {
    token: Token,
}

impl Tokenizer for AsciiWords {
    type TokenStream<'a> = AsciiWordStream<'a>;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> AsciiWordStream<'a> {
        self.token.reset();
        AsciiWordStream {
            text,
            at: 0,
            token: &mut self.token,
        }
    }
}

/// The token stream of [`AsciiWords`].
struct AsciiWordStream<'a> {
    text: &'a str,
    /// Where the next word is looked for.
    at: usize,
    token: &'a mut Token,
}

impl TokenStream for AsciiWordStream<'_> {
    fn advance(&mut self) -> bool {
        let bytes = self.text.as_bytes();
        loop {
            let rest = bytes.get(self.at..).unwrap_or_default();
            let Some(start) = rest.iter().position(u8::is_ascii_alphanumeric) else {
                self.at = bytes.len();
                return false;
            };
            let start = self.at + start;
            let end = bytes[start..]
                .iter()
                .position(|b| !b.is_ascii_alphanumeric())
                .map_or(bytes.len(), |len| start + len);
            self.at = end;
            self.token.position = self.token.position.wrapping_add(1);
            if end - start >= MAX_TOKEN_BYTES {
                continue;
            }
            self.token.offset_from = start;
            self.token.offset_to = end;
            self.token.text.clear();
            self.token.text.push_str(&self.text[start..end]);
            self.token.text.make_ascii_lowercase();
            return true;
        }
    }

    fn token(&self) -> &Token {
        self.token
    }

    fn token_mut(&mut self) -> &mut Token {
        self.token
    }
}

/// Words whose stems one thread remembers ([`fold_and_stem`]); past it the
/// memory starts over.
const REMEMBERED_STEMS: usize = 10_000;

/// `token` (already split, lowercased and folded to ASCII) through the last
/// two stages of the stemmed fields' analyzer only: the spelling fold and
/// the stemmer. Running the whole analyzer again would split a token that
/// folding turned into punctuation ("x⑴" is the token `x(1)`). Each thread
/// remembers the stems of the words it met: the snippets of one site meet
/// the same words again and again, and stemming them was most of the cost
/// of a page's snippets.
fn fold_and_stem(token: &mut String) {
    struct Stemming {
        last_stages: TextAnalyzer,
        stems: HashMap<String, String>,
    }
    thread_local! {
        static STEMMING: std::cell::RefCell<Stemming> = std::cell::RefCell::new(Stemming {
            last_stages: TextAnalyzer::builder(RawTokenizer::default())
                .filter(AmericanSpelling)
                .filter(Stemmer::new(Language::English))
                .build(),
            stems: HashMap::new(),
        });
    }
    STEMMING.with_borrow_mut(|Stemming { last_stages, stems }| {
        if let Some(stem) = stems.get(token.as_str()) {
            // The token's own buffer takes the stem: no allocation.
            token.clear();
            token.push_str(stem);
            return;
        }
        let Some(stem) = last_stages
            .token_stream(token)
            .next()
            .map(|t| t.text.clone())
        else {
            return;
        };
        if stems.len() >= REMEMBERED_STEMS {
            stems.clear();
        }
        stems.insert(std::mem::replace(token, stem.clone()), stem);
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
                fold_and_stem(&mut token.text);
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
    use tantivy::snippet::SnippetGenerator;

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

    /// What tantivy's generator shows for `text`: the fragment's range and
    /// its marks, in the text.
    fn tantivy_excerpt(generator: &SnippetGenerator, text: &str) -> Option<Excerpt> {
        let snippet = generator.snippet(text);
        let range = snippet.fragment_range();
        (!snippet.fragment().is_empty()).then(|| Excerpt {
            marks: snippet
                .highlighted()
                .iter()
                .map(|m| m.start + range.start..m.end + range.start)
                .collect(),
            range,
        })
    }

    #[test]
    fn snippets_show_and_mark_what_tantivy_shows_with_the_full_stemming_analyzer() {
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
        for max_bytes in [40, 220, 400] {
            for query in queries {
                let terms: BTreeMap<String, Score> = query
                    .iter()
                    .enumerate()
                    .map(|(i, t)| (t.to_string(), 1.0 / (2.0 + i as Score)))
                    .collect();
                let full =
                    SnippetGenerator::new(terms.clone(), schema::stem_analyzer(), field, max_bytes);
                let mut fast = Marker::with_terms(
                    terms.clone(),
                    snippet_analyzer(query.iter().copied()),
                    max_bytes,
                );
                let mut marked = 0;
                for text in &texts {
                    let expected = tantivy_excerpt(&full, text);
                    assert_eq!(fast.excerpt(text), expected, "{query:?} at {max_bytes}");
                    marked += usize::from(expected.is_some());
                }
                assert!(marked > 0, "{query:?} marks something");
            }
        }
    }

    /// A text that is all ASCII is cut by [`AsciiWords`] into the words,
    /// offsets and positions the general build finds.
    #[test]
    fn ascii_text_is_cut_into_the_words_the_full_analyzer_finds() {
        let mut texts: Vec<String> = manual_texts()
            .iter()
            .flat_map(|text| text.lines().map(str::to_string).collect::<Vec<_>>())
            .filter(|line| line.is_ascii())
            .collect();
        texts.push(format!(
            "Cannot  print: the PRINTER won't start, isn't it? {} {} Z9_q 3.14 x",
            "a".repeat(MAX_TOKEN_BYTES - 1),
            "b".repeat(MAX_TOKEN_BYTES)
        ));
        assert!(texts.len() > 100, "{} lines", texts.len());
        let mut analyzer = snippet_analyzer(["print", "can", "not", "a", "z", "x"].into_iter());
        let mut words = 0;
        for text in &texts {
            let tokens = |analyzer: &mut TextAnalyzer| {
                let mut stream = analyzer.token_stream(text);
                let mut out = Vec::new();
                while let Some(t) = stream.next() {
                    out.push((t.text.clone(), t.offset_from, t.offset_to, t.position));
                }
                out
            };
            let fast = tokens(&mut analyzer.ascii);
            assert_eq!(fast, tokens(&mut analyzer.any), "{text:?}");
            words += fast.len();
        }
        assert!(words > 1000, "{words} words");
        let last = texts.last().map(String::as_str).unwrap_or_default();
        let mut stream = analyzer.ascii.token_stream(last);
        let mut seen = Vec::new();
        while let Some(t) = stream.next() {
            seen.push(t.text.clone());
        }
        assert!(seen.contains(&"a".repeat(MAX_TOKEN_BYTES - 1)));
        assert!(
            !seen.iter().any(|w| w.starts_with('b')),
            "a long word is left out"
        );
        assert_eq!(&seen[..3], ["can", "not", "print"]);
    }

    #[test]
    fn an_excerpt_is_escaped_with_its_words_marked_once() {
        let text = "Tom's <b>printer</b> & printers";
        let mut marker = Marker::with_terms(
            BTreeMap::from([("printer".to_string(), 0.5)]),
            snippet_analyzer(["printer"].into_iter()),
            220,
        );
        let excerpt = marker.excerpt(text).expect("a match");
        assert_eq!(
            excerpt.to_html(text),
            "Tom&#39;s &lt;b&gt;<mark>printer</mark>&lt;/b&gt; &amp; <mark>printers</mark>"
        );
        assert_eq!(marker.excerpt("nothing here"), None);
        let mut nothing =
            Marker::with_terms(BTreeMap::new(), snippet_analyzer([].into_iter()), 220);
        assert_eq!(nothing.excerpt(text), None);
        // "cannot" is two tokens, `can` and `not`, over the same letters:
        // one mark.
        let text = "I cannot print, it won't start";
        let mut marker = Marker::with_terms(
            BTreeMap::from([("can".to_string(), 0.5), ("not".to_string(), 0.5)]),
            snippet_analyzer(["can", "not"].into_iter()),
            220,
        );
        let excerpt = marker.excerpt(text).expect("a match");
        assert_eq!(
            excerpt.to_html(text),
            "I <mark>cannot</mark> print, it <mark>won&#39;t</mark> start"
        );
    }
}
