DROP TABLE mail_digest_items;
DROP TABLE mail_tokens;
DROP TABLE user_mail;
DROP TABLE site_secrets;
