//! Usernames: NFKC-normalized, 3-30 characters of ASCII letters, digits,
//! `_`, `-` and `.`, unique without regard to case, and not a reserved name.
//! Display names: free text, but without control, format or bidirectional
//! override characters (they could disguise a name or reorder the text
//! around it).

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

/// Longest display name (characters).
pub const DISPLAY_NAME_MAX: usize = 50;

/// Checks a display name: trimmed, at most [`DISPLAY_NAME_MAX`] characters,
/// no control characters and no invisible format characters (bidirectional
/// overrides and isolates, zero-width characters, the byte-order mark, tag
/// characters). Empty means "use the username".
pub fn display_name(input: &str) -> Result<String, String> {
    let trimmed = input.trim();
    if trimmed.chars().any(|c| c.is_control() || is_format_char(c)) {
        return Err("Display names cannot contain invisible or text-direction characters.".into());
    }
    if trimmed.chars().count() > DISPLAY_NAME_MAX {
        return Err(format!(
            "Display names can have at most {DISPLAY_NAME_MAX} characters."
        ));
    }
    Ok(trimmed.nfc().collect())
}

/// Unicode format characters (general category Cf) and other invisible
/// characters that can disguise text.
fn is_format_char(c: char) -> bool {
    matches!(c as u32,
        0x00AD | 0x034F | 0x061C | 0x115F | 0x1160 | 0x17B4 | 0x17B5 | 0x180B..=0x180F
        | 0x200B..=0x200F | 0x202A..=0x202E | 0x2060..=0x206F | 0x3164
        | 0xFEFF | 0xFFA0 | 0xFFF9..=0xFFFB | 0x110BD | 0x110CD | 0x1BCA0..=0x1BCA3
        | 0x1D173..=0x1D17A | 0xE0000..=0xE0FFF
        | 0x0600..=0x0605 | 0x06DD | 0x070F | 0x08E2)
}

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
    fn display_names_refuse_invisible_and_direction_characters() {
        assert_eq!(display_name("  Ann Smith ").as_deref(), Ok("Ann Smith"));
        assert_eq!(display_name("Zoë Ångström").as_deref(), Ok("Zoë Ångström"));
        assert_eq!(display_name("").as_deref(), Ok(""));
        for bad in [
            "admin\u{202E}nimda",
            "\u{202D}staff",
            "a\u{2066}b\u{2069}",
            "zero\u{200B}width",
            "join\u{200D}er",
            "\u{FEFF}bom",
            "tag\u{E0041}",
            "bell\u{7}",
            "line\nbreak",
            "soft\u{AD}hyphen",
        ] {
            assert!(display_name(bad).is_err(), "{bad:?} must be refused");
        }
        assert!(display_name(&"x".repeat(DISPLAY_NAME_MAX + 1)).is_err());
    }

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
