//! Who is asking: the session middleware loads the signed-in user (if any)
//! once per request, and the [`Viewer`] extractor hands it to handlers with
//! the CSRF token and the client address. The extractors that demand a
//! role or a checked form are in [`crate::web::extract`].

use std::future::{ready, Ready};
use std::net::IpAddr;

use actix_web::body::MessageBody;
use actix_web::cookie::{Cookie, SameSite};
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::{web, FromRequest, HttpMessage, HttpRequest};
use serde::Serialize;

use crate::app::AppState;
use crate::auth::policy::{self, Action, Actor, Target};
use crate::auth::rate_limit::{Limited, Poster, Store};
use crate::auth::{tokens, Role, CSRF_COOKIE, GUEST_FORM_TOKEN_SECS, SESSION_COOKIE};
use crate::config::{Config, IpNet};
use crate::db::models::drafts::Owner;
use crate::error::{AppError, AppResult};
use crate::ids::{SessionId, UserId};
use crate::service::accounts::{self, SessionLookup};
use crate::service::announcements::{Dismissed, DISMISSED_COOKIE};
use crate::service::drafts;
use crate::service::limits::Limits;
use crate::web::with_analytics;

/// The signed-in user of a request.
#[derive(Debug, Clone)]
pub struct CurrentUser {
    /// User id.
    pub id: UserId,
    /// Username.
    pub username: String,
    /// Display name.
    pub display_name: String,
    /// Role.
    pub role: Role,
    /// The session id (to keep it when ending the others).
    pub session_id: SessionId,
    /// CSRF token bound to the session.
    pub csrf: String,
    /// When the account was created (new accounts get tighter posting limits).
    pub created_at: i64,
    /// Unread notifications.
    pub unread: i64,
}

/// The header's link to the notifications with `unread` of them: pages
/// cached for a member have it filled in per request, so it is made here,
/// the same for both.
pub fn inbox_link(unread: i64) -> String {
    if unread > 0 {
        format!(
            "<a href=\"/notifications\" class=\"notif has-unread\" title=\"Notifications\">Inbox <span class=\"count\">{unread}</span></a>"
        )
    } else {
        "<a href=\"/notifications\" class=\"notif\" title=\"Notifications\">Inbox</a>".into()
    }
}

impl CurrentUser {
    /// This user as the permission policy sees them.
    pub fn actor(&self) -> Actor {
        Actor {
            id: self.id,
            role: self.role,
        }
    }

    /// This user as the posting limits see them.
    pub fn poster(&self) -> Poster {
        Poster {
            id: self.id,
            role: self.role,
            created_at: self.created_at,
        }
    }
}

/// Counts `action` by `user` against the limit table (in the database or
/// in memory, as its row says); 429 when over it.
pub async fn admit(
    state: &web::Data<AppState>,
    action: Limited,
    user: &CurrentUser,
) -> AppResult<()> {
    let who = user.poster();
    let verdict = match Limits::store(action) {
        Store::Local => state.limiter.admit_user_local(action, &who),
        Store::Shared => {
            let shared = state.clone();
            with_analytics(state, move |conn| {
                shared.limiter.admit_user_shared(conn, action, &who)
            })
            .await?
        }
    };
    verdict.map_err(AppError::TooManyRequests)
}

/// Counts `action` from the client address `address` against the limit
/// table; 429 when over it.
pub async fn admit_address(
    state: &web::Data<AppState>,
    action: Limited,
    address: &str,
) -> AppResult<()> {
    let verdict = match Limits::store(action) {
        Store::Local => state.limiter.admit_address_local(action, address),
        Store::Shared => {
            let (shared, address) = (state.clone(), address.to_string());
            with_analytics(state, move |conn| {
                shared.limiter.admit_address_shared(conn, action, &address)
            })
            .await?
        }
    };
    verdict.map_err(AppError::TooManyRequests)
}

/// The visitor of a request: signed in or not.
#[derive(Debug, Clone, Default)]
pub struct Viewer {
    /// The signed-in user.
    pub user: Option<CurrentUser>,
    /// The pre-session CSRF cookie, if the browser sent one.
    pub anon_csrf: Option<String>,
    /// Client address, for rate limits.
    pub ip: String,
    /// Path and query of the request, to come back after signing in.
    pub here: String,
    /// The session the cookie named, if it expired on this very request:
    /// a form sent from one of its pages is kept as the user's draft.
    pub lapsed: Option<LapsedSession>,
    /// The announcements this browser dismissed (its cookie).
    pub dismissed: Dismissed,
}

/// What [`Viewer::check_csrf`] found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CsrfCheck {
    /// The token of this visitor (or of their session that just expired,
    /// for a form that keeps drafts).
    Valid,
    /// No token at all: not a form of this site.
    Missing,
    /// A token, but not a live one of this visitor: the page was open past
    /// its session or its guest token's age (or it is not theirs). The
    /// form is shown again with what was typed, to check and send again.
    Lapsed,
}

/// What a form sent without a token is told (HTTP 403).
pub const CSRF_MISSING: &str =
    "This form did not come from this site. Go back, reload the page and try again.";

/// A session that expired (see [`Viewer::lapsed`]).
#[derive(Debug, Clone)]
pub struct LapsedSession {
    /// Whose session it was.
    pub user_id: UserId,
    /// The CSRF token its pages carried.
    pub csrf: String,
}

/// What templates know about the visitor.
#[derive(Debug, Clone, Serialize)]
pub struct ViewerView {
    /// Username.
    pub username: String,
    /// Display name.
    pub display_name: String,
    /// Profile link.
    pub url: String,
    /// Staff or admin.
    pub is_staff: bool,
    /// Admin.
    pub is_admin: bool,
    /// Unread notifications.
    pub unread: i64,
    /// The header's inbox link with that count ([`inbox_link`]).
    pub inbox: String,
}

impl Viewer {
    /// Whether this visitor sees deleted posts and unpublished articles.
    pub fn sees_hidden(&self) -> bool {
        policy::sees_hidden(self.user.as_ref().map(CurrentUser::actor).as_ref())
    }

    /// The user a write of this request counts for: the signed-in user,
    /// or the user of a lapsed session (whose form may still be kept as
    /// their draft).
    pub fn writer(&self) -> Option<i32> {
        self.user
            .as_ref()
            .map(|u| u.id.0)
            .or_else(|| self.lapsed.as_ref().map(|l| l.user_id.0))
    }

    /// The CSRF token forms must carry: the session's, or the pre-session cookie's.
    pub fn csrf_token(&self) -> Option<&str> {
        match &self.user {
            Some(user) => Some(&user.csrf),
            None => self.anon_csrf.as_deref(),
        }
    }

    /// Checks a submitted CSRF token. The token of a session that expired
    /// on this very request passes only for a form that keeps its text as
    /// that user's draft (`keeps_lapsed`); elsewhere it has lapsed, like a
    /// token whose cookie or session is gone.
    pub fn check_csrf(&self, submitted: &str, keeps_lapsed: bool) -> CsrfCheck {
        if submitted.is_empty() {
            return CsrfCheck::Missing;
        }
        let matches = |expected: &str| tokens::constant_time_eq(expected, submitted);
        let lapsed_ok = keeps_lapsed
            && self.user.is_none()
            && self.lapsed.as_ref().is_some_and(|l| matches(&l.csrf));
        match self.csrf_token() {
            Some(expected) if matches(expected) => CsrfCheck::Valid,
            _ if lapsed_ok => CsrfCheck::Valid,
            _ => CsrfCheck::Lapsed,
        }
    }

    /// Whose drafts this visitor sees: the signed-in user's, or the guest
    /// cookie's; `None` for a guest without the cookie.
    pub fn draft_reader(&self) -> Option<Owner> {
        match (&self.user, &self.anon_csrf) {
            (Some(user), _) => Some(Owner::User(user.id)),
            (None, Some(cookie)) => Some(drafts::guest_owner(cookie)),
            (None, None) => None,
        }
    }

    /// Who owns a draft sent with the (already verified) CSRF token
    /// `submitted`: the signed-in user; the user of a lapsed session whose
    /// token it is; else the guest cookie.
    pub fn draft_writer(&self, submitted: &str) -> Option<Owner> {
        if let Some(user) = &self.user {
            return Some(Owner::User(user.id));
        }
        match &self.lapsed {
            Some(l) if !submitted.is_empty() && tokens::constant_time_eq(&l.csrf, submitted) => {
                Some(Owner::User(l.user_id))
            }
            _ => self.anon_csrf.as_deref().map(drafts::guest_owner),
        }
    }

    /// For anonymous forms: the pre-session CSRF token, creating one (and the
    /// cookie to set) when the browser has none.
    pub fn anon_csrf_or_new(&self) -> AppResult<(String, Option<String>)> {
        if let Some(token) = self.csrf_token() {
            return Ok((token.to_string(), None));
        }
        let token = tokens::random_token().map_err(AppError::internal)?;
        Ok((token.clone(), Some(token)))
    }

    /// For pages with anonymous forms: this visitor with a CSRF token
    /// guaranteed, and the cookie to set when the token is new.
    pub fn with_form_token(&self, secure: bool) -> AppResult<(Viewer, Option<Cookie<'static>>)> {
        let (token, new) = self.anon_csrf_or_new()?;
        let mut visitor = self.clone();
        if visitor.user.is_none() {
            visitor.anon_csrf = Some(token);
        }
        Ok((visitor, new.map(|t| csrf_cookie(&t, secure))))
    }

    /// The view for templates.
    pub fn view(&self) -> Option<ViewerView> {
        self.user.as_ref().map(|u| ViewerView {
            username: u.username.clone(),
            display_name: u.display_name.clone(),
            url: crate::paths::user(&u.username),
            is_staff: policy::allows(Some(&u.actor()), Action::SeeStaffPages, &Target::Site),
            is_admin: policy::allows(Some(&u.actor()), Action::ManageUsers, &Target::Site),
            unread: u.unread,
            inbox: inbox_link(u.unread),
        })
    }
}

impl Viewer {
    /// The visitor the session middleware stored on `req` (anonymous when
    /// the middleware did not run, as for static files).
    pub fn of(req: &HttpRequest) -> Viewer {
        req.extensions()
            .get::<Viewer>()
            .cloned()
            .unwrap_or_else(|| Viewer {
                here: here_of(req),
                ..Default::default()
            })
    }
}

impl FromRequest for Viewer {
    type Error = actix_web::Error;
    type Future = Ready<Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(Ok(Viewer::of(req)))
    }
}

fn here_of(req: &HttpRequest) -> String {
    match req.query_string() {
        "" => req.path().to_string(),
        q => format!("{}?{q}", req.path()),
    }
}

/// The client address of a request, as rate limits see it: the TCP peer,
/// or behind a reverse proxy the rightmost `X-Forwarded-For` entry that is
/// not a trusted proxy (entries further left are whatever the client chose
/// to send). IPv6 clients are keyed by their /64, which one host usually
/// owns whole.
fn client_ip(req: &ServiceRequest, config: Option<&Config>) -> String {
    let peer = req.peer_addr().map(|a| a.ip());
    let forwarded: Vec<&str> = match config {
        Some(c) if c.behind_proxy => req
            .headers()
            .get_all("x-forwarded-for")
            .filter_map(|v| v.to_str().ok())
            .collect(),
        _ => Vec::new(),
    };
    let trusted = config.map_or(&[][..], |c| &c.trusted_proxies[..]);
    match client_address(peer, &forwarded, trusted) {
        Some(ip) => limit_key_of(ip),
        None => "unknown".into(),
    }
}

/// Walks from the peer leftwards through `X-Forwarded-For` (its header
/// lines in order) while the hop is a trusted proxy; the first untrusted hop
/// is the client. A malformed entry stops the walk at the last good hop.
pub fn client_address(
    peer: Option<IpAddr>,
    forwarded_for: &[&str],
    trusted: &[IpNet],
) -> Option<IpAddr> {
    let is_trusted = |ip: IpAddr| trusted.iter().any(|net| net.contains(ip));
    let mut client = peer?;
    if forwarded_for.is_empty() {
        return Some(client);
    }
    let hops = forwarded_for
        .iter()
        .flat_map(|line| line.split(','))
        .map(str::trim)
        .collect::<Vec<_>>();
    for hop in hops.iter().rev() {
        if !is_trusted(client) {
            break;
        }
        match parse_hop(hop) {
            Some(ip) => client = ip,
            None => break,
        }
    }
    Some(client)
}

/// One `X-Forwarded-For` entry: an address, maybe with a port
/// (`192.0.2.1:5000`, `[2001:db8::1]:5000`).
fn parse_hop(hop: &str) -> Option<IpAddr> {
    hop.parse::<IpAddr>()
        .ok()
        .or_else(|| hop.parse::<std::net::SocketAddr>().ok().map(|s| s.ip()))
}

/// The rate-limit key of an address: IPv4 as is, IPv6 by its /64.
fn limit_key_of(ip: IpAddr) -> String {
    match ip {
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => v4.to_string(),
            None => {
                let s = v6.segments();
                format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
            }
        },
        v4 => v4.to_string(),
    }
}

/// Middleware: loads the session (if a cookie is sent) and stores the
/// [`Viewer`] in the request; clears a stale session cookie.
pub async fn load_visitor(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    // Static files and the health check need no visitor: handlers and
    // error pages fall back to an anonymous one (`Viewer::of`).
    if req.path().starts_with("/static/") || req.path() == "/healthz" {
        return next.call(req).await;
    }
    let state = req.app_data::<web::Data<AppState>>().cloned();
    let mut visitor = Viewer {
        user: None,
        anon_csrf: req
            .cookie(CSRF_COOKIE)
            .map(|c| c.value().to_string())
            .filter(|v| tokens::is_token_shaped(v)),
        ip: client_ip(&req, state.as_ref().map(|s| &*s.config)),
        here: here_of(req.request()),
        lapsed: None,
        dismissed: req
            .cookie(DISMISSED_COOKIE)
            .map(|c| Dismissed::parse(c.value()))
            .unwrap_or_default(),
    };
    let mut stale_cookie = false;
    if let Some(state) = &state {
        refresh_announcements(state);
    }
    if let (Some(cookie), Some(state)) = (req.cookie(SESSION_COOKIE), state.clone()) {
        let token = cookie.value().to_string();
        let pool = state.db.clone();
        let found = web::block(move || -> AppResult<_> {
            let mut conn = pool.get()?;
            let found = accounts::look_up_session(&mut conn, &token, crate::db::unix_now())?;
            match found {
                SessionLookup::Live(found) => {
                    let (session, user) = *found;
                    let unread =
                        crate::db::models::notifications::unread_count(&mut conn, user.id)?;
                    Ok(Ok((session, user, unread)))
                }
                SessionLookup::Lapsed { user_id, csrf } => {
                    Ok(Err(Some(LapsedSession { user_id, csrf })))
                }
                SessionLookup::Unknown => Ok(Err(None)),
            }
        })
        .await;
        match found {
            Ok(Ok(Ok((session, user, unread)))) => {
                visitor.user = Some(CurrentUser {
                    created_at: user.created_at,
                    unread,
                    id: user.id,
                    role: user.role(),
                    username: user.username,
                    display_name: user.display_name,
                    session_id: session.id,
                    csrf: session.csrf_token,
                });
            }
            Ok(Ok(Err(lapsed))) => {
                visitor.lapsed = lapsed;
                stale_cookie = true;
            }
            Ok(Err(e)) => log::warn!("session lookup failed: {e}"),
            Err(e) => log::warn!("session lookup failed: {e}"),
        }
    }
    // A guest who sees a banner needs a CSRF token for its dismiss button.
    let banner_token = match &state {
        Some(state)
            if visitor.csrf_token().is_none() && req.method() == actix_web::http::Method::GET =>
        {
            let shown = state
                .announcements
                .shown(crate::db::unix_now(), &visitor.dismissed);
            if shown.is_empty() {
                None
            } else {
                let token = tokens::random_token().map_err(AppError::internal)?;
                visitor.anon_csrf = Some(token.clone());
                Some((token, state.config.is_https()))
            }
        }
        _ => None,
    };
    let signed_in = visitor.user.is_some();
    req.extensions_mut().insert(visitor);
    let mut res = next.call(req).await?;
    if signed_in {
        keep_private(res.headers_mut());
    }
    let is_html = res
        .headers()
        .get(actix_web::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/html"));
    if let (Some((token, secure)), true) = (banner_token, is_html) {
        let _ = res.response_mut().add_cookie(&csrf_cookie(&token, secure));
    }
    if stale_cookie {
        let _ = res
            .response_mut()
            .add_removal_cookie(&Cookie::build(SESSION_COOKIE, "").path("/").finish());
    }
    Ok(res)
}

/// Marks a response to a signed-in visitor `private`: it carries their
/// name and form token, so no shared cache (a proxy, a CDN) may keep it.
fn keep_private(headers: &mut actix_web::http::header::HeaderMap) {
    use actix_web::http::header::{HeaderValue, CACHE_CONTROL};
    let current = headers
        .get(CACHE_CONTROL)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if current.contains("private") || current.contains("no-store") {
        return;
    }
    let value = if current.is_empty() {
        HeaderValue::from_static("private")
    } else {
        match HeaderValue::from_str(&format!("private, {current}")) {
            Ok(value) => value,
            Err(_) => HeaderValue::from_static("private, no-cache"),
        }
    };
    headers.insert(CACHE_CONTROL, value);
}

/// Reloads this node's announcement board in the background when its copy
/// is older than [`Board::REFRESH`](crate::service::announcements::Board::REFRESH)
/// (changes made on other nodes); the request goes on with the copy it has.
fn refresh_announcements(state: &web::Data<AppState>) {
    if !state.announcements.claim_refresh() {
        return;
    }
    let state = state.clone();
    actix_web::rt::spawn(async move {
        let pool = state.db.clone();
        let board = state.clone();
        let outcome = web::block(move || -> AppResult<()> {
            let mut conn = pool.get()?;
            board.announcements.reload(&mut conn, crate::db::unix_now())
        })
        .await;
        match outcome {
            Ok(Ok(())) => {}
            Ok(Err(e)) => log::warn!("announcements reload failed: {e}"),
            Err(e) => log::warn!("announcements reload failed: {e}"),
        }
        state.announcements.refreshed();
    });
}

/// The dismissal cookie: a year, HttpOnly, SameSite=Lax, Secure over https.
pub fn dismissed_cookie(dismissed: &Dismissed, secure: bool) -> Cookie<'static> {
    Cookie::build(DISMISSED_COOKIE, dismissed.to_cookie())
        .path("/")
        .http_only(true)
        .same_site(SameSite::Lax)
        .secure(secure)
        .max_age(actix_web::cookie::time::Duration::days(365))
        .finish()
}

/// The session cookie: HttpOnly, SameSite=Lax, Secure over https.
pub fn session_cookie(token: &str, secure: bool) -> Cookie<'static> {
    Cookie::build(SESSION_COOKIE, token.to_string())
        .path("/")
        .http_only(true)
        .same_site(SameSite::Lax)
        .secure(secure)
        .max_age(actix_web::cookie::time::Duration::seconds(
            crate::auth::SESSION_ABSOLUTE_SECS,
        ))
        .finish()
}

/// The cookie that removes the session cookie.
pub fn session_removal_cookie() -> Cookie<'static> {
    let mut cookie = Cookie::build(SESSION_COOKIE, "").path("/").finish();
    cookie.make_removal();
    cookie
}

/// The pre-session CSRF cookie: it lasts [`GUEST_FORM_TOKEN_SECS`], so a
/// guest's form token has a bounded age (a form open longer is shown again
/// to check and send).
pub fn csrf_cookie(token: &str, secure: bool) -> Cookie<'static> {
    Cookie::build(CSRF_COOKIE, token.to_string())
        .path("/")
        .http_only(true)
        .same_site(SameSite::Lax)
        .secure(secure)
        .max_age(actix_web::cookie::time::Duration::seconds(
            GUEST_FORM_TOKEN_SECS,
        ))
        .finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(text: &str) -> IpAddr {
        text.parse().expect("test address")
    }

    #[test]
    fn client_is_the_rightmost_untrusted_hop() {
        let trusted = [
            "127.0.0.1/32".parse().unwrap(),
            "10.0.0.0/8".parse().unwrap(),
        ];
        let proxy = Some(ip("127.0.0.1"));
        // nginx appends the real peer to whatever the client sent.
        assert_eq!(
            client_address(proxy, &["6.6.6.6, 198.51.100.9"], &trusted),
            Some(ip("198.51.100.9")),
            "a spoofed leftmost entry is ignored"
        );
        assert_eq!(
            client_address(proxy, &["6.6.6.6", "198.51.100.9, 10.1.2.3"], &trusted),
            Some(ip("198.51.100.9")),
            "trusted hops are skipped, across header lines"
        );
        assert_eq!(
            client_address(Some(ip("198.51.100.9")), &["6.6.6.6"], &trusted),
            Some(ip("198.51.100.9")),
            "a client that connects directly cannot name another address"
        );
        assert_eq!(
            client_address(proxy, &["garbage, 198.51.100.9"], &trusted),
            Some(ip("198.51.100.9"))
        );
        assert_eq!(
            client_address(proxy, &["198.51.100.9, not-an-ip"], &trusted),
            Some(ip("127.0.0.1")),
            "a malformed hop stops the walk at the last good one"
        );
        assert_eq!(
            client_address(proxy, &["[2001:db8::5]:4711"], &trusted),
            Some(ip("2001:db8::5"))
        );
        assert_eq!(client_address(proxy, &[], &trusted), proxy);
        assert_eq!(client_address(None, &["1.2.3.4"], &trusted), None);
    }

    #[test]
    fn ipv6_clients_are_limited_per_64() {
        assert_eq!(
            limit_key_of(ip("2001:db8:1:2:aaaa::1")),
            "2001:db8:1:2::/64"
        );
        assert_eq!(
            limit_key_of(ip("2001:db8:1:2:bbbb::9")),
            limit_key_of(ip("2001:db8:1:2:aaaa::1"))
        );
        assert_eq!(limit_key_of(ip("::ffff:192.0.2.1")), "192.0.2.1");
        assert_eq!(limit_key_of(ip("192.0.2.1")), "192.0.2.1");
    }
}
