-- Files that articles link to or show (images, PDFs, archives), stored in the
-- database so a backup of it is a backup of the whole site. One row per
-- distinct content (deduplicated by SHA-256), served at
-- /assets/{fingerprint}/{name} with a year-long immutable cache header.
CREATE TABLE assets (
    id INTEGER PRIMARY KEY NOT NULL,
    sha256 TEXT NOT NULL UNIQUE,
    fingerprint TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    content_type TEXT NOT NULL,
    size BIGINT NOT NULL,
    bytes BLOB NOT NULL,
    source TEXT NOT NULL DEFAULT '',
    created_at BIGINT NOT NULL
);
