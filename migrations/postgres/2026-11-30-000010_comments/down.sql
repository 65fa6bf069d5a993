ALTER TABLE notifications DROP COLUMN comment_id;
DROP TABLE comments;
