CREATE TEMPORARY TABLE digest_items_kept AS
    SELECT d.* FROM mail_digest_items d JOIN notifications n ON n.id = d.notification_id
    WHERE n.question_id IS NOT NULL;
DROP TABLE mail_digest_items;
CREATE TABLE notifications_old (
    id INTEGER PRIMARY KEY NOT NULL,
    user_id INTEGER NOT NULL REFERENCES users (id),
    kind TEXT NOT NULL,
    question_id INTEGER NOT NULL,
    answer_id INTEGER,
    actor_id INTEGER REFERENCES users (id),
    created_at BIGINT NOT NULL,
    read_at BIGINT,
    comment_id INTEGER
);
INSERT INTO notifications_old
    SELECT id, user_id, kind, question_id, answer_id, actor_id, created_at, read_at, comment_id
    FROM notifications WHERE question_id IS NOT NULL;
DROP TABLE notifications;
ALTER TABLE notifications_old RENAME TO notifications;
CREATE INDEX notifications_user ON notifications (user_id, read_at, id DESC);
CREATE TABLE mail_digest_items (
    notification_id INTEGER PRIMARY KEY NOT NULL REFERENCES notifications (id) ON DELETE CASCADE,
    user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at BIGINT NOT NULL
);
CREATE INDEX mail_digest_items_user ON mail_digest_items (user_id);
INSERT INTO mail_digest_items SELECT notification_id, user_id, created_at FROM digest_items_kept;
DROP TABLE digest_items_kept;
DROP TABLE known_issue_followers;
