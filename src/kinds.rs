//! The kinds of things the site stores and searches, as enums with one name
//! each. The name is the same in SQL (`TEXT` columns), in JSON and query
//! strings (serde), in search documents and in URLs; [`kind_enum!`] writes
//! every mapping once (the database one for every backend).
//!
//! - [`PostKind`]: a community post (`question`, `answer`): votes, flags,
//!   revisions and the importer's id map.
//! - [`FlagKind`]: what a member can flag for staff: a post or a comment.
//! - [`DocKind`]: something search finds and readers rate (`article`, `step`,
//!   `question`): search documents and filters, the search outbox, feedback.
//!   A troubleshooting tree is searched step by step, so its outbox entries
//!   are `step` too; older databases wrote `tree`, which a migration rewrites
//!   and which is still read as [`DocKind::Step`].

use std::fmt;
use std::str::FromStr;

use diesel::backend::Backend;
use diesel::deserialize::{self, FromSql, FromSqlRow};
use diesel::expression::AsExpression;
use diesel::serialize::{self, Output, ToSql};
use diesel::sql_types::Text;
use serde::{Deserialize, Serialize};

/// The name of a kind that was not one of the known names.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown {what} {name:?}")]
pub struct UnknownKind {
    /// Which enum was parsed (`post kind`, `document kind`).
    pub what: &'static str,
    /// The text that did not match.
    pub name: String,
}

/// Defines a kind enum: its names (`as_str`, `FromStr`, `Display`, serde) and
/// its diesel `Text` mapping. Names after `legacy` are accepted when reading
/// the database only.
macro_rules! kind_enum {
    (
        $(#[$doc:meta])* $name:ident, $what:literal {
            $($(#[$vdoc:meta])* $variant:ident = $text:literal $(legacy $old:literal)?,)+
        }
    ) => {
        $(#[$doc])*
        #[derive(
            Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord,
            Serialize, Deserialize, AsExpression, FromSqlRow,
        )]
        #[serde(rename_all = "lowercase")]
        #[diesel(sql_type = Text)]
        pub enum $name {
            $($(#[$vdoc])* $variant,)+
        }

        impl $name {
            /// Every kind, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The one name of this kind (SQL, JSON, query strings, search).
            pub const fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text,)+
                }
            }

            /// Reads a stored name, accepting the legacy spellings too.
            pub fn from_stored(name: &str) -> Result<Self, UnknownKind> {
                match name {
                    $($($old => Ok($name::$variant),)?)+
                    other => other.parse(),
                }
            }
        }

        impl FromStr for $name {
            type Err = UnknownKind;

            fn from_str(name: &str) -> Result<Self, UnknownKind> {
                match name {
                    $($text => Ok($name::$variant),)+
                    other => Err(UnknownKind { what: $what, name: other.to_string() }),
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl<DB: Backend> ToSql<Text, DB> for $name
        where
            str: ToSql<Text, DB>,
        {
            fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, DB>) -> serialize::Result {
                <str as ToSql<Text, DB>>::to_sql(self.as_str(), out)
            }
        }

        impl<DB: Backend> FromSql<Text, DB> for $name
        where
            String: FromSql<Text, DB>,
        {
            fn from_sql(value: DB::RawValue<'_>) -> deserialize::Result<Self> {
                let text = <String as FromSql<Text, DB>>::from_sql(value)?;
                Ok(Self::from_stored(&text)?)
            }
        }
    };
}

kind_enum! {
    /// A community post.
    PostKind, "post kind" {
        /// A question (`questions` row).
        Question = "question",
        /// An answer (`answers` row).
        Answer = "answer",
    }
}

kind_enum! {
    /// Something a member can flag for staff.
    FlagKind, "flag kind" {
        /// A question (`questions` row).
        Question = "question",
        /// An answer (`answers` row).
        Answer = "answer",
        /// A comment (`comments` row).
        Comment = "comment",
    }
}

impl From<PostKind> for FlagKind {
    fn from(kind: PostKind) -> FlagKind {
        match kind {
            PostKind::Question => FlagKind::Question,
            PostKind::Answer => FlagKind::Answer,
        }
    }
}

kind_enum! {
    /// Something search finds and readers rate.
    DocKind, "document kind" {
        /// A manual article (`articles` row).
        Article = "article",
        /// A troubleshooting step; in the outbox, every step of a `trees` row.
        Step = "step" legacy "tree",
        /// A question with its accepted answer (`questions` row).
        Question = "question",
    }
}

kind_enum! {
    /// How serious a site-wide announcement is (the banner's colour).
    Severity, "announcement severity" {
        /// News: a planned change, a new feature.
        Info = "info",
        /// Something customers should act on or plan around.
        Warning = "warning",
        /// Part of the service is down.
        Outage = "outage",
    }
}

#[cfg(test)]
mod tests {
    use diesel::connection::SimpleConnection;
    use diesel::prelude::*;
    use diesel::sql_types::Text;
    use diesel::sqlite::SqliteConnection;

    use super::*;

    #[derive(QueryableByName)]
    struct Row {
        #[diesel(sql_type = Text)]
        doc: DocKind,
        #[diesel(sql_type = Text)]
        post: PostKind,
    }

    fn memory() -> SqliteConnection {
        let mut conn = SqliteConnection::establish(":memory:").unwrap();
        conn.batch_execute("CREATE TABLE t (n INTEGER, doc TEXT NOT NULL, post TEXT NOT NULL)")
            .unwrap();
        conn
    }

    #[test]
    fn every_kind_round_trips_through_its_name() {
        for kind in DocKind::ALL {
            assert_eq!(kind.as_str().parse::<DocKind>(), Ok(*kind));
            assert_eq!(kind.to_string(), kind.as_str());
            let json = serde_json::to_string(kind).unwrap();
            assert_eq!(json, format!("\"{}\"", kind.as_str()));
            assert_eq!(serde_json::from_str::<DocKind>(&json).unwrap(), *kind);
        }
        for kind in PostKind::ALL {
            assert_eq!(kind.as_str().parse::<PostKind>(), Ok(*kind));
            let json = serde_json::to_string(kind).unwrap();
            assert_eq!(json, format!("\"{}\"", kind.as_str()));
            assert_eq!(serde_json::from_str::<PostKind>(&json).unwrap(), *kind);
        }
        let names: Vec<_> = DocKind::ALL.iter().map(|k| k.as_str()).collect();
        assert_eq!(names, ["article", "step", "question"]);
        let names: Vec<_> = PostKind::ALL.iter().map(|k| k.as_str()).collect();
        assert_eq!(names, ["question", "answer"]);
        for kind in PostKind::ALL {
            assert_eq!(FlagKind::from(*kind).as_str(), kind.as_str());
        }
        let names: Vec<_> = FlagKind::ALL.iter().map(|k| k.as_str()).collect();
        assert_eq!(names, ["question", "answer", "comment"]);
    }

    #[test]
    fn unknown_and_legacy_names_are_refused_outside_the_database() {
        let err = "tree".parse::<DocKind>().unwrap_err();
        assert_eq!(err.to_string(), "unknown document kind \"tree\"");
        assert!("Question".parse::<PostKind>().is_err());
        assert!("".parse::<DocKind>().is_err());
        assert!(serde_json::from_str::<DocKind>("\"tree\"").is_err());
    }

    #[test]
    fn kinds_round_trip_through_sqlite_and_the_legacy_name_reads_as_step() {
        let mut conn = memory();
        for (n, (doc, post)) in [
            (DocKind::Article, PostKind::Question),
            (DocKind::Step, PostKind::Answer),
            (DocKind::Question, PostKind::Question),
        ]
        .into_iter()
        .enumerate()
        {
            diesel::sql_query("INSERT INTO t (n, doc, post) VALUES (?, ?, ?)")
                .bind::<diesel::sql_types::Integer, _>(n as i32)
                .bind::<Text, _>(doc)
                .bind::<Text, _>(post)
                .execute(&mut conn)
                .unwrap();
        }
        conn.batch_execute("INSERT INTO t (n, doc, post) VALUES (9, 'tree', 'answer')")
            .unwrap();
        let rows: Vec<Row> = diesel::sql_query("SELECT doc, post FROM t ORDER BY n")
            .load(&mut conn)
            .unwrap();
        let read: Vec<_> = rows.iter().map(|r| (r.doc, r.post)).collect();
        assert_eq!(
            read,
            [
                (DocKind::Article, PostKind::Question),
                (DocKind::Step, PostKind::Answer),
                (DocKind::Question, PostKind::Question),
                (DocKind::Step, PostKind::Answer),
            ]
        );
        let stored: Vec<String> = diesel::sql_query("SELECT doc AS name FROM t ORDER BY n LIMIT 3")
            .load::<Name>(&mut conn)
            .unwrap()
            .into_iter()
            .map(|n| n.name)
            .collect();
        assert_eq!(stored, ["article", "step", "question"]);
    }

    #[derive(QueryableByName)]
    struct Name {
        #[diesel(sql_type = Text)]
        name: String,
    }

    #[test]
    fn an_unknown_stored_name_is_an_error_not_a_panic() {
        let mut conn = memory();
        conn.batch_execute("INSERT INTO t (n, doc, post) VALUES (1, 'manual', 'question')")
            .unwrap();
        let err = diesel::sql_query("SELECT doc, post FROM t")
            .load::<Row>(&mut conn)
            .err()
            .unwrap();
        assert!(err.to_string().contains("unknown document kind"), "{err}");
    }
}
