ALTER TABLE setup_tokens DROP COLUMN node;
DROP TABLE jobs;
DROP TABLE rate_limits;
DROP TABLE search_outbox_state;
DROP TABLE index_nodes;
