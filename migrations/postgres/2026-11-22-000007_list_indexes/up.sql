-- Indexes measured under load: pinned questions and recently solved ones are
-- looked up on every list and home page.
CREATE INDEX questions_pinned ON questions (pinned, deleted_at, created_at DESC);
CREATE INDEX questions_recently_solved ON questions (accepted_at DESC);
CREATE INDEX tree_walks_key_outcome ON tree_walks (outcome, updated_at);
