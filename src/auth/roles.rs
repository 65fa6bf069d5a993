//! Roles: member (default), staff (moderates and curates), admin (also
//! manages users). Ordered: each role can do what the ones below it can.

use serde::Serialize;

/// A user's role.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Asks, answers, votes.
    Member,
    /// Also moderates, curates and accepts answers anywhere.
    Staff,
    /// Also manages users.
    Admin,
}

impl Role {
    /// Every role, lowest first.
    pub const ALL: [Role; 3] = [Role::Member, Role::Staff, Role::Admin];

    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Member => "member",
            Role::Staff => "staff",
            Role::Admin => "admin",
        }
    }

    /// Parses a stored or typed name.
    pub fn parse(text: &str) -> Option<Role> {
        match text.trim().to_ascii_lowercase().as_str() {
            "member" => Some(Role::Member),
            "staff" => Some(Role::Staff),
            "admin" => Some(Role::Admin),
            _ => None,
        }
    }

    /// Whether this role carries the visible staff badge.
    pub fn is_staff(self) -> bool {
        self >= Role::Staff
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_are_ordered_and_parse() {
        assert!(Role::Admin > Role::Staff && Role::Staff > Role::Member);
        assert_eq!(Role::parse(" Staff "), Some(Role::Staff));
        assert_eq!(Role::parse("root"), None);
        assert!(Role::Admin.is_staff() && !Role::Member.is_staff());
    }
}
