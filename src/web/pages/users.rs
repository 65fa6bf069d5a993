//! Public user profiles.

use actix_web::{web, HttpResponse};
use serde::Serialize;

use crate::app::AppState;
use crate::auth::username;
use crate::db::models::{answers, questions, users};
use crate::error::{AppError, AppResult};
use crate::web::paths;
use crate::web::session::Viewer;
use crate::web::templates::{format_day, format_iso_day};
use crate::web::views::{QuestionRow, UserRef};
use crate::web::{render, with_db};

#[derive(Debug, Serialize)]
struct ProfilePage {
    user: UserRef,
    username: String,
    joined: String,
    joined_iso: String,
    role: &'static str,
    suspended: bool,
    question_count: i64,
    answer_count: i64,
    accepted_count: i64,
    questions: Vec<QuestionRow>,
    answers: Vec<AnswerLink>,
}

#[derive(Debug, Serialize)]
struct AnswerLink {
    question_title: String,
    url: String,
    score: i32,
}

/// GET /users/{name}
pub async fn get_user(
    state: web::Data<AppState>,
    visitor: Viewer,
    path: web::Path<String>,
) -> AppResult<HttpResponse> {
    let key = username::key_of(&path.into_inner());
    let (user, counts, asked, answered) = with_db(&state, move |conn| {
        let user = users::find_by_key(conn, &key)?
            .ok_or_else(|| AppError::NotFound("There is no user with that name.".into()))?;
        let counts = (
            questions::count_by_author(conn, user.id)?,
            answers::count_by_author(conn, user.id)?,
            answers::count_accepted_by_author(conn, user.id)?,
        );
        let asked = questions::by_author(conn, user.id, 10)?;
        let answered = answers::by_author(conn, user.id, 10)?;
        Ok((user, counts, asked, answered))
    })
    .await?;
    let now = crate::db::unix_now();
    let page = ProfilePage {
        question_count: counts.0,
        answer_count: counts.1,
        accepted_count: counts.2,
        questions: asked
            .iter()
            .map(|q| QuestionRow::new(q, std::slice::from_ref(&user), now))
            .collect(),
        answers: answered
            .iter()
            .map(|(a, title, slug)| AnswerLink {
                question_title: title.clone(),
                url: paths::answer(a.question_id, slug, a.id),
                score: a.score,
            })
            .collect(),
        user: UserRef::from(&user),
        username: user.username.clone(),
        joined: format_day(user.created_at),
        joined_iso: format_iso_day(user.created_at),
        role: user.role().as_str(),
        suspended: user.is_suspended(),
    };
    render(&state, &visitor, "users/profile.html", &page)
}
