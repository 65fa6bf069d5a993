//! The durable write path: outbox rows in the same transaction, the indexer
//! resuming from its commit payload, and rebuilds of a lost index.

use diesel::prelude::*;
use signpost::config::PoolSettings;
use signpost::db::models::outbox;
use signpost::db::schema::articles;
use signpost::search::{SearchIndex, SearchRequest};

use crate::fixtures::article;
use crate::harness::TestApp;

fn hits(app: &TestApp, text: &str) -> Vec<String> {
    let search = &app.started().state.search;
    search
        .search(&SearchRequest {
            text,
            kind: None,
            limit: 20,
            offset: 0,
        })
        .expect("search")
        .hits
        .into_iter()
        .map(|h| h.url)
        .collect()
}

fn guide() -> TestApp {
    let app = TestApp::guide()
        .file(
            "manuals/guide/modem.md",
            &article(
                "Modem lights",
                1,
                "The blinking amber light means no signal.",
            ),
        )
        .file(
            "manuals/guide/cable.md",
            &article("Cables", 2, "Use the grey cable."),
        )
        .start();
    app.wait_indexed();
    app
}

#[actix_web::test]
async fn changed_and_removed_files_follow_into_search_after_restart() {
    let mut app = guide();
    assert_eq!(hits(&app, "amber"), ["/docs/guide/modem"]);
    app.write_content(
        "manuals/guide/modem.md",
        &article("Modem lights", 1, "A pulsing violet light means updating."),
    );
    std::fs::remove_file(app.content_path("manuals/guide/cable.md")).expect("rm");
    app.restart().expect("restart");
    let sync = &app.started().sync;
    assert_eq!((sync.updated, sync.removed, sync.added), (1, 1, 0));
    app.wait_indexed();
    assert!(hits(&app, "amber").is_empty());
    assert_eq!(hits(&app, "violet"), ["/docs/guide/modem"]);
    assert!(hits(&app, "grey").is_empty());
    assert_eq!(app.get("/docs/guide/cable").await.status, 404);
    // An unchanged restart rewrites nothing.
    app.restart().expect("restart");
    assert_eq!(app.started().sync.unchanged, 1);
    assert_eq!(app.started().sync.updated, 0);
}

#[actix_web::test]
async fn commit_payload_records_the_last_applied_outbox_id() {
    let app = guide();
    let state = &app.started().state;
    let mut conn = state.db.get().expect("db");
    let max = outbox::max_id(&mut conn).expect("max");
    assert!(max >= 2);
    assert_eq!(state.search.applied_id(), i64::from(max));
    let index = tantivy::Index::open_in_dir(app.config.index_dir()).expect("open");
    let payload = index.load_metas().expect("metas").payload.expect("payload");
    let payload: serde_json::Value = serde_json::from_str(&payload).expect("json");
    assert_eq!(payload["outbox"], i64::from(max));
    assert_eq!(payload["complete"], true);
}

#[actix_web::test]
async fn indexer_catches_up_after_a_crash_left_the_index_behind() {
    let mut app = guide();
    app.stop();
    // A write that committed to the database (with its outbox row) but never
    // reached the index, as if the process died before the indexer ran.
    {
        let pool = signpost::db::open(&app.config.database(), PoolSettings::sized(1)).expect("db");
        let mut conn = pool.get().expect("conn");
        let id: i32 = articles::table
            .filter(articles::slug.eq("cable"))
            .select(articles::id)
            .first(&mut conn)
            .expect("id");
        conn.immediate_transaction(|conn| {
            diesel::update(articles::table.find(id))
                .set(articles::body_text.eq("Use the turquoise cable."))
                .execute(conn)?;
            outbox::enqueue(conn, signpost::kinds::DocKind::Article, id, 1).map(|_| ())
        })
        .expect("write");
    }
    // The index on disk still says the old outbox id.
    let (search, needs_rebuild) = SearchIndex::open(&app.config.index_dir()).expect("open index");
    assert!(!needs_rebuild);
    assert!(search
        .search(&SearchRequest {
            text: "turquoise",
            kind: None,
            limit: 5,
            offset: 0
        })
        .expect("s")
        .hits
        .is_empty());
    drop(search);
    app.restart().expect("restart");
    app.wait_indexed();
    assert_eq!(hits(&app, "turquoise"), ["/docs/guide/cable"]);
    assert!(hits(&app, "grey").is_empty());
}

#[actix_web::test]
async fn a_deleted_index_is_rebuilt_at_start_while_the_site_serves() {
    let mut app = guide();
    app.stop();
    std::fs::remove_dir_all(app.config.index_dir()).expect("rm index");
    app.restart().expect("restart");
    // The site serves immediately, whatever the state of the rebuild.
    assert_eq!(app.get("/docs/guide/modem").await.status, 200);
    let page = app.get("/search?q=amber").await;
    assert_eq!(page.status, 200);
    app.wait_indexed();
    assert!(!app.started().state.search.is_rebuilding());
    assert_eq!(hits(&app, "amber"), ["/docs/guide/modem"]);
}

#[actix_web::test]
async fn a_corrupt_index_is_rebuilt() {
    let mut app = guide();
    app.stop();
    std::fs::write(app.config.index_dir().join("meta.json"), b"{ not json").expect("corrupt");
    app.restart().expect("restart");
    app.wait_indexed();
    assert_eq!(hits(&app, "amber"), ["/docs/guide/modem"]);
}

#[actix_web::test]
async fn reindex_command_rebuilds_from_the_database() {
    let mut app = guide();
    app.stop();
    std::fs::remove_dir_all(app.config.index_dir()).expect("rm index");
    let out = crate::harness::signpost_command(&app.config)
        .arg("reindex")
        .current_dir(app.dir.path())
        .output()
        .expect("run reindex");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("search index rebuilt: 2 documents"));
    let (search, needs_rebuild) = SearchIndex::open(&app.config.index_dir()).expect("open");
    assert!(!needs_rebuild, "reindex leaves a complete index");
    assert_eq!(search.num_docs(), 2);
}

#[actix_web::test]
async fn reindex_refuses_while_the_server_holds_the_index() {
    let app = guide();
    let out = crate::harness::signpost_command(&app.config)
        .arg("reindex")
        .current_dir(app.dir.path())
        .output()
        .expect("run reindex");
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("stop the running server first"));
    // The running app still works.
    assert_eq!(hits(&app, "amber"), ["/docs/guide/modem"]);
}

#[actix_web::test]
async fn tree_changes_are_queued_as_steps_and_legacy_tree_rows_still_apply() {
    use diesel::connection::SimpleConnection;
    use diesel::sql_types::Text;

    #[derive(QueryableByName)]
    struct Kind {
        #[diesel(sql_type = Text)]
        doc_kind: String,
    }

    let mut app = TestApp::guide()
        .tree("router", &crate::fixtures::router_tree())
        .start();
    app.wait_indexed();
    app.stop();
    {
        let pool = signpost::db::open(&app.config.database(), PoolSettings::sized(1)).expect("db");
        let mut conn = pool.get().expect("conn");
        // Search calls a tree's documents steps, and so does the outbox.
        let kinds: Vec<String> = diesel::sql_query(
            "SELECT DISTINCT doc_kind FROM search_outbox WHERE doc_kind <> 'article'",
        )
        .load::<Kind>(&mut conn)
        .expect("kinds")
        .into_iter()
        .map(|k| k.doc_kind)
        .collect();
        assert_eq!(kinds, ["step"]);
        // Rows written before the rename say `tree`; one written by a newer
        // version may name a kind this one does not know.
        conn.batch_execute(
            "UPDATE trees SET definition = replace(definition, 'Reboot it', 'Power cycle it');
             INSERT INTO search_outbox (doc_kind, doc_id, created_at) VALUES ('hologram', 1, 1);
             INSERT INTO search_outbox (doc_kind, doc_id, created_at)
                 SELECT 'tree', id, 1 FROM trees WHERE slug = 'router';",
        )
        .expect("legacy rows");
    }
    app.restart().expect("restart");
    app.wait_indexed();
    let found = hits(&app, "cycle");
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(found[0].starts_with("/troubleshoot/router"), "{found:?}");
    assert!(hits(&app, "reboot").is_empty());
}
