//! The write path under real failure: the real binary is killed with SIGKILL
//! while posts stream in; after a restart every post whose response said
//! "created" is in the database and, once the indexer caught up, findable.
//! Then the index folder is deleted while stopped and rebuilt at the next
//! start while the site serves.

use signpost::config::PoolSettings;

use crate::harness::TestApp;
use crate::process::{assert_stored, create_user, free_port, spawn, Http, PostStream};

#[test]
fn posts_survive_sigkill_and_a_lost_index_is_rebuilt() {
    let (dir, config) = TestApp::guide().prepare();
    create_user(
        dir.path(),
        &config,
        "crash_staff",
        "staff",
        "harbor lantern quiet 9",
    );

    let port = free_port();
    let mut server = spawn(dir.path(), &config, port, &[]);
    let http = Http::new(port);
    http.wait_healthy();
    assert_eq!(
        http.login("crash_staff", "harbor lantern quiet 9").status,
        303
    );
    let csrf = http.csrf("/questions/ask");

    // Post from two threads; kill the server hard while they are at it.
    let stream = PostStream::start(&http, &csrf, 2, "crashmark");
    stream.wait_for(40);
    server.kill();
    let created = stream.stop();
    assert!(
        created.len() >= 40,
        "posted {} before the kill",
        created.len()
    );

    // Every acknowledged post is in the database.
    let pool = signpost::db::open(&config.database(), PoolSettings::sized(1)).expect("db");
    assert_stored(&pool, "crashmark", &created);

    // After a restart the indexer catches up: every post is findable.
    let mut server = spawn(dir.path(), &config, port, &[]);
    http.wait_healthy();
    for (i, _) in &created {
        assert!(
            http.findable(&PostStream::marker("crashmark", *i)),
            "post {i} not findable after restart"
        );
    }
    server.kill();

    // A deleted index is rebuilt at the next start, while the site serves.
    std::fs::remove_dir_all(config.index_dir()).expect("delete index");
    let mut server = spawn(dir.path(), &config, port, &[]);
    http.wait_healthy();
    assert_eq!(
        http.request("GET", "/docs/guide", None)
            .expect("page")
            .status,
        200
    );
    let (last, _) = created.last().expect("one post");
    assert!(
        http.findable(&PostStream::marker("crashmark", *last)),
        "rebuilt index finds the posts"
    );
    server.kill();
}
