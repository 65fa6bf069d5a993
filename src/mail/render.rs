//! The text of every mail the site sends: address verification, password
//! reset, one notification, and the daily digest. Each has a plain-text and
//! an HTML part; every string a user wrote (titles, names) is escaped in
//! the HTML part, and every link is absolute (from `base_url`).
//! Notification mail carries the one-click unsubscribe link in its footer
//! and in `List-Unsubscribe`.

use super::OutgoingMail;
use crate::markdown::escape_html;

/// What every mail needs to know about the site.
#[derive(Clone)]
pub struct MailSite {
    /// The site's name (signature, subjects).
    pub site_name: String,
    /// Public URL without a trailing slash.
    pub base_url: String,
    /// The key that signs unsubscribe links (from the database, the same
    /// on every node).
    pub unsubscribe_key: Vec<u8>,
}

impl std::fmt::Debug for MailSite {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "MailSite({} at {})", self.site_name, self.base_url)
    }
}

impl MailSite {
    /// `path` (starting with `/`) as an absolute link.
    pub fn link(&self, path: &str) -> String {
        format!("{}{path}", self.base_url)
    }

    /// The one-click unsubscribe link of `user_id`.
    pub fn unsubscribe_url(&self, user_id: crate::ids::UserId) -> String {
        self.link(&crate::paths::unsubscribe(
            &crate::auth::tokens::unsubscribe_token(&self.unsubscribe_key, user_id),
        ))
    }
}

/// One notification as a mail tells it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotificationItem {
    /// The notification kind (`new_answer`, … or any newer one).
    pub kind: String,
    /// Title of the question concerned.
    pub question_title: String,
    /// Path of the question (or of the answer on it).
    pub path: String,
    /// Display name of who caused it.
    pub actor: Option<String>,
    /// Whether the question is the recipient's own (else they follow it or
    /// one of its tags).
    pub yours: bool,
}

impl NotificationItem {
    /// Subject line for this notification alone.
    pub fn subject(&self) -> String {
        let title = one_line(&self.question_title);
        match self.kind.as_str() {
            "new_answer" => format!("New answer to \"{title}\""),
            "answer_accepted" => format!("Your answer to \"{title}\" was accepted"),
            "known_issue_fixed" => format!("Fixed: the known issue behind \"{title}\""),
            "staff_accepted" | "accepted" => {
                format!("An answer to \"{title}\" was marked as the solution")
            }
            "accepted_edited" => format!("The accepted answer to \"{title}\" was edited"),
            "new_question" => format!("New question: \"{title}\""),
            "new_comment" | "followed_comment" => format!("New comment on \"{title}\""),
            "mentioned" => format!("You were mentioned in a comment on \"{title}\""),
            "solved_nudge" => format!("Was your question \"{title}\" solved?"),
            other => format!("New activity on \"{title}\" ({})", kind_words(other)),
        }
    }

    /// One sentence saying what happened (plain text; escape for HTML).
    pub fn sentence(&self) -> String {
        let who = self.actor.clone().unwrap_or_else(|| "Someone".into());
        let title = one_line(&self.question_title);
        match self.kind.as_str() {
            "new_answer" if self.yours => format!("{who} answered your question \"{title}\"."),
            "new_answer" => format!("{who} answered \"{title}\", which you follow."),
            "accepted" => format!("{who} accepted an answer to \"{title}\", which you follow."),
            "accepted_edited" => {
                format!("{who} edited the accepted answer to \"{title}\", which you follow.")
            }
            "new_question" => format!("{who} asked \"{title}\" with a tag you follow."),
            "answer_accepted" => format!("{who} accepted your answer to \"{title}\"."),
            "staff_accepted" => {
                format!("{who} (staff) accepted an answer to your question \"{title}\".")
            }
            "known_issue_fixed" => format!(
                "The known issue behind your question \"{title}\" is fixed ({who} said so); the question links to it."
            ),
            "new_comment" => format!("{who} commented on your post in \"{title}\"."),
            "followed_comment" => format!("{who} commented on \"{title}\", which you follow."),
            "mentioned" => format!("{who} mentioned you in a comment on \"{title}\"."),
            "solved_nudge" => format!(
                "Your question \"{title}\" has answers but none is marked as the solution: did one solve it?"
            ),
            other => format!(
                "There is new activity ({}) by {who} on \"{title}\".",
                kind_words(other)
            ),
        }
    }
}

/// A kind's name in words: `new_badge` reads "new badge".
fn kind_words(kind: &str) -> String {
    let words: String = kind
        .chars()
        .map(|c| if c.is_alphanumeric() { c } else { ' ' })
        .collect();
    let words = words.split_whitespace().collect::<Vec<_>>().join(" ");
    if words.is_empty() {
        "update".into()
    } else {
        words
    }
}

/// Text on one line (titles in subjects and sentences).
fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Wraps escaped HTML body content into a small document.
fn html_document(site: &MailSite, body: &str, footer: &str) -> String {
    format!(
        "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>{name}</title></head>\n\
         <body style=\"font-family: sans-serif; line-height: 1.5; max-width: 40em\">\n{body}\n\
         <hr>\n<p style=\"color: #555; font-size: 0.9em\">{footer}</p>\n</body></html>\n",
        name = escape_html(&site.site_name),
    )
}

/// A link in the HTML part.
fn html_link(url: &str, text: &str) -> String {
    format!("<a href=\"{}\">{}</a>", escape_html(url), escape_html(text))
}

/// The footer of notification mail: why it came and how to stop it.
fn notification_footer(site: &MailSite, unsubscribe: &str) -> (String, String) {
    let account = site.link("/account");
    let text = format!(
        "You get this because of your e-mail choice on {name}. Change it: {account}\n\
         Unsubscribe with one click: {unsubscribe}\n",
        name = site.site_name
    );
    let html = format!(
        "You get this because of your e-mail choice on {name}. {change} · {unsub}",
        name = escape_html(&site.site_name),
        change = html_link(&account, "Change it"),
        unsub = html_link(unsubscribe, "Unsubscribe"),
    );
    (text, html)
}

/// The mail for one notification.
pub fn notification(
    site: &MailSite,
    to: &str,
    user_id: crate::ids::UserId,
    item: &NotificationItem,
) -> OutgoingMail {
    let unsubscribe = site.unsubscribe_url(user_id);
    let url = site.link(&item.path);
    let (footer_text, footer_html) = notification_footer(site, &unsubscribe);
    let sentence = item.sentence();
    OutgoingMail {
        to: to.to_string(),
        subject: item.subject(),
        text: format!("{sentence}\n\nRead it: {url}\n\n-- \n{footer_text}"),
        html: html_document(
            site,
            &format!(
                "<p>{}</p>\n<p>{}</p>",
                escape_html(&sentence),
                html_link(&url, "Read it on the site")
            ),
            &footer_html,
        ),
        unsubscribe_url: Some(unsubscribe),
    }
}

/// One "Yes — this answer solved it" choice in a "was it solved?" mail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SolvedChoice {
    /// Who wrote the answer.
    pub author: String,
    /// Its first words.
    pub excerpt: String,
    /// The signed link that accepts it.
    pub link: String,
}

/// The "was your question solved?" mail: the best answers, each with a
/// one-click "yes" link, and a "no, still not solved" link (each opens a
/// confirm page: a mail scanner's GET changes nothing).
pub fn solved_nudge(
    site: &MailSite,
    to: &str,
    user_id: crate::ids::UserId,
    item: &NotificationItem,
    choices: &[SolvedChoice],
    no_link: &str,
) -> OutgoingMail {
    let unsubscribe = site.unsubscribe_url(user_id);
    let (footer_text, footer_html) = notification_footer(site, &unsubscribe);
    let url = site.link(&item.path);
    let sentence = item.sentence();
    let mut text = format!("{sentence}\n\n");
    let mut html = format!("<p>{}</p>\n<ol>\n", escape_html(&sentence));
    for choice in choices {
        text.push_str(&format!(
            "- {} wrote: \"{}\"\n  Yes — this answer solved it: {}\n\n",
            choice.author, choice.excerpt, choice.link
        ));
        html.push_str(&format!(
            "<li><p><strong>{}</strong> wrote: \u{201c}{}\u{201d}</p><p>{}</p></li>\n",
            escape_html(&choice.author),
            escape_html(&choice.excerpt),
            html_link(&choice.link, "Yes — this answer solved it"),
        ));
    }
    text.push_str(&format!(
        "No, still not solved: {no_link}\n\nRead the whole question: {url}\n\n-- \n{footer_text}"
    ));
    html.push_str(&format!(
        "</ol>\n<p>{}</p>\n<p>{}</p>",
        html_link(no_link, "No, still not solved"),
        html_link(&url, "Read the whole question")
    ));
    OutgoingMail {
        to: to.to_string(),
        subject: item.subject(),
        text,
        html: html_document(site, &html, &footer_html),
        unsubscribe_url: Some(unsubscribe),
    }
}

/// The daily digest: every notification since the last one, in one mail.
pub fn digest(
    site: &MailSite,
    to: &str,
    user_id: crate::ids::UserId,
    items: &[NotificationItem],
) -> OutgoingMail {
    let unsubscribe = site.unsubscribe_url(user_id);
    let (footer_text, footer_html) = notification_footer(site, &unsubscribe);
    let mut text = format!(
        "What happened on {} since the last digest:\n\n",
        site.site_name
    );
    let mut html = format!(
        "<p>What happened on {} since the last digest:</p>\n<ul>\n",
        escape_html(&site.site_name)
    );
    for item in items {
        let url = site.link(&item.path);
        text.push_str(&format!("- {}\n  {url}\n", item.sentence()));
        html.push_str(&format!(
            "<li>{} {}</li>\n",
            escape_html(&item.sentence()),
            html_link(&url, "Read it")
        ));
    }
    html.push_str("</ul>");
    let count = items.len();
    OutgoingMail {
        to: to.to_string(),
        subject: format!(
            "{}: {count} update{} today",
            one_line(&site.site_name),
            if count == 1 { "" } else { "s" }
        ),
        text: format!("{text}\n-- \n{footer_text}"),
        html: html_document(site, &html, &footer_html),
        unsubscribe_url: Some(unsubscribe),
    }
}

/// A mail with one call to action and no unsubscribe link (it was asked for).
fn one_link_mail(
    site: &MailSite,
    to: &str,
    subject: String,
    lines: &[String],
    link: &str,
    link_text: &str,
    after: &str,
) -> OutgoingMail {
    let text = format!(
        "{}\n\n{link}\n\n{after}\n\n-- \n{}\n",
        lines.join("\n\n"),
        site.site_name
    );
    let paragraphs: String = lines
        .iter()
        .map(|line| format!("<p>{}</p>\n", escape_html(line)))
        .collect();
    let html = html_document(
        site,
        &format!(
            "{paragraphs}<p>{}</p>\n<p>{}</p>",
            html_link(link, link_text),
            escape_html(after)
        ),
        &escape_html(&site.site_name),
    );
    OutgoingMail {
        to: to.to_string(),
        subject,
        text,
        html,
        unsubscribe_url: None,
    }
}

/// The mail that confirms an address.
pub fn verification(site: &MailSite, to: &str, username: &str, link: &str) -> OutgoingMail {
    one_link_mail(
        site,
        to,
        format!("Confirm your e-mail address for {}", one_line(&site.site_name)),
        &[format!(
            "Hello {username}, please confirm that {to} is your address on {}:",
            site.site_name
        )],
        link,
        "Confirm this address",
        "The link works once, for 48 hours. If you did not ask for this, ignore this mail: no mail will follow.",
    )
}

/// The mail to the owner of a confirmed address that someone tried to use
/// for another account (a registration or an address change): the page
/// that was used answered as for any address, so only the owner learns of
/// it. `owner` is the username of the account the address belongs to.
pub fn address_in_use(site: &MailSite, to: &str, owner: &str) -> OutgoingMail {
    let name = &site.site_name;
    one_link_mail(
        site,
        to,
        format!("Someone tried to use your e-mail address on {}", one_line(name)),
        &[
            format!(
                "Hello {owner}, someone just tried to use {to} for another account on {name}, by registering or by changing an account's address. It was not added there: this address belongs to your account {owner}."
            ),
            format!(
                "If it was you, sign in as {owner} at {}. If you forgot your password, ask for a reset link here:",
                site.link("/login")
            ),
        ],
        &site.link(crate::paths::FORGOT_PASSWORD),
        "Reset your password",
        "If it was not you, ignore this mail: nothing changed on your account.",
    )
}

/// The mail with a password-reset link.
pub fn password_reset(site: &MailSite, to: &str, username: &str, link: &str) -> OutgoingMail {
    one_link_mail(
        site,
        to,
        format!("Reset your password on {}", one_line(&site.site_name)),
        &[format!(
            "Hello {username}, someone (hopefully you) asked to reset the password of your account on {}. Choose a new one here:",
            site.site_name
        )],
        link,
        "Choose a new password",
        "The link works once, for one hour. If you did not ask for it, ignore this mail: your password stays as it is.",
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::UserId;

    fn site() -> MailSite {
        MailSite {
            site_name: "Help & <Co>".into(),
            base_url: "https://help.example.com".into(),
            unsubscribe_key: b"key".to_vec(),
        }
    }

    #[test]
    fn user_text_is_escaped_in_html_and_kept_in_text() {
        let item = NotificationItem {
            kind: "new_answer".into(),
            question_title: "<script>alert(1)</script> wifi".into(),
            path: "/questions/3/wifi".into(),
            actor: Some("<b>Eve</b>".into()),
            yours: true,
        };
        let mail = notification(&site(), "ann@example.com", UserId(7), &item);
        assert!(!mail.html.contains("<script>"), "{}", mail.html);
        assert!(!mail.html.contains("<b>Eve"), "{}", mail.html);
        assert!(mail.html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
        assert!(mail.html.contains("Help &amp; &lt;Co&gt;"));
        assert!(mail.text.contains("<b>Eve</b> answered your question"));
        assert!(mail
            .text
            .contains("https://help.example.com/questions/3/wifi"));
        let unsubscribe = mail.unsubscribe_url.clone().unwrap();
        assert!(unsubscribe.starts_with("https://help.example.com/unsubscribe/7-"));
        assert!(mail.text.contains(&unsubscribe));
    }

    #[test]
    fn followers_are_told_what_they_follow() {
        let item = |kind: &str, yours: bool| NotificationItem {
            kind: kind.into(),
            question_title: "Printer offline".into(),
            path: "/questions/1/printer".into(),
            actor: Some("Bo".into()),
            yours,
        };
        assert_eq!(
            item("new_answer", true).sentence(),
            "Bo answered your question \"Printer offline\"."
        );
        assert_eq!(
            item("new_answer", false).sentence(),
            "Bo answered \"Printer offline\", which you follow."
        );
        assert_eq!(
            item("accepted", false).subject(),
            "An answer to \"Printer offline\" was marked as the solution"
        );
        assert_eq!(
            item("accepted_edited", false).sentence(),
            "Bo edited the accepted answer to \"Printer offline\", which you follow."
        );
        assert_eq!(
            item("followed_comment", false).sentence(),
            "Bo commented on \"Printer offline\", which you follow."
        );
        assert_eq!(
            item("new_question", false).sentence(),
            "Bo asked \"Printer offline\" with a tag you follow."
        );
    }

    #[test]
    fn comment_kinds_say_what_happened() {
        let item = |kind: &str| NotificationItem {
            kind: kind.into(),
            question_title: "Printer offline".into(),
            path: "/questions/1/printer#comment-4".into(),
            actor: Some("Bo".into()),
            yours: false,
        };
        assert_eq!(
            item("new_comment").subject(),
            "New comment on \"Printer offline\""
        );
        assert_eq!(
            item("new_comment").sentence(),
            "Bo commented on your post in \"Printer offline\"."
        );
        assert_eq!(
            item("mentioned").subject(),
            "You were mentioned in a comment on \"Printer offline\""
        );
        assert_eq!(
            item("mentioned").sentence(),
            "Bo mentioned you in a comment on \"Printer offline\"."
        );
    }

    #[test]
    fn solved_nudge_mail_escapes_answers_and_carries_every_link() {
        let item = NotificationItem {
            kind: "solved_nudge".into(),
            question_title: "<i>Printer</i> offline".into(),
            path: "/questions/1/printer".into(),
            actor: None,
            yours: true,
        };
        let choices = [
            SolvedChoice {
                author: "<b>Bo</b>".into(),
                excerpt: "Reset it <script>x()</script>".into(),
                link: "https://help.example.com/solved/1-1-4-ab".into(),
            },
            SolvedChoice {
                author: "Cy".into(),
                excerpt: "Update the driver".into(),
                link: "https://help.example.com/solved/1-1-5-cd".into(),
            },
        ];
        let no = "https://help.example.com/solved/1-1-0-ef";
        let mail = solved_nudge(&site(), "ann@example.com", UserId(1), &item, &choices, no);
        assert_eq!(
            mail.subject,
            "Was your question \"<i>Printer</i> offline\" solved?"
        );
        assert!(!mail.html.contains("<script>") && !mail.html.contains("<b>Bo"));
        assert!(
            mail.html.contains("&lt;script&gt;x()&lt;/script&gt;"),
            "{}",
            mail.html
        );
        for link in [choices[0].link.as_str(), choices[1].link.as_str(), no] {
            assert!(mail.text.contains(link), "{}", mail.text);
            assert!(
                mail.html.contains(&format!("href=\"{link}\"")),
                "{}",
                mail.html
            );
        }
        assert!(mail
            .text
            .contains("Yes — this answer solved it: https://help.example.com/solved/1-1-4-ab"));
        assert!(mail
            .text
            .contains("No, still not solved: https://help.example.com/solved/1-1-0-ef"));
        assert!(mail.unsubscribe_url.is_some());
    }

    #[test]
    fn unknown_kinds_get_a_generic_text() {
        let item = NotificationItem {
            kind: "new_badge".into(),
            question_title: "Printer   offline".into(),
            path: "/questions/1/printer".into(),
            actor: Some("Bo".into()),
            yours: false,
        };
        assert_eq!(
            item.subject(),
            "New activity on \"Printer offline\" (new badge)"
        );
        assert!(item.sentence().contains("new badge") && item.sentence().contains("Bo"));
        assert_eq!(kind_words("__"), "update");
    }
}
