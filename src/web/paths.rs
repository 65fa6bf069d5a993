//! URLs of the site: every builder (re-exported from the leaf module
//! [`crate::paths`], which services use too), the one check every redirect
//! target passes, and the builders of the links that carry one
//! (`/login?next=…`).
//!
//! A redirect target that came from a request (`next`, a search result link,
//! a feedback form's page) is accepted only when a browser would resolve it
//! to a path of this very site: a single leading `/`, no scheme, no
//! authority, no backslash, no control or whitespace character (browsers
//! drop tabs and newlines, so `/\t/evil.example` becomes `//evil.example`),
//! only ASCII (what browsers send is percent-encoded already), and resolving
//! it against the site's origin with the WHATWG URL parser (the one browsers
//! follow) leaves the origin unchanged; after one round of percent-decoding
//! it must still start with a single slash followed by a plain character.

use std::fmt;

pub use crate::paths::*;

/// Why a redirect target was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotLocal;

impl fmt::Display for NotLocal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("This link does not point to a page of this site.")
    }
}

impl std::error::Error for NotLocal {}

/// Longest redirect target accepted (longer ones are not links this site makes).
pub const MAX_TARGET_BYTES: usize = 2048;

/// The origin targets are resolved against: any fixed origin serves, since
/// only "did the origin change" is asked.
const PROBE_ORIGIN: &str = "http://signpost.invalid/";

/// `target` when it is a path of this site, for a `Location` header.
pub fn local_target(target: &str) -> Result<&str, NotLocal> {
    if target.len() > MAX_TARGET_BYTES || !is_plain_local_path(target) {
        return Err(NotLocal);
    }
    if !has_plain_start(&percent_decoded(target)) {
        return Err(NotLocal);
    }
    if !keeps_origin(target) {
        return Err(NotLocal);
    }
    Ok(target)
}

/// A local path to return to, or `/` when `target` is not one (for values
/// the site itself wrote into a page, where a fallback is harmless).
pub fn local_or_home(target: &str) -> String {
    local_target(target).unwrap_or("/").to_string()
}

/// `/login?next=…` (a target that is not local is dropped).
pub fn login_url(next: &str) -> String {
    let mut url = form_urlencoded::Serializer::new(String::new());
    url.append_pair("next", &local_or_home(next));
    format!("/login?{}", url.finish())
}

/// `/login?next=…&kept=1`: the sign-in page after a question or answer was
/// kept as a draft (the page says so).
pub fn login_url_kept(next: &str) -> String {
    format!("{}&kept=1", login_url(next))
}

/// `/register?next=…`, or plain `/register` when `next` is the home page
/// or not local.
pub fn register_url(next: &str) -> String {
    let next = local_or_home(next);
    if next == "/" {
        return "/register".into();
    }
    let mut url = form_urlencoded::Serializer::new(String::new());
    url.append_pair("next", &next);
    format!("/register?{}", url.finish())
}

/// Where a guest who signs in or registers from the page at `here` (its
/// path and query) returns: that page, or on the sign-in and registration
/// pages the `next` they carry; `/` when it is not a local path.
pub fn return_to(here: &str) -> String {
    let (path, query) = here.split_once('?').unwrap_or((here, ""));
    if matches!(path, "/login" | "/register") {
        let next = form_urlencoded::parse(query.as_bytes())
            .find(|(key, _)| key == "next")
            .map(|(_, value)| value.into_owned())
            .unwrap_or_default();
        return local_or_home(&next);
    }
    local_or_home(here)
}

/// The header's "Sign in" link on the page at `here`: back to that page
/// afterwards, plain `/login` from the home page.
pub fn header_login_url(here: &str) -> String {
    match return_to(here).as_str() {
        "/" => "/login".into(),
        target => login_url(target),
    }
}

/// The header's "Register" link on the page at `here` (see [`return_to`]).
pub fn header_register_url(here: &str) -> String {
    register_url(&return_to(here))
}

/// The character rules: one leading slash, then only visible ASCII and no
/// backslash, and no second slash right after the first.
fn is_plain_local_path(target: &str) -> bool {
    let bytes = target.as_bytes();
    bytes.first() == Some(&b'/')
        && !matches!(bytes.get(1), Some(b'/') | Some(b'\\'))
        && bytes.iter().all(|&b| b.is_ascii_graphic() && b != b'\\')
}

/// After decoding (for whatever decodes once more on the way): still one
/// slash, followed by neither a slash, a backslash, whitespace nor a
/// control character.
fn has_plain_start(decoded: &str) -> bool {
    let mut chars = decoded.chars();
    chars.next() == Some('/')
        && chars
            .next()
            .is_none_or(|c| !(c == '/' || c == '\\' || c.is_whitespace() || c.is_control()))
}

/// Resolves `target` against the probe origin as a browser would and checks
/// that scheme, host and port stayed the same.
fn keeps_origin(target: &str) -> bool {
    let Ok(base) = url::Url::parse(PROBE_ORIGIN) else {
        return false;
    };
    match base.join(target) {
        Ok(resolved) => resolved.origin() == base.origin(),
        Err(_) => false,
    }
}

/// One round of percent-decoding (invalid escapes stay as they are; bytes
/// that do not decode to UTF-8 become U+FFFD, which the rules refuse).
fn percent_decoded(target: &str) -> String {
    String::from_utf8_lossy(&crate::paths::percent_decode_bytes(target.as_bytes())).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_links_return_to_the_page_they_are_on() {
        assert_eq!(header_login_url("/"), "/login");
        assert_eq!(header_register_url("/"), "/register");
        assert_eq!(
            header_login_url("/questions/7/slug?sort=votes"),
            "/login?next=%2Fquestions%2F7%2Fslug%3Fsort%3Dvotes"
        );
        assert_eq!(
            header_register_url("/docs/guide"),
            "/register?next=%2Fdocs%2Fguide"
        );
        // On the sign-in and registration pages, their own next is kept.
        assert_eq!(
            header_register_url("/login?next=%2Fdocs%2Fguide"),
            "/register?next=%2Fdocs%2Fguide"
        );
        assert_eq!(
            header_login_url("/register?next=%2Fdocs%2Fguide"),
            "/login?next=%2Fdocs%2Fguide"
        );
        assert_eq!(header_login_url("/login"), "/login");
        // What is not a path of this site is dropped, as every next is.
        for bad in [
            "//evil.example/x",
            "/login?next=%2F%2Fevil.example",
            "/register?next=https%3A%2F%2Fevil.example",
        ] {
            assert_eq!(header_login_url(bad), "/login", "{bad}");
            assert_eq!(header_register_url(bad), "/register", "{bad}");
        }
        let long = format!("/search?q={}", "a".repeat(MAX_TARGET_BYTES));
        assert_eq!(header_login_url(&long), "/login");
    }

    #[test]
    fn site_paths_are_accepted() {
        for ok in [
            "/",
            "/docs?x=1",
            "/questions/12/why-is-the-light-off#answer-3",
            "/search?q=printer%20offline&kind=article",
            "/troubleshoot/power?start=yes&light=no",
            "/docs/a%2Fb",
            "/users/@ann",
        ] {
            assert_eq!(local_target(ok), Ok(ok), "{ok:?} is a local path");
        }
        assert_eq!(login_url("/account"), "/login?next=%2Faccount");
    }

    #[test]
    fn known_bypasses_are_refused() {
        for bad in [
            "",
            "//evil.example",
            "///evil.example",
            "/\\evil.example",
            "\\\\evil.example",
            "/\t/evil.example",
            "/%09/evil.example",
            "\t//evil.example",
            "/\n/evil.example",
            "/\r\n/evil.example",
            "/ /evil.example",
            "/\u{0}x",
            "/\u{1}x",
            "/\u{7f}",
            "/\u{85}/evil.example",
            "/%2F/evil.example",
            "/%2f%2fevil.example",
            "/%5Cevil.example",
            "/%5cevil.example",
            "/\u{ff0f}evil.example",
            "\u{ff0f}\u{ff0f}evil.example",
            "/\u{2215}evil.example",
            "https://evil.example",
            "https:evil.example",
            "http:/evil.example",
            "javascript:alert(1)",
            "JavaScript:alert(1)",
            "data:text/html,<script>alert(1)</script>",
            "evil.example",
            "./evil",
            "?next=//evil.example",
            "#//evil.example",
        ] {
            assert_eq!(local_target(bad), Err(NotLocal), "{bad:?} must be refused");
            assert_eq!(local_or_home(bad), "/");
        }
        let long = format!("/{}", "a".repeat(MAX_TARGET_BYTES));
        assert_eq!(local_target(&long), Err(NotLocal));
    }

    #[test]
    fn every_accepted_target_resolves_on_site() {
        // Whatever passes must resolve to the probe origin, even with
        // dot segments that climb above the root.
        for ok in ["/../../evil.example", "/./x", "/a/../../b"] {
            let target = local_target(ok).expect("dot segments stay on the site");
            let base = url::Url::parse(PROBE_ORIGIN).expect("probe origin");
            assert_eq!(
                base.join(target).expect("joins").host_str(),
                Some("signpost.invalid")
            );
        }
    }
}
