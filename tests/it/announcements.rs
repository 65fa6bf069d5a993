//! Announcements: the lifecycle of a banner (planned, shown on anonymous and
//! signed-in pages, dismissed per browser with a cookie, shown again when
//! changed, gone when ended), who may manage them, escaping of what staff
//! write, and the Atom feed of updates.

use std::collections::BTreeMap;

use quick_xml::events::Event;
use quick_xml::Reader;
use signpost::db::unix_now;
use signpost::ids::AnnouncementId;
use signpost::kinds::Severity;
use signpost::service::announcements::{self, format_utc};

use crate::harness::{csrf_of, Page, TestApp};

const HOUR: i64 = 3600;

/// The announcement banners of a page: their `id="banner-N"` ids.
fn banner_ids(page: &Page) -> Vec<String> {
    page.body
        .split("<aside class=\"announcement ")
        .skip(1)
        .filter_map(|part| {
            let at = part.find("id=\"banner-")? + "id=\"".len();
            let end = part[at..].find('"')? + at;
            Some(part[at..end].to_string())
        })
        .collect()
}

/// The id in the first `/staff/announcements/N/edit` link of a page.
fn first_edit_id(page: &Page) -> i32 {
    page.body
        .split("/staff/announcements/")
        .skip(1)
        .find_map(|rest| rest.split_once("/edit").and_then(|(id, _)| id.parse().ok()))
        .unwrap_or_else(|| panic!("no edit link in {}", page.body))
}

/// The part of the staff list under the section with id `key`.
fn section<'p>(page: &'p Page, key: &str) -> &'p str {
    let marker = format!("id=\"{key}\"");
    let start = page.body.find(&marker).expect("section");
    let rest = &page.body[start..];
    let end = rest[marker.len()..]
        .find("<section")
        .map_or(rest.len(), |e| e + marker.len());
    &rest[..end]
}

fn form<'a>(
    title: &'a str,
    body: &'a str,
    severity: &'a str,
    starts: &'a str,
    ends: &'a str,
) -> Vec<(&'a str, &'a str)> {
    vec![
        ("title", title),
        ("body", body),
        ("severity", severity),
        ("starts", starts),
        ("ends", ends),
    ]
}

#[actix_web::test]
async fn announcement_lifecycle_planned_shown_dismissed_changed_ended() {
    let app = TestApp::guide().start();
    let staff = app.staff("ops").await;
    let now = unix_now();
    let (soon, later) = (format_utc(now + 2 * HOUR), format_utc(now + 4 * HOUR));
    let page = staff
        .submit(
            "/staff/announcements/new",
            "/staff/announcements/new",
            &form(
                "Printer firmware upgrade",
                "Printing pauses for **10 minutes**.",
                "warning",
                &soon,
                &later,
            ),
        )
        .await;
    assert_eq!(page.status, 303, "{}", page.body);
    assert_eq!(page.header("location"), "/staff/announcements?done=created");

    // Planned: on the staff page, not on any page yet.
    let list = staff.get("/staff/announcements").await;
    assert!(section(&list, "planned").contains("Printer firmware upgrade"));
    assert!(!section(&list, "live").contains("Printer firmware upgrade"));
    let id = first_edit_id(&list);
    let guest = app.client();
    assert!(banner_ids(&guest.get("/docs").await).is_empty());
    assert!(banner_ids(&staff.get("/questions").await).is_empty());

    // Moved to have started: the banner is on anonymous and signed-in pages.
    let started = format_utc(now - 60);
    let edit = format!("/staff/announcements/{id}/edit");
    let page = staff
        .submit(
            &edit,
            &edit,
            &form(
                "Printer firmware upgrade",
                "Printing pauses for **10 minutes**.",
                "warning",
                &started,
                &later,
            ),
        )
        .await;
    assert_eq!(page.status, 303, "{}", page.body);
    let banner = format!("banner-{id}");
    for path in ["/", "/docs", "/docs/guide", "/questions", "/no-such-page"] {
        let page = guest.get(path).await;
        assert_eq!(
            banner_ids(&page),
            [banner.as_str()],
            "{path}: {}",
            page.body
        );
        page.assert_contains(
            "Printer firmware upgrade</strong> Printing pauses for <strong>10 minutes</strong>.",
        );
        page.assert_contains("class=\"announcement announcement-warning\"");
    }
    let member = app.member("reader").await;
    assert_eq!(
        banner_ids(&member.get("/questions").await),
        [banner.as_str()]
    );
    assert_eq!(banner_ids(&staff.get("/staff").await), [banner.as_str()]);

    // Dismissed in one browser, with a form (no JavaScript), back to the page.
    let page = guest.get("/docs").await;
    let token = csrf_of(&page.body).expect("the banner's form carries a CSRF token");
    let forged = guest
        .post(
            &format!("/announcements/{id}/dismiss"),
            &[("csrf", "forged"), ("revision", "2"), ("next", "/docs")],
        )
        .await;
    assert_eq!(forged.status, 403);
    assert_eq!(banner_ids(&guest.get("/docs").await), [banner.as_str()]);
    let dismissed = guest
        .post(
            &format!("/announcements/{id}/dismiss"),
            &[("csrf", &token), ("revision", "2"), ("next", "/docs")],
        )
        .await;
    assert_eq!(dismissed.status, 303, "{}", dismissed.body);
    assert_eq!(dismissed.header("location"), "/docs");
    assert!(dismissed.header("set-cookie").contains("sp_dismissed="));
    assert!(banner_ids(&guest.get("/docs").await).is_empty());
    assert!(banner_ids(&guest.get("/questions").await).is_empty());
    // Other browsers still see it.
    assert_eq!(
        banner_ids(&app.client().get("/docs").await),
        [banner.as_str()]
    );
    assert_eq!(banner_ids(&member.get("/").await), [banner.as_str()]);
    // A dismiss button never sends anyone off the site.
    let away = member
        .post(
            &format!("/announcements/{id}/dismiss"),
            &[
                ("csrf", &member.csrf("/").await),
                ("revision", "2"),
                ("next", "https://evil.example/"),
            ],
        )
        .await;
    assert_eq!(away.header("location"), "/");
    assert!(banner_ids(&member.get("/").await).is_empty());

    // Changed: shows again in the browser that dismissed the old text.
    let page = staff
        .submit(
            &edit,
            &edit,
            &form(
                "Printer firmware upgrade",
                "Now **20 minutes**: the update is larger.",
                "outage",
                &started,
                &later,
            ),
        )
        .await;
    assert_eq!(page.status, 303);
    let page = guest.get("/docs").await;
    assert_eq!(banner_ids(&page), [banner.as_str()]);
    page.assert_contains("Now <strong>20 minutes</strong>");
    page.assert_contains("announcement-outage");

    // Ended: gone everywhere, listed as ended.
    let page = staff
        .submit(
            "/staff/announcements",
            &format!("/staff/announcements/{id}/end"),
            &[],
        )
        .await;
    assert_eq!(page.status, 303);
    assert!(banner_ids(&app.client().get("/docs").await).is_empty());
    assert!(banner_ids(&guest.get("/").await).is_empty());
    let list = staff.get("/staff/announcements").await;
    assert!(section(&list, "ended").contains("Printer firmware upgrade"));
    assert!(!section(&list, "live").contains("Printer firmware upgrade"));
    let public = app.get("/announcements").await;
    assert_eq!(public.status, 200);
    public.assert_contains("Recently ended");
    public.assert_contains("Printer firmware upgrade");
}

#[actix_web::test]
async fn only_staff_manage_announcements() {
    let app = TestApp::guide().start();
    let guest = app.client();
    let page = guest.get("/staff/announcements").await;
    assert_eq!(page.status, 303);
    assert!(page.header("location").starts_with("/login?next="));
    let page = guest.get("/staff/announcements/new").await;
    assert_eq!(page.status, 303);

    let member = app.member("mallory").await;
    for path in ["/staff/announcements", "/staff/announcements/new"] {
        assert_eq!(member.get(path).await.status, 403, "{path}");
    }
    let token = member.csrf("/").await;
    let now = unix_now();
    let (start, end) = (format_utc(now - 60), format_utc(now + HOUR));
    let mut fields = form("Free money", "Click here", "info", &start, &end);
    fields.push(("csrf", &token));
    let page = member.post("/staff/announcements/new", &fields).await;
    assert_eq!(page.status, 403);
    assert!(banner_ids(&app.get("/").await).is_empty());

    // A staff member's announcement cannot be edited or ended by a member.
    let staff = app.staff("ops").await;
    let page = staff
        .submit(
            "/staff/announcements/new",
            "/staff/announcements/new",
            &form("Maintenance", "Tonight", "info", &start, &end),
        )
        .await;
    assert_eq!(page.status, 303);
    let id = first_edit_id(&staff.get("/staff/announcements").await);
    assert_eq!(
        member
            .get(&format!("/staff/announcements/{id}/edit"))
            .await
            .status,
        403
    );
    let page = member
        .post(&format!("/staff/announcements/{id}/edit"), &fields)
        .await;
    assert_eq!(page.status, 403);
    let page = member
        .post(
            &format!("/staff/announcements/{id}/end"),
            &[("csrf", &token)],
        )
        .await;
    assert_eq!(page.status, 403);
    let page = app.get("/").await;
    assert_eq!(banner_ids(&page), [format!("banner-{id}")]);
    page.assert_contains("Maintenance");
    assert!(!page.body.contains("Free money"));

    // Staff without the form's token are refused too.
    let page = staff
        .post(
            &format!("/staff/announcements/{id}/end"),
            &[("csrf", "wrong")],
        )
        .await;
    assert_eq!(page.status, 403);
    assert_eq!(banner_ids(&app.get("/").await).len(), 1);

    // Bad input: a clear message, nothing saved.
    let page = staff
        .submit(
            "/staff/announcements/new",
            "/staff/announcements/new",
            &form("", "x", "panic", "next tuesday", &end),
        )
        .await;
    assert_eq!(page.status, 422);
    page.assert_contains("Give the announcement a title.");
    page.assert_contains("Choose a severity");
    page.assert_contains("next tuesday");
    let page = staff
        .submit(
            "/staff/announcements/new",
            "/staff/announcements/new",
            &form("Backwards", "x", "info", &end, &start),
        )
        .await;
    assert_eq!(page.status, 422);
    page.assert_contains("The end time must be after the start time.");
    assert_eq!(banner_ids(&app.get("/").await).len(), 1);
    for missing in [
        "/staff/announcements/999/edit",
        "/staff/announcements/abc/edit",
    ] {
        assert_eq!(staff.get(missing).await.status, 404, "{missing}");
    }
}

#[actix_web::test]
async fn announcement_text_is_escaped_everywhere() {
    let app = TestApp::guide().start();
    let staff = app.staff("ops").await;
    let now = unix_now();
    let (start, end) = (format_utc(now - 60), format_utc(now + HOUR));
    let title = "<script>alert(1)</script> & \"co\"";
    let body =
        "**ok** <script>alert(2)</script> [x](javascript:alert(3)) <img src=x onerror=alert(4)>";
    let page = staff
        .submit(
            "/staff/announcements/new",
            "/staff/announcements/new",
            &form(title, body, "info", &start, &end),
        )
        .await;
    assert_eq!(page.status, 303, "{}", page.body);
    for page in [
        app.get("/docs").await,
        app.get("/announcements").await,
        staff.get("/staff/announcements").await,
    ] {
        assert!(!page.body.contains("<script>alert"), "{}", page.body);
        assert!(!page.body.contains("<img src=x"), "{}", page.body);
        assert!(!page.body.contains("javascript:"), "{}", page.body);
        page.assert_contains("&lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;co&quot;");
        page.assert_contains("<strong>ok</strong>");
    }
    let id = first_edit_id(&staff.get("/staff/announcements").await);
    let editor = staff.get(&format!("/staff/announcements/{id}/edit")).await;
    assert!(!editor.body.contains("<script>alert"), "{}", editor.body);

    let feed = app.get("/feed/updates.atom").await;
    let parsed = parse_atom(&feed.body);
    assert_eq!(parsed.entries.len(), 1);
    let entry = &parsed.entries[0];
    assert_eq!(entry["title"], format!("{title} (info)"));
    // The content is HTML, escaped once more as XML text: read back, it is
    // the sanitized HTML, with the script shown as text.
    assert!(
        entry["content"].contains("&lt;script&gt;alert(2)"),
        "{entry:?}"
    );
    assert!(!entry["content"].contains("<script"), "{entry:?}");
    assert!(!entry["content"].contains("javascript:"), "{entry:?}");
}

/// A parsed Atom feed: the feed's own child elements and each entry's.
#[derive(Debug, Default)]
pub(crate) struct Atom {
    pub(crate) feed: BTreeMap<String, String>,
    pub(crate) feed_links: Vec<BTreeMap<String, String>>,
    pub(crate) entries: Vec<BTreeMap<String, String>>,
}

/// Parses `xml` as a well-formed Atom feed (panics on any XML error),
/// keeping the text of the feed's and entries' child elements and the
/// attributes of their `<link>`s (an entry's as `link.rel`, `link.href`).
pub(crate) fn parse_atom(xml: &str) -> Atom {
    let mut reader = Reader::from_str(xml);
    let mut atom = Atom::default();
    let mut stack: Vec<String> = Vec::new();
    let mut text = String::new();
    loop {
        let event = reader.read_event().unwrap_or_else(|e| {
            panic!(
                "not well-formed XML at {}: {e}\n{xml}",
                reader.error_position()
            )
        });
        match event {
            Event::Start(ref e) | Event::Empty(ref e) => {
                let empty = matches!(event, Event::Empty(_));
                let name = e.name().as_ref().to_string();
                let attributes: BTreeMap<String, String> = e
                    .attributes()
                    .map(|a| {
                        let a = a.expect("attribute");
                        (
                            a.key.as_ref().to_string(),
                            a.normalized_value(quick_xml::XmlVersion::Implicit1_0)
                                .expect("attribute value")
                                .into_owned(),
                        )
                    })
                    .collect();
                match (stack.as_slice(), name.as_str()) {
                    ([], "feed") => assert_eq!(
                        attributes.get("xmlns").map(String::as_str),
                        Some("http://www.w3.org/2005/Atom")
                    ),
                    ([], other) => panic!("root element {other}"),
                    ([_], "entry") => atom.entries.push(BTreeMap::new()),
                    ([_], "link") => atom.feed_links.push(attributes),
                    ([_, entry], "link") if entry == "entry" => {
                        let current = atom.entries.last_mut().expect("entry");
                        for (k, v) in attributes {
                            current.insert(format!("link.{k}"), v);
                        }
                    }
                    _ => {}
                }
                text.clear();
                if !empty {
                    stack.push(name);
                }
            }
            Event::Text(t) => text.push_str(&t.xml10_content()),
            Event::CData(_) => panic!("the feed writes no CDATA sections"),
            Event::GeneralRef(r) => {
                if let Some(c) = r.resolve_char_ref().expect("character reference") {
                    text.push(c);
                } else {
                    text.push(match r.xml10_content().as_ref() {
                        "amp" => '&',
                        "lt" => '<',
                        "gt" => '>',
                        "quot" => '"',
                        "apos" => '\'',
                        other => panic!("undeclared entity &{other};"),
                    });
                }
            }
            Event::End(e) => {
                let name = e.name().as_ref().to_string();
                assert_eq!(stack.pop().as_deref(), Some(name.as_str()));
                match stack.as_slice() {
                    [_] if name != "entry" => {
                        atom.feed.insert(name, text.trim().to_string());
                    }
                    [_, entry] if entry == "entry" => {
                        let current = atom.entries.last_mut().expect("entry");
                        current.insert(name, text.trim().to_string());
                    }
                    _ => {}
                }
                text.clear();
            }
            Event::Eof => break,
            _ => {}
        }
    }
    assert!(stack.is_empty(), "unclosed elements {stack:?}");
    atom
}

/// Creates an announcement directly, as if written at `written` (unix
/// seconds), starting at `starts`.
pub(crate) fn announce_at(app: &TestApp, title: &str, written: i64, starts: i64) -> AnnouncementId {
    let author = app.create_user(&format!("author{written}"), signpost::auth::Role::Staff);
    let state = &app.started().state;
    let mut conn = state.db.get().expect("db");
    let fields = signpost::db::models::announcements::AnnouncementFields {
        title: title.into(),
        body: format!("About *{title}*."),
        severity: Severity::Info,
        starts_at: starts,
        ends_at: Some(starts + 10 * HOUR),
    };
    announcements::create(&mut conn, &state.announcements, &fields, author, written)
        .expect("create")
        .id
}

#[actix_web::test]
async fn updates_feed_is_atom_newest_first() {
    let app = TestApp::guide().start();
    let now = unix_now();
    let empty = parse_atom(&app.get("/feed/updates.atom").await.body);
    assert!(empty.entries.is_empty());
    assert!(!empty.feed["id"].is_empty() && !empty.feed["updated"].is_empty());

    let oldest = announce_at(&app, "Oldest", now - 3 * HOUR, now - 3 * HOUR);
    let middle = announce_at(&app, "Middle", now - 2 * HOUR, now - 2 * HOUR);
    announce_at(&app, "Newest", now - HOUR, now - HOUR);
    announce_at(&app, "Planned", now - HOUR + 60, now + HOUR);

    let page = app.get("/feed/updates.atom").await;
    assert_eq!(page.status, 200);
    assert!(page
        .header("content-type")
        .starts_with("application/atom+xml"));
    let atom = parse_atom(&page.body);
    let titles: Vec<&str> = atom.entries.iter().map(|e| e["title"].as_str()).collect();
    assert_eq!(titles, ["Newest (info)", "Middle (info)", "Oldest (info)"]);
    assert_eq!(
        atom.feed["title"],
        "Signpost: announcements and known issues"
    );
    assert!(
        atom.feed["id"].ends_with("/feed/updates.atom"),
        "{:?}",
        atom.feed
    );
    assert!(atom
        .feed_links
        .iter()
        .any(|l| l.get("rel").map(String::as_str) == Some("self")));
    assert_eq!(atom.feed["updated"], atom.entries[0]["updated"]);
    let mut ids = Vec::new();
    let mut previous = i64::MAX;
    for entry in &atom.entries {
        for field in ["id", "title", "updated", "content", "link.href"] {
            assert!(
                entry.get(field).is_some_and(|v| !v.is_empty()),
                "{field} missing in {entry:?}"
            );
        }
        let updated = chrono::DateTime::parse_from_rfc3339(&entry["updated"])
            .expect("RFC 3339 time")
            .timestamp();
        assert!(
            updated <= previous,
            "entries newest first: {:?}",
            atom.entries
        );
        previous = updated;
        assert!(entry["link.href"].contains("/announcements#announcement-"));
        ids.push(entry["id"].clone());
    }
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 3, "entry ids are unique");
    assert!(atom.entries[0]["content"].contains("<em>Newest</em>"));

    // An edit is news: the edited announcement moves to the top, same id.
    let old_id = atom.entries[2]["id"].clone();
    {
        let state = &app.started().state;
        let mut conn = state.db.get().expect("db");
        let row = announcements::find(&mut conn, oldest).expect("row");
        let fields = signpost::db::models::announcements::AnnouncementFields {
            title: "Oldest, revised".into(),
            body: row.body,
            severity: Severity::Warning,
            starts_at: row.starts_at,
            ends_at: row.ends_at,
        };
        announcements::edit(&mut conn, &state.announcements, oldest, &fields, now - 60)
            .expect("edit");
        announcements::end(&mut conn, &state.announcements, middle, now - 30).expect("end");
    }
    let atom = parse_atom(&app.get("/feed/updates.atom").await.body);
    let titles: Vec<&str> = atom.entries.iter().map(|e| e["title"].as_str()).collect();
    assert_eq!(
        titles,
        [
            "Middle (info)",
            "Oldest, revised (warning)",
            "Newest (info)"
        ]
    );
    assert_eq!(atom.entries[1]["id"], old_id);
    assert!(
        atom.entries[0]["content"].contains("ended"),
        "{:?}",
        atom.entries[0]
    );

    // Every page points feed readers to it.
    for path in ["/", "/docs", "/questions"] {
        app.get(path).await.assert_contains(
            "<link rel=\"alternate\" type=\"application/atom+xml\" title=\"Signpost: announcements and known issues\" href=\"/feed/updates.atom\">",
        );
    }
}

#[actix_web::test]
async fn a_new_banner_is_not_hidden_behind_a_cached_anonymous_page() {
    let app = TestApp::guide()
        .article(
            "guide/one",
            "+++\ntitle = \"One\"\nupdated = 2026-01-05\n+++\nSome text.\n",
        )
        .start();
    let first = app.get("/docs/guide/one").await;
    assert_eq!(
        first.header("last-modified"),
        "Mon, 05 Jan 2026 00:00:00 GMT"
    );
    let since = [("if-modified-since", "Mon, 05 Jan 2026 00:00:00 GMT")];
    // The page carries a guest's form token, which a date cannot vouch for.
    assert_eq!(app.get_with("/docs/guide/one", &since).await.status, 200);

    let now = unix_now();
    let id = announce_at(&app, "Outage tonight", now - 120, now - 120);
    let page = app.get_with("/docs/guide/one", &since).await;
    assert_eq!(
        page.status, 200,
        "a page with a new banner is not 'not modified'"
    );
    assert_eq!(banner_ids(&page), [format!("banner-{id}")]);
    assert_ne!(
        page.header("last-modified"),
        "Mon, 05 Jan 2026 00:00:00 GMT"
    );

    // Ended: the page changed again (the banner is gone), also by date.
    let shown = page.header("last-modified").to_string();
    {
        let state = &app.started().state;
        let mut conn = state.db.get().expect("db");
        announcements::end(&mut conn, &state.announcements, id, unix_now()).expect("end");
    }
    let later = app
        .get_with("/docs/guide/one", &[("if-modified-since", &shown)])
        .await;
    assert!(
        later.status == 200 && banner_ids(&later).is_empty(),
        "status {}",
        later.status
    );
}

#[actix_web::test]
async fn an_announcement_cancelled_before_it_started_stays_out_of_the_feed() {
    use diesel::prelude::*;
    use signpost::db::schema::announcements as table;
    let app = TestApp::guide().start();
    let now = unix_now();
    announce_at(&app, "Kept", now - 3 * HOUR, now - 2 * HOUR);
    let cancelled = announce_at(&app, "Withdrawn", now - 2 * HOUR, now - HOUR);
    {
        // Cancelled while planned: it ends where it starts.
        let mut conn = app.started().state.db.get().expect("db");
        diesel::update(table::table.find(cancelled))
            .set(table::ends_at.eq(Some(now - HOUR)))
            .execute(&mut *conn)
            .expect("cancel");
    }
    let atom = parse_atom(&app.get("/feed/updates.atom").await.body);
    let titles: Vec<&str> = atom.entries.iter().map(|e| e["title"].as_str()).collect();
    assert_eq!(titles, ["Kept (info)"]);
}
