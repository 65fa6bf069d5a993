//! E-mail: the SMTP transport ([`Mailer`], lettre over rustls) and the
//! rendering of each message ([`render`]). A message is an [`OutgoingMail`]
//! (plain text and HTML, escaped), queued as a job in the transaction of
//! the change that causes it and sent by the job worker (`jobs::site`),
//! never on the request path.

pub mod render;

use std::time::Duration;

use lettre::message::header::{ContentTransferEncoding, ContentType, HeaderName, HeaderValue};
use lettre::message::{Mailbox, MultiPart, SinglePart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Tls, TlsParameters};
use lettre::{Message, SmtpTransport, Transport};
use serde::{Deserialize, Serialize};

use crate::config::{SmtpSecurity, SmtpSettings};

/// How long one SMTP conversation may take before it counts as failed.
pub const SMTP_TIMEOUT: Duration = Duration::from_secs(30);

/// A rendered message, as queued (job payload) and sent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutgoingMail {
    /// The recipient's address.
    pub to: String,
    /// The subject line.
    pub subject: String,
    /// The plain-text part.
    pub text: String,
    /// The HTML part (every user-provided string escaped).
    pub html: String,
    /// The one-click unsubscribe link (RFC 8058), on notification mail.
    pub unsubscribe_url: Option<String>,
}

/// Sends mail through the configured SMTP server.
#[derive(Clone)]
pub struct Mailer {
    transport: SmtpTransport,
    from: Mailbox,
    server: String,
}

impl std::fmt::Debug for Mailer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Mailer({} from {})", self.server, self.from)
    }
}

impl Mailer {
    /// A mailer for `smtp` sending as `from`; an error names what is wrong
    /// (never the password).
    pub fn new(smtp: &SmtpSettings, from: &str) -> Result<Mailer, String> {
        let from: Mailbox = from.trim().parse().map_err(|e| {
            format!("mail_from: {from:?} is not an address like \"Help <help@example.com>\": {e}")
        })?;
        let tls = || {
            TlsParameters::new(smtp.host.clone())
                .map_err(|e| format!("smtp_url {}: TLS set-up failed: {e}", smtp.redacted))
        };
        let tls = match smtp.security {
            SmtpSecurity::Plain => Tls::None,
            SmtpSecurity::StartTls => Tls::Required(tls()?),
            SmtpSecurity::Tls => Tls::Wrapper(tls()?),
        };
        let mut builder = SmtpTransport::builder_dangerous(smtp.host.clone())
            .port(smtp.port)
            .tls(tls)
            .timeout(Some(SMTP_TIMEOUT));
        if let Some((user, password)) = &smtp.credentials {
            builder = builder.credentials(Credentials::new(user.clone(), password.clone()));
        }
        Ok(Mailer {
            transport: builder.build(),
            from,
            server: smtp.redacted.clone(),
        })
    }

    /// Sends one message; the error says why (for the job's retry log).
    pub fn send(&self, mail: &OutgoingMail) -> Result<(), String> {
        let message = self.message(mail)?;
        self.transport
            .send(&message)
            .map(|_| ())
            .map_err(|e| format!("sending to {} through {}: {e}", mail.to, self.server))
    }

    /// The MIME message: multipart/alternative with quoted-printable text
    /// and HTML parts, and the `List-Unsubscribe` headers when it has a link.
    pub fn message(&self, mail: &OutgoingMail) -> Result<Message, String> {
        let to: Mailbox = mail
            .to
            .parse()
            .map_err(|e| format!("recipient {:?}: {e}", mail.to))?;
        let part = |content_type: ContentType, body: &str| {
            SinglePart::builder()
                .header(content_type)
                .header(ContentTransferEncoding::QuotedPrintable)
                .body(body.to_string())
        };
        let mut builder = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(mail.subject.clone());
        if let Some(url) = &mail.unsubscribe_url {
            builder = builder
                .raw_header(HeaderValue::new(
                    HeaderName::new_from_ascii_str("List-Unsubscribe"),
                    format!("<{url}>"),
                ))
                .raw_header(HeaderValue::new(
                    HeaderName::new_from_ascii_str("List-Unsubscribe-Post"),
                    "List-Unsubscribe=One-Click".into(),
                ));
        }
        builder
            .multipart(
                MultiPart::alternative()
                    .singlepart(part(ContentType::TEXT_PLAIN, &mail.text))
                    .singlepart(part(ContentType::TEXT_HTML, &mail.html)),
            )
            .map_err(|e| format!("building the message to {}: {e}", mail.to))
    }
}

/// Checks an address a user typed; the trimmed address, or what is wrong.
pub fn valid_address(typed: &str) -> Result<String, String> {
    let address = typed.trim();
    if address.len() > 254 {
        return Err("That e-mail address is too long.".into());
    }
    match address.parse::<lettre::Address>() {
        Ok(_) => Ok(address.to_string()),
        Err(_) => Err(format!(
            "{address:?} is not an e-mail address (it should look like name@example.com)."
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_are_checked() {
        assert_eq!(
            valid_address(" ann@example.com ").as_deref(),
            Ok("ann@example.com")
        );
        for bad in [
            "",
            "ann",
            "ann@",
            "@example.com",
            "a b@example.com",
            "<a@b.c>",
        ] {
            assert!(valid_address(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn messages_have_both_parts_and_unsubscribe_headers() {
        let smtp = SmtpSettings::parse("smtp://127.0.0.1:2525").unwrap();
        let mailer = Mailer::new(&smtp, "Help <help@example.com>").unwrap();
        let mail = OutgoingMail {
            to: "ann@example.com".into(),
            subject: "New answer".into(),
            text: "Hello".into(),
            html: "<p>Hello</p>".into(),
            unsubscribe_url: Some("https://help.example.com/unsubscribe/1-ab".into()),
        };
        let text = String::from_utf8(mailer.message(&mail).unwrap().formatted()).unwrap();
        assert!(text.contains("List-Unsubscribe: <https://help.example.com/unsubscribe/1-ab>"));
        assert!(text.contains("List-Unsubscribe-Post: List-Unsubscribe=One-Click"));
        assert!(text.contains("multipart/alternative"));
        assert!(text.contains("text/plain") && text.contains("text/html"));
        assert!(Mailer::new(&smtp, "not an address").is_err());
    }
}
