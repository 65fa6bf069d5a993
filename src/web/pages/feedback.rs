//! "Was this helpful?" on articles and troubleshooting fixes: one vote per
//! visitor and page (a random cookie, no personal data beyond the user id
//! when signed in), then an optional "what was missing?" comment.

use actix_web::cookie::{Cookie, SameSite};
use actix_web::{web, HttpRequest, HttpResponse};
use serde::{Deserialize, Serialize};

use crate::app::AppState;
use crate::auth::rate_limit::Limited;
use crate::auth::tokens;
use crate::content::trees::NodeKind;
use crate::db::models::{articles, feedback, trees};
use crate::db::unix_now;
use crate::error::{AppError, AppResult};
use crate::ids::{ArticleId, FeedbackId, TreeId};
use crate::kinds::DocKind;
use crate::web::extract::CsrfForm;
use crate::web::paths::{self, local_or_home};
use crate::web::session::{admit_address, Viewer};
use crate::web::{param, see_other, with_db};

/// Cookie identifying a browser for feedback (random; only its hash is stored).
const VISITOR_COOKIE: &str = "sp_visitor";
/// Longest comment (characters).
const COMMENT_MAX: usize = 1000;

/// What the feedback box on a page shows.
#[derive(Debug, Clone, Serialize)]
pub struct FeedbackBox {
    /// `article` or `step`.
    pub kind: &'static str,
    /// Article id or tree id.
    pub target: i32,
    /// Tree node (steps).
    pub node: String,
    /// Where to come back to.
    pub back: String,
    /// `ask`, `more` (the comment form) or `thanks`.
    pub state: &'static str,
    /// The vote to attach a comment to (`FeedbackId(0)`, which no row has,
    /// when the page was not reached from a vote).
    pub fb: FeedbackId,
    /// Where the comment on that vote is posted.
    pub comment_url: String,
}

impl FeedbackBox {
    /// The box for a page, reading `?feedback=…&fb=…` from its query.
    pub fn new(kind: DocKind, target: i32, node: &str, req: &HttpRequest) -> Self {
        let params = crate::web::query_params(req.query_string());
        let state = match param(&params, "feedback") {
            Some("thanks") => "thanks",
            Some("more") => "more",
            _ => "ask",
        };
        let back_params: Vec<(String, String)> = params
            .into_iter()
            .filter(|(k, _)| k != "feedback" && k != "fb")
            .collect();
        let mut back = req.path().to_string();
        if !back_params.is_empty() {
            let mut query = form_urlencoded::Serializer::new(String::new());
            for (k, v) in &back_params {
                query.append_pair(k, v);
            }
            back = format!("{back}?{}", query.finish());
        }
        let fb = param(&crate::web::query_params(req.query_string()), "fb")
            .and_then(|v| v.parse().ok())
            .map_or(FeedbackId(0), FeedbackId);
        FeedbackBox {
            kind: kind.as_str(),
            target,
            node: node.to_string(),
            back,
            state,
            fb,
            comment_url: paths::feedback_comment(fb),
        }
    }
}

fn visitor_key(req: &HttpRequest) -> (String, Option<String>) {
    match req
        .cookie(VISITOR_COOKIE)
        .map(|c| c.value().to_string())
        .filter(|v| v.len() == 64)
    {
        Some(token) => (tokens::hash_token(&token), None),
        None => match tokens::random_token() {
            Ok(token) => (tokens::hash_token(&token), Some(token)),
            Err(_) => (String::new(), None),
        },
    }
}

fn with_state(back: &str, state: &str, fb: Option<FeedbackId>) -> String {
    let back = local_or_home(back);
    let path = back.split('#').next().unwrap_or("/").to_string();
    let separator = if path.contains('?') { '&' } else { '?' };
    match fb {
        Some(id) => format!("{path}{separator}feedback={state}&fb={id}#feedback"),
        None => format!("{path}{separator}feedback={state}#feedback"),
    }
}

/// Fields of the vote form.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct VoteForm {
    csrf: String,
    kind: String,
    target: i32,
    node: String,
    /// `yes` or `no`.
    helpful: String,
    back: String,
}

/// POST /feedback
pub async fn post_feedback(
    state: web::Data<AppState>,
    visitor: Viewer,
    req: HttpRequest,
    form: CsrfForm<VoteForm>,
) -> AppResult<HttpResponse> {
    admit_address(&state, Limited::Feedback, &visitor.ip).await?;
    let helpful = match form.helpful.as_str() {
        "yes" => true,
        "no" => false,
        _ => return Err(AppError::BadRequest("Answer yes or no.".into())),
    };
    let kind = match form.kind.parse::<DocKind>() {
        Ok(kind @ (DocKind::Article | DocKind::Step)) => kind,
        _ => {
            return Err(AppError::BadRequest(
                "Feedback is for articles and troubleshooting steps.".into(),
            ))
        }
    };
    let (key, new_token) = visitor_key(&req);
    let user_id = visitor.user.as_ref().map(|u| u.id);
    let (target, node) = (form.target, form.node.clone());
    let id = with_db(&state, move |conn| {
        match kind {
            DocKind::Article => {
                articles::find_with_manual(conn, ArticleId(target))?
                    .filter(|a| a.article.is_published())
                    .ok_or_else(|| AppError::NotFound("There is no such article.".into()))?;
            }
            _ => {
                let row = trees::find(conn, TreeId(target))?
                    .ok_or_else(|| AppError::NotFound("There is no such troubleshooter.".into()))?;
                let tree = row.tree().map_err(AppError::internal)?;
                tree.node(&node)
                    .filter(|n| n.kind == NodeKind::Fix)
                    .ok_or_else(|| AppError::NotFound("There is no such step.".into()))?;
            }
        }
        let node = if kind == DocKind::Step {
            node
        } else {
            String::new()
        };
        let vote = feedback::NewFeedback {
            kind,
            target,
            node: &node,
            visitor_key: &key,
            user_id,
            helpful,
        };
        Ok(feedback::record(conn, &vote, unix_now())?)
    })
    .await?;
    let location = if helpful {
        with_state(&form.back, "thanks", None)
    } else {
        with_state(&form.back, "more", Some(id))
    };
    let mut response = see_other(&location);
    if let Some(token) = new_token {
        let cookie = Cookie::build(VISITOR_COOKIE, token)
            .path("/")
            .http_only(true)
            .same_site(SameSite::Lax)
            .secure(state.config.is_https())
            .max_age(actix_web::cookie::time::Duration::days(365))
            .finish();
        response.add_cookie(&cookie).map_err(AppError::internal)?;
    }
    Ok(response)
}

/// Fields of the comment form.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct CommentForm {
    csrf: String,
    comment: String,
    back: String,
}

/// POST /feedback/{id}/comment: "what was missing?"
pub async fn post_feedback_comment(
    state: web::Data<AppState>,
    visitor: Viewer,
    req: HttpRequest,
    path: web::Path<FeedbackId>,
    form: CsrfForm<CommentForm>,
) -> AppResult<HttpResponse> {
    admit_address(&state, Limited::Feedback, &visitor.ip).await?;
    let comment: String = form.comment.trim().chars().take(COMMENT_MAX).collect();
    if comment.is_empty() {
        return Ok(see_other(&with_state(&form.back, "thanks", None)));
    }
    let (key, _) = visitor_key(&req);
    let id = path.into_inner();
    let saved = with_db(&state, move |conn| {
        Ok(feedback::comment(conn, id, &key, &comment)?)
    })
    .await?;
    if !saved {
        return Err(AppError::NotFound(
            "That feedback is not yours to comment on (or it expired). Thank you anyway!".into(),
        ));
    }
    Ok(see_other(&with_state(&form.back, "thanks", None)))
}

crate::csrf_form!(CommentForm, VoteForm);
