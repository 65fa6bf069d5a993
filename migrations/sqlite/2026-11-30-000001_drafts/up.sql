-- Unfinished questions and answers kept across a detour (sign-in,
-- registration, an expired session). A guest's draft belongs to the hash of
-- the browser's pre-session cookie (guest_key), a member's to the user;
-- signing in moves a guest's drafts to the user. question_id is set for an
-- answer draft (one per owner and question). Expired drafts are deleted by
-- a periodic job.
CREATE TABLE drafts (
    id INTEGER PRIMARY KEY NOT NULL,
    user_id INTEGER REFERENCES users (id) ON DELETE CASCADE,
    guest_key TEXT,
    question_id INTEGER REFERENCES questions (id) ON DELETE CASCADE,
    title TEXT NOT NULL DEFAULT '',
    body TEXT NOT NULL DEFAULT '',
    tags TEXT NOT NULL DEFAULT '',
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX drafts_user ON drafts (user_id);
CREATE INDEX drafts_guest ON drafts (guest_key);
CREATE INDEX drafts_expires ON drafts (expires_at);
