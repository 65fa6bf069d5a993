//! Who may do what: the one table of permissions. Handlers, services and
//! the view structs (which carry `can_…` booleans for templates) all ask
//! [`can`]; nothing else decides a permission.
//!
//! The rules:
//! - anyone signed in asks, answers and comments (not on a locked question
//!   unless staff, never on a deleted one), flags, and votes (never on their
//!   own post);
//! - the author edits a post, and edits or deletes a comment, while its
//!   question is not locked; staff always;
//! - the asker or staff accept and unaccept answers;
//! - staff moderate (close, reopen, lock, pin, delete, restore), see deleted
//!   posts and unpublished articles, curate articles and open the staff pages;
//! - admins also manage users.

use std::fmt;

use crate::auth::Role;
use crate::error::AppError;
use crate::ids::UserId;

/// Who is acting: a signed-in user.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Actor {
    /// User id.
    pub id: UserId,
    /// Role.
    pub role: Role,
}

impl Actor {
    /// Whether this actor is staff (or admin).
    pub fn is_staff(&self) -> bool {
        self.role.is_staff()
    }
}

/// Something a user may or may not do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Ask a question.
    Ask,
    /// Answer the question described by the target.
    Answer,
    /// Edit the post described by the target.
    EditPost,
    /// Comment on a post of the question described by the target.
    Comment,
    /// Edit or delete the comment described by the target (its author).
    ChangeComment,
    /// Vote on the post described by the target.
    Vote,
    /// Accept an answer on the question described by the target.
    Accept,
    /// Remove the accepted mark of the question described by the target.
    Unaccept,
    /// Flag a post for staff.
    Flag,
    /// Close, reopen, lock, pin, delete or restore a post.
    Moderate,
    /// See deleted posts and unpublished articles.
    SeeHidden,
    /// Write, publish and restore articles.
    CurateArticles,
    /// Open the staff pages (dashboard, flag queue, feedback).
    SeeStaffPages,
    /// Change roles and suspend users.
    ManageUsers,
}

impl Action {
    /// Every action (for tables and tests).
    pub const ALL: [Action; 14] = [
        Action::Ask,
        Action::Answer,
        Action::EditPost,
        Action::Comment,
        Action::ChangeComment,
        Action::Vote,
        Action::Accept,
        Action::Unaccept,
        Action::Flag,
        Action::Moderate,
        Action::SeeHidden,
        Action::CurateArticles,
        Action::SeeStaffPages,
        Action::ManageUsers,
    ];
}

/// What an action is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    /// The site as a whole (asking, staff pages, user management).
    Site,
    /// A question or answer: its author, and the state of its question.
    Post(PostFacts),
}

/// The facts about a post that permissions depend on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PostFacts {
    /// Author of the post (for [`Action::Accept`]: the asker).
    pub author: UserId,
    /// Whether its question is locked.
    pub locked: bool,
    /// Whether its question is deleted.
    pub deleted: bool,
}

impl Target {
    /// A post by `author` on a question that is `locked` (not deleted).
    pub fn post(author: UserId, locked: bool) -> Target {
        Target::Post(PostFacts {
            author,
            locked,
            deleted: false,
        })
    }
}

/// Why an action was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Denied {
    /// What was asked for.
    pub action: Action,
    /// Why not.
    pub reason: Reason,
}

/// The reason part of [`Denied`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reason {
    /// Nobody is signed in.
    SignIn,
    /// Staff only.
    StaffOnly,
    /// Administrators only.
    AdminOnly,
    /// Someone else's post (or question).
    NotYours,
    /// The question is locked.
    Locked,
    /// The question is deleted.
    Deleted,
    /// Your own post.
    OwnPost,
}

impl Denied {
    /// The message shown to the user.
    pub fn message(&self) -> &'static str {
        match (self.action, self.reason) {
            (_, Reason::SignIn) => "Please sign in first.",
            (_, Reason::AdminOnly) => "Only administrators can do this.",
            (_, Reason::StaffOnly) => "Only staff members can do this.",
            (Action::EditPost, Reason::NotYours) => "You can only edit your own posts.",
            (Action::ChangeComment, Reason::NotYours) => {
                "You can only edit or delete your own comments."
            }
            (Action::Comment, Reason::Locked) => {
                "This question is locked: it takes no new comments."
            }
            (Action::EditPost, Reason::Locked) => {
                "This question is locked; only staff can edit it."
            }
            (Action::Answer, Reason::Locked) => "This question is locked: it takes no new answers.",
            (Action::Vote, Reason::OwnPost) => "You cannot vote on your own post.",
            (Action::Accept, Reason::NotYours) => {
                "Only the person who asked, or a staff member, can accept an answer."
            }
            (Action::Unaccept, Reason::NotYours) => {
                "Only the person who asked, or a staff member, can change the accepted answer."
            }
            (_, Reason::Deleted) => "This question was deleted.",
            (_, Reason::Locked) => "This question is locked.",
            (_, Reason::NotYours) | (_, Reason::OwnPost) => "You cannot do this to this post.",
        }
    }
}

impl fmt::Display for Denied {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.message())
    }
}

impl std::error::Error for Denied {}

impl From<Denied> for AppError {
    /// Locked and deleted questions are a conflict with the post's state
    /// (409); everything else is a refusal (403).
    fn from(denied: Denied) -> Self {
        let message = denied.message().to_string();
        match denied.reason {
            Reason::SignIn => AppError::SignInRequired {
                next: String::new(),
            },
            Reason::Locked | Reason::Deleted => AppError::Conflict(message),
            _ => AppError::Forbidden(message),
        }
    }
}

/// Whether `actor` (`None`: nobody signed in) may do `action` on `target`.
pub fn can(actor: Option<&Actor>, action: Action, target: &Target) -> Result<(), Denied> {
    let deny = |reason| Err(Denied { action, reason });
    let Some(actor) = actor else {
        return deny(Reason::SignIn);
    };
    let staff = actor.is_staff();
    let post = match target {
        Target::Post(post) => Some(post),
        Target::Site => None,
    };
    match action {
        Action::Ask | Action::Flag => Ok(()),
        Action::Moderate | Action::SeeHidden | Action::CurateArticles | Action::SeeStaffPages => {
            if staff {
                Ok(())
            } else {
                deny(Reason::StaffOnly)
            }
        }
        Action::ManageUsers => {
            if actor.role >= Role::Admin {
                Ok(())
            } else {
                deny(Reason::AdminOnly)
            }
        }
        Action::Answer | Action::Comment => match post {
            Some(p) if p.deleted => deny(Reason::Deleted),
            Some(p) if p.locked && !staff => deny(Reason::Locked),
            _ => Ok(()),
        },
        Action::EditPost | Action::ChangeComment => match post {
            _ if staff => Ok(()),
            Some(p) if p.author != actor.id => deny(Reason::NotYours),
            Some(p) if p.locked => deny(Reason::Locked),
            Some(_) => Ok(()),
            None => deny(Reason::NotYours),
        },
        Action::Vote => match post {
            Some(p) if p.author == actor.id => deny(Reason::OwnPost),
            _ => Ok(()),
        },
        Action::Accept | Action::Unaccept => match post {
            _ if staff => Ok(()),
            Some(p) if p.author == actor.id => Ok(()),
            _ => deny(Reason::NotYours),
        },
    }
}

/// Whether `actor` sees deleted posts and unpublished articles.
pub fn sees_hidden(actor: Option<&Actor>) -> bool {
    allows(actor, Action::SeeHidden, &Target::Site)
}

/// [`can`] as a yes/no, for the booleans of view structs.
pub fn allows(actor: Option<&Actor>, action: Action, target: &Target) -> bool {
    can(actor, action, target).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    const ME: UserId = UserId(1);
    const OTHER: UserId = UserId(2);

    /// Who acts in the table: nobody, then each role.
    fn actors() -> [(&'static str, Option<Actor>); 4] {
        [
            ("anonymous", None),
            (
                "member",
                Some(Actor {
                    id: ME,
                    role: Role::Member,
                }),
            ),
            (
                "staff",
                Some(Actor {
                    id: ME,
                    role: Role::Staff,
                }),
            ),
            (
                "admin",
                Some(Actor {
                    id: ME,
                    role: Role::Admin,
                }),
            ),
        ]
    }

    /// The targets in the table: the site, and posts by me or another,
    /// open, locked or deleted.
    fn targets() -> [(&'static str, Target); 6] {
        let post = |author, locked, deleted| {
            Target::Post(PostFacts {
                author,
                locked,
                deleted,
            })
        };
        [
            ("site", Target::Site),
            ("mine", post(ME, false, false)),
            ("theirs", post(OTHER, false, false)),
            ("mine locked", post(ME, true, false)),
            ("theirs locked", post(OTHER, true, false)),
            ("theirs deleted", post(OTHER, false, true)),
        ]
    }

    /// The expected answer of the policy, written out as a table.
    fn expected(action: Action, who: &str, target: &str) -> Result<(), Reason> {
        use Reason::*;
        if who == "anonymous" {
            return Err(SignIn);
        }
        let staff = who != "member";
        match action {
            Action::Ask | Action::Flag => Ok(()),
            Action::Moderate
            | Action::SeeHidden
            | Action::CurateArticles
            | Action::SeeStaffPages => staff.then_some(()).ok_or(StaffOnly),
            Action::ManageUsers => (who == "admin").then_some(()).ok_or(AdminOnly),
            Action::Answer | Action::Comment => match target {
                "theirs deleted" => Err(Deleted),
                "mine locked" | "theirs locked" if !staff => Err(Locked),
                _ => Ok(()),
            },
            Action::EditPost | Action::ChangeComment => match target {
                _ if staff => Ok(()),
                "mine" => Ok(()),
                "mine locked" => Err(Locked),
                _ => Err(NotYours),
            },
            Action::Vote => match target {
                "mine" | "mine locked" => Err(OwnPost),
                _ => Ok(()),
            },
            Action::Accept | Action::Unaccept => match target {
                _ if staff => Ok(()),
                "mine" | "mine locked" => Ok(()),
                _ => Err(NotYours),
            },
        }
    }

    #[test]
    fn every_action_for_every_role_and_ownership() {
        let mut cases = 0;
        for action in Action::ALL {
            for (who, actor) in actors() {
                for (name, target) in targets() {
                    let got = can(actor.as_ref(), action, &target).map_err(|d| d.reason);
                    assert_eq!(
                        got,
                        expected(action, who, name),
                        "{who} {action:?} on {name}"
                    );
                    assert_eq!(allows(actor.as_ref(), action, &target), got.is_ok());
                    cases += 1;
                }
            }
        }
        assert_eq!(cases, 14 * 4 * 6);
    }

    #[test]
    fn refusals_map_to_the_statuses_pages_show() {
        let member = Actor {
            id: ME,
            role: Role::Member,
        };
        let locked_edit =
            can(Some(&member), Action::EditPost, &Target::post(ME, true)).expect_err("locked");
        assert_eq!(AppError::from(locked_edit).status(), 409);
        let foreign_edit = can(Some(&member), Action::EditPost, &Target::post(OTHER, false))
            .expect_err("not mine");
        assert_eq!(AppError::from(foreign_edit).status(), 403);
        let staff_page =
            can(Some(&member), Action::SeeStaffPages, &Target::Site).expect_err("staff");
        assert_eq!(staff_page.message(), "Only staff members can do this.");
        let anonymous = can(None, Action::Vote, &Target::Site).expect_err("anonymous");
        assert_eq!(AppError::from(anonymous).status(), 303);
    }
}
