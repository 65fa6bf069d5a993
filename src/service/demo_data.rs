//! Deterministic benchmark data: users, questions and answers with text drawn
//! from a Zipf-distributed vocabulary (a few words are very common, most are
//! rare, as in real support forums), varied lengths, tags, scores and
//! accepted answers. The same seed always gives the same data.

use std::collections::HashMap;

use diesel::prelude::*;

use crate::db::schema::{answers, question_tags, questions, tags, users};
use crate::db::Conn;
use crate::error::{AppError, AppResult};
use crate::kinds::DocKind;

/// What to generate.
#[derive(Debug, Clone, Copy)]
pub struct DemoOptions {
    /// Questions.
    pub questions: usize,
    /// Answers per question.
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
}

/// SplitMix64: small, fast, and the same on every machine.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    /// A generator from a seed.
    pub fn new(seed: u64) -> Self {
        Rng(seed)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (n > 0).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n.max(1) as u64) as usize
    }

    /// A number in `lo..=hi`.
    pub fn range(&mut self, lo: usize, hi: usize) -> usize {
        lo + self.below(hi - lo + 1)
    }

    /// A float in `[0, 1)`.
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// Words every support forum uses, most frequent first.
const COMMON: &[&str] = &[
    "the",
    "to",
    "i",
    "a",
    "and",
    "it",
    "is",
    "of",
    "in",
    "my",
    "on",
    "not",
    "for",
    "this",
    "when",
    "with",
    "after",
    "but",
    "can",
    "error",
    "how",
    "does",
    "work",
    "printer",
    "page",
    "search",
    "install",
    "update",
    "login",
    "password",
    "server",
    "article",
    "question",
    "answer",
    "settings",
    "account",
    "network",
    "router",
    "connect",
    "setup",
    "cannot",
    "file",
    "folder",
    "index",
    "start",
    "restart",
    "version",
    "upgrade",
    "config",
    "database",
    "backup",
    "restore",
    "email",
    "browser",
    "cookie",
    "session",
    "token",
    "manual",
    "content",
    "link",
    "broken",
    "slow",
    "fast",
    "missing",
    "shows",
    "message",
    "screen",
    "button",
    "click",
    "menu",
    "option",
    "default",
    "help",
    "problem",
    "fix",
    "works",
    "again",
    "still",
    "nothing",
    "something",
    "every",
    "time",
    "first",
    "then",
    "also",
    "only",
    "from",
    "into",
    "about",
    "wireless",
    "cable",
    "power",
    "light",
    "blinking",
    "reset",
    "firmware",
    "driver",
    "scanner",
    "toner",
    "paper",
    "jam",
    "display",
    "keyboard",
    "battery",
    "charge",
    "phone",
    "tablet",
    "sync",
    "offline",
    "online",
    "timeout",
    "crash",
];

/// A vocabulary with Zipf-distributed word frequencies.
pub struct Vocabulary {
    words: Vec<String>,
    cdf: Vec<f64>,
}

impl Vocabulary {
    /// The fixed vocabulary: common support words, then made-up rarer words.
    pub fn new(size: usize) -> Self {
        let syllables = [
            "ka", "lo", "mi", "ne", "ru", "ta", "vo", "shi", "pre", "con", "dex", "tor", "ban",
            "qui", "zel", "mor", "fen", "gal",
        ];
        let mut rng = Rng::new(0x5EED);
        let mut words: Vec<String> = COMMON.iter().map(|w| w.to_string()).collect();
        let mut seen: std::collections::HashSet<String> = words.iter().cloned().collect();
        while words.len() < size {
            let n = rng.range(2, 4);
            let word: String = (0..n)
                .map(|_| syllables[rng.below(syllables.len())])
                .collect();
            if seen.insert(word.clone()) {
                words.push(word);
            }
        }
        let weights: Vec<f64> = (1..=words.len())
            .map(|rank| 1.0 / (rank as f64).powf(1.07))
            .collect();
        let total: f64 = weights.iter().sum();
        let mut acc = 0.0;
        let cdf = weights
            .iter()
            .map(|w| {
                acc += w / total;
                acc
            })
            .collect();
        Vocabulary { words, cdf }
    }

    /// A word drawn by frequency.
    pub fn word(&self, rng: &mut Rng) -> &str {
        let u = rng.unit();
        let i = self
            .cdf
            .partition_point(|c| *c < u)
            .min(self.words.len() - 1);
        &self.words[i]
    }

    /// `min..=max` words.
    pub fn words(&self, rng: &mut Rng, min: usize, max: usize) -> String {
        let n = rng.range(min, max);
        let mut out = String::with_capacity(n * 7);
        for i in 0..n {
            if i > 0 {
                out.push(' ');
            }
            out.push_str(self.word(rng));
        }
        out
    }
}

/// A generated post body: markdown, HTML and plain text of the same words.
pub struct Body {
    /// Markdown.
    pub md: String,
    /// HTML.
    pub html: String,
    /// Text.
    pub text: String,
}

/// Paragraphs of words (plain words need no escaping).
pub fn body(
    vocabulary: &Vocabulary,
    rng: &mut Rng,
    paragraphs: (usize, usize),
    words: (usize, usize),
) -> Body {
    let count = rng.range(paragraphs.0, paragraphs.1);
    let parts: Vec<String> = (0..count)
        .map(|_| {
            let mut p = vocabulary.words(rng, words.0, words.1);
            if let Some(first) = p.get_mut(0..1) {
                first.make_ascii_uppercase();
            }
            p.push('.');
            p
        })
        .collect();
    Body {
        md: parts.join("\n\n"),
        html: parts.iter().map(|p| format!("<p>{p}</p>\n")).collect(),
        text: parts.join("\n"),
    }
}

/// A question title.
pub fn title(vocabulary: &Vocabulary, rng: &mut Rng) -> String {
    let mut t = vocabulary.words(rng, 5, 12);
    if let Some(first) = t.get_mut(0..1) {
        first.make_ascii_uppercase();
    }
    if rng.below(3) == 0 {
        t.push('?');
    }
    t
}

const BATCH: usize = 1000;

/// Fills the database; `progress(done_posts, total_posts)` as it goes.
pub fn generate(
    conn: &mut Conn,
    options: DemoOptions,
    progress: &dyn Fn(u64, u64),
) -> AppResult<DemoReport> {
    let exists: bool = diesel::select(diesel::dsl::exists(
        users::table.filter(users::username_key.eq("demo-0")),
    ))
    .get_result(conn)?;
    if exists {
        return Err(AppError::Conflict(
            "This database already holds demo data; use a fresh data dir.".into(),
        ));
    }
    let vocabulary = Vocabulary::new(20_000);
    let mut rng = Rng::new(options.seed);
    let base_time: i64 = 1_700_000_000;
    let total = (options.questions * (1 + options.answers_per_question)) as u64;
    let mut report = DemoReport::default();

    // Users.
    let user_count = options.users.max(1);
    let mut user_ids = Vec::with_capacity(user_count);
    for chunk in (0..user_count).collect::<Vec<_>>().chunks(BATCH) {
        let rows: Vec<_> = chunk
            .iter()
            .map(|i| {
                (
                    users::username.eq(format!("demo-{i}")),
                    users::username_key.eq(format!("demo-{i}")),
                    users::display_name.eq(format!("Demo user {i}")),
                    users::role.eq("member"),
                    users::created_at.eq(base_time),
                    users::updated_at.eq(base_time),
                )
            })
            .collect();
        let ids: Vec<i32> = conn.immediate_transaction(|conn| {
            diesel::insert_into(users::table)
                .values(&rows)
                .returning(users::id)
                .get_results(conn)
        })?;
        user_ids.extend(ids);
    }
    report.users = user_ids.len();

    // Tags.
    let tag_names: Vec<String> = (0..200)
        .map(|i| format!("{}-{i}", vocabulary.words[(i * 7) % 300]))
        .collect();
    let tag_rows: Vec<_> = tag_names.iter().map(|n| tags::name.eq(n.clone())).collect();
    let tag_ids: Vec<i32> = diesel::insert_into(tags::table)
        .values(&tag_rows)
        .returning(tags::id)
        .get_results(conn)?;
    let tag_vocab = Vocabulary {
        words: tag_names.clone(),
        cdf: Vocabulary::new(200).cdf,
    };
    let mut tag_counts: HashMap<usize, i32> = HashMap::new();

    let mut done = 0u64;
    let mut start = 0;
    while start < options.questions {
        let n = BATCH.min(options.questions - start);
        let mut question_rows = Vec::with_capacity(n);
        let mut question_tag_picks = Vec::with_capacity(n);
        let mut meta = Vec::with_capacity(n);
        for i in start..start + n {
            let created = base_time + (i as i64) * 37;
            let title = title(&vocabulary, &mut rng);
            let slug = crate::service::questions::title_slug(&title);
            let b = body(&vocabulary, &mut rng, (1, 4), (12, 70));
            let mut picked: Vec<usize> = Vec::new();
            for _ in 0..rng.range(1, 3) {
                let tag = tag_vocab.cdf.partition_point(|c| *c < rng.unit()).min(199);
                if !picked.contains(&tag) {
                    picked.push(tag);
                }
            }
            let tags_text = picked
                .iter()
                .map(|t| tag_names[*t].clone())
                .collect::<Vec<_>>()
                .join(",");
            let score = (rng.unit().powi(3) * 60.0) as i32 - 2;
            let author = user_ids[rng.below(user_ids.len())];
            meta.push((created, rng.below(10) < 6));
            question_tag_picks.push(picked);
            question_rows.push((
                questions::author_id.eq(author),
                questions::title.eq(title),
                questions::slug.eq(slug),
                questions::body_md.eq(b.md),
                questions::body_html.eq(b.html),
                questions::body_text.eq(b.text),
                questions::tags.eq(tags_text),
                questions::score.eq(score),
                questions::answer_count.eq(options.answers_per_question as i32),
                (
                    questions::created_at.eq(created),
                    questions::updated_at.eq(created),
                    questions::last_activity_at.eq(created),
                ),
            ));
        }
        let mut answer_rows = Vec::with_capacity(n * options.answers_per_question);
        for (k, (created, _)) in meta.iter().enumerate() {
            for j in 0..options.answers_per_question {
                let b = body(&vocabulary, &mut rng, (1, 3), (10, 60));
                let at = created + 600 + j as i64 * 300;
                let score = (rng.unit().powi(3) * 40.0) as i32 - 1;
                answer_rows.push((k, j, b, score, user_ids[rng.below(user_ids.len())], at));
            }
        }
        conn.immediate_transaction(|conn| -> AppResult<()> {
            let ids: Vec<i32> = diesel::insert_into(questions::table)
                .values(&question_rows)
                .returning(questions::id)
                .get_results(conn)?;
            let mut links = Vec::new();
            for (qid, picked) in ids.iter().zip(&question_tag_picks) {
                for t in picked {
                    *tag_counts.entry(*t).or_default() += 1;
                    links.push((
                        question_tags::question_id.eq(*qid),
                        question_tags::tag_id.eq(tag_ids[*t]),
                        question_tags::created_at.eq(base_time),
                    ));
                }
            }
            for chunk in links.chunks(5000) {
                diesel::insert_into(question_tags::table)
                    .values(chunk)
                    .execute(conn)?;
            }
            let mut first_answer: HashMap<usize, i32> = HashMap::new();
            for chunk in answer_rows.chunks(BATCH) {
                let rows: Vec<_> = chunk
                    .iter()
                    .map(|(k, _, b, score, author, at)| {
                        (
                            answers::question_id.eq(ids[*k]),
                            answers::author_id.eq(*author),
                            answers::body_md.eq(b.md.as_str()),
                            answers::body_html.eq(b.html.as_str()),
                            answers::body_text.eq(b.text.as_str()),
                            answers::score.eq(*score),
                            answers::created_at.eq(*at),
                            answers::updated_at.eq(*at),
                        )
                    })
                    .collect();
                let answer_ids: Vec<i32> = diesel::insert_into(answers::table)
                    .values(&rows)
                    .returning(answers::id)
                    .get_results(conn)?;
                for ((k, j, ..), id) in chunk.iter().zip(answer_ids) {
                    if *j == 0 {
                        first_answer.insert(*k, id);
                    }
                }
            }
            for (k, (created, accept)) in meta.iter().enumerate() {
                if let (true, Some(answer)) = (*accept, first_answer.get(&k)) {
                    diesel::update(questions::table.find(ids[k]))
                        .set((
                            questions::accepted_answer_id.eq(Some(*answer)),
                            questions::accepted_by.eq(None::<i32>),
                            questions::accepted_at.eq(Some(created + 3600)),
                        ))
                        .execute(conn)?;
                }
            }
            let outbox: Vec<_> = ids
                .iter()
                .map(|id| {
                    (
                        crate::db::schema::search_outbox::doc_kind.eq(DocKind::Question),
                        crate::db::schema::search_outbox::doc_id.eq(*id),
                        crate::db::schema::search_outbox::created_at.eq(base_time),
                    )
                })
                .collect();
            diesel::insert_into(crate::db::schema::search_outbox::table)
                .values(&outbox)
                .execute(conn)?;
            Ok(())
        })?;
        report.questions += n;
        report.answers += answer_rows.len();
        done += (n + answer_rows.len()) as u64;
        progress(done, total);
        start += n;
    }
    conn.immediate_transaction(|conn| -> AppResult<()> {
        for (t, count) in &tag_counts {
            diesel::update(tags::table.find(tag_ids[*t]))
                .set(tags::question_count.eq(*count))
                .execute(conn)?;
        }
        Ok(())
    })?;
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_seed_gives_the_same_text() {
        let v = Vocabulary::new(5000);
        let (mut a, mut b, mut c) = (Rng::new(7), Rng::new(7), Rng::new(8));
        let ta: Vec<String> = (0..20).map(|_| title(&v, &mut a)).collect();
        let tb: Vec<String> = (0..20).map(|_| title(&v, &mut b)).collect();
        let tc: Vec<String> = (0..20).map(|_| title(&v, &mut c)).collect();
        assert_eq!(ta, tb);
        assert_ne!(ta, tc);
    }

    #[test]
    fn word_frequencies_follow_zipf() {
        let v = Vocabulary::new(5000);
        let mut rng = Rng::new(1);
        let mut counts: HashMap<String, usize> = HashMap::new();
        for _ in 0..50_000 {
            *counts.entry(v.word(&mut rng).to_string()).or_default() += 1;
        }
        let the = counts.get("the").copied().unwrap_or(0);
        let tenth = counts.get(COMMON[9]).copied().unwrap_or(0);
        assert!(
            the > 3 * tenth,
            "rank 1 ({the}) is far more frequent than rank 10 ({tenth})"
        );
        assert!(
            counts.len() > 1000,
            "a long tail of rare words: {}",
            counts.len()
        );
    }
}
