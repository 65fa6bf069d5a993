//! Random tokens (sessions, CSRF, setup, mailed links) and their stored
//! hashes, and the signed unsubscribe tokens (HMAC-SHA256 under a site key).

use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

use crate::ids::{AnswerId, KnownIssueFollowerId, QuestionId, UserId};

/// What an unsubscribe signature covers besides the user id, so a
/// signature made for another purpose never passes as one.
const UNSUBSCRIBE_PURPOSE: &str = "unsubscribe";

/// A fresh random 256-bit token, hex encoded.
pub fn random_token() -> Result<String, getrandom::Error> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes)?;
    Ok(hex(&bytes))
}

/// Whether `value` has the shape of a [`random_token`]: 64 lowercase hex
/// digits. A token a browser sends back is checked with this before it is
/// written into a page.
pub fn is_token_shaped(value: &str) -> bool {
    value.len() == 64
        && value
            .bytes()
            .all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

/// The SHA-256 of a token, hex encoded: what the database stores.
pub fn hash_token(token: &str) -> String {
    hex(&Sha256::digest(token.as_bytes()))
}

/// Compares two strings in time independent of where they differ.
pub fn constant_time_eq(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// What a known-issue unfollow signature covers besides the follower id.
const UNFOLLOW_ISSUE_PURPOSE: &str = "unfollow-known-issue";

/// HMAC-SHA256 under `key` of `purpose:id`.
fn id_mac(key: &[u8], purpose: &str, id: i32) -> Hmac<Sha256> {
    // HMAC takes a key of any length.
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(key)
        .unwrap_or_else(|_| unreachable!("HMAC accepts every key length"));
    mac.update(format!("{purpose}:{id}").as_bytes());
    mac
}

/// `ID-SIGNATURE` for `purpose`.
fn signed_id(key: &[u8], purpose: &str, id: i32) -> String {
    let signature = id_mac(key, purpose, id).finalize().into_bytes();
    format!("{id}-{}", hex(&signature))
}

/// The id of a `signed_id` token for `purpose` whose signature is right
/// (compared in constant time).
fn check_signed_id(key: &[u8], purpose: &str, token: &str) -> Option<i32> {
    let (id, signature) = token.split_once('-')?;
    let id: i32 = id.parse().ok().filter(|n| *n > 0)?;
    if signature.len() != 64 {
        return None;
    }
    let bytes = unhex(signature)?;
    id_mac(key, purpose, id)
        .verify_slice(&bytes)
        .ok()
        .map(|()| id)
}

/// The token of a known issue's "stop following" link for one follower
/// row: `ID-SIGNATURE`. A follower who follows again gets a new row, so an
/// old link never ends the new follow.
pub fn unfollow_issue_token(key: &[u8], follower: KnownIssueFollowerId) -> String {
    signed_id(key, UNFOLLOW_ISSUE_PURPOSE, follower.0)
}

/// The follower row an unfollow token names, when its signature is right.
pub fn check_unfollow_issue(key: &[u8], token: &str) -> Option<KnownIssueFollowerId> {
    check_signed_id(key, UNFOLLOW_ISSUE_PURPOSE, token).map(KnownIssueFollowerId)
}

/// The unsubscribe token of `user_id`: `ID-SIGNATURE`, the signature an
/// HMAC-SHA256 of the purpose and the id under the site's `key`. It needs
/// no sign-in and never expires (it only turns mail off).
pub fn unsubscribe_token(key: &[u8], user_id: UserId) -> String {
    signed_id(key, UNSUBSCRIBE_PURPOSE, user_id.0)
}

/// The user an unsubscribe token was made for, when its signature is
/// right (compared in constant time); `None` for anything else.
pub fn check_unsubscribe(key: &[u8], token: &str) -> Option<UserId> {
    check_signed_id(key, UNSUBSCRIBE_PURPOSE, token).map(UserId)
}

/// What a "was your question solved?" link signature covers besides its
/// fields, so no other signed link passes as one.
const SOLVED_PURPOSE: &str = "solved-nudge";

/// The fields a "was your question solved?" link is bound to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SolvedLink {
    /// The asker the link was mailed to.
    pub user_id: UserId,
    /// Their question.
    pub question_id: QuestionId,
    /// The answer "Yes, this one solved it" accepts; `None` for "No, still
    /// not solved".
    pub answer_id: Option<AnswerId>,
}

impl SolvedLink {
    fn mac(&self, key: &[u8]) -> Hmac<Sha256> {
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(key)
            .unwrap_or_else(|_| unreachable!("HMAC accepts every key length"));
        let answer = self.answer_id.map_or(0, |a| a.0);
        mac.update(
            format!(
                "{SOLVED_PURPOSE}:{}:{}:{answer}",
                self.user_id, self.question_id
            )
            .as_bytes(),
        );
        mac
    }

    /// The token: `USER-QUESTION-ANSWER-SIGNATURE` (answer 0 for "no"), the
    /// signature an HMAC-SHA256 of the purpose and the three ids under the
    /// site's `key`.
    pub fn token(&self, key: &[u8]) -> String {
        let signature = self.mac(key).finalize().into_bytes();
        format!(
            "{}-{}-{}-{}",
            self.user_id,
            self.question_id,
            self.answer_id.map_or(0, |a| a.0),
            hex(&signature)
        )
    }

    /// The link a token was made for, when its signature is right
    /// (compared in constant time); `None` for anything else.
    pub fn check(key: &[u8], token: &str) -> Option<SolvedLink> {
        let mut parts = token.splitn(4, '-');
        let mut id = || -> Option<i32> { parts.next()?.parse().ok().filter(|n| *n >= 0) };
        let (user, question, answer) = (id()?, id()?, id()?);
        let signature = parts.next()?;
        if user == 0 || question == 0 || signature.len() != 64 {
            return None;
        }
        let link = SolvedLink {
            user_id: UserId(user),
            question_id: QuestionId(question),
            answer_id: (answer != 0).then_some(AnswerId(answer)),
        };
        let bytes = unhex(signature)?;
        link.mac(key).verify_slice(&bytes).ok().map(|()| link)
    }
}

fn unhex(text: &str) -> Option<Vec<u8>> {
    let digits = text.as_bytes();
    if digits.len() % 2 != 0 {
        return None;
    }
    digits
        .chunks(2)
        .map(|pair| {
            let high = (pair[0] as char).to_digit(16)?;
            let low = (pair[1] as char).to_digit(16)?;
            u8::try_from(high * 16 + low).ok()
        })
        .collect()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn solved_links_are_bound_to_user_question_answer_and_key() {
        let yes = SolvedLink {
            user_id: UserId(3),
            question_id: QuestionId(41),
            answer_id: Some(AnswerId(7)),
        };
        let no = SolvedLink {
            answer_id: None,
            ..yes
        };
        let token = yes.token(b"key");
        assert!(token.starts_with("3-41-7-"), "{token}");
        assert_eq!(SolvedLink::check(b"key", &token), Some(yes));
        assert_eq!(SolvedLink::check(b"key", &no.token(b"key")), Some(no));
        assert_eq!(SolvedLink::check(b"other", &token), None, "another key");
        let signature = token.rsplit('-').next().unwrap();
        for forged in [
            format!("3-41-8-{signature}"),
            format!("4-41-7-{signature}"),
            format!("3-42-7-{signature}"),
            format!("3-41-0-{signature}"),
            format!("3-41-7-{}", &signature[1..]),
            format!("3-41-7-{}g", &signature[1..]),
            "3-41-7".to_string(),
            "--".to_string(),
            format!("3-41--7-{signature}"),
        ] {
            assert_eq!(SolvedLink::check(b"key", &forged), None, "{forged}");
        }
        // An unsubscribe signature never passes as a solved link.
        let unsubscribe = unsubscribe_token(b"key", UserId(3));
        let sig = unsubscribe.split_once('-').unwrap().1;
        assert_eq!(SolvedLink::check(b"key", &format!("3-41-0-{sig}")), None);
    }

    #[test]
    fn unfollow_tokens_are_signed_per_follower_and_never_unsubscribe() {
        let token = unfollow_issue_token(b"key", KnownIssueFollowerId(9));
        assert!(token.starts_with("9-"), "{token}");
        assert_eq!(
            check_unfollow_issue(b"key", &token),
            Some(KnownIssueFollowerId(9))
        );
        assert_eq!(check_unfollow_issue(b"other", &token), None);
        assert_eq!(
            check_unfollow_issue(b"key", &token.replacen("9-", "10-", 1)),
            None
        );
        // Neither passes as the other: the purposes differ.
        assert_eq!(check_unsubscribe(b"key", &token), None);
        let unsubscribe = unsubscribe_token(b"key", UserId(9));
        assert_eq!(check_unfollow_issue(b"key", &unsubscribe), None);
    }

    #[test]
    fn tokens_are_random_256_bit_and_hash_stably() {
        let a = random_token().unwrap();
        let b = random_token().unwrap();
        assert_eq!(a.len(), 64);
        assert_ne!(a, b);
        assert_eq!(hash_token(&a), hash_token(&a));
        assert_ne!(hash_token(&a), a);
        assert!(constant_time_eq(&a, &a.clone()));
        assert!(!constant_time_eq(&a, &b));
        assert!(!constant_time_eq("a", "ab"));
    }

    #[test]
    fn unsubscribe_tokens_are_signed_per_user_and_key() {
        let token = unsubscribe_token(b"site key", UserId(42));
        assert!(token.starts_with("42-"), "{token}");
        assert_eq!(check_unsubscribe(b"site key", &token), Some(UserId(42)));
        assert_eq!(check_unsubscribe(b"other key", &token), None);
        let other_user = token.replacen("42-", "43-", 1);
        assert_eq!(check_unsubscribe(b"site key", &other_user), None);
        let mut flipped = token.clone();
        let last = flipped.pop().unwrap();
        flipped.push(if last == '0' { '1' } else { '0' });
        assert_eq!(check_unsubscribe(b"site key", &flipped), None);
        for junk in [
            "",
            "42",
            "42-",
            "x-00",
            "-1-ab",
            "42-zz",
            &token[..token.len() - 2],
        ] {
            assert_eq!(check_unsubscribe(b"site key", junk), None, "{junk:?}");
        }
    }
}
