//! Usernames: NFKC-normalized, 3-30 characters of ASCII letters, digits,
//! `_`, `-` and `.`, unique without regard to case, and not a reserved name.

use unicode_normalization::UnicodeNormalization;

/// Names nobody may register: they would impersonate the site or its staff,
/// or collide with paths.
const RESERVED: &[&str] = &[
    "admin",
    "administrator",
    "admins",
    "staff",
    "signpost",
    "root",
    "system",
    "support",
    "moderator",
    "moderators",
    "mod",
    "mods",
    "help",
    "helpdesk",
    "api",
    "login",
    "logout",
    "register",
    "signup",
    "signin",
    "account",
    "settings",
    "setup",
    "null",
    "undefined",
    "anonymous",
    "guest",
    "me",
    "you",
    "docs",
    "search",
    "questions",
    "troubleshoot",
    "tags",
    "users",
    "static",
    "security",
    "official",
    "owner",
    "webmaster",
    "postmaster",
    "hostmaster",
    "info",
    "noreply",
    "no-reply",
];

/// A valid username: as typed (normalized) and its unique key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Username {
    /// Shown form (NFKC, case kept).
    pub display: String,
    /// Unique key (lowercase).
    pub key: String,
}

/// Checks a username and returns it with its unique key, or a message that
/// says what to change.
pub fn validate(input: &str) -> Result<Username, String> {
    let display: String = input.trim().nfkc().collect();
    let len = display.chars().count();
    if len < 3 {
        return Err("Usernames need at least 3 characters.".into());
    }
    if len > 30 {
        return Err("Usernames can have at most 30 characters.".into());
    }
    if let Some(bad) = display
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.')))
    {
        return Err(format!(
            "Usernames can only use letters a-z, digits, '_', '-' and '.'; {bad:?} is not allowed."
        ));
    }
    if !display
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphanumeric())
    {
        return Err("Usernames must start with a letter or digit.".into());
    }
    let key = key_of(&display);
    let stem = key.trim_end_matches(|c: char| c.is_ascii_digit() || matches!(c, '_' | '-' | '.'));
    if RESERVED.contains(&key.as_str()) || RESERVED.contains(&stem) {
        return Err(format!(
            "The name {display:?} is reserved. Please choose another."
        ));
    }
    Ok(Username { display, key })
}

/// The unique key of any typed name (for look-ups at sign-in).
pub fn key_of(input: &str) -> String {
    input.trim().nfkc().collect::<String>().to_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalizes_and_keys_case_insensitively() {
        let u = validate("  Alice_99 ").unwrap();
        assert_eq!(u.display, "Alice_99");
        assert_eq!(u.key, "alice_99");
        // Fullwidth letters normalize to ASCII under NFKC.
        assert_eq!(validate("ＢＯＢ.smith").unwrap().key, "bob.smith");
    }

    #[test]
    fn refuses_bad_names_with_reasons() {
        assert!(validate("ab").unwrap_err().contains("at least 3"));
        assert!(validate(&"x".repeat(31))
            .unwrap_err()
            .contains("at most 30"));
        assert!(validate("bad name").unwrap_err().contains("not allowed"));
        assert!(validate("_under").unwrap_err().contains("start with"));
        assert!(validate("Admin").unwrap_err().contains("reserved"));
        assert!(validate("ＡＤＭＩＮ").unwrap_err().contains("reserved"));
        assert!(validate("staff_1").unwrap_err().contains("reserved"));
        assert!(validate("Signpost").unwrap_err().contains("reserved"));
        assert!(validate("аdmin").is_err(), "Cyrillic look-alike refused");
    }
}
