-- The community Q&A board.

CREATE TABLE questions (
    id INTEGER PRIMARY KEY NOT NULL,
    author_id INTEGER NOT NULL REFERENCES users (id),
    title TEXT NOT NULL,
    slug TEXT NOT NULL,
    body_md TEXT NOT NULL,
    body_html TEXT NOT NULL,
    body_text TEXT NOT NULL,
    tags TEXT NOT NULL DEFAULT '',
    score INTEGER NOT NULL DEFAULT 0,
    answer_count INTEGER NOT NULL DEFAULT 0,
    accepted_answer_id INTEGER,
    accepted_by INTEGER REFERENCES users (id),
    accepted_at BIGINT,
    closed_reason TEXT,
    duplicate_of INTEGER,
    closed_by INTEGER REFERENCES users (id),
    closed_at BIGINT,
    locked BOOLEAN NOT NULL DEFAULT 0,
    pinned BOOLEAN NOT NULL DEFAULT 0,
    deleted_at BIGINT,
    deleted_by INTEGER REFERENCES users (id),
    article_id INTEGER,
    submit_key TEXT UNIQUE,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    last_activity_at BIGINT NOT NULL
);
-- Keyset pagination: every tab walks one of these indexes.
CREATE INDEX questions_newest ON questions (deleted_at, created_at DESC, id DESC);
CREATE INDEX questions_active ON questions (deleted_at, last_activity_at DESC, id DESC);
CREATE INDEX questions_top ON questions (deleted_at, score DESC, id DESC);
CREATE INDEX questions_unanswered ON questions (deleted_at, answer_count, created_at DESC, id DESC);
CREATE INDEX questions_unsolved ON questions (deleted_at, accepted_answer_id, created_at DESC, id DESC);
CREATE INDEX questions_author ON questions (author_id);

CREATE TABLE answers (
    id INTEGER PRIMARY KEY NOT NULL,
    question_id INTEGER NOT NULL REFERENCES questions (id),
    author_id INTEGER NOT NULL REFERENCES users (id),
    body_md TEXT NOT NULL,
    body_html TEXT NOT NULL,
    body_text TEXT NOT NULL,
    score INTEGER NOT NULL DEFAULT 0,
    deleted_at BIGINT,
    deleted_by INTEGER REFERENCES users (id),
    submit_key TEXT UNIQUE,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX answers_question ON answers (question_id, score DESC, id);
CREATE INDEX answers_author ON answers (author_id);

CREATE TABLE tags (
    id INTEGER PRIMARY KEY NOT NULL,
    name TEXT NOT NULL UNIQUE,
    question_count INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE question_tags (
    question_id INTEGER NOT NULL REFERENCES questions (id),
    tag_id INTEGER NOT NULL REFERENCES tags (id),
    created_at BIGINT NOT NULL,
    PRIMARY KEY (question_id, tag_id)
);
CREATE INDEX question_tags_tag ON question_tags (tag_id, created_at DESC, question_id DESC);

-- post_kind is 'question' or 'answer'.
CREATE TABLE votes (
    id INTEGER PRIMARY KEY NOT NULL,
    user_id INTEGER NOT NULL REFERENCES users (id),
    post_kind TEXT NOT NULL,
    post_id INTEGER NOT NULL,
    value INTEGER NOT NULL,
    created_at BIGINT NOT NULL,
    UNIQUE (user_id, post_kind, post_id)
);

CREATE TABLE revisions (
    id INTEGER PRIMARY KEY NOT NULL,
    post_kind TEXT NOT NULL,
    post_id INTEGER NOT NULL,
    editor_id INTEGER NOT NULL REFERENCES users (id),
    title TEXT,
    body_md TEXT NOT NULL,
    tags TEXT,
    note TEXT NOT NULL DEFAULT '',
    created_at BIGINT NOT NULL
);
CREATE INDEX revisions_post ON revisions (post_kind, post_id, id);

CREATE TABLE notifications (
    id INTEGER PRIMARY KEY NOT NULL,
    user_id INTEGER NOT NULL REFERENCES users (id),
    kind TEXT NOT NULL,
    question_id INTEGER NOT NULL,
    answer_id INTEGER,
    actor_id INTEGER REFERENCES users (id),
    created_at BIGINT NOT NULL,
    read_at BIGINT
);
CREATE INDEX notifications_user ON notifications (user_id, read_at, id DESC);

CREATE TABLE flags (
    id INTEGER PRIMARY KEY NOT NULL,
    post_kind TEXT NOT NULL,
    post_id INTEGER NOT NULL,
    reporter_id INTEGER NOT NULL REFERENCES users (id),
    reason TEXT NOT NULL,
    details TEXT NOT NULL DEFAULT '',
    status TEXT NOT NULL DEFAULT 'open',
    resolved_by INTEGER REFERENCES users (id),
    resolved_at BIGINT,
    created_at BIGINT NOT NULL
);
CREATE INDEX flags_status ON flags (status, id);
