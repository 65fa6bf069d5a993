-- Who follows what: a question or a tag (exactly one of question_id and
-- tag_id is set). following = FALSE remembers an explicit unfollow, so that
-- a later answer or comment by the same person does not follow the question
-- again on its own; following it by hand sets it back to TRUE.
CREATE TABLE follows (
    id INTEGER PRIMARY KEY NOT NULL,
    user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    question_id INTEGER REFERENCES questions (id) ON DELETE CASCADE,
    tag_id INTEGER REFERENCES tags (id) ON DELETE CASCADE,
    following BOOLEAN NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    CHECK ((question_id IS NULL) <> (tag_id IS NULL))
);
CREATE UNIQUE INDEX follows_user_question ON follows (user_id, question_id);
-- Existing questions: their askers and answerers follow them, as new ones do.
INSERT INTO follows (user_id, question_id, following, created_at, updated_at)
SELECT author_id, id, TRUE, created_at, created_at FROM questions;
INSERT INTO follows (user_id, question_id, following, created_at, updated_at)
SELECT a.author_id, a.question_id, TRUE, MIN(a.created_at), MIN(a.created_at)
FROM answers a
WHERE NOT EXISTS (
    SELECT 1 FROM follows f WHERE f.user_id = a.author_id AND f.question_id = a.question_id
)
GROUP BY a.author_id, a.question_id;
-- The other indexes after the rows: building them once is faster.
CREATE UNIQUE INDEX follows_user_tag ON follows (user_id, tag_id);
CREATE INDEX follows_question ON follows (question_id);
CREATE INDEX follows_tag ON follows (tag_id);
