DROP TABLE question_known_issues;
DROP TABLE known_issue_updates;
DROP TABLE known_issues;
