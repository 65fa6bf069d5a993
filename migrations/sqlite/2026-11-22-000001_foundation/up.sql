-- Manuals, articles, the search outbox and the search log.
-- Timestamps are unix seconds (BIGINT) so the same schema works on PostgreSQL.

CREATE TABLE manuals (
    id INTEGER PRIMARY KEY NOT NULL,
    slug TEXT NOT NULL UNIQUE,
    title TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    intro_html TEXT NOT NULL DEFAULT '',
    weight INTEGER NOT NULL DEFAULT 0,
    source_path TEXT,
    content_hash TEXT NOT NULL DEFAULT '',
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

CREATE TABLE articles (
    id INTEGER PRIMARY KEY NOT NULL,
    manual_id INTEGER NOT NULL REFERENCES manuals (id) ON DELETE CASCADE,
    slug TEXT NOT NULL,
    title TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    tags TEXT NOT NULL DEFAULT '',
    weight INTEGER NOT NULL DEFAULT 0,
    body_md TEXT NOT NULL,
    body_html TEXT NOT NULL,
    body_text TEXT NOT NULL,
    toc_json TEXT NOT NULL DEFAULT '[]',
    outdated_reason TEXT,
    status TEXT NOT NULL DEFAULT 'published',
    source_path TEXT,
    content_hash TEXT NOT NULL DEFAULT '',
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    UNIQUE (manual_id, slug)
);
CREATE INDEX articles_manual_order ON articles (manual_id, weight, title);

-- Every change that affects search writes a row here in the same transaction.
-- The indexer applies rows in id order and records the last applied id in the
-- search index's commit payload.
CREATE TABLE search_outbox (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    doc_kind TEXT NOT NULL,
    doc_id INTEGER NOT NULL,
    created_at BIGINT NOT NULL
);

CREATE TABLE search_log (
    id INTEGER PRIMARY KEY NOT NULL,
    query TEXT NOT NULL,
    kind TEXT,
    result_count INTEGER NOT NULL,
    took_us BIGINT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX search_log_created ON search_log (created_at);
