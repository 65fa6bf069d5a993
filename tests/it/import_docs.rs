//! Importing a realistic documentation folder (YAML front matter, nested
//! folders, relative links with anchors, images in `media/`, DocFX blocks)
//! and keeping its links intact: every internal link and image of every
//! imported article answers, problems are reported with `file:line`, and
//! `check` and the staff dashboard find links broken later in the editor.

use std::collections::BTreeSet;
use std::path::Path;

use signpost::auth::Role;
use signpost::db::models::{article_revisions, articles};
use signpost::service::articles::{self as editing, ArticleInput, Publication, SaveOutcome};
use signpost::service::{import_markdown, link_check};

use crate::harness::TestApp;

/// A 1x1 transparent PNG.
const PNG: &[u8] = &[
    0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0x00, 0x00, 0x00, 0x0D, 0x49, 0x48, 0x44, 0x52,
    0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1F, 0x15, 0xC4,
    0x89, 0x00, 0x00, 0x00, 0x0A, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9C, 0x63, 0x00, 0x01, 0x00, 0x00,
    0x05, 0x00, 0x01, 0x0D, 0x0A, 0x2D, 0xB4, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45, 0x4E, 0x44, 0xAE,
    0x42, 0x60, 0x82,
];

const INDEX: &str = "---
title: Product manual
description: Everything about the product.
order: 1
ms.date: 01/15/2024
ms.topic: overview
---
# Product manual

Start with [installing it](./install.md#step-1), then read the [setup guide](guides/setup.md)
and the [guides](guides/).

If something fails, see [troubleshooting](troubleshooting/windows.md#fix-it).
";

const QUICK_SETUP: &str = "---
title: Quick setup
this line is not yaml
---
Short version; the [full guide](guides/setup.md) has the details.
";

const INSTALL: &str = "---
title: Install the product
tags:
  - Setup
  - install
weight: 2
---
# Install the product

## Step 1

![The box](media/box.png)

:::image type=\"content\" source=\"media/screen.png\" alt-text=\"The installer's first screen\":::

## Step 2: Run it

Before this, read [before you start](guides/setup.md#before-you-start). See the
[diagram](media/diagram.svg) and the [checklist](files/checklist%20v1.pdf).

## Windows - Linux

Jump [here](#windows---linux). A [wrong anchor](./install.md#step-9) goes nowhere.
";

const SETUP: &str = "+++
title = \"Setup guide\"
weight = 3
+++
## Before you start

Install first: [step 1](../install.md#step-1). Back to the [manual](../index.md).

![The box again](../media/box.png) and ![a copy](../media/box-copy.png)

![Missing picture](../media/missing.png)

![Not a picture](../media/fake.png)

:::image type=\"complex\" source=\"../media/screen.png\" alt-text=\"Screen\":::
The screen shows the product window with its menu.
:::image-end:::

:::zone pivot=\"windows\"
Windows only.
:::zone-end

Read the [install guide][install].

[install]: ../install.md#step-2-run-it
";

const GUIDES_INDEX: &str = "# Guides

- [Setup](./setup.md)
- [Top](../index.md)
";

const WINDOWS: &str = "# Troubleshooting Windows Subsystem for Linux

## Fix it

Reinstall as in [install](../install.md#step-1).

> [!NOTE]
> Works on Windows 11.

<img src=\"../media/diagram.svg\" alt=\"Diagram\">
";

const SVG: &str = "<svg xmlns=\"http://www.w3.org/2000/svg\"><script>alert(1)</script><rect width=\"1\" height=\"1\"/></svg>";

/// Writes the documentation folder under `root`.
fn write_docs(root: &Path) {
    let files: [(&str, &[u8]); 13] = [
        ("index.md", INDEX.as_bytes()),
        ("setup.md", QUICK_SETUP.as_bytes()),
        ("install.md", INSTALL.as_bytes()),
        ("guides/setup.md", SETUP.as_bytes()),
        ("guides/index.md", GUIDES_INDEX.as_bytes()),
        ("troubleshooting/windows.md", WINDOWS.as_bytes()),
        ("media/box.png", PNG),
        ("media/box-copy.png", PNG),
        ("media/screen.png", &[PNG, b"screen"].concat()),
        ("media/fake.png", b"this is not a png\n"),
        ("media/diagram.svg", SVG.as_bytes()),
        ("files/checklist v1.pdf", b"%PDF-1.4\n%%EOF\n"),
        (".git/HEAD", b"ref: refs/heads/main\n"),
    ];
    for (rel, bytes) in files {
        let path = root.join(rel);
        std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        std::fs::write(path, bytes).expect("write");
    }
}

/// The 1-based line of `needle` in `text`.
fn line_of(text: &str, needle: &str) -> usize {
    let at = text
        .find(needle)
        .unwrap_or_else(|| panic!("{needle:?} not in fixture"));
    text[..at].matches('\n').count() + 1
}

/// Values of attribute `name` in sanitized HTML.
fn attribute_values(html: &str, name: &str) -> Vec<String> {
    let needle = format!(" {name}=\"");
    html.split(&needle)
        .skip(1)
        .filter_map(|rest| rest.split('"').next())
        .map(|v| v.replace("&amp;", "&"))
        .collect()
}

fn import(app: &TestApp, dir: &Path) -> import_markdown::MarkdownImport {
    let mut conn = app.started().state.db.get().expect("db");
    import_markdown::import(&mut conn, dir, "Product", signpost::db::unix_now()).expect("import")
}

/// What `check` and the dashboard list, as `manual/article: message` lines.
fn broken_links(app: &TestApp) -> Vec<String> {
    let mut conn = app.started().state.db.get().expect("db");
    let report = link_check::broken_links(&mut conn).expect("check");
    report.broken.iter().map(|b| b.to_string()).collect()
}

#[actix_web::test]
async fn documentation_folder_imports_with_every_link_intact() {
    let app = TestApp::builder().start();
    let docs = app.dir.path().join("docs");
    write_docs(&docs);
    let report = import(&app, &docs);

    // Every file became an article named after its file.
    assert_eq!((report.manual.as_str(), report.created), ("product", 6));
    assert!(report.skipped.is_empty(), "{:?}", report.skipped);
    let mut conn = app.started().state.db.get().expect("db");
    let imported: Vec<articles::ArticleInManual> = articles::all_with_manuals(&mut conn)
        .expect("articles")
        .into_iter()
        .filter(|a| a.manual_slug == "product")
        .collect();
    drop(conn);
    let slugs: BTreeSet<&str> = imported.iter().map(|a| a.article.slug.as_str()).collect();
    assert_eq!(
        slugs,
        BTreeSet::from([
            "index",
            "setup",
            "install",
            "guides-setup",
            "guides",
            "windows"
        ])
    );
    let by_slug = |slug: &str| {
        &imported
            .iter()
            .find(|a| a.article.slug == slug)
            .expect("article")
            .article
    };
    assert_eq!(
        by_slug("windows").title,
        "Troubleshooting Windows Subsystem for Linux"
    );
    assert_eq!(by_slug("install").title, "Install the product");
    assert_eq!(by_slug("install").tags, "setup,install");
    assert_eq!(by_slug("install").weight, 2);
    assert_eq!(
        by_slug("index").description,
        "Everything about the product."
    );
    assert!(
        !by_slug("index").body_md.contains("# Product manual"),
        "the title heading is not repeated: {}",
        by_slug("index").body_md
    );

    // Exactly the deliberate problems are reported, each with file:line.
    let problems: Vec<String> = report.problems.iter().map(|p| p.to_string()).collect();
    let at = |file: &str, text: &str, needle: &str| {
        format!("{}:{}: ", docs.join(file).display(), line_of(text, needle))
    };
    let expected = [
        (
            at("setup.md", QUICK_SETUP, "this line is not yaml"),
            "expected `key: value`",
        ),
        (
            at("install.md", INSTALL, "[wrong anchor]"),
            "has no heading with anchor #step-9",
        ),
        (
            at("guides/setup.md", SETUP, "![Missing picture]"),
            "missing file",
        ),
        (
            at("guides/setup.md", SETUP, "![Not a picture]"),
            "the content is text",
        ),
        (
            at("guides/setup.md", SETUP, ":::zone pivot"),
            "unsupported syntax \":::zone\"",
        ),
        (
            at("guides/setup.md", SETUP, ":::zone-end"),
            "unsupported syntax \":::zone-end\"",
        ),
    ];
    for (prefix, message) in &expected {
        assert!(
            problems
                .iter()
                .any(|p| p.starts_with(prefix) && p.contains(message)),
            "expected {prefix}...{message} in {problems:#?}"
        );
    }
    assert_eq!(problems.len(), expected.len(), "{problems:#?}");

    // Images are stored once per content: box.png and its byte-identical
    // copy share one file; screen, diagram and checklist are the others.
    assert_eq!((report.assets_stored, report.assets_reused), (4, 1));

    // Every internal link and image of every imported article answers, and
    // every anchor it names exists on the target page.
    app.wait_indexed();
    let client = app.client();
    let mut checked = BTreeSet::new();
    for article in &imported {
        let html = &article.article.body_html;
        assert!(!html.contains(":::image"), "{html}");
        let urls = attribute_values(html, "href")
            .into_iter()
            .chain(attribute_values(html, "src"));
        for url in urls {
            if url == "/docs/product/install#step-9" {
                continue; // the deliberate wrong anchor, reported above
            }
            let (path, anchor) = url.split_once('#').unwrap_or((&url, ""));
            if path.is_empty() {
                assert!(
                    html.contains(&format!("id=\"{anchor}\"")),
                    "{}: no #{anchor}",
                    article.article.slug
                );
                checked.insert(url);
                continue;
            }
            if path.ends_with("missing.png") || path.ends_with("fake.png") {
                continue; // the deliberate bad files, reported above
            }
            assert!(
                path.starts_with("/docs/") || path.starts_with("/assets/"),
                "{}: {url} was not rewritten",
                article.article.slug
            );
            let page = client.get(path).await;
            assert_eq!(page.status, 200, "{} links to {url}", article.article.slug);
            if !anchor.is_empty() {
                page.assert_contains(&format!("id=\"{anchor}\""));
            }
            checked.insert(url);
        }
    }
    for must in [
        "/docs/product/install#step-1",
        "/docs/product/guides-setup",
        "/docs/product/guides-setup#before-you-start",
        "/docs/product/guides",
        "/docs/product/windows#fix-it",
        "/docs/product/index",
        "/docs/product/install#step-2-run-it",
        "#windows-linux",
    ] {
        assert!(checked.contains(must), "{must} not among {checked:#?}");
    }
    let assets: Vec<&String> = checked
        .iter()
        .filter(|u| u.starts_with("/assets/"))
        .collect();
    assert_eq!(assets.len(), 4, "{assets:?}");
    assert!(
        assets.iter().any(|u| u.ends_with("/checklist-v1.pdf")),
        "{assets:?}"
    );

    // The page shows the images (the DocFX block is a normal image now).
    let install = client.get("/docs/product/install").await;
    install.assert_contains("first screen\"");
    let setup = client.get("/docs/product/guides-setup").await;
    setup.assert_contains("<details><summary>Image description</summary>");
    setup.assert_contains("The screen shows the product window");

    // Stored files: the right type, immutable caching, SVG sandboxed.
    let png_url = assets
        .iter()
        .find(|u| u.ends_with("/box.png"))
        .expect("box.png");
    let png = app.get(png_url).await;
    assert_eq!(png.header("content-type"), "image/png");
    assert_eq!(
        png.header("cache-control"),
        "public, max-age=31536000, immutable"
    );
    assert_eq!(png.header("x-content-type-options"), "nosniff");
    let svg_url = assets
        .iter()
        .find(|u| u.ends_with("/diagram.svg"))
        .expect("svg");
    let svg = app.get(svg_url).await;
    assert_eq!(svg.header("content-type"), "image/svg+xml");
    assert!(
        svg.header("content-security-policy").contains("sandbox")
            && svg
                .header("content-security-policy")
                .contains("default-src 'none'"),
        "{:?}",
        svg.headers
    );
    assert!(svg.header("content-disposition").starts_with("inline"));
    let wrong_name = png_url.replace("box.png", "other.png");
    assert_eq!(app.get(&wrong_name).await.status, 404);
    assert_eq!(app.get("/assets/not-hex/x.png").await.status, 404);

    // Links found broken: only the deliberate ones so far.
    let lines = broken_links(&app);
    assert_eq!(lines.len(), 3, "{lines:#?}");
    assert!(
        lines.contains(&"product/install: broken link \"/docs/product/install#step-9\": product/install has no heading with anchor #step-9".to_string()),
        "{lines:#?}"
    );
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("product/guides-setup: broken image \"../media/missing.png\"")),
        "{lines:#?}"
    );

    // A staff edit breaks a link and an image: check and the dashboard see it.
    let editor = app.create_user("editor", Role::Staff);
    {
        let mut conn = app.started().state.db.get().expect("db");
        let article = by_slug("windows");
        let base = article_revisions::latest_id(&mut conn, article.id).expect("revision");
        let input = ArticleInput {
            manual_id: article.manual_id,
            title: article.title.clone(),
            weight: article.weight,
            tags: Vec::new(),
            publication: Publication::Published,
            body_md: format!(
                "{}\nSee [the old page](/docs/product/removed-page) and ![gone](/assets/0123456789abcdef/gone.png).\n",
                article.body_md
            ),
            note: "links".into(),
        };
        let saved = editing::update(
            &mut conn,
            editor,
            article.id,
            base,
            &input,
            signpost::db::unix_now(),
        )
        .expect("save");
        assert!(matches!(saved, SaveOutcome::Saved(_)), "{saved:?}");
    }
    let lines = broken_links(&app);
    assert_eq!(lines.len(), 5, "{lines:#?}");
    assert!(
        lines.contains(&"product/windows: broken link \"/docs/product/removed-page\": there is no article \"removed-page\" in manual \"product\"".to_string()),
        "{lines:#?}"
    );
    assert!(
        lines.contains(&"product/windows: broken image \"/assets/0123456789abcdef/gone.png\": there is no such stored file".to_string()),
        "{lines:#?}"
    );

    let staff = app.staff("lead").await;
    let dashboard = staff.get("/staff").await;
    assert_eq!(dashboard.status, 200);
    dashboard.assert_contains("Broken links");
    dashboard.assert_contains("/docs/product/removed-page");
    dashboard.assert_contains("href=\"/docs/product/windows/edit\"");

    let out = crate::harness::run_cli(app.dir.path(), &app.config, &["check"]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(!out.status.success(), "{stdout}");
    assert!(
        stdout.contains("product/windows: broken link \"/docs/product/removed-page\""),
        "{stdout}"
    );
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("5 problem(s) found"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    // Running the import again adds nothing and stores nothing.
    let again = import(&app, &docs);
    assert_eq!(
        (again.created, again.skipped.len(), again.assets_stored),
        (0, 6, 0)
    );
}

#[test]
fn import_command_prints_problems_with_file_and_line() {
    let (dir, config) = TestApp::builder().prepare();
    let docs = dir.path().join("docs");
    write_docs(&docs);
    let run = |args: &[&str]| crate::harness::run_cli(dir.path(), &config, args);
    let out = run(&[
        "import",
        "markdown",
        docs.to_str().expect("path"),
        "--manual",
        "Product",
    ]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let missing = format!(
        "{}:{}: image \"../media/missing.png\": missing file",
        docs.join("guides/setup.md").display(),
        line_of(SETUP, "![Missing picture]")
    );
    assert!(stdout.contains(&missing), "{stdout}");
    assert!(
        stdout.contains("imported 6 articles into /docs/product; 0 skipped; 4 files stored, 1 already stored; 6 problem(s) listed above"),
        "{stdout}"
    );
    let out = run(&["check"]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("product/install: broken link \"/docs/product/install#step-9\""),
        "{stdout}"
    );
}

#[actix_web::test]
async fn oversized_files_and_escaping_links_are_reported_not_imported() {
    let app = TestApp::builder().start();
    let docs = app.dir.path().join("big");
    std::fs::create_dir_all(docs.join("media")).expect("mkdir");
    let mut huge = PNG.to_vec();
    huge.resize(5 * 1024 * 1024 + 1, 0);
    std::fs::write(docs.join("media/huge.png"), &huge).expect("write");
    std::fs::write(app.dir.path().join("secret.txt"), "outside").expect("write");
    std::fs::write(
        docs.join("page.md"),
        "# Page\n\n![Huge](media/huge.png)\n\n[Secret](../secret.txt)\n\n[Tool](media/tool.exe)\n",
    )
    .expect("write");
    std::fs::write(docs.join("media/tool.exe"), b"MZ\x90\x00").expect("write");
    std::fs::write(
        docs.join("Odd Name.md"),
        "---\nslug: Not A Slug\n---\nText.\n",
    )
    .expect("write");
    let report = import(&app, &docs);
    assert_eq!(report.created, 2);
    assert_eq!(report.assets_stored, 0);
    assert_eq!(app.get("/docs/product/odd-name").await.status, 200);
    let problems: Vec<String> = report.problems.iter().map(|p| p.to_string()).collect();
    let page = docs.join("page.md").display().to_string();
    assert!(
        problems
            .iter()
            .any(|p| p.starts_with(&format!("{page}:3: ")) && p.contains("over the limit of 5 MiB")),
        "{problems:#?}"
    );
    assert!(
        problems
            .iter()
            .any(|p| p.starts_with(&format!("{page}:5: "))
                && p.contains("outside the imported folder")),
        "{problems:#?}"
    );
    assert!(
        problems
            .iter()
            .any(|p| p.starts_with(&format!("{page}:7: ")) && p.contains("are not imported")),
        "{problems:#?}"
    );
    assert!(
        problems
            .iter()
            .any(|p| p.contains("\"Not A Slug\" is not a valid slug")),
        "{problems:#?}"
    );
    let mut conn = app.started().state.db.get().expect("db");
    let stored = signpost::db::models::assets::all_heads(&mut conn).expect("assets");
    assert!(stored.is_empty(), "{stored:?}");
}
