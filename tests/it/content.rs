//! Content validation: every problem named with file and line; invalid
//! content stops the start-up and leaves the database as it was.

use std::process::Command;

use signpost::app::StartError;
use signpost::content::{self, Diagnostic};

use crate::fixtures::{article, manual_index};
use crate::harness::{shipped_content, TestApp};

fn problems(files: &[(&str, &str)]) -> Vec<Diagnostic> {
    let mut builder = TestApp::builder();
    for (path, text) in files {
        builder = builder.file(path, text);
    }
    let (_dir, config) = builder.prepare();
    content::load(&config.content_dir, config.max_tree_depth)
        .expect_err("content should be invalid")
}

fn find<'a>(diags: &'a [Diagnostic], file_end: &str, needle: &str) -> &'a Diagnostic {
    diags
        .iter()
        .find(|d| d.file.ends_with(file_end) && d.message.contains(needle))
        .unwrap_or_else(|| {
            panic!("no diagnostic for {file_end} containing {needle:?} in {diags:#?}")
        })
}

#[test]
fn shipped_content_is_valid() {
    let set = content::load(&shipped_content(), 12).unwrap_or_else(|d| panic!("{d:#?}"));
    assert!(set.manuals.len() >= 3);
    assert!(set.article_count() >= 12);
}

#[test]
fn broken_links_are_reported_with_file_and_line() {
    let diags = problems(&[
        ("manuals/guide/_index.md", &manual_index("Guide")),
        ("manuals/guide/target.md", &article("Target", 1, "## Real heading\n")),
        (
            "manuals/guide/links.md",
            "+++\ntitle = \"Links\"\n+++\nFine: [t](target.md#real-heading)\n\nBroken: [m](missing.md)\n\nBad anchor: [a](target.md#nope)\n\n[other manual](../other/x.md) and [self](#nowhere)\n",
        ),
    ]);
    let missing = find(&diags, "links.md", "missing.md");
    assert_eq!(missing.line, 6);
    assert!(
        missing.to_string().contains("links.md:6: broken link"),
        "{missing}"
    );
    assert_eq!(find(&diags, "links.md", "#nope").line, 8);
    assert_eq!(find(&diags, "links.md", "../other/x.md").line, 10);
    assert_eq!(find(&diags, "links.md", "#nowhere").line, 10);
    assert_eq!(diags.len(), 4, "{diags:#?}");
}

#[test]
fn bad_front_matter_empty_title_and_unknown_keys() {
    let diags = problems(&[
        ("manuals/guide/_index.md", &manual_index("Guide")),
        (
            "manuals/guide/syntax.md",
            "+++\ntitle = \"ok\"\nweight = \"heavy\"\n+++\nx\n",
        ),
        (
            "manuals/guide/unknown.md",
            "+++\ntitle = \"ok\"\ncolour = \"red\"\n+++\nx\n",
        ),
        (
            "manuals/guide/empty.md",
            "+++\nweight = 1\ntitle = \"  \"\n+++\nx\n",
        ),
        ("manuals/guide/nofront.md", "# Just markdown\n"),
        ("manuals/guide/unclosed.md", "+++\ntitle = \"x\"\n"),
    ]);
    assert_eq!(find(&diags, "syntax.md", "bad front matter").line, 3);
    assert_eq!(find(&diags, "unknown.md", "colour").line, 3);
    assert_eq!(find(&diags, "empty.md", "title must not be empty").line, 3);
    assert_eq!(find(&diags, "nofront.md", "missing front matter").line, 1);
    find(&diags, "unclosed.md", "not closed");
}

#[test]
fn duplicate_and_invalid_slugs() {
    let diags = problems(&[
        ("manuals/guide/_index.md", &manual_index("Guide")),
        ("manuals/guide/a.md", &article("A", 1, "x")),
        (
            "manuals/guide/b.md",
            "+++\ntitle = \"B\"\nslug = \"a\"\n+++\nx\n",
        ),
        ("manuals/guide/Bad Name.md", &article("Bad", 1, "x")),
        ("manuals/Upper/_index.md", &manual_index("Upper")),
        ("manuals/nointro/a.md", &article("A", 1, "x")),
    ]);
    assert_eq!(find(&diags, "b.md", "duplicate slug").line, 3);
    find(&diags, "Bad Name.md", "not a valid slug");
    find(&diags, "Upper", "not a valid slug");
    find(&diags, "nointro/_index.md", "no _index.md");
}

#[test]
fn invalid_content_refuses_to_start_and_keeps_the_database() {
    let app = TestApp::guide()
        .file("manuals/guide/good.md", &article("Good article", 1, "fine"))
        .start();
    let mut app = app;
    app.write_content(
        "manuals/guide/good.md",
        &article("Good article renamed", 1, "fine"),
    );
    app.write_content("manuals/guide/bad.md", &article("Bad", 2, "[x](gone.md)"));
    match app.restart() {
        Err(StartError::Content(diags)) => {
            assert_eq!(diags.len(), 1);
            assert!(
                diags[0].to_string().contains("bad.md:5: broken link"),
                "{}",
                diags[0]
            );
        }
        Err(other) => panic!("unexpected start error {other}"),
        Ok(()) => panic!("start should be refused"),
    }
    // Nothing was half-loaded: the old title is still in the database.
    let pool = signpost::db::open(&app.config.database_path(), 1).expect("db");
    let mut conn = pool.get().expect("conn");
    let manual = signpost::db::models::manuals::find_by_slug(&mut conn, "guide")
        .expect("q")
        .expect("manual");
    let list = signpost::db::models::articles::list_for_manual(&mut conn, manual.id, true)
        .expect("articles");
    assert_eq!(list.len(), 1);
    assert_eq!(list[0].title, "Good article");
}

#[test]
fn check_command_prints_file_line_and_exits_non_zero() {
    let (dir, config) = TestApp::guide()
        .file(
            "manuals/guide/a.md",
            &article("A", 1, "text\n\nsee [b](b.md)"),
        )
        .prepare();
    let run = || {
        Command::new(env!("CARGO_BIN_EXE_signpost"))
            .arg("check")
            .env("SIGNPOST_CONTENT_DIR", &config.content_dir)
            .current_dir(dir.path())
            .output()
            .expect("run signpost check")
    };
    let out = run();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(!out.status.success());
    assert!(stdout.contains("a.md:7: broken link \"b.md\""), "{stdout}");
    std::fs::write(
        config.content_dir.join("manuals/guide/b.md"),
        article("B", 2, "x"),
    )
    .expect("write");
    let out = run();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    assert!(String::from_utf8_lossy(&out.stdout)
        .contains("OK (1 manuals, 2 articles, 0 troubleshooting trees)"));
}

#[test]
fn unknown_config_keys_stop_the_binary() {
    let dir = tempfile::tempdir().expect("dir");
    std::fs::write(
        dir.path().join("signpost.toml"),
        "site_name = \"Help\"\nlisten_addr = \"x\"\n",
    )
    .expect("write");
    let out = Command::new(env!("CARGO_BIN_EXE_signpost"))
        .arg("check")
        .current_dir(dir.path())
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("listen_addr") && stderr.contains("line 2"),
        "{stderr}"
    );
}
