//! The last step of every response: the security headers every page
//! carries, and compression of the body as the browser asked for it
//! (`Accept-Encoding`, with q-values).
//!
//! Dynamic responses are compressed here at fast settings (gzip level 1,
//! preferred among equal q-values: [`FAST_OFFERED`]; brotli quality 1 for a
//! browser that prefers brotli) and only when worth it: bodies under [`MIN_BODY`] bytes,
//! types that are already compressed (images other than SVG, archives, PDF)
//! and responses that already carry `Content-Encoding` (the precompressed
//! static assets, see [`crate::web::assets`]) pass through untouched.

use actix_web::body::{BodySize, EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderMap, HeaderName, HeaderValue};
use actix_web::http::StatusCode;
use actix_web::middleware::Next;
use actix_web::web::{self, Bytes};

/// Bodies shorter than this are sent as they are: compressing them saves a
/// few hundred bytes at most and costs more than it saves.
pub const MIN_BODY: usize = 1024;

/// Bodies longer than this are compressed on the blocking pool, so one large
/// response does not hold up the other requests of its worker.
const INLINE_LIMIT: usize = 64 * 1024;

/// gzip level for dynamic responses. zlib-rs's level 1 is its quick
/// strategy, whose output was 12-18 % larger than the other levels' (and
/// over half of a short page); level 2 was still 4-5 times faster than
/// miniz_oxide's level 1 and smaller (home page 38 µs and 2.4 KB against
/// 154 µs and 2.7 KB, question list 87 µs and 3.6 KB against 159 µs and
/// 4.1 KB, search page 45 µs and 2.0 KB against 177 µs and 2.2 KB).
const DYNAMIC_GZIP_LEVEL: u32 = 2;
/// brotli quality for dynamic responses to a browser that prefers brotli
/// to gzip (0–11; this crate's quality 1 is 2–5× slower than gzip level 1,
/// see [`FAST_OFFERED`]).
const DYNAMIC_BROTLI_QUALITY: i32 = 1;

/// The Content-Security-Policy of every page: no inline script or style.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; img-src 'self' https: data:; style-src 'self'; \
     script-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'";

/// The headers every response gets unless its handler set them: built once.
const DEFAULT_HEADERS: [(HeaderName, HeaderValue); 4] = [
    (
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CONTENT_SECURITY_POLICY),
    ),
    (
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    ),
    (
        header::REFERRER_POLICY,
        HeaderValue::from_static("strict-origin-when-cross-origin"),
    ),
    (header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY")),
];

const VARY_ACCEPT_ENCODING: HeaderValue = HeaderValue::from_static("accept-encoding");

/// A content coding Signpost can send.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Coding {
    /// `br`
    Brotli,
    /// `gzip`
    Gzip,
    /// No coding.
    Identity,
}

impl Coding {
    /// The `Content-Encoding` value (`None` for identity).
    pub fn header_value(self) -> Option<HeaderValue> {
        match self {
            Coding::Brotli => Some(HeaderValue::from_static("br")),
            Coding::Gzip => Some(HeaderValue::from_static("gzip")),
            Coding::Identity => None,
        }
    }

    fn names(self) -> &'static [&'static str] {
        match self {
            Coding::Brotli => &["br"],
            Coding::Gzip => &["gzip", "x-gzip"],
            Coding::Identity => &["identity"],
        }
    }
}

/// The codings Signpost offers for bodies compressed once and kept (static
/// assets, stored pages), best first (the tie-break between equal q-values).
pub const OFFERED: [Coding; 3] = [Coding::Brotli, Coding::Gzip, Coding::Identity];

/// The codings offered for bodies compressed per response, best first: gzip
/// before brotli. At their fast settings gzip level 1 (zlib-rs; level 2,
/// used since, see [`DYNAMIC_GZIP_LEVEL`]) took 16–47 µs for the pages
/// measured (home, question lists, search, article, question page signed
/// in, 8–31 KB) and brotli quality 1 49–200 µs, and gzip's output was
/// smaller on all but home (the signed-in question page: 4.9 KB against
/// 10.5 KB).
pub const FAST_OFFERED: [Coding; 3] = [Coding::Gzip, Coding::Brotli, Coding::Identity];

/// The coding to send for an `Accept-Encoding` header (RFC 9110 §12.5.3):
/// the offered coding with the highest q-value, the first of `offered` among
/// equals. A coding the header does not name takes the q-value of `*` when
/// present; identity is acceptable unless refused (`identity;q=0`, or `*;q=0`
/// without naming it), below every coding the header names. With no header, or when everything is refused,
/// identity (a body the client can always read). A malformed q-value makes
/// its entry count as absent.
pub fn negotiate(accept_encoding: Option<&str>, offered: &[Coding]) -> Coding {
    let Some(accept) = accept_encoding else {
        return Coding::Identity;
    };
    let mut named: Vec<(&str, f32)> = Vec::new();
    for item in accept.split(',') {
        let mut parts = item.split(';');
        let name = parts.next().unwrap_or("").trim();
        if name.is_empty() {
            continue;
        }
        let mut q = Some(1.0f32);
        for param in parts {
            if let Some((key, value)) = param.split_once('=') {
                if key.trim().eq_ignore_ascii_case("q") {
                    q = value
                        .trim()
                        .parse::<f32>()
                        .ok()
                        .filter(|q| (0.0..=1.0).contains(q));
                }
            }
        }
        if let Some(q) = q {
            named.push((name, q));
        }
    }
    let q_of = |name: &str| {
        named
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, q)| *q)
    };
    let star = q_of("*");
    let mut best: Option<(Coding, f32)> = None;
    for &coding in offered {
        let q = coding
            .names()
            .iter()
            .find_map(|name| q_of(name))
            .or(star)
            // Identity unnamed is acceptable, but below any coding named.
            .unwrap_or(if coding == Coding::Identity {
                0.001
            } else {
                0.0
            });
        if q > 0.0 && best.is_none_or(|(_, b)| q > b) {
            best = Some((coding, q));
        }
    }
    best.map_or(Coding::Identity, |(coding, _)| coding)
}

/// [`negotiate`] for a request's `Accept-Encoding` header lines (several
/// lines count as one, joined by commas).
pub fn negotiate_headers(headers: &HeaderMap, offered: &[Coding]) -> Coding {
    let lines: Vec<&str> = headers
        .get_all(header::ACCEPT_ENCODING)
        .filter_map(|v| v.to_str().ok())
        .collect();
    if lines.is_empty() {
        return negotiate(None, offered);
    }
    negotiate(Some(&lines.join(",")), offered)
}

/// Whether the request's `If-None-Match` names an entity tag for which
/// `current` holds (weak tags compare as strong ones), or is `*`.
pub fn if_none_match(headers: &HeaderMap, current: impl Fn(&str) -> bool) -> bool {
    headers
        .get_all(header::IF_NONE_MATCH)
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|tag| tag.trim())
        .map(|tag| tag.strip_prefix("W/").unwrap_or(tag))
        .any(|tag| tag == "*" || current(tag))
}

/// The header of the gzip members Signpost writes: no name, no time,
/// unknown system.
pub const GZIP_HEADER: [u8; 10] = [0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff];

/// `data` gzip-compressed at `level` (0–9, higher taken as 9). Each thread
/// keeps a compressor per level from one body to the next, reset in
/// between: a new one allocated and cleared its window and tables (some
/// 300 KB) for every response, a search page of 9 KB included. Counted by
/// callgrind, a search page answered from the result cache took 1.82
/// million instructions of the server before and 1.55 million after.
pub fn gzip(data: &[u8], level: u32) -> Option<Vec<u8>> {
    thread_local! {
        static COMPRESSORS: std::cell::RefCell<[Option<flate2::Compress>; 10]> =
            const { std::cell::RefCell::new([const { None }; 10]) };
    }
    let level = level.min(9);
    let mut out = Vec::with_capacity(data.len() / 3 + 256);
    out.extend_from_slice(&GZIP_HEADER);
    COMPRESSORS.with_borrow_mut(|kept| -> Option<()> {
        let compress = match &mut kept[level as usize] {
            Some(compress) => {
                compress.reset();
                compress
            }
            empty => empty.insert(flate2::Compress::new(
                flate2::Compression::new(level),
                false,
            )),
        };
        loop {
            let input = data.get(usize::try_from(compress.total_in()).ok()?..)?;
            let before = (compress.total_in(), compress.total_out());
            let status = compress
                .compress_vec(input, &mut out, flate2::FlushCompress::Finish)
                .ok()?;
            if status == flate2::Status::StreamEnd {
                return Some(());
            }
            // More room whenever the output ran short or the call could
            // not go on for want of it: every turn moves on or grows.
            if (compress.total_in(), compress.total_out()) == before
                || out.capacity() - out.len() < 64
            {
                out.reserve(out.capacity().max(256));
            }
        }
    })?;
    let mut crc = crc32fast::Hasher::new();
    crc.update(data);
    out.extend_from_slice(&crc.finalize().to_le_bytes());
    // ISIZE: the length modulo 2^32.
    out.extend_from_slice(&(data.len() as u32).to_le_bytes());
    Some(out)
}

/// `data` brotli-compressed at `quality` (0–11), with a window no larger
/// than the data needs (a small window keeps the encoder's memory small).
pub fn brotli(data: &[u8], quality: i32) -> Option<Vec<u8>> {
    let mut lgwin = 10;
    while lgwin < 22 && (1usize << lgwin) - 16 < data.len() {
        lgwin += 1;
    }
    let params = brotli::enc::BrotliEncoderParams {
        quality,
        lgwin,
        size_hint: data.len(),
        ..Default::default()
    };
    let mut out = Vec::with_capacity(data.len() / 3 + 64);
    brotli::BrotliCompress(&mut &data[..], &mut out, &params).ok()?;
    Some(out)
}

/// `data` in `coding` at the fast settings of dynamic responses.
pub fn encode_fast(coding: Coding, data: &[u8]) -> Option<Vec<u8>> {
    match coding {
        Coding::Brotli => brotli(data, DYNAMIC_BROTLI_QUALITY),
        Coding::Gzip => gzip(data, DYNAMIC_GZIP_LEVEL),
        Coding::Identity => None,
    }
}

/// Whether a body of this type gets smaller when compressed: text, JSON,
/// XML (feeds, sitemaps), JavaScript and SVG; not other images, archives,
/// PDF or anything without a type.
pub fn compressible_type(content_type: &str) -> bool {
    let essence = content_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    essence.starts_with("text/")
        || matches!(
            essence.as_str(),
            "application/json"
                | "application/javascript"
                | "application/xml"
                | "image/svg+xml"
                | "application/manifest+json"
        )
        || (essence.starts_with("application/")
            && (essence.ends_with("+xml") || essence.ends_with("+json")))
}

/// Whether the body of a response with these headers and status may be
/// compressed here (the size is checked apart).
fn may_compress(status: StatusCode, headers: &HeaderMap) -> bool {
    !matches!(
        status,
        StatusCode::SWITCHING_PROTOCOLS
            | StatusCode::NO_CONTENT
            | StatusCode::PARTIAL_CONTENT
            | StatusCode::NOT_MODIFIED
    ) && !headers.contains_key(header::CONTENT_ENCODING)
        && headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(compressible_type)
}

/// Adds `Vary: Accept-Encoding` unless the response already varies on it.
pub fn vary_on_encoding(headers: &mut HeaderMap) {
    let already = headers.get_all(header::VARY).any(|v| {
        v.to_str().is_ok_and(|v| {
            v.split(',')
                .any(|p| p.trim().eq_ignore_ascii_case("accept-encoding") || p.trim() == "*")
        })
    });
    if !already {
        headers.append(header::VARY, VARY_ACCEPT_ENCODING);
    }
}

/// Middleware, outermost but for the access log: default headers, then
/// compression as described in the module documentation.
pub async fn finish<B: MessageBody + 'static>(
    req: ServiceRequest,
    next: Next<B>,
) -> Result<ServiceResponse<EitherBody<B, Bytes>>, actix_web::Error> {
    let coding = negotiate_headers(req.headers(), &FAST_OFFERED);
    let mut res = next.call(req).await?;
    let headers = res.headers_mut();
    for (name, value) in &DEFAULT_HEADERS {
        if !headers.contains_key(name) {
            headers.insert(name.clone(), value.clone());
        }
    }
    let big_enough = matches!(res.response().body().size(), BodySize::Sized(n) if n >= MIN_BODY as u64)
        || matches!(res.response().body().size(), BodySize::Stream);
    if !big_enough || !may_compress(res.status(), res.headers()) {
        return Ok(res.map_into_left_body());
    }
    vary_on_encoding(res.headers_mut());
    if coding == Coding::Identity {
        return Ok(res.map_into_left_body());
    }
    let (req, res) = res.into_parts();
    let (mut res, body) = res.into_parts();
    let bytes = match body.try_into_bytes() {
        Ok(bytes) => bytes,
        // A streamed body goes out as it is.
        Err(body) => {
            return Ok(ServiceResponse::new(
                req,
                res.set_body(body).map_into_left_body(),
            ))
        }
    };
    let encoded = if bytes.len() <= INLINE_LIMIT {
        encode_fast(coding, &bytes)
    } else {
        let input = bytes.clone();
        web::block(move || encode_fast(coding, &input))
            .await
            .ok()
            .flatten()
    };
    let body = match (encoded, coding.header_value()) {
        (Some(encoded), Some(value)) if encoded.len() < bytes.len() => {
            res.headers_mut().insert(header::CONTENT_ENCODING, value);
            Bytes::from(encoded)
        }
        _ => bytes,
    };
    Ok(ServiceResponse::new(
        req,
        res.set_body(body).map_into_right_body(),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pick(header: &str) -> Coding {
        negotiate(Some(header), &OFFERED)
    }

    #[test]
    fn compression_per_response_prefers_gzip_among_equals() {
        let fast = |header: &str| negotiate(Some(header), &FAST_OFFERED);
        assert_eq!(fast("gzip, deflate, br"), Coding::Gzip);
        assert_eq!(fast("br, gzip"), Coding::Gzip);
        assert_eq!(fast("br"), Coding::Brotli);
        assert_eq!(fast("br;q=1, gzip;q=0.8"), Coding::Brotli);
        assert_eq!(fast("gzip;q=0, br"), Coding::Brotli);
        assert_eq!(fast("identity"), Coding::Identity);
        // Bodies kept compressed still go out as brotli.
        assert_eq!(pick("gzip, deflate, br"), Coding::Brotli);
    }

    #[test]
    fn negotiation_follows_q_values() {
        assert_eq!(negotiate(None, &OFFERED), Coding::Identity);
        assert_eq!(pick("gzip, deflate, br"), Coding::Brotli);
        assert_eq!(pick("gzip, deflate, br, zstd"), Coding::Brotli);
        assert_eq!(pick("gzip, deflate"), Coding::Gzip);
        assert_eq!(pick("br;q=0.5, gzip"), Coding::Gzip);
        assert_eq!(pick("br;q=0.4, gzip;q=0.8"), Coding::Gzip);
        assert_eq!(pick("gzip;q=0.1"), Coding::Gzip);
        assert_eq!(pick("gzip;q=0.5, identity"), Coding::Identity);
        assert_eq!(pick("br;q=0, gzip;q=0"), Coding::Identity);
        assert_eq!(pick("x-gzip"), Coding::Gzip);
        assert_eq!(pick("GZIP;Q=0.8, BR;q=0.9"), Coding::Brotli);
        assert_eq!(pick("*"), Coding::Brotli);
        assert_eq!(pick("*;q=0.5, br;q=0.1"), Coding::Gzip);
        assert_eq!(pick("deflate"), Coding::Identity);
        assert_eq!(pick(""), Coding::Identity);
        assert_eq!(
            pick("br;q=2, gzip"),
            Coding::Gzip,
            "an out-of-range q-value makes its entry count as absent"
        );
        assert_eq!(pick("br;q=abc"), Coding::Identity);
        assert_eq!(
            pick("identity;q=0, *;q=0"),
            Coding::Identity,
            "when everything is refused, the body still goes out readable"
        );
        assert_eq!(
            negotiate(Some("gzip, br"), &[Coding::Gzip, Coding::Identity]),
            Coding::Gzip,
            "only offered codings are chosen"
        );
    }

    #[test]
    fn header_lines_are_negotiated_together() {
        let mut headers = HeaderMap::new();
        assert_eq!(negotiate_headers(&headers, &OFFERED), Coding::Identity);
        headers.append(header::ACCEPT_ENCODING, HeaderValue::from_static("gzip"));
        assert_eq!(negotiate_headers(&headers, &OFFERED), Coding::Gzip);
        headers.append(header::ACCEPT_ENCODING, HeaderValue::from_static("br"));
        assert_eq!(negotiate_headers(&headers, &OFFERED), Coding::Brotli);
        let mut headers = HeaderMap::new();
        headers.append(header::ACCEPT_ENCODING, HeaderValue::from_static("br;q=0"));
        headers.append(header::ACCEPT_ENCODING, HeaderValue::from_static("gzip"));
        assert_eq!(negotiate_headers(&headers, &OFFERED), Coding::Gzip);
    }

    #[test]
    fn if_none_match_compares_weakly_and_takes_star() {
        let headers = |values: &[&'static str]| {
            let mut headers = HeaderMap::new();
            for v in values {
                headers.append(header::IF_NONE_MATCH, HeaderValue::from_static(v));
            }
            headers
        };
        let is_a = |tag: &str| tag == "\"a\"";
        assert!(!if_none_match(&headers(&[]), is_a));
        assert!(if_none_match(&headers(&["\"a\""]), is_a));
        assert!(if_none_match(&headers(&["W/\"a\""]), is_a));
        assert!(if_none_match(&headers(&["\"b\", W/\"a\""]), is_a));
        assert!(if_none_match(&headers(&["\"b\"", "\"a\""]), is_a));
        assert!(if_none_match(&headers(&["*"]), is_a));
        assert!(!if_none_match(&headers(&["\"b\", \"c\""]), is_a));
    }

    #[test]
    fn gzip_reuses_its_compressors_and_every_member_reads_back() {
        let gunzip = |gz: &[u8]| {
            let mut back = Vec::new();
            std::io::Read::read_to_end(&mut flate2::read::GzDecoder::new(gz), &mut back)
                .expect("gunzip");
            back
        };
        // Bodies of every size, at two levels in turn on one thread, so
        // each compressor is reset between bodies and left half-used by none.
        let mut seed: u32 = 7;
        let noise: Vec<u8> = (0..200_000)
            .map(|_| {
                seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12_345);
                (seed >> 16) as u8
            })
            .collect();
        let page = "<li><a href=\"/questions/1\">Printer offline</a></li>\n".repeat(300);
        let bodies: Vec<&[u8]> = vec![
            b"",
            b"a",
            page.as_bytes(),
            &noise[..1000],
            &noise,
            page.as_bytes(),
        ];
        for round in 0..2 {
            for (i, body) in bodies.iter().enumerate() {
                for level in [2, 9, 12] {
                    let gz = gzip(body, level).expect("gzip");
                    assert_eq!(gz[..10], GZIP_HEADER, "round {round} body {i}");
                    assert_eq!(gunzip(&gz), *body, "round {round} body {i} level {level}");
                }
            }
        }
        // A reused compressor writes what a new one writes.
        let first = gzip(page.as_bytes(), 2).expect("gzip");
        let again = gzip(page.as_bytes(), 2).expect("gzip");
        assert_eq!(first, again);
        assert!(first.len() < page.len() / 10, "{} bytes", first.len());
    }

    #[test]
    fn both_codings_round_trip() {
        let text = "the printer keeps saying it is offline every morning. ".repeat(200);
        let gz = gzip(text.as_bytes(), 9).expect("gzip");
        assert!(gz.len() < text.len() / 10, "gzip: {} bytes", gz.len());
        let mut back = String::new();
        std::io::Read::read_to_string(&mut flate2::read::GzDecoder::new(&gz[..]), &mut back)
            .expect("gunzip");
        assert_eq!(back, text);

        let br = brotli(text.as_bytes(), 11).expect("brotli");
        assert!(br.len() < text.len() / 10, "brotli: {} bytes", br.len());
        let mut back = Vec::new();
        brotli::BrotliDecompress(&mut &br[..], &mut back).expect("unbrotli");
        assert_eq!(back, text.as_bytes());
        assert_eq!(
            encode_fast(Coding::Identity, text.as_bytes()),
            None,
            "identity is never encoded"
        );
    }

    #[test]
    fn only_compressible_types_are_compressed() {
        for yes in [
            "text/html; charset=utf-8",
            "text/css",
            "application/json",
            "application/atom+xml",
            "application/rss+xml; charset=utf-8",
            "image/svg+xml",
            "text/javascript; charset=utf-8",
        ] {
            assert!(compressible_type(yes), "{yes}");
        }
        for no in [
            "image/png",
            "image/jpeg",
            "application/zip",
            "application/pdf",
            "application/octet-stream",
            "",
        ] {
            assert!(!compressible_type(no), "{no}");
        }
    }

    #[test]
    fn vary_is_added_once() {
        let mut headers = HeaderMap::new();
        vary_on_encoding(&mut headers);
        vary_on_encoding(&mut headers);
        assert_eq!(headers.get_all(header::VARY).count(), 1);
        let mut headers = HeaderMap::new();
        headers.insert(
            header::VARY,
            HeaderValue::from_static("Cookie, Accept-Encoding"),
        );
        vary_on_encoding(&mut headers);
        assert_eq!(headers.get_all(header::VARY).count(), 1);
    }
}
