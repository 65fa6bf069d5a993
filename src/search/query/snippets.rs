//! Snippets: the page of hits made ready for display, with the query's
//! words highlighted in the title and an excerpt of the body.

use tantivy::query::{BooleanQuery, Occur, Query, TermQuery};
use tantivy::schema::{Field, IndexRecordOption, TantivyDocument, Value};
use tantivy::snippet::SnippetGenerator;
use tantivy::{Searcher, Term};

use super::super::schema::{self, Fields};
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
    let highlight = highlight_query(concepts, fields);
    let mut body_snippets =
        SnippetGenerator::create(searcher, highlight.as_ref(), fields.body_stem)?;
    body_snippets.set_max_num_chars(MAX_SNIPPET_CHARS);
    let mut title_snippets =
        SnippetGenerator::create(searcher, highlight.as_ref(), fields.title_stem)?;
    title_snippets.set_max_num_chars(MAX_TITLE_CHARS);
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
