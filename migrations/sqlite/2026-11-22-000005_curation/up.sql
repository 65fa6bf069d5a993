-- Staff curation: article revisions, browser edits of file-backed articles,
-- articles promoted from questions, customer feedback and search clicks.

-- A browser edit detaches an article from its file; the path is kept so the
-- start-up sync can warn that the file now differs, and staff can re-attach.
ALTER TABLE articles ADD COLUMN detached_path TEXT;
ALTER TABLE articles ADD COLUMN source_question_id INTEGER;

CREATE TABLE article_revisions (
    id INTEGER PRIMARY KEY NOT NULL,
    article_id INTEGER NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
    -- NULL when the revision came from a content file.
    editor_id INTEGER REFERENCES users (id),
    manual_id INTEGER NOT NULL,
    title TEXT NOT NULL,
    weight INTEGER NOT NULL,
    tags TEXT NOT NULL,
    status TEXT NOT NULL,
    outdated_reason TEXT,
    body_md TEXT NOT NULL,
    note TEXT NOT NULL DEFAULT '',
    created_at BIGINT NOT NULL
);
CREATE INDEX article_revisions_article ON article_revisions (article_id, id);

-- "Was this helpful?" One row per visitor and page (visitor_key is a hash
-- of a random cookie, never an address).
CREATE TABLE feedback (
    id INTEGER PRIMARY KEY NOT NULL,
    target_kind TEXT NOT NULL,
    target_id INTEGER NOT NULL,
    node TEXT NOT NULL DEFAULT '',
    visitor_key TEXT NOT NULL,
    user_id INTEGER REFERENCES users (id),
    helpful BOOLEAN NOT NULL,
    comment TEXT,
    created_at BIGINT NOT NULL,
    UNIQUE (target_kind, target_id, node, visitor_key)
);
CREATE INDEX feedback_target ON feedback (target_kind, target_id);

CREATE TABLE search_clicks (
    id INTEGER PRIMARY KEY NOT NULL,
    search_id INTEGER NOT NULL REFERENCES search_log (id) ON DELETE CASCADE,
    url TEXT NOT NULL,
    position INTEGER NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX search_clicks_search ON search_clicks (search_id);
