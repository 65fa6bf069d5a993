//! Static assets compiled into the binary, served under fingerprinted URLs
//! with long-lived cache headers (and under their plain names, revalidated).
//!
//! Each asset is compressed once, at start ([`prepare`]), with brotli and
//! gzip at their best settings; a request gets the variant its
//! `Accept-Encoding` prefers (q-values), `Vary: Accept-Encoding`, and an
//! `ETag` answered with 304 on `If-None-Match`. Nothing is compressed per
//! request: the response carries `Content-Encoding`, which the compression
//! middleware ([`crate::web::encoding`]) passes through.

use std::sync::LazyLock;

use actix_web::http::header::{self, HeaderValue};
use actix_web::web::Bytes;
use actix_web::{web, HttpRequest, HttpResponse};

use crate::error::AppError;
use crate::web::encoding::{self, Coding};

/// The stylesheet.
pub const STYLESHEET: &str = include_str!("../../templates/static/style.css");
/// The ask form's script (similar questions while typing, live preview).
pub const ASK_SCRIPT: &str = include_str!("../../templates/static/ask.js");
/// The favicon.
pub const FAVICON: &str = include_str!("../../templates/static/favicon.svg");

/// Cache header of a fingerprinted URL: its content never changes.
const IMMUTABLE: &str = "public, max-age=31536000, immutable";

/// One asset, with its compressed variants.
struct Asset {
    /// Plain name under `/static/`, e.g. `style.css`.
    name: &'static str,
    /// Fingerprinted name under `/static/`, e.g. `style.0123456789ab.css`.
    fingerprinted: String,
    content_type: &'static str,
    /// Cache header under the plain name.
    plain_cache: &'static str,
    identity: Bytes,
    /// Kept only when smaller than the identity body.
    brotli: Option<Bytes>,
    gzip: Option<Bytes>,
    /// Content hash (prefix of the fingerprint); the ETags are made from it.
    hash: String,
}

impl Asset {
    fn new(
        name: &'static str,
        body: &'static str,
        content_type: &'static str,
        plain_cache: &'static str,
    ) -> Asset {
        let hash = crate::content::content_hash(body.as_bytes())[..12].to_string();
        let fingerprinted = match name.rsplit_once('.') {
            Some((stem, ext)) => format!("{stem}.{hash}.{ext}"),
            None => format!("{name}.{hash}"),
        };
        let smaller = |v: Option<Vec<u8>>| {
            v.filter(|v| v.len() + 32 < body.len() && body.len() >= encoding::MIN_BODY)
                .map(Bytes::from)
        };
        Asset {
            name,
            fingerprinted,
            content_type,
            plain_cache,
            identity: Bytes::from_static(body.as_bytes()),
            brotli: smaller(encoding::brotli(body.as_bytes(), 11)),
            gzip: smaller(encoding::gzip(body.as_bytes(), 9)),
            hash,
        }
    }

    /// The codings this asset has (identity always).
    fn offered(&self) -> Vec<Coding> {
        let mut offered = Vec::with_capacity(3);
        if self.brotli.is_some() {
            offered.push(Coding::Brotli);
        }
        if self.gzip.is_some() {
            offered.push(Coding::Gzip);
        }
        offered.push(Coding::Identity);
        offered
    }

    fn body(&self, coding: Coding) -> &Bytes {
        match coding {
            Coding::Brotli => self.brotli.as_ref().unwrap_or(&self.identity),
            Coding::Gzip => self.gzip.as_ref().unwrap_or(&self.identity),
            Coding::Identity => &self.identity,
        }
    }

    /// The strong ETag of one variant (each coding is its own representation).
    fn etag(&self, coding: Coding) -> String {
        match coding {
            Coding::Brotli => format!("\"{}-br\"", self.hash),
            Coding::Gzip => format!("\"{}-gz\"", self.hash),
            Coding::Identity => format!("\"{}\"", self.hash),
        }
    }
}

static ASSETS: LazyLock<Vec<Asset>> = LazyLock::new(|| {
    vec![
        Asset::new(
            "style.css",
            STYLESHEET,
            "text/css; charset=utf-8",
            "no-cache",
        ),
        Asset::new(
            "ask.js",
            ASK_SCRIPT,
            "text/javascript; charset=utf-8",
            "public, max-age=3600",
        ),
        Asset::new(
            "favicon.svg",
            FAVICON,
            "image/svg+xml",
            "public, max-age=86400",
        ),
    ]
});

/// Compresses every asset now (at start) rather than on the first request.
pub fn prepare() {
    LazyLock::force(&ASSETS);
}

fn url_of(name: &str) -> String {
    ASSETS.iter().find(|a| a.name == name).map_or_else(
        || format!("/static/{name}"),
        |a| format!("/static/{}", a.fingerprinted),
    )
}

/// `/static/style.<hash>.css`: changes whenever the stylesheet does.
pub static STYLESHEET_URL: LazyLock<String> = LazyLock::new(|| url_of("style.css"));
/// `/static/ask.<hash>.js`.
pub static ASK_SCRIPT_URL: LazyLock<String> = LazyLock::new(|| url_of("ask.js"));
/// `/static/favicon.<hash>.svg`.
pub static FAVICON_URL: LazyLock<String> = LazyLock::new(|| url_of("favicon.svg"));

/// GET /static/{file}
pub async fn get_asset(
    req: HttpRequest,
    file: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let file = file.into_inner();
    let Some((asset, cache)) = ASSETS.iter().find_map(|a| {
        if a.fingerprinted == file {
            Some((a, IMMUTABLE))
        } else if a.name == file {
            Some((a, a.plain_cache))
        } else {
            None
        }
    }) else {
        return Err(AppError::NotFound("No such file.".into()));
    };
    let coding = encoding::negotiate_headers(req.headers(), &asset.offered());
    // Any coding's ETag is current: the content is the same.
    let mut response = if encoding::if_none_match(req.headers(), |tag| {
        [Coding::Brotli, Coding::Gzip, Coding::Identity]
            .into_iter()
            .any(|c| asset.etag(c) == tag)
    }) {
        HttpResponse::NotModified().finish()
    } else {
        let mut ok = HttpResponse::Ok();
        ok.insert_header((header::CONTENT_TYPE, asset.content_type));
        if let Some(value) = coding.header_value() {
            ok.insert_header((header::CONTENT_ENCODING, value));
        }
        ok.body(asset.body(coding).clone())
    };
    let headers = response.headers_mut();
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    if let Ok(etag) = HeaderValue::from_str(&asset.etag(coding)) {
        headers.insert(header::ETAG, etag);
    }
    if asset.brotli.is_some() || asset.gzip.is_some() {
        encoding::vary_on_encoding(headers);
    }
    Ok(response)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_fingerprinted_by_content() {
        let hash = &crate::content::content_hash(STYLESHEET.as_bytes())[..12];
        assert_eq!(*STYLESHEET_URL, format!("/static/style.{hash}.css"));
        assert!(ASK_SCRIPT_URL.starts_with("/static/ask.") && ASK_SCRIPT_URL.ends_with(".js"));
        assert!(FAVICON_URL.starts_with("/static/favicon.") && FAVICON_URL.ends_with(".svg"));
    }

    #[test]
    fn variants_are_kept_only_when_they_pay() {
        let style = ASSETS
            .iter()
            .find(|a| a.name == "style.css")
            .expect("style");
        let (br, gz) = (
            style.brotli.as_ref().expect("brotli variant"),
            style.gzip.as_ref().expect("gzip variant"),
        );
        assert!(br.len() < gz.len() && gz.len() < style.identity.len() / 2);
        let favicon = ASSETS
            .iter()
            .find(|a| a.name == "favicon.svg")
            .expect("favicon");
        assert!(
            favicon.brotli.is_none() && favicon.gzip.is_none(),
            "a {}-byte icon is sent as it is",
            favicon.identity.len()
        );
        assert_eq!(favicon.offered(), vec![Coding::Identity]);
    }
}
