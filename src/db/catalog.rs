//! What a database holds, read from its own catalog (SQLite's pragmas,
//! PostgreSQL's `information_schema` and `pg_index`) and written in one form
//! for both backends, so their schemas can be compared: tables, columns in
//! order with type, nullability and default, primary keys, indexes (explicit
//! ones by name, those of `UNIQUE` constraints by their columns) and
//! foreign keys. Diesel's own `__diesel_schema_migrations` is left out.

use std::collections::{BTreeMap, BTreeSet};

use diesel::prelude::*;
use diesel::sql_types::{Bool, Integer, Nullable, Text};

use crate::db::Conn;

/// Every table of a database, by name.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Schema {
    /// Tables by name.
    pub tables: BTreeMap<String, Table>,
}

/// One table.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Table {
    /// Columns in their order in the table.
    pub columns: Vec<Column>,
    /// Columns of the primary key, in key order.
    pub primary_key: Vec<String>,
    /// Indexes other than the primary key's.
    pub indexes: BTreeSet<Index>,
    /// References to other tables.
    pub foreign_keys: BTreeSet<ForeignKey>,
}

/// One column.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Column {
    /// Its name.
    pub name: String,
    /// Its type, as diesel's SQL type name (`Integer`, `BigInt`, `Text`,
    /// `Bool`, `Binary`) or the database's own name for anything else.
    pub sql_type: String,
    /// Whether it may be NULL.
    pub nullable: bool,
    /// Its default as a plain literal (`0`, `'open'`, `false`), if any.
    pub default: Option<String>,
}

/// One index.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Index {
    /// Its name; `None` for the index of a `UNIQUE` constraint, whose name
    /// each backend makes up.
    pub name: Option<String>,
    /// Its key columns in order, `DESC` when descending (`created_at DESC`).
    pub columns: Vec<String>,
    /// Whether it is unique.
    pub unique: bool,
    /// Whether it covers only the rows of a `WHERE` condition (a partial
    /// index, e.g. one verified address per account).
    pub partial: bool,
}

/// A column that references another table.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct ForeignKey {
    /// The referencing column.
    pub column: String,
    /// The referenced table.
    pub table: String,
    /// The referenced column.
    pub references: String,
    /// What deleting the referenced row does (`CASCADE`, `NO ACTION`).
    pub on_delete: String,
}

/// A foreign key as both backends' catalog queries name its parts.
#[derive(QueryableByName)]
struct ForeignRow {
    #[diesel(sql_type = Text)]
    from_column: String,
    #[diesel(sql_type = Text)]
    to_table: String,
    #[diesel(sql_type = Text)]
    to_column: String,
    #[diesel(sql_type = Text)]
    on_delete: String,
}

impl From<ForeignRow> for ForeignKey {
    fn from(row: ForeignRow) -> ForeignKey {
        ForeignKey {
            column: row.from_column,
            table: row.to_table,
            references: row.to_column,
            on_delete: row.on_delete.to_ascii_uppercase(),
        }
    }
}

/// A table name from either backend's catalog.
#[derive(QueryableByName)]
struct TableName {
    #[diesel(sql_type = Text)]
    name: String,
}

/// Reads the schema of the database behind `conn`.
pub fn describe(conn: &mut Conn) -> QueryResult<Schema> {
    let names = match conn {
        Conn::Sqlite(conn) => sqlite::table_names(conn)?,
        Conn::Postgres(conn) => postgres::table_names(conn)?,
    };
    let mut schema = Schema::default();
    for TableName { name } in names {
        let table = match conn {
            Conn::Sqlite(conn) => sqlite::describe_table(conn, &name)?,
            Conn::Postgres(conn) => postgres::describe_table(conn, &name)?,
        };
        schema.tables.insert(name, table);
    }
    Ok(schema)
}

impl Column {
    /// A column as a catalog lists it: its declared type and default are
    /// written the same way for both backends.
    fn read(name: String, declared: &str, nullable: bool, default: Option<String>) -> Column {
        let sql_type = type_name(declared);
        Column {
            default: plain_default(default, &sql_type),
            name,
            nullable,
            sql_type,
        }
    }
}

/// Diesel's SQL type name for a declared column type, as either backend
/// spells it.
fn type_name(declared: &str) -> String {
    match declared.to_ascii_lowercase().as_str() {
        "integer" | "int" | "int4" => "Integer".into(),
        "bigint" | "int8" => "BigInt".into(),
        "text" => "Text".into(),
        "boolean" | "bool" => "Bool".into(),
        "blob" | "bytea" => "Binary".into(),
        other => other.to_string(),
    }
}

/// A default as a plain literal: PostgreSQL's casts (`'open'::text`) are
/// dropped, and SQLite's `0`/`1` for a boolean read as `false`/`true`.
fn plain_default(default: Option<String>, sql_type: &str) -> Option<String> {
    let mut text = default?.trim().to_string();
    while let Some(at) = text.rfind("::") {
        if text[at + 2..]
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == ' ' || c == '_')
        {
            text.truncate(at);
        } else {
            break;
        }
    }
    if sql_type == "Bool" {
        match text.as_str() {
            "0" => return Some("false".into()),
            "1" => return Some("true".into()),
            _ => {}
        }
    }
    Some(text)
}

mod sqlite {
    use super::*;
    use diesel::sqlite::SqliteConnection;

    #[derive(QueryableByName)]
    struct ColumnRow {
        #[diesel(sql_type = Text)]
        name: String,
        #[diesel(sql_type = Text)]
        declared: String,
        #[diesel(sql_type = Bool)]
        notnull: bool,
        #[diesel(sql_type = Nullable<Text>)]
        dflt_value: Option<String>,
        #[diesel(sql_type = Integer)]
        pk: i32,
    }

    #[derive(QueryableByName)]
    struct IndexRow {
        #[diesel(sql_type = Text)]
        name: String,
        #[diesel(sql_type = Bool)]
        is_unique: bool,
        #[diesel(sql_type = Text)]
        origin: String,
        #[diesel(sql_type = Bool)]
        is_partial: bool,
    }

    #[derive(QueryableByName)]
    struct IndexColumn {
        #[diesel(sql_type = Text)]
        name: String,
        #[diesel(sql_type = Bool)]
        descending: bool,
    }

    pub(super) fn table_names(conn: &mut SqliteConnection) -> QueryResult<Vec<TableName>> {
        diesel::sql_query(
            "SELECT name FROM sqlite_master WHERE type = 'table' \
             AND name NOT LIKE 'sqlite_%' AND name <> '__diesel_schema_migrations' ORDER BY name",
        )
        .load(conn)
    }

    pub(super) fn describe_table(conn: &mut SqliteConnection, table: &str) -> QueryResult<Table> {
        let rows: Vec<ColumnRow> = diesel::sql_query(
            "SELECT name, type AS declared, \"notnull\", dflt_value, pk \
             FROM pragma_table_info(?) ORDER BY cid",
        )
        .bind::<Text, _>(table)
        .load(conn)?;
        let mut keyed: Vec<(i32, String)> = rows
            .iter()
            .filter(|r| r.pk > 0)
            .map(|r| (r.pk, r.name.clone()))
            .collect();
        keyed.sort();
        let columns = rows
            .into_iter()
            .map(|r| Column::read(r.name, &r.declared, !r.notnull, r.dflt_value))
            .collect();
        let mut indexes = BTreeSet::new();
        let listed: Vec<IndexRow> = diesel::sql_query(
            "SELECT name, \"unique\" AS is_unique, origin, partial AS is_partial \
             FROM pragma_index_list(?)",
        )
        .bind::<Text, _>(table)
        .load(conn)?;
        for index in listed.into_iter().filter(|i| i.origin != "pk") {
            let columns: Vec<IndexColumn> = diesel::sql_query(
                "SELECT name, \"desc\" AS descending FROM pragma_index_xinfo(?) \
                 WHERE key = 1 ORDER BY seqno",
            )
            .bind::<Text, _>(&index.name)
            .load(conn)?;
            indexes.insert(Index {
                name: (index.origin == "c").then_some(index.name),
                columns: columns
                    .into_iter()
                    .map(|c| {
                        if c.descending {
                            format!("{} DESC", c.name)
                        } else {
                            c.name
                        }
                    })
                    .collect(),
                unique: index.is_unique,
                partial: index.is_partial,
            });
        }
        let foreign: Vec<ForeignRow> = diesel::sql_query(
            "SELECT \"from\" AS from_column, \"table\" AS to_table, \"to\" AS to_column, on_delete \
             FROM pragma_foreign_key_list(?)",
        )
        .bind::<Text, _>(table)
        .load(conn)?;
        Ok(Table {
            columns,
            primary_key: keyed.into_iter().map(|(_, name)| name).collect(),
            indexes,
            foreign_keys: foreign.into_iter().map(ForeignKey::from).collect(),
        })
    }
}

mod postgres {
    use super::*;
    use diesel::pg::PgConnection;

    #[derive(QueryableByName)]
    struct ColumnRow {
        #[diesel(sql_type = Text)]
        column_name: String,
        #[diesel(sql_type = Text)]
        data_type: String,
        #[diesel(sql_type = Text)]
        is_nullable: String,
        #[diesel(sql_type = Nullable<Text>)]
        column_default: Option<String>,
    }

    #[derive(QueryableByName)]
    struct IndexRow {
        #[diesel(sql_type = Text)]
        name: String,
        #[diesel(sql_type = Bool)]
        is_unique: bool,
        #[diesel(sql_type = Bool)]
        is_primary: bool,
        #[diesel(sql_type = Bool)]
        from_constraint: bool,
        #[diesel(sql_type = Text)]
        definition: String,
        #[diesel(sql_type = Bool)]
        is_partial: bool,
    }

    pub(super) fn table_names(conn: &mut PgConnection) -> QueryResult<Vec<TableName>> {
        diesel::sql_query(
            "SELECT table_name::text AS name FROM information_schema.tables \
             WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' \
             AND table_name <> '__diesel_schema_migrations' ORDER BY table_name",
        )
        .load(conn)
    }

    /// The key columns of an index, from `pg_get_indexdef`'s
    /// `… USING btree (a, b DESC)` (a partial index's ` WHERE …` left out).
    fn index_columns(definition: &str) -> Vec<String> {
        let Some(using) = definition.find(" USING ") else {
            return Vec::new();
        };
        let rest = &definition[using..];
        let rest = rest.find(") WHERE ").map_or(rest, |end| &rest[..=end]);
        let (Some(open), Some(close)) = (rest.find('('), rest.rfind(')')) else {
            return Vec::new();
        };
        rest[open + 1..close]
            .split(", ")
            .map(|c| c.trim().trim_matches('"').to_string())
            .collect()
    }

    pub(super) fn describe_table(conn: &mut PgConnection, table: &str) -> QueryResult<Table> {
        let rows: Vec<ColumnRow> = diesel::sql_query(
            "SELECT column_name::text AS column_name, data_type::text AS data_type, \
             is_nullable::text AS is_nullable, column_default::text AS column_default \
             FROM information_schema.columns \
             WHERE table_schema = current_schema() AND table_name = $1 ORDER BY ordinal_position",
        )
        .bind::<Text, _>(table)
        .load(conn)?;
        let columns = rows
            .into_iter()
            .map(|r| {
                Column::read(
                    r.column_name,
                    &r.data_type,
                    r.is_nullable == "YES",
                    r.column_default,
                )
            })
            .collect();
        let listed: Vec<IndexRow> = diesel::sql_query(
            "SELECT ic.relname::text AS name, ix.indisunique AS is_unique, \
             ix.indisprimary AS is_primary, \
             EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = ix.indexrelid AND c.contype = 'u') \
                 AS from_constraint, \
             pg_get_indexdef(ix.indexrelid) AS definition, \
             ix.indpred IS NOT NULL AS is_partial \
             FROM pg_index ix \
             JOIN pg_class ic ON ic.oid = ix.indexrelid \
             JOIN pg_class t ON t.oid = ix.indrelid \
             WHERE t.relname = $1 AND t.relnamespace = current_schema()::regnamespace",
        )
        .bind::<Text, _>(table)
        .load(conn)?;
        let mut primary_key = Vec::new();
        let mut indexes = BTreeSet::new();
        for index in listed {
            let columns = index_columns(&index.definition);
            if index.is_primary {
                primary_key = columns;
                continue;
            }
            indexes.insert(Index {
                name: (!index.from_constraint).then_some(index.name),
                columns,
                unique: index.is_unique,
                partial: index.is_partial,
            });
        }
        let foreign: Vec<ForeignRow> = diesel::sql_query(
            "SELECT kcu.column_name::text AS from_column, ccu.table_name::text AS to_table, \
             ccu.column_name::text AS to_column, rc.delete_rule::text AS on_delete \
             FROM information_schema.referential_constraints rc \
             JOIN information_schema.key_column_usage kcu \
               ON kcu.constraint_name = rc.constraint_name AND kcu.constraint_schema = rc.constraint_schema \
             JOIN information_schema.constraint_column_usage ccu \
               ON ccu.constraint_name = rc.constraint_name AND ccu.constraint_schema = rc.constraint_schema \
             WHERE rc.constraint_schema = current_schema() AND kcu.table_name = $1",
        )
        .bind::<Text, _>(table)
        .load(conn)?;
        Ok(Table {
            columns,
            primary_key,
            indexes,
            foreign_keys: foreign.into_iter().map(ForeignKey::from).collect(),
        })
    }

    #[cfg(test)]
    mod tests {
        #[test]
        fn index_columns_are_read_from_the_definition() {
            assert_eq!(
                super::index_columns(
                    "CREATE INDEX q ON public.questions USING btree (deleted_at, created_at DESC, id DESC)"
                ),
                ["deleted_at", "created_at DESC", "id DESC"]
            );
            assert_eq!(
                super::index_columns(
                    "CREATE UNIQUE INDEX m ON public.user_mail USING btree (address_key) WHERE (verified_at IS NOT NULL)"
                ),
                ["address_key"]
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_read_the_same_on_both_backends() {
        assert_eq!(
            plain_default(Some("'open'::text".into()), "Text"),
            plain_default(Some("'open'".into()), "Text")
        );
        assert_eq!(
            plain_default(Some("0".into()), "Bool"),
            Some("false".into())
        );
        assert_eq!(
            plain_default(Some("'[]'::character varying".into()), "Text"),
            Some("'[]'".into())
        );
        assert_eq!(plain_default(None, "Text"), None);
    }

    #[test]
    fn a_migrated_sqlite_database_describes_itself() {
        let dir = tempfile::tempdir().unwrap();
        let db = crate::config::Database::Sqlite(dir.path().join("s.db"));
        let pool = crate::db::open(&db, crate::config::PoolSettings::sized(1)).unwrap();
        let schema = describe(&mut pool.get().unwrap()).unwrap();
        let questions = &schema.tables["questions"];
        assert_eq!(questions.primary_key, ["id"]);
        let accepted = questions
            .columns
            .iter()
            .find(|c| c.name == "accepted_answer_id")
            .unwrap();
        assert!(accepted.nullable);
        assert_eq!(accepted.sql_type, "Integer");
        let locked = questions
            .columns
            .iter()
            .find(|c| c.name == "locked")
            .unwrap();
        assert_eq!(
            (locked.sql_type.as_str(), locked.default.as_deref()),
            ("Bool", Some("false"))
        );
        assert!(questions.indexes.contains(&Index {
            name: Some("questions_newest".into()),
            columns: vec![
                "deleted_at".into(),
                "created_at DESC".into(),
                "id DESC".into()
            ],
            unique: false,
            partial: false,
        }));
        assert!(questions.indexes.contains(&Index {
            name: None,
            columns: vec!["submit_key".into()],
            unique: true,
            partial: false,
        }));
        assert!(schema.tables["user_mail"].indexes.contains(&Index {
            name: Some("user_mail_verified_address".into()),
            columns: vec!["address_key".into()],
            unique: true,
            partial: true,
        }));
        assert_eq!(
            schema.tables["question_tags"].primary_key,
            ["question_id", "tag_id"]
        );
        assert!(schema.tables["sessions"]
            .foreign_keys
            .contains(&ForeignKey {
                column: "user_id".into(),
                table: "users".into(),
                references: "id".into(),
                on_delete: "CASCADE".into(),
            }));
        assert!(!schema.tables.contains_key("__diesel_schema_migrations"));
    }
}
