//! The signed-in user's notifications.

use std::collections::HashMap;

use actix_web::{web, HttpResponse};
use serde::Serialize;

use crate::app::AppState;
use crate::db::models::known_issues::{self, KnownIssue};
use crate::db::models::notifications::{
    self, Notification, ACCEPTED, ACCEPTED_EDITED, ANSWER_ACCEPTED, FOLLOWED_COMMENT, MENTIONED,
    NEW_ANSWER, NEW_COMMENT, NEW_QUESTION, SOLVED_NUDGE, STAFF_ACCEPTED,
};
use crate::db::models::questions::{self, Question};
use crate::db::models::users::{self, User};
use crate::db::unix_now;
use crate::error::AppResult;
use crate::ids::QuestionId;
use crate::service::questions::NudgeAnswer;
use crate::web::extract::Member;
use crate::web::paths;
use crate::web::templates::format_ago;
use crate::web::views::UserRef;
use crate::web::{render, with_db};

#[derive(Debug, Serialize)]
struct NotificationView {
    text: String,
    url: String,
    actor: Option<UserRef>,
    unread: bool,
    when: String,
    /// "Was it solved?" while it can still be answered: one accept form
    /// per answer and the "still not solved" form.
    solved: Option<SolvedChoices>,
}

/// The forms of a "was it solved?" notification.
#[derive(Debug, Serialize)]
struct SolvedChoices {
    accept_url: String,
    still_unsolved_url: String,
    answers: Vec<ChoiceAnswer>,
}

#[derive(Debug, Serialize)]
struct ChoiceAnswer {
    id: i32,
    author: String,
    excerpt: String,
    url: String,
}

impl SolvedChoices {
    /// The forms for `q` with its best `answers`.
    fn new(q: &Question, answers: Vec<NudgeAnswer>) -> Self {
        SolvedChoices {
            accept_url: paths::question_accept(q.id),
            still_unsolved_url: paths::question_still_unsolved(q.id),
            answers: answers
                .into_iter()
                .map(|a| ChoiceAnswer {
                    id: a.id.0,
                    url: paths::answer_on(&q.path(), a.id),
                    author: a.author,
                    excerpt: a.excerpt,
                })
                .collect(),
        }
    }
}

impl NotificationView {
    /// Notification `n` about a known issue's update.
    fn about_issue(n: &Notification, issue: &KnownIssue, actors: &[User], now: i64) -> Self {
        let text = format!(
            "Update on the known issue \u{201c}{}\u{201d} ({}), which you follow",
            issue.title,
            issue.status.label().to_lowercase()
        );
        Self::with(n, text, paths::known_issue(&issue.slug), actors, now)
    }

    /// Notification `n` read as `text`, linking to `url`.
    fn with(n: &Notification, text: String, url: String, actors: &[User], now: i64) -> Self {
        NotificationView {
            text,
            url,
            actor: n
                .actor_id
                .and_then(|a| actors.iter().find(|u| u.id == a))
                .map(UserRef::from),
            unread: n.read_at.is_none(),
            when: format_ago(now, n.created_at),
            solved: None,
        }
    }

    /// Notification `n` about question `q` (`actors`: who may have acted).
    fn new(n: &Notification, q: &Question, actors: &[User], now: i64) -> Self {
        let url = match (n.comment_id, n.answer_id) {
            (Some(c), _) => paths::comment_on(&q.path(), c),
            (None, Some(a)) => paths::answer_on(&q.path(), a),
            (None, None) => q.path(),
        };
        let title = &q.title;
        let text = match n.kind.as_str() {
            NEW_ANSWER if q.author_id == n.user_id => {
                format!("New answer on your question \u{201c}{title}\u{201d}")
            }
            NEW_ANSWER => format!("New answer on \u{201c}{title}\u{201d}, which you follow"),
            ACCEPTED => format!("An answer was accepted on \u{201c}{title}\u{201d}"),
            ACCEPTED_EDITED => format!("The accepted answer on \u{201c}{title}\u{201d} was edited"),
            NEW_QUESTION => format!("New question with a tag you follow: \u{201c}{title}\u{201d}"),
            ANSWER_ACCEPTED => format!("Your answer on \u{201c}{}\u{201d} was accepted", q.title),
            STAFF_ACCEPTED => format!(
                "A staff member accepted an answer on your question \u{201c}{}\u{201d}",
                q.title
            ),
            crate::service::known_issues::FIXED_NOTIFICATION => {
                format!("The known issue behind your question \u{201c}{title}\u{201d} is fixed")
            }
            NEW_COMMENT if n.answer_id.is_some() => {
                format!("New comment on your answer to \u{201c}{}\u{201d}", q.title)
            }
            NEW_COMMENT => format!("New comment on your question \u{201c}{}\u{201d}", q.title),
            FOLLOWED_COMMENT => format!("New comment on \u{201c}{title}\u{201d}, which you follow"),
            SOLVED_NUDGE if q.accepted_answer_id.is_some() => {
                format!("Was your question \u{201c}{title}\u{201d} solved? An answer is accepted now: thank you!")
            }
            SOLVED_NUDGE => format!(
                "Was your question \u{201c}{title}\u{201d} solved? Mark the answer that solved it, or tell us it is not solved yet"
            ),
            MENTIONED => format!(
                "You were mentioned in a comment on \u{201c}{}\u{201d}",
                q.title
            ),
            _ => format!("Activity on \u{201c}{}\u{201d}", q.title),
        };
        Self::with(n, text, url, actors, now)
    }
}

#[derive(Debug, Serialize)]
struct NotificationsPage {
    items: Vec<NotificationView>,
}

/// GET /notifications: newest first; viewing marks them read.
pub async fn get_notifications(
    state: web::Data<AppState>,
    Member {
        viewer: visitor,
        user,
    }: Member,
) -> AppResult<HttpResponse> {
    let me = user.id;
    let items = with_db(&state, move |conn| {
        let list = notifications::recent(conn, me, 100)?;
        let actors = users::find_many(
            conn,
            &list.iter().filter_map(|n| n.actor_id).collect::<Vec<_>>(),
        )?;
        let asked = questions::find_many(
            conn,
            &list
                .iter()
                .filter_map(|n| n.question_id)
                .collect::<Vec<_>>(),
        )?;
        let now = unix_now();
        let still_open = |n: &Notification, q: &Question| {
            n.kind == SOLVED_NUDGE
                && q.author_id == me
                && q.accepted_answer_id.is_none()
                && q.deleted_at.is_none()
                && !q.locked
                && q.closed_reason.is_none()
        };
        let asked: HashMap<QuestionId, Question> = asked.into_iter().map(|q| (q.id, q)).collect();
        let mut open: Vec<QuestionId> = list
            .iter()
            .filter_map(|n| {
                let q = asked.get(&n.question_id?)?;
                still_open(n, q).then_some(q.id)
            })
            .collect();
        open.sort_unstable();
        open.dedup();
        // Every open "was it solved?" of the page in one go.
        let choices = crate::service::questions::nudge_answers_for(conn, &open)?;
        let mut items = Vec::new();
        let issues: Vec<KnownIssue> = known_issues::find_many(
            conn,
            &list
                .iter()
                .filter_map(|n| n.known_issue_id)
                .collect::<Vec<_>>(),
        )?;
        for n in &list {
            if let Some(issue_id) = n.known_issue_id {
                if let Some(issue) = issues.iter().find(|i| i.id == issue_id) {
                    items.push(NotificationView::about_issue(n, issue, &actors, now));
                }
                continue;
            }
            let Some(q) = n.question_id.and_then(|id| asked.get(&id)) else {
                continue;
            };
            let mut item = NotificationView::new(n, q, &actors, now);
            if still_open(n, q) {
                // Cloned: the same question may be asked about twice on a page.
                if let Some(answers) = choices.get(&q.id).filter(|a| !a.is_empty()) {
                    item.solved = Some(SolvedChoices::new(q, answers.clone()));
                }
            }
            items.push(item);
        }
        notifications::mark_all_read(conn, me, now)?;
        Ok(items)
    })
    .await?;
    let mut visitor = visitor;
    if let Some(user) = visitor.user.as_mut() {
        user.unread = 0;
    }
    render(
        &state,
        &visitor,
        "questions/notifications.html",
        &NotificationsPage { items },
    )
}
