//! The signed-in user's notifications.

use actix_web::{web, HttpResponse};
use serde::Serialize;

use crate::app::AppState;
use crate::db::models::notifications::{
    self, Notification, ACCEPTED, ACCEPTED_EDITED, ANSWER_ACCEPTED, FOLLOWED_COMMENT, MENTIONED,
    NEW_ANSWER, NEW_COMMENT, NEW_QUESTION, STAFF_ACCEPTED,
};
use crate::db::models::questions::{self, Question};
use crate::db::models::users::{self, User};
use crate::db::unix_now;
use crate::error::AppResult;
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
}

impl NotificationView {
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
            NEW_COMMENT if n.answer_id.is_some() => {
                format!("New comment on your answer to \u{201c}{}\u{201d}", q.title)
            }
            NEW_COMMENT => format!("New comment on your question \u{201c}{}\u{201d}", q.title),
            FOLLOWED_COMMENT => format!("New comment on \u{201c}{title}\u{201d}, which you follow"),
            MENTIONED => format!(
                "You were mentioned in a comment on \u{201c}{}\u{201d}",
                q.title
            ),
            _ => format!("Activity on \u{201c}{}\u{201d}", q.title),
        };
        NotificationView {
            text,
            url,
            actor: n
                .actor_id
                .and_then(|a| actors.iter().find(|u| u.id == a))
                .map(UserRef::from),
            unread: n.read_at.is_none(),
            when: format_ago(now, n.created_at),
        }
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
            &list.iter().map(|n| n.question_id).collect::<Vec<_>>(),
        )?;
        let now = unix_now();
        let items = list
            .iter()
            .filter_map(|n| {
                let q = asked.iter().find(|q| q.id == n.question_id)?;
                Some(NotificationView::new(n, q, &actors, now))
            })
            .collect();
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
