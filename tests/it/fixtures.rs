//! Fixtures in the language of the product: members, staff and admins who
//! ask, answer, accept, vote, edit and moderate through the real forms, and
//! the manuals, articles and troubleshooting trees a site is started with.
//!
//! ```ignore
//! let app = TestApp::guide().start();
//! let ann = app.member("ann").await;
//! let bob = app.member("bob").await;
//! let q = ann.asks("Printer blinks amber", BODY, "printer").await;
//! let a = bob.answers(&q, "Hold reset for ten seconds.").await;
//! ann.accepts(&a).await;
//! ```

use std::fmt::Write as _;
use std::ops::Deref;

use signpost::auth::Role;
use signpost::ids::{AnswerId, QuestionId};

use crate::harness::{csrf_of, Client, Page, TestApp, TestAppBuilder};

/// A question body long enough for every posting rule.
pub const BODY: &str = "The printer shows a blinking amber light and prints nothing at all.";

/// A signed-in member, staff member or admin acting through the site's
/// forms; derefs to their browser [`Client`] for anything else.
pub struct Person<'a> {
    client: Client<'a>,
}

/// A question as its asker sees it after posting: where it lives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Question {
    /// The canonical path (`/questions/{id}/{slug}`).
    pub path: String,
    /// The question id.
    pub id: QuestionId,
}

/// An answer and the question it belongs to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer {
    /// The answer id.
    pub id: AnswerId,
    /// The question it answers.
    pub question: Question,
}

/// A question or an answer: something that can be voted on, edited,
/// moderated and flagged.
pub trait Post {
    /// `question` or `answer`, as the forms name the kind.
    fn kind(&self) -> &'static str;
    /// The post id.
    fn id(&self) -> i32;
    /// The page the post's forms are on (its question page).
    fn page(&self) -> &str;
    /// The path of one of the post's actions (`vote`, `edit`, `moderate`...).
    fn action(&self, action: &str) -> String {
        format!("/{}s/{}/{action}", self.kind(), self.id())
    }
}

impl Post for Question {
    fn kind(&self) -> &'static str {
        "question"
    }
    fn id(&self) -> i32 {
        self.id.into()
    }
    fn page(&self) -> &str {
        &self.path
    }
}

impl Post for Answer {
    fn kind(&self) -> &'static str {
        "answer"
    }
    fn id(&self) -> i32 {
        self.id.into()
    }
    fn page(&self) -> &str {
        &self.question.path
    }
}

impl Question {
    /// The question living at `path` (a canonical question path).
    pub fn at(path: &str) -> Question {
        Question {
            path: path.to_string(),
            id: id_of(path),
        }
    }
}

/// The question id in a `/questions/{id}/…` path.
pub fn id_of(path: &str) -> QuestionId {
    path.split('/')
        .nth(2)
        .and_then(|s| s.parse().ok())
        .map(QuestionId)
        .expect("question id in path")
}

impl TestApp {
    /// An app with one empty manual, `guide` ("Guide").
    pub fn guide() -> TestAppBuilder {
        TestApp::builder().manual("guide", "Guide")
    }

    /// A new member, signed in.
    pub async fn member(&self, name: &str) -> Person<'_> {
        self.person(name, Role::Member).await
    }

    /// A new staff member, signed in.
    pub async fn staff(&self, name: &str) -> Person<'_> {
        self.person(name, Role::Staff).await
    }

    /// A new admin, signed in.
    pub async fn admin(&self, name: &str) -> Person<'_> {
        self.person(name, Role::Admin).await
    }

    /// A new account with `role`, signed in.
    pub async fn person(&self, name: &str, role: Role) -> Person<'_> {
        Person {
            client: self.signed_in(name, role).await,
        }
    }
}

impl<'a> Deref for Person<'a> {
    type Target = Client<'a>;

    fn deref(&self) -> &Client<'a> {
        &self.client
    }
}

impl Person<'_> {
    /// Asks through the form; the question must be accepted (303).
    pub async fn asks(&self, title: &str, body: &str, tags: &str) -> Question {
        let page = self.tries_to_ask(title, body, tags).await;
        assert_eq!(page.status, 303, "ask failed: {}", page.body);
        Question::at(page.header("location"))
    }

    /// Posts the ask form and returns whatever the site answered.
    pub async fn tries_to_ask(&self, title: &str, body: &str, tags: &str) -> Page {
        self.sends_ask_form(title, body, tags, "post").await
    }

    /// Presses Preview on the ask form.
    pub async fn previews_question(&self, title: &str, body: &str, tags: &str) -> Page {
        self.sends_ask_form(title, body, tags, "preview").await
    }

    async fn sends_ask_form(&self, title: &str, body: &str, tags: &str, action: &str) -> Page {
        self.submit(
            "/questions/ask",
            "/questions/ask",
            &[
                ("title", title),
                ("body", body),
                ("tags", tags),
                ("action", action),
            ],
        )
        .await
    }

    /// Answers through the form on the question page; the answer must be
    /// accepted (303).
    pub async fn answers(&self, question: &Question, body: &str) -> Answer {
        let page = self.tries_to_answer(question, body).await;
        assert_eq!(page.status, 303, "answer failed: {}", page.body);
        let id = page
            .header("location")
            .rsplit("#answer-")
            .next()
            .and_then(|s| s.parse().ok())
            .map(AnswerId)
            .expect("answer anchor");
        Answer {
            id,
            question: question.clone(),
        }
    }

    /// Posts the answer form and returns whatever the site answered.
    pub async fn tries_to_answer(&self, question: &Question, body: &str) -> Page {
        self.submit(
            &question.path,
            &question.action("answers"),
            &[("body", body)],
        )
        .await
    }

    /// Marks `answer` as the accepted one, from its question page.
    pub async fn accepts(&self, answer: &Answer) -> Page {
        self.accepts_id(&answer.question, answer.id).await
    }

    /// Asks `question` to accept the answer with `answer_id` (which may
    /// belong elsewhere).
    pub async fn accepts_id(&self, question: &Question, answer_id: AnswerId) -> Page {
        self.submit(
            &question.path,
            &question.action("accept"),
            &[("answer_id", &answer_id.to_string())],
        )
        .await
    }

    /// Takes back the accepted mark on `question`.
    pub async fn unaccepts(&self, question: &Question) -> Page {
        self.submit(&question.path, &question.action("unaccept"), &[])
            .await
    }

    /// Votes `value` (`up` or `down`) on `post`.
    pub async fn votes(&self, post: &impl Post, value: &str) -> Page {
        self.submit(post.page(), &post.action("vote"), &[("value", value)])
            .await
    }

    /// Sends the moderation form of `post` with `fields` (`action`, …).
    pub async fn moderates(&self, post: &impl Post, fields: &[(&str, &str)]) -> Page {
        self.submit(post.page(), &post.action("moderate"), fields)
            .await
    }

    /// Flags `post` with `reason`.
    pub async fn flags(&self, post: &impl Post, reason: &str) -> Page {
        self.flags_id(post, &post.id().to_string(), reason).await
    }

    /// Sends the flag form of `post`'s page for the post with `post_id`.
    pub async fn flags_id(&self, post: &impl Post, post_id: &str, reason: &str) -> Page {
        self.submit(
            post.page(),
            "/flags",
            &[
                ("kind", post.kind()),
                ("post_id", post_id),
                ("reason", reason),
            ],
        )
        .await
    }

    /// Saves an edit of `post` through its editor, from the revision the
    /// editor was opened on.
    pub async fn edits(&self, post: &impl Post, fields: &[(&str, &str)]) -> Page {
        submit_edit(self, &post.action("edit"), fields).await
    }
}

/// The `value` of the first field called `name` in a page, as written in
/// the HTML.
pub fn field_value(body: &str, name: &str) -> Option<String> {
    let marker = format!("name=\"{name}\" value=\"");
    let at = body.find(&marker)? + marker.len();
    let end = body[at..].find('"')? + at;
    Some(body[at..end].to_string())
}

/// Saves an edit through the editor at `edit_path` as a browser would: from
/// the revision the form was made from.
/// Staff `staff` link `question` to the known issue `slug` ("" unlinks).
pub async fn link_to_issue(staff: &Client<'_>, question: &Question, slug: &str) -> Page {
    staff
        .submit(
            &question.path,
            &format!("/questions/{}/known-issue", question.id),
            &[("issue", slug)],
        )
        .await
}

pub async fn submit_edit(client: &Client<'_>, edit_path: &str, fields: &[(&str, &str)]) -> Page {
    let form = client.get(edit_path).await;
    save_from_form(client, edit_path, &form, fields).await
}

/// Posts `fields` to `edit_path` with the CSRF token and base revision of
/// an editor page fetched earlier (`form`: possibly stale by now).
pub async fn save_from_form(
    client: &Client<'_>,
    edit_path: &str,
    form: &Page,
    fields: &[(&str, &str)],
) -> Page {
    let token = csrf_of(&form.body).expect("csrf on the editor");
    let base = field_value(&form.body, "base_revision").expect("base revision on the editor");
    let mut all = vec![("csrf", token.as_str()), ("base_revision", base.as_str())];
    all.extend_from_slice(fields);
    client.post(edit_path, &all).await
}

impl TestAppBuilder {
    /// Adds the manual `slug` with `title` and no introduction.
    pub fn manual(self, slug: &str, title: &str) -> Self {
        self.file(&format!("manuals/{slug}/_index.md"), &manual_index(title))
    }

    /// Adds an article file at `manuals/{path}.md` (`path`: `manual/slug`).
    pub fn article(self, path: &str, text: &str) -> Self {
        self.file(&format!("manuals/{path}.md"), text)
    }

    /// Adds a troubleshooting tree at `troubleshooting/{slug}.toml`.
    pub fn tree(self, slug: &str, text: &str) -> Self {
        self.file(&format!("troubleshooting/{slug}.toml"), text)
    }
}

/// A minimal valid manual `_index.md`.
pub fn manual_index(title: &str) -> String {
    format!("+++\ntitle = \"{title}\"\n+++\n")
}

/// A minimal valid article with a weight.
pub fn article(title: &str, weight: i32, body: &str) -> String {
    format!("+++\ntitle = \"{title}\"\nweight = {weight}\n+++\n{body}\n")
}

/// A minimal valid article without a weight.
pub fn plain_article(title: &str, body: &str) -> String {
    format!("+++\ntitle = \"{title}\"\n+++\n{body}\n")
}

/// A troubleshooting tree, built node by node; `to_string` gives its TOML.
///
/// ```ignore
/// fixtures::tree("Router is down", "lights")
///     .question("lights", "Are the lights on?", &[
///         choice("Yes", "reboot", "Lights on"),
///         choice("No", "ask", "Lights off"),
///     ])
///     .fix("reboot", "Reboot it")
///     .escalate("ask", "Ask us")
///     .to_string()
/// ```
#[derive(Debug, Clone)]
pub struct Tree {
    toml: String,
}

/// One option of a question node.
#[derive(Debug, Clone)]
pub struct Choice {
    label: String,
    goto: String,
    summary: String,
    loop_key: Option<String>,
}

/// A tree titled `title` that starts at node `start`.
pub fn tree(title: &str, start: &str) -> Tree {
    Tree {
        toml: format!("title = \"{title}\"\nstart = \"{start}\"\n"),
    }
}

/// An option labelled `label` going to `goto`, remembered as `summary`.
pub fn choice(label: &str, goto: &str, summary: &str) -> Choice {
    Choice {
        label: label.to_string(),
        goto: goto.to_string(),
        summary: summary.to_string(),
        loop_key: None,
    }
}

impl Choice {
    /// Marks the option as a deliberate loop back to an earlier question,
    /// with its own answer `key`.
    pub fn looping(mut self, key: &str) -> Self {
        self.loop_key = Some(key.to_string());
        self
    }
}

impl Tree {
    fn node(mut self, id: &str, kind: &str, title: &str) -> Self {
        let _ = write!(
            self.toml,
            "\n[[node]]\nid = \"{id}\"\nkind = \"{kind}\"\ntitle = \"{title}\"\n"
        );
        self
    }

    /// Adds a question node with its options.
    pub fn question(mut self, id: &str, title: &str, choices: &[Choice]) -> Self {
        self = self.node(id, "question", title);
        for choice in choices {
            let _ = write!(
                self.toml,
                "  [[node.option]]\n  label = \"{}\"\n  goto = \"{}\"\n  summary = \"{}\"\n",
                choice.label, choice.goto, choice.summary
            );
            if let Some(key) = &choice.loop_key {
                let _ = write!(self.toml, "  key = \"{key}\"\n  loop = true\n");
            }
        }
        self
    }

    /// Adds a fix node.
    pub fn fix(self, id: &str, title: &str) -> Self {
        self.node(id, "fix", title)
    }

    /// Adds an escalation node (the walk ends by asking the community).
    pub fn escalate(self, id: &str, title: &str) -> Self {
        self.node(id, "escalate", title)
    }
}

impl std::fmt::Display for Tree {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.toml)
    }
}

/// A three-node tree: a question leading to a fix or to asking us.
pub fn router_tree() -> String {
    tree("Router is down", "lights")
        .question(
            "lights",
            "Are the lights on?",
            &[
                choice("Yes", "reboot", "Lights on"),
                choice("No", "ask", "Lights off"),
            ],
        )
        .fix("reboot", "Reboot it")
        .escalate("ask", "Ask us")
        .to_string()
}

/// The printer troubleshooter of the tree tests and the browser journeys:
/// "No" on the queue ends at a dead end (escalate). It names the article
/// `guide/paper` as related and links to it, and its fix step carries the
/// search marker "zebracable".
pub const PRINTER: &str = r#"
title = "Printer prints nothing"
description = "From a silent printer to a printed page."
tags = ["printer"]
start = "power"
related = ["guide/paper"]

[[node]]
id = "power"
kind = "question"
title = "Is the power light on?"
text = "Look at the **front panel**."
  [[node.option]]
  label = "Yes"
  goto = "queue"
  summary = "The power light is on"
  [[node.option]]
  label = "No"
  goto = "plug"
  summary = "The power light is off"

[[node]]
id = "plug"
kind = "fix"
title = "Reseat the power cable"
text = "Push the zebracable firmly into the socket. See [paper](/docs/guide/paper)."

[[node]]
id = "queue"
kind = "question"
title = "Is a job stuck in the queue?"
  [[node.option]]
  label = "Yes"
  goto = "clear-queue"
  summary = "A job is stuck in the queue"
  [[node.option]]
  label = "No"
  goto = "ask"
  summary = "The queue is empty"

[[node]]
id = "clear-queue"
kind = "fix"
title = "Clear the queue"
text = "Cancel every job, then print again."

[[node]]
id = "ask"
kind = "escalate"
title = "We could not fix it here"
text = "Tell us the printer model."
"#;
