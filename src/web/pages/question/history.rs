//! The revision history of questions and answers, with diffs on the blocking pool.

use super::*;

/// Revisions shown per history page.
const REVISIONS_PER_PAGE: i64 = 20;
/// Text (old plus new, bytes) diffed per history page; revisions beyond it
/// link to their full text instead.
const DIFF_BUDGET_BYTES: usize = 120_000;
/// Lines (old plus new) diffed per history page.
const DIFF_BUDGET_LINES: usize = 3_000;

#[derive(Debug, Serialize)]
struct RevisionView {
    number: i64,
    editor: Option<UserRef>,
    when: String,
    note: String,
    title_change: Option<(String, String)>,
    tags_change: Option<(String, String)>,
    diff: Vec<DiffLine>,
    /// Over the page's diff budget: no diff, a link to the full text.
    too_large: bool,
    view_url: String,
}

#[derive(Debug, Serialize)]
struct RevisionsPage {
    heading: String,
    back_url: String,
    revisions: Vec<RevisionView>,
    newer_url: Option<String>,
    older_url: Option<String>,
    newest_url: Option<String>,
}

/// What the diff budget of a page still allows.
struct DiffBudget {
    bytes: usize,
    lines: usize,
}

impl DiffBudget {
    /// Spends the cost of diffing `old` against `new`; `false` (nothing
    /// spent) when it does not fit.
    fn spend(&mut self, old: &str, new: &str) -> bool {
        let bytes = old.len() + new.len();
        let lines = old.lines().count() + new.lines().count();
        if bytes > self.bytes || lines > self.lines {
            return false;
        }
        self.bytes -= bytes;
        self.lines -= lines;
        true
    }
}

/// Where a history page starts: `?before=ID` (older), `?after=ID` (newer),
/// else the newest page.
pub fn history_cursor(req: &HttpRequest) -> HistoryCursor {
    let params = query_params(req.query_string());
    let id = |key: &str| {
        param(&params, key)
            .and_then(|v| v.parse::<i32>().ok())
            .filter(|id| *id > 0)
    };
    match (id("before"), id("after")) {
        (Some(before), _) => HistoryCursor::Before(before),
        (None, Some(after)) => HistoryCursor::After(after),
        (None, None) => HistoryCursor::Newest,
    }
}

/// A page of a post's history and the editors named on it.
fn load_history(
    conn: &mut Conn,
    kind: PostKind,
    post_id: i32,
    cursor: HistoryCursor,
) -> AppResult<(HistoryPage, Vec<users::User>)> {
    let history = revisions::history_page(conn, kind, post_id, cursor, REVISIONS_PER_PAGE)?;
    let editors: Vec<UserId> = history.rows.iter().map(|r| r.editor_id).collect();
    let users = users::find_many(conn, &editors)?;
    Ok((history, users))
}

/// The history page's view: diffs newest first while the budget lasts (CPU
/// work: call it on the blocking pool).
fn revisions_page(
    heading: String,
    back_url: String,
    history_url: &str,
    cursor: HistoryCursor,
    history: &HistoryPage,
    users: &[users::User],
) -> RevisionsPage {
    let mut budget = DiffBudget {
        bytes: DIFF_BUDGET_BYTES,
        lines: DIFF_BUDGET_LINES,
    };
    let rows = &history.rows;
    let mut revisions = Vec::with_capacity(rows.len());
    for (i, rev) in rows.iter().enumerate() {
        let previous = rows.get(i + 1).or(history.previous.as_ref());
        let changed = |old: Option<&String>, new: Option<&String>| match (old, new) {
            (Some(o), Some(n)) if o != n => Some((o.clone(), n.clone())),
            _ => None,
        };
        let old_body = previous.map(|p| p.body_md.as_str()).unwrap_or("");
        let fits = budget.spend(old_body, &rev.body_md);
        revisions.push(RevisionView {
            number: history.first_number - i as i64,
            editor: user_ref(users, rev.editor_id),
            when: format_day(rev.created_at),
            note: rev.note.clone(),
            title_change: changed(previous.and_then(|p| p.title.as_ref()), rev.title.as_ref()),
            tags_change: changed(previous.and_then(|p| p.tags.as_ref()), rev.tags.as_ref()),
            diff: if fits {
                line_diff(old_body, &rev.body_md)
            } else {
                Vec::new()
            },
            too_large: !fits,
            view_url: paths::revision(history_url, rev.id),
        });
    }
    RevisionsPage {
        heading,
        back_url,
        revisions,
        newer_url: match rows.first() {
            Some(first) if history.has_newer => Some(paths::history_after(history_url, first.id)),
            _ => None,
        },
        older_url: match (rows.last(), &history.previous) {
            (Some(last), Some(_)) => Some(paths::history_before(history_url, last.id)),
            _ => None,
        },
        newest_url: (cursor != HistoryCursor::Newest).then(|| history_url.to_string()),
    }
}

/// The post a history belongs to (visible to the viewer, or 404): how to
/// name it in headings, and its link.
fn history_owner(
    conn: &mut Conn,
    kind: PostKind,
    id: i32,
    staff: bool,
) -> AppResult<(String, String)> {
    if kind == PostKind::Question {
        let q = questions::visible_question(conn, QuestionId(id), staff)?;
        Ok((format!("\u{201c}{}\u{201d}", q.title), q.path()))
    } else {
        let (_, q) = visible_answer(conn, AnswerId(id), staff)?;
        Ok((
            format!("an answer to \u{201c}{}\u{201d}", q.title),
            paths::answer_on(&q.path(), AnswerId(id)),
        ))
    }
}

/// A history page of the question or answer `id`.
async fn history(
    state: web::Data<AppState>,
    visitor: Viewer,
    kind: PostKind,
    id: i32,
    req: HttpRequest,
) -> AppResult<HttpResponse> {
    let staff = visitor.sees_hidden();
    let cursor = history_cursor(&req);
    let (owner, back_url, history, users) = with_db(&state, move |conn| {
        let (owner, back_url) = history_owner(conn, kind, id, staff)?;
        let (history, users) = load_history(conn, kind, id, cursor)?;
        Ok((owner, back_url, history, users))
    })
    .await?;
    let history_url = paths::post_revisions(kind, id);
    let heading = format!("Revisions of {owner}");
    let page = crate::web::off_executor(move || {
        revisions_page(heading, back_url, &history_url, cursor, &history, &users)
    })
    .await?;
    render(&state, &visitor, "questions/revisions.html", &page)
}

/// GET /questions/{id}/revisions?before=…|after=…: who changed what, newest
/// first, with diffs, a page at a time.
pub async fn get_question_revisions(
    state: web::Data<AppState>,
    visitor: Viewer,
    path: web::Path<QuestionId>,
    req: HttpRequest,
) -> AppResult<HttpResponse> {
    history(
        state,
        visitor,
        PostKind::Question,
        path.into_inner().into(),
        req,
    )
    .await
}

/// GET /answers/{id}/revisions?before=…|after=…
pub async fn get_answer_revisions(
    state: web::Data<AppState>,
    visitor: Viewer,
    path: web::Path<AnswerId>,
    req: HttpRequest,
) -> AppResult<HttpResponse> {
    history(
        state,
        visitor,
        PostKind::Answer,
        path.into_inner().into(),
        req,
    )
    .await
}

#[derive(Debug, Serialize)]
struct RevisionTextPage {
    heading: String,
    history_url: String,
    editor: Option<UserRef>,
    when: String,
    note: String,
    title: Option<String>,
    tags: Option<String>,
    body: String,
}

/// One revision's full text (markdown source) of the question or answer
/// `id`, for revisions too large to diff on the history page.
async fn revision_text(
    state: web::Data<AppState>,
    visitor: Viewer,
    kind: PostKind,
    (id, rev): (i32, RevisionId),
) -> AppResult<HttpResponse> {
    let staff = visitor.sees_hidden();
    let (owner, rev, editor) = with_db(&state, move |conn| {
        let (owner, _) = history_owner(conn, kind, id, staff)?;
        let rev = revisions::find(conn, kind, id, rev)?
            .ok_or_else(|| AppError::NotFound("There is no such revision.".into()))?;
        let editor = users::find(conn, rev.editor_id)?;
        Ok((owner, rev, editor))
    })
    .await?;
    let page = RevisionTextPage {
        heading: format!("A revision of {owner}"),
        history_url: paths::post_revisions(kind, id),
        editor: editor.as_ref().map(UserRef::from),
        when: format_day(rev.created_at),
        note: rev.note,
        title: rev.title,
        tags: rev.tags,
        body: rev.body_md,
    };
    render(&state, &visitor, "questions/revision.html", &page)
}

/// GET /questions/{id}/revisions/{rev}
pub async fn get_question_revision(
    state: web::Data<AppState>,
    visitor: Viewer,
    path: web::Path<(QuestionId, RevisionId)>,
) -> AppResult<HttpResponse> {
    let (id, rev) = path.into_inner();
    revision_text(state, visitor, PostKind::Question, (id.into(), rev)).await
}

/// GET /answers/{id}/revisions/{rev}
pub async fn get_answer_revision(
    state: web::Data<AppState>,
    visitor: Viewer,
    path: web::Path<(AnswerId, RevisionId)>,
) -> AppResult<HttpResponse> {
    let (id, rev) = path.into_inner();
    revision_text(state, visitor, PostKind::Answer, (id.into(), rev)).await
}
