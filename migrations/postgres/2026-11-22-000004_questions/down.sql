DROP TABLE flags;
DROP TABLE notifications;
DROP TABLE revisions;
DROP TABLE votes;
DROP TABLE question_tags;
DROP TABLE tags;
DROP TABLE answers;
DROP TABLE questions;
