//! One search: typos, prefixes, kinds, hostile input, zero results, logging.

use signpost::db::models::search_log;
use signpost::search::SearchRequest;

use crate::fixtures::{article, manual_index};
use crate::harness::{run_cli, TestApp};

fn fixture() -> TestApp {
    let app = TestApp::builder()
        .file("manuals/guide/_index.md", &manual_index("Printer guide"))
        .file(
            "manuals/guide/paper.md",
            &article(
                "Clearing a paper jam",
                1,
                "Open the rear tray and pull the sheet out slowly.",
            ),
        )
        .file(
            "manuals/guide/toner.md",
            &article(
                "Replacing the toner",
                2,
                "Lift the cover. The cartridge slides out. Mentions paper once.",
            ),
        )
        .file(
            "manuals/guide/network.md",
            &article(
                "Wireless setup",
                3,
                "Connect the printer to your network with the configuration wizard.",
            ),
        )
        .start();
    app.wait_indexed();
    app
}

fn titles(body: &str) -> Vec<String> {
    body.split("<li class=\"result ")
        .skip(1)
        .filter_map(|part| {
            let start = part.find("<h2><a href=\"")?;
            let rest = &part[start..];
            let open = rest.find("\">")? + 2;
            let close = rest.find("</a></h2>")?;
            Some(
                rest[open..close]
                    .replace("<mark>", "")
                    .replace("</mark>", ""),
            )
        })
        .collect()
}

#[actix_web::test]
async fn finds_an_article_by_a_misspelled_word() {
    let app = fixture();
    // One edit in a 4-7 letter word, two in an 8+ letter word.
    for (query, expected) in [
        ("tonre", "Replacing the toner"),
        ("cofniguration", "Wireless setup"),
        ("wireles", "Wireless setup"),
    ] {
        let page = app.get(&format!("/search?q={query}")).await;
        assert_eq!(page.status, 200);
        assert!(
            titles(&page.body).contains(&expected.to_string()),
            "{query}: {:?}",
            titles(&page.body)
        );
    }
    let page = app.get("/search?q=tonre+cartrige").await;
    page.assert_contains("Including results for");
    page.assert_contains("toner cartridge");
}

#[actix_web::test]
async fn short_words_are_not_fuzzed() {
    let app = fixture();
    // "tra" is three letters: no typo tolerance, but it is a prefix of "tray".
    let page = app.get("/search?q=tra").await;
    assert_eq!(titles(&page.body), vec!["Clearing a paper jam".to_string()]);
    let page = app.get("/search?q=xq%20").await;
    page.assert_contains("Nothing matched");
}

#[actix_web::test]
async fn last_word_matches_as_a_prefix() {
    let app = fixture();
    let page = app.get("/search?q=cartr").await;
    assert_eq!(titles(&page.body), vec!["Replacing the toner".to_string()]);
    page.assert_contains("<mark>cartridge</mark>");
    // With a trailing space the word is complete: no prefix expansion.
    let page = app.get("/search?q=cartr%20").await;
    assert!(titles(&page.body).is_empty(), "{:?}", titles(&page.body));
}

#[actix_web::test]
async fn title_matches_rank_above_body_matches() {
    let app = fixture();
    let page = app.get("/search?q=paper").await;
    let found = titles(&page.body);
    assert_eq!(
        found.first().map(String::as_str),
        Some("Clearing a paper jam"),
        "{found:?}"
    );
    assert!(found.contains(&"Replacing the toner".to_string()));
    page.assert_contains("<mark>paper</mark>");
    page.assert_contains("Printer guide");
    page.assert_contains("<span class=\"kind\">Article</span>");
}

#[actix_web::test]
async fn an_article_is_found_by_its_description() {
    let app = TestApp::guide()
        .article(
            "guide/refunds",
            "+++\ntitle = \"Money back\"\ndescription = \"Get a refund for a cancelled order.\"\n+++\nFill in the form.\n",
        )
        .article("guide/toner", &article("Replacing the toner", 2, "Lift the cover."))
        .start();
    app.wait_indexed();
    let page = app.get("/search?q=refund+cancelled+order").await;
    assert_eq!(titles(&page.body), ["Money back"]);
}

#[actix_web::test]
async fn kind_filter_restricts_results() {
    let app = fixture();
    let page = app.get("/search?q=paper&kind=article").await;
    assert_eq!(titles(&page.body).len(), 2);
    page.assert_contains("class=\"active\" aria-current=\"page\">Articles</a>");
    let page = app.get("/search?q=paper&kind=question").await;
    assert!(titles(&page.body).is_empty());
    page.assert_contains("Search everything for");
    // An unknown kind is ignored rather than an error.
    let page = app.get("/search?q=paper&kind=bogus").await;
    assert_eq!(page.status, 200);
    assert_eq!(titles(&page.body).len(), 2);
}

#[actix_web::test]
async fn hostile_queries_never_fail() {
    let app = fixture();
    let huge = "a".repeat(10_000);
    let huge_words = "paper+".repeat(2_000);
    let queries = [
        "%22unbalanced",
        "paper%22%20AND%20%22",
        "AND%20OR%20NOT",
        "title:paper",
        "body:%5B*%20TO%20*%5D",
        "*",
        "paper~2",
        "%2B-%21%28%29%7B%7D%5B%5D%5E%22~*%3F%3A%5C%2F",
        "%FF%FE%FD",
        "%E2%28%A1",
        "%00%01",
        "%",
        "%%%",
        huge.as_str(),
        huge_words.as_str(),
    ];
    for q in queries {
        let page = app.get(&format!("/search?q={q}")).await;
        assert_eq!(page.status, 200, "query {:.60} gave {}", q, page.status);
        page.assert_contains("class=\"search-form\"");
    }
    let page = app.get("/search?q=paper&page=999999999999999999999").await;
    assert_eq!(page.status, 200);
    let page = app.get("/search?page=-1&kind=%FF").await;
    assert_eq!(page.status, 200);
}

#[actix_web::test]
async fn zero_results_offer_a_spelling_the_manuals_and_asking() {
    let app = fixture();
    let page = app.get("/search?q=paperr+zzzzzzzz").await;
    assert_eq!(page.status, 200);
    // "paperr" corrects to "paper", but nothing has "zzzzzzzz": with the OR
    // fallback the paper articles still show, labelled as partial matches.
    page.assert_contains("matching some of your words");
    let page = app.get("/search?q=qqqqqqq").await;
    page.assert_contains("Nothing matched");
    page.assert_contains("/questions/ask?title=qqqqqqq");
    page.assert_contains("Printer guide");
    let page = app.get("/search?q=wirelesss+setpu&kind=question").await;
    page.assert_contains("Did you mean");
    page.assert_contains("wireless setup");
}

#[actix_web::test]
async fn every_search_is_logged() {
    let app = fixture();
    app.get("/search?q=paper").await;
    app.get("/search?q=nothing+like+this+exists&kind=article")
        .await;
    // Control characters alone are no query: the empty search page, unlogged
    // (they used to log an empty query, an empty link on the staff dashboard).
    let blank = app.get("/search?q=%00%09%01+").await;
    assert_eq!(blank.status, 200);
    blank.assert_contains("Search manuals, troubleshooting steps and community answers");
    let mut conn = app.started().state.db.get().expect("db");
    let log = search_log::recent(&mut conn, 10).expect("log");
    assert_eq!(log.len(), 2);
    assert_eq!(log[1].query, "paper");
    assert_eq!(log[1].result_count, 2);
    assert_eq!(log[0].query, "nothing like this exists");
    assert_eq!(log[0].kind.as_deref(), Some("article"));
    assert_eq!(log[0].result_count, 0);
    assert!(log[0].took_us >= 0 && log[0].created_at > 0);
}

#[actix_web::test]
async fn snippets_are_escaped() {
    let app = TestApp::guide()
        .file(
            "manuals/guide/html.md",
            &article("Angle brackets", 1, "Type `<b>bold</b>` to get bold text."),
        )
        .start();
    app.wait_indexed();
    let page = app.get("/search?q=bold").await;
    page.assert_contains("&lt;b&gt;<mark>bold</mark>&lt;/b&gt;");
    assert!(!page.body.contains("<b>bold</b>"));
}

#[actix_web::test]
async fn search_api_pages_results() {
    let app = TestApp::guide().start();
    for i in 0..25 {
        app.write_content(
            &format!("manuals/guide/a{i:02}.md"),
            &article(&format!("Router reset {i}"), i, "Hold the router button."),
        );
    }
    let mut app = app;
    app.restart().expect("restart");
    app.wait_indexed();
    let search = &app.started().state.search;
    let first = search
        .search(&SearchRequest {
            text: "router",
            kind: None,
            limit: 10,
            offset: 0,
        })
        .expect("search");
    assert_eq!(first.total, 25);
    assert_eq!(first.hits.len(), 10);
    let page = app.get("/search?q=router&page=3").await;
    page.assert_contains("21–25 of 25 results");
    page.assert_contains("rel=\"prev\"");
    assert!(!page.body.contains("rel=\"next\""));
}

fn first_title(body: &str) -> Option<String> {
    titles(body).into_iter().next()
}

#[actix_web::test]
async fn word_forms_find_each_other_and_the_typed_form_ranks_first() {
    let app = TestApp::guide()
        .article(
            "guide/driver",
            &article("Driver setup", 1, "Install the driver from the disc."),
        )
        .article(
            "guide/shared",
            &article("Sharing", 2, "Several printers can share one tray."),
        )
        .article(
            "guide/single",
            &article("One device", 3, "The printer has one tray."),
        )
        .start();
    app.wait_indexed();
    let page = app.get("/search?q=installing+").await;
    assert_eq!(titles(&page.body), ["Driver setup"]);
    page.assert_contains("<mark>Install</mark> the driver");
    // Both forms match; the form as typed ranks first, highlighted.
    let page = app.get("/search?q=printers+").await;
    assert_eq!(titles(&page.body), ["Sharing", "One device"]);
    page.assert_contains("The <mark>printer</mark> has one tray");
    let page = app.get("/search?q=printer+").await;
    assert_eq!(titles(&page.body), ["One device", "Sharing"]);
    // A known form is not a typo: no "did you mean".
    assert!(!page.body.contains("Including results for"));
}

#[actix_web::test]
async fn stop_words_and_an_extra_word_do_not_lose_the_page() {
    let app = TestApp::guide()
        .article(
            "guide/jam",
            &article("Clearing a paper jam", 1, "Open the rear tray."),
        )
        .article(
            "guide/offline",
            &article(
                "Printer goes offline",
                2,
                "When the printer keeps dropping offline, restart the print spooler.",
            ),
        )
        .article(
            "guide/wireless",
            &article("Wireless setup", 3, "Connect the printer to your network."),
        )
        .start();
    app.wait_indexed();
    // "how", "do", "i", "the" are not required.
    let page = app.get("/search?q=how+do+i+clear+the+paper+jam").await;
    assert_eq!(titles(&page.body), ["Clearing a paper jam"]);
    assert!(!page.body.contains("matching some of your words"));
    // "going" is in no document; three of the four words are enough, and a
    // page with only "printer" is not.
    let page = app
        .get("/search?q=why+does+my+printer+keep+going+offline")
        .await;
    assert_eq!(titles(&page.body), ["Printer goes offline"]);
    assert!(!page.body.contains("matching some of your words"));
    // Two words must both match...
    let page = app.get("/search?q=printer+spooler+").await;
    assert_eq!(titles(&page.body), ["Printer goes offline"]);
    // ...and when no page has them all, the best partial matches still show.
    let page = app.get("/search?q=printer+zebracable+").await;
    page.assert_contains("matching some of your words");
    assert_eq!(titles(&page.body).len(), 2);
}

#[actix_web::test]
async fn staff_synonyms_apply_to_queries_both_ways() {
    let app = fixture_with_synonyms("wifi = [\"wi-fi\", \"wlan\"]\n");
    for query in ["wifi", "wi-fi+", "WLAN+", "wifi+setup+"] {
        let page = app.get(&format!("/search?q={query}")).await;
        assert_eq!(titles(&page.body), ["Wi-Fi setup"], "{query}");
    }
    let page = app.get("/search?q=wlan+").await;
    page.assert_contains("<mark>Wi</mark>-<mark>Fi</mark> setup");
    // Without the synonyms file, "wlan" is unknown.
    let plain = fixture_with_synonyms("");
    let page = plain.get("/search?q=wlan+").await;
    page.assert_contains("Nothing matched");
}

/// Searches `query` until its result titles are `want`, for at most 20 s
/// (the synonyms file is looked at every 2 s).
async fn wait_for_titles(app: &TestApp, query: &str, want: &[&str]) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    loop {
        let page = app.get(&format!("/search?q={query}")).await;
        let found = titles(&page.body);
        if found == want {
            return;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "{query}: still {found:?}, expected {want:?}"
        );
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
}

#[actix_web::test]
async fn an_edited_synonyms_file_is_used_without_a_restart() {
    let app = fixture_with_synonyms("wifi = [\"wi-fi\", \"wlan\"]\n");
    let page = app.get("/search?q=cartridge+").await;
    page.assert_contains("Nothing matched");

    app.write_content(
        "synonyms.toml",
        "wifi = [\"wi-fi\", \"wlan\"]\ntoner = [\"cartridge\"]\n",
    );
    wait_for_titles(&app, "cartridge+", &["Replacing the toner"]).await;
    assert!(app.started().state.synonyms.problems().is_empty());

    // A broken file keeps the synonyms in use, and staff are told why.
    app.write_content("synonyms.toml", "toner = [\"cartridge\"\nwifi = []\n");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while app.started().state.synonyms.problems().is_empty() {
        assert!(
            std::time::Instant::now() < deadline,
            "the broken file was not noticed"
        );
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    let problems = app.started().state.synonyms.problems();
    assert!(
        problems[0].contains("synonyms.toml:") && problems[0].contains("bad synonyms file"),
        "{problems:?}"
    );
    for (query, want) in [
        ("cartridge+", "Replacing the toner"),
        ("wlan+", "Wi-Fi setup"),
    ] {
        let page = app.get(&format!("/search?q={query}")).await;
        assert_eq!(titles(&page.body), [want], "{query}");
    }
    // `signpost check` names the same problem.
    let out = run_cli(
        app.config.content_dir.parent().expect("content parent"),
        &app.config,
        &["check"],
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(!out.status.success(), "{stdout}");
    assert!(
        stdout.contains("synonyms.toml:") && stdout.contains("bad synonyms file"),
        "{stdout}"
    );
    let staff = app.staff("sue").await;
    let dashboard = staff.get("/staff").await;
    dashboard.assert_contains("The synonyms file has problems");
    dashboard.assert_contains("bad synonyms file");

    // Fixed again: the new groups apply and the warning goes away.
    app.write_content("synonyms.toml", "wifi = [\"wlan\"]\n");
    wait_for_titles(&app, "cartridge+", &[]).await;
    assert!(app.started().state.synonyms.problems().is_empty());
    let dashboard = staff.get("/staff").await;
    assert!(!dashboard.body.contains("The synonyms file has problems"));
}

fn fixture_with_synonyms(synonyms: &str) -> TestApp {
    let app = TestApp::guide()
        .article(
            "guide/wifi",
            &article("Wi-Fi setup", 1, "Join the network from the settings."),
        )
        .article(
            "guide/toner",
            &article("Replacing the toner", 2, "Lift the cover."),
        )
        .file("synonyms.toml", synonyms)
        .start();
    app.wait_indexed();
    app
}

#[actix_web::test]
async fn a_late_answer_is_found_by_its_own_words_and_linked_to_its_anchor() {
    let app = TestApp::guide().start();
    let ann = app.member("ann").await;
    let q = ann
        .asks(
            "Screen flickers after waking up",
            "The display flickers for a minute every morning when the laptop wakes.",
            "display",
        )
        .await;
    let helpers = [
        app.member("bob").await,
        app.member("cyd").await,
        app.member("dee").await,
        app.member("eve").await,
    ];
    let mut last = None;
    for i in 0..12 {
        let text = if i == 11 {
            "Degauss the monitor from its on-screen menu; the flicker stops.".to_string()
        } else {
            format!("Suggestion number {i}: check the cable and the refresh rate setting.")
        };
        last = Some(helpers[i % helpers.len()].answers(&q, &text).await);
    }
    let last = last.expect("answers");
    app.wait_indexed();
    let page = app.client().get("/search?q=degauss+monitor+").await;
    let urls = crate::harness::result_urls(&page.body);
    assert_eq!(urls, [format!("{}#answer-{}", q.path, last.id)]);
    page.assert_contains("<mark>Degauss</mark> the <mark>monitor</mark>");
    page.assert_contains("Screen flickers after waking up");
    // Words of the question itself link to the question, once.
    let page = app.client().get("/search?q=flickers+morning+").await;
    assert_eq!(crate::harness::result_urls(&page.body), [q.path.as_str()]);
    // Editing the answer away drops it from the index.
    let author = &helpers[11 % helpers.len()];
    let edit = author
        .edits(
            &last,
            &[(
                "body",
                "Lower the refresh rate in the display settings instead.",
            )],
        )
        .await;
    assert_eq!(edit.status, 303, "{}", edit.body);
    app.wait_indexed();
    let page = app.client().get("/search?q=degauss+").await;
    assert!(crate::harness::result_urls(&page.body).is_empty());
}

fn long_article() -> String {
    let mut body = String::from(
        "This page lists the problems people meet on the network, one section each.\n\n",
    );
    for (heading, text) in [
        (
            "Release notes",
            "Version 2 changed the permission model and the ping helper. Denied requests are logged.",
        ),
        (
            "Permission Denied error when using ping",
            "Run the command as an administrator or grant the raw socket capability.",
        ),
        (
            "Timeouts",
            "Raise the timeout when the link is slow. A denied ping may also time out.",
        ),
        (
            "DNS failures",
            "Check the resolver address in the network settings.",
        ),
    ] {
        body.push_str(&format!("## {heading}\n\n{text}\n\n"));
        body.push_str(&"Filler sentence about cables and lights. ".repeat(12));
        body.push_str("\n\n");
    }
    article("Network troubleshooting", 1, &body)
}

#[actix_web::test]
async fn a_long_article_section_is_found_and_linked_by_its_heading_anchor() {
    let app = TestApp::guide()
        .article("guide/network", &long_article())
        .start();
    app.wait_indexed();
    let page = app.get("/search?q=permission+denied+ping").await;
    let urls = result_urls_of(&page);
    assert_eq!(
        urls.first().map(String::as_str),
        Some("/docs/guide/network#permission-denied-error-when-using-ping"),
        "{urls:?}"
    );
    assert_eq!(
        first_title(&page.body).as_deref(),
        Some("Network troubleshooting \u{203a} Permission Denied error when using ping")
    );
    page.assert_contains("grant the raw socket capability");
    // One article never floods the list: at most two of its documents.
    assert!(urls.len() <= 2, "{urls:?}");
    let page = app.get("/search?q=network+").await;
    assert!(result_urls_of(&page).len() <= 2);
    // The anchor is the one the article page renders.
    app.get("/docs/guide/network")
        .await
        .assert_contains("id=\"permission-denied-error-when-using-ping\"");
}

fn result_urls_of(page: &crate::harness::Page) -> Vec<String> {
    crate::harness::result_urls(&page.body)
}

/// A guide with one article, "Printer offline", started with `tweak` applied
/// to its configuration and indexed.
fn printer_offline_guide(tweak: impl FnOnce(&mut signpost::config::Config) + 'static) -> TestApp {
    let app = TestApp::guide()
        .file(
            "manuals/guide/offline.md",
            &article(
                "Printer offline",
                1,
                "The printer shows offline after waking from sleep.",
            ),
        )
        .configure(tweak)
        .start();
    app.wait_indexed();
    app
}

#[actix_web::test]
async fn search_concurrency_sets_how_many_searches_the_server_runs_at_once() {
    let app = printer_offline_guide(|c| {
        c.search_concurrency = 1;
        c.search_timeout = 1;
    });
    let gate = app.started().state.search.gate();
    assert_eq!(gate.permits(), 1);
    // One search running takes the only turn: the next one waits, then is refused.
    let running = gate.enter();
    let busy = app.get("/search?q=printer+offline").await;
    assert_eq!(busy.status, 503, "{}", busy.body);
    drop(running);
    let page = app.get("/search?q=printer+offline").await;
    assert_eq!(page.status, 200, "{}", page.body);
    let urls = result_urls_of(&page);
    assert!(urls.iter().any(|u| u == "/docs/guide/offline"), "{urls:?}");
}

#[actix_web::test]
async fn a_search_that_waits_too_long_for_its_turn_is_a_503_with_a_way_forward() {
    let app = printer_offline_guide(|c| c.search_timeout = 1);
    let gate = app.started().state.search.gate();
    // Every turn is taken (as by long searches running).
    let running: Vec<_> = (0..gate.permits()).map(|_| gate.enter()).collect();
    let busy = app.get("/search?q=printer+offline&kind=article").await;
    assert_eq!(busy.status, 503, "{}", busy.body);
    assert_eq!(busy.header("retry-after"), "5");
    busy.assert_contains("Search is busy right now");
    // The query waits in the search box, to search again.
    busy.assert_contains("name=\"q\" value=\"printer offline\"");
    // Pages that do not search are served meanwhile.
    assert_eq!(app.get("/questions").await.status, 200);
    // Suggestions while asking are left out rather than failing the form.
    let suggest = app.get("/api/suggest?q=printer+offline").await;
    assert_eq!(suggest.status, 200, "{}", suggest.body);
    suggest.assert_contains("\"results\":[]");

    drop(running);
    let page = app.get("/search?q=printer+offline").await;
    assert_eq!(page.status, 200, "{}", page.body);
    let suggest = app.get("/api/suggest?q=printer+offline").await;
    assert!(!suggest.body.contains("\"results\":[]"), "{}", suggest.body);
}

#[actix_web::test]
async fn a_repeated_search_is_served_from_the_cache_until_the_index_changes() {
    let app = printer_offline_guide(|c| c.search_timeout = 1);
    let state = &app.started().state;
    let request = SearchRequest {
        text: "printer offline",
        kind: None,
        limit: 10,
        offset: 0,
    };
    assert!(state.search.cached(&request).is_none());
    let first = app.get("/search?q=printer+offline").await;
    assert_eq!(result_urls_of(&first), ["/docs/guide/offline"]);
    let kept = state.search.cached(&request).expect("the search is kept");
    assert_eq!(kept.hits.len(), 1);

    // Kept results need no search turn: served while every turn is taken,
    // and the search is still logged.
    let gate = state.search.gate();
    let running: Vec<_> = (0..gate.permits()).map(|_| gate.enter()).collect();
    let again = app.get("/search?q=printer+offline").await;
    assert_eq!(again.status, 200, "{}", again.body);
    assert_eq!(result_urls_of(&again), ["/docs/guide/offline"]);
    let mut conn = state.db.get().expect("db");
    let logged = search_log::recent(&mut conn, 10).expect("log");
    assert_eq!(
        logged
            .iter()
            .filter(|entry| entry.query == "printer offline")
            .count(),
        2
    );
    // The same words in another kind are not kept yet: they wait their turn.
    let other = app.get("/search?q=printer+offline&kind=question").await;
    assert_eq!(other.status, 503, "{}", other.body);
    drop(running);

    // A new post that matches: once it is searchable, the kept results
    // are not served any more.
    let asker = app.member("asker").await;
    asker
        .asks(
            "Printer offline after the router restarts",
            crate::fixtures::BODY,
            "printer",
        )
        .await;
    app.wait_indexed();
    assert!(state.search.cached(&request).is_none());
    let after = app.get("/search?q=printer+offline").await;
    let urls = result_urls_of(&after);
    assert_eq!(urls.len(), 2, "{urls:?}");
    assert!(
        urls.iter().any(|u| u.starts_with("/questions/")),
        "{urls:?}"
    );

    // With the cache off nothing is kept.
    let off = printer_offline_guide(|c| c.search_cache_mb = 0);
    off.get("/search?q=printer+offline").await;
    assert!(off.started().state.search.cached(&request).is_none());
}
