//! The lean request path: anonymous visitors get no cookie unless the page
//! has a form they may send (and then a working CSRF token), static assets
//! go out precompressed (brotli, gzip or as they are, by `Accept-Encoding`)
//! with `Vary`, `ETag` and 304, and small bodies are never compressed.

use std::io::Read;

use signpost::auth::Role;
use signpost::web::assets;

use crate::harness::{csrf_of, Raw, TestApp};

const BROWSER: &str = "gzip, deflate, br";

impl Raw {
    /// The body decoded as its `Content-Encoding` says.
    fn decoded(&self) -> Vec<u8> {
        let mut out = Vec::new();
        match self.header("content-encoding") {
            "" => out.clone_from(&self.body),
            "gzip" => {
                flate2::read::GzDecoder::new(&self.body[..])
                    .read_to_end(&mut out)
                    .expect("a valid gzip body");
            }
            "br" => {
                brotli::BrotliDecompress(&mut &self.body[..], &mut out)
                    .expect("a valid brotli body");
            }
            other => panic!("unexpected content-encoding {other}"),
        }
        out
    }
}

#[actix_web::test]
async fn anonymous_pages_without_a_form_set_no_cookie() {
    let app = TestApp::shipped().await;
    app.wait_indexed();
    for path in [
        "/",
        "/questions",
        "/docs",
        "/search?q=router",
        "/nowhere-at-all",
    ] {
        let page = app.get_raw(path, &[("accept-encoding", BROWSER)]).await;
        assert!(
            [200, 404].contains(&page.status),
            "{path}: status {}",
            page.status
        );
        assert_eq!(
            page.headers.get_all("set-cookie").count(),
            0,
            "{path} set a cookie on a visitor without one: {:?}",
            page.headers.get_all("set-cookie").collect::<Vec<_>>()
        );
    }
}

#[actix_web::test]
async fn guest_form_pages_get_a_token_and_its_cookie() {
    let app = TestApp::shipped().await;
    // The sign-in and sign-up forms, and an article's feedback form.
    for path in ["/login", "/register", "/docs/getting-started/configuration"] {
        let page = app.get_raw(path, &[("accept-encoding", BROWSER)]).await;
        assert_eq!(page.status, 200, "{path}");
        let body = String::from_utf8(page.decoded()).expect("utf-8 page");
        let token = csrf_of(&body).unwrap_or_else(|| panic!("no csrf field on {path}"));
        let cookies: Vec<&str> = page
            .headers
            .get_all("set-cookie")
            .filter_map(|v| v.to_str().ok())
            .collect();
        assert!(
            cookies
                .iter()
                .any(|c| c.starts_with(&format!("sp_csrf={token};"))),
            "{path}: the form's token {token} is not the cookie's: {cookies:?}"
        );
    }
    // And the flows still work end to end for a guest who starts cookieless.
    let guest = app.client();
    let registered = guest.register("newcomer", "quiet harbor lantern 9").await;
    assert_eq!(registered.status, 303, "{}", registered.body);
    assert!(guest.has_session());
}

#[actix_web::test]
async fn static_assets_are_served_precompressed() {
    let app = TestApp::shipped().await;
    let url = assets::STYLESHEET_URL.as_str();
    let stylesheet = assets::STYLESHEET.as_bytes();

    let br = app.get_raw(url, &[("accept-encoding", BROWSER)]).await;
    assert_eq!(br.status, 200);
    assert_eq!(br.header("content-encoding"), "br");
    assert_eq!(br.header("vary").to_ascii_lowercase(), "accept-encoding");
    assert_eq!(
        br.header("cache-control"),
        "public, max-age=31536000, immutable"
    );
    assert_eq!(br.header("content-type"), "text/css; charset=utf-8");
    assert!(
        br.body.len() < stylesheet.len() / 3,
        "{} bytes",
        br.body.len()
    );
    assert_eq!(br.decoded(), stylesheet, "encoded once, not twice");

    let gz = app
        .get_raw(url, &[("accept-encoding", "gzip, deflate")])
        .await;
    assert_eq!(gz.header("content-encoding"), "gzip");
    assert_eq!(gz.decoded(), stylesheet);
    let preferred = app
        .get_raw(url, &[("accept-encoding", "br;q=0.4, gzip;q=0.8")])
        .await;
    assert_eq!(
        preferred.header("content-encoding"),
        "gzip",
        "q-values decide"
    );

    let plain = app.get_raw(url, &[]).await;
    assert_eq!(plain.header("content-encoding"), "");
    assert_eq!(plain.body, stylesheet);
    assert_eq!(plain.header("vary").to_ascii_lowercase(), "accept-encoding");
    let refused = app
        .get_raw(url, &[("accept-encoding", "br;q=0, gzip;q=0")])
        .await;
    assert_eq!(refused.header("content-encoding"), "");
    assert_eq!(refused.body, stylesheet);

    // Each variant has its own ETag; any of them revalidates.
    let etags = [br.header("etag"), gz.header("etag"), plain.header("etag")];
    assert!(etags.iter().all(|e| e.starts_with('"') && e.len() > 2));
    assert!(etags[0] != etags[1] && etags[1] != etags[2] && etags[0] != etags[2]);
    for etag in etags {
        let again = app
            .get_raw(
                url,
                &[("accept-encoding", BROWSER), ("if-none-match", etag)],
            )
            .await;
        assert_eq!(again.status, 304, "If-None-Match {etag}");
        assert!(again.body.is_empty());
        assert_eq!(again.header("etag"), etags[0]);
        assert_eq!(again.header("vary").to_ascii_lowercase(), "accept-encoding");
    }
    let weak = app
        .get_raw(url, &[("if-none-match", &format!("W/{}", etags[2]))])
        .await;
    assert_eq!(weak.status, 304);
    let stale = app.get_raw(url, &[("if-none-match", "\"0123\"")]).await;
    assert_eq!(stale.status, 200);
    assert_eq!(stale.body, stylesheet);

    // The plain name is revalidated; the script and the icon are
    // fingerprinted too, and the pages link those URLs.
    let unversioned = app
        .get_raw("/static/style.css", &[("accept-encoding", BROWSER)])
        .await;
    assert_eq!(unversioned.header("cache-control"), "no-cache");
    assert_eq!(unversioned.decoded(), stylesheet);
    let script = app
        .get_raw(&assets::ASK_SCRIPT_URL, &[("accept-encoding", BROWSER)])
        .await;
    assert_eq!(script.header("content-encoding"), "br");
    assert_eq!(script.decoded(), assets::ASK_SCRIPT.as_bytes());
    let home = app.get_raw("/", &[]).await;
    let home = String::from_utf8(home.body).expect("utf-8");
    assert!(home.contains(assets::FAVICON_URL.as_str()), "{home}");
    let member = app.signed_in("asker", Role::Member).await;
    let ask = member.get("/questions/ask").await;
    ask.assert_contains(assets::ASK_SCRIPT_URL.as_str());

    let missing = app.get_raw("/static/style.000000000000.css", &[]).await;
    assert_eq!(missing.status, 404);
}

#[actix_web::test]
async fn small_bodies_go_out_uncompressed_and_pages_compressed() {
    let app = TestApp::shipped().await;
    let icon = app
        .get_raw(&assets::FAVICON_URL, &[("accept-encoding", BROWSER)])
        .await;
    assert_eq!(icon.status, 200);
    assert!(icon.body.len() < 1024, "the icon is small");
    assert_eq!(icon.header("content-encoding"), "");
    assert_eq!(icon.header("vary"), "", "the icon has only one form");
    assert_eq!(icon.body, assets::FAVICON.as_bytes());
    assert_eq!(icon.header("x-content-type-options"), "nosniff");

    let health = app
        .get_raw("/healthz", &[("accept-encoding", BROWSER)])
        .await;
    assert_eq!(health.status, 200);
    assert!(health.body.len() < 1024, "{} bytes", health.body.len());
    assert_eq!(health.header("content-encoding"), "");

    // A page is compressed as asked, fast (gzip, the faster coding, when
    // the browser takes both alike), and still carries its headers.
    for (accept, coding) in [
        (BROWSER, "gzip"),
        ("br", "br"),
        ("gzip", "gzip"),
        ("identity", ""),
    ] {
        let home = app.get_raw("/", &[("accept-encoding", accept)]).await;
        assert_eq!(home.status, 200);
        assert_eq!(home.header("content-encoding"), coding, "{accept}");
        assert_eq!(home.header("vary").to_ascii_lowercase(), "accept-encoding");
        assert!(home
            .header("content-security-policy")
            .contains("default-src 'self'"));
        assert_eq!(home.header("x-frame-options"), "DENY");
        let html = String::from_utf8(home.decoded()).expect("utf-8 page");
        assert!(html.contains("</html>"), "{accept}: {html}");
        if !coding.is_empty() {
            assert!(home.body.len() < html.len() / 2, "{accept}");
        }
    }
}

/// A signed-in page, rendered per request, is compressed with gzip when the
/// browser takes gzip and brotli alike (gzip level 1 is several times faster
/// than brotli quality 1 and smaller on such pages), with brotli when only
/// brotli is taken, and decodes to the page itself either way.
#[actix_web::test]
async fn signed_in_pages_are_compressed_with_the_faster_coding() {
    let app = TestApp::shipped().await;
    let ann = app.member("ann").await;
    let q = ann
        .asks(
            "Printer drops off the network every night",
            crate::fixtures::BODY,
            "printer",
        )
        .await;
    let cookies = ann.cookies();
    let plain = app
        .get_raw(
            &q.path,
            &[("cookie", &cookies), ("accept-encoding", "identity")],
        )
        .await;
    assert_eq!(plain.status, 200);
    assert_eq!(plain.header("content-encoding"), "");
    let html = String::from_utf8(plain.body.clone()).expect("utf-8 page");
    assert!(html.contains("Sign out"), "signed in: {html}");
    for (accept, coding) in [(BROWSER, "gzip"), ("br", "br"), ("br, gzip;q=0.5", "br")] {
        let page = app
            .get_raw(
                &q.path,
                &[("cookie", &cookies), ("accept-encoding", accept)],
            )
            .await;
        assert_eq!(page.status, 200);
        assert_eq!(page.header("content-encoding"), coding, "{accept}");
        assert_eq!(page.header("vary").to_ascii_lowercase(), "accept-encoding");
        let decoded = String::from_utf8(page.decoded()).expect("utf-8 page");
        assert!(decoded.contains("Printer drops off the network every night"));
        assert!(decoded.ends_with("</html>\n") || decoded.trim_end().ends_with("</html>"));
        assert!(
            page.body.len() < html.len() / 2,
            "{accept}: {} bytes",
            page.body.len()
        );
    }
}
