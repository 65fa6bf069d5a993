//! Two Signpost apps in one process on one database, each with its own data
//! dir and search index: what several nodes share (setup tokens, the search
//! outbox and its pruning) behaves as one site. The real two-process test
//! is in `nodes.rs`.

use diesel::prelude::*;

use signpost::db::models::{index_nodes, outbox};
use signpost::db::schema::{index_nodes as nodes_table, search_outbox};
use signpost::service::search_feed::nodes::{self, IndexStanding, OUTBOX_RETENTION_SECS};

use crate::fixtures::BODY;
use crate::harness::{result_urls, TestApp};

/// A second node on the database of `first`.
fn second_node(first: &TestApp) -> TestApp {
    let database = first.config.database().url();
    TestApp::guide()
        .configure(move |c| c.database_url = database)
        .start()
}

fn node_name(app: &TestApp) -> String {
    app.started().state.node.clone()
}

#[actix_web::test]
async fn every_node_prints_a_working_setup_link_and_the_first_one_used_spends_all() {
    let a = TestApp::guide().start();
    let b = second_node(&a);
    assert_ne!(node_name(&a), node_name(&b));
    let token_a = a.started().setup_token.clone().expect("token of node a");
    let token_b = b.started().setup_token.clone().expect("token of node b");
    assert_ne!(token_a, token_b);
    // The link node a printed works on node b too (one load balancer).
    let url_a = format!("/setup/{token_a}");
    let url_b = format!("/setup/{token_b}");
    assert_eq!(b.client().get(&url_a).await.status, 200);
    assert_eq!(a.client().get(&url_b).await.status, 200);
    let client = b.client();
    let page = client
        .submit(
            &url_a,
            &url_a,
            &[
                ("username", "first_admin"),
                ("password", "correct horse battery"),
                ("password_confirm", "correct horse battery"),
            ],
        )
        .await;
    assert_eq!(page.status, 303, "{}", page.body);
    // Node b's own link died with it, on both nodes.
    for app in [&a, &b] {
        for url in [&url_a, &url_b] {
            assert_eq!(app.client().get(url).await.status, 404, "{url}");
        }
    }
    let late = a.client();
    let csrf = late.csrf("/login").await;
    let refused = late
        .post(
            &url_b,
            &[
                ("csrf", &csrf),
                ("username", "second_admin"),
                ("password", "correct horse battery"),
                ("password_confirm", "correct horse battery"),
            ],
        )
        .await;
    assert_eq!(refused.status, 404, "{}", refused.body);
}

#[actix_web::test]
async fn pruning_waits_for_live_nodes_and_a_node_back_after_a_prune_rebuilds() {
    let a = TestApp::guide().start();
    let mut b = second_node(&a);
    a.wait_indexed();
    b.wait_indexed();
    let node_b = node_name(&b);
    b.stop();

    let ann = a.member("ann_gap").await;
    ann.asks("Router reboots every night gapmarker", BODY, "router")
        .await;
    a.wait_indexed();
    let pool = a.started().state.db.clone();
    let mut conn = pool.get().expect("conn");
    let newest = outbox::max_id(&mut conn).expect("max id");
    // Node a reports its watermark every few seconds.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    loop {
        let rows = index_nodes::all(&mut conn).expect("nodes");
        let reported = rows
            .iter()
            .find(|n| n.node == node_name(&a))
            .map(|n| n.applied_id);
        if reported == Some(newest) {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "node a never reported {newest}: {rows:?}"
        );
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    let behind = index_nodes::all(&mut conn)
        .expect("nodes")
        .into_iter()
        .find(|n| n.node == node_b)
        .expect("node b registered")
        .applied_id;
    assert!(behind < newest, "b stopped before the question");

    // A week passes.
    let week = OUTBOX_RETENTION_SECS + 3600;
    diesel::update(search_outbox::table)
        .set(search_outbox::created_at.eq(search_outbox::created_at - week))
        .execute(&mut conn)
        .expect("age outbox");
    let now = signpost::db::unix_now();
    // Node b was seen recently: nothing it has not applied is pruned.
    nodes::prune_outbox(&mut conn, now).expect("prune");
    assert_eq!(outbox::pruned_through(&mut conn).expect("mark"), behind);
    assert_eq!(
        outbox::pending_after(&mut conn, behind, 100)
            .expect("pending")
            .last()
            .map(|e| e.id),
        Some(newest),
        "the question's entry waits for node b"
    );
    // Node b stays away past the retention: it no longer holds the outbox.
    diesel::update(nodes_table::table.find(&node_b))
        .set(nodes_table::seen_at.eq(now - week))
        .execute(&mut conn)
        .expect("age node b");
    let report = nodes::prune_outbox(&mut conn, now).expect("prune");
    assert!(report.deleted > 0);
    assert_eq!(outbox::pruned_through(&mut conn).expect("mark"), newest);
    assert_eq!(outbox::max_id(&mut conn).expect("max"), 0, "all pruned");

    // Back, node b finds its index behind the pruned outbox and rebuilds:
    // the question is found although its entry is gone.
    b.restart().expect("node b restarts");
    b.wait_indexed();
    let page = b.get("/search?q=gapmarker").await;
    assert_eq!(
        result_urls(&page.body).len(),
        1,
        "node b rebuilt its index: {}",
        page.body
    );
    // The rebuilt index stands at the prune mark, not at the empty outbox's
    // 0, so it is not found behind again (and rebuilt over and over).
    assert_eq!(b.started().state.search.applied_id(), i64::from(newest));
    let rows = index_nodes::all(&mut conn).expect("nodes");
    let b_row = rows.iter().find(|n| n.node == node_b).expect("node b");
    assert!(b_row.seen_at >= now, "node b reported again: {rows:?}");

    // What registration tells a node starting with an old or a foreign index.
    assert_eq!(
        nodes::register(&mut conn, "probe-node", behind, true, now).expect("register"),
        IndexStanding::Behind {
            watermark: behind,
            pruned: newest
        }
    );
    assert_eq!(
        nodes::register(&mut conn, "probe-node", newest + 50, true, now).expect("register"),
        IndexStanding::Ahead {
            watermark: newest + 50,
            newest
        }
    );
    assert_eq!(
        nodes::register(&mut conn, "probe-node", newest, true, now).expect("register"),
        IndexStanding::Current
    );
}

#[actix_web::test]
async fn the_outbox_is_pruned_in_batches_up_to_the_slowest_live_node() {
    use signpost::kinds::DocKind;
    let app = TestApp::guide().start();
    let mut conn = app.started().state.db.get().expect("db");
    let now = signpost::db::unix_now();
    outbox::enqueue_many(&mut conn, DocKind::Question, 1_000_000..1_000_250, now).expect("enqueue");
    let newest = outbox::max_id(&mut conn).expect("max id");
    let total: i64 = search_outbox::table
        .count()
        .get_result(&mut conn)
        .expect("count");
    assert!(total >= 250, "{total}");
    // The app's node applies them all and reports it.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while index_nodes::min_applied_since(&mut conn, 0).expect("nodes") != Some(newest) {
        assert!(
            std::time::Instant::now() < deadline,
            "the node never reported {newest}"
        );
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    // A week passes; another live node has applied only up to `lagging`.
    let week = OUTBOX_RETENTION_SECS + 3600;
    diesel::update(search_outbox::table)
        .set(search_outbox::created_at.eq(search_outbox::created_at - week))
        .execute(&mut conn)
        .expect("age outbox");
    let lagging = newest - 120;
    index_nodes::record(&mut conn, "lagging-node", lagging, now).expect("node");
    let below: i64 = search_outbox::table
        .filter(search_outbox::id.le(lagging))
        .count()
        .get_result(&mut conn)
        .expect("count");

    let report = nodes::prune_outbox_in_batches(&mut conn, now, 100).expect("prune");
    assert_eq!(report.deleted as i64, below);
    assert_eq!(report.batches as i64, (below + 99) / 100, "{report:?}");
    assert_eq!(outbox::pruned_through(&mut conn).expect("mark"), lagging);
    let left = outbox::pending_after(&mut conn, 0, 1000).expect("left");
    assert_eq!(left.len(), 120);
    assert_eq!(left.first().map(|e| e.id), Some(lagging + 1));

    // The lagging node catches up: the rest goes, 100 at a time.
    index_nodes::record(&mut conn, "lagging-node", newest, now).expect("node");
    let report = nodes::prune_outbox_in_batches(&mut conn, now, 100).expect("prune");
    assert_eq!((report.deleted, report.batches), (120, 2), "{report:?}");
    assert_eq!(outbox::pruned_through(&mut conn).expect("mark"), newest);
    assert_eq!(outbox::max_id(&mut conn).expect("max"), 0, "all pruned");
    // Nothing more to do: no empty transactions counted.
    let report = nodes::prune_outbox(&mut conn, now).expect("prune");
    assert_eq!((report.deleted, report.batches), (0, 0));
}
