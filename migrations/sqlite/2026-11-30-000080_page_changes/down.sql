DROP TABLE page_changes;
