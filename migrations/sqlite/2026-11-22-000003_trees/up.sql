-- Troubleshooting trees (synced from content/troubleshooting) and the walks
-- customers take through them (no personal data: a random key per walk).

CREATE TABLE trees (
    id INTEGER PRIMARY KEY NOT NULL,
    slug TEXT NOT NULL UNIQUE,
    title TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    tags TEXT NOT NULL DEFAULT '',
    -- The parsed tree as JSON (nodes, options, steps left).
    definition TEXT NOT NULL,
    source_path TEXT,
    content_hash TEXT NOT NULL DEFAULT '',
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

CREATE TABLE tree_walks (
    id INTEGER PRIMARY KEY NOT NULL,
    -- SHA-256 of a random per-browser token and the tree: not linkable to a person.
    walk_key TEXT NOT NULL UNIQUE,
    tree_id INTEGER NOT NULL REFERENCES trees (id) ON DELETE CASCADE,
    last_node TEXT NOT NULL,
    steps INTEGER NOT NULL DEFAULT 0,
    -- resolved | escalated; NULL while in progress, "abandoned" once stale.
    outcome TEXT,
    started_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX tree_walks_tree ON tree_walks (tree_id, outcome);
