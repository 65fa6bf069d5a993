//! The dump's posts: questions and answers streamed from `Posts.xml` in file
//! order, each row checked, then written in batches; afterwards what needs
//! every post is settled (accepted answers, answer and tag counts, the
//! search outbox).

use std::collections::{HashMap, HashSet};
use std::path::Path;

use diesel::prelude::*;

use super::xml::{attr, for_each_row, parse_date, parse_tags, Row, POST_FIELDS};
use super::{imported, mapped, pipeline, remember, ImportReport, Progress, BATCH};
use crate::db::schema::{answers, question_tags, questions, tags};
use crate::db::Conn;
use crate::error::{AppError, AppResult};
use crate::ids::{AnswerId, QuestionId, TagId, UserId};
use crate::kinds::DocKind;
use crate::markdown::{self, Profile};

/// Most questions named in one statement, below SQLite's limit on bound variables.
const CHUNK: usize = 5000;

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
    /// Source ids of imported answers.
    answer_sources: HashSet<i64>,
    /// Every tag: name to id.
    tag_ids: HashMap<String, TagId>,
    /// Questions written now and the source id of their accepted answer.
    accepted: Vec<(QuestionId, i64)>,
    /// Questions written now or given an answer now.
    touched_questions: Vec<QuestionId>,
}

/// A post row that passed every check, ready to write.
struct Post<'a> {
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
        question: QuestionId,
    },
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
        let answer_sources = imported(conn, "answer")?.into_keys().collect();
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
            answer_sources,
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
            answers: self.answer_sources.clone(),
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

    /// Checks and writes one batch of rows in one transaction.
    fn write_batch(
        &mut self,
        conn: &mut Conn,
        rows: Vec<(Row, Option<Rendered>)>,
        report: &mut ImportReport,
    ) -> AppResult<()> {
        conn.immediate_transaction(|conn| -> AppResult<()> {
            for (row, rendered) in rows {
                match self.check(&row) {
                    Verdict::Write(post) => self.write(conn, post, rendered, report)?,
                    Verdict::Already => report.already += 1,
                    Verdict::NotAPost => {}
                    Verdict::Skip(reason) => report.skipped.push(reason),
                }
            }
            Ok(())
        })
    }

    /// Checks one row: a numeric Id, a post type, not imported before, a
    /// body, and a title (questions) or an imported question (answers).
    fn check<'a>(&self, row: &'a Row) -> Verdict<'a> {
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
            self.question_ids.contains_key(&source_id)
        } else {
            self.answer_sources.contains(&source_id)
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
                .and_then(|p| self.question_ids.get(&p).copied());
            let Some(question) = parent else {
                return Verdict::Skip(format!("Posts.xml row Id={source_id}: an answer whose question (ParentId) is not in the dump"));
            };
            PostKind::Answer { question }
        };
        let created = attr(row, "CreationDate")
            .and_then(parse_date)
            .unwrap_or(self.now);
        Verdict::Write(Post {
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

    /// Writes one checked post and remembers it.
    fn write(
        &mut self,
        conn: &mut Conn,
        post: Post<'_>,
        rendered: Option<Rendered>,
        report: &mut ImportReport,
    ) -> AppResult<()> {
        let Rendered { html, text } = rendered.unwrap_or_else(|| Rendered::of(post.body));
        match &post.kind {
            PostKind::Question {
                title,
                tags,
                accepted,
            } => {
                let qid: QuestionId = diesel::insert_into(questions::table)
                    .values((
                        questions::author_id.eq(post.author),
                        questions::title.eq(title),
                        questions::slug.eq(crate::service::questions::title_slug(title)),
                        questions::body_md.eq(post.body),
                        questions::body_html.eq(&html),
                        questions::body_text.eq(&text),
                        questions::tags.eq(tags.join(",")),
                        questions::score.eq(post.score),
                        questions::body_format.eq("html"),
                        (
                            questions::created_at.eq(post.created),
                            questions::updated_at.eq(post.active),
                            questions::last_activity_at.eq(post.active),
                        ),
                    ))
                    .returning(questions::id)
                    .get_result(conn)?;
                self.tag_question(conn, qid, tags, post.created)?;
                if let Some(answer) = accepted {
                    self.accepted.push((qid, *answer));
                }
                remember(conn, "question", post.source_id, qid.into())?;
                self.question_ids.insert(post.source_id, qid);
                self.touched_questions.push(qid);
                report.questions += 1;
            }
            PostKind::Answer { question } => {
                let aid: AnswerId = diesel::insert_into(answers::table)
                    .values((
                        answers::question_id.eq(question),
                        answers::author_id.eq(post.author),
                        answers::body_md.eq(post.body),
                        answers::body_html.eq(&html),
                        answers::body_text.eq(&text),
                        answers::score.eq(post.score),
                        answers::body_format.eq("html"),
                        answers::created_at.eq(post.created),
                        answers::updated_at.eq(post.active),
                    ))
                    .returning(answers::id)
                    .get_result(conn)?;
                remember(conn, "answer", post.source_id, aid.into())?;
                self.answer_sources.insert(post.source_id);
                self.touched_questions.push(*question);
                report.answers += 1;
            }
        }
        Ok(())
    }

    /// Links a question to its tags, creating the tags not seen before.
    fn tag_question(
        &mut self,
        conn: &mut Conn,
        question: QuestionId,
        names: &[String],
        created: i64,
    ) -> QueryResult<()> {
        for name in names {
            let tag_id = match self.tag_ids.get(name) {
                Some(id) => *id,
                None => {
                    let id: TagId = diesel::insert_into(tags::table)
                        .values(tags::name.eq(name))
                        .returning(tags::id)
                        .get_result(conn)?;
                    self.tag_ids.insert(name.clone(), id);
                    id
                }
            };
            diesel::insert_into(question_tags::table)
                .values((
                    question_tags::question_id.eq(question),
                    question_tags::tag_id.eq(tag_id),
                    question_tags::created_at.eq(created),
                ))
                .execute(conn)?;
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
            match mapped(conn, "answer", *answer_source)? {
                Some(answer) => {
                    diesel::update(questions::table.find(question))
                        .set((
                            questions::accepted_answer_id.eq(Some(AnswerId(answer))),
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

    /// Recounts the answers of every touched question.
    fn count_answers(&self, conn: &mut Conn) -> QueryResult<()> {
        for chunk in self.touched_questions.chunks(CHUNK) {
            let counts: Vec<(QuestionId, i64)> = answers::table
                .filter(answers::question_id.eq_any(chunk))
                .group_by(answers::question_id)
                .select((answers::question_id, diesel::dsl::count_star()))
                .load(conn)?;
            for (question, count) in counts {
                diesel::update(questions::table.find(question))
                    .set(questions::answer_count.eq(count as i32))
                    .execute(conn)?;
            }
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
