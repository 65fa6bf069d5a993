//! The relevance benchmark: the query set in `tests/relevance/` runs through
//! Signpost's search and the SQLite FTS5 baseline over the shipped content
//! and the fixed demo corpus; Signpost must stay above its floors.

use std::path::{Path, PathBuf};

use signpost::service::relevance::{self, Metrics, CATEGORIES};

use crate::harness::{run_cli, shipped_content, TestApp};

/// Signpost's overall floors, just under what it measures today; raise them
/// when search gets better, never lower them to make a change pass.
const SIGNPOST_R1_FLOOR: f64 = 0.82;
const SIGNPOST_R5_FLOOR: f64 = 0.96;
const SIGNPOST_MRR10_FLOOR: f64 = 0.87;
/// Signpost's MRR@10 floor per category, same rule.
const SIGNPOST_CATEGORY_MRR10_FLOORS: &[(&str, f64)] = &[
    ("manual", 0.75),
    ("step", 0.71),
    ("question", 0.98),
    ("typo", 0.97),
    ("late", 0.99),
];
/// The query set is at least this large, with this many cases per category.
const MIN_CASES: usize = 200;
const MIN_PER_CATEGORY: usize = 25;

fn query_sets() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/relevance");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("tests/relevance")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "tsv"))
        .collect();
    files.sort();
    files
}

#[test]
fn signpost_stays_above_its_relevance_floors() {
    let cases = relevance::load_cases(&query_sets()).expect("the query set parses");
    assert!(cases.len() >= MIN_CASES, "{} cases", cases.len());
    for (category, label) in CATEGORIES {
        let n = cases.iter().filter(|c| c.category == *category).count();
        assert!(n >= MIN_PER_CATEGORY, "only {n} {label} cases");
    }
    let report = relevance::evaluate(&shipped_content(), cases).expect("evaluation");
    println!("{}", report.render());
    let (signpost, fts5) = report.overall();
    let floors = Metrics {
        queries: signpost.queries,
        r1: SIGNPOST_R1_FLOOR,
        r5: SIGNPOST_R5_FLOOR,
        mrr10: SIGNPOST_MRR10_FLOOR,
    };
    assert!(
        signpost.r1 >= floors.r1 && signpost.r5 >= floors.r5 && signpost.mrr10 >= floors.mrr10,
        "Signpost fell below its floors: {signpost:?} < {floors:?}"
    );
    for (category, floor) in SIGNPOST_CATEGORY_MRR10_FLOORS {
        let (s, _) = report.metrics(|c| c.category == *category);
        assert!(
            s.mrr10 >= *floor,
            "{category}: MRR@10 {} < {floor}",
            s.mrr10
        );
    }
    // The baseline runs over the same cases and finds most of them.
    assert_eq!(fts5.queries, signpost.queries);
    assert!(fts5.r5 > 0.5 && fts5.mrr10 > 0.4, "FTS5 baseline: {fts5:?}");
    // Signpost is ahead of the baseline on every overall metric.
    assert!(
        signpost.r1 > fts5.r1 && signpost.r5 > fts5.r5 && signpost.mrr10 > fts5.mrr10,
        "Signpost {signpost:?} is not ahead of FTS5 {fts5:?}"
    );
}

#[test]
fn eval_search_prints_both_engines_and_names_bad_lines() {
    let (dir, config) = TestApp::builder().shipped_content().prepare();
    let set = dir.path().join("set.tsv");
    let eval = |text: &str| {
        std::fs::write(&set, text).expect("write");
        let out = run_cli(
            dir.path(),
            &config,
            &["eval-search", set.to_str().expect("path")],
        );
        let stdout = String::from_utf8_lossy(&out.stdout).to_string();
        let stderr = String::from_utf8_lossy(&out.stderr).to_string();
        (out.status.success(), stdout, stderr)
    };
    let (ok, stdout, stderr) = eval(
        "# a small set\n\
         manual\tarticle:operations/backups\thow do I back up the site while it runs\n\
         question\tissue:printer-offline\tprinter keeps going offline\n",
    );
    assert!(ok, "{stderr}");
    assert!(stdout.contains("| all | 2 |"), "{stdout}");
    assert!(stdout.contains("FTS5 R@1"), "{stdout}");
    assert!(stdout.contains("| questions | 1 |"), "{stdout}");

    let (ok, _, stderr) = eval(
        "manual\tarticle:operations/backups\n\
         wishes\tarticle:operations/backups\tbackups\n",
    );
    assert!(!ok);
    assert!(
        stderr.contains("set.tsv:1: expected 3 tab-separated fields"),
        "{stderr}"
    );
    assert!(
        stderr.contains("set.tsv:2: unknown category \"wishes\""),
        "{stderr}"
    );

    let (ok, _, stderr) = eval(
        "manual\tarticle:operations/no-such-page\tbackups\n\
         late\ttip:no-such-issue\tsomething\n",
    );
    assert!(!ok);
    assert!(
        stderr.contains("set.tsv:1: \"article:operations/no-such-page\" names no document")
            && stderr.contains("set.tsv:2: \"tip:no-such-issue\" names no document"),
        "{stderr}"
    );
    let out = run_cli(dir.path(), &config, &["eval-search", "/nonexistent.tsv"]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot read the query set"));
}
