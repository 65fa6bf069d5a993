ALTER TABLE answers DROP COLUMN body_format;
ALTER TABLE questions DROP COLUMN body_format;
DROP TABLE import_map;
