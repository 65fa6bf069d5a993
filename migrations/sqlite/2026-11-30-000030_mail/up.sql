-- E-mail: each user's address (optional, verified by a link before any
-- mail goes to it) and how they want notifications delivered: at once
-- ('immediate'), in one mail a day ('daily') or not at all ('never').
-- address_key is the lowercased address: a verified address belongs to one
-- account (an unverified one blocks nobody).
CREATE TABLE user_mail (
    user_id INTEGER PRIMARY KEY NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    address TEXT NOT NULL,
    address_key TEXT NOT NULL,
    verified_at BIGINT,
    delivery TEXT NOT NULL DEFAULT 'immediate',
    last_digest_at BIGINT,
    updated_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX user_mail_verified_address ON user_mail (address_key) WHERE verified_at IS NOT NULL;
CREATE INDEX user_mail_address ON user_mail (address_key);

-- Single-use links mailed to a user: address verification ('verify', with
-- the address it confirms) and password reset ('reset'). Only the SHA-256
-- of the token is stored.
CREATE TABLE mail_tokens (
    id INTEGER PRIMARY KEY NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    purpose TEXT NOT NULL,
    address TEXT NOT NULL DEFAULT '',
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    used_at BIGINT
);
CREATE INDEX mail_tokens_user ON mail_tokens (user_id);
CREATE INDEX mail_tokens_expires ON mail_tokens (expires_at);

-- Notifications waiting for their recipient's daily digest.
CREATE TABLE mail_digest_items (
    notification_id INTEGER PRIMARY KEY NOT NULL REFERENCES notifications (id) ON DELETE CASCADE,
    user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at BIGINT NOT NULL
);
CREATE INDEX mail_digest_items_user ON mail_digest_items (user_id);

-- Secrets every node of the site shares (the key that signs unsubscribe
-- links), created by the first node that needs one.
CREATE TABLE site_secrets (
    name TEXT PRIMARY KEY NOT NULL,
    value TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
