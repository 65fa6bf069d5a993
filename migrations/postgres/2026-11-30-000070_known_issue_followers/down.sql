DELETE FROM notifications WHERE question_id IS NULL;
ALTER TABLE notifications DROP COLUMN known_issue_id;
ALTER TABLE notifications ALTER COLUMN question_id SET NOT NULL;
DROP TABLE known_issue_followers;
