DROP TABLE search_log;
DROP TABLE search_outbox;
DROP TABLE articles;
DROP TABLE manuals;
