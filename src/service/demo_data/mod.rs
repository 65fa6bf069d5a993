//! Deterministic demo and benchmark data: a support community for a made-up
//! product line (a home router, printers, a NAS and their app) with readable
//! questions and answers, realistic lengths, answer counts, votes and
//! accepted answers, and a short clarifying exchange in the comments of
//! every fourth answered question. The same seed always gives the same data.
//!
//! [`catalog`] holds the product vocabulary and the issues, [`writer`] turns
//! them into threads, and this module writes the threads in batches.

pub mod catalog;
pub mod writer;

use std::collections::{BTreeSet, HashMap};

use diesel::prelude::*;

use crate::db::models::outbox;
use crate::db::schema::{answers, comments, question_tags, questions, tags, users};
use crate::db::{per_backend, Conn};
use crate::error::{AppError, AppResult};
use crate::ids::{AnswerId, QuestionId, TagId, UserId};
use crate::kinds::DocKind;

pub use writer::{answer_counts, thread, Body, Reply, Rng, Thread};

/// What to generate.
#[derive(Debug, Clone, Copy)]
pub struct DemoOptions {
    /// Questions.
    pub questions: usize,
    /// Answers per question, on average (the total is exact).
    pub answers_per_question: usize,
    /// Random seed.
    pub seed: u64,
    /// Distinct authors.
    pub users: usize,
}

/// What was generated.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DemoReport {
    /// Users created.
    pub users: usize,
    /// Questions created.
    pub questions: usize,
    /// Answers created.
    pub answers: usize,
    /// Comments created.
    pub comments: usize,
}

/// Questions written per transaction (and per answer-count draw).
const BATCH: usize = 1000;
/// Creation time of the first question.
const BASE_TIME: i64 = 1_700_000_000;

/// The threads of a demo site, in order: what [`generate`] writes, so other
/// code (the relevance benchmark) can know which question is about what.
pub struct ThreadStream {
    rng: Rng,
    options: DemoOptions,
    made: usize,
    pending: std::vec::IntoIter<usize>,
}

impl ThreadStream {
    /// The threads for `options`.
    pub fn new(options: DemoOptions) -> Self {
        ThreadStream {
            rng: Rng::new(options.seed),
            options,
            made: 0,
            pending: Vec::new().into_iter(),
        }
    }
}

impl Iterator for ThreadStream {
    type Item = Thread;

    fn next(&mut self) -> Option<Thread> {
        if self.made >= self.options.questions {
            return None;
        }
        if self.made % BATCH == 0 {
            let n = BATCH.min(self.options.questions - self.made);
            let counts = answer_counts(&mut self.rng, n, self.options.answers_per_question);
            self.pending = counts.into_iter();
        }
        let answers = self.pending.next().unwrap_or(0);
        self.made += 1;
        Some(thread(&mut self.rng, answers, self.options.users.max(1)))
    }
}

/// Fills the database; `progress(done_posts, total_posts)` as it goes.
pub fn generate(
    conn: &mut Conn,
    options: DemoOptions,
    progress: &dyn Fn(u64, u64),
) -> AppResult<DemoReport> {
    refuse_existing(conn)?;
    let user_ids = insert_users(conn, options.users.max(1))?;
    let tag_ids = insert_tags(conn)?;
    let mut tag_counts: HashMap<&'static str, i32> = HashMap::new();
    let total = (options.questions * (1 + options.answers_per_question)) as u64;
    let mut report = DemoReport {
        users: user_ids.len(),
        ..Default::default()
    };
    let mut stream = ThreadStream::new(options);
    while report.questions < options.questions {
        let first = report.questions;
        let batch: Vec<Thread> = stream.by_ref().take(BATCH).collect();
        if batch.is_empty() {
            break;
        }
        report.comments += conn.immediate_transaction(|conn| {
            write_batch(conn, first, &batch, &user_ids, &tag_ids, &mut tag_counts)
        })?;
        report.questions += batch.len();
        report.answers += batch.iter().map(|t| t.answers.len()).sum::<usize>();
        progress((report.questions + report.answers) as u64, total);
    }
    update_tag_counts(conn, &tag_ids, &tag_counts)?;
    Ok(report)
}

fn refuse_existing(conn: &mut Conn) -> AppResult<()> {
    let exists: bool = diesel::select(diesel::dsl::exists(
        users::table.filter(users::username_key.eq("demo-0")),
    ))
    .get_result(conn)?;
    if exists {
        return Err(AppError::Conflict(
            "This database already holds demo data; use a fresh data dir.".into(),
        ));
    }
    Ok(())
}

fn insert_users(conn: &mut Conn, count: usize) -> AppResult<Vec<UserId>> {
    let mut ids = Vec::with_capacity(count);
    for start in (0..count).step_by(BATCH) {
        let rows: Vec<_> = (start..count.min(start + BATCH))
            .map(|i| {
                (
                    users::username.eq(format!("demo-{i}")),
                    users::username_key.eq(format!("demo-{i}")),
                    users::display_name.eq(format!("Demo user {i}")),
                    users::role.eq("member"),
                    users::created_at.eq(BASE_TIME),
                    users::updated_at.eq(BASE_TIME),
                )
            })
            .collect();
        let batch: Vec<UserId> = conn.immediate_transaction(|conn| {
            per_backend!(conn, |c| diesel::insert_into(users::table)
                .values(&rows)
                .returning(users::id)
                .get_results(c))
        })?;
        ids.extend(batch);
    }
    Ok(ids)
}

/// Every tag the catalog uses, by name (tags that already exist are reused).
fn insert_tags(conn: &mut Conn) -> AppResult<HashMap<&'static str, TagId>> {
    let names: BTreeSet<&'static str> = catalog::FAMILIES
        .iter()
        .map(|f| f.key)
        .chain(catalog::ISSUES.iter().flat_map(|i| i.tags.iter().copied()))
        .collect();
    let rows: Vec<_> = names.iter().map(|n| tags::name.eq(*n)).collect();
    per_backend!(conn, |c| diesel::insert_into(tags::table)
        .values(&rows)
        .on_conflict_do_nothing()
        .execute(c))?;
    let found: Vec<(String, TagId)> = tags::table
        .filter(tags::name.eq_any(names.iter().copied()))
        .select((tags::name, tags::id))
        .load(conn)?;
    let ids: HashMap<String, TagId> = found.into_iter().collect();
    Ok(names
        .into_iter()
        .filter_map(|n| ids.get(n).map(|id| (n, *id)))
        .collect())
}

/// Writes one batch of threads; `first` is the index of its first question.
/// Returns the number of comments written.
fn write_batch(
    conn: &mut Conn,
    first: usize,
    batch: &[Thread],
    user_ids: &[UserId],
    tag_ids: &HashMap<&'static str, TagId>,
    tag_counts: &mut HashMap<&'static str, i32>,
) -> AppResult<usize> {
    let ids = insert_questions(conn, first, batch, user_ids)?;
    let mut links = Vec::new();
    for (k, (qid, thread)) in ids.iter().zip(batch).enumerate() {
        for tag in &thread.tags {
            *tag_counts.entry(tag).or_default() += 1;
            if let Some(tag_id) = tag_ids.get(tag) {
                links.push((
                    question_tags::question_id.eq(*qid),
                    question_tags::tag_id.eq(*tag_id),
                    question_tags::created_at.eq(asked_at(first + k)),
                ));
            }
        }
    }
    for chunk in links.chunks(5000) {
        per_backend!(conn, |c| diesel::insert_into(question_tags::table)
            .values(chunk)
            .execute(c))?;
    }
    insert_answers(conn, first, &ids, batch, user_ids)?;
    let comments = insert_comments(conn, first, &ids, batch, user_ids)?;
    outbox::enqueue_many(
        conn,
        DocKind::Question,
        ids.iter().map(|id| i32::from(*id)),
        BASE_TIME,
    )?;
    Ok(comments)
}

/// What an answerer asks under a question, and what the asker replies.
const CLARIFICATIONS: &[(&str, &str)] = &[
    (
        "Which firmware version is it running? It is under *Settings › About*.",
        "@{answerer} it says 2.4.1, updated last month.",
    ),
    (
        "Did this start after an update, or out of the blue?",
        "@{answerer} right after the last update, as far as I can tell.",
    ),
    (
        "Is the status light steady or blinking while this happens?",
        "@{answerer} blinking, about once a second.",
    ),
    (
        "Does it still happen after a restart with `Hold reset for 10 s`?",
        "@{answerer} yes, the restart changes nothing.",
    ),
];

/// Every fourth answered question gets a clarifying question from its first
/// answerer and the asker's reply (mentioning them). Returns how many
/// comments were written.
fn insert_comments(
    conn: &mut Conn,
    first: usize,
    ids: &[QuestionId],
    batch: &[Thread],
    user_ids: &[UserId],
) -> AppResult<usize> {
    let mut rows = Vec::new();
    for (k, thread) in batch.iter().enumerate() {
        let index = first + k;
        let Some(reply) = thread.answers.first() else {
            continue;
        };
        if index % 4 != 0 {
            continue;
        }
        let asker = user_ids[thread.author % user_ids.len()];
        let answerer_index = reply.author % user_ids.len();
        let answerer = user_ids[answerer_index];
        // The usernames insert_users gives.
        let name = format!("demo-{answerer_index}");
        let url = crate::paths::user(&name);
        let (ask, answer) = CLARIFICATIONS[(index / 4) % CLARIFICATIONS.len()];
        let answer = answer.replace("{answerer}", &name);
        let asked = asked_at(index);
        for (author, text, at) in [
            (answerer, ask.to_string(), asked + 400),
            (asker, answer, asked + 500),
        ] {
            let rendered = crate::markdown::render_comment(&text, &|m| {
                m.eq_ignore_ascii_case(&name).then(|| url.clone())
            });
            rows.push((
                comments::question_id.eq(ids[k]),
                comments::author_id.eq(author),
                comments::body_md.eq(text),
                comments::body_html.eq(rendered.html),
                comments::body_text.eq(rendered.text),
                comments::created_at.eq(at),
            ));
        }
    }
    for chunk in rows.chunks(BATCH) {
        per_backend!(conn, |c| diesel::insert_into(comments::table)
            .values(chunk)
            .execute(c))?;
    }
    Ok(rows.len())
}

/// When question `index` was asked.
fn asked_at(index: usize) -> i64 {
    BASE_TIME + (index as i64) * 37
}

fn insert_questions(
    conn: &mut Conn,
    first: usize,
    batch: &[Thread],
    user_ids: &[UserId],
) -> AppResult<Vec<QuestionId>> {
    let rows: Vec<_> = batch
        .iter()
        .enumerate()
        .map(|(k, t)| {
            let created = asked_at(first + k);
            let last = created + 600 + 300 * t.answers.len() as i64;
            (
                questions::author_id.eq(user_ids[t.author % user_ids.len()]),
                questions::title.eq(&t.title),
                questions::slug.eq(crate::service::questions::title_slug(&t.title)),
                questions::body_md.eq(&t.body.md),
                questions::body_html.eq(&t.body.html),
                questions::body_text.eq(&t.body.text),
                questions::tags.eq(t.tags.join(",")),
                questions::score.eq(t.score),
                questions::answer_count.eq(t.answers.len() as i32),
                (
                    questions::created_at.eq(created),
                    questions::updated_at.eq(created),
                    questions::last_activity_at.eq(last),
                ),
            )
        })
        .collect();
    Ok(per_backend!(conn, |c| diesel::insert_into(
        questions::table
    )
    .values(&rows)
    .returning(questions::id)
    .get_results(c))?)
}

/// Inserts the replies and marks accepted answers.
fn insert_answers(
    conn: &mut Conn,
    first: usize,
    ids: &[QuestionId],
    batch: &[Thread],
    user_ids: &[UserId],
) -> AppResult<()> {
    let replies: Vec<(usize, usize, &Reply)> = batch
        .iter()
        .enumerate()
        .flat_map(|(k, t)| t.answers.iter().enumerate().map(move |(j, r)| (k, j, r)))
        .collect();
    let mut accepted: Vec<(usize, AnswerId)> = Vec::new();
    for chunk in replies.chunks(BATCH) {
        let rows: Vec<_> = chunk
            .iter()
            .map(|(k, j, r)| {
                let at = asked_at(first + k) + 600 + *j as i64 * 300;
                (
                    answers::question_id.eq(ids[*k]),
                    answers::author_id.eq(user_ids[r.author % user_ids.len()]),
                    answers::body_md.eq(r.body.md.as_str()),
                    answers::body_html.eq(r.body.html.as_str()),
                    answers::body_text.eq(r.body.text.as_str()),
                    answers::score.eq(r.score),
                    answers::created_at.eq(at),
                    answers::updated_at.eq(at),
                )
            })
            .collect();
        let answer_ids: Vec<AnswerId> =
            per_backend!(conn, |c| diesel::insert_into(answers::table)
                .values(&rows)
                .returning(answers::id)
                .get_results(c))?;
        for ((k, j, _), id) in chunk.iter().zip(answer_ids) {
            if batch[*k].accepted == Some(*j) {
                accepted.push((*k, id));
            }
        }
    }
    for (k, answer) in accepted {
        diesel::update(questions::table.find(ids[k]))
            .set((
                questions::accepted_answer_id.eq(Some(answer)),
                questions::accepted_by.eq(None::<UserId>),
                questions::accepted_at.eq(Some(asked_at(first + k) + 3600)),
            ))
            .execute(conn)?;
    }
    Ok(())
}

/// Adds the generated questions to each tag's count.
fn update_tag_counts(
    conn: &mut Conn,
    tag_ids: &HashMap<&'static str, TagId>,
    counts: &HashMap<&'static str, i32>,
) -> AppResult<()> {
    conn.immediate_transaction(|conn| -> AppResult<()> {
        for (name, count) in counts {
            if let Some(id) = tag_ids.get(name) {
                diesel::update(tags::table.find(*id))
                    .set(tags::question_count.eq(tags::question_count + *count))
                    .execute(conn)?;
            }
        }
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn options(seed: u64) -> DemoOptions {
        DemoOptions {
            questions: 2500,
            answers_per_question: 3,
            seed,
            users: 50,
        }
    }

    #[test]
    fn the_same_seed_gives_the_same_threads() {
        let text = |seed| -> Vec<String> {
            ThreadStream::new(options(seed))
                .take(300)
                .map(|t| format!("{}\n{}", t.title, t.body.md))
                .collect()
        };
        assert_eq!(text(7), text(7));
        assert_ne!(text(7), text(8));
    }

    #[test]
    fn the_answer_total_is_exact_and_threads_vary_in_length() {
        let mut rng = Rng::new(3);
        let counts = answer_counts(&mut rng, 1000, 3);
        assert_eq!(counts.iter().sum::<usize>(), 3000);
        let unanswered = counts.iter().filter(|c| **c == 0).count();
        let long = counts.iter().filter(|c| **c >= 7).count();
        assert!((80..300).contains(&unanswered), "{unanswered} unanswered");
        assert!(long >= 50, "{long} long threads");
        assert_eq!(answer_counts(&mut rng, 10, 0), vec![0; 10]);
        assert_eq!(answer_counts(&mut rng, 10, 1).iter().sum::<usize>(), 10);
    }

    #[test]
    fn threads_are_filled_in_readable_text() {
        let threads: Vec<Thread> = ThreadStream::new(options(1)).collect();
        assert_eq!(threads.len(), 2500);
        let mut accepted = 0;
        let mut tips = 0;
        for t in &threads {
            for text in std::iter::once(&t.title)
                .chain(std::iter::once(&t.body.md))
                .chain(t.answers.iter().map(|a| &a.body.md))
            {
                assert!(!text.contains('{') && !text.contains('}'), "{text}");
                let capital = text.chars().next().is_some_and(char::is_uppercase);
                assert!(capital || text.starts_with("iP"), "{text}");
            }
            assert!(crate::service::questions::normalize_tags(&t.tags.join(",")).is_ok());
            if let Some(a) = t.accepted {
                assert!(a < t.answers.len());
                accepted += 1;
            }
            if let Some(k) = t.tip_at {
                assert!(k >= 6 && k < t.answers.len());
                assert!(t.answers[k].body.text.contains(t.issue.tip));
                tips += 1;
            }
        }
        assert!((900..1800).contains(&accepted), "{accepted} accepted");
        assert!(tips >= 50, "{tips} threads with a late tip");
        let words: Vec<usize> = threads
            .iter()
            .map(|t| t.body.text.split_whitespace().count())
            .collect();
        assert!(words.iter().min() < Some(&35) && words.iter().max() > Some(&120));
    }

    #[test]
    fn every_issue_is_complete_and_its_tip_is_its_own() {
        for issue in catalog::ISSUES {
            assert!(issue.family < catalog::FAMILIES.len(), "{}", issue.key);
            assert!(!issue.titles.is_empty() && !issue.symptoms.is_empty());
            if issue.tip.is_empty() {
                continue;
            }
            for other in catalog::ISSUES.iter().filter(|o| o.key != issue.key) {
                assert!(!other.fix.contains(issue.tip) && !other.tip.contains(issue.tip));
            }
        }
        let keys: BTreeSet<&str> = catalog::ISSUES.iter().map(|i| i.key).collect();
        assert_eq!(keys.len(), catalog::ISSUES.len(), "issue keys are unique");
    }
}
