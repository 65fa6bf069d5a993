//! Known issues: the public list and issue pages, the staff form (new and
//! edit), timeline updates, linking a question to an issue, and the
//! banners other pages show for the issues linked to them.

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use serde::{Deserialize, Serialize};

use crate::app::AppState;
use crate::content::known_issues::{check, FieldProblem, IssueDraft};
use crate::db::models::known_issues::{IssueUpdate, KnownIssue};
use crate::db::{unix_now, Conn};
use crate::error::{AppError, AppResult};
use crate::ids::QuestionId;
use crate::kinds::IssueStatus;
use crate::service::known_issues::{self as service, Place, UpdateInput};
use crate::web::extract::{CsrfForm, Staff};
use crate::web::paths;
use crate::web::session::Viewer;
use crate::web::templates::{format_ago, format_day, format_iso_day};
use crate::web::views::IssueBanner;
use crate::web::{render, render_status, see_other, with_db};

/// The banners for `place` at `now` (call inside [`with_db`]).
pub fn banners(
    conn: &mut Conn,
    place: Place<'_>,
    grace_days: u64,
    now: i64,
) -> AppResult<Vec<IssueBanner>> {
    Ok(service::banners(conn, place, now, grace_days)?
        .iter()
        .map(|issue| IssueBanner::new(issue, now))
        .collect())
}

#[derive(Debug, Serialize)]
struct IssueRow {
    title: String,
    url: String,
    status: &'static str,
    open: bool,
    fixed_in: String,
    updated_ago: String,
}

impl IssueRow {
    fn new(issue: &KnownIssue, now: i64) -> Self {
        IssueRow {
            title: issue.title.clone(),
            url: paths::known_issue(&issue.slug),
            status: issue.status.label(),
            open: issue.status.is_open(),
            fixed_in: issue.fixed_in.clone(),
            updated_ago: format_ago(now, issue.updated_at),
        }
    }
}

#[derive(Debug, Serialize)]
struct ListPage {
    open: Vec<IssueRow>,
    closed: Vec<IssueRow>,
    new_url: Option<&'static str>,
}

/// GET /known-issues: open issues first, then recently closed ones.
pub async fn get_known_issues(
    state: web::Data<AppState>,
    visitor: Viewer,
) -> AppResult<HttpResponse> {
    let all = with_db(&state, service::list).await?;
    let now = unix_now();
    let (open, closed): (Vec<_>, Vec<_>) = all.iter().partition(|i| i.status.is_open());
    let page = ListPage {
        open: open.iter().map(|i| IssueRow::new(i, now)).collect(),
        closed: closed
            .iter()
            .take(50)
            .map(|i| IssueRow::new(i, now))
            .collect(),
        new_url: visitor.sees_hidden().then_some(paths::NEW_KNOWN_ISSUE),
    };
    render(&state, &visitor, "known_issues/list.html", &page)
}

#[derive(Debug, Serialize)]
struct UpdateView {
    id: i32,
    when: String,
    day: String,
    iso_day: String,
    html: String,
    status: Option<&'static str>,
}

#[derive(Debug, Serialize)]
struct StatusOption {
    value: &'static str,
    label: &'static str,
    selected: bool,
}

fn status_options(current: &str) -> Vec<StatusOption> {
    IssueStatus::ALL
        .iter()
        .map(|s| StatusOption {
            value: s.as_str(),
            label: s.label(),
            selected: s.as_str() == current,
        })
        .collect()
}

#[derive(Debug, Serialize)]
struct IssuePage {
    title: String,
    status: &'static str,
    open: bool,
    fixed_in: String,
    wont_fix_reason: String,
    symptoms_html: String,
    workaround_html: String,
    versions: Vec<String>,
    platforms: Vec<String>,
    tags: Vec<crate::web::views::TagLink>,
    updated_ago: String,
    updates: Vec<UpdateView>,
    /// Staff: the editor and the update form.
    edit_url: Option<String>,
    update_url: Option<String>,
    statuses: Vec<StatusOption>,
    errors: Vec<String>,
    from_file: Option<String>,
}

fn issue_page(issue: &KnownIssue, updates: &[IssueUpdate], staff: bool, now: i64) -> IssuePage {
    IssuePage {
        title: issue.title.clone(),
        status: issue.status.label(),
        open: issue.status.is_open(),
        fixed_in: if issue.status == IssueStatus::Fixed {
            issue.fixed_in.clone()
        } else {
            String::new()
        },
        wont_fix_reason: if issue.status == IssueStatus::Wontfix {
            issue.status_reason.clone()
        } else {
            String::new()
        },
        symptoms_html: issue.symptoms_html.clone(),
        workaround_html: issue.workaround_html.clone(),
        versions: issue.version_list(),
        platforms: issue.platform_list(),
        tags: issue
            .tag_list()
            .iter()
            .map(|t| crate::web::views::TagLink::new(t))
            .collect(),
        updated_ago: format_ago(now, issue.updated_at),
        updates: updates
            .iter()
            .map(|u| UpdateView {
                id: i32::from(u.id),
                when: format_ago(now, u.created_at),
                day: format_day(u.created_at),
                iso_day: format_iso_day(u.created_at),
                html: u.body_html.clone(),
                status: u.status.map(IssueStatus::label),
            })
            .collect(),
        edit_url: staff.then(|| paths::known_issue_edit(&issue.slug)),
        update_url: staff.then(|| paths::known_issue_updates(&issue.slug)),
        statuses: if staff {
            status_options("")
        } else {
            Vec::new()
        },
        errors: Vec::new(),
        from_file: if staff {
            issue.source_path.clone()
        } else {
            None
        },
    }
}

/// GET /known-issues/{slug}
pub async fn get_known_issue(
    state: web::Data<AppState>,
    visitor: Viewer,
    path: web::Path<String>,
) -> AppResult<HttpResponse> {
    let slug = path.into_inner();
    let (issue, updates) = with_db(&state, move |conn| service::page(conn, &slug)).await?;
    let page = issue_page(&issue, &updates, visitor.sees_hidden(), unix_now());
    render(&state, &visitor, "known_issues/show.html", &page)
}

/// Fields of the staff form (lists one entry a line or comma separated).
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct IssueForm {
    csrf: String,
    title: String,
    symptoms: String,
    workaround: String,
    status: String,
    reason: String,
    fixed_in: String,
    versions: String,
    platforms: String,
    tags: String,
    articles: String,
    trees: String,
    terms: String,
}

/// Splits a form list: one entry a line; tags, versions and platforms may
/// also be separated by commas.
fn form_list(text: &str, commas: bool) -> Vec<String> {
    text.split(|c| c == '\n' || (commas && c == ','))
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(String::from)
        .collect()
}

impl IssueForm {
    fn draft(&self) -> IssueDraft {
        IssueDraft {
            title: self.title.clone(),
            symptoms: self.symptoms.clone(),
            workaround: self.workaround.clone(),
            status: self.status.clone(),
            reason: self.reason.clone(),
            fixed_in: self.fixed_in.clone(),
            versions: form_list(&self.versions, true),
            platforms: form_list(&self.platforms, true),
            tags: form_list(&self.tags, true),
            articles: form_list(&self.articles, true),
            trees: form_list(&self.trees, true),
            terms: form_list(&self.terms, false),
        }
    }

    fn from_issue(issue: &KnownIssue) -> Self {
        IssueForm {
            csrf: String::new(),
            title: issue.title.clone(),
            symptoms: issue.symptoms_md.clone(),
            workaround: issue.workaround_md.clone(),
            status: issue.status.as_str().to_string(),
            reason: issue.status_reason.clone(),
            fixed_in: issue.fixed_in.clone(),
            versions: issue.versions.clone(),
            platforms: issue.platforms.clone(),
            tags: issue.tags.clone(),
            articles: issue.articles.clone(),
            trees: issue.trees.clone(),
            terms: issue.terms.clone(),
        }
    }
}

#[derive(Debug, Serialize)]
struct EditorPage<'a> {
    heading: String,
    action: String,
    form: &'a IssueFormView,
    statuses: Vec<StatusOption>,
    errors: Vec<String>,
    from_file: Option<String>,
}

/// The form's values as shown again.
#[derive(Debug, Serialize)]
struct IssueFormView {
    title: String,
    symptoms: String,
    workaround: String,
    reason: String,
    fixed_in: String,
    versions: String,
    platforms: String,
    tags: String,
    articles: String,
    trees: String,
    terms: String,
}

impl From<&IssueForm> for IssueFormView {
    fn from(f: &IssueForm) -> Self {
        IssueFormView {
            title: f.title.clone(),
            symptoms: f.symptoms.clone(),
            workaround: f.workaround.clone(),
            reason: f.reason.clone(),
            fixed_in: f.fixed_in.clone(),
            versions: f.versions.clone(),
            platforms: f.platforms.clone(),
            tags: f.tags.clone(),
            articles: f.articles.clone(),
            trees: f.trees.clone(),
            terms: f.terms.clone(),
        }
    }
}

/// The words a field problem is shown with on the form.
fn form_message(p: &FieldProblem) -> String {
    let field = match p.field {
        "title" => "Title",
        "symptoms" => "Symptoms",
        "workaround" => "Workaround",
        "status" => "Status",
        "reason" => "Reason",
        "fixed_in" => "Fixed in",
        "versions" => "Versions",
        "platforms" => "Platforms",
        "tags" => "Tags",
        "articles" => "Articles",
        "trees" => "Troubleshooters",
        _ => "Search terms",
    };
    format!("{field}: {}", p.message)
}

fn editor(
    state: &AppState,
    visitor: &Viewer,
    status: StatusCode,
    page: EditorPage<'_>,
) -> AppResult<HttpResponse> {
    render_status(state, visitor, status, "known_issues/edit.html", &page)
}

/// GET /known-issues/new
pub async fn get_new_known_issue(
    state: web::Data<AppState>,
    Staff { viewer, .. }: Staff,
) -> AppResult<HttpResponse> {
    let form = IssueForm {
        status: IssueStatus::Investigating.as_str().into(),
        ..Default::default()
    };
    editor(
        &state,
        &viewer,
        StatusCode::OK,
        EditorPage {
            heading: "New known issue".into(),
            action: paths::NEW_KNOWN_ISSUE.into(),
            form: &IssueFormView::from(&form),
            statuses: status_options(&form.status),
            errors: Vec::new(),
            from_file: None,
        },
    )
}

/// POST /known-issues/new
pub async fn post_new_known_issue(
    state: web::Data<AppState>,
    form: CsrfForm<IssueForm>,
    Staff { viewer, user }: Staff,
) -> AppResult<HttpResponse> {
    let form = form.into_inner();
    let checked = match check(&form.draft()) {
        Ok(c) => c,
        Err(problems) => {
            return editor(
                &state,
                &viewer,
                StatusCode::UNPROCESSABLE_ENTITY,
                EditorPage {
                    heading: "New known issue".into(),
                    action: paths::NEW_KNOWN_ISSUE.into(),
                    form: &IssueFormView::from(&form),
                    statuses: status_options(&form.status),
                    errors: problems.iter().map(form_message).collect(),
                    from_file: None,
                },
            )
        }
    };
    let author = user.id;
    let issue = with_db(&state, move |conn| {
        service::create(conn, author, &checked, unix_now())
    })
    .await?;
    state.indexer.notify();
    Ok(see_other(&paths::known_issue(&issue.slug)))
}

async fn find_issue(state: &web::Data<AppState>, slug: String) -> AppResult<KnownIssue> {
    with_db(state, move |conn| {
        crate::db::models::known_issues::find_by_slug(conn, &slug)?
            .ok_or_else(|| AppError::NotFound("There is no such known issue.".into()))
    })
    .await
}

/// GET /known-issues/{slug}/edit
pub async fn get_edit_known_issue(
    state: web::Data<AppState>,
    Staff { viewer, .. }: Staff,
    path: web::Path<String>,
) -> AppResult<HttpResponse> {
    let issue = find_issue(&state, path.into_inner()).await?;
    let form = IssueForm::from_issue(&issue);
    editor(
        &state,
        &viewer,
        StatusCode::OK,
        EditorPage {
            heading: format!("Edit \u{201c}{}\u{201d}", issue.title),
            action: paths::known_issue_edit(&issue.slug),
            form: &IssueFormView::from(&form),
            statuses: status_options(&form.status),
            errors: Vec::new(),
            from_file: issue.source_path.clone(),
        },
    )
}

/// POST /known-issues/{slug}/edit
pub async fn post_edit_known_issue(
    state: web::Data<AppState>,
    path: web::Path<String>,
    form: CsrfForm<IssueForm>,
    Staff { viewer, user }: Staff,
) -> AppResult<HttpResponse> {
    let issue = find_issue(&state, path.into_inner()).await?;
    let form = form.into_inner();
    let checked = match check(&form.draft()) {
        Ok(c) => c,
        Err(problems) => {
            return editor(
                &state,
                &viewer,
                StatusCode::UNPROCESSABLE_ENTITY,
                EditorPage {
                    heading: format!("Edit \u{201c}{}\u{201d}", issue.title),
                    action: paths::known_issue_edit(&issue.slug),
                    form: &IssueFormView::from(&form),
                    statuses: status_options(&form.status),
                    errors: problems.iter().map(form_message).collect(),
                    from_file: issue.source_path.clone(),
                },
            )
        }
    };
    let (editor_id, id) = (user.id, issue.id);
    let saved = with_db(&state, move |conn| {
        service::edit(conn, editor_id, id, &checked, unix_now())
    })
    .await?;
    state.indexer.notify();
    Ok(see_other(&paths::known_issue(&saved.slug)))
}

/// Fields of the timeline update form.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct UpdateForm {
    csrf: String,
    text: String,
    /// Empty: status unchanged.
    status: String,
    fixed_in: String,
    reason: String,
}

/// POST /known-issues/{slug}/updates: a dated update, maybe with a new status.
pub async fn post_known_issue_update(
    state: web::Data<AppState>,
    path: web::Path<String>,
    form: CsrfForm<UpdateForm>,
    Staff { viewer, user }: Staff,
) -> AppResult<HttpResponse> {
    let slug = path.into_inner();
    let form = form.into_inner();
    let status = match form.status.trim() {
        "" => None,
        s => Some(
            IssueStatus::from_words(s)
                .map_err(|_| AppError::BadRequest(format!("Unknown status {s:?}.")))?,
        ),
    };
    let input = UpdateInput {
        text: form.text,
        status,
        fixed_in: form.fixed_in,
        reason: form.reason,
    };
    let (issue, updates) = {
        let slug = slug.clone();
        with_db(&state, move |conn| service::page(conn, &slug)).await?
    };
    let problems = service::check_update(&issue, &input);
    if !problems.is_empty() {
        let mut page = issue_page(&issue, &updates, true, unix_now());
        page.errors = problems;
        return render_status(
            &state,
            &viewer,
            StatusCode::UNPROCESSABLE_ENTITY,
            "known_issues/show.html",
            &page,
        );
    }
    let (author, id) = (user.id, issue.id);
    with_db(&state, move |conn| {
        service::add_update(conn, author, id, &input, unix_now())
    })
    .await?;
    state.indexer.notify();
    Ok(see_other(&paths::known_issue(&slug)))
}

/// Fields of the question's "known issue" form.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct LinkForm {
    csrf: String,
    /// The issue's slug (or its URL); empty unlinks.
    issue: String,
}

/// POST /questions/{id}/known-issue: staff link a question to an issue.
pub async fn post_question_known_issue(
    state: web::Data<AppState>,
    path: web::Path<i32>,
    form: CsrfForm<LinkForm>,
    Staff { user, .. }: Staff,
) -> AppResult<HttpResponse> {
    let id = QuestionId(path.into_inner());
    let slug = form.into_inner().issue;
    let staff = user.id;
    with_db(&state, move |conn| {
        service::link_question(conn, staff, id, &slug, unix_now())
    })
    .await?;
    Ok(see_other(&paths::question_short(id)))
}

crate::csrf_form!(IssueForm, UpdateForm, LinkForm);
