DROP INDEX questions_still_unsolved;
ALTER TABLE questions DROP COLUMN unsolved_at;
ALTER TABLE questions DROP COLUMN nudged_at;
