//! The baseline Signpost's search is measured against: a plain SQLite FTS5
//! index of the same documents (porter stemmer), queried with the OR of the
//! query's words and ranked by bm25 with the title weighted twice the body
//! (a document's context is part of its title, its tags part of the body).
//! It knows no synonyms. `eval-search` builds it in memory for its
//! relevance table; `bench-search` keeps one next to a site's data and
//! times it against Signpost.

use std::path::Path;

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text};
use diesel::sqlite::SqliteConnection;

use crate::error::{AppError, AppResult};
use crate::search::SearchDoc;

/// Longest body excerpt of a result page, in tokens (about the 220
/// characters Signpost shows).
const SNIPPET_TOKENS: i64 = 32;

/// An FTS5 index of search documents.
pub struct Fts5(SqliteConnection);

/// One result as a results page shows it.
#[derive(Debug, Clone, PartialEq, Eq, QueryableByName)]
pub struct Fts5Hit {
    /// Where it links to.
    #[diesel(sql_type = Text)]
    pub url: String,
    /// The title with the matching words marked.
    #[diesel(sql_type = Text)]
    pub title_html: String,
    /// An excerpt of the body with the matching words marked.
    #[diesel(sql_type = Text)]
    pub snippet_html: String,
}

#[derive(QueryableByName)]
struct UrlRow {
    #[diesel(sql_type = Text)]
    url: String,
}

#[derive(QueryableByName)]
struct NumberRow {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

impl Fts5 {
    /// An in-memory index of `documents`.
    pub fn build(documents: &[SearchDoc]) -> AppResult<Fts5> {
        let mut fts = Fts5::create(":memory:")?;
        fts.insert(documents)?;
        Ok(fts)
    }

    /// Opens (creating when missing) the index at `path` (`:memory:` for
    /// one in memory).
    pub fn create(path: &str) -> AppResult<Fts5> {
        let mut conn = SqliteConnection::establish(path).map_err(AppError::internal)?;
        conn.batch_execute(
            "PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF;
             CREATE VIRTUAL TABLE IF NOT EXISTS docs USING fts5(url UNINDEXED, title, body, tokenize = 'porter unicode61');
             CREATE TABLE IF NOT EXISTS built (version INTEGER NOT NULL);",
        )?;
        Ok(Fts5(conn))
    }

    /// Opens an existing index file for searching only.
    pub fn open(path: &Path) -> AppResult<Fts5> {
        let mut conn = SqliteConnection::establish(&format!("file:{}?mode=ro", path.display()))
            .map_err(|e| {
                AppError::Internal(format!(
                    "cannot open the FTS5 baseline {}: {e}",
                    path.display()
                ))
            })?;
        // Reads go through the page cache of the operating system, as
        // tantivy's memory-mapped files do.
        conn.batch_execute("PRAGMA mmap_size = 4294967296;")?;
        Ok(Fts5(conn))
    }

    /// Adds documents, in one transaction.
    pub fn insert(&mut self, documents: &[SearchDoc]) -> AppResult<()> {
        self.0.transaction(|conn| -> AppResult<()> {
            for doc in documents {
                let title = std::iter::once(&doc.title)
                    .chain(&doc.context)
                    .map(String::as_str)
                    .collect::<Vec<_>>()
                    .join("\n");
                let body = format!("{}\n{}", doc.body, doc.tags.join(" "));
                diesel::sql_query("INSERT INTO docs (url, title, body) VALUES (?, ?, ?)")
                    .bind::<Text, _>(&doc.url)
                    .bind::<Text, _>(&title)
                    .bind::<Text, _>(&body)
                    .execute(conn)?;
            }
            Ok(())
        })
    }

    /// Merges the index into one b-tree (as after a bulk load) and records
    /// `version` as what it was built from.
    pub fn finish(&mut self, version: i64) -> AppResult<()> {
        self.0
            .batch_execute("INSERT INTO docs(docs) VALUES ('optimize'); DELETE FROM built;")?;
        diesel::sql_query("INSERT INTO built (version) VALUES (?)")
            .bind::<BigInt, _>(version)
            .execute(&mut self.0)?;
        Ok(())
    }

    /// What the index was built from ([`Fts5::finish`]), if it was finished.
    pub fn built_version(&mut self) -> AppResult<Option<i64>> {
        let rows: Vec<NumberRow> =
            diesel::sql_query("SELECT version AS n FROM built LIMIT 1").load(&mut self.0)?;
        Ok(rows.first().map(|r| r.n))
    }

    /// Documents in the index.
    pub fn len(&mut self) -> AppResult<i64> {
        let rows: Vec<NumberRow> =
            diesel::sql_query("SELECT count(*) AS n FROM docs").load(&mut self.0)?;
        Ok(rows.first().map_or(0, |r| r.n))
    }

    /// Whether the index holds no documents.
    pub fn is_empty(&mut self) -> AppResult<bool> {
        Ok(self.len()? == 0)
    }

    /// The links of the best `limit` documents.
    pub fn search(&mut self, query: &str, limit: usize) -> AppResult<Vec<String>> {
        let Some(expression) = match_expression(query) else {
            return Ok(Vec::new());
        };
        let rows: Vec<UrlRow> = diesel::sql_query(format!(
            "SELECT url FROM docs WHERE docs MATCH ? ORDER BY bm25(docs, 0.0, 2.0, 1.0) LIMIT {limit}"
        ))
        .bind::<Text, _>(expression)
        .load(&mut self.0)?;
        Ok(rows.into_iter().map(|r| r.url).collect())
    }

    /// The best `limit` documents as a results page shows them: link,
    /// highlighted title and a highlighted excerpt of the body.
    pub fn page(&mut self, query: &str, limit: usize) -> AppResult<Vec<Fts5Hit>> {
        let Some(expression) = match_expression(query) else {
            return Ok(Vec::new());
        };
        Ok(diesel::sql_query(format!(
            "SELECT url, highlight(docs, 1, '<mark>', '</mark>') AS title_html, \
             snippet(docs, 2, '<mark>', '</mark>', '…', {SNIPPET_TOKENS}) AS snippet_html \
             FROM docs WHERE docs MATCH ? ORDER BY bm25(docs, 0.0, 2.0, 1.0) LIMIT {limit}"
        ))
        .bind::<Text, _>(expression)
        .load(&mut self.0)?)
    }
}

/// The OR of the query's words, each quoted (so nothing in the text is
/// read as FTS5 syntax); `None` when it has no words.
fn match_expression(query: &str) -> Option<String> {
    let words: Vec<String> = query
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(|w| format!("\"{}\"", w.to_lowercase()))
        .collect();
    (!words.is_empty()).then(|| words.join(" OR "))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc(url: &str, title: &str, body: &str) -> SearchDoc {
        SearchDoc {
            url: url.into(),
            title: title.into(),
            body: body.into(),
            ..Default::default()
        }
    }

    fn sample() -> Fts5 {
        Fts5::build(&[
            doc(
                "/body",
                "Other things",
                "the printer is offline again today",
            ),
            doc("/title", "Printer offline", "it happens again today, sadly"),
            doc("/none", "Backups", "copy the data folder"),
        ])
        .expect("build")
    }

    #[test]
    fn the_baseline_ors_the_words_stems_them_and_weights_titles() {
        let mut fts = sample();
        assert_eq!(
            fts.search("printers offline", 10).expect("search"),
            ["/title", "/body"]
        );
        assert_eq!(
            fts.search("offline \"zebra\" OR (", 10).expect("search"),
            ["/title", "/body"]
        );
        assert_eq!(
            fts.search("printers offline", 1).expect("search"),
            ["/title"]
        );
        assert!(fts.search("?!", 10).expect("search").is_empty());
    }

    #[test]
    fn a_page_marks_the_words_in_title_and_excerpt() {
        let mut fts = sample();
        let page = fts.page("printers offline", 10).expect("page");
        assert_eq!(page.len(), 2);
        assert_eq!(page[0].url, "/title");
        assert_eq!(
            page[0].title_html,
            "<mark>Printer</mark> <mark>offline</mark>"
        );
        assert_eq!(page[1].title_html, "Other things");
        assert!(
            page[1]
                .snippet_html
                .contains("<mark>printer</mark> is <mark>offline</mark>"),
            "{:?}",
            page[1].snippet_html
        );
        assert!(fts.page("", 10).expect("page").is_empty());
    }

    #[test]
    fn a_finished_file_remembers_what_it_was_built_from() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("fts5.db");
        let mut fts = Fts5::create(&path.to_string_lossy()).expect("create");
        assert_eq!(fts.built_version().expect("version"), None);
        fts.insert(&[doc("/a", "Router", "wifi drops")])
            .expect("insert");
        fts.finish(42).expect("finish");
        drop(fts);
        let mut reopened = Fts5::open(&path).expect("open");
        assert_eq!(reopened.built_version().expect("version"), Some(42));
        assert_eq!(reopened.len().expect("len"), 1);
        assert_eq!(reopened.search("wifi", 10).expect("search"), ["/a"]);
        assert!(Fts5::open(&dir.path().join("missing.db")).is_err());
    }
}
