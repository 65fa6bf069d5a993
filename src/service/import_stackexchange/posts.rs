//! The dump's posts: questions and answers streamed from `Posts.xml` in file
//! order, each row checked, then written in batches; afterwards what needs
//! every post is settled (accepted answers, answer and tag counts, the
//! search outbox).

use std::collections::{HashMap, HashSet};
use std::path::Path;

use diesel::prelude::*;
use diesel::sql_types::Integer;

use super::xml::{attr, for_each_row, parse_date, parse_tags, Row, POST_FIELDS};
use super::{imported, pipeline, remember_many, ImportReport, Progress, BATCH};
use crate::db::schema::{answers, question_tags, questions, tags};
use crate::db::{per_backend, Conn};
use crate::error::{AppError, AppResult};
use crate::ids::{AnswerId, QuestionId, TagId, UserId};
use crate::kinds::DocKind;
use crate::markdown::{self, Profile};

/// Most questions named in one statement, below SQLite's limit on bound variables.
const CHUNK: usize = 5000;
/// Rows per multi-row insert, each below SQLite's limit of 32,766 bound
/// variables (and PostgreSQL's 65,535): questions bind 12 values a row,
/// answers 9, tags 1, tag links 3.
const QUESTION_ROWS: usize = 1000;
const ANSWER_ROWS: usize = 2000;
const TAG_ROWS: usize = 5000;
const LINK_ROWS: usize = 5000;

/// What the import knows while it writes posts.
pub(super) struct PostImport {
    /// The import's time, for rows without a date.
    now: i64,
    /// Owner of posts whose author is not in the dump.
    ghost: UserId,
    /// Imported users: source id to local id.
    user_ids: HashMap<i64, UserId>,
    /// Imported questions: source id to local id.
    question_ids: HashMap<i64, QuestionId>,
    /// Imported answers: source id to local id.
    answer_ids: HashMap<i64, AnswerId>,
    /// Every tag: name to id.
    tag_ids: HashMap<String, TagId>,
    /// Questions written now and the source id of their accepted answer.
    accepted: Vec<(QuestionId, i64)>,
    /// Questions written now or given an answer now.
    touched_questions: Vec<QuestionId>,
}

/// A post row that passed every check, ready to write.
struct Post<'a> {
    /// Sanitized body, if a worker rendered it.
    rendered: Option<Rendered>,
    source_id: i64,
    body: &'a str,
    created: i64,
    active: i64,
    score: i32,
    author: UserId,
    kind: PostKind<'a>,
}

/// What is particular to a question or an answer.
enum PostKind<'a> {
    Question {
        title: &'a str,
        tags: Vec<String>,
        accepted: Option<i64>,
    },
    Answer {
        question: Parent,
    },
}

/// The question an answer belongs to.
#[derive(Clone, Copy)]
enum Parent {
    /// Written in an earlier batch or run.
    Stored(QuestionId),
    /// Written in the same batch, at this position among its questions.
    InBatch(usize),
}

/// What one batch holds so far while its rows are checked, so that a row is
/// judged as if every row before it had been written.
#[derive(Default)]
struct Seen {
    /// Questions of the batch: source id to position among them.
    questions: HashMap<i64, usize>,
    /// Source ids of the batch's answers.
    answers: HashSet<i64>,
}

/// What to do with one row.
enum Verdict<'a> {
    /// Write it.
    Write(Post<'a>),
    /// Imported before.
    Already,
    /// Not a question or an answer (wiki pages, tag excerpts and the like).
    NotAPost,
    /// Skip it, for this reason.
    Skip(String),
}

impl PostImport {
    /// Loads what earlier runs imported and every tag.
    pub(super) fn start(
        conn: &mut Conn,
        user_ids: HashMap<i64, UserId>,
        ghost: UserId,
        now: i64,
    ) -> AppResult<Self> {
        let question_ids = imported(conn, "question")?
            .into_iter()
            .map(|(source, id)| (source, QuestionId(id)))
            .collect();
        let answer_ids = imported(conn, "answer")?
            .into_iter()
            .map(|(source, id)| (source, AnswerId(id)))
            .collect();
        let tag_ids = tags::table
            .select((tags::name, tags::id))
            .load::<(String, TagId)>(conn)?
            .into_iter()
            .collect();
        Ok(PostImport {
            now,
            ghost,
            user_ids,
            question_ids,
            answer_ids,
            tag_ids,
            accepted: Vec::new(),
            touched_questions: Vec::new(),
        })
    }

    /// Streams `Posts.xml`, writing a batch at a time and reporting progress
    /// after each. The file is read on one thread and the bodies sanitized
    /// on a pool of workers while this thread writes the batches before, in
    /// file order.
    pub(super) fn stream(
        &mut self,
        conn: &mut Conn,
        path: &Path,
        report: &mut ImportReport,
        progress: Progress<'_>,
    ) -> AppResult<()> {
        let total = std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
        let earlier = Earlier {
            questions: self.question_ids.keys().copied().collect(),
            answers: self.answer_ids.keys().copied().collect(),
        };
        let mut last_position = 0u64;
        pipeline::ordered(
            pipeline::default_workers(),
            |hand_over| read_batches(path, hand_over),
            |batch| earlier.render(batch),
            |batch| {
                report.skipped.extend(batch.unreadable);
                last_position = batch.position;
                if !batch.rows.is_empty() {
                    self.write_batch(conn, batch.rows, report)?;
                    progress(batch.position, total, posts_done(report));
                }
                Ok(())
            },
        )?;
        progress(total.max(last_position), total, posts_done(report));
        Ok(())
    }

    /// Checks one batch of rows and writes it in one transaction, each table
    /// with multi-row inserts.
    fn write_batch(
        &mut self,
        conn: &mut Conn,
        batch: Vec<(Row, Option<Rendered>)>,
        report: &mut ImportReport,
    ) -> AppResult<()> {
        let (rows, rendered): (Vec<Row>, Vec<Option<Rendered>>) = batch.into_iter().unzip();
        let mut seen = Seen::default();
        let mut questions: Vec<Post<'_>> = Vec::new();
        let mut answers: Vec<Post<'_>> = Vec::new();
        for (row, rendered) in rows.iter().zip(rendered) {
            match self.check(row, &seen) {
                Verdict::Write(mut post) => {
                    post.rendered = rendered;
                    match post.kind {
                        PostKind::Question { .. } => {
                            seen.questions.insert(post.source_id, questions.len());
                            questions.push(post);
                        }
                        PostKind::Answer { .. } => {
                            seen.answers.insert(post.source_id);
                            answers.push(post);
                        }
                    }
                }
                Verdict::Already => report.already += 1,
                Verdict::NotAPost => {}
                Verdict::Skip(reason) => report.skipped.push(reason),
            }
        }
        conn.immediate_transaction(|conn| -> AppResult<()> {
            let question_ids = self.write_questions(conn, questions, report)?;
            self.write_answers(conn, answers, &question_ids, report)?;
            Ok(())
        })
    }

    /// Checks one row: a numeric Id, a post type, not imported before (nor
    /// earlier in its batch), a body, and a title (questions) or a question
    /// imported before it (answers).
    fn check<'a>(&self, row: &'a Row, seen: &Seen) -> Verdict<'a> {
        let id_text = attr(row, "Id").unwrap_or("?");
        let Ok(source_id) = id_text.parse::<i64>() else {
            return Verdict::Skip(format!("Posts.xml row Id={id_text}: Id is not a number"));
        };
        let is_question = match attr(row, "PostTypeId") {
            Some("1") => true,
            Some("2") => false,
            _ => return Verdict::NotAPost,
        };
        let already = if is_question {
            self.question_ids.contains_key(&source_id) || seen.questions.contains_key(&source_id)
        } else {
            self.answer_ids.contains_key(&source_id) || seen.answers.contains(&source_id)
        };
        if already {
            return Verdict::Already;
        }
        let Some(body) = attr(row, "Body") else {
            return Verdict::Skip(format!("Posts.xml row Id={source_id}: no Body"));
        };
        let kind = if is_question {
            let Some(title) = attr(row, "Title").map(str::trim).filter(|t| !t.is_empty()) else {
                return Verdict::Skip(format!(
                    "Posts.xml row Id={source_id}: a question without a Title"
                ));
            };
            PostKind::Question {
                title,
                tags: parse_tags(attr(row, "Tags").unwrap_or("")),
                accepted: attr(row, "AcceptedAnswerId").and_then(|v| v.parse::<i64>().ok()),
            }
        } else {
            let parent = attr(row, "ParentId")
                .and_then(|v| v.parse::<i64>().ok())
                .and_then(|p| {
                    self.question_ids
                        .get(&p)
                        .map(|id| Parent::Stored(*id))
                        .or_else(|| seen.questions.get(&p).map(|at| Parent::InBatch(*at)))
                });
            let Some(question) = parent else {
                return Verdict::Skip(format!("Posts.xml row Id={source_id}: an answer whose question (ParentId) is not in the dump"));
            };
            PostKind::Answer { question }
        };
        let created = attr(row, "CreationDate")
            .and_then(parse_date)
            .unwrap_or(self.now);
        Verdict::Write(Post {
            rendered: None,
            source_id,
            body,
            created,
            active: attr(row, "LastActivityDate")
                .and_then(parse_date)
                .unwrap_or(created),
            score: attr(row, "Score").and_then(|v| v.parse().ok()).unwrap_or(0),
            author: attr(row, "OwnerUserId")
                .and_then(|v| v.parse::<i64>().ok())
                .and_then(|u| self.user_ids.get(&u).copied())
                .unwrap_or(self.ghost),
            kind,
        })
    }

    /// Writes the checked questions of a batch, their tags and their
    /// import rows; returns their ids in the order given.
    fn write_questions(
        &mut self,
        conn: &mut Conn,
        mut posts: Vec<Post<'_>>,
        report: &mut ImportReport,
    ) -> AppResult<Vec<QuestionId>> {
        let bodies: Vec<Rendered> = posts.iter_mut().map(Post::take_rendered).collect();
        let mut ids = Vec::with_capacity(posts.len());
        for (chunk, rendered) in posts
            .chunks(QUESTION_ROWS)
            .zip(bodies.chunks(QUESTION_ROWS))
        {
            let rows: Vec<_> = chunk
                .iter()
                .zip(rendered)
                .filter_map(|(post, body)| {
                    let PostKind::Question { title, tags, .. } = &post.kind else {
                        return None;
                    };
                    Some((
                        questions::author_id.eq(post.author),
                        questions::title.eq(*title),
                        questions::slug.eq(crate::service::questions::title_slug(title)),
                        questions::body_md.eq(post.body),
                        questions::body_html.eq(body.html.as_str()),
                        questions::body_text.eq(body.text.as_str()),
                        questions::tags.eq(tags.join(",")),
                        questions::score.eq(post.score),
                        questions::body_format.eq("html"),
                        (
                            questions::created_at.eq(post.created),
                            questions::updated_at.eq(post.active),
                            questions::last_activity_at.eq(post.active),
                        ),
                    ))
                })
                .collect();
            let written: Vec<QuestionId> =
                per_backend!(conn, |c| diesel::insert_into(questions::table)
                    .values(&rows)
                    .returning(questions::id)
                    .get_results(c))?;
            ids.extend(in_insert_order(written));
        }
        self.tag_questions(conn, &posts, &ids)?;
        let mut pairs = Vec::with_capacity(posts.len());
        for (post, qid) in posts.iter().zip(&ids) {
            if let PostKind::Question {
                accepted: Some(answer),
                ..
            } = &post.kind
            {
                self.accepted.push((*qid, *answer));
            }
            pairs.push((post.source_id, i32::from(*qid)));
            self.question_ids.insert(post.source_id, *qid);
            self.touched_questions.push(*qid);
        }
        remember_many(conn, "question", &pairs)?;
        report.questions += posts.len();
        Ok(ids)
    }

    /// Writes the checked answers of a batch and their import rows;
    /// `batch_questions` are the ids of the batch's own questions.
    fn write_answers(
        &mut self,
        conn: &mut Conn,
        mut posts: Vec<Post<'_>>,
        batch_questions: &[QuestionId],
        report: &mut ImportReport,
    ) -> AppResult<()> {
        let parent = |post: &Post<'_>| match post.kind {
            PostKind::Answer {
                question: Parent::Stored(id),
            } => Some(id),
            PostKind::Answer {
                question: Parent::InBatch(at),
            } => batch_questions.get(at).copied(),
            PostKind::Question { .. } => None,
        };
        let mut pairs = Vec::with_capacity(posts.len());
        let bodies: Vec<Rendered> = posts.iter_mut().map(Post::take_rendered).collect();
        for (chunk, rendered) in posts.chunks(ANSWER_ROWS).zip(bodies.chunks(ANSWER_ROWS)) {
            let mut written_posts = Vec::with_capacity(chunk.len());
            let mut rows = Vec::with_capacity(chunk.len());
            for (post, body) in chunk.iter().zip(rendered) {
                let Some(question) = parent(post) else {
                    continue;
                };
                written_posts.push((post.source_id, question));
                rows.push((
                    answers::question_id.eq(question),
                    answers::author_id.eq(post.author),
                    answers::body_md.eq(post.body),
                    answers::body_html.eq(body.html.as_str()),
                    answers::body_text.eq(body.text.as_str()),
                    answers::score.eq(post.score),
                    answers::body_format.eq("html"),
                    answers::created_at.eq(post.created),
                    answers::updated_at.eq(post.active),
                ));
            }
            let written: Vec<AnswerId> =
                per_backend!(conn, |c| diesel::insert_into(answers::table)
                    .values(&rows)
                    .returning(answers::id)
                    .get_results(c))?;
            for ((source_id, question), aid) in
                written_posts.into_iter().zip(in_insert_order(written))
            {
                pairs.push((source_id, i32::from(aid)));
                self.answer_ids.insert(source_id, aid);
                self.touched_questions.push(question);
            }
        }
        remember_many(conn, "answer", &pairs)?;
        report.answers += pairs.len();
        Ok(())
    }

    /// Links questions (`ids`, in the order of `posts`) to their tags,
    /// creating the tags not seen before.
    fn tag_questions(
        &mut self,
        conn: &mut Conn,
        posts: &[Post<'_>],
        ids: &[QuestionId],
    ) -> QueryResult<()> {
        let mut new_names: Vec<&str> = Vec::new();
        for post in posts {
            if let PostKind::Question { tags, .. } = &post.kind {
                for name in tags {
                    if !self.tag_ids.contains_key(name) && !new_names.contains(&name.as_str()) {
                        new_names.push(name);
                    }
                }
            }
        }
        for chunk in new_names.chunks(TAG_ROWS) {
            let rows: Vec<_> = chunk.iter().map(|name| tags::name.eq(*name)).collect();
            let created: Vec<(TagId, String)> =
                per_backend!(conn, |c| diesel::insert_into(tags::table)
                    .values(&rows)
                    .returning((tags::id, tags::name))
                    .get_results(c))?;
            for (id, name) in created {
                self.tag_ids.insert(name, id);
            }
        }
        let mut links = Vec::new();
        for (post, qid) in posts.iter().zip(ids) {
            if let PostKind::Question { tags, .. } = &post.kind {
                for name in tags {
                    if let Some(tag_id) = self.tag_ids.get(name) {
                        links.push((
                            question_tags::question_id.eq(*qid),
                            question_tags::tag_id.eq(*tag_id),
                            question_tags::created_at.eq(post.created),
                        ));
                    }
                }
            }
        }
        for chunk in links.chunks(LINK_ROWS) {
            per_backend!(conn, |c| diesel::insert_into(question_tags::table)
                .values(chunk)
                .execute(c))?;
        }
        Ok(())
    }

    /// Accepted answers, answer counts, tag counts and the search outbox, in
    /// one transaction once every post is in.
    pub(super) fn finish(mut self, conn: &mut Conn, report: &mut ImportReport) -> AppResult<()> {
        self.touched_questions.sort_unstable();
        self.touched_questions.dedup();
        conn.immediate_transaction(|conn| -> AppResult<()> {
            self.accept_answers(conn, report)?;
            self.count_answers(conn)?;
            let all_tags: Vec<TagId> = self.tag_ids.values().copied().collect();
            crate::db::models::tags::refresh_counts(conn, &all_tags)?;
            self.queue_for_search(conn)?;
            Ok(())
        })
    }

    /// Marks the accepted answer of each question written now, if it was imported.
    fn accept_answers(&self, conn: &mut Conn, report: &mut ImportReport) -> QueryResult<()> {
        for (question, answer_source) in &self.accepted {
            match self.answer_ids.get(answer_source) {
                Some(answer) => {
                    diesel::update(questions::table.find(question))
                        .set((
                            questions::accepted_answer_id.eq(Some(*answer)),
                            questions::accepted_at.eq(questions::last_activity_at.nullable()),
                        ))
                        .execute(conn)?;
                }
                None => report.skipped.push(format!(
                    "accepted answer Id={answer_source} of an imported question is not in the dump"
                )),
            }
        }
        Ok(())
    }

    /// Recounts the answers of every touched question, a chunk of questions
    /// per statement.
    fn count_answers(&self, conn: &mut Conn) -> QueryResult<()> {
        for chunk in self.touched_questions.chunks(CHUNK) {
            diesel::update(questions::table.filter(questions::id.eq_any(chunk)))
                .set(questions::answer_count.eq(diesel::dsl::sql::<Integer>(
                    "(SELECT COUNT(*) FROM answers WHERE answers.question_id = questions.id)",
                )))
                .execute(conn)?;
        }
        Ok(())
    }

    /// Queues every touched question for the search index.
    fn queue_for_search(&self, conn: &mut Conn) -> QueryResult<()> {
        crate::db::models::outbox::enqueue_many(
            conn,
            DocKind::Question,
            self.touched_questions.iter().map(|q| i32::from(*q)),
            self.now,
        )
    }
}

impl Post<'_> {
    /// The sanitized body: the worker's, or rendered now for a row the
    /// workers left out.
    fn take_rendered(&mut self) -> Rendered {
        self.rendered
            .take()
            .unwrap_or_else(|| Rendered::of(self.body))
    }
}

/// The ids a multi-row insert returned, in the order of its rows: both
/// backends hand out ascending ids to the rows of one statement in the
/// order of its `VALUES` (SQLite under the write lock, PostgreSQL from the
/// sequence as it evaluates the rows), while the order `RETURNING` lists
/// them in is not promised.
fn in_insert_order<T: Ord>(mut ids: Vec<T>) -> Vec<T> {
    ids.sort_unstable();
    ids
}

/// Rows read from the file, handed from the reading thread to the workers.
struct Batch<R> {
    /// The rows read, in file order.
    rows: Vec<R>,
    /// Why each unreadable row among them was skipped.
    unreadable: Vec<String>,
    /// Bytes of the file read up to the batch's last row.
    position: u64,
}

/// A post body as stored: sanitized HTML and its plain text.
struct Rendered {
    html: String,
    text: String,
}

impl Rendered {
    /// Sanitizes a body with the allow-list of posts written here.
    fn of(body: &str) -> Self {
        let html = markdown::sanitize(body, Profile::UserPost);
        let text = markdown::strip_tags(&html);
        Rendered { html, text }
    }
}

/// Source ids imported by earlier runs, which the workers need not render.
struct Earlier {
    questions: HashSet<i64>,
    answers: HashSet<i64>,
}

impl Earlier {
    /// Renders the body of every row of `batch` that may be written; the
    /// checks themselves happen on the writing thread, which renders any
    /// row left out here.
    fn render(&self, batch: Batch<Row>) -> Batch<(Row, Option<Rendered>)> {
        let rows = batch
            .rows
            .into_iter()
            .map(|row| {
                let rendered = self
                    .may_write(&row)
                    .then(|| attr(&row, "Body"))
                    .flatten()
                    .map(Rendered::of);
                (row, rendered)
            })
            .collect();
        Batch {
            rows,
            unreadable: batch.unreadable,
            position: batch.position,
        }
    }

    /// Whether a row is a question or an answer not imported before.
    fn may_write(&self, row: &Row) -> bool {
        let Some(id) = attr(row, "Id").and_then(|v| v.parse::<i64>().ok()) else {
            return false;
        };
        match attr(row, "PostTypeId") {
            Some("1") => !self.questions.contains(&id),
            Some("2") => !self.answers.contains(&id),
            _ => false,
        }
    }
}

/// Reads `Posts.xml` into batches of [`BATCH`] rows, handing each over as it
/// fills; stops early once the writer has stopped.
fn read_batches(path: &Path, hand_over: pipeline::Handover<'_, Batch<Row>>) -> AppResult<()> {
    let empty = || Batch {
        rows: Vec::with_capacity(BATCH),
        unreadable: Vec::new(),
        position: 0,
    };
    let mut batch = empty();
    for_each_row(path, POST_FIELDS, |row, position| {
        match row {
            Ok(row) => batch.rows.push(row),
            Err(reason) => batch.unreadable.push(reason),
        }
        batch.position = position;
        if batch.rows.len() >= BATCH && !hand_over(std::mem::replace(&mut batch, empty())) {
            // The writer failed and returns its own error; this one only
            // ends the reading.
            return Err(AppError::Unavailable("the import stopped".into()));
        }
        Ok(())
    })?;
    hand_over(batch);
    Ok(())
}

/// Questions and answers written so far.
fn posts_done(report: &ImportReport) -> u64 {
    (report.questions + report.answers) as u64
}
