//! Passwords: policy checks, argon2id hashing with OWASP-recommended
//! parameters (19 MiB memory, 2 iterations, 1 lane), a fresh random salt per
//! hash, and constant-time verification. Hashing is slow on purpose: callers
//! in async code run it on the blocking pool.

use std::sync::LazyLock;

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};

/// Shortest password accepted (characters).
pub const MIN_CHARS: usize = 10;
/// Longest password accepted (bytes); longer input is refused before hashing.
pub const MAX_BYTES: usize = 1024;

/// Passwords of 10+ characters that appear at the top of leaked-password lists.
const COMMON: &[&str] = &[
    "1234567890",
    "12345678910",
    "123456789a",
    "0123456789",
    "0987654321",
    "1111111111",
    "1234512345",
    "1q2w3e4r5t",
    "1qaz2wsx3edc",
    "qwertyuiop",
    "qwerty1234",
    "qwerty12345",
    "qwerty123456",
    "asdfghjkl1",
    "asdfghjkl;",
    "zxcvbnm123",
    "password12",
    "password123",
    "password1234",
    "password!1",
    "passw0rd123",
    "p@ssw0rd123",
    "iloveyou12",
    "iloveyou123",
    "abcdefghij",
    "abc1234567",
    "abcd123456",
    "aaaaaaaaaa",
    "letmein123",
    "welcome123",
    "welcome2024",
    "welcome2025",
    "welcome2026",
    "admin12345",
    "administrator",
    "changeme123",
    "football123",
    "baseball123",
    "princess123",
    "sunshine123",
    "superman123",
    "starwars123",
    "trustno1234",
    "monkey12345",
    "dragon12345",
    "master12345",
    "michael123",
    "jennifer123",
    "computer123",
    "internet123",
    "whatever123",
    "qazwsxedcrfv",
    "1q2w3e4r5t6y",
    "zaq12wsxcde3",
    "passwordpassword",
    "mypassword1",
    "mypassword123",
    "secret12345",
    "summer2024",
    "summer2025",
    "winter2025",
    "spring2026",
    "autumn2026",
    "signpost123",
    "support123",
    "helpdesk123",
    "default1234",
    "unknown1234",
    "0000000000",
    "9876543210",
    "1234554321",
    "1122334455",
    "5555555555",
    "7777777777",
    "asdf123456",
    "qwertyqwerty",
];

static HASHER: LazyLock<Argon2<'static>> = LazyLock::new(|| {
    let params = Params::new(19 * 1024, 2, 1, None).unwrap_or_default();
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
});

/// Hash of a random password, verified against when the user does not exist
/// so both cases take the same time.
static DUMMY_HASH: LazyLock<Option<String>> = LazyLock::new(|| {
    crate::auth::tokens::random_token()
        .ok()
        .and_then(|t| hash(&t).ok())
});

/// Checks a new password against the policy; the message says what to change.
pub fn check_policy(password: &str, username: &str) -> Result<(), String> {
    if password.len() > MAX_BYTES {
        return Err(format!("Passwords can be at most {MAX_BYTES} bytes long."));
    }
    if password.chars().count() < MIN_CHARS {
        return Err(format!("Passwords need at least {MIN_CHARS} characters. A few unrelated words make a good one."));
    }
    let lower = password.to_lowercase();
    if COMMON.contains(&lower.as_str()) {
        return Err("That password is one of the most common ones and would be guessed quickly. Please choose another.".into());
    }
    if !username.is_empty() && lower.contains(&username.to_lowercase()) {
        return Err("Your password must not contain your username.".into());
    }
    let mut chars = password.chars();
    if let Some(first) = chars.next() {
        if chars.all(|c| c == first) {
            return Err("A password made of one repeated character is too easy to guess.".into());
        }
    }
    Ok(())
}

/// Hashes a password into an argon2id PHC string (`$argon2id$v=19$m=19456,t=2,p=1$…`).
pub fn hash(password: &str) -> Result<String, String> {
    if password.len() > MAX_BYTES {
        return Err("password too long".into());
    }
    let mut salt = [0u8; 16];
    getrandom::fill(&mut salt).map_err(|e| format!("no randomness: {e}"))?;
    let salt = SaltString::encode_b64(&salt).map_err(|e| e.to_string())?;
    HASHER
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| e.to_string())
}

/// Verifies `password` against a stored hash in constant time. `None` (no
/// such user, or an account that cannot sign in) still spends the time of a
/// verification and returns false.
pub fn verify(password: &str, stored: Option<&str>) -> bool {
    if password.len() > MAX_BYTES {
        return false;
    }
    let stored = match stored {
        Some(s) => s,
        None => {
            if let Some(dummy) = DUMMY_HASH.as_deref() {
                if let Ok(parsed) = PasswordHash::new(dummy) {
                    HASHER.verify_password(password.as_bytes(), &parsed).ok();
                }
            }
            return false;
        }
    };
    match PasswordHash::new(stored) {
        Ok(parsed) => HASHER.verify_password(password.as_bytes(), &parsed).is_ok(),
        Err(_) => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_are_argon2id_salted_and_verify() {
        let a = hash("correct horse battery").unwrap();
        let b = hash("correct horse battery").unwrap();
        assert!(a.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{a}");
        assert_ne!(a, b, "per-hash salt");
        assert!(verify("correct horse battery", Some(&a)));
        assert!(!verify("correct horse batterY", Some(&a)));
        assert!(!verify("anything", None));
        assert!(!verify("anything", Some("not a hash")));
    }

    #[test]
    fn policy() {
        assert!(check_policy("short", "u")
            .unwrap_err()
            .contains("at least 10"));
        assert!(check_policy(&"x".repeat(1025), "u")
            .unwrap_err()
            .contains("at most 1024"));
        assert!(check_policy("Password123", "u")
            .unwrap_err()
            .contains("most common"));
        assert!(check_policy("aaaaaaaaaaaaa", "u")
            .unwrap_err()
            .contains("repeated"));
        assert!(check_policy("my name is alice!", "Alice")
            .unwrap_err()
            .contains("username"));
        assert!(check_policy("river stone lantern", "alice").is_ok());
    }
}
