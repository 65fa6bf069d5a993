//! Question lists (tabs, tags, keyset pages), the tag index and Atom feeds.

use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
use serde::Serialize;

use crate::app::AppState;
use crate::db::models::follows::{self, Followed};
use crate::db::models::questions::{self, Cursor, Question, Tab};
use crate::db::models::{tags, users};
use crate::db::{unix_now, Conn};
use crate::error::{AppError, AppResult};
use crate::ids::UserId;
use crate::markdown::escape_html;
use crate::web::paths;
use crate::web::session::Viewer;
use crate::web::templates::format_rfc3339;
use crate::web::views::{FollowButton, QuestionRow, TagLink};
use crate::web::{param, query_params, render, with_db};

/// Questions per page.
const PER_PAGE: i64 = 30;

#[derive(Debug, Serialize)]
struct TabLink {
    label: &'static str,
    url: String,
    active: bool,
}

#[derive(Debug, Serialize)]
struct ListPage {
    heading: String,
    tag: Option<String>,
    tag_count: i32,
    tabs: Vec<TabLink>,
    pinned: Vec<QuestionRow>,
    rows: Vec<QuestionRow>,
    next_url: Option<String>,
    first_url: Option<String>,
    feed_url: String,
    ask_url: String,
    /// Follow/Unfollow of the listed tag.
    follow: Option<FollowButton>,
}

fn list_url(base: &str, tab: Tab, after: Option<&Cursor>) -> String {
    let mut query = form_urlencoded::Serializer::new(String::new());
    query.append_pair("tab", tab.name());
    if let Some(c) = after {
        query.append_pair("after", &c.encode());
    }
    format!("{base}?{}", query.finish())
}

/// What one page of a list shows, from the database.
struct ListRows {
    /// The tag listed, if any.
    tag: Option<tags::Tag>,
    /// Pinned questions (first page of the newest and active tabs only).
    pinned: Vec<Question>,
    /// Up to one more than a page, to know whether there is a next one.
    rows: Vec<Question>,
    /// The authors.
    users: Vec<users::User>,
    /// Whether the viewer follows the listed tag.
    following: bool,
}

/// Loads a page of `tab` (for one tag, or all) after `cursor`.
fn list_rows(
    conn: &mut Conn,
    tab: Tab,
    tag: Option<&str>,
    cursor: Option<Cursor>,
    viewer: Option<UserId>,
) -> AppResult<ListRows> {
    let tag = match tag {
        Some(name) => Some(tags::find(conn, name)?.ok_or_else(|| {
            AppError::NotFound(format!(
                "No question is tagged \u{201c}{name}\u{201d} yet. See all tags, or search."
            ))
        })?),
        None => None,
    };
    let tag_id = tag.as_ref().map(|t| t.id);
    let pinned = if cursor.is_none() && matches!(tab, Tab::Newest | Tab::Active) {
        questions::pinned(conn, tag_id)?
    } else {
        Vec::new()
    };
    let mut rows = questions::list_page(conn, tab, tag_id, cursor, PER_PAGE + 1)?;
    if !pinned.is_empty() {
        rows.retain(|q| !q.pinned);
    }
    let ids: Vec<UserId> = rows
        .iter()
        .chain(pinned.iter())
        .map(|q| q.author_id)
        .collect();
    let users = users::find_many(conn, &ids)?;
    let following = match (&tag, viewer) {
        (Some(t), Some(me)) => follows::is_following(conn, me, Followed::Tag(t.id))?,
        _ => false,
    };
    Ok(ListRows {
        tag,
        pinned,
        rows,
        users,
        following,
    })
}

/// The link to the page after `rows` (`None` on the last page).
fn next_page_url(base: &str, tab: Tab, rows: &[Question]) -> Option<String> {
    if rows.len() as i64 <= PER_PAGE {
        return None;
    }
    rows.get(PER_PAGE as usize - 1).map(|last| {
        list_url(
            base,
            tab,
            Some(&Cursor {
                value: tab.sort_value(last),
                id: last.id,
            }),
        )
    })
}

/// Renders one page of a tab, for all questions or one tag.
async fn list(
    state: web::Data<AppState>,
    visitor: Viewer,
    req: HttpRequest,
    tag: Option<String>,
) -> AppResult<HttpResponse> {
    let params = query_params(req.query_string());
    let tab = Tab::parse(param(&params, "tab").unwrap_or("newest"));
    let cursor = param(&params, "after").and_then(Cursor::decode);
    let tag_name = tag.clone();
    let viewer = visitor.user.as_ref().map(|u| u.id);
    let loaded = with_db(&state, move |conn| {
        list_rows(conn, tab, tag_name.as_deref(), cursor, viewer)
    })
    .await?;
    let base = match &tag {
        Some(t) => TagLink::new(t).url,
        None => paths::QUESTIONS.to_string(),
    };
    let now = unix_now();
    let row_of = |q: &Question| QuestionRow::new(q, &loaded.users, now);
    let page = ListPage {
        heading: match &tag {
            Some(t) => format!("Questions tagged {t}"),
            None => "Questions".into(),
        },
        tag_count: loaded.tag.as_ref().map(|t| t.question_count).unwrap_or(0),
        tabs: Tab::ALL
            .iter()
            .map(|(t, _, label)| TabLink {
                label,
                url: list_url(&base, *t, None),
                active: *t == tab,
            })
            .collect(),
        pinned: loaded.pinned.iter().map(row_of).collect(),
        rows: loaded
            .rows
            .iter()
            .take(PER_PAGE as usize)
            .map(row_of)
            .collect(),
        next_url: next_page_url(&base, tab, &loaded.rows),
        first_url: cursor.is_some().then(|| list_url(&base, tab, None)),
        feed_url: format!("{base}.atom"),
        ask_url: paths::ask_tagged(tag.as_deref()),
        follow: loaded
            .tag
            .as_ref()
            .map(|t| FollowButton::tag(&t.name, visitor.user.is_some(), loaded.following)),
        tag,
    };
    render(&state, &visitor, "questions/list.html", &page)
}

/// GET /questions?tab=…&after=…
pub async fn get_questions(
    state: web::Data<AppState>,
    visitor: Viewer,
    req: HttpRequest,
) -> AppResult<HttpResponse> {
    list(state, visitor, req, None).await
}

/// GET /tags/{tag}?tab=…&after=…
pub async fn get_tag(
    state: web::Data<AppState>,
    visitor: Viewer,
    req: HttpRequest,
    path: web::Path<String>,
) -> AppResult<HttpResponse> {
    let name = path.into_inner();
    if let Some(tag) = name.strip_suffix(".atom") {
        return feed(&state, Some(tag.to_string())).await;
    }
    list(state, visitor, req, Some(name)).await
}

#[derive(Debug, Serialize)]
struct TagsPage {
    tags: Vec<TagCount>,
}

#[derive(Debug, Serialize)]
struct TagCount {
    link: TagLink,
    count: i32,
}

/// GET /tags
pub async fn get_tags(state: web::Data<AppState>, visitor: Viewer) -> AppResult<HttpResponse> {
    let list = with_db(&state, |conn| Ok(tags::list(conn, 500)?)).await?;
    let page = TagsPage {
        tags: list
            .iter()
            .map(|t| TagCount {
                link: TagLink::new(&t.name),
                count: t.question_count,
            })
            .collect(),
    };
    render(&state, &visitor, "questions/tags.html", &page)
}

/// GET /questions.atom
pub async fn get_questions_feed(state: web::Data<AppState>) -> AppResult<HttpResponse> {
    feed(&state, None).await
}

/// An Atom feed of the newest questions (all, or one tag).
async fn feed(state: &web::Data<AppState>, tag: Option<String>) -> AppResult<HttpResponse> {
    let tag_name = tag.clone();
    let (rows, users) = with_db(state, move |conn| {
        let tag_id = match &tag_name {
            Some(name) => Some(
                tags::find(conn, name)?
                    .ok_or_else(|| AppError::NotFound("No such tag.".into()))?
                    .id,
            ),
            None => None,
        };
        let rows = questions::list_page(conn, Tab::Newest, tag_id, None, 30)?;
        let users = users::find_many(conn, &rows.iter().map(|q| q.author_id).collect::<Vec<_>>())?;
        Ok((rows, users))
    })
    .await?;
    let base = &state.config.base_url;
    let site = escape_html(&state.config.site_name);
    let (title, self_path) = match &tag {
        Some(t) => (
            format!("{site}: questions tagged {}", escape_html(t)),
            format!("{}.atom", TagLink::new(t).url),
        ),
        None => (
            format!("{site}: newest questions"),
            "/questions.atom".to_string(),
        ),
    };
    let updated = rows.first().map(|q| q.created_at).unwrap_or(0);
    let mut xml = format!(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<feed xmlns=\"http://www.w3.org/2005/Atom\">\n<title>{title}</title>\n<id>{base}{self_path}</id>\n<link rel=\"self\" href=\"{base}{self_path}\"/>\n<link rel=\"alternate\" href=\"{base}{}\"/>\n<updated>{}</updated>\n",
        self_path.trim_end_matches(".atom"),
        format_rfc3339(updated)
    );
    for q in &rows {
        let author = users
            .iter()
            .find(|u| u.id == q.author_id)
            .map(|u| u.display_name.clone())
            .unwrap_or_default();
        let summary: String = q.body_text.chars().take(300).collect();
        xml.push_str(&format!(
            "<entry>\n<title>{}</title>\n<id>{base}/questions/{}</id>\n<link href=\"{base}{}\"/>\n<published>{}</published>\n<updated>{}</updated>\n<author><name>{}</name></author>\n<summary>{}</summary>\n</entry>\n",
            escape_html(&q.title),
            q.id,
            q.path(),
            format_rfc3339(q.created_at),
            format_rfc3339(q.updated_at),
            escape_html(&author),
            escape_html(&summary),
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
