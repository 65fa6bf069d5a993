DROP INDEX tree_walks_key_outcome;
DROP INDEX questions_recently_solved;
DROP INDEX questions_pinned;
