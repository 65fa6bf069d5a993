-- The former times of the links are not kept: nothing to undo.
SELECT 1;
