-- Known issues: a problem customers may hit, who is affected, a workaround
-- and where it shows (articles as 'manual/article', tree slugs, tags and
-- search terms; each list one entry a line). status is investigating,
-- identified, fix_in_progress, fixed or wont_fix; closed_at is when it
-- became fixed or won't fix (banners stop a grace period later).
-- source_path is set for issues read from content/known-issues/.
CREATE TABLE known_issues (
    id INTEGER PRIMARY KEY NOT NULL,
    slug TEXT NOT NULL UNIQUE,
    title TEXT NOT NULL,
    symptoms_md TEXT NOT NULL,
    symptoms_html TEXT NOT NULL,
    symptoms_text TEXT NOT NULL,
    workaround_md TEXT NOT NULL DEFAULT '',
    workaround_html TEXT NOT NULL DEFAULT '',
    versions TEXT NOT NULL DEFAULT '',
    platforms TEXT NOT NULL DEFAULT '',
    tags TEXT NOT NULL DEFAULT '',
    articles TEXT NOT NULL DEFAULT '',
    trees TEXT NOT NULL DEFAULT '',
    terms TEXT NOT NULL DEFAULT '',
    status TEXT NOT NULL,
    status_reason TEXT NOT NULL DEFAULT '',
    fixed_in TEXT NOT NULL DEFAULT '',
    closed_at BIGINT,
    source_path TEXT,
    content_hash TEXT NOT NULL DEFAULT '',
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX known_issues_closed ON known_issues (closed_at);

-- The timeline of a known issue: dated updates, each with an optional
-- status change.
CREATE TABLE known_issue_updates (
    id INTEGER PRIMARY KEY NOT NULL,
    issue_id INTEGER NOT NULL REFERENCES known_issues (id) ON DELETE CASCADE,
    body_md TEXT NOT NULL,
    body_html TEXT NOT NULL,
    status TEXT,
    author_id INTEGER REFERENCES users (id) ON DELETE SET NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX known_issue_updates_issue ON known_issue_updates (issue_id);
CREATE INDEX known_issue_updates_created ON known_issue_updates (created_at);

-- A question staff linked to a known issue (at most one per question):
-- the question page points to it and its asker hears of the fix.
CREATE TABLE question_known_issues (
    question_id INTEGER PRIMARY KEY NOT NULL REFERENCES questions (id) ON DELETE CASCADE,
    issue_id INTEGER NOT NULL REFERENCES known_issues (id) ON DELETE CASCADE,
    linked_by INTEGER REFERENCES users (id) ON DELETE SET NULL,
    linked_at BIGINT NOT NULL
);
CREATE INDEX question_known_issues_issue ON question_known_issues (issue_id);
