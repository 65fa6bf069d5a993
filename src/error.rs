//! The one error type of the application and its mapping to HTTP status codes.
//! Everything a handler can fail with converts into [`AppError`]; the web layer
//! turns it into a friendly page (or JSON for the API) through [`AppError::status`].

/// Result alias used across the crate.
pub type AppResult<T> = Result<T, AppError>;

/// Every way a request or command can fail.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// The thing asked for does not exist (HTTP 404).
    #[error("{0}")]
    NotFound(String),
    /// The request is malformed; the message says how to fix it (HTTP 400).
    #[error("{0}")]
    BadRequest(String),
    /// The page needs a signed-in user: redirect to sign-in, then back to
    /// `next` (HTTP 303).
    #[error("Please sign in to continue.")]
    SignInRequired {
        /// Where to return after signing in.
        next: String,
    },
    /// Signed in, but not allowed (HTTP 403).
    #[error("{0}")]
    Forbidden(String),
    /// The request conflicts with the current state (HTTP 409).
    #[error("{0}")]
    Conflict(String),
    /// Too many attempts; try again after this many seconds (HTTP 429).
    #[error("Too many attempts. Please try again in {0} seconds.")]
    TooManyRequests(u64),
    /// A dependency is temporarily not usable (HTTP 503).
    #[error("{0}")]
    Unavailable(String),
    /// Too many searches are waiting: this one's turn did not come in time
    /// (HTTP 503, with the query to search again).
    #[error("Search is busy right now. Please search again in a few seconds.")]
    SearchBusy {
        /// The query, kept in the search box.
        q: String,
    },
    /// Anything unexpected: logged, shown as a generic 500 page.
    #[error("internal error: {0}")]
    Internal(String),
}

impl AppError {
    /// The HTTP status code for this error: the one place that decides it.
    pub fn status(&self) -> u16 {
        match self {
            AppError::NotFound(_) => 404,
            AppError::SignInRequired { .. } => 303,
            AppError::BadRequest(_) => 400,
            AppError::Forbidden(_) => 403,
            AppError::Conflict(_) => 409,
            AppError::TooManyRequests(_) => 429,
            AppError::Unavailable(_) | AppError::SearchBusy { .. } => 503,
            AppError::Internal(_) => 500,
        }
    }

    /// The message that may be shown to the user (internal details are hidden).
    pub fn public_message(&self) -> String {
        match self {
            AppError::Internal(_) => {
                "Something went wrong on our side. It has been logged; please try again.".into()
            }
            other => other.to_string(),
        }
    }

    /// Shorthand for an internal error from anything printable.
    pub fn internal(e: impl std::fmt::Display) -> AppError {
        AppError::Internal(e.to_string())
    }
}

/// What a page says while the database cannot be reached (HTTP 503).
pub const DATABASE_UNAVAILABLE: &str = "The database cannot be reached right now, so this page \
     cannot be shown. Search still works: try the search box below, or reload this page in a minute.";

impl AppError {
    /// The database went away (logged with `detail`; the page says what
    /// still works).
    pub fn database_unavailable(detail: impl std::fmt::Display) -> AppError {
        log::warn!("database unavailable: {detail}");
        AppError::Unavailable(DATABASE_UNAVAILABLE.into())
    }
}

impl From<diesel::result::Error> for AppError {
    fn from(e: diesel::result::Error) -> Self {
        use diesel::result::{DatabaseErrorKind, Error};
        match e {
            Error::NotFound => AppError::NotFound("Not found.".into()),
            // The server closed the connection (restart, failover, network):
            // the pool replaces it; the request can be retried.
            Error::DatabaseError(DatabaseErrorKind::ClosedConnection, _) => {
                AppError::database_unavailable(e)
            }
            other => AppError::Internal(format!("database: {other}")),
        }
    }
}

impl From<diesel::r2d2::PoolError> for AppError {
    fn from(e: diesel::r2d2::PoolError) -> Self {
        AppError::database_unavailable(e)
    }
}

impl From<std::io::Error> for AppError {
    fn from(e: std::io::Error) -> Self {
        AppError::Internal(format!("io: {e}"))
    }
}

impl From<tantivy::TantivyError> for AppError {
    fn from(e: tantivy::TantivyError) -> Self {
        AppError::Internal(format!("search index: {e}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn diesel_not_found_is_404_and_internal_is_hidden() {
        assert_eq!(
            AppError::from(diesel::result::Error::NotFound).status(),
            404
        );
        let e = AppError::internal("secret path /etc");
        assert_eq!(e.status(), 500);
        assert!(!e.public_message().contains("/etc"));
    }

    #[test]
    fn a_closed_database_connection_is_503_with_a_way_forward() {
        #[derive(Debug)]
        struct Info;
        impl diesel::result::DatabaseErrorInformation for Info {
            fn message(&self) -> &str {
                "server closed the connection unexpectedly (host db.internal)"
            }
            fn details(&self) -> Option<&str> {
                None
            }
            fn hint(&self) -> Option<&str> {
                None
            }
            fn table_name(&self) -> Option<&str> {
                None
            }
            fn column_name(&self) -> Option<&str> {
                None
            }
            fn constraint_name(&self) -> Option<&str> {
                None
            }
            fn statement_position(&self) -> Option<i32> {
                None
            }
        }
        let e = AppError::from(diesel::result::Error::DatabaseError(
            diesel::result::DatabaseErrorKind::ClosedConnection,
            Box::new(Info),
        ));
        assert_eq!(e.status(), 503);
        assert!(e.public_message().contains("Search still works"));
        assert!(!e.public_message().contains("db.internal"));
    }
}
