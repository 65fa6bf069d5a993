//! Turns the [`catalog`](super::catalog) into threads: a question in a
//! customer's words, then replies (advice, "me too", the asker's follow-ups,
//! the fix, and in long threads sometimes a late tip), with votes and an
//! accepted answer. Pure functions of a seeded [`Rng`]: no database here.

use super::catalog::{Family, Issue, CLIENTS, CLOSERS, FAMILIES, FOLLOW_UPS, ISSUES, ME_TOO};
use super::catalog::{OPENERS, VERSIONS};

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

    /// A number in `0..n` (0 when n is 0).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n.max(1) as u64) as usize
    }

    /// A number in `lo..=hi`.
    pub fn range(&mut self, lo: usize, hi: usize) -> usize {
        lo + self.below(hi.saturating_sub(lo) + 1)
    }

    /// A float in `[0, 1)`.
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// True with probability `p`.
    pub fn chance(&mut self, p: f64) -> bool {
        self.unit() < p
    }

    /// One item of a non-empty table.
    pub fn pick(&mut self, table: &[&'static str]) -> &'static str {
        table[self.below(table.len())]
    }

    /// An index in `0..n` where low indexes are far more likely (active users).
    pub fn skewed(&mut self, n: usize) -> usize {
        ((self.unit().powi(2) * n as f64) as usize).min(n.saturating_sub(1))
    }
}

/// A post body: markdown, HTML and plain text of the same paragraphs.
#[derive(Debug, Clone, PartialEq)]
pub struct Body {
    /// Markdown.
    pub md: String,
    /// HTML.
    pub html: String,
    /// Text.
    pub text: String,
}

impl Body {
    /// Paragraphs of plain sentences (the catalog holds no markdown syntax).
    pub fn from_paragraphs(parts: &[String]) -> Body {
        let mut html = String::new();
        for p in parts {
            html.push_str("<p>");
            html.push_str(&escape_html(p));
            html.push_str("</p>\n");
        }
        Body {
            md: parts.join("\n\n"),
            html,
            text: parts.join("\n"),
        }
    }
}

fn escape_html(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// One reply in a thread.
#[derive(Debug, Clone)]
pub struct Reply {
    /// The text.
    pub body: Body,
    /// Net votes.
    pub score: i32,
    /// Author, as an index into the generated users.
    pub author: usize,
}

/// A question with its replies.
#[derive(Debug, Clone)]
pub struct Thread {
    /// The issue it is about.
    pub issue: &'static Issue,
    /// Title.
    pub title: String,
    /// The question text.
    pub body: Body,
    /// Tags.
    pub tags: Vec<&'static str>,
    /// Net votes.
    pub score: i32,
    /// Author, as an index into the generated users.
    pub author: usize,
    /// Replies in posting order.
    pub answers: Vec<Reply>,
    /// The accepted reply.
    pub accepted: Option<usize>,
    /// The reply holding the issue's late tip, when there is one.
    pub tip_at: Option<usize>,
}

/// The concrete product, device and version a thread talks about.
struct Slots {
    model: &'static str,
    client: &'static str,
    version: &'static str,
}

impl Slots {
    fn draw(rng: &mut Rng, family: &Family) -> Slots {
        Slots {
            model: rng.pick(family.models),
            client: rng.pick(CLIENTS),
            version: rng.pick(VERSIONS),
        }
    }

    fn fill(&self, template: &str) -> String {
        if !template.contains('{') {
            return template.to_string();
        }
        let article = if self.client.starts_with(['i', 'A', 'E', 'I', 'O', 'U']) {
            "an "
        } else {
            "a "
        };
        template
            .replace("a {client}", &format!("{article}{{client}}"))
            .replace("{model}", self.model)
            .replace("{client}", self.client)
            .replace("{version}", self.version)
    }
}

/// A thread about a random issue with `answers` replies by `users` authors.
pub fn thread(rng: &mut Rng, answers: usize, users: usize) -> Thread {
    let issue = &ISSUES[rng.below(ISSUES.len())];
    let family = &FAMILIES[issue.family];
    let slots = Slots::draw(rng, family);
    let title = slots.fill(rng.pick(issue.titles));
    let body = question_body(rng, issue, family, &slots);
    let mut tags = vec![family.key];
    tags.extend(issue.tags.iter().take(rng.range(1, 2)));
    let score = if rng.chance(0.06) {
        -(rng.range(1, 2) as i32)
    } else {
        (rng.unit().powi(3) * 25.0) as i32
    };
    let author = rng.skewed(users);
    let (replies, accepted, tip_at) = replies(rng, issue, family, &slots, answers, users);
    Thread {
        issue,
        title,
        body,
        tags,
        score,
        author,
        answers: replies,
        accepted,
        tip_at,
    }
}

/// A question: short (context and one symptom), usual, or long (every
/// symptom, what was tried, an edit).
fn question_body(rng: &mut Rng, issue: &Issue, family: &Family, slots: &Slots) -> Body {
    let roll = rng.unit();
    let (symptoms, tried, edit) = if roll < 0.3 {
        (1, 0, false)
    } else if roll < 0.85 {
        (rng.range(1, 2), rng.range(0, 2), false)
    } else {
        (issue.symptoms.len(), family.tried.len(), true)
    };
    let mut first = String::new();
    if rng.chance(0.4) {
        first.push_str(rng.pick(OPENERS));
        first.push(' ');
    }
    first.push_str(&slots.fill(rng.pick(family.contexts)));
    let start = if symptoms == 1 {
        rng.below(issue.symptoms.len())
    } else {
        0
    };
    for k in 0..symptoms.min(issue.symptoms.len()) {
        first.push(' ');
        first.push_str(&slots.fill(issue.symptoms[(start + k) % issue.symptoms.len()]));
    }
    let mut parts = vec![first];
    if tried > 0 {
        let from = rng.below(family.tried.len());
        let sentences: Vec<String> = (0..tried)
            .map(|k| slots.fill(family.tried[(from + k) % family.tried.len()]))
            .collect();
        parts.push(sentences.join(" "));
    }
    if edit {
        parts.push(format!(
            "Edit: details as asked. It is the {} on firmware {}, and I mostly use {}. \
             The Lumio status page shows no outage, and nothing else on the network changed.",
            slots.model,
            slots.version,
            slots.fill("a {client}"),
        ));
    }
    if let Some(last) = parts.last_mut() {
        last.push(' ');
        last.push_str(rng.pick(CLOSERS));
    }
    Body::from_paragraphs(&parts)
}

/// The replies of a thread: the fix early (usually accepted), advice and
/// chatter around it, and in long threads sometimes the issue's tip late.
fn replies(
    rng: &mut Rng,
    issue: &Issue,
    family: &Family,
    slots: &Slots,
    n: usize,
    users: usize,
) -> (Vec<Reply>, Option<usize>, Option<usize>) {
    let fix_at = (n > 0 && rng.chance(0.85)).then(|| rng.below(n.min(4)));
    let accepted = fix_at.filter(|_| rng.chance(0.7));
    let tip_at = (n >= 7 && !issue.tip.is_empty() && rng.chance(0.9)).then(|| rng.range(6, n - 1));
    let advice_base = rng.below(family.advice.len());
    let mut out = Vec::with_capacity(n);
    for k in 0..n {
        let (text, score) = if Some(k) == fix_at {
            let score = if accepted.is_some() {
                rng.range(2, 8) as i32 + (rng.unit().powi(4) * 60.0) as i32
            } else {
                rng.range(0, 5) as i32
            };
            (fix_reply(rng, issue, slots), score)
        } else if Some(k) == tip_at {
            (
                format!(
                    "Late to the party, but maybe this helps someone. {}",
                    issue.tip
                ),
                rng.range(0, 1) as i32,
            )
        } else {
            chatter(rng, family, slots, k, advice_base + k)
        };
        let parts: Vec<String> = text.split("\n\n").map(str::to_string).collect();
        out.push(Reply {
            body: Body::from_paragraphs(&parts),
            score,
            author: rng.skewed(users),
        });
    }
    (out, accepted, tip_at)
}

fn fix_reply(rng: &mut Rng, issue: &Issue, slots: &Slots) -> String {
    let lead = match rng.below(4) {
        0 => "I had the same problem last month.\n\n",
        1 => "This is a known one.\n\n",
        2 => "",
        _ => "Lumio support told me this:\n\n",
    };
    let tail = match rng.below(3) {
        0 => format!(
            "\n\nWorked for me on the {} with firmware {}.",
            slots.model, slots.version
        ),
        1 => "\n\nLet us know if that sorts it out.".to_string(),
        _ => String::new(),
    };
    format!("{lead}{}{tail}", slots.fill(issue.fix))
}

/// A reply that is not the fix: advice, agreement or the asker reporting back.
/// Advice is taken in turn from `advice`, so a thread does not repeat itself.
fn chatter(
    rng: &mut Rng,
    family: &Family,
    slots: &Slots,
    k: usize,
    advice: usize,
) -> (String, i32) {
    let roll = rng.unit();
    let table = family.advice;
    if roll < 0.5 {
        let mut text = slots.fill(table[advice % table.len()]);
        if rng.chance(0.4) {
            text.push(' ');
            text.push_str(&slots.fill(table[(advice + 2) % table.len()]));
        }
        (text, (rng.unit().powi(3) * 8.0) as i32)
    } else if roll < 0.75 || k == 0 {
        (slots.fill(rng.pick(ME_TOO)), -((rng.below(4) / 3) as i32))
    } else {
        (rng.pick(FOLLOW_UPS).to_string(), 0)
    }
}

/// Answers per question for `n` questions: some unanswered (about a quarter
/// at 3 per question, once the total is trimmed to size), most with
/// a few, some long threads; the total is exactly `n * per_question`.
pub fn answer_counts(rng: &mut Rng, n: usize, per_question: usize) -> Vec<usize> {
    if per_question == 0 || n == 0 {
        return vec![0; n];
    }
    let m = per_question;
    let mut counts: Vec<usize> = (0..n)
        .map(|_| {
            let roll = rng.unit();
            if roll < 0.15 {
                0
            } else if roll < 0.9 {
                rng.range(1, 2 * m - 1)
            } else {
                rng.range(2 * m + 2, 3 * m + 8)
            }
        })
        .collect();
    let target = n * m;
    let mut sum: usize = counts.iter().sum();
    while sum > target {
        let mut i = rng.below(n);
        while counts[i] == 0 {
            i = (i + 1) % n;
        }
        counts[i] -= 1;
        sum -= 1;
    }
    while sum < target {
        counts[rng.below(n)] += 1;
        sum += 1;
    }
    counts
}
