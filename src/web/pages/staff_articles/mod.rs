//! Staff editing of articles in the browser: list, create (also from a
//! solved question), edit with preview and stale-save detection, revisions,
//! diffs, restore, and re-attaching a detached file. The history pages
//! (revisions, one revision, diff, restore) are in [`history`].

mod history;

pub use history::*;

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use serde::{Deserialize, Serialize};

use crate::app::AppState;
use crate::db::models::article_revisions::{self, ArticleRevision};
use crate::db::models::articles::{self, ArticleInManual};
use crate::db::models::{manuals, users};
use crate::db::unix_now;
use crate::error::{AppError, AppResult};
use crate::ids::{ArticleRevisionId, ManualId, QuestionId};
use crate::service::articles::{self as editing, SaveOutcome};
use crate::web::extract::{CsrfForm, Staff};
use crate::web::paths;
use crate::web::session::Viewer;
use crate::web::templates::format_day;
use crate::web::views::{ConflictView, UserRef};
use crate::web::{param, query_params, render, render_status, see_other, with_db};

#[derive(Debug, Serialize)]
struct ArticleRow {
    title: String,
    url: String,
    edit_url: String,
    manual: String,
    status: &'static str,
    source: String,
    updated: String,
}

#[derive(Debug, Serialize)]
struct ArticlesPage {
    rows: Vec<ArticleRow>,
}

/// GET /staff/articles: every article, drafts included.
pub async fn get_staff_articles(
    state: web::Data<AppState>,
    Staff {
        viewer: visitor, ..
    }: Staff,
) -> AppResult<HttpResponse> {
    let all = with_db(&state, |conn| Ok(articles::all_with_manuals(conn)?)).await?;
    let rows = all
        .iter()
        .map(|a| ArticleRow {
            title: a.article.title.clone(),
            url: paths::article(&a.manual_slug, &a.article.slug),
            edit_url: paths::article_edit(&a.manual_slug, &a.article.slug),
            manual: a.manual_title.clone(),
            status: status_label(a),
            source: match (&a.article.source_path, &a.article.detached_path) {
                (Some(p), _) => format!("file {p}"),
                (None, Some(p)) => format!("edited in the browser (was {p})"),
                (None, None) => "browser".into(),
            },
            updated: format_day(a.article.updated_at),
        })
        .collect();
    render(
        &state,
        &visitor,
        "staff/articles.html",
        &ArticlesPage { rows },
    )
}

fn status_label(a: &ArticleInManual) -> &'static str {
    match (
        a.article.is_published(),
        a.article.outdated_reason.is_some(),
    ) {
        (false, _) => "draft",
        (true, true) => "outdated",
        (true, false) => "published",
    }
}

#[derive(Debug, Serialize)]
struct ManualOption {
    id: ManualId,
    title: String,
    selected: bool,
}

#[derive(Debug, Default, Serialize)]
struct EditorPage {
    heading: String,
    action: String,
    manuals: Vec<ManualOption>,
    /// The chosen manual's id; 0 selects the "Choose a manual" placeholder.
    manual_id: i32,
    title: String,
    weight: String,
    tags: String,
    status: String,
    outdated_reason: String,
    body: String,
    note: String,
    base_revision: i32,
    from_question: Option<QuestionId>,
    file_notice: Option<String>,
    detached_from: Option<String>,
    reattach_url: Option<String>,
    history_url: Option<String>,
    errors: Vec<String>,
    preview_html: Option<String>,
    conflict: Option<ConflictView>,
}

/// Fields of the editor.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct EditorForm {
    csrf: String,
    /// The chosen manual's id (0: none chosen, refused by the service).
    manual_id: i32,
    title: String,
    weight: String,
    tags: String,
    status: String,
    outdated_reason: String,
    body: String,
    note: String,
    base_revision: i32,
    from_question: Option<QuestionId>,
    /// `preview` or `save`.
    action: String,
}

impl EditorForm {
    /// The typed fields, for [`editing::validate`].
    fn fields(&self) -> editing::EditorFields<'_> {
        editing::EditorFields {
            manual_id: ManualId(self.manual_id),
            title: &self.title,
            weight: &self.weight,
            tags: &self.tags,
            status: &self.status,
            outdated_reason: &self.outdated_reason,
            body: &self.body,
            note: &self.note,
        }
    }
}

async fn manual_options(
    state: &web::Data<AppState>,
    selected: i32,
) -> AppResult<Vec<ManualOption>> {
    let list = with_db(state, |conn| Ok(manuals::list(conn)?)).await?;
    Ok(list
        .into_iter()
        .map(|m| ManualOption {
            selected: i32::from(m.id) == selected,
            id: m.id,
            title: m.title,
        })
        .collect())
}

impl EditorPage {
    /// This page with the fields as the editor typed them.
    fn keeping(self, form: &EditorForm) -> Self {
        EditorPage {
            manual_id: form.manual_id,
            title: form.title.clone(),
            weight: form.weight.clone(),
            tags: form.tags.clone(),
            status: form.status.clone(),
            outdated_reason: form.outdated_reason.clone(),
            body: form.body.clone(),
            note: form.note.clone(),
            ..self
        }
    }

    fn from_form(form: &EditorForm) -> Self {
        EditorPage {
            base_revision: form.base_revision,
            from_question: form.from_question,
            ..Default::default()
        }
        .keeping(form)
    }
}

/// GET /staff/articles/new?manual=…&from_question=…
pub async fn get_new_article(
    state: web::Data<AppState>,
    Staff {
        viewer: visitor, ..
    }: Staff,
    req: HttpRequest,
) -> AppResult<HttpResponse> {
    let params = query_params(req.query_string());
    let from_question = param(&params, "from_question")
        .and_then(|v| v.parse::<i32>().ok())
        .map(QuestionId);
    let manual_slug = param(&params, "manual").unwrap_or("").to_string();
    let (promotion, manual_id) = with_db(&state, move |conn| {
        let promotion = match from_question {
            Some(id) => Some(editing::promotion(conn, id)?),
            None => None,
        };
        let manual_id = manuals::find_by_slug(conn, &manual_slug)?.map_or(0, |m| m.id.into());
        Ok((promotion, manual_id))
    })
    .await?;
    let mut page = EditorPage {
        heading: "New article".into(),
        action: paths::NEW_ARTICLE.into(),
        manual_id,
        status: "draft".into(),
        ..Default::default()
    };
    if let Some(title) = param(&params, "title") {
        page.title = title.chars().take(150).collect();
    }
    if let Some(p) = promotion {
        page.heading = "New article from a community answer".into();
        page.title = p.title;
        page.body = p.body;
        page.tags = p.tags.join(", ");
        page.from_question = Some(p.question_id);
    }
    page.manuals = manual_options(&state, page.manual_id).await?;
    render(&state, &visitor, "staff/article_edit.html", &page)
}

/// The editor's Preview button: a body over the article limit is refused
/// (422) before any rendering; otherwise it renders on the blocking pool.
async fn preview(
    state: &web::Data<AppState>,
    visitor: &Viewer,
    mut page: EditorPage,
    manual_slug: String,
) -> AppResult<HttpResponse> {
    let chars = page.body.chars().count();
    if chars > editing::BODY_MAX {
        page.errors.push(format!(
            "The text can have at most {} characters; yours has {chars}.",
            editing::BODY_MAX
        ));
        return render_status(
            state,
            visitor,
            StatusCode::UNPROCESSABLE_ENTITY,
            "staff/article_edit.html",
            &page,
        );
    }
    let body = page.body.clone();
    page.preview_html =
        Some(crate::web::off_executor(move || editing::render(&body, &manual_slug).html).await?);
    render(state, visitor, "staff/article_edit.html", &page)
}

/// The editor again with the problems of the form (422); nothing is saved.
fn refused(
    state: &web::Data<AppState>,
    visitor: &Viewer,
    mut page: EditorPage,
    errors: Vec<String>,
) -> AppResult<HttpResponse> {
    page.errors = errors;
    render_status(
        state,
        visitor,
        StatusCode::UNPROCESSABLE_ENTITY,
        "staff/article_edit.html",
        &page,
    )
}

/// POST /staff/articles/new
pub async fn post_new_article(
    state: web::Data<AppState>,
    form: CsrfForm<EditorForm>,
    Staff {
        viewer: visitor,
        user,
    }: Staff,
) -> AppResult<HttpResponse> {
    let editor = user.id;
    let form = form.into_inner();
    let mut page = EditorPage::from_form(&form);
    page.heading = "New article".into();
    page.action = paths::NEW_ARTICLE.into();
    page.manuals = manual_options(&state, form.manual_id).await?;
    let validated = editing::validate(&form.fields());
    if form.action == "preview" {
        return preview(&state, &visitor, page, String::new()).await;
    }
    let input = match validated {
        Ok(input) => input,
        Err(errors) => return refused(&state, &visitor, page, errors),
    };
    let from_question = form.from_question;
    let (article, manual_slug) = with_db(&state, move |conn| {
        editing::create(conn, Some(editor), &input, from_question, unix_now())
    })
    .await?;
    state.indexer.notify();
    Ok(see_other(&paths::article(&manual_slug, &article.slug)))
}

async fn find_article(
    state: &web::Data<AppState>,
    manual: String,
    slug: String,
) -> AppResult<ArticleInManual> {
    with_db(state, move |conn| {
        let m = manuals::find_by_slug(conn, &manual)?
            .ok_or_else(|| AppError::NotFound("There is no such manual.".into()))?;
        let a = articles::find_in_manual(conn, m.id, &slug)?
            .ok_or_else(|| AppError::NotFound("There is no such article.".into()))?;
        Ok(ArticleInManual {
            article: a,
            manual_slug: m.slug,
            manual_title: m.title,
        })
    })
    .await
}

fn editor_page_for(found: &ArticleInManual, base_revision: i32) -> EditorPage {
    let a = &found.article;
    let (manual, slug) = (&found.manual_slug, &a.slug);
    EditorPage {
        heading: format!("Edit \u{201c}{}\u{201d}", a.title),
        action: paths::article_edit(manual, slug),
        manual_id: a.manual_id.into(),
        title: a.title.clone(),
        weight: a.weight.to_string(),
        tags: a.tag_list().join(", "),
        status: status_label(found).to_string(),
        outdated_reason: a.outdated_reason.clone().unwrap_or_default(),
        body: a.body_md.clone(),
        base_revision,
        file_notice: a.source_path.clone(),
        detached_from: a.detached_path.clone(),
        reattach_url: a
            .detached_path
            .as_ref()
            .map(|_| paths::article_reattach(manual, slug)),
        history_url: Some(paths::article_revisions(manual, slug)),
        ..Default::default()
    }
}

/// GET /docs/{manual}/{article}/edit
pub async fn get_edit_article(
    state: web::Data<AppState>,
    Staff {
        viewer: visitor, ..
    }: Staff,
    path: web::Path<(String, String)>,
) -> AppResult<HttpResponse> {
    let (manual, slug) = path.into_inner();
    let found = find_article(&state, manual, slug).await?;
    let id = found.article.id;
    let base = with_db(&state, move |conn| {
        Ok(article_revisions::latest_id(conn, id)?)
    })
    .await?;
    let mut page = editor_page_for(&found, base.into());
    page.manuals = manual_options(&state, found.article.manual_id.into()).await?;
    render(&state, &visitor, "staff/article_edit.html", &page)
}

/// POST /docs/{manual}/{article}/edit: preview, save, or refuse a stale save.
pub async fn post_edit_article(
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
    form: CsrfForm<EditorForm>,
    Staff {
        viewer: visitor,
        user,
    }: Staff,
) -> AppResult<HttpResponse> {
    let editor = user.id;
    let (manual, slug) = path.into_inner();
    let found = find_article(&state, manual, slug).await?;
    let form = form.into_inner();
    let mut page = editor_page_for(&found, form.base_revision).keeping(&form);
    page.manuals = manual_options(&state, form.manual_id).await?;
    if form.action == "preview" {
        return preview(&state, &visitor, page, found.manual_slug.clone()).await;
    }
    let input = match editing::validate(&form.fields()) {
        Ok(input) => input,
        Err(errors) => return refused(&state, &visitor, page, errors),
    };
    let id = found.article.id;
    let base = ArticleRevisionId(form.base_revision);
    let outcome = with_db(&state, move |conn| {
        editing::update(conn, editor, id, base, &input, unix_now())
    })
    .await?;
    match outcome {
        SaveOutcome::Saved(path) => {
            state.indexer.notify();
            Ok(see_other(&path))
        }
        SaveOutcome::Conflict(theirs) => conflict(&state, &visitor, page, *theirs, form.body).await,
    }
}

/// A stale save (409): the newer revision, the diff from it to the
/// editor's text (on the blocking pool), and the form keeping `mine`.
async fn conflict(
    state: &web::Data<AppState>,
    visitor: &Viewer,
    mut page: EditorPage,
    theirs: ArticleRevision,
    mine: String,
) -> AppResult<HttpResponse> {
    let editor_ref = match theirs.editor_id {
        Some(e) => with_db(state, move |conn| Ok(users::find(conn, e)?))
            .await?
            .as_ref()
            .map(UserRef::from),
        None => None,
    };
    page.base_revision = theirs.id.into();
    page.conflict = Some(
        crate::web::off_executor(move || {
            ConflictView::new(
                editor_ref,
                theirs.created_at,
                &theirs.title,
                &theirs.body_md,
                &mine,
            )
        })
        .await?,
    );
    render_status(
        state,
        visitor,
        StatusCode::CONFLICT,
        "staff/article_edit.html",
        &page,
    )
}

/// Fields of one-button staff forms.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ButtonForm {
    csrf: String,
}

/// POST /docs/{manual}/{article}/reattach: back to the file at the next start.
pub async fn post_reattach(
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
    _form: CsrfForm<ButtonForm>,
    _: Staff,
) -> AppResult<HttpResponse> {
    let (manual, slug) = path.into_inner();
    let found = find_article(&state, manual.clone(), slug.clone()).await?;
    let id = found.article.id;
    with_db(&state, move |conn| editing::reattach(conn, id)).await?;
    Ok(see_other(&paths::article_edit(&manual, &slug)))
}

crate::csrf_form!(ButtonForm, EditorForm);
