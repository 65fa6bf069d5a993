-- Short clarifying comments under a question or an answer. question_id is
-- the thread (set for comments on answers too, so a page loads its comments
-- in one query); answer_id is NULL for a comment on the question itself.
-- Deleting is soft: deleted_at hides the comment from everyone but staff.
CREATE TABLE comments (
    id INTEGER PRIMARY KEY NOT NULL,
    question_id INTEGER NOT NULL REFERENCES questions (id),
    answer_id INTEGER REFERENCES answers (id),
    author_id INTEGER NOT NULL REFERENCES users (id),
    body_md TEXT NOT NULL,
    body_html TEXT NOT NULL,
    body_text TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    edited_at BIGINT,
    deleted_at BIGINT,
    deleted_by INTEGER REFERENCES users (id)
);
CREATE INDEX comments_question ON comments (question_id, id);
CREATE INDEX comments_author ON comments (author_id);

-- A notification about a comment links to its anchor (no foreign key, like
-- answer_id: a notification outlives what it points to).
ALTER TABLE notifications ADD COLUMN comment_id INTEGER;
