//! Announcements: the staff list and editor, the public list, the banner's
//! dismiss button (a cookie, no JavaScript) and the updates feed
//! (`/feed/updates.atom`).

use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpResponse};
use serde::{Deserialize, Serialize};

use crate::app::AppState;
use crate::db::models::announcements::{self as rows, Announcement};
use crate::db::unix_now;
use crate::error::{AppError, AppResult};
use crate::ids::AnnouncementId;
use crate::kinds::Severity;
use crate::markdown::escape_html;
use crate::service::announcements::{self, format_utc, format_when, AnnouncementInput};
use crate::service::updates_feed;
use crate::web::extract::{CsrfForm, Staff};
use crate::web::session::{dismissed_cookie, Viewer};
use crate::web::templates::format_rfc3339;
use crate::web::{paths, render, render_status, see_other, with_db};

/// Entries in the updates feed.
const FEED_ENTRIES: i64 = 50;
/// Ended announcements on the staff and public lists.
const ENDED_SHOWN: i64 = 20;

/// One announcement on a list.
#[derive(Debug, Serialize)]
struct AnnouncementRow {
    id: AnnouncementId,
    anchor: String,
    title: String,
    body_html: String,
    severity: &'static str,
    starts: String,
    ends: Option<String>,
    updated: String,
    edit_url: String,
    end_url: String,
}

impl AnnouncementRow {
    fn of(a: &Announcement) -> Self {
        AnnouncementRow {
            id: a.id,
            anchor: format!("announcement-{}", a.id),
            title: a.title.clone(),
            body_html: crate::markdown::render_inline(&a.body),
            severity: a.severity.as_str(),
            starts: format_when(a.starts_at),
            ends: a.ends_at.map(format_when),
            updated: format_when(a.updated_at),
            edit_url: paths::announcement_edit(a.id),
            end_url: paths::announcement_end(a.id),
        }
    }
}

/// The staff list: live, planned and recently ended announcements.
#[derive(Debug, Serialize)]
struct StaffListPage {
    groups: [AnnouncementGroup; 3],
    new_url: &'static str,
    notice: Option<String>,
}

/// One part of the staff list.
#[derive(Debug, Serialize)]
struct AnnouncementGroup {
    heading: &'static str,
    /// `live`, `planned` or `ended` (the section's id).
    key: &'static str,
    rows: Vec<AnnouncementRow>,
}

/// The public list: what shows now and what ended lately.
#[derive(Debug, Serialize)]
struct PublicListPage {
    live: Vec<AnnouncementRow>,
    ended: Vec<AnnouncementRow>,
    feed_url: &'static str,
}

/// The editor (new or existing announcement).
#[derive(Debug, Serialize)]
struct EditorPage {
    heading: String,
    action: String,
    title: String,
    body: String,
    severity: String,
    severities: Vec<&'static str>,
    starts: String,
    ends: String,
    errors: Vec<String>,
    max_title: usize,
    max_body: usize,
}

impl EditorPage {
    fn new(heading: String, action: String, form: AnnouncementForm) -> Self {
        EditorPage {
            heading,
            action,
            title: form.title,
            body: form.body,
            severity: form.severity,
            severities: Severity::ALL.iter().map(|s| s.as_str()).collect(),
            starts: form.starts,
            ends: form.ends,
            errors: Vec::new(),
            max_title: announcements::MAX_TITLE_CHARS,
            max_body: announcements::MAX_BODY_CHARS,
        }
    }
}

/// The editor's fields.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct AnnouncementForm {
    csrf: String,
    #[serde(default)]
    title: String,
    #[serde(default)]
    body: String,
    #[serde(default)]
    severity: String,
    #[serde(default)]
    starts: String,
    #[serde(default)]
    ends: String,
}

impl AnnouncementForm {
    fn input(&self) -> AnnouncementInput {
        AnnouncementInput {
            title: self.title.clone(),
            body: self.body.clone(),
            severity: self.severity.clone(),
            starts: self.starts.clone(),
            ends: self.ends.clone(),
        }
    }
}

/// A form with nothing but its CSRF token (the End button).
#[derive(Debug, Deserialize)]
pub struct EndForm {
    csrf: String,
}

/// The banner's dismiss button.
#[derive(Debug, Deserialize)]
pub struct DismissForm {
    csrf: String,
    /// The revision the banner showed.
    #[serde(default)]
    revision: String,
    /// The page to return to.
    #[serde(default)]
    next: String,
}

crate::csrf_form!(AnnouncementForm, EndForm, DismissForm);

/// GET /staff/announcements
pub async fn get_staff_announcements(
    state: web::Data<AppState>,
    Staff { viewer, .. }: Staff,
    req: actix_web::HttpRequest,
) -> AppResult<HttpResponse> {
    let now = unix_now();
    let (current, ended) = with_db(&state, move |conn| {
        Ok((
            rows::not_ended(conn, now)?,
            rows::ended(conn, now, ENDED_SHOWN)?,
        ))
    })
    .await?;
    let params = crate::web::query_params(req.query_string());
    let notice = match crate::web::param(&params, "done") {
        Some("created") => Some("The announcement is saved.".to_string()),
        Some("saved") => Some(
            "Your changes are saved; browsers that dismissed the old text see the new one."
                .to_string(),
        ),
        Some("ended") => Some("The announcement has ended: its banner is gone.".to_string()),
        _ => None,
    };
    let group = |heading, key, rows: Vec<AnnouncementRow>| AnnouncementGroup { heading, key, rows };
    let view = StaffListPage {
        groups: [
            group(
                "Showing now",
                "live",
                current
                    .iter()
                    .filter(|a| a.is_live(now))
                    .map(AnnouncementRow::of)
                    .collect(),
            ),
            group(
                "Planned",
                "planned",
                current
                    .iter()
                    .filter(|a| a.is_planned(now))
                    .map(AnnouncementRow::of)
                    .collect(),
            ),
            group(
                "Ended",
                "ended",
                ended.iter().map(AnnouncementRow::of).collect(),
            ),
        ],
        new_url: paths::NEW_ANNOUNCEMENT,
        notice,
    };
    render(&state, &viewer, "staff/announcements.html", &view)
}

/// GET /staff/announcements/new
pub async fn get_new_announcement(
    state: web::Data<AppState>,
    Staff { viewer, .. }: Staff,
) -> AppResult<HttpResponse> {
    let form = AnnouncementForm {
        severity: Severity::Info.as_str().into(),
        starts: format_utc(unix_now()),
        ..Default::default()
    };
    let view = EditorPage::new(
        "New announcement".into(),
        paths::NEW_ANNOUNCEMENT.into(),
        form,
    );
    render(&state, &viewer, "staff/announcement_edit.html", &view)
}

/// POST /staff/announcements/new
pub async fn post_new_announcement(
    state: web::Data<AppState>,
    Staff { viewer, user }: Staff,
    form: CsrfForm<AnnouncementForm>,
) -> AppResult<HttpResponse> {
    let form = form.into_inner();
    let now = unix_now();
    let fields = match announcements::validate(&form.input(), now) {
        Ok(fields) => fields,
        Err(errors) => {
            let mut view = EditorPage::new(
                "New announcement".into(),
                paths::NEW_ANNOUNCEMENT.into(),
                form,
            );
            view.errors = errors;
            return refused(&state, &viewer, &view);
        }
    };
    let shared = state.clone();
    with_db(&state, move |conn| {
        announcements::create(conn, &shared.announcements, &fields, user.id, now)
    })
    .await?;
    Ok(see_other(&format!(
        "{}?done=created",
        paths::STAFF_ANNOUNCEMENTS
    )))
}

/// GET /staff/announcements/{id}/edit
pub async fn get_edit_announcement(
    state: web::Data<AppState>,
    Staff { viewer, .. }: Staff,
    path: web::Path<String>,
) -> AppResult<HttpResponse> {
    let id = parse_id(&path)?;
    let row = with_db(&state, move |conn| announcements::find(conn, id)).await?;
    let form = AnnouncementForm {
        csrf: String::new(),
        title: row.title.clone(),
        body: row.body.clone(),
        severity: row.severity.as_str().into(),
        starts: format_utc(row.starts_at),
        ends: row.ends_at.map(format_utc).unwrap_or_default(),
    };
    let view = EditorPage::new(
        format!("Edit announcement \u{201c}{}\u{201d}", row.title),
        paths::announcement_edit(id),
        form,
    );
    render(&state, &viewer, "staff/announcement_edit.html", &view)
}

/// POST /staff/announcements/{id}/edit
pub async fn post_edit_announcement(
    state: web::Data<AppState>,
    Staff { viewer, .. }: Staff,
    path: web::Path<String>,
    form: CsrfForm<AnnouncementForm>,
) -> AppResult<HttpResponse> {
    let id = parse_id(&path)?;
    let form = form.into_inner();
    let now = unix_now();
    let fields = match announcements::validate(&form.input(), now) {
        Ok(fields) => fields,
        Err(errors) => {
            let mut view = EditorPage::new(
                "Edit announcement".into(),
                paths::announcement_edit(id),
                form,
            );
            view.errors = errors;
            return refused(&state, &viewer, &view);
        }
    };
    let shared = state.clone();
    with_db(&state, move |conn| {
        announcements::edit(conn, &shared.announcements, id, &fields, now)
    })
    .await?;
    Ok(see_other(&format!(
        "{}?done=saved",
        paths::STAFF_ANNOUNCEMENTS
    )))
}

/// POST /staff/announcements/{id}/end
pub async fn post_end_announcement(
    state: web::Data<AppState>,
    _staff: Staff,
    path: web::Path<String>,
    _form: CsrfForm<EndForm>,
) -> AppResult<HttpResponse> {
    let id = parse_id(&path)?;
    let shared = state.clone();
    with_db(&state, move |conn| {
        announcements::end(conn, &shared.announcements, id, unix_now())
    })
    .await?;
    Ok(see_other(&format!(
        "{}?done=ended",
        paths::STAFF_ANNOUNCEMENTS
    )))
}

/// The editor again with the problems of the form (422); nothing is saved.
fn refused(state: &AppState, viewer: &Viewer, view: &EditorPage) -> AppResult<HttpResponse> {
    render_status(
        state,
        viewer,
        StatusCode::UNPROCESSABLE_ENTITY,
        "staff/announcement_edit.html",
        view,
    )
}

fn parse_id(text: &str) -> AppResult<AnnouncementId> {
    text.parse::<i32>()
        .ok()
        .filter(|id| *id > 0)
        .map(AnnouncementId)
        .ok_or_else(|| {
            AppError::NotFound(format!(
                "\u{201c}{text}\u{201d} is not an announcement number."
            ))
        })
}

/// POST /announcements/{id}/dismiss: hides this revision of the banner in
/// this browser (a cookie) and returns to the page it was on.
pub async fn post_dismiss_announcement(
    state: web::Data<AppState>,
    visitor: Viewer,
    path: web::Path<String>,
    form: CsrfForm<DismissForm>,
) -> AppResult<HttpResponse> {
    let id = parse_id(&path)?;
    let board = state.announcements.all();
    let revision = form
        .revision
        .parse::<i32>()
        .ok()
        .filter(|r| *r > 0)
        .or_else(|| board.iter().find(|b| b.id == id).map(|b| b.revision));
    let mut response = see_other(&paths::local_or_home(&form.next));
    if let Some(revision) = revision {
        let dismissed = visitor.dismissed.with(id, revision, &board);
        response
            .add_cookie(&dismissed_cookie(&dismissed, state.config.is_https()))
            .map_err(AppError::internal)?;
    }
    Ok(response)
}

/// GET /announcements
pub async fn get_announcements(
    state: web::Data<AppState>,
    visitor: Viewer,
) -> AppResult<HttpResponse> {
    let now = unix_now();
    let (current, ended) = with_db(&state, move |conn| {
        Ok((
            rows::not_ended(conn, now)?,
            rows::ended(conn, now, ENDED_SHOWN)?,
        ))
    })
    .await?;
    let view = PublicListPage {
        live: current
            .iter()
            .filter(|a| a.is_live(now))
            .map(AnnouncementRow::of)
            .collect(),
        ended: ended
            .iter()
            .filter(|a| a.ends_at.is_some_and(|end| end > a.starts_at))
            .map(AnnouncementRow::of)
            .collect(),
        feed_url: paths::UPDATES_FEED,
    };
    render(&state, &visitor, "announcements/list.html", &view)
}

/// GET /feed/updates.atom: announcements and known-issue updates, newest
/// first (Atom 1.0).
pub async fn get_updates_feed(state: web::Data<AppState>) -> AppResult<HttpResponse> {
    let now = unix_now();
    let entries = with_db(&state, move |conn| {
        updates_feed::recent(conn, now, FEED_ENTRIES)
    })
    .await?;
    let base = state.config.base_url.trim_end_matches('/');
    let feed_updated = entries.first().map_or(0, |e| e.updated);
    let mut xml = format!(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<feed xmlns=\"http://www.w3.org/2005/Atom\">\n<title>{}: announcements and known issues</title>\n<id>{base}{feed}</id>\n<link rel=\"self\" type=\"application/atom+xml\" href=\"{base}{feed}\"/>\n<link rel=\"alternate\" type=\"text/html\" href=\"{base}{list}\"/>\n<updated>{}</updated>\n<author><name>{}</name></author>\n",
        xml_text(&state.config.site_name),
        format_rfc3339(feed_updated),
        xml_text(&state.config.site_name),
        feed = paths::UPDATES_FEED,
        list = paths::ANNOUNCEMENTS,
    );
    for entry in &entries {
        let url = xml_text(&format!("{base}{}", entry.path));
        xml.push_str(&format!(
            "<entry>\n<title>{}</title>\n<id>{url}</id>\n<link rel=\"alternate\" type=\"text/html\" href=\"{url}\"/>\n<updated>{}</updated>\n<content type=\"html\">{}</content>\n</entry>\n",
            xml_text(&entry.title),
            format_rfc3339(entry.updated),
            xml_text(&entry.content_html),
        ));
    }
    xml.push_str("</feed>\n");
    let mut response = HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, "application/atom+xml; charset=utf-8"))
        .insert_header((header::CACHE_CONTROL, "public, max-age=300"))
        .body(xml);
    response
        .extensions_mut()
        .insert(crate::web::errors::KeepBody);
    Ok(response)
}

/// Text escaped for XML, without the control characters XML 1.0 cannot hold.
fn xml_text(text: &str) -> String {
    let allowed: String = text
        .chars()
        .filter(|c| !c.is_control() || matches!(c, '\t' | '\n' | '\r'))
        .collect();
    escape_html(&allowed)
}
