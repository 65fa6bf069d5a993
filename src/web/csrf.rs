//! A form sent with a form token that lapsed (the page stayed open past its
//! session, or past a guest token's age, [`GUEST_FORM_TOKEN_SECS`]) is not
//! acted on and not lost: the site answers with the same form, every field
//! as typed (passwords excepted) and a live token, to check and send again.
//! A form without any token is refused outright (it is no form of ours).
//!
//! [`GUEST_FORM_TOKEN_SECS`]: crate::auth::GUEST_FORM_TOKEN_SECS

use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse};
use serde::Serialize;

use crate::app::AppState;
use crate::error::AppError;
use crate::web::errors::KeepBody;
use crate::web::session::Viewer;

/// What the page of a lapsed form says.
pub const FORM_LAPSED: &str = "This form was open too long; check and send again.";

/// Fields that forms of this site carry hidden (choices made by a button
/// or the page, not typed): sent again as they came, not shown.
const HIDDEN_FIELDS: [&str; 18] = [
    "action",
    "answer_id",
    "answers",
    "back",
    "base_revision",
    "draft",
    "from_question",
    "helpful",
    "kind",
    "List-Unsubscribe",
    "next",
    "node",
    "outcome",
    "post_id",
    "revision",
    "submit_key",
    "target",
    "value",
];

/// One field of the form shown again.
#[derive(Debug, Serialize, PartialEq, Eq)]
pub struct FieldView {
    /// The field's name, as sent.
    pub name: String,
    /// Its label (the name, readable).
    pub label: String,
    /// The value as sent (empty for a password).
    pub value: String,
    /// `hidden`, `text`, `textarea` or `password`.
    pub kind: &'static str,
}

#[derive(Debug, Serialize)]
struct LapsedFormView {
    action: String,
    message: &'static str,
    signed_out: bool,
    fields: Vec<FieldView>,
}

/// The fields of a urlencoded form body, to show again: the token left out
/// (the page carries a live one), passwords emptied.
pub fn fields_of(body: &[u8]) -> Vec<FieldView> {
    form_urlencoded::parse(body)
        .filter(|(name, _)| name != "csrf")
        .map(|(name, value)| {
            let kind = if HIDDEN_FIELDS.contains(&name.as_ref()) {
                "hidden"
            } else if name.contains("password") {
                "password"
            } else if value.contains('\n') || value.chars().count() > 120 {
                "textarea"
            } else {
                "text"
            };
            FieldView {
                label: label_of(&name),
                value: if kind == "password" {
                    String::new()
                } else {
                    value.into_owned()
                },
                name: name.into_owned(),
                kind,
            }
        })
        .collect()
}

/// `fixed_in` as "Fixed in".
fn label_of(name: &str) -> String {
    let words = name.replace(['_', '-'], " ");
    let mut chars = words.trim().chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => "Field".into(),
    }
}

/// Why a form posted from another site is refused.
pub const CSRF_ELSEWHERE: &str =
    "This form was not sent from this site, so nothing was done. Open the page here and send it again.";

/// Whether a post comes from a page of this origin, as far as the browser
/// says: `Sec-Fetch-Site` when sent, else `Origin` against the request's own
/// scheme and host or the configured `base_url` (behind a proxy that ends
/// TLS the request itself is plain HTTP). Clients that send neither are no
/// browser a forged form could drive.
fn from_this_site(req: &HttpRequest, base_url: &str) -> bool {
    let header = |name| {
        req.headers()
            .get(name)
            .map(|v| v.to_str().unwrap_or("").trim().to_ascii_lowercase())
    };
    if let Some(site) = header("sec-fetch-site") {
        return site == "same-origin";
    }
    match header("origin") {
        None => true,
        Some(origin) => {
            let info = req.connection_info();
            origin == format!("{}://{}", info.scheme(), info.host()).to_ascii_lowercase()
                || origin == base_url.trim_end_matches('/').to_ascii_lowercase()
        }
    }
}

/// The answer to a form whose token lapsed: under `/api/` a JSON 403 (the
/// error middleware renders it); elsewhere a 403 page with the form again.
pub fn lapsed_form(req: &HttpRequest, viewer: &Viewer, body: &[u8]) -> actix_web::Error {
    let refused = || AppError::Forbidden(FORM_LAPSED.into()).into();
    if req.path().starts_with("/api/") {
        return refused();
    }
    let Some(state) = req.app_data::<web::Data<AppState>>() else {
        return refused();
    };
    if !from_this_site(req, &state.config.base_url) {
        // Another site's form: showing its fields on this origin, with a
        // live token, would turn a forged post into one click away.
        return AppError::Forbidden(CSRF_ELSEWHERE.into()).into();
    }
    let (visitor, cookie) = match viewer.with_form_token(state.config.is_https()) {
        Ok(found) => found,
        Err(e) => return e.into(),
    };
    let view = LapsedFormView {
        action: match req.query_string() {
            "" => req.path().to_string(),
            q => format!("{}?{q}", req.path()),
        },
        message: FORM_LAPSED,
        signed_out: viewer.lapsed.is_some(),
        fields: fields_of(body),
    };
    let html = match super::render_string(state, Some(&visitor), "errors/form_lapsed.html", &view) {
        Ok(html) => html,
        Err(e) => return e.into(),
    };
    let mut builder = HttpResponse::build(StatusCode::FORBIDDEN);
    builder
        .content_type("text/html; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "no-store"));
    if let Some(cookie) = cookie {
        builder.cookie(cookie);
    }
    let mut response = builder.body(html);
    response.extensions_mut().insert(KeepBody);
    actix_web::error::InternalError::from_response(FORM_LAPSED, response).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_are_shown_again_as_typed_but_passwords_and_the_token() {
        let body = b"csrf=old&title=Printer+offline&body=Line+one%0ALine+two\
            &next=%2Fquestions&password=hunter2&password_confirm=hunter2&fixed_in=4.3";
        let fields = fields_of(body);
        let shown: Vec<(&str, &str, &str)> = fields
            .iter()
            .map(|f| (f.name.as_str(), f.kind, f.value.as_str()))
            .collect();
        assert_eq!(
            shown,
            [
                ("title", "text", "Printer offline"),
                ("body", "textarea", "Line one\nLine two"),
                ("next", "hidden", "/questions"),
                ("password", "password", ""),
                ("password_confirm", "password", ""),
                ("fixed_in", "text", "4.3"),
            ]
        );
        assert_eq!(fields[5].label, "Fixed in");
        assert_eq!(label_of("_"), "Field");
    }
}
