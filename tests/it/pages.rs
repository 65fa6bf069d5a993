//! Every page renders, keeps the layout, and sends the security headers.

use crate::fixtures::article;
use crate::harness::TestApp;

#[actix_web::test]
async fn home_lists_manuals_behind_a_search_box() {
    let app = TestApp::shipped().await;
    let page = app.get("/").await;
    assert_eq!(page.status, 200);
    page.assert_contains("<form class=\"search-form\" action=\"/search\"");
    page.assert_contains("Getting started");
    page.assert_contains("Operations");
    assert!(page.header("content-type").starts_with("text/html"));
}

#[actix_web::test]
async fn docs_index_and_manual_toc_follow_weights() {
    let app = TestApp::builder()
        .file(
            "manuals/guide/_index.md",
            "+++\ntitle = \"Guide\"\ndescription = \"All about it\"\n+++\nWelcome **here**.\n",
        )
        .file("manuals/guide/zeta.md", &article("Zeta first", 1, "z"))
        .file("manuals/guide/alpha.md", &article("Alpha second", 2, "a"))
        .start();
    let index = app.get("/docs").await;
    assert_eq!(index.status, 200);
    index.assert_contains("All about it");
    let toc = app.get("/docs/guide").await;
    assert_eq!(toc.status, 200);
    toc.assert_contains("<strong>here</strong>");
    let zeta = toc.body.find("Zeta first").expect("zeta listed");
    let alpha = toc.body.find("Alpha second").expect("alpha listed");
    assert!(
        zeta < alpha,
        "chapters follow front matter weight, not names"
    );
}

#[actix_web::test]
async fn article_page_has_breadcrumbs_toc_pager_date_and_outdated_notice() {
    let app = TestApp::guide()
        .file("manuals/guide/one.md", &article("One", 1, "## First part\n\ntext\n\n### Detail\n\nmore"))
        .file(
            "manuals/guide/two.md",
            "+++\ntitle = \"Two\"\nweight = 2\noutdated = \"Replaced by the new flow.\"\nupdated = 2026-03-04\ntags = [\"Setup\"]\n+++\n## Steps\n",
        )
        .file("manuals/guide/three.md", &article("Three", 3, "end"))
        .start();
    let one = app.get("/docs/guide/one").await;
    assert_eq!(one.status, 200);
    one.assert_contains("<h2 id=\"first-part\">");
    one.assert_contains("href=\"#first-part\"");
    one.assert_contains("class=\"toc-l3\"");
    one.assert_contains("Last updated");
    assert!(!one.body.contains("out of date"));

    let two = app.get("/docs/guide/two").await;
    assert_eq!(two.status, 200);
    two.assert_contains("This article is out of date.</strong> Replaced by the new flow.");
    two.assert_contains("4 Mar 2026");
    two.assert_contains("datetime=\"2026-03-04\"");
    two.assert_contains("<span class=\"tag\">setup</span>");
    // Breadcrumbs and previous/next within the manual.
    two.assert_contains("class=\"breadcrumbs\"");
    two.assert_contains(">Guide</a>");
    two.assert_contains("rel=\"prev\"><span>Previous</span>One</a>");
    two.assert_contains("rel=\"next\"><span>Next</span>Three</a>");
}

#[actix_web::test]
async fn unknown_pages_get_a_404_page_with_layout_and_search() {
    let app = TestApp::shipped().await;
    for path in [
        "/nope",
        "/docs/no-such-manual",
        "/docs/getting-started/no-such-article",
        "/static/nothing.js",
    ] {
        let page = app.get(path).await;
        assert_eq!(page.status, 404, "{path}");
        page.assert_contains("Page not found");
        page.assert_contains("action=\"/search\"");
        page.assert_contains("class=\"site-header\"");
    }
    let manual = app.get("/docs/no-such-manual").await;
    manual.assert_contains("There is no manual called");
}

#[actix_web::test]
async fn wrong_method_and_odd_paths_never_500() {
    let app = TestApp::shipped().await;
    for path in [
        "/docs/%FF%FE",
        "/docs/getting-started/%00",
        "/search?%ZZ=1",
        "/docs/a/b/c/d",
        "//",
        "/docs/..%2F..%2Fetc",
    ] {
        let page = app.get(path).await;
        assert!(page.status < 500, "{path} gave {}", page.status);
    }
}

#[actix_web::test]
async fn security_headers_on_every_page() {
    let app = TestApp::shipped().await;
    for path in ["/", "/docs", "/search?q=x", "/nope"] {
        let page = app.get(path).await;
        let csp = page.header("content-security-policy");
        assert!(csp.contains("frame-ancestors 'none'"), "{path}: {csp}");
        assert!(
            csp.contains("script-src 'self'") && !csp.contains("unsafe-inline"),
            "{path}: {csp}"
        );
        assert_eq!(page.header("x-content-type-options"), "nosniff", "{path}");
        assert_eq!(
            page.header("referrer-policy"),
            "strict-origin-when-cross-origin",
            "{path}"
        );
    }
}

#[actix_web::test]
async fn stylesheet_is_fingerprinted_and_cached_forever() {
    let app = TestApp::shipped().await;
    let home = app.get("/").await;
    let start = home.body.find("/static/style.").expect("stylesheet link");
    let end = start + home.body[start..].find('"').expect("end of href");
    let url = &home.body[start..end];
    let css = app.get(url).await;
    assert_eq!(css.status, 200);
    assert!(css.header("cache-control").contains("immutable"));
    assert!(css.header("content-type").starts_with("text/css"));
    assert!(css.body.contains(".admonition"));
}

#[actix_web::test]
async fn healthz_reports_database_and_index() {
    let app = TestApp::shipped().await;
    let page = app.get("/healthz").await;
    assert_eq!(page.status, 200);
    let json: serde_json::Value = serde_json::from_str(&page.body).expect("json");
    assert_eq!(json["database"], "ok");
    assert_eq!(json["index"], "ok");
    assert!(json["documents"].as_u64().unwrap_or(0) >= 12);
}

#[actix_web::test]
async fn shipped_articles_all_render_with_their_markdown_features() {
    let app = TestApp::shipped().await;
    let mut conn = app.started().state.db.get().expect("db");
    let manuals = signpost::db::models::manuals::list(&mut conn).expect("manuals");
    assert!(manuals.len() >= 3, "at least 3 manuals shipped");
    let mut count = 0;
    let mut all = String::new();
    for m in &manuals {
        for a in signpost::db::models::articles::list_for_manual(&mut conn, m.id, false)
            .expect("articles")
        {
            let page = app.get(&format!("/docs/{}/{}", m.slug, a.slug)).await;
            assert_eq!(page.status, 200, "{}/{}", m.slug, a.slug);
            all.push_str(&page.body);
            count += 1;
        }
    }
    assert!(count >= 12, "at least 12 articles shipped, found {count}");
    for feature in [
        "<table>",
        "class=\"admonition",
        "class=\"highlight\"",
        "footnote-definition",
        "type=\"checkbox\"",
        "<del>",
    ] {
        assert!(all.contains(feature), "shipped manuals show {feature}");
    }
}

#[actix_web::test]
async fn markdown_in_content_is_sanitized_on_the_page() {
    let app = TestApp::guide()
        .file(
            "manuals/guide/evil.md",
            &article("Evil", 1, "<script>alert(1)</script>\n\n<img src=x onerror=\"alert(2)\">\n\n[x](javascript:alert(3))"),
        )
        .start();
    let page = app.get("/docs/guide/evil").await;
    assert_eq!(page.status, 200);
    let body = page.body.to_lowercase();
    assert!(!body.contains("<script"), "{body}");
    assert!(!body.contains("onerror"), "{body}");
    assert!(!body.contains("javascript:"), "{body}");
}

#[actix_web::test]
async fn article_pages_answer_304_when_unchanged_and_compress() {
    // The article handler's own answers: with the page cache on, whether the
    // second request is rendered or a hit would depend on how fast the first
    // was stored (hits of pages with a form token carry no ETag; see
    // `page_cache::pages_with_a_guest_form_never_answer_304_by_date`).
    let app = TestApp::guide()
        .file("manuals/guide/one.md", "+++\ntitle = \"One\"\nupdated = 2026-01-05\n+++\nSome text that is long enough to be worth compressing. Some text that is long enough to be worth compressing.\n")
        .configure(|c| c.page_cache_mb = 0)
        .start();
    let first = app.get("/docs/guide/one").await;
    assert_eq!(first.status, 200);
    let etag = first.header("etag").to_string();
    assert!(etag.starts_with("W/\""), "{etag}");
    assert_eq!(
        first.header("last-modified"),
        "Mon, 05 Jan 2026 00:00:00 GMT"
    );
    // The page carries the visitor's form token: reuse its cookie, as a browser would.
    let cookie = first
        .headers
        .get_all("set-cookie")
        .filter_map(|v| v.to_str().ok())
        .find(|c| c.starts_with("sp_csrf="))
        .expect("csrf cookie");
    let cookie = cookie.split(';').next().expect("pair").to_string();
    let again = app
        .get_with("/docs/guide/one", &[("cookie", &cookie)])
        .await;
    let etag = again.header("etag").to_string();
    let cached = app
        .get_with(
            "/docs/guide/one",
            &[("cookie", &cookie), ("if-none-match", &etag)],
        )
        .await;
    assert_eq!(cached.status, 304);
    assert!(cached.body.is_empty());
    let stale = app
        .get_with(
            "/docs/guide/one",
            &[("cookie", &cookie), ("if-none-match", "W/\"0000\"")],
        )
        .await;
    assert_eq!(stale.status, 200);
    let by_date = app
        .get_with(
            "/docs/guide/one",
            &[
                ("cookie", &cookie),
                ("if-modified-since", "Tue, 06 Jan 2026 00:00:00 GMT"),
            ],
        )
        .await;
    assert_eq!(
        by_date.status, 200,
        "a date cannot vouch for a page with a form token: only its ETag can"
    );
    let older = app
        .get_with(
            "/docs/guide/one",
            &[
                ("cookie", &cookie),
                ("if-modified-since", "Sun, 04 Jan 2026 00:00:00 GMT"),
            ],
        )
        .await;
    assert_eq!(older.status, 200);
    for encoding in ["br", "gzip"] {
        let page = app
            .get_with("/docs/guide/one", &[("accept-encoding", encoding)])
            .await;
        assert_eq!(page.header("content-encoding"), encoding);
    }
}

#[actix_web::test]
async fn pages_link_and_post_to_the_urls_routes_serve() {
    let app = TestApp::guide().start();
    let ann = app.member("ann").await;
    let ada = app.admin("ada").await;
    ann.asks(
        "Why does the C++ driver crash?",
        crate::fixtures::BODY,
        "c++",
    )
    .await;
    let settings = ann.get("/account").await;
    settings.assert_contains("<a href=\"/users/ann\">View your public profile</a>");
    let tagged = app.client().get("/tags/c%2B%2B").await;
    assert_eq!(tagged.status, 200, "{}", tagged.body);
    tagged.assert_contains("href=\"/questions/ask?tags=c%2B%2B\">Ask a question</a>");
    let all = app.client().get("/questions").await;
    all.assert_contains("href=\"/questions/ask\">Ask a question</a>");
    let users = ada.get("/staff/users?q=ann").await;
    let ann_id = {
        let mut conn = app.started().state.db.get().expect("db");
        signpost::db::models::users::find_by_key(&mut conn, "ann")
            .expect("q")
            .expect("ann")
            .id
    };
    users.assert_contains(&format!("action=\"/staff/users/{ann_id}/role\""));
    users.assert_contains(&format!("action=\"/staff/users/{ann_id}/suspend\""));
}

#[actix_web::test]
async fn staff_find_users_by_display_name_in_any_case() {
    let app = TestApp::guide().start();
    let ada = app.admin("ada").await;
    {
        let mut conn = app.started().state.db.get().expect("db");
        let name = signpost::auth::username::validate("mduras").expect("name");
        signpost::service::accounts::create_user(
            &mut conn,
            &name,
            "Marguerite Duras",
            None,
            signpost::auth::Role::Member,
            signpost::db::unix_now(),
        )
        .expect("create")
        .expect("free");
    }
    for q in ["DURAS", "marguerite", "Duras"] {
        let page = ada.get(&format!("/staff/users?q={q}")).await;
        assert_eq!(page.status, 200, "{}", page.body);
        page.assert_contains("Marguerite Duras");
    }
    let page = ada.get("/staff/users?q=proust").await;
    assert!(!page.body.contains("Marguerite Duras"), "{}", page.body);
}
