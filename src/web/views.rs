//! View structs: exactly what each template gets, serializable to JSON as
//! well. Built from database rows here, never handed rows directly.

use crate::web::paths;
use serde::Serialize;

use crate::db::models::articles::{Article, ArticleHead};
use crate::db::models::manuals::{Manual, ManualSummary};
use crate::ids::ArticleId;
use crate::kinds::DocKind;
use crate::markdown::TocEntry;
use crate::web::templates::{format_day, format_iso_day};

/// A manual in a list.
#[derive(Debug, Clone, Serialize)]
pub struct ManualCard {
    /// Title.
    pub title: String,
    /// Summary.
    pub description: String,
    /// Link.
    pub url: String,
    /// Published articles.
    pub article_count: i64,
}

impl From<&ManualSummary> for ManualCard {
    fn from(s: &ManualSummary) -> Self {
        ManualCard {
            title: s.manual.title.clone(),
            description: s.manual.description.clone(),
            url: paths::manual(&s.manual.slug),
            article_count: s.article_count,
        }
    }
}

/// An article in a list or a previous/next link.
#[derive(Debug, Clone, Serialize)]
pub struct ArticleLink {
    /// Title.
    pub title: String,
    /// Summary.
    pub description: String,
    /// Link.
    pub url: String,
    /// Marked outdated.
    pub outdated: bool,
    /// A draft (listed for staff only).
    pub draft: bool,
}

impl ArticleLink {
    /// The link to `article` in `manual_slug`.
    pub fn new(manual_slug: &str, article: &Article) -> Self {
        ArticleLink {
            title: article.title.clone(),
            description: article.description.clone(),
            url: paths::article(manual_slug, &article.slug),
            outdated: article.outdated_reason.is_some(),
            draft: !article.is_published(),
        }
    }

    /// The link from a list row.
    pub fn from_head(manual_slug: &str, head: &ArticleHead) -> Self {
        ArticleLink {
            title: head.title.clone(),
            description: head.description.clone(),
            url: paths::article(manual_slug, &head.slug),
            outdated: head.outdated_reason.is_some(),
            draft: head.status == crate::db::models::articles::STATUS_DRAFT,
        }
    }
}

/// `/`
#[derive(Debug, Serialize)]
pub struct HomePage {
    /// Every manual.
    pub manuals: Vec<ManualCard>,
    /// Every troubleshooting tree.
    pub trees: Vec<TreeCard>,
    /// Recently solved questions.
    pub solved: Vec<QuestionRow>,
    /// Total published articles.
    pub article_count: i64,
}

/// `/docs`
#[derive(Debug, Serialize)]
pub struct ManualsPage {
    /// Every manual.
    pub manuals: Vec<ManualCard>,
}

/// `/docs/{manual}`
#[derive(Debug, Serialize)]
pub struct ManualPage {
    /// Title.
    pub title: String,
    /// Summary.
    pub description: String,
    /// Sanitized introduction.
    pub intro_html: String,
    /// Chapters in reading order.
    pub articles: Vec<ArticleLink>,
}

impl ManualPage {
    /// Builds the page.
    pub fn new(manual: &Manual, articles: &[ArticleHead]) -> Self {
        ManualPage {
            title: manual.title.clone(),
            description: manual.description.clone(),
            intro_html: manual.intro_html.clone(),
            articles: articles
                .iter()
                .map(|a| ArticleLink::from_head(&manual.slug, a))
                .collect(),
        }
    }
}

/// One breadcrumb step.
#[derive(Debug, Clone, Serialize)]
pub struct Crumb {
    /// Label.
    pub title: String,
    /// Link.
    pub url: String,
}

/// `/docs/{manual}/{article}`
#[derive(Debug, Serialize)]
pub struct ArticlePage {
    /// Title.
    pub title: String,
    /// Summary.
    pub description: String,
    /// Breadcrumbs above the title (Manuals › Manual).
    pub breadcrumbs: Vec<Crumb>,
    /// Sanitized body.
    pub body_html: String,
    /// In-page table of contents.
    pub toc: Vec<TocEntry>,
    /// Previous chapter.
    pub prev: Option<ArticleLink>,
    /// Next chapter.
    pub next: Option<ArticleLink>,
    /// "Last updated" as shown.
    pub updated: String,
    /// The same as an ISO date, for `<time datetime>`.
    pub updated_iso: String,
    /// Unix seconds of the last change (Last-Modified).
    pub updated_unix: i64,
    /// The outdated notice.
    pub outdated_reason: Option<String>,
    /// Tags.
    pub tags: Vec<String>,
    /// Only visible to staff.
    pub draft: bool,
    /// The article's id (feedback form).
    pub article_id: ArticleId,
    /// Staff: the editor.
    pub edit_url: Option<String>,
    /// The community question it was made from.
    pub source_question: Option<String>,
    /// "Was this helpful?"
    pub feedback: Option<crate::web::pages::feedback::FeedbackBox>,
}

impl ArticlePage {
    /// Builds the page from the article, its manual and its siblings in order.
    pub fn new(manual: &Manual, article: &Article, siblings: &[ArticleHead]) -> Self {
        let position = siblings.iter().position(|a| a.id == article.id);
        let prev = position
            .and_then(|i| i.checked_sub(1))
            .and_then(|i| siblings.get(i));
        let next = position.and_then(|i| siblings.get(i + 1));
        ArticlePage {
            title: article.title.clone(),
            description: article.description.clone(),
            breadcrumbs: vec![
                Crumb {
                    title: "Manuals".into(),
                    url: "/docs".into(),
                },
                Crumb {
                    title: manual.title.clone(),
                    url: paths::manual(&manual.slug),
                },
            ],
            body_html: article.body_html.clone(),
            toc: serde_json::from_str(&article.toc_json).unwrap_or_default(),
            prev: prev.map(|a| ArticleLink::from_head(&manual.slug, a)),
            next: next.map(|a| ArticleLink::from_head(&manual.slug, a)),
            updated: format_day(article.updated_at),
            updated_iso: format_iso_day(article.updated_at),
            updated_unix: article.updated_at,
            outdated_reason: article.outdated_reason.clone(),
            tags: article.tag_list(),
            draft: !article.is_published(),
            article_id: article.id,
            edit_url: None,
            source_question: None,
            feedback: None,
        }
    }
}

/// A kind filter tab on the search page.
#[derive(Debug, Clone, Serialize)]
pub struct KindTab {
    /// Label.
    pub label: &'static str,
    /// Link.
    pub url: String,
    /// Currently selected.
    pub active: bool,
}

/// One search result.
#[derive(Debug, Clone, Serialize)]
pub struct HitView {
    /// "Article", "Troubleshooting step", "Question".
    pub kind_label: &'static str,
    /// Raw kind.
    pub kind: String,
    /// The document's address.
    pub url: String,
    /// The link to follow (logs the click, then redirects to `url`).
    pub href: String,
    /// Highlighted, escaped title.
    pub title_html: String,
    /// Highlighted, escaped snippet.
    pub snippet_html: String,
    /// Where it lives.
    pub breadcrumb: String,
    /// A solved question.
    pub solved: bool,
}

/// A link with a label.
#[derive(Debug, Clone, Serialize)]
pub struct LabelledLink {
    /// Label.
    pub text: String,
    /// Link.
    pub url: String,
}

/// `/search`
#[derive(Debug, Serialize)]
pub struct SearchPage {
    /// The query as typed.
    pub q: String,
    /// The kind filter.
    pub kind: Option<String>,
    /// Filter tabs.
    pub tabs: Vec<KindTab>,
    /// This page of results.
    pub hits: Vec<HitView>,
    /// Total results.
    pub total: usize,
    /// `total` is a lower bound ("more than").
    pub more_than: bool,
    /// First result number on this page (1-based).
    pub first: usize,
    /// Last result number on this page.
    pub last: usize,
    /// Previous page.
    pub prev_url: Option<String>,
    /// Next page.
    pub next_url: Option<String>,
    /// "Did you mean".
    pub corrected: Option<LabelledLink>,
    /// Only some words matched.
    pub relaxed: bool,
    /// The index is being rebuilt.
    pub rebuilding: bool,
    /// Whether a query was given at all.
    pub searched: bool,
    /// Ask the community with the query pre-filled.
    pub ask_url: String,
    /// Manuals to browse instead.
    pub manuals: Vec<ManualCard>,
    /// Troubleshooters to try instead.
    pub trees: Vec<TreeCard>,
}

/// Label of a document kind.
pub fn kind_label(kind: &str) -> &'static str {
    match kind.parse() {
        Ok(DocKind::Article) => "Article",
        Ok(DocKind::Step) => "Troubleshooting step",
        Ok(DocKind::Question) => "Question",
        Err(_) => "Page",
    }
}

/// A user as shown next to content: name, profile link, staff badge.
#[derive(Debug, Clone, Serialize)]
pub struct UserRef {
    /// Username.
    pub username: String,
    /// Display name.
    pub display_name: String,
    /// Profile link.
    pub url: String,
    /// Carries the staff badge.
    pub is_staff: bool,
}

impl From<&crate::db::models::users::User> for UserRef {
    fn from(u: &crate::db::models::users::User) -> Self {
        UserRef {
            username: u.username.clone(),
            display_name: u.display_name.clone(),
            url: paths::user(&u.username),
            is_staff: u.role().is_staff(),
        }
    }
}

/// A stale save that was refused: the newer version someone saved since the
/// form was opened, and how the editor's own text differs from it. The form
/// below it keeps the editor's text, so nothing is lost.
#[derive(Debug, Clone, Serialize)]
pub struct ConflictView {
    /// Who saved the newer version (`None`: it came from a content file).
    pub editor: Option<UserRef>,
    /// When it was saved.
    pub when: String,
    /// Its title (empty for answers).
    pub title: String,
    /// Its full text.
    pub body: String,
    /// From their text to the editor's.
    pub diff: Vec<crate::diff::DiffLine>,
}

impl ConflictView {
    /// The view of `theirs` against `mine` (the diff is computed here: call
    /// it on the blocking pool).
    pub fn new(editor: Option<UserRef>, when: i64, title: &str, theirs: &str, mine: &str) -> Self {
        ConflictView {
            editor,
            when: format_day(when),
            title: title.to_string(),
            body: theirs.to_string(),
            diff: crate::diff::line_diff(theirs, mine),
        }
    }
}

/// A troubleshooting tree in a list.
#[derive(Debug, Clone, Serialize)]
pub struct TreeCard {
    /// Title.
    pub title: String,
    /// What it diagnoses.
    pub description: String,
    /// Link.
    pub url: String,
    /// How many walks ended with a working fix.
    pub resolved: i64,
}

/// A tag with its link.
#[derive(Debug, Clone, Serialize)]
pub struct TagLink {
    /// Name.
    pub name: String,
    /// `/tags/{name}`.
    pub url: String,
}

impl TagLink {
    /// The link of a tag.
    pub fn new(name: &str) -> Self {
        TagLink {
            name: name.to_string(),
            url: paths::tag(name),
        }
    }
}

/// A question in a list.
#[derive(Debug, Clone, Serialize)]
pub struct QuestionRow {
    /// Title.
    pub title: String,
    /// Link.
    pub url: String,
    /// Tags.
    pub tags: Vec<TagLink>,
    /// Score.
    pub score: i32,
    /// Answers.
    pub answer_count: i32,
    /// Has an accepted answer.
    pub solved: bool,
    /// Closed.
    pub closed: bool,
    /// Pinned.
    pub pinned: bool,
    /// Asker.
    pub author: Option<UserRef>,
    /// "3 days ago".
    pub age: String,
}

impl QuestionRow {
    /// Builds a row; `users` must hold the asker.
    pub fn new(
        q: &crate::db::models::questions::Question,
        users: &[crate::db::models::users::User],
        now: i64,
    ) -> Self {
        QuestionRow {
            title: q.title.clone(),
            url: q.path(),
            tags: q.tag_list().iter().map(|t| TagLink::new(t)).collect(),
            score: q.score,
            answer_count: q.answer_count,
            solved: q.accepted_answer_id.is_some(),
            closed: q.closed_reason.is_some(),
            pinned: q.pinned,
            author: users
                .iter()
                .find(|u| u.id == q.author_id)
                .map(UserRef::from),
            age: crate::web::templates::format_ago(now, q.created_at),
        }
    }
}

/// An announcement banner at the top of a page.
#[derive(Debug, Clone, Serialize)]
pub struct BannerView {
    /// Row id (the banner's anchor).
    pub id: crate::ids::AnnouncementId,
    /// Plain-text title (escaped by the template).
    pub title: String,
    /// Sanitized HTML of the body.
    pub body_html: String,
    /// `info`, `warning` or `outage` (the banner's class).
    pub severity: &'static str,
    /// Until when, if an end is set ("1 Dec 2026 17:00 UTC").
    pub until: Option<String>,
    /// Where the dismiss button posts.
    pub dismiss_url: String,
    /// The revision the dismiss button names.
    pub revision: i32,
}

impl From<&crate::service::announcements::Banner> for BannerView {
    fn from(b: &crate::service::announcements::Banner) -> Self {
        BannerView {
            id: b.id,
            title: b.title.clone(),
            body_html: b.body_html.clone(),
            severity: b.severity.as_str(),
            until: b.ends_at.map(crate::service::announcements::format_when),
            dismiss_url: paths::announcement_dismiss(b.id),
            revision: b.revision,
        }
    }
}

/// The Follow/Unfollow button of a question or tag page (for a guest, a
/// link to sign in that comes back to the page).
#[derive(Debug, Clone, Serialize)]
pub struct FollowButton {
    /// Whether the viewer is signed in.
    pub signed_in: bool,
    /// Whether the viewer follows the page's question or tag.
    pub following: bool,
    /// Where Follow posts.
    pub follow_url: String,
    /// Where Unfollow posts.
    pub unfollow_url: String,
    /// Sign in, then back to the page.
    pub login_url: String,
}

impl FollowButton {
    /// The button of question `id` shown at `page`.
    pub fn question(
        id: crate::ids::QuestionId,
        page: &str,
        signed_in: bool,
        following: bool,
    ) -> Self {
        FollowButton {
            signed_in,
            following,
            follow_url: paths::question_follow(id),
            unfollow_url: paths::question_unfollow(id),
            login_url: paths::login_url(page),
        }
    }

    /// The button of the tag `name`.
    pub fn tag(name: &str, signed_in: bool, following: bool) -> Self {
        FollowButton {
            signed_in,
            following,
            follow_url: paths::tag_follow(name),
            unfollow_url: paths::tag_unfollow(name),
            login_url: paths::login_url(&paths::tag(name)),
        }
    }
}
