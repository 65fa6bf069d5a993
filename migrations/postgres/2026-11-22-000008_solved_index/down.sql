DROP INDEX questions_solved;
CREATE INDEX questions_recently_solved ON questions (accepted_at DESC);
