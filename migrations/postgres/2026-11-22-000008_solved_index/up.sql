-- "Recently solved" filters on deleted_at and sorts by accepted_at: one
-- index for both, or the planner sorts every visible question.
DROP INDEX questions_recently_solved;
CREATE INDEX questions_solved ON questions (deleted_at, accepted_at DESC);
