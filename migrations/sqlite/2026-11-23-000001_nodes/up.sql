-- Several app nodes on one database: each node's progress through the search
-- outbox, how far the outbox was pruned, rate-limit windows shared by every
-- node, the durable job queue, and setup tokens per node.

-- Each node's search index: the outbox id up to which it applied every
-- change (its watermark), reported every few seconds. The outbox is pruned
-- only below the lowest watermark of the nodes seen recently.
CREATE TABLE index_nodes (
    node TEXT PRIMARY KEY NOT NULL,
    applied_id INTEGER NOT NULL,
    seen_at BIGINT NOT NULL
);

-- One row: the highest outbox id pruned so far. An index whose watermark is
-- below it missed changes and is rebuilt. Pruning and node registration both
-- write this row first, which orders them.
CREATE TABLE search_outbox_state (
    id INTEGER PRIMARY KEY NOT NULL CHECK (id = 1),
    pruned_through INTEGER NOT NULL
);
-- Entries below the oldest one left were pruned (by the single index that
-- applied them) before this table existed.
INSERT INTO search_outbox_state (id, pruned_through)
VALUES (1, COALESCE(
    (SELECT MIN(id) - 1 FROM search_outbox),
    (SELECT seq FROM sqlite_sequence WHERE name = 'search_outbox'),
    0
));

-- Fixed-window counters of the limits that must hold across nodes
-- (sign-in, registration, posting): one row per counted key.
CREATE TABLE rate_limits (
    bucket TEXT PRIMARY KEY NOT NULL,
    window_start BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    hits INTEGER NOT NULL
);
CREATE INDEX rate_limits_expires ON rate_limits (expires_at);

-- Durable background jobs. A node claims a due job by setting claimed_by,
-- claim_token and claimed_until in one statement; a claim whose lease ran out
-- (a crashed node) can be claimed again. Periodic tasks have a unique_key:
-- one row per task for the whole cluster, rescheduled after each run.
CREATE TABLE jobs (
    id INTEGER PRIMARY KEY NOT NULL,
    kind TEXT NOT NULL,
    payload TEXT NOT NULL DEFAULT '{}',
    unique_key TEXT UNIQUE,
    run_at BIGINT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    claimed_by TEXT,
    claim_token TEXT,
    claimed_until BIGINT,
    last_error TEXT,
    runs INTEGER NOT NULL DEFAULT 0,
    last_run_at BIGINT,
    last_run_by TEXT,
    dead_at BIGINT,
    created_at BIGINT NOT NULL
);
CREATE INDEX jobs_due ON jobs (run_at);

-- Each node prints its own setup link at start; a new start replaces only
-- that node's unused token.
ALTER TABLE setup_tokens ADD COLUMN node TEXT NOT NULL DEFAULT '';
