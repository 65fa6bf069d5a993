-- Site-wide announcements (planned changes, outages): shown as a banner on
-- every page while starts_at <= now < ends_at (no end: until staff end it).
-- body is inline markdown; revision grows with every edit, so a browser
-- that dismissed an earlier revision sees the changed one again.
CREATE TABLE announcements (
    id INTEGER PRIMARY KEY NOT NULL,
    title TEXT NOT NULL,
    body TEXT NOT NULL,
    severity TEXT NOT NULL,
    starts_at BIGINT NOT NULL,
    ends_at BIGINT,
    revision INTEGER NOT NULL DEFAULT 1,
    created_by INTEGER REFERENCES users (id) ON DELETE SET NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX announcements_ends ON announcements (ends_at);
CREATE INDEX announcements_starts ON announcements (starts_at);
