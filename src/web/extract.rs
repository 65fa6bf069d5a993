//! Typed extractors: a handler's signature says who may call it.
//!
//! - [`Viewer`] (in `session`): anyone, signed in or not;
//! - [`Member`]: signed in, else a redirect to sign-in that comes back;
//! - [`Staff`], [`Admin`]: signed in with the role the policy asks for,
//!   else that redirect, or 403;
//! - [`CsrfForm`]: a form whose CSRF token was checked before the handler
//!   runs (403 without a token; a lapsed token shows the form again with
//!   the text kept, [`crate::web::csrf`]), and that carries no NUL
//!   character (400): no text the site stores may hold one, on any backend
//!   (a form may instead refuse the NUL itself, keeping the typed text:
//!   [`CsrfToken::KEEPS_NUL`]).
//!
//! Extractors run in the order of the handler's arguments: put the role
//! extractor before the form to refuse strangers before reading their token.

use std::future::{ready, Future, Ready};
use std::ops::Deref;
use std::pin::Pin;

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::{web, FromRequest, HttpRequest, ResponseError};
use serde::de::DeserializeOwned;

use crate::auth::policy::{self, Action, Target};
use crate::error::AppError;
use crate::web::session::{CsrfCheck, CurrentUser, Viewer, CSRF_MISSING};

/// A signed-in visitor.
#[derive(Debug, Clone)]
pub struct Member {
    /// The whole visitor (for rendering pages).
    pub viewer: Viewer,
    /// The signed-in user.
    pub user: CurrentUser,
}

/// A signed-in staff member (or admin): may open the staff pages.
#[derive(Debug, Clone)]
pub struct Staff {
    /// The whole visitor (for rendering pages).
    pub viewer: Viewer,
    /// The signed-in user.
    pub user: CurrentUser,
}

/// A signed-in administrator: may manage users.
#[derive(Debug, Clone)]
pub struct Admin {
    /// The whole visitor (for rendering pages).
    pub viewer: Viewer,
    /// The signed-in user.
    pub user: CurrentUser,
}

/// The visitor with a user allowed `action` (site-wide), or the error
/// page: sign in (coming back here), or 403.
fn signed_in_for(
    req: &HttpRequest,
    action: Option<Action>,
) -> Result<(Viewer, CurrentUser), AppError> {
    let viewer = Viewer::of(req);
    let Some(user) = viewer.user.clone() else {
        return Err(AppError::SignInRequired {
            next: viewer.here.clone(),
        });
    };
    if let Some(action) = action {
        policy::can(Some(&user.actor()), action, &Target::Site)?;
    }
    Ok((viewer, user))
}

impl FromRequest for Member {
    type Error = actix_web::Error;
    type Future = Ready<Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(
            signed_in_for(req, None)
                .map(|(viewer, user)| Member { viewer, user })
                .map_err(Into::into),
        )
    }
}

impl FromRequest for Staff {
    type Error = actix_web::Error;
    type Future = Ready<Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(
            signed_in_for(req, Some(Action::SeeStaffPages))
                .map(|(viewer, user)| Staff { viewer, user })
                .map_err(Into::into),
        )
    }
}

impl FromRequest for Admin {
    type Error = actix_web::Error;
    type Future = Ready<Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(
            signed_in_for(req, Some(Action::ManageUsers))
                .map(|(viewer, user)| Admin { viewer, user })
                .map_err(Into::into),
        )
    }
}

/// A form that carries the CSRF token in its `csrf` field (declare with
/// [`csrf_form!`](crate::csrf_form)).
pub trait CsrfToken {
    /// The submitted token.
    fn csrf(&self) -> &str;

    /// Whether a NUL character reaches the handler, which refuses it itself
    /// and shows the form again with the text kept (otherwise the request is
    /// answered 400 before the handler runs).
    const KEEPS_NUL: bool = false;

    /// Whether the token of a session that expired on this very request
    /// passes: the handler keeps the text as that user's draft and asks
    /// them to sign in again (`Viewer::draft_writer`). Other forms show
    /// such a request again to check and send ([`crate::web::csrf`]).
    const KEEPS_LAPSED_SESSION: bool = false;
}

/// Declares that the listed form structs carry their CSRF token in a
/// `csrf: String` field, so they can be read through [`CsrfForm`].
#[macro_export]
macro_rules! csrf_form {
    ($($form:ty),+ $(,)?) => {
        $(impl $crate::web::extract::CsrfToken for $form {
            fn csrf(&self) -> &str {
                &self.csrf
            }
        })+
    };
}

/// A urlencoded form whose CSRF token matched the visitor's (the session's,
/// or the pre-session cookie's) before the handler ran.
#[derive(Debug)]
pub struct CsrfForm<T>(pub T);

impl<T> CsrfForm<T> {
    /// The form's fields.
    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<T> Deref for CsrfForm<T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.0
    }
}

/// What a request with a NUL character in its text is told (HTTP 400).
pub const NUL_REFUSED: &str =
    "The text sent contains a NUL character (\\0), which this site cannot store. Remove it and try again.";

/// Whether a urlencoded form decodes to text with a NUL.
pub fn has_nul(urlencoded: &[u8]) -> bool {
    form_urlencoded::parse(urlencoded).any(|(k, v)| k.contains('\0') || v.contains('\0'))
}

/// Middleware: a request whose path decodes to a NUL character is answered
/// 400 before any handler looks it up (no address of the site has one, and
/// no database column may store one). Query strings are read leniently by
/// each page instead.
pub async fn refuse_nul(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, actix_web::Error> {
    let path = crate::paths::percent_decode_bytes(req.uri().path().as_bytes());
    if path.contains(&0) {
        let response = AppError::BadRequest(NUL_REFUSED.into()).error_response();
        return Ok(req.into_response(response).map_into_right_body());
    }
    Ok(next.call(req).await?.map_into_left_body())
}

impl<T> FromRequest for CsrfForm<T>
where
    T: DeserializeOwned + CsrfToken + 'static,
{
    type Error = actix_web::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let viewer = Viewer::of(req);
        let req = req.clone();
        let body = web::Bytes::from_request(&req, payload);
        Box::pin(async move {
            let body = body.await?;
            if !T::KEEPS_NUL && has_nul(&body) {
                return Err(AppError::BadRequest(NUL_REFUSED.into()).into());
            }
            let form = web::Form::<T>::from_request(&req, &mut Payload::from(body.clone()))
                .await?
                .into_inner();
            match viewer.check_csrf(form.csrf(), T::KEEPS_LAPSED_SESSION) {
                CsrfCheck::Valid => Ok(CsrfForm(form)),
                CsrfCheck::Missing => Err(AppError::Forbidden(CSRF_MISSING.into()).into()),
                CsrfCheck::Lapsed => Err(crate::web::csrf::lapsed_form(&req, &viewer, &body)),
            }
        })
    }
}
