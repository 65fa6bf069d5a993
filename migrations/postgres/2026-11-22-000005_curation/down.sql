DROP TABLE search_clicks;
DROP TABLE feedback;
DROP TABLE article_revisions;
ALTER TABLE articles DROP COLUMN source_question_id;
ALTER TABLE articles DROP COLUMN detached_path;
