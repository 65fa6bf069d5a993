-- Who is told of a known issue's updates ("tell me when it's fixed"): a
-- member (user_id) or an e-mail address alone (address, address_key). An
-- address follows once its owner opened the mailed link (confirmed_at set);
-- until then confirm_hash holds the SHA-256 of the single-use link, which
-- works until confirm_expires. Rows hang on the issue's id, so a follower
-- stays when the issue's slug or title changes.
CREATE TABLE known_issue_followers (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    issue_id INTEGER NOT NULL REFERENCES known_issues (id) ON DELETE CASCADE,
    user_id INTEGER REFERENCES users (id) ON DELETE CASCADE,
    address TEXT,
    address_key TEXT,
    confirm_hash TEXT,
    confirm_expires BIGINT,
    confirmed_at BIGINT,
    created_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX known_issue_followers_member ON known_issue_followers (issue_id, user_id);
CREATE UNIQUE INDEX known_issue_followers_address ON known_issue_followers (issue_id, address_key);
CREATE UNIQUE INDEX known_issue_followers_confirm ON known_issue_followers (confirm_hash);
CREATE INDEX known_issue_followers_user ON known_issue_followers (user_id);

-- A notification is about a question or (an update of) a known issue:
-- question_id becomes nullable, which SQLite does by rebuilding the table.
-- The digest items that point at notifications are set aside first (a
-- dropped table's rows are deleted, and the delete would cascade to them).
CREATE TEMPORARY TABLE digest_items_kept AS SELECT * FROM mail_digest_items;
DROP TABLE mail_digest_items;
CREATE TABLE notifications_new (
    id INTEGER PRIMARY KEY NOT NULL,
    user_id INTEGER NOT NULL REFERENCES users (id),
    kind TEXT NOT NULL,
    question_id INTEGER,
    answer_id INTEGER,
    actor_id INTEGER REFERENCES users (id),
    created_at BIGINT NOT NULL,
    read_at BIGINT,
    comment_id INTEGER,
    known_issue_id INTEGER REFERENCES known_issues (id) ON DELETE CASCADE
);
INSERT INTO notifications_new (id, user_id, kind, question_id, answer_id, actor_id, created_at, read_at, comment_id)
    SELECT id, user_id, kind, question_id, answer_id, actor_id, created_at, read_at, comment_id FROM notifications;
DROP TABLE notifications;
ALTER TABLE notifications_new RENAME TO notifications;
CREATE INDEX notifications_user ON notifications (user_id, read_at, id DESC);
CREATE TABLE mail_digest_items (
    notification_id INTEGER PRIMARY KEY NOT NULL REFERENCES notifications (id) ON DELETE CASCADE,
    user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at BIGINT NOT NULL
);
CREATE INDEX mail_digest_items_user ON mail_digest_items (user_id);
INSERT INTO mail_digest_items SELECT notification_id, user_id, created_at FROM digest_items_kept;
DROP TABLE digest_items_kept;
