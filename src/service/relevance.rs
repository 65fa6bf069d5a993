//! The relevance benchmark behind `signpost eval-search`: builds a throwaway
//! site (the content folder plus a fixed demo corpus), indexes it and
//! applies the folder's synonyms the way the site does, runs every query of
//! a query set through Signpost's search and through a plain SQLite FTS5
//! index of the same documents, and reports R@1, R@5 and MRR@10 for both,
//! overall and per category.
//!
//! A query set is a tab-separated file, one case a line:
//! `category<TAB>expected<TAB>query`. Blank lines and lines starting with `#`
//! are skipped. The expected document is one of:
//! - `article:MANUAL/ARTICLE`: a manual article (`/docs/MANUAL/ARTICLE`);
//! - `step:TREE` or `step:TREE/NODE`: a troubleshooting tree or one of its steps;
//! - `issue:KEY`: any generated question about that demo-data issue;
//! - `tip:KEY`: a generated question whose late answer holds that issue's tip.
//!
//! A result counts when its link, without `#fragment`, is the expected one.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use crate::content::{self, ContentSet};
use crate::db::models::questions;
use crate::db::Conn;
use crate::error::{AppError, AppResult};
use crate::search::{SearchDoc, SearchIndex, SearchRequest};
use crate::service::demo_data::{self, DemoOptions, ThreadStream};
use crate::service::fts5_baseline::Fts5;
use crate::service::{content_sync, search_feed};

/// The generated Q&A corpus every evaluation indexes (the query sets'
/// `issue:` and `tip:` cases are judged against it).
pub const EVAL_CORPUS: DemoOptions = DemoOptions {
    questions: 2000,
    answers_per_question: 3,
    seed: 2024,
    users: 300,
};

/// Results looked at per query.
pub const DEPTH: usize = 10;

/// The categories of a query set, in report order, with their labels.
pub const CATEGORIES: &[(&str, &str)] = &[
    ("manual", "manuals"),
    ("step", "steps"),
    ("question", "questions"),
    ("typo", "typos"),
    ("late", "late answers"),
];

/// One query and the document it should find.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Case {
    /// Where it was read, `file:line`.
    pub at: String,
    /// One of [`CATEGORIES`].
    pub category: String,
    /// The expected document's key (see the module docs).
    pub expected: String,
    /// What the customer types.
    pub query: String,
}

/// Reads the cases of a query set; problems are reported as `file:line: message`.
pub fn parse_cases(file: &str, text: &str) -> Result<Vec<Case>, Vec<String>> {
    let mut cases = Vec::new();
    let mut problems = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let at = format!("{file}:{}", i + 1);
        if line.trim().is_empty() || line.starts_with('#') {
            continue;
        }
        let fields: Vec<&str> = line.split('\t').map(str::trim).collect();
        let [category, expected, query] = fields[..] else {
            problems.push(format!(
                "{at}: expected 3 tab-separated fields (category, expected, query), found {}",
                fields.len()
            ));
            continue;
        };
        if !CATEGORIES.iter().any(|(c, _)| *c == category) {
            let known: Vec<&str> = CATEGORIES.iter().map(|(c, _)| *c).collect();
            problems.push(format!(
                "{at}: unknown category {category:?}; use one of {}",
                known.join(", ")
            ));
            continue;
        }
        if query.is_empty() {
            problems.push(format!("{at}: the query is empty"));
            continue;
        }
        cases.push(Case {
            at,
            category: category.to_string(),
            expected: expected.to_string(),
            query: query.to_string(),
        });
    }
    if problems.is_empty() {
        Ok(cases)
    } else {
        Err(problems)
    }
}

/// Reads and parses every file, in order.
pub fn load_cases(files: &[PathBuf]) -> Result<Vec<Case>, Vec<String>> {
    let mut cases = Vec::new();
    let mut problems = Vec::new();
    for file in files {
        let name = file.display().to_string();
        match std::fs::read_to_string(file) {
            Ok(text) => match parse_cases(&name, &text) {
                Ok(found) => cases.extend(found),
                Err(found) => problems.extend(found),
            },
            Err(e) => problems.push(format!("{name}: cannot read the query set: {e}")),
        }
    }
    if problems.is_empty() && cases.is_empty() {
        problems.push("the query sets hold no cases".into());
    }
    if problems.is_empty() {
        Ok(cases)
    } else {
        Err(problems)
    }
}

/// Where each engine ranked a case's expected document (1-based, within [`DEPTH`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ranked {
    /// Signpost's rank.
    pub signpost: Option<usize>,
    /// The FTS5 baseline's rank.
    pub fts5: Option<usize>,
    /// Signpost's first result, for the list of misses.
    pub signpost_first: Option<String>,
}

/// Recall and reciprocal rank over a set of cases.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Metrics {
    /// Cases counted.
    pub queries: usize,
    /// Share found first.
    pub r1: f64,
    /// Share found in the top 5.
    pub r5: f64,
    /// Mean of 1/rank within the top 10 (0 when not found).
    pub mrr10: f64,
}

impl Metrics {
    /// The metrics of these ranks.
    pub fn of(ranks: impl IntoIterator<Item = Option<usize>>) -> Metrics {
        let mut m = Metrics::default();
        for rank in ranks {
            m.queries += 1;
            let Some(r) = rank.filter(|r| (1..=DEPTH).contains(r)) else {
                continue;
            };
            m.r1 += f64::from(u8::from(r == 1));
            m.r5 += f64::from(u8::from(r <= 5));
            m.mrr10 += 1.0 / r as f64;
        }
        if m.queries > 0 {
            let n = m.queries as f64;
            m.r1 /= n;
            m.r5 /= n;
            m.mrr10 /= n;
        }
        m
    }
}

/// The outcome of an evaluation.
#[derive(Debug, Clone)]
pub struct Report {
    /// The cases, in file order.
    pub cases: Vec<Case>,
    /// Their ranks, same order.
    pub ranks: Vec<Ranked>,
    /// Documents in both indexes.
    pub documents: usize,
}

impl Report {
    /// Signpost's and FTS5's metrics over the cases `keep` selects.
    pub fn metrics(&self, keep: impl Fn(&Case) -> bool) -> (Metrics, Metrics) {
        let chosen: Vec<&Ranked> = self
            .cases
            .iter()
            .zip(&self.ranks)
            .filter(|(c, _)| keep(c))
            .map(|(_, r)| r)
            .collect();
        (
            Metrics::of(chosen.iter().map(|r| r.signpost)),
            Metrics::of(chosen.iter().map(|r| r.fts5)),
        )
    }

    /// The whole set.
    pub fn overall(&self) -> (Metrics, Metrics) {
        self.metrics(|_| true)
    }

    /// The side-by-side table (markdown) and the cases Signpost does not
    /// rank in its top 5.
    pub fn render(&self) -> String {
        self.render_listing(5)
    }

    /// Whether a case sits on an odd line of its file (the query set's two
    /// halves: tune on one, check on the other).
    pub fn on_odd_line(case: &Case) -> bool {
        case.at
            .rsplit(':')
            .next()
            .and_then(|line| line.parse::<usize>().ok())
            .is_some_and(|line| line % 2 == 1)
    }

    /// The side-by-side table (markdown), with a row per half of the query
    /// set (odd and even lines), and the cases Signpost does not rank within
    /// its top `within` (`1`: every case not ranked first).
    pub fn render_listing(&self, within: usize) -> String {
        let mut out = format!(
            "{} queries over {} documents (content folder + demo-data --questions {} --answers-per-question {} --seed {})\n\n",
            self.cases.len(),
            self.documents,
            EVAL_CORPUS.questions,
            EVAL_CORPUS.answers_per_question,
            EVAL_CORPUS.seed
        );
        out.push_str("| queries | n | Signpost R@1 | R@5 | MRR@10 | FTS5 R@1 | R@5 | MRR@10 |\n");
        out.push_str("|---|---|---|---|---|---|---|---|\n");
        let mut row = |label: &str, (s, f): (Metrics, Metrics)| {
            out.push_str(&format!(
                "| {label} | {} | {:.2} | {:.2} | {:.2} | {:.2} | {:.2} | {:.2} |\n",
                s.queries, s.r1, s.r5, s.mrr10, f.r1, f.r5, f.mrr10
            ));
        };
        row("all", self.overall());
        for (category, label) in CATEGORIES {
            row(label, self.metrics(|c| c.category == *category));
        }
        row("odd lines", self.metrics(Report::on_odd_line));
        row("even lines", self.metrics(|c| !Report::on_odd_line(c)));
        let misses: Vec<String> = self
            .cases
            .iter()
            .zip(&self.ranks)
            .filter(|(_, r)| r.signpost.is_none_or(|rank| rank > within))
            .map(|(c, r)| {
                let rank = |x: Option<usize>| x.map_or("-".to_string(), |r| r.to_string());
                format!(
                    "  {} [{}] {:?} -> {} (Signpost rank {}, FTS5 rank {}; Signpost's first: {})",
                    c.at,
                    c.category,
                    c.query,
                    c.expected,
                    rank(r.signpost),
                    rank(r.fts5),
                    r.signpost_first.as_deref().unwrap_or("nothing")
                )
            })
            .collect();
        let heading = if within == 1 {
            "Not first in Signpost".to_string()
        } else {
            format!("Not in Signpost's top {within}")
        };
        out.push_str(&format!("\n{heading} ({}):\n", misses.len()));
        for miss in misses {
            out.push_str(&miss);
            out.push('\n');
        }
        out
    }
}

/// A data dir of its own, removed when dropped.
struct TempSite(PathBuf);

impl TempSite {
    fn create() -> AppResult<TempSite> {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or_default();
        let dir =
            std::env::temp_dir().join(format!("signpost-eval-{}-{nanos}", std::process::id()));
        std::fs::create_dir_all(&dir)
            .map_err(|e| AppError::Internal(format!("cannot create {}: {e}", dir.display())))?;
        Ok(TempSite(dir))
    }
}

impl Drop for TempSite {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Builds the evaluation site from `content_dir` and [`EVAL_CORPUS`], runs
/// every case through both engines and returns their ranks.
pub fn evaluate(content_dir: &Path, cases: Vec<Case>) -> AppResult<Report> {
    let site = TempSite::create()?;
    let content = content::load(content_dir, content::trees::DEFAULT_MAX_DEPTH).map_err(|d| {
        let lines: Vec<String> = d.iter().map(|d| d.to_string()).collect();
        AppError::BadRequest(format!(
            "the content folder has problems (run `signpost check`):\n{}",
            lines.join("\n")
        ))
    })?;
    let pool = crate::db::open(
        &crate::config::Database::Sqlite(site.0.join("signpost.db")),
        crate::config::PoolSettings::sized(2),
    )?;
    let mut conn = pool.get()?;
    content_sync::sync(&mut conn, &content, crate::db::unix_now())?;
    demo_data::generate(&mut conn, EVAL_CORPUS, &|_, _| {})?;
    let (search, _) = SearchIndex::open(&site.0.join("index"))?;
    search.set_synonyms(&content.synonym_groups());
    {
        let mut feed = search.feed()?;
        search_feed::rebuild(&pool, &mut feed, &|_, _| {})?;
    }
    let expected = expected_urls(&mut conn, &content, &cases)?;
    let documents = all_documents(&mut conn)?;
    let mut baseline = Fts5::build(&documents)?;
    let mut ranks = Vec::with_capacity(cases.len());
    for (case, wanted) in cases.iter().zip(&expected) {
        let hits = search.search(&SearchRequest {
            text: &case.query,
            kind: None,
            limit: DEPTH,
            offset: 0,
        })?;
        let signpost: Vec<String> = hits.hits.into_iter().map(|h| h.url).collect();
        let fts5 = baseline.search(&case.query, DEPTH)?;
        ranks.push(Ranked {
            signpost: rank_of(&signpost, wanted),
            fts5: rank_of(&fts5, wanted),
            signpost_first: signpost.first().cloned(),
        });
    }
    Ok(Report {
        cases,
        ranks,
        documents: documents.len(),
    })
}

/// The 1-based position of the first result whose link (without fragment)
/// is wanted.
pub fn rank_of(urls: &[String], wanted: &HashSet<String>) -> Option<usize> {
    urls.iter()
        .take(DEPTH)
        .position(|url| wanted.contains(url.split('#').next().unwrap_or(url)))
        .map(|i| i + 1)
}

/// The links each case accepts; an unknown key is an error naming its line.
fn expected_urls(
    conn: &mut Conn,
    content: &ContentSet,
    cases: &[Case],
) -> AppResult<Vec<HashSet<String>>> {
    let questions = question_links(conn)?;
    let mut out = Vec::with_capacity(cases.len());
    let mut problems = Vec::new();
    for case in cases {
        let urls = match case.expected.split_once(':') {
            Some(("article", path)) => article_link(content, path).into_iter().collect(),
            Some(("step", path)) => step_link(content, path).into_iter().collect(),
            Some(("issue" | "tip", _)) => questions
                .get(case.expected.as_str())
                .cloned()
                .unwrap_or_default(),
            _ => HashSet::new(),
        };
        if urls.is_empty() {
            problems.push(format!(
                "{}: {:?} names no document of the evaluation site",
                case.at, case.expected
            ));
        }
        out.push(urls);
    }
    if problems.is_empty() {
        Ok(out)
    } else {
        Err(AppError::BadRequest(problems.join("\n")))
    }
}

fn article_link(content: &ContentSet, path: &str) -> Option<String> {
    let (manual, article) = path.split_once('/')?;
    let m = content.manuals.iter().find(|m| m.slug == manual)?;
    m.articles
        .iter()
        .any(|a| a.slug == article)
        .then(|| format!("/docs/{manual}/{article}"))
}

fn step_link(content: &ContentSet, path: &str) -> Option<String> {
    let (slug, node) = path.split_once('/').unwrap_or((path, ""));
    let tree = &content.trees.iter().find(|t| t.tree.slug == slug)?.tree;
    if node.is_empty() {
        return Some(format!("/troubleshoot/{slug}"));
    }
    search_feed::step_url(tree, node)
}

/// `issue:KEY` and `tip:KEY` to the links of the generated questions they
/// stand for (the demo corpus is written in [`ThreadStream`] order).
fn question_links(conn: &mut Conn) -> AppResult<HashMap<String, HashSet<String>>> {
    let ids = questions::all_ids(conn)?;
    if ids.len() != EVAL_CORPUS.questions {
        return Err(AppError::Internal(format!(
            "the evaluation site holds {} questions, expected {}",
            ids.len(),
            EVAL_CORPUS.questions
        )));
    }
    let mut links: HashMap<String, HashSet<String>> = HashMap::new();
    for (id, thread) in ids.into_iter().zip(ThreadStream::new(EVAL_CORPUS)) {
        let Some(question) = questions::find(conn, id)? else {
            continue;
        };
        let url = question.path();
        let key = thread.issue.key;
        links
            .entry(format!("issue:{key}"))
            .or_default()
            .insert(url.clone());
        if thread.tip_at.is_some() {
            links.entry(format!("tip:{key}")).or_default().insert(url);
        }
    }
    Ok(links)
}

/// Every search document of the site, built by the same feed as the index.
fn all_documents(conn: &mut Conn) -> AppResult<Vec<SearchDoc>> {
    let subjects = search_feed::all_subjects(conn)?;
    let mut docs = Vec::new();
    for (kind, id) in subjects {
        docs.extend(search_feed::documents_for(conn, kind, id)?);
    }
    Ok(docs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cases_are_read_and_bad_lines_named() {
        let text = "# comment\n\nmanual\tarticle:a/b\thow do I\n\
                    step\tstep:t\n\
                    typos\tissue:x\tprinter\n\
                    late\ttip:x\t \n";
        let problems = parse_cases("set.tsv", text).expect_err("bad lines");
        assert_eq!(problems.len(), 3, "{problems:?}");
        assert!(problems[0].starts_with("set.tsv:4: expected 3 tab-separated fields"));
        assert!(problems[1].starts_with("set.tsv:5: unknown category \"typos\""));
        assert!(problems[2].starts_with("set.tsv:6: the query is empty"));
        let cases = parse_cases("set.tsv", "manual\tarticle:a/b\thow do I\n").expect("ok");
        assert_eq!(
            cases,
            vec![Case {
                at: "set.tsv:1".into(),
                category: "manual".into(),
                expected: "article:a/b".into(),
                query: "how do I".into(),
            }]
        );
    }

    #[test]
    fn metrics_count_recall_and_reciprocal_rank() {
        let m = Metrics::of([Some(1), Some(2), Some(6), None, Some(11)]);
        assert_eq!(m.queries, 5);
        assert!((m.r1 - 0.2).abs() < 1e-9);
        assert!((m.r5 - 0.4).abs() < 1e-9);
        assert!((m.mrr10 - (1.0 + 0.5 + 1.0 / 6.0) / 5.0).abs() < 1e-9);
        assert_eq!(Metrics::of([]), Metrics::default());
    }

    #[test]
    fn the_report_splits_the_set_by_odd_and_even_lines() {
        let text =
            "manual\tarticle:a/b\tone\nmanual\tarticle:a/b\ttwo\nmanual\tarticle:a/b\tthree\n";
        let cases = parse_cases("set.tsv", text).expect("ok");
        let odd: Vec<bool> = cases.iter().map(Report::on_odd_line).collect();
        assert_eq!(odd, vec![true, false, true]);
        let ranked = |signpost| Ranked {
            signpost,
            fts5: None,
            signpost_first: None,
        };
        let report = Report {
            cases,
            ranks: vec![ranked(Some(1)), ranked(Some(2)), ranked(None)],
            documents: 3,
        };
        let out = report.render_listing(1);
        assert!(
            out.contains("| odd lines | 2 | 0.50 | 0.50 | 0.50 |"),
            "{out}"
        );
        assert!(
            out.contains("| even lines | 1 | 0.00 | 1.00 | 0.50 |"),
            "{out}"
        );
        assert!(out.contains("Not first in Signpost (2):"), "{out}");
        assert!(report.render().contains("Not in Signpost's top 5 (1):"));
    }

    #[test]
    fn a_result_counts_with_or_without_its_fragment() {
        let wanted: HashSet<String> = ["/questions/3/x".to_string()].into();
        let urls = vec![
            "/docs/a/b#setup".to_string(),
            "/questions/3/x#answer-9".to_string(),
        ];
        assert_eq!(rank_of(&urls, &wanted), Some(2));
        assert_eq!(rank_of(&urls[..1], &wanted), None);
    }
}
