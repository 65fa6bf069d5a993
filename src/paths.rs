//! Every URL the site makes, built in one place. Pure functions with no
//! HTTP types, so services and row structs can link to pages too;
//! `web::paths` re-exports them next to the one safe-redirect check.
//!
//! Values that land in a query string or a path segment are encoded here;
//! slugs and usernames are used as stored (they are URL-safe by rule).

use form_urlencoded::Serializer;

use crate::ids::{
    AnnouncementId, AnswerId, CommentId, FeedbackId, FlagId, QuestionId, SearchLogId, UserId,
};
use crate::kinds::PostKind;

/// The list of known issues.
pub const KNOWN_ISSUES: &str = "/known-issues";
/// The staff form for a new known issue.
pub const NEW_KNOWN_ISSUE: &str = "/known-issues/new";

/// A known issue's page.
pub fn known_issue(slug: &str) -> String {
    format!("{KNOWN_ISSUES}/{slug}")
}

/// A known issue's staff editor.
pub fn known_issue_edit(slug: &str) -> String {
    format!("{KNOWN_ISSUES}/{slug}/edit")
}

/// Where staff post a known issue's timeline update.
pub fn known_issue_updates(slug: &str) -> String {
    format!("{KNOWN_ISSUES}/{slug}/updates")
}

/// Where a member follows or stops following a known issue.
pub fn known_issue_follow(slug: &str) -> String {
    format!("{KNOWN_ISSUES}/{slug}/follow")
}

/// Where anyone asks to be told of a known issue's updates by e-mail.
pub fn known_issue_follow_by_mail(slug: &str) -> String {
    format!("{KNOWN_ISSUES}/{slug}/follow-by-mail")
}

/// The mailed link that confirms following a known issue by e-mail.
pub fn known_issue_follow_confirm(token: &str) -> String {
    format!("/follow/known-issue/confirm/{token}")
}

/// The signed one-click link that stops following a known issue.
pub fn known_issue_unfollow(token: &str) -> String {
    format!("/follow/known-issue/stop/{token}")
}

/// Where staff link a question to a known issue.
pub fn question_known_issue(id: QuestionId) -> String {
    format!("/questions/{id}/known-issue")
}

/// The public list of announcements.
pub const ANNOUNCEMENTS: &str = "/announcements";
/// The staff list of announcements.
pub const STAFF_ANNOUNCEMENTS: &str = "/staff/announcements";
/// The form for a new announcement.
pub const NEW_ANNOUNCEMENT: &str = "/staff/announcements/new";
/// The Atom feed of announcements and known-issue updates.
pub const UPDATES_FEED: &str = "/feed/updates.atom";

/// An announcement on the public list.
pub fn announcement(id: AnnouncementId) -> String {
    format!("{ANNOUNCEMENTS}#announcement-{id}")
}

/// Where a browser dismisses announcement `id`'s banner.
pub fn announcement_dismiss(id: AnnouncementId) -> String {
    format!("{ANNOUNCEMENTS}/{id}/dismiss")
}

/// The staff form editing announcement `id`.
pub fn announcement_edit(id: AnnouncementId) -> String {
    format!("{STAFF_ANNOUNCEMENTS}/{id}/edit")
}

/// Where staff end announcement `id` now.
pub fn announcement_end(id: AnnouncementId) -> String {
    format!("{STAFF_ANNOUNCEMENTS}/{id}/end")
}

/// The question list.
pub const QUESTIONS: &str = "/questions";
/// The staff flag queue.
pub const STAFF_FLAGS: &str = "/staff/flags";
/// The staff article list.
pub const STAFF_ARTICLES: &str = "/staff/articles";
/// The form for a new article.
pub const NEW_ARTICLE: &str = "/staff/articles/new";

/// `path?query`, or `path` alone when the query is empty.
fn with_query(path: String, query: String) -> String {
    if query.is_empty() {
        path
    } else {
        format!("{path}?{query}")
    }
}

/// A query string of `pairs`, urlencoded.
fn query_of<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> String {
    let mut query = Serializer::new(String::new());
    for (key, value) in pairs {
        query.append_pair(key, value);
    }
    query.finish()
}

/// A question's canonical page.
pub fn question(id: QuestionId, slug: &str) -> String {
    format!("/questions/{id}/{slug}")
}

/// An answer on its question's page (`question_url` from [`question`]).
pub fn answer_on(question_url: &str, answer_id: AnswerId) -> String {
    format!("{question_url}#answer-{answer_id}")
}

/// An answer, from its question's id and slug.
pub fn answer(question_id: QuestionId, slug: &str, answer_id: AnswerId) -> String {
    answer_on(&question(question_id, slug), answer_id)
}

/// A comment on its question's page (its anchor).
pub fn comment_on(question_url: &str, comment_id: CommentId) -> String {
    format!("{question_url}#comment-{comment_id}")
}

/// Where comments on a question are posted.
pub fn question_comments(id: QuestionId) -> String {
    format!("/questions/{id}/comments")
}

/// Where comments on an answer are posted.
pub fn answer_comments(id: AnswerId) -> String {
    format!("/answers/{id}/comments")
}

/// Where a comment's edit is posted.
pub fn comment_edit(id: CommentId) -> String {
    format!("/comments/{id}/edit")
}

/// Where a comment is deleted.
pub fn comment_delete(id: CommentId) -> String {
    format!("/comments/{id}/delete")
}

/// Where staff restore a deleted comment.
pub fn comment_restore(id: CommentId) -> String {
    format!("/comments/{id}/restore")
}

/// A question's page with the "thanks for flagging" notice.
pub fn question_flagged(question_url: &str) -> String {
    format!("{question_url}?flagged=1")
}

/// The short link of a question (redirects to the canonical one).
pub fn question_short(id: QuestionId) -> String {
    format!("/questions/{id}")
}

/// A question's editor.
pub fn question_edit(id: QuestionId) -> String {
    format!("/questions/{id}/edit")
}

/// An answer's editor.
pub fn answer_edit(id: AnswerId) -> String {
    format!("/answers/{id}/edit")
}

/// Where the URLs of a post start: `/questions/{id}` or `/answers/{id}`.
fn post_base(kind: PostKind, id: i32) -> String {
    match kind {
        PostKind::Question => format!("/questions/{id}"),
        PostKind::Answer => format!("/answers/{id}"),
    }
}

/// The editor of a question or answer.
pub fn post_edit(kind: PostKind, id: i32) -> String {
    format!("{}/edit", post_base(kind, id))
}

/// The history of a question or answer.
pub fn post_revisions(kind: PostKind, id: i32) -> String {
    format!("{}/revisions", post_base(kind, id))
}

/// Where votes on a question or answer are posted.
pub fn post_vote(kind: PostKind, id: i32) -> String {
    format!("{}/vote", post_base(kind, id))
}

/// Where staff moderate a question or answer.
pub fn post_moderate(kind: PostKind, id: i32) -> String {
    format!("{}/moderate", post_base(kind, id))
}

/// Where answers to a question are posted.
pub fn question_answers(id: QuestionId) -> String {
    format!("/questions/{id}/answers")
}

/// Where an answer of a question is accepted.
pub fn question_accept(id: QuestionId) -> String {
    format!("/questions/{id}/accept")
}

/// Where the accepted mark of a question is removed.
pub fn question_unaccept(id: QuestionId) -> String {
    format!("/questions/{id}/unaccept")
}

/// Where a question is followed.
pub fn question_follow(id: QuestionId) -> String {
    format!("/questions/{id}/follow")
}

/// Where a question is unfollowed.
pub fn question_unfollow(id: QuestionId) -> String {
    format!("/questions/{id}/unfollow")
}

/// One revision on a history (`history_url` from [`post_revisions`] or
/// [`article_revisions`]).
pub fn revision(history_url: &str, revision_id: impl Into<i32>) -> String {
    format!("{history_url}/{}", revision_id.into())
}

/// Restoring one revision of an article.
pub fn revision_restore(history_url: &str, revision_id: impl Into<i32>) -> String {
    format!("{history_url}/{}/restore", revision_id.into())
}

/// A page of a history: revisions older than `revision_id`.
pub fn history_before(history_url: &str, revision_id: impl Into<i32>) -> String {
    format!("{history_url}?before={}", revision_id.into())
}

/// A page of a history: revisions newer than `revision_id`.
pub fn history_after(history_url: &str, revision_id: impl Into<i32>) -> String {
    format!("{history_url}?after={}", revision_id.into())
}

/// A manual's table of contents.
pub fn manual(slug: &str) -> String {
    format!("/docs/{slug}")
}

/// An article of a manual.
pub fn article(manual: &str, slug: &str) -> String {
    format!("/docs/{manual}/{slug}")
}

/// A section of an article (`article_url` from [`article`]), by its heading id.
pub fn article_section(article_url: &str, anchor: &str) -> String {
    format!("{article_url}#{anchor}")
}

/// An article's editor.
pub fn article_edit(manual: &str, slug: &str) -> String {
    format!("/docs/{manual}/{slug}/edit")
}

/// An article's history.
pub fn article_revisions(manual: &str, slug: &str) -> String {
    format!("/docs/{manual}/{slug}/revisions")
}

/// The diff between two revisions of an article.
pub fn article_diff(manual: &str, slug: &str) -> String {
    format!("/docs/{manual}/{slug}/diff")
}

/// Moving an article to another manual or slug.
pub fn article_reattach(manual: &str, slug: &str) -> String {
    format!("/docs/{manual}/{slug}/reattach")
}

/// The new-article form with a title filled in.
pub fn new_article_titled(title: &str) -> String {
    with_query(NEW_ARTICLE.to_string(), query_of([("title", title)]))
}

/// The new-article form drafted from a solved question.
pub fn new_article_from_question(question_id: QuestionId) -> String {
    format!("{NEW_ARTICLE}?from_question={question_id}")
}

/// A troubleshooter's first step.
pub fn tree(slug: &str) -> String {
    format!("/troubleshoot/{slug}")
}

/// A step of a troubleshooter: the answers (node, choice) that lead there.
pub fn tree_step<'a>(slug: &str, answers: impl IntoIterator<Item = (&'a str, &'a str)>) -> String {
    with_query(tree(slug), query_of(answers))
}

/// The "solved" end of a troubleshooter.
pub fn tree_solved(slug: &str) -> String {
    format!("/troubleshoot/{slug}/solved")
}

/// Where a troubleshooter's outcome is posted.
pub fn tree_outcome(slug: &str) -> String {
    format!("/troubleshoot/{slug}/outcome")
}

/// The questions with a tag.
pub fn tag(name: &str) -> String {
    let encoded: String = form_urlencoded::byte_serialize(name.as_bytes()).collect();
    format!("/tags/{encoded}")
}

/// Where a tag is followed.
pub fn tag_follow(name: &str) -> String {
    format!("{}/follow", tag(name))
}

/// Where a tag is unfollowed.
pub fn tag_unfollow(name: &str) -> String {
    format!("{}/unfollow", tag(name))
}

/// A user's profile.
pub fn user(username: &str) -> String {
    format!("/users/{username}")
}

/// A search results page (`kind` filter and `page` > 1 only when given).
pub fn search(q: &str, kind: Option<&str>, page: usize) -> String {
    let page_text = page.to_string();
    let mut pairs = vec![("q", q)];
    if let Some(kind) = kind {
        pairs.push(("kind", kind));
    }
    if page > 1 {
        pairs.push(("page", &page_text));
    }
    with_query("/search".to_string(), query_of(pairs))
}

/// The logged link of a search result: records the click, then redirects.
pub fn search_click(search_id: SearchLogId, position: usize, url: &str) -> String {
    let (s, p) = (search_id.to_string(), position.to_string());
    format!(
        "/search/click?{}",
        query_of([("s", s.as_str()), ("p", p.as_str()), ("u", url)])
    )
}

/// The ask form, with the tags filled in when a tag is given.
pub fn ask_tagged(tag: Option<&str>) -> String {
    with_query(
        "/questions/ask".to_string(),
        query_of(tag.map(|t| ("tags", t))),
    )
}

/// The ask form continuing a kept draft.
pub fn ask_draft(id: crate::ids::DraftId) -> String {
    format!("/questions/ask?draft={}", id.0)
}

/// The ask form, pre-filled.
pub fn ask(title: &str, body: Option<&str>, tags: Option<&str>) -> String {
    let mut pairs = vec![("title", title)];
    pairs.extend(body.map(|b| ("body", b)));
    pairs.extend(tags.map(|t| ("tags", t)));
    format!("/questions/ask?{}", query_of(pairs))
}

/// The staff dashboard over the last `days` days.
pub fn staff_dashboard(days: i64) -> String {
    format!("/staff?days={days}")
}

/// The staff user list: a search and a page.
pub fn staff_users(q: &str, page: i64) -> String {
    let page = page.to_string();
    format!("/staff/users?{}", query_of([("q", q), ("page", &page)]))
}

/// Where an admin changes a user's role.
pub fn staff_user_role(id: UserId) -> String {
    format!("/staff/users/{id}/role")
}

/// Where an admin suspends a user.
pub fn staff_user_suspend(id: UserId) -> String {
    format!("/staff/users/{id}/suspend")
}

/// Where an admin lifts a user's suspension.
pub fn staff_user_unsuspend(id: UserId) -> String {
    format!("/staff/users/{id}/unsuspend")
}

/// Where staff resolve or dismiss a flag.
pub fn staff_flag(id: FlagId) -> String {
    format!("{STAFF_FLAGS}/{id}")
}

/// Where the comment on a "was this helpful?" vote is posted.
pub fn feedback_comment(vote_id: FeedbackId) -> String {
    format!("/feedback/{vote_id}/comment")
}

/// The staff user list with the notice of a finished action.
pub fn staff_users_done(done: &str) -> String {
    format!("/staff/users?{}", query_of([("done", done)]))
}

/// The first-admin setup form of a token.
pub fn setup(token: &str) -> String {
    format!("/setup/{token}")
}

/// The "was your question solved?" page of a signed link.
pub fn solved_link(token: &str) -> String {
    format!("/solved/{token}")
}

/// Where the signed-in asker says "still not solved".
pub fn question_still_unsolved(id: QuestionId) -> String {
    format!("/questions/{id}/still-unsolved")
}

/// The one-click unsubscribe page of a signed token.
pub fn unsubscribe(token: &str) -> String {
    format!("/unsubscribe/{token}")
}

/// The link that confirms an e-mail address.
pub fn verify_email(token: &str) -> String {
    format!("/account/email/verify/{token}")
}

/// The page that asks for a password-reset link.
pub const FORGOT_PASSWORD: &str = "/password/forgot";

/// The page where a mailed reset link sets a new password.
pub fn password_reset(token: &str) -> String {
    format!("/password/reset/{token}")
}

/// A stored asset (image) by its fingerprint and file name.
pub fn asset(fingerprint: &str, name: &str) -> String {
    format!("/assets/{fingerprint}/{name}")
}

/// Decodes `%XX` escapes (two hex digits) once; anything else, including a
/// `%` without two hex digits after it, stays as written.
pub fn percent_decode_bytes(input: &[u8]) -> Vec<u8> {
    let hex = |b: u8| (b as char).to_digit(16).map(|d| d as u8);
    let mut out = Vec::with_capacity(input.len());
    let mut i = 0;
    while i < input.len() {
        if input[i] == b'%' && i + 2 < input.len() {
            if let (Some(h), Some(l)) = (hex(input[i + 1]), hex(input[i + 2])) {
                out.push(h * 16 + l);
                i += 3;
                continue;
            }
        }
        out.push(input[i]);
        i += 1;
    }
    out
}

#[cfg(test)]
mod tests {

    #[test]
    fn percent_decoding_takes_two_hex_digits_once() {
        assert_eq!(percent_decode_bytes(b"my%20file%2Epng"), b"my file.png");
        assert_eq!(percent_decode_bytes(b"%252F"), b"%2F", "one round only");
        assert_eq!(
            percent_decode_bytes(b"%+f%zz%4"),
            b"%+f%zz%4",
            "invalid escapes stay"
        );
        assert_eq!(percent_decode_bytes(b"caf%C3%A9"), "caf\u{e9}".as_bytes());
    }
    use super::*;

    #[test]
    fn builders_make_the_urls_routes_serve() {
        assert_eq!(question(QuestionId(12), "why"), "/questions/12/why");
        assert_eq!(
            answer(QuestionId(12), "why", AnswerId(3)),
            "/questions/12/why#answer-3"
        );
        assert_eq!(post_revisions(PostKind::Answer, 3), "/answers/3/revisions");
        assert_eq!(post_edit(PostKind::Question, 12), "/questions/12/edit");
        assert_eq!(
            history_before(&post_revisions(PostKind::Question, 12), 9),
            "/questions/12/revisions?before=9"
        );
        assert_eq!(article("guide", "page"), "/docs/guide/page");
        assert_eq!(tree_step("power", []), "/troubleshoot/power");
        assert_eq!(
            tree_step("power", [("light", "no way")]),
            "/troubleshoot/power?light=no+way"
        );
        assert_eq!(tag("c++"), "/tags/c%2B%2B");
        assert_eq!(search("a b", None, 1), "/search?q=a+b");
        assert_eq!(search("a", Some("step"), 2), "/search?q=a&kind=step&page=2");
        assert_eq!(
            search_click(SearchLogId(4), 1, "/docs/a"),
            "/search/click?s=4&p=1&u=%2Fdocs%2Fa"
        );
        assert_eq!(ask("Why?", None, None), "/questions/ask?title=Why%3F");
        assert_eq!(new_article_titled("x y"), "/staff/articles/new?title=x+y");
        assert_eq!(staff_users_done("role"), "/staff/users?done=role");
        assert_eq!(staff_user_role(UserId(7)), "/staff/users/7/role");
        assert_eq!(staff_user_suspend(UserId(7)), "/staff/users/7/suspend");
        assert_eq!(staff_user_unsuspend(UserId(7)), "/staff/users/7/unsuspend");
        assert_eq!(staff_flag(FlagId(3)), "/staff/flags/3");
        assert_eq!(feedback_comment(FeedbackId(5)), "/feedback/5/comment");
        assert_eq!(staff_dashboard(30), "/staff?days=30");
        assert_eq!(ask_tagged(None), "/questions/ask");
        // The same bytes as tera's `urlencode` gave for every tag character.
        assert_eq!(ask_tagged(Some("c++")), "/questions/ask?tags=c%2B%2B");
        assert_eq!(
            ask_tagged(Some("c#.net-9")),
            "/questions/ask?tags=c%23.net-9"
        );
    }
}
