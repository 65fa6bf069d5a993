//! Candidates: one flat disjunction of boosted term queries, evaluated by
//! tantivy with block-max WAND, so a long natural question stays fast.

use std::collections::BTreeMap;

use tantivy::collector::TopDocs;
use tantivy::query::{BooleanQuery, BoostQuery, Occur, Query, TermQuery};
use tantivy::schema::{Field, IndexRecordOption};
use tantivy::{DocAddress, Score, Searcher, Term};

use super::super::schema::Fields;
use super::super::SearchResult;
use super::plan::{deciding, Concept};

/// Candidates re-ranked at least (more for deep pages).
const MIN_CANDIDATES: usize = 300;
/// Candidates fetched per result up to the requested page.
const CANDIDATES_PER_HIT: usize = 3;
/// Most candidates re-ranked.
const MAX_CANDIDATES: usize = 2000;

/// The candidate query: one flat disjunction of boosted term queries, so
/// tantivy can use block-max WAND; with a kind filter, intersected with it.
pub(super) fn candidate_query(
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

/// The best candidates for a page ending at result `wanted` (a few per
/// result, within bounds), best first, and whether the window was filled
/// (more documents may match than were fetched).
pub(super) fn top_candidates(
    searcher: &Searcher,
    query: &dyn Query,
    wanted: usize,
) -> SearchResult<(Vec<(Score, DocAddress)>, bool)> {
    let fetch = (wanted * CANDIDATES_PER_HIT).clamp(MIN_CANDIDATES, MAX_CANDIDATES);
    let top = searcher.search(query, &TopDocs::with_limit(fetch).order_by_score())?;
    let saturated = top.len() == fetch;
    Ok((top, saturated))
}
