//! Micro-benchmarks (`cargo bench`): typo-tolerant search with snippets
//! (the query lists of `benches/queries/`), markdown rendering of a long
//! article, and serving a question page.
//!
//! The search benchmark indexes 10,000 generated documents; set
//! `SIGNPOST_BENCH_LARGE=1` to add the 1,000,000-document case (about a
//! minute to build). Speed targets are checked here and by `benches/load.sh`,
//! never by timed unit tests.

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use signpost::search::{SearchDoc, SearchIndex, SearchRequest};
use signpost::service::demo_data::{thread, Rng};
use signpost::service::search_speed::parse_list;

/// The query lists `benches/load.sh` and `signpost bench-search` use: 1-3
/// words (many misspelt) and 8-12 word questions.
const QUERY_LISTS: &[(&str, &str)] = &[
    ("short", include_str!("queries/short.txt")),
    ("long", include_str!("queries/long.txt")),
];

fn build_index(docs: usize) -> (tempfile::TempDir, SearchIndex) {
    let dir = tempfile::tempdir().expect("temp dir");
    let (index, _) = SearchIndex::open(dir.path()).expect("index");
    let mut feed = index.feed().expect("writer");
    let mut rng = Rng::new(1);
    let mut batch = Vec::with_capacity(10_000);
    for i in 0..docs {
        let t = thread(&mut rng, 2, 100);
        let mut body = t.body.text;
        for answer in &t.answers {
            body.push('\n');
            body.push_str(&answer.body.text);
        }
        batch.push(signpost::search::indexer::GroupUpdate {
            group: format!("question:{i}"),
            docs: vec![SearchDoc {
                kind: "question".into(),
                group: format!("question:{i}"),
                url: format!("/questions/{i}/x"),
                title: t.title,
                context: Vec::new(),
                body,
                tags: t.tags.iter().map(|tag| tag.to_string()).collect(),
                breadcrumb: "Questions".into(),
                boost: 1.0 + rng.unit(),
                solved: rng.below(2) == 0,
            }],
        });
        if batch.len() == 10_000 {
            feed.stage(&batch).expect("stage");
            batch.clear();
        }
    }
    feed.stage(&batch).expect("stage");
    feed.commit(1).expect("commit");
    drop(feed);
    (dir, index)
}

fn search(c: &mut Criterion) {
    let mut sizes = vec![10_000];
    if std::env::var("SIGNPOST_BENCH_LARGE").is_ok() {
        sizes.push(1_000_000);
    }
    let mut group = c.benchmark_group("search");
    for size in sizes {
        let (_dir, index) = build_index(size);
        for (name, text) in QUERY_LISTS {
            let queries = parse_list(text);
            let mut i = 0;
            group.bench_with_input(
                BenchmarkId::new(format!("with_snippets/{name}"), size),
                &size,
                |b, _| {
                    b.iter(|| {
                        i = (i + 1) % queries.len();
                        black_box(
                            index
                                .search(&SearchRequest {
                                    text: &queries[i],
                                    kind: None,
                                    limit: 10,
                                    offset: 0,
                                })
                                .expect("search"),
                        )
                    })
                },
            );
        }
    }
    group.finish();
}

fn long_article() -> String {
    let mut rng = Rng::new(3);
    let mut md = String::new();
    for section in 0..40 {
        let t = thread(&mut rng, 2, 100);
        md.push_str(&format!("## Section {section}: {}\n\n", t.title));
        md.push_str(&t.body.md);
        for answer in &t.answers {
            md.push_str("\n\n");
            md.push_str(&answer.body.md);
        }
        md.push_str("\n\n| Setting | Default | Meaning |\n|---|---|---|\n| listen | 127.0.0.1:8080 | where to listen |\n\n");
        md.push_str("```rust\nfn main() {\n    let answer = 42;\n    println!(\"{answer}\");\n}\n```\n\n> [!NOTE]\n> Keep the data dir on a local disk.\n\n");
    }
    md
}

fn markdown(c: &mut Criterion) {
    let md = long_article();
    c.bench_function("markdown/render_long_article", |b| {
        b.iter(|| {
            black_box(signpost::markdown::render(
                black_box(&md),
                signpost::markdown::Profile::Trusted,
                &|_| None,
            ))
        })
    });
}

fn question_page(c: &mut Criterion) {
    use actix_web::test;
    let dir = tempfile::tempdir().expect("temp dir");
    let config = signpost::config::Config {
        data_dir: dir.path().join("data"),
        content_dir: dir.path().join("content"),
        ..Default::default()
    };
    let runtime = actix_web::rt::System::new();
    let started = signpost::app::start(config).expect("start");
    {
        let mut conn = started.state.db.get().expect("db");
        signpost::service::demo_data::generate(
            &mut conn,
            signpost::service::demo_data::DemoOptions {
                questions: 200,
                answers_per_question: 5,
                seed: 9,
                users: 50,
            },
            &|_, _| {},
        )
        .expect("demo data");
    }
    let service = runtime.block_on(test::init_service(signpost::app::build_app(
        started.state.clone(),
    )));
    let path = runtime.block_on(async {
        let response = test::call_service(
            &service,
            test::TestRequest::get().uri("/questions/100").to_request(),
        )
        .await;
        response
            .headers()
            .get("location")
            .and_then(|v| v.to_str().ok())
            .map(String::from)
            .expect("canonical url")
    });
    c.bench_function("question_page/render_with_5_answers", |b| {
        b.iter(|| {
            runtime.block_on(async {
                let response =
                    test::call_service(&service, test::TestRequest::get().uri(&path).to_request())
                        .await;
                assert!(response.status().is_success());
                black_box(test::read_body(response).await)
            })
        })
    });
    drop(started);
}

criterion_group!(benches, search, markdown, question_page);
criterion_main!(benches);
