//! Typed row ids: one newtype per table, so an answer id cannot be passed where
//! a question id belongs. Each id is an `i32` in memory, an `INTEGER` in SQL,
//! a bare number in JSON, forms and URL paths (`web::Path<QuestionId>`), and
//! prints as its number. The database mapping lives in [`id_newtype!`], written
//! once for every backend whose `i32` maps to `Integer` (SQLite, PostgreSQL
//! and the connection over both).
//!
//! An answer id where a question id belongs is refused by the compiler:
//!
//! ```compile_fail
//! use signpost::ids::AnswerId;
//! let url = signpost::paths::question_accept(AnswerId(1));
//! ```
//!
//! ```
//! use signpost::ids::QuestionId;
//! assert_eq!(signpost::paths::question_accept(QuestionId(1)), "/questions/1/accept");
//! ```

use std::fmt;

use diesel::backend::Backend;
use diesel::deserialize::{self, FromSql, FromSqlRow};
use diesel::expression::AsExpression;
use diesel::serialize::{self, Output, ToSql};
use diesel::sql_types::Integer;
use serde::{Deserialize, Serialize};

/// Defines an id newtype over `i32` with its diesel (`Integer`), serde
/// (transparent) and `Display` mappings.
macro_rules! id_newtype {
    ($($(#[$doc:meta])* $name:ident;)+) => {$(
        $(#[$doc])*
        #[derive(
            Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord,
            Serialize, Deserialize, AsExpression, FromSqlRow,
        )]
        #[serde(transparent)]
        #[diesel(sql_type = Integer)]
        pub struct $name(pub i32);

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }

        impl From<$name> for i32 {
            fn from(id: $name) -> i32 {
                id.0
            }
        }

        impl<DB: Backend> ToSql<Integer, DB> for $name
        where
            i32: ToSql<Integer, DB>,
        {
            fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, DB>) -> serialize::Result {
                <i32 as ToSql<Integer, DB>>::to_sql(&self.0, out)
            }
        }

        impl<DB: Backend> FromSql<Integer, DB> for $name
        where
            i32: FromSql<Integer, DB>,
        {
            fn from_sql(value: DB::RawValue<'_>) -> deserialize::Result<Self> {
                <i32 as FromSql<Integer, DB>>::from_sql(value).map($name)
            }
        }
    )+};
}

id_newtype! {
    /// A row of `users`.
    UserId;
    /// A row of `questions`.
    QuestionId;
    /// A row of `answers`.
    AnswerId;
    /// A row of `comments`.
    CommentId;
    /// A row of `articles`.
    ArticleId;
    /// A row of `article_revisions`.
    ArticleRevisionId;
    /// A row of `manuals`.
    ManualId;
    /// A row of `trees`.
    TreeId;
    /// A row of `revisions` (question and answer edits).
    RevisionId;
    /// A row of `flags`.
    FlagId;
    /// A row of `notifications`.
    NotificationId;
    /// A row of `sessions`.
    SessionId;
    /// A row of `drafts`.
    DraftId;
    /// A row of `search_log`.
    SearchLogId;
    /// A row of `feedback`.
    FeedbackId;
    /// A row of `tags`.
    TagId;
    /// A row of `jobs`.
    JobId;
    /// A row of `announcements`.
    AnnouncementId;
    /// A row of `known_issues`.
    KnownIssueId;
    /// A row of `known_issue_updates`.
    KnownIssueUpdateId;
    /// A row of `known_issue_followers`.
    KnownIssueFollowerId;
}

#[cfg(test)]
mod tests {
    use diesel::connection::SimpleConnection;
    use diesel::prelude::*;
    use diesel::sql_types::{Integer, Nullable};
    use diesel::sqlite::SqliteConnection;

    use super::*;

    #[derive(QueryableByName)]
    struct Row {
        #[diesel(sql_type = Integer)]
        id: QuestionId,
        #[diesel(sql_type = Nullable<Integer>)]
        answer: Option<AnswerId>,
    }

    #[test]
    fn an_id_round_trips_through_sqlite() {
        let mut conn = SqliteConnection::establish(":memory:").unwrap();
        conn.batch_execute("CREATE TABLE t (id INTEGER NOT NULL, answer INTEGER)")
            .unwrap();
        diesel::sql_query("INSERT INTO t (id, answer) VALUES (?, ?), (?, ?)")
            .bind::<Integer, _>(QuestionId(7))
            .bind::<Nullable<Integer>, _>(Some(AnswerId(9)))
            .bind::<Integer, _>(QuestionId(8))
            .bind::<Nullable<Integer>, _>(None::<AnswerId>)
            .execute(&mut conn)
            .unwrap();
        let rows: Vec<Row> = diesel::sql_query("SELECT id, answer FROM t ORDER BY id")
            .load(&mut conn)
            .unwrap();
        let read: Vec<_> = rows.iter().map(|r| (r.id, r.answer)).collect();
        assert_eq!(
            read,
            [(QuestionId(7), Some(AnswerId(9))), (QuestionId(8), None)]
        );
    }

    #[test]
    fn an_id_is_a_bare_number_in_json_forms_and_text() {
        assert_eq!(serde_json::to_string(&UserId(42)).unwrap(), "42");
        assert_eq!(serde_json::from_str::<UserId>("42").unwrap(), UserId(42));
        assert!(serde_json::from_str::<UserId>("\"x\"").is_err());
        #[derive(serde::Deserialize)]
        struct Form {
            answer_id: AnswerId,
        }
        let form: Form = serde_json::from_value(serde_json::json!({"answer_id": 5})).unwrap();
        assert_eq!(form.answer_id, AnswerId(5));
        assert_eq!(QuestionId(12).to_string(), "12");
        assert_eq!(format!("/questions/{}", QuestionId(3)), "/questions/3");
        assert_eq!(i32::from(ArticleId(4)), 4);
    }
}
