-- "Was your question solved?": when the asker was asked (once per question,
-- whichever node runs the job), and when they answered "still not solved"
-- (the question then leads the staff dashboard's waiting list).
ALTER TABLE questions ADD COLUMN nudged_at BIGINT;
ALTER TABLE questions ADD COLUMN unsolved_at BIGINT;
-- The dashboard's "said not solved" list: visible ones, newest answer first
-- (`deleted_at` leads, as in every list index).
CREATE INDEX questions_still_unsolved ON questions (deleted_at, unsolved_at DESC);
