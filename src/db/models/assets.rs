//! Stored files (images, PDFs, archives) that articles link to: one row per
//! distinct content, found by SHA-256 when storing and by fingerprint when
//! serving.

use diesel::prelude::*;

use crate::db::schema::assets;
use crate::db::Conn;

/// A stored file without its bytes (lists, link checks, dedup look-ups).
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable)]
#[diesel(table_name = assets)]
pub struct AssetHead {
    /// Primary key.
    pub id: i32,
    /// Hex SHA-256 of the bytes.
    pub sha256: String,
    /// The URL segment that changes whenever the content does (a prefix of `sha256`).
    pub fingerprint: String,
    /// File name shown in the URL (lowercase, safe characters only).
    pub name: String,
    /// MIME type, decided from the bytes.
    pub content_type: String,
    /// Length in bytes.
    pub size: i64,
}

impl AssetHead {
    /// The URL the file is served at.
    pub fn url(&self) -> String {
        crate::paths::asset(&self.fingerprint, &self.name)
    }
}

/// A stored file with its bytes (serving).
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = assets)]
pub struct AssetFile {
    /// File name shown in the URL.
    pub name: String,
    /// MIME type.
    pub content_type: String,
    /// The content.
    pub bytes: Vec<u8>,
}

/// Values of a new stored file.
#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = assets)]
pub struct NewAsset<'a> {
    /// Hex SHA-256 of the bytes.
    pub sha256: &'a str,
    /// URL fingerprint.
    pub fingerprint: &'a str,
    /// File name for the URL.
    pub name: &'a str,
    /// MIME type.
    pub content_type: &'a str,
    /// Length in bytes.
    pub size: i64,
    /// The content.
    pub bytes: &'a [u8],
    /// Where it came from (e.g. the imported file's path), for staff.
    pub source: &'a str,
    /// Unix seconds.
    pub created_at: i64,
}

/// The stored file with exactly this content, if any.
pub fn find_by_sha256(conn: &mut Conn, sha256: &str) -> QueryResult<Option<AssetHead>> {
    assets::table
        .filter(assets::sha256.eq(sha256))
        .select(AssetHead::as_select())
        .first(conn)
        .optional()
}

/// The stored file with this fingerprint, if any (without bytes).
pub fn find_by_fingerprint(conn: &mut Conn, fingerprint: &str) -> QueryResult<Option<AssetHead>> {
    assets::table
        .filter(assets::fingerprint.eq(fingerprint))
        .select(AssetHead::as_select())
        .first(conn)
        .optional()
}

/// The file served at `/assets/{fingerprint}/{name}`, bytes included.
pub fn load(conn: &mut Conn, fingerprint: &str, name: &str) -> QueryResult<Option<AssetFile>> {
    assets::table
        .filter(assets::fingerprint.eq(fingerprint))
        .filter(assets::name.eq(name))
        .select(AssetFile::as_select())
        .first(conn)
        .optional()
}

/// Every stored file, without bytes.
pub fn all_heads(conn: &mut Conn) -> QueryResult<Vec<AssetHead>> {
    assets::table
        .order(assets::id.asc())
        .select(AssetHead::as_select())
        .load(conn)
}

/// Stores a new file and returns its head.
pub fn insert(conn: &mut Conn, new: &NewAsset<'_>) -> QueryResult<AssetHead> {
    diesel::insert_into(assets::table)
        .values(new)
        .returning(crate::db::row_columns::<AssetHead>())
        .get_result(conn)
}
