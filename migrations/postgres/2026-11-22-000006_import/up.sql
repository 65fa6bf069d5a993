-- Imports from other systems: which source row became which local row, so
-- running an import again adds nothing twice.
CREATE TABLE import_map (
    source TEXT NOT NULL,
    kind TEXT NOT NULL,
    source_id BIGINT NOT NULL,
    local_id INTEGER NOT NULL,
    PRIMARY KEY (source, kind, source_id)
);

-- Imported posts keep their sanitized HTML ('html') instead of markdown.
ALTER TABLE questions ADD COLUMN body_format TEXT NOT NULL DEFAULT 'markdown';
ALTER TABLE answers ADD COLUMN body_format TEXT NOT NULL DEFAULT 'markdown';
