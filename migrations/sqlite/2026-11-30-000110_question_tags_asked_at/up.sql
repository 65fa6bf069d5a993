-- Each tag link carries its question's creation time, so the tag's index
-- (question_tags_tag: tag_id, created_at DESC, question_id DESC) lists a
-- tag's questions newest first: a tagged list starts from the tag's rows.
-- Links made before held the time the tags were set (an edit, an import).
UPDATE question_tags
SET created_at = (SELECT questions.created_at FROM questions WHERE questions.id = question_tags.question_id)
WHERE created_at <> (SELECT questions.created_at FROM questions WHERE questions.id = question_tags.question_id);
