//! Every route with hostile path parameters, query strings, bodies and
//! headers, from a fixed seed: no 5xx, no redirect off the site, bounded
//! time per request. The routes are read from `src/web/routes.rs`, so a new
//! route is covered the day it is added.

use std::time::{Duration, Instant};

use actix_web::test::TestRequest;
use signpost::auth::Role;

use crate::harness::{Client, Page, TestApp, TEST_PASSWORD};

/// The route table, as written.
const ROUTES_SOURCE: &str = include_str!("../../src/web/routes.rs");

/// Longest a single hostile request may take (debug build, shared machine:
/// generous; the failures this guards against took tens of seconds).
const REQUEST_BUDGET: Duration = Duration::from_secs(10);

/// Hostile requests per route and visitor.
const CASES_PER_ROUTE: usize = 12;

/// `(method, path pattern)` of every registered route.
fn routes() -> Vec<(&'static str, String)> {
    let mut found = Vec::new();
    let mut rest = ROUTES_SOURCE;
    while let Some(at) = rest.find(".route(") {
        rest = &rest[at + ".route(".len()..];
        let Some(open) = rest.find('"') else { break };
        let Some(len) = rest[open + 1..].find('"') else {
            break;
        };
        let path = rest[open + 1..open + 1 + len].to_string();
        let tail = &rest[open + 1 + len..];
        let method = match (tail.find("web::get()"), tail.find("web::post()")) {
            (Some(g), Some(p)) if g < p => "GET",
            (Some(_), Some(_)) => "POST",
            (Some(_), None) => "GET",
            (None, Some(_)) => "POST",
            (None, None) => continue,
        };
        found.push((method, path));
    }
    found
}

/// A small deterministic generator (xorshift64*), so a failure reproduces.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[(self.next() % items.len() as u64) as usize]
    }

    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }
}

/// Values for path parameters, already percent-encoded where needed.
const PATH_VALUES: &[&str] = &[
    "1",
    "0",
    "-1",
    "2147483648",
    "99999999999999999999999",
    "guide",
    "getting-started",
    "cannot-sign-in",
    "%00",
    "%FF%FE",
    "..%2F..%2Fetc%2Fpasswd",
    "%2e%2e",
    "%E2%80%AE",
    "%3Cscript%3Ealert(1)%3C%2Fscript%3E",
    "'%20OR%201=1--",
    "a.b.c",
    "%20",
    "1e9",
];

/// Hostile query and form values (percent-encoded).
const VALUES: &[&str] = &[
    "",
    "0",
    "-1",
    "18446744073709551616",
    "NaN",
    "%00",
    "%01%02%1F",
    "%7F",
    "%C3%28",
    "%",
    "%%",
    "%E2%80%AE",
    "//evil.example",
    "/%09/evil.example",
    "/%7F",
    "/%01x",
    "https://evil.example",
    "javascript:alert(1)",
    "/%5Cevil.example",
    "%3Cscript%3Ealert(1)%3C/script%3E",
    "%3Cimg%20src=x%20onerror=alert(1)%3E",
    "'%22;--",
    "a%26b%3Dc",
    "%F0%9F%92%A9",
    "yes",
    "no",
    "post",
    "preview",
    "up",
    "down",
    "close",
    "delete",
    "admin",
];

/// Parameter names the site reads somewhere.
const KEYS: &[&str] = &[
    "q",
    "next",
    "u",
    "s",
    "p",
    "page",
    "kind",
    "node",
    "after",
    "before",
    "tag",
    "title",
    "body",
    "tags",
    "fb",
    "feedback",
    "action",
    "reason",
    "role",
    "display_name",
    "username",
    "password",
    "password_confirm",
    "current",
    "submit_key",
    "base",
    "from",
    "to",
    "sort",
    "tab",
    "helpful",
    "comment",
    "back",
    "value",
    "id",
    "duplicate_of",
    "status",
    "weight",
    "slug",
    "manual",
    "description",
    "text",
    "outcome",
    "key",
    "start",
];

/// Hostile units: repeated, they make long or deeply nested text.
const UNITS: &[&str] = &[
    "a",
    "%3E",
    "-%20",
    "1.%20",
    "%5B",
    "%2A",
    "%3Cb%3E",
    "%F0%9F%92%A9",
    "%3E%20-%20",
    "%60",
];

/// Copies of a hostile unit filling about `bytes` once encoded (URIs stop
/// at 64 KiB; bodies may carry up to the 256 KiB cap).
fn big_value(rng: &mut Rng, bytes: usize) -> String {
    let unit = rng.pick(UNITS);
    unit.repeat(bytes / unit.len())
}

/// Copies of a hostile unit making about `chars` characters once decoded:
/// just under the posting limits, so the text reaches the renderer.
fn nested_value(unit: &str, chars: usize) -> String {
    let decoded: String = form_urlencoded::parse(format!("v={unit}").as_bytes())
        .map(|(_, v)| v.into_owned())
        .collect();
    unit.repeat(chars / decoded.chars().count().max(1))
}

fn query(rng: &mut Rng, csrf: Option<&str>, scale: usize) -> String {
    let mut pairs = Vec::new();
    if let Some(token) = csrf {
        pairs.push(format!("csrf={token}"));
    }
    let mut big_sent = false;
    for _ in 0..(1 + rng.next() % 6) {
        let key = rng.pick(KEYS);
        // One long value at most: URIs stop at 64 KiB.
        let value = if !big_sent && rng.chance(10) {
            big_sent = true;
            big_value(rng, scale)
        } else {
            rng.pick(VALUES).to_string()
        };
        pairs.push(format!("{key}={value}"));
        if rng.chance(10) && value.len() < 100 {
            pairs.push(format!("{key}[]={value}"));
        }
    }
    pairs.join("&")
}

fn fill_path(pattern: &str, rng: &mut Rng) -> String {
    let mut out = String::new();
    let mut rest = pattern;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let close = rest[open..].find('}').map_or(rest.len(), |c| open + c + 1);
        if rng.chance(15) {
            out.push_str(&"x".repeat(3000));
        } else {
            out.push_str(rng.pick(PATH_VALUES));
        }
        rest = &rest[close.min(rest.len())..];
    }
    out.push_str(rest);
    out
}

/// Header sets a hostile client might send.
fn headers(rng: &mut Rng) -> Vec<(&'static str, String)> {
    let mut headers = Vec::new();
    let choices: &[(&str, &[&str])] = &[
        (
            "accept-encoding",
            &["br, gzip", "identity;q=0, *;q=0", "br;q=2, zz, , ,"],
        ),
        ("if-none-match", &["\"x\"", "*", "W/\"garbage"]),
        (
            "if-modified-since",
            &["yesterday", "Thu, 01 Jan 1970 00:00:00 GMT", "9999"],
        ),
        (
            "x-forwarded-for",
            &["1.2.3.4, 5.6.7.8", "garbage", "[::1]:80, ::ffff:1.2.3.4"],
        ),
        ("accept", &["application/json", "*/*", "text/html;q=nope"]),
        ("range", &["bytes=0-1", "bytes=9999999999-"]),
        ("referer", &["https://evil.example/", "javascript:alert(1)"]),
    ];
    for (name, values) in choices {
        if rng.chance(30) {
            headers.push((*name, rng.pick(values).to_string()));
        }
    }
    headers
}

fn content_type(rng: &mut Rng) -> &'static str {
    rng.pick(&[
        "application/x-www-form-urlencoded",
        "application/x-www-form-urlencoded",
        "application/x-www-form-urlencoded",
        "application/json",
        "text/plain",
        "multipart/form-data; boundary=x",
    ])
}

/// A form post with a valid token whose text field carries a heavy value:
/// `unit` nested just under the posting limits (what makes renderers
/// slow), or without a unit a random value filling the body cap.
async fn heavy_request(
    client: &Client<'_>,
    pattern: &str,
    csrf: &str,
    unit: Option<&str>,
    rng: &mut Rng,
) -> (String, Page, Duration) {
    let path = fill_path(pattern, rng);
    // Every text the site renders as markdown comes in a `body` field.
    let (key, value) = match unit {
        Some(unit) => ("body", nested_value(unit, 29_000)),
        None => (
            rng.pick(&["body", "text", "comment", "description", "title"]),
            big_value(rng, 200_000),
        ),
    };
    let body =
        format!("csrf={csrf}&action=preview&tags=printer&title=Printer+blinks+amber&{key}={value}");
    let request = TestRequest::post()
        .uri(&path)
        .insert_header(("content-type", "application/x-www-form-urlencoded"))
        .set_payload(body);
    let started = Instant::now();
    let page = client.send(request).await;
    (
        format!("POST {path:.300} heavy {:.30}", value),
        page,
        started.elapsed(),
    )
}

/// One hostile request; returns the page and how long it took.
async fn hostile_request(
    client: &Client<'_>,
    method: &str,
    pattern: &str,
    csrf: &str,
    rng: &mut Rng,
) -> (String, Page, Duration) {
    let path = fill_path(pattern, rng);
    let with_csrf = rng.chance(70).then_some(csrf);
    let mut uri = path.clone();
    if method == "GET" || rng.chance(30) {
        uri = format!("{path}?{}", query(rng, None, 12_000));
    }
    let mut request = match method {
        "GET" => TestRequest::get().uri(&uri),
        _ => {
            let body = if rng.chance(3) {
                // Over the 256 KiB body cap.
                "body=".to_string() + &"a".repeat(300 * 1024)
            } else if rng.chance(5) {
                "{\"title\": [1, 2], \"body\": null}".to_string()
            } else {
                query(rng, with_csrf, 60_000)
            };
            TestRequest::post()
                .uri(&uri)
                .insert_header(("content-type", content_type(rng)))
                .set_payload(body)
        }
    };
    for (name, value) in headers(rng) {
        request = request.insert_header((name, value));
    }
    let started = Instant::now();
    let page = client.send(request).await;
    (format!("{method} {uri:.300}"), page, started.elapsed())
}

fn check(what: &str, page: &Page, took: Duration) {
    assert!(
        page.status < 500,
        "{what} answered {}:\n{:.2000}",
        page.status,
        page.body
    );
    if (300..400).contains(&page.status) {
        let location = page.header("location");
        assert!(
            signpost::web::paths::local_target(location).is_ok(),
            "{what} redirected off the site to {location:?}"
        );
    }
    assert!(took < REQUEST_BUDGET, "{what} took {took:?}");
}

async fn fuzz_as(app: &TestApp, client: &Client<'_>, seed: u64) -> usize {
    let form_page = if client.has_session() {
        "/account"
    } else {
        "/register"
    };
    let csrf = client.csrf(form_page).await;
    let mut rng = Rng(seed);
    let mut sent = 0;
    for (method, pattern) in routes() {
        // Signing out would end the visitor's session half way.
        if pattern == "/logout" {
            continue;
        }
        for _ in 0..CASES_PER_ROUTE {
            let (what, page, took) =
                hostile_request(client, method, &pattern, &csrf, &mut rng).await;
            check(&what, &page, took);
            sent += 1;
        }
        if method == "POST" {
            for unit in UNITS.iter().copied().map(Some).chain([None, None]) {
                let (what, page, took) =
                    heavy_request(client, &pattern, &csrf, unit, &mut rng).await;
                check(&what, &page, took);
                sent += 1;
            }
        }
        // The site stays up for everyone after each route's abuse.
        assert_eq!(
            app.get("/healthz").await.status,
            200,
            "after {method} {pattern}"
        );
    }
    sent
}

#[actix_web::test]
async fn every_route_survives_hostile_input() {
    let app = TestApp::shipped().await;
    let routes = routes();
    assert!(
        routes.len() >= 60,
        "the route table was not read: {routes:?}"
    );
    assert!(routes.contains(&("POST", "/login".to_string())));
    // Some real things for the ids to hit.
    let member = app.member("fuzz_member").await;
    let asked = member
        .submit(
            "/questions/ask",
            "/questions/ask",
            &[
                ("title", "Printer light blinks amber after update"),
                (
                    "body",
                    "After the update the light blinks amber and nothing prints.",
                ),
                ("tags", "printer"),
                ("action", "post"),
            ],
        )
        .await;
    assert_eq!(asked.status, 303, "{}", asked.body);
    let anonymous = app.client();
    let sent = fuzz_as(&app, &anonymous, 0x5eed_0001).await;
    let sent = sent + fuzz_as(&app, &member, 0x5eed_0002).await;
    app.create_user("fuzz_admin", Role::Admin);
    // From its own address: the anonymous round used up sign-ins.
    let mut admin = app.client();
    admin.ip = "198.51.100.44".into();
    assert_eq!(admin.login("fuzz_admin", TEST_PASSWORD).await.status, 303);
    let sent = sent + fuzz_as(&app, &admin, 0x5eed_0003).await;
    assert!(sent > 1000, "only {sent} requests were sent");
}
