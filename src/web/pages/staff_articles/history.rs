//! An article's history for staff: the revisions a page at a time, one
//! revision, the diff between two, and restoring one.

use actix_web::{web, HttpRequest, HttpResponse};
use serde::Serialize;

use super::{find_article, ButtonForm};
use crate::app::AppState;
use crate::db::models::article_revisions;
use crate::db::models::revisions::HistoryCursor;
use crate::db::models::users;
use crate::db::unix_now;
use crate::diff::{line_diff, DiffLine};
use crate::error::{AppError, AppResult};
use crate::ids::{ArticleRevisionId, UserId};
use crate::service::articles as editing;
use crate::web::extract::{CsrfForm, Staff};
use crate::web::pages::question::history_cursor;
use crate::web::paths;
use crate::web::templates::format_day;
use crate::web::views::UserRef;
use crate::web::{param, query_params, render, see_other, with_db};

#[derive(Debug, Serialize)]
struct RevisionRow {
    id: ArticleRevisionId,
    number: i64,
    editor: Option<UserRef>,
    from_file: bool,
    when: String,
    note: String,
    title: String,
    status: String,
    view_url: String,
}

#[derive(Debug, Serialize)]
struct RevisionsPage {
    title: String,
    article_url: String,
    edit_url: String,
    diff_url: String,
    rows: Vec<RevisionRow>,
    newer_url: Option<String>,
    older_url: Option<String>,
    newest_url: Option<String>,
}

/// Article revisions listed per history page.
const ARTICLE_REVISIONS_PER_PAGE: i64 = 50;

/// GET /docs/{manual}/{article}/revisions?before=…|after=…: a page at a time.
pub async fn get_article_revisions(
    state: web::Data<AppState>,
    Staff {
        viewer: visitor, ..
    }: Staff,
    path: web::Path<(String, String)>,
    req: HttpRequest,
) -> AppResult<HttpResponse> {
    let (manual, slug) = path.into_inner();
    let found = find_article(&state, manual, slug).await?;
    let cursor = history_cursor(&req);
    let article_id = found.article.id;
    let (history, users) = with_db(&state, move |conn| {
        let history =
            article_revisions::history_page(conn, article_id, cursor, ARTICLE_REVISIONS_PER_PAGE)?;
        let editors: Vec<UserId> = history.rows.iter().filter_map(|r| r.editor_id).collect();
        let users = users::find_many(conn, &editors)?;
        Ok((history, users))
    })
    .await?;
    let base = paths::article(&found.manual_slug, &found.article.slug);
    let history_url = paths::article_revisions(&found.manual_slug, &found.article.slug);
    let rows = history
        .rows
        .iter()
        .enumerate()
        .map(|(i, r)| RevisionRow {
            id: r.id,
            number: history.first_number - i as i64,
            editor: r
                .editor_id
                .and_then(|e| users.iter().find(|u| u.id == e))
                .map(UserRef::from),
            from_file: r.editor_id.is_none(),
            when: format_day(r.created_at),
            note: r.note.clone(),
            title: r.title.clone(),
            status: if r.status == "draft" {
                "draft".into()
            } else if r.outdated_reason.is_some() {
                "outdated".into()
            } else {
                "published".into()
            },
            view_url: paths::revision(&history_url, r.id),
        })
        .collect();
    let page = RevisionsPage {
        title: found.article.title.clone(),
        article_url: base.clone(),
        newer_url: match history.rows.first() {
            Some(first) if history.has_newer => Some(paths::history_after(&history_url, first.id)),
            _ => None,
        },
        older_url: match history.rows.last() {
            Some(last) if history.has_older => Some(paths::history_before(&history_url, last.id)),
            _ => None,
        },
        newest_url: (cursor != HistoryCursor::Newest).then(|| history_url.clone()),
        edit_url: paths::article_edit(&found.manual_slug, &found.article.slug),
        diff_url: paths::article_diff(&found.manual_slug, &found.article.slug),
        rows,
    };
    render(&state, &visitor, "staff/article_revisions.html", &page)
}

#[derive(Debug, Serialize)]
struct RevisionPage {
    title: String,
    article_url: String,
    revisions_url: String,
    id: ArticleRevisionId,
    when: String,
    note: String,
    body_html: String,
    restore_url: String,
}

/// GET /docs/{manual}/{article}/revisions/{id}
pub async fn get_article_revision(
    state: web::Data<AppState>,
    Staff {
        viewer: visitor, ..
    }: Staff,
    path: web::Path<(String, String, ArticleRevisionId)>,
) -> AppResult<HttpResponse> {
    let (manual, slug, rev) = path.into_inner();
    let found = find_article(&state, manual, slug).await?;
    let id = found.article.id;
    let revision = with_db(&state, move |conn| {
        article_revisions::find(conn, id, rev)?
            .ok_or_else(|| AppError::NotFound("There is no such revision.".into()))
    })
    .await?;
    let base = paths::article(&found.manual_slug, &found.article.slug);
    let revisions_url = paths::article_revisions(&found.manual_slug, &found.article.slug);
    let page = RevisionPage {
        title: revision.title.clone(),
        article_url: base.clone(),
        revisions_url: revisions_url.clone(),
        id: revision.id,
        when: format_day(revision.created_at),
        note: revision.note.clone(),
        body_html: {
            let (body, manual) = (revision.body_md.clone(), found.manual_slug.clone());
            crate::web::off_executor(move || editing::render(&body, &manual).html).await?
        },
        restore_url: paths::revision_restore(&revisions_url, revision.id),
    };
    render(&state, &visitor, "staff/article_revision.html", &page)
}

#[derive(Debug, Serialize)]
struct DiffPage {
    title: String,
    revisions_url: String,
    from: ArticleRevisionId,
    to: ArticleRevisionId,
    title_change: Option<(String, String)>,
    diff: Vec<DiffLine>,
}

/// GET /docs/{manual}/{article}/diff?from=…&to=…
pub async fn get_article_diff(
    state: web::Data<AppState>,
    Staff {
        viewer: visitor, ..
    }: Staff,
    path: web::Path<(String, String)>,
    req: HttpRequest,
) -> AppResult<HttpResponse> {
    let (manual, slug) = path.into_inner();
    let found = find_article(&state, manual, slug).await?;
    let params = query_params(req.query_string());
    let pick = |key: &str| {
        param(&params, key)
            .and_then(|v| v.parse::<i32>().ok())
            .map(ArticleRevisionId)
    };
    let (Some(from), Some(to)) = (pick("from"), pick("to")) else {
        return Err(AppError::BadRequest(
            "Choose two revisions to compare.".into(),
        ));
    };
    let id = found.article.id;
    let (a, b) = with_db(&state, move |conn| {
        let a = article_revisions::find(conn, id, from)?
            .ok_or_else(|| AppError::NotFound("There is no such revision.".into()))?;
        let b = article_revisions::find(conn, id, to)?
            .ok_or_else(|| AppError::NotFound("There is no such revision.".into()))?;
        Ok((a, b))
    })
    .await?;
    let page = DiffPage {
        title: found.article.title.clone(),
        revisions_url: paths::article_revisions(&found.manual_slug, &found.article.slug),
        from,
        to,
        title_change: (a.title != b.title).then(|| (a.title.clone(), b.title.clone())),
        diff: crate::web::off_executor(move || line_diff(&a.body_md, &b.body_md)).await?,
    };
    render(&state, &visitor, "staff/article_diff.html", &page)
}

/// POST /docs/{manual}/{article}/revisions/{id}/restore
pub async fn post_restore_revision(
    state: web::Data<AppState>,
    path: web::Path<(String, String, ArticleRevisionId)>,
    _form: CsrfForm<ButtonForm>,
    Staff { user, .. }: Staff,
) -> AppResult<HttpResponse> {
    let editor = user.id;
    let (manual, slug, rev) = path.into_inner();
    let found = find_article(&state, manual, slug).await?;
    let id = found.article.id;
    let path = with_db(&state, move |conn| {
        editing::restore(conn, editor, id, rev, unix_now())
    })
    .await?;
    state.indexer.notify();
    Ok(see_other(&path))
}
