-- The page cache's change feed for writes the search outbox does not carry
-- (announcements, user names, roles and suspensions): each node tails it and
-- drops the anonymous pages a change makes stale.
CREATE TABLE page_changes (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    scope TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
