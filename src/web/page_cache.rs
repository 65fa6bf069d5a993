//! The cache of rendered pages for anonymous visitors: home, manuals and
//! articles, the troubleshooter list and its steps, questions, question
//! lists and tag pages, known issues, announcements, the sitemap and the
//! feeds.
//!
//! A GET or HEAD without a session or kept-draft cookie is answered from
//! memory when this node holds the page and no change since its rendering
//! applies to it ([`PageVersions`]); otherwise the handler renders it and
//! the page is stored, with its gzip and brotli copies made once, off the
//! request (at most [`COMPRESSING`] pages at a time; past that a page is
//! served as rendered and not stored). One request at a time renders a
//! missing page to store it (its claim, taken only by a request that can
//! store the page); requests arriving meanwhile wait for its copy.
//!
//! Keys: the path, the query parameters the route reads (normalised, in a
//! fixed order: [`key_of`]) and, for a browser that dismissed banners, the
//! dismissed banners still shown on the board. A request with other
//! parameters gets the page of its normalised key, or a page rendered for
//! it and not stored, so made-up query strings cost no compression and
//! push out no page.
//!
//! Form tokens: a guest without the cookie gets a new pre-session token on
//! pages with forms. The stored page keeps the places of that token and
//! each hit gets a fresh token there (and the cookie), so no two visitors
//! share one. Compressed copies of such pages are stored in parts
//! compressed apart and joined around the token (a stored deflate block
//! for gzip, concatenated brotli streams); such pages never answer 304.
//!
//! Memory: entries are counted by their bytes (bodies, compressed copies,
//! headers, key) and kept under the cap by a segmented LRU: new pages enter
//! a probation segment, a page hit again moves to the protected one (at most
//! 80% of the cap), and eviction takes probation's least recent first, so a
//! flood of one-off URLs cannot push out the pages people keep reading.

use std::collections::{BTreeMap, HashMap};
use std::io::Write;
use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use actix_web::body::{BodySize, BoxBody, MessageBody};
use actix_web::cookie::Cookie;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderMap, HeaderName, HeaderValue};
use actix_web::http::{Method, StatusCode};
use actix_web::middleware::Next;
use actix_web::web::{self, Bytes};
use actix_web::{HttpMessage, HttpRequest, HttpResponse};

use crate::app::AppState;
use crate::auth::{tokens, CSRF_COOKIE, SESSION_COOKIE};
use crate::db::models::page_changes::{self, PageScope};
use crate::db::models::questions::{Cursor, Tab};
use crate::db::unix_now;
use crate::service::announcements::{Board, Dismissed, DISMISSED_COOKIE};
use crate::service::known_issues::Showing;
use crate::service::page_feed::{PageKind, PageVersions};
use crate::web::encoding::{self, Coding};
use crate::web::pages::troubleshoot::{self, StepVisit, WALK_COOKIE};
use crate::web::session::{inbox_link, Viewer};

/// Age after which a page is rendered again (pages say "updated 3 minutes
/// ago"); the old copy is served until the new one is stored.
pub const MAX_AGE_SECS: i64 = 60;
/// The debug header saying how a page was served: `hit`, `miss` or `bypass`.
pub const X_CACHE: &str = "x-cache";
/// Set when a guest's draft is kept: their question pages show it, so they
/// are rendered for them (drafts are deleted after 30 days, so is this).
pub const DRAFT_COOKIE: &str = "sp_draft";
/// Longest path and query cached.
const MAX_KEY: usize = 1024;
/// Share of the cap the protected segment may hold, in percent.
const PROTECTED_SHARE: usize = 80;
/// Bytes counted per entry besides its bodies (map slots, the entry itself).
const ENTRY_OVERHEAD: usize = 256;
/// Brotli quality of stored pages. Quality 5 and up cost 10–20× more
/// processor time and memory (quality 9's match finder alone is a 32 MiB
/// table, zeroed per page) for copies only 5–8 % smaller; pages are
/// rendered again at least every minute, and under load those builds made
/// the slowest responses.
const BROTLI_QUALITY: i32 = 4;
/// How long one request's claim to render a page again holds (seconds);
/// a claim whose build was lost lets another request take over after it.
const CLAIM_SECS: i64 = 10;
/// How long past its refresh a page may still be served while others
/// render it: when no request manages to store a new copy (pages with
/// forms are stored only from a render without the visitor's own token),
/// the old one ends here rather than being served on and on.
const STALE_SECS: i64 = 5 * MAX_AGE_SECS;
/// gzip level of stored pages (zlib's default).
const GZIP_LEVEL: u32 = 6;
/// Length of a form token (see [`tokens::random_token`]).
const TOKEN_LEN: usize = 64;
/// Pages compressed for storing at once; a page rendered while as many are
/// being compressed is served as it is and not stored.
pub const COMPRESSING: usize = 2;
/// Share of the cap members' pages may take, in percent: a flood of them
/// pushes out only each other, never the anonymous pages.
const MEMBER_SHARE: usize = 25;
/// Members' pages compressed for storing at once.
const MEMBER_COMPRESSING: usize = 1;
/// Dismissed banners a key names at most (past it the page is rendered).
const MAX_DISMISSED_IN_KEY: usize = 16;
/// Query parameters that show a state of one visitor's visit (the thanks
/// of the feedback box): such pages are rendered and never stored.
const VISIT_PARAMS: &[&str] = &["feedback", "fb"];

/// One stored page.
#[derive(Debug)]
struct Entry {
    kind: PageKind,
    /// [`PageVersions::snapshot`] when its rendering started.
    snapshot: u64,
    /// [`Board::generation`](crate::service::announcements::Board::generation) then.
    board: u64,
    /// Unix seconds after which it is not served (a banner starts or ends).
    expires: i64,
    /// Unix seconds after which it is rendered again (relative times); until
    /// the new copy is stored, other requests still get this one.
    refresh: i64,
    /// Strong validator of the page (without its form tokens).
    etag: String,
    /// The handler's headers (content type, security headers).
    headers: Vec<(HeaderName, HeaderValue)>,
    /// The body cut at its form tokens: a token goes between two parts.
    parts: Vec<Bytes>,
    /// What goes between parts `i` and `i + 1` (always the form token on
    /// anonymous pages).
    holes: Vec<Hole>,
    encoded: Encoded,
    /// A troubleshooter step: each hit records the visitor's walk.
    visit: Option<Arc<StepVisit>>,
    /// The member the page was rendered for (`None`: anonymous).
    owner: Option<i32>,
    /// Bytes counted against the cap.
    size: usize,
}

/// A place in a stored page filled per request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Hole {
    /// The form token (the guest's, or the member's session token).
    Token,
    /// The answer form's submit key (a new one per page view).
    SubmitKey,
    /// A member's inbox link with their unread count.
    Inbox,
}

#[derive(Debug)]
enum Encoded {
    /// A page without form tokens: whole compressed copies.
    Whole { gzip: Bytes, brotli: Bytes },
    /// A page with form tokens: each part as raw deflate (all but the last
    /// ended with a sync flush), with its CRC-32 state, and as a brotli
    /// stream made to be concatenated; joined around the token per request.
    Parts {
        deflated: Vec<Bytes>,
        crcs: Vec<crc32fast::Hasher>,
        brotli: Vec<Bytes>,
    },
}

impl Entry {
    fn has_tokens(&self) -> bool {
        self.parts.len() > 1
    }

    /// The length of the body in `coding` with a token put in, when it is
    /// known without building the body (a joined brotli stream's is not).
    fn length(&self, coding: Coding) -> Option<usize> {
        let tokens = self.parts.len() - 1;
        match (coding, &self.encoded) {
            (Coding::Identity, _) => {
                Some(self.parts.iter().map(Bytes::len).sum::<usize>() + tokens * TOKEN_LEN)
            }
            (Coding::Gzip, Encoded::Whole { gzip, .. }) => Some(gzip.len()),
            (Coding::Brotli, Encoded::Whole { brotli, .. }) => Some(brotli.len()),
            // Header, the parts, a stored block per token, trailer.
            (Coding::Gzip, Encoded::Parts { deflated, .. }) => Some(
                10 + deflated.iter().map(Bytes::len).sum::<usize>() + tokens * (5 + TOKEN_LEN) + 8,
            ),
            (Coding::Brotli, Encoded::Parts { .. }) => None,
        }
    }

    /// The same `token` in every hole (an anonymous page).
    fn same_in_every_hole<'a>(&self, token: &'a str) -> Vec<&'a [u8]> {
        vec![token.as_bytes(); self.parts.len() - 1]
    }

    #[cfg(test)]
    fn identity(&self, token: &str) -> Bytes {
        self.identity_filled(&self.same_in_every_hole(token))
    }

    #[cfg(test)]
    fn gzip(&self, token: &str) -> Bytes {
        self.gzip_filled(&self.same_in_every_hole(token))
    }

    #[cfg(test)]
    fn brotli(&self, token: &str) -> std::io::Result<Bytes> {
        self.brotli_filled(&self.same_in_every_hole(token))
    }

    /// The body with `fills[i]` between parts `i` and `i + 1`.
    fn identity_filled(&self, fills: &[&[u8]]) -> Bytes {
        if let [only] = self.parts.as_slice() {
            return only.clone();
        }
        let mut body = Vec::with_capacity(self.parts.iter().map(Bytes::len).sum::<usize>() + 256);
        for (i, part) in self.parts.iter().enumerate() {
            if i > 0 {
                body.extend_from_slice(fills[i - 1]);
            }
            body.extend_from_slice(part);
        }
        Bytes::from(body)
    }

    fn gzip_filled(&self, fills: &[&[u8]]) -> Bytes {
        match &self.encoded {
            Encoded::Whole { gzip, .. } => gzip.clone(),
            Encoded::Parts { deflated, crcs, .. } => join_gzip(deflated, crcs, &self.parts, fills),
        }
    }

    fn brotli_filled(&self, fills: &[&[u8]]) -> std::io::Result<Bytes> {
        match &self.encoded {
            Encoded::Whole { brotli, .. } => Ok(brotli.clone()),
            Encoded::Parts { brotli, .. } => {
                // A value used in several holes (the form token) is made
                // into a stream once.
                let mut streams: Vec<(&[u8], Vec<u8>)> = Vec::new();
                let mut order = Vec::with_capacity(fills.len());
                for fill in fills {
                    let at = match streams.iter().position(|(value, _)| value == fill) {
                        Some(at) => at,
                        None => {
                            streams.push((fill, stored_brotli(fill)?));
                            streams.len() - 1
                        }
                    };
                    order.push(at);
                }
                let fills: Vec<&[u8]> = order.iter().map(|&i| streams[i].1.as_slice()).collect();
                join_brotli_filled(brotli, &fills).map(Bytes::from)
            }
        }
    }
}

/// A brotli stream of `data` that streams made with `first = false` can be
/// concatenated to (`first`) or that is concatenated to one (not `first`).
fn brotli_part(data: &[u8], first: bool, quality: i32) -> std::io::Result<Vec<u8>> {
    let params = brotli::enc::BrotliEncoderParams {
        quality,
        // Later parts and the tokens between them use 16 (a joined
        // stream's parts may not have a larger window than its first).
        lgwin: if first {
            window_for(data.len()).max(16)
        } else {
            16
        },
        size_hint: data.len(),
        appendable: first,
        catable: !first,
        use_dictionary: first,
        ..Default::default()
    };
    let mut out = Vec::with_capacity(data.len() / 3 + 64);
    brotli::BrotliCompress(&mut &data[..], &mut out, &params)?;
    Ok(out)
}

/// A brotli stream holding `data` as it is (one uncompressed meta-block),
/// made to be concatenated like the parts: a form token is random, so
/// compressing it gains nothing, and writing it by hand spares each hit a
/// brotli encoder (its tables, allocated and zeroed per call). Data empty
/// or over 64 KiB goes through the encoder.
fn stored_brotli(data: &[u8]) -> std::io::Result<Vec<u8>> {
    if data.is_empty() || data.len() > 1 << 16 {
        return brotli_part(data, false, 1);
    }
    // RFC 7932, least significant bit first: window size 16 (one 0 bit);
    // ISLAST 0; MNIBBLES 4 (00); MLEN - 1 in 16 bits; ISUNCOMPRESSED 1;
    // zero padding to the byte. Then the bytes, then an empty last
    // meta-block (ISLAST 1, ISLASTEMPTY 1).
    let header = ((data.len() as u32 - 1) << 4) | (1 << 20);
    let mut out = Vec::with_capacity(data.len() + 4);
    out.extend_from_slice(&header.to_le_bytes()[..3]);
    out.extend_from_slice(data);
    out.push(0b11);
    Ok(out)
}

/// The smallest brotli window (log2, 10–22) holding `len` bytes.
fn window_for(len: usize) -> i32 {
    let mut lgwin = 10;
    while lgwin < 22 && (1usize << lgwin) - 16 < len {
        lgwin += 1;
    }
    lgwin
}

/// One brotli stream from `parts` with `token` between each two.
#[cfg(test)]
fn join_brotli(parts: &[Bytes], token: &[u8]) -> std::io::Result<Vec<u8>> {
    join_brotli_filled(parts, &vec![token; parts.len().saturating_sub(1)])
}

/// One brotli stream from `parts` with the stream `fills[i]` between parts
/// `i` and `i + 1`.
fn join_brotli_filled(parts: &[Bytes], fills: &[&[u8]]) -> std::io::Result<Vec<u8>> {
    use brotli::concat::{BroCatli, BroCatliResult};
    let total = parts.iter().map(Bytes::len).sum::<usize>()
        + fills.iter().map(|f| f.len()).sum::<usize>()
        + 64;
    let mut out = vec![0u8; total];
    let mut written = 0;
    let mut cat = BroCatli::new();
    let failed = |r: BroCatliResult| std::io::Error::other(format!("joining brotli: {r:?}"));
    for (i, part) in parts.iter().enumerate() {
        let streams: &[&[u8]] = if i > 0 {
            &[fills[i - 1], part]
        } else {
            &[part]
        };
        for stream in streams {
            cat.new_brotli_file();
            let mut read = 0;
            loop {
                match cat.stream(stream, &mut read, &mut out, &mut written) {
                    BroCatliResult::NeedsMoreInput => break,
                    BroCatliResult::NeedsMoreOutput => out.resize(out.len() * 2, 0),
                    other => return Err(failed(other)),
                }
            }
        }
    }
    loop {
        match cat.finish(&mut out, &mut written) {
            BroCatliResult::Success => break,
            BroCatliResult::NeedsMoreOutput => out.resize(out.len() * 2, 0),
            other => return Err(failed(other)),
        }
    }
    out.truncate(written);
    Ok(out)
}

/// A gzip member from deflate parts with `fills[i]` stored between parts
/// `i` and `i + 1` (each at most 64 KiB).
fn join_gzip(
    deflated: &[Bytes],
    crcs: &[crc32fast::Hasher],
    parts: &[Bytes],
    fills: &[&[u8]],
) -> Bytes {
    let mut out = Vec::with_capacity(deflated.iter().map(Bytes::len).sum::<usize>() + 256);
    out.extend_from_slice(&encoding::GZIP_HEADER);
    let mut crc = crc32fast::Hasher::new();
    let mut total: u64 = 0;
    for (i, ((part, part_crc), plain)) in deflated.iter().zip(crcs).zip(parts).enumerate() {
        if i > 0 {
            let token = fills[i - 1];
            let len = token.len() as u16;
            // A stored block (not final): the previous part ended byte-aligned.
            out.push(0);
            out.extend_from_slice(&len.to_le_bytes());
            out.extend_from_slice(&(!len).to_le_bytes());
            out.extend_from_slice(token);
            crc.update(token);
            total += token.len() as u64;
        }
        out.extend_from_slice(part);
        crc.combine(part_crc);
        total += plain.len() as u64;
    }
    out.extend_from_slice(&crc.finalize().to_le_bytes());
    out.extend_from_slice(&(total as u32).to_le_bytes());
    Bytes::from(out)
}

fn deflate_part(data: &[u8], last: bool) -> std::io::Result<Vec<u8>> {
    let mut encoder =
        flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::default());
    encoder.write_all(data)?;
    if last {
        return encoder.finish();
    }
    // A sync flush ends the output on a byte boundary without a final block;
    // the encoder's own end, written when it drops, goes to the emptied buffer.
    encoder.flush()?;
    Ok(std::mem::take(encoder.get_mut()))
}

/// What a miss hands to the builder (off the request).
struct Rendered {
    kind: PageKind,
    snapshot: u64,
    board: u64,
    expires: i64,
    refresh: i64,
    headers: Vec<(HeaderName, HeaderValue)>,
    body: Bytes,
    token: Option<String>,
    /// A member's page: the values of its holes in this render (cut out
    /// wherever they occur; `token` is then unused).
    member_holes: Vec<(Hole, String)>,
    visit: Option<Arc<StepVisit>>,
    /// The member it was rendered for.
    owner: Option<i32>,
}

impl Rendered {
    fn build(self, key_len: usize) -> std::io::Result<Entry> {
        let (parts, holes) = if self.member_holes.is_empty() {
            let parts = match &self.token {
                Some(token) => split_at(&self.body, token.as_bytes()),
                None => vec![self.body.clone()],
            };
            let holes = vec![Hole::Token; parts.len() - 1];
            (parts, holes)
        } else {
            cut_at(&self.body, &self.member_holes)
                .ok_or_else(|| std::io::Error::other("overlapping holes"))?
        };
        let etag = format!(
            "\"{}\"",
            &crate::content::content_hash(&parts.concat())[..20]
        );
        let encoded = if parts.len() > 1 {
            let last = parts.len() - 1;
            let mut deflated = Vec::with_capacity(parts.len());
            let mut crcs = Vec::with_capacity(parts.len());
            let mut brotli = Vec::with_capacity(parts.len());
            for (i, part) in parts.iter().enumerate() {
                deflated.push(Bytes::from(deflate_part(part, i == last)?));
                brotli.push(Bytes::from(brotli_part(part, i == 0, BROTLI_QUALITY)?));
                let mut crc = crc32fast::Hasher::new();
                crc.update(part);
                crcs.push(crc);
            }
            Encoded::Parts {
                deflated,
                crcs,
                brotli,
            }
        } else {
            Encoded::Whole {
                gzip: Bytes::from(
                    encoding::gzip(&self.body, GZIP_LEVEL)
                        .ok_or_else(|| std::io::Error::other("gzip failed"))?,
                ),
                brotli: Bytes::from(
                    encoding::brotli(&self.body, BROTLI_QUALITY)
                        .ok_or_else(|| std::io::Error::other("brotli failed"))?,
                ),
            }
        };
        let encoded_size = match &encoded {
            Encoded::Whole { gzip, brotli } => gzip.len() + brotli.len(),
            Encoded::Parts {
                deflated, brotli, ..
            } => deflated.iter().chain(brotli).map(Bytes::len).sum(),
        };
        let header_size: usize = self
            .headers
            .iter()
            .map(|(n, v)| n.as_str().len() + v.len())
            .sum();
        let size = parts.iter().map(Bytes::len).sum::<usize>()
            + encoded_size
            + header_size
            + key_len
            + ENTRY_OVERHEAD;
        Ok(Entry {
            kind: self.kind,
            snapshot: self.snapshot,
            board: self.board,
            expires: self.expires,
            refresh: self.refresh,
            etag,
            headers: self.headers,
            parts,
            holes,
            encoded,
            visit: self.visit,
            owner: self.owner,
            size,
        })
    }
}

/// `body` cut at every occurrence of each hole's value, with the hole of
/// each cut; `None` when two occurrences overlap.
fn cut_at(body: &Bytes, holes: &[(Hole, String)]) -> Option<(Vec<Bytes>, Vec<Hole>)> {
    let mut found: Vec<(usize, usize, Hole)> = Vec::new();
    for (hole, value) in holes {
        let value = value.as_bytes();
        if value.is_empty() {
            return None;
        }
        let mut i = 0;
        while let Some(at) = find(&body[i..], value) {
            found.push((i + at, i + at + value.len(), *hole));
            i += at + value.len();
        }
    }
    found.sort_unstable_by_key(|&(start, _, _)| start);
    let mut parts = Vec::with_capacity(found.len() + 1);
    let mut kinds = Vec::with_capacity(found.len());
    let mut start = 0;
    for (from, to, hole) in found {
        if from < start {
            return None;
        }
        parts.push(body.slice(start..from));
        kinds.push(hole);
        start = to;
    }
    parts.push(body.slice(start..));
    Some((parts, kinds))
}

/// Where `needle` first occurs in `haystack`.
fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// `body` cut at every occurrence of `token`.
fn split_at(body: &Bytes, token: &[u8]) -> Vec<Bytes> {
    let mut parts = Vec::new();
    let mut start = 0;
    let mut i = 0;
    while i + token.len() <= body.len() {
        if &body[i..i + token.len()] == token {
            parts.push(body.slice(start..i));
            i += token.len();
            start = i;
        } else {
            i += 1;
        }
    }
    parts.push(body.slice(start..));
    parts
}

#[derive(Debug)]
struct Slot {
    entry: Arc<Entry>,
    tick: u64,
    protected: bool,
}

/// The entries with their two LRU segments.
#[derive(Debug, Default)]
struct Store {
    map: HashMap<String, Slot>,
    probation: BTreeMap<u64, String>,
    protected: BTreeMap<u64, String>,
    tick: u64,
    bytes: usize,
    protected_bytes: usize,
    /// Pages one request is rendering to store.
    claims: HashMap<String, ClaimSlot>,
    /// The number of the last claim given.
    last_claim: u64,
}

/// One request's claim to render a page and store it.
#[derive(Debug)]
struct ClaimSlot {
    /// Which claim this is: only its holder's `release` or `insert` ends it
    /// (a holder whose claim lapsed and was taken over ends nothing).
    id: u64,
    /// When it was taken (unix seconds); it lapses after [`CLAIM_SECS`].
    since: i64,
    /// Requests waiting for the page subscribe here; the sender is dropped
    /// when the claim ends, which wakes them. It says `true` when the
    /// holder rendered the page but could not store it (the waiters then
    /// render it themselves instead of waiting in turn).
    ended: tokio::sync::watch::Sender<bool>,
}

impl Store {
    fn get(&mut self, key: &str, protected_cap: usize) -> Option<Arc<Entry>> {
        self.tick += 1;
        let tick = self.tick;
        let slot = self.map.get_mut(key)?;
        let entry = slot.entry.clone();
        let was_protected = slot.protected;
        if was_protected {
            self.protected.remove(&slot.tick);
        } else {
            self.probation.remove(&slot.tick);
            self.protected_bytes += entry.size;
        }
        slot.tick = tick;
        slot.protected = true;
        self.protected.insert(tick, key.to_string());
        // Demote the protected segment's least recent past its share.
        while self.protected_bytes > protected_cap {
            let Some((old_tick, old_key)) = self.protected.pop_first() else {
                break;
            };
            if let Some(old) = self.map.get_mut(&old_key) {
                old.protected = false;
                self.protected_bytes -= old.entry.size;
                self.probation.insert(old_tick, old_key);
            }
        }
        Some(entry)
    }

    fn remove(&mut self, key: &str) {
        if let Some(slot) = self.map.remove(key) {
            self.bytes -= slot.entry.size;
            if slot.protected {
                self.protected.remove(&slot.tick);
                self.protected_bytes -= slot.entry.size;
            } else {
                self.probation.remove(&slot.tick);
            }
        }
    }

    fn insert(&mut self, key: String, entry: Arc<Entry>, cap: usize) {
        self.remove(&key);
        self.tick += 1;
        self.bytes += entry.size;
        self.probation.insert(self.tick, key.clone());
        self.map.insert(
            key,
            Slot {
                entry,
                tick: self.tick,
                protected: false,
            },
        );
        while self.bytes > cap {
            let victim = match self.probation.first_key_value() {
                Some((_, key)) => key.clone(),
                None => match self.protected.first_key_value() {
                    Some((_, key)) => key.clone(),
                    None => break,
                },
            };
            self.remove(&victim);
        }
    }
}

/// This node's page cache.
#[derive(Debug)]
pub struct PageCache {
    /// Bytes for anonymous pages (the cap less the members' share).
    cap: usize,
    store: Mutex<Store>,
    /// Bytes for signed-in members' pages ([`MEMBER_SHARE`] of the cap).
    member_cap: usize,
    /// Members' pages, keyed by user id and page key.
    members: Mutex<Store>,
    /// Permits to compress a member's page for storing
    /// ([`MEMBER_COMPRESSING`]), apart from the anonymous pages' so a
    /// flood of members' pages never keeps anonymous ones from being stored.
    member_compressing: Arc<tokio::sync::Semaphore>,
    /// What changed since a page was rendered.
    pub versions: Arc<PageVersions>,
    /// Permits to compress a page for storing ([`COMPRESSING`]).
    compressing: Arc<tokio::sync::Semaphore>,
    /// The known issues showing banners as last read, for the banners of
    /// search results (see [`PageCache::kept_issues`]).
    issues: Mutex<Option<KeptIssues>>,
}

/// Known issues read at a [`PageVersions`] snapshot.
#[derive(Debug)]
struct KeptIssues {
    snapshot: u64,
    showing: Arc<Showing>,
}

impl PageCache {
    /// A cache holding at most `cap_bytes` (0: off).
    pub fn new(cap_bytes: usize, versions: Arc<PageVersions>) -> Self {
        let member_cap = cap_bytes / 100 * MEMBER_SHARE;
        PageCache {
            cap: cap_bytes - member_cap,
            store: Mutex::new(Store::default()),
            member_cap,
            members: Mutex::new(Store::default()),
            member_compressing: Arc::new(tokio::sync::Semaphore::new(MEMBER_COMPRESSING)),
            versions,
            compressing: Arc::new(tokio::sync::Semaphore::new(COMPRESSING)),
            issues: Mutex::new(None),
        }
    }

    /// Whether pages are cached at all.
    pub fn is_on(&self) -> bool {
        self.cap > 0
    }

    /// The known issues showing banners as this node last read them
    /// ([`PageCache::keep_issues`]), while that is still what the database
    /// holds at `now`: no known-issue change marked since (every one marks
    /// everything stale) and no closed issue's banner ended. Only with the
    /// cache on: the change feed runs only then.
    pub fn kept_issues(&self, now: i64) -> Option<Arc<Showing>> {
        if !self.is_on() {
            return None;
        }
        let kept = self.issues.lock().unwrap_or_else(PoisonError::into_inner);
        let kept = kept.as_ref()?;
        (now < kept.showing.until && self.versions.is_current(PageKind::Docs, kept.snapshot))
            .then(|| kept.showing.clone())
    }

    /// Keeps the known issues read after [`PageVersions::snapshot`] gave
    /// `snapshot` (unless newer ones are kept).
    pub fn keep_issues(&self, snapshot: u64, showing: Arc<Showing>) {
        if !self.is_on() {
            return;
        }
        let mut kept = self.issues.lock().unwrap_or_else(PoisonError::into_inner);
        if kept.as_ref().is_some_and(|k| k.snapshot > snapshot) {
            return;
        }
        *kept = Some(KeptIssues { snapshot, showing });
    }

    /// Bytes held now, anonymous and members' pages (always at most the cap).
    pub fn bytes(&self) -> usize {
        self.lock().bytes + self.lock_members().bytes
    }

    /// Bytes of members' pages held now (at most their share of the cap).
    pub fn member_bytes(&self) -> usize {
        self.lock_members().bytes
    }

    /// Members' pages held now.
    pub fn member_pages(&self) -> usize {
        self.lock_members().map.len()
    }

    fn lock_members(&self) -> std::sync::MutexGuard<'_, Store> {
        self.members.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The page `key` stored for member `user`, while it may be served at
    /// `now` with the banners of board generation `board`: the page's own
    /// marks and the user's are not newer than its rendering, and it is not
    /// due for its refresh. A page that may not be served is dropped.
    fn lookup_member(&self, user: i32, key: &str, now: i64, board: u64) -> Option<Arc<Entry>> {
        let key = member_key(user, key);
        let mut store = self.lock_members();
        let entry = store.get(&key, self.member_cap / 100 * PROTECTED_SHARE);
        let usable = entry.filter(|entry| {
            entry.owner == Some(user)
                && entry.expires > now
                && entry.refresh > now
                && entry.board == board
                && self
                    .versions
                    .is_current_for(entry.kind, user, entry.snapshot)
        });
        if usable.is_none() {
            store.remove(&key);
        }
        usable
    }

    /// Stores member `user`'s page `key` unless a change read meanwhile
    /// made it stale.
    fn insert_member(&self, user: i32, key: &str, entry: Entry, board: u64) {
        if entry.size > self.member_cap / 8
            || entry.owner != Some(user)
            || entry.board != board
            || !self
                .versions
                .is_current_for(entry.kind, user, entry.snapshot)
        {
            return;
        }
        self.lock_members()
            .insert(member_key(user, key), Arc::new(entry), self.member_cap);
    }

    /// Pages held now.
    pub fn pages(&self) -> usize {
        self.lock().map.len()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Store> {
        self.store.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// How to answer a request for `key` at `now` with the banners of board
    /// generation `board`: the stored page while it may be served, else
    /// render it. Only one request at a time renders a page to store it,
    /// and only a request that can store it takes that claim (see
    /// [`Asker`]); while it renders, the others wait for the stored page,
    /// or, when the page is only due for its refresh, get the stored copy.
    /// So a page missing under load is rendered and compressed once, not
    /// by every request meanwhile.
    fn lookup(&self, key: &str, now: i64, board: u64, asker: Asker) -> Lookup {
        let protected_cap = self.cap / 100 * PROTECTED_SHARE;
        let mut store = self.lock();
        let entry = store.get(key, protected_cap);
        let usable = entry.filter(|entry| {
            entry.expires > now
                && entry.refresh.saturating_add(STALE_SECS) > now
                && entry.board == board
                && self.versions.is_current(entry.kind, entry.snapshot)
        });
        if usable.is_none() {
            store.remove(key);
        }
        // A guest's own token goes into pages with forms only: the stored
        // copy says whether this page has any.
        let may_claim = match asker {
            Asker::Storing => true,
            Asker::OwnToken => usable.as_ref().is_some_and(|entry| !entry.has_tokens()),
            Asker::Reading => false,
        };
        // Another request's live claim: it is rendering the page to store it.
        let rendering = store
            .claims
            .get(key)
            .filter(|claim| now - claim.since < CLAIM_SECS)
            .map(|claim| claim.ended.subscribe());
        match (usable, rendering) {
            (Some(entry), _) if entry.refresh > now => Lookup::Hit(entry),
            (Some(entry), Some(_)) => Lookup::Hit(entry),
            // Due for its refresh: those who cannot store a new copy get
            // the old one (until its stale time).
            (Some(entry), None) if !may_claim => Lookup::Hit(entry),
            (None, Some(ended)) => Lookup::Wait(ended),
            (_, None) if may_claim => Lookup::Render {
                claim: Some(store.claim(key, now)),
            },
            (_, None) => Lookup::Render { claim: None },
        }
    }

    /// A claim taken after rendering, by a request that could not know
    /// before whether it may store the page (a guest with their own
    /// token, whose page turned out to carry none): `None` while another
    /// request holds a live claim.
    fn late_claim(&self, key: &str, now: i64) -> Option<u64> {
        let mut store = self.lock();
        let taken = store
            .claims
            .get(key)
            .is_some_and(|claim| now - claim.since < CLAIM_SECS);
        (!taken).then(|| store.claim(key, now))
    }

    /// Ends claim `id` of [`lookup`](Self::lookup) on `key` without storing
    /// the page (it could not be): requests waiting for it render it
    /// themselves. Another request's claim on the key is left alone.
    fn release(&self, key: &str, id: u64) {
        let mut store = self.lock();
        if store.claims.get(key).is_some_and(|claim| claim.id == id) {
            if let Some(claim) = store.claims.remove(key) {
                claim.ended.send_replace(true);
            }
        }
    }

    /// Stores a page rendered under claim `id` and ends that claim (only
    /// that one: a claim that lapsed and was taken over by another request
    /// stays with it).
    fn insert(&self, key: String, entry: Entry, board: u64, id: u64) {
        // A change read while the page was built makes it stale already;
        // one page may not take more than an eighth of the cap.
        if entry.size > self.cap / 8
            || entry.board != board
            || !self.versions.is_current(entry.kind, entry.snapshot)
        {
            self.release(&key, id);
            return;
        }
        let mut store = self.lock();
        if store.claims.get(&key).is_some_and(|claim| claim.id == id) {
            // Dropping the slot wakes the waiters: the page is stored.
            store.claims.remove(&key);
        }
        store.insert(key, Arc::new(entry), self.cap);
    }
}

impl Store {
    /// Gives a new claim on `key` (ending a lapsed one: its waiters wake
    /// and find this one).
    fn claim(&mut self, key: &str, now: i64) -> u64 {
        self.last_claim += 1;
        let id = self.last_claim;
        let (ended, _) = tokio::sync::watch::channel(false);
        self.claims.insert(
            key.to_string(),
            ClaimSlot {
                id,
                since: now,
                ended,
            },
        );
        id
    }
}

/// A request's claim to store the page it renders; ended when dropped
/// unless the page was handed to [`PageCache::insert`].
struct Claim {
    state: web::Data<AppState>,
    key: String,
    id: u64,
    /// Whether it still has to be ended (not handed to `insert`).
    held: bool,
}

impl Drop for Claim {
    fn drop(&mut self) {
        if self.held {
            self.state.page_cache.release(&self.key, self.id);
        }
    }
}

/// Who asks [`PageCache::lookup`] for a page: whether their render may be
/// stored, so whether they may take the claim to store it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Asker {
    /// A GET of the page's normal key without a form token of the guest's
    /// own: its render is stored.
    Storing,
    /// A GET of the normal key by a guest with their own form token: a
    /// page with forms rendered for them carries it and is theirs alone;
    /// one without forms may be stored (a claim taken at lookup when the
    /// stored copy shows the page has no forms, else after rendering).
    OwnToken,
    /// A HEAD, or a query that is not the page's normal one: never stored.
    Reading,
}

/// What [`PageCache::lookup`] says to do.
enum Lookup {
    Hit(Arc<Entry>),
    /// Render the page; `claim`: this request's claim, when it stores it
    /// (ended by [`PageCache::insert`] or [`PageCache::release`]).
    Render {
        claim: Option<u64>,
    },
    /// Another request is rendering the page to store it: wait until its
    /// claim ends (see [`ClaimSlot::ended`]), then look again.
    Wait(tokio::sync::watch::Receiver<bool>),
}

/// The kind of page at `path` when it is one the cache keeps.
pub fn page_kind(path: &str) -> Option<PageKind> {
    const NOT_SLUGS: &[&str] = &[
        "answers",
        "comments",
        "vote",
        "accept",
        "unaccept",
        "still-unsolved",
        "follow",
        "unfollow",
        "edit",
        "revisions",
        "moderate",
        "known-issue",
    ];
    let segments: Vec<&str> = path.strip_prefix('/')?.split('/').collect();
    match segments.as_slice() {
        [""] | ["questions"] | ["questions.atom"] | ["tags"] | ["known-issues"] => {
            Some(PageKind::Lists)
        }
        ["sitemap.xml"] | ["announcements"] | ["feed", "updates.atom"] => Some(PageKind::Lists),
        ["tags", tag] if !tag.is_empty() => Some(PageKind::Lists),
        ["known-issues", slug] if !slug.is_empty() && *slug != "new" => Some(PageKind::Lists),
        ["docs"] | ["troubleshoot"] => Some(PageKind::Docs),
        ["troubleshoot", slug] if !slug.is_empty() => Some(PageKind::Step),
        ["docs", manual] if !manual.is_empty() => Some(PageKind::Docs),
        ["docs", manual, article] if !manual.is_empty() && !article.is_empty() => {
            Some(PageKind::Docs)
        }
        ["questions", id, slug] if !slug.is_empty() && !NOT_SLUGS.contains(slug) => id
            .parse::<i32>()
            .ok()
            .filter(|id| *id > 0)
            .map(PageKind::Question),
        _ => None,
    }
}

/// The cookie that marks a browser whose guest draft was kept.
pub fn draft_cookie(secure: bool) -> Cookie<'static> {
    Cookie::build(DRAFT_COOKIE, "1")
        .path("/")
        .http_only(true)
        .same_site(actix_web::cookie::SameSite::Lax)
        .secure(secure)
        .max_age(actix_web::cookie::time::Duration::days(30))
        .finish()
}

/// Whether the request carries a cookie that changes more of the page than
/// its form token and dismissed banners (a session, a kept guest draft).
fn has_visitor_cookie(req: &ServiceRequest) -> bool {
    [SESSION_COOKIE, DRAFT_COOKIE]
        .iter()
        .any(|name| req.cookie(name).is_some())
}

/// The guest's pre-session form token, when the browser sends one.
fn guest_token(req: &ServiceRequest) -> Option<String> {
    req.cookie(CSRF_COOKIE)
        .map(|c| c.value().to_string())
        // Written into pages as is: only the shape the server makes.
        .filter(|v| v.len() == TOKEN_LEN && tokens::is_token_shaped(v))
}

/// Where a request's page is kept.
#[derive(Debug, PartialEq, Eq)]
struct Key {
    /// Path, normalised query and dismissed banners.
    key: String,
    /// Whether the request asks for exactly that page (its query is the
    /// normalised one): only then is its rendering stored.
    exact: bool,
}

/// The key of a request for a page of `kind` (`None`: render it and keep
/// nothing): the path with the parameters its route reads, each once, in a
/// fixed order and normal form, then the dismissed banners that hide a
/// banner shown now (`shown_hidden`, sorted).
fn key_of(path: &str, query: &str, kind: PageKind, shown_hidden: &[String]) -> Option<Key> {
    let params = super::query_params(query);
    if params
        .iter()
        .any(|(k, _)| VISIT_PARAMS.contains(&k.as_str()))
    {
        return None;
    }
    let first = |name: &str| super::param(&params, name);
    let normal = match kind {
        // Each answer of a walk is a parameter: the step handler says
        // which query is the normal one of its page (see `serve`).
        PageKind::Step => query.to_string(),
        _ if path == crate::paths::QUESTIONS || path.starts_with("/tags/") => {
            let mut normal = form_urlencoded::Serializer::new(String::new());
            if let Some(tab) = first("tab") {
                normal.append_pair("tab", Tab::parse(tab).name());
            }
            if let Some(after) = first("after").and_then(Cursor::decode) {
                normal.append_pair("after", &after.encode());
            }
            normal.finish()
        }
        _ => String::new(),
    };
    let mut key = path.to_string();
    if !normal.is_empty() {
        key.push('?');
        key.push_str(&normal);
    }
    if !shown_hidden.is_empty() {
        key.push_str("#dismissed=");
        key.push_str(&shown_hidden.join("-"));
    }
    (key.len() <= MAX_KEY).then_some(Key {
        key,
        exact: normal == query,
    })
}

/// The banners shown now that the browser's dismissals hide, as `id.rev`,
/// sorted; `None` when more than a key may name.
fn shown_hidden(req: &ServiceRequest, board: &Board, now: i64) -> Option<Vec<String>> {
    let Some(cookie) = req.cookie(DISMISSED_COOKIE) else {
        return Some(Vec::new());
    };
    let dismissed = Dismissed::parse(cookie.value());
    let mut hidden: Vec<(i32, i32)> = board
        .all()
        .iter()
        .filter(|b| b.is_live(now) && dismissed.hides(b))
        .map(|b| (b.id.0, b.revision))
        .collect();
    if hidden.len() > MAX_DISMISSED_IN_KEY {
        return None;
    }
    hidden.sort_unstable();
    Some(
        hidden
            .into_iter()
            .map(|(id, revision)| format!("{id}.{revision}"))
            .collect(),
    )
}

/// Whether the browser's copy is current. Only `If-None-Match` naming the
/// page's `etag` counts, and only on pages without form tokens: a page
/// with one carries the visitor's token, which a date cannot vouch for.
/// A date alone (`If-Modified-Since`) is taken for pages without tokens.
fn not_modified(req: &HttpRequest, entry: &Entry) -> bool {
    if entry.has_tokens() || entry.visit.is_some() {
        return false;
    }
    let headers = req.headers();
    if headers.contains_key(header::IF_NONE_MATCH) {
        return encoding::if_none_match(headers, |tag| tag == entry.etag);
    }
    let date = |value: Option<&HeaderValue>| {
        value
            .and_then(|v| v.to_str().ok())
            .and_then(|v| chrono::DateTime::parse_from_rfc2822(v).ok())
            .map(|d| d.timestamp())
    };
    let modified = date(
        entry
            .headers
            .iter()
            .find(|(name, _)| name == header::LAST_MODIFIED)
            .map(|(_, value)| value),
    );
    match (date(headers.get(header::IF_MODIFIED_SINCE)), modified) {
        (Some(since), Some(modified)) => since >= modified,
        _ => false,
    }
}

/// The body of a response to HEAD: nothing, with the length the GET's
/// body would have.
struct HeadBody(u64);

impl MessageBody for HeadBody {
    type Error = std::convert::Infallible;

    fn size(&self) -> BodySize {
        BodySize::Sized(self.0)
    }

    fn poll_next(
        self: Pin<&mut Self>,
        _: &mut Context<'_>,
    ) -> Poll<Option<Result<Bytes, Self::Error>>> {
        Poll::Ready(None)
    }
}

/// The response to a hit, for a guest with `guest_token` (their cookie's)
/// or without one (a new token and its cookie when the page has forms).
/// HEAD gets the headers only: no token, no cookie, no body built.
fn respond(
    req: &HttpRequest,
    entry: &Entry,
    guest_token: Option<String>,
    secure: bool,
) -> HttpResponse<BoxBody> {
    let mut builder = HttpResponse::Ok();
    for (name, value) in &entry.headers {
        builder.insert_header((name.clone(), value.clone()));
    }
    builder.insert_header((header::VARY, "Accept-Encoding"));
    builder.insert_header((X_CACHE, "hit"));
    if entry.visit.is_some() {
        // Every view of a step is recorded: browsers keep no copy.
        builder.insert_header((header::CACHE_CONTROL, "no-store"));
    } else if entry.has_tokens() {
        builder.insert_header((header::CACHE_CONTROL, "private, no-cache"));
    } else {
        builder.insert_header((header::ETAG, entry.etag.clone()));
        builder.insert_header((header::CACHE_CONTROL, "no-cache"));
    }
    if not_modified(req, entry) {
        let mut response = builder.finish();
        *response.status_mut() = StatusCode::NOT_MODIFIED;
        return response;
    }
    if req.method() == Method::HEAD {
        // A joined brotli stream's length is known only once it is built.
        let offered: &[Coding] = match entry.length(Coding::Brotli) {
            Some(_) => &encoding::OFFERED,
            None => &[Coding::Gzip, Coding::Identity],
        };
        let coding = encoding::negotiate_headers(req.headers(), offered);
        let length = entry.length(coding).unwrap_or(0) as u64;
        if let Some(value) = coding.header_value() {
            builder.insert_header((header::CONTENT_ENCODING, value));
        }
        return builder
            .message_body(BoxBody::new(HeadBody(length)))
            .unwrap_or_else(|e| {
                log::error!("page cache: {e}");
                HttpResponse::InternalServerError().finish()
            });
    }
    let token = if let (true, Some(token)) = (entry.has_tokens(), &guest_token) {
        token.clone()
    } else if entry.has_tokens() {
        // This visitor's own token, and its cookie; the page is theirs only.
        match tokens::random_token() {
            Ok(token) => {
                builder.cookie(super::session::csrf_cookie(&token, secure));
                token
            }
            Err(e) => {
                log::error!("page cache: no random token: {e}");
                return HttpResponse::ServiceUnavailable().finish();
            }
        }
    } else {
        String::new()
    };
    let fills = entry.same_in_every_hole(&token);
    let (coding, body) = joined_body(req, entry, &fills);
    if let Some(value) = coding.header_value() {
        builder.insert_header((header::CONTENT_ENCODING, value));
    }
    builder.body(body)
}

/// The page with `fills` in its holes, in the coding the browser takes
/// best (brotli falls back to gzip, else identity, when joining fails).
fn joined_body(req: &HttpRequest, entry: &Entry, fills: &[&[u8]]) -> (Coding, Bytes) {
    let mut coding = encoding::negotiate_headers(req.headers(), &encoding::OFFERED);
    if coding == Coding::Brotli {
        match entry.brotli_filled(fills) {
            Ok(joined) => return (coding, joined),
            Err(e) => {
                log::warn!("page cache: {e}");
                coding =
                    encoding::negotiate_headers(req.headers(), &[Coding::Gzip, Coding::Identity]);
            }
        }
    }
    match coding {
        Coding::Gzip => (coding, entry.gzip_filled(fills)),
        _ => (Coding::Identity, entry.identity_filled(fills)),
    }
}

/// Headers of a rendered page kept for its hits.
fn kept_headers(headers: &HeaderMap) -> Vec<(HeaderName, HeaderValue)> {
    const DROPPED: &[HeaderName] = &[
        header::SET_COOKIE,
        header::CONTENT_LENGTH,
        header::CONTENT_ENCODING,
        header::TRANSFER_ENCODING,
        header::ETAG,
        header::CACHE_CONTROL,
        header::VARY,
        header::DATE,
    ];
    headers
        .iter()
        .filter(|(name, _)| !DROPPED.contains(name) && name.as_str() != X_CACHE)
        .map(|(n, v)| (n.clone(), v.clone()))
        .collect()
}

/// The form token a rendered page was given: the new pre-session token it
/// sets; `Err` when it sets any other cookie (not cacheable) but the walk
/// cookie of a troubleshooter step (`step`), which each hit sets anew.
/// Only a token the server made here marks where hits put theirs: a
/// guest's own cookie value is chosen by the guest, who could make it
/// match text of the page.
fn page_token(headers: &HeaderMap, step: bool) -> Result<Option<String>, ()> {
    let mut token: Option<String> = None;
    for value in headers.get_all(header::SET_COOKIE) {
        let cookie = value
            .to_str()
            .ok()
            .and_then(|v| Cookie::parse(v.to_string()).ok())
            .ok_or(())?;
        if step && cookie.name() == WALK_COOKIE {
            continue;
        }
        if cookie.name() != CSRF_COOKIE || cookie.value().len() != TOKEN_LEN {
            return Err(());
        }
        match &token {
            Some(seen) if seen != cookie.value() => return Err(()),
            _ => token = Some(cookie.value().to_string()),
        }
    }
    Ok(token)
}

/// Whether `body` carries `token` (a guest's own cookie value rendered into
/// its forms): such a render is this guest's alone and is not stored.
fn carries(body: &[u8], token: Option<&str>) -> bool {
    token.is_some_and(|t| !t.is_empty() && body.windows(t.len()).any(|w| w == t.as_bytes()))
}

/// Whether a rendered response may be stored: a whole 200 page, not
/// compressed, not marked private or no-store (but a troubleshooter step,
/// `step`, which is no-store for browsers and whose hits record the walk).
fn storable(response: &HttpResponse<BoxBody>, max: usize, step: bool) -> bool {
    let headers = response.headers();
    let text = |name| {
        headers
            .get(name)
            .and_then(|v: &HeaderValue| v.to_str().ok())
    };
    let page_type = text(header::CONTENT_TYPE).is_some_and(|t| {
        [
            "text/html",
            "application/atom+xml",
            "application/xml",
            "text/xml",
        ]
        .iter()
        .any(|p| t.starts_with(p))
    });
    let private = text(header::CACHE_CONTROL)
        .is_some_and(|c| (c.contains("no-store") && !step) || c.contains("private"));
    let sized = matches!(response.body().size(), BodySize::Sized(n) if (n as usize) <= max);
    response.status() == StatusCode::OK
        && page_type
        && !private
        && sized
        && !headers.contains_key(header::CONTENT_ENCODING)
}

fn mark(response: &mut HttpResponse<impl MessageBody>, how: &'static str) {
    response.headers_mut().insert(
        HeaderName::from_static(X_CACHE),
        HeaderValue::from_static(how),
    );
}

/// A rendered body read whole, to be stored; a body that fails while
/// being read answers 500.
async fn whole_body(body: BoxBody) -> Result<web::Bytes, actix_web::Error> {
    actix_web::body::to_bytes(body)
        .await
        .map_err(|e| actix_web::error::ErrorInternalServerError(e.to_string()))
}

/// Passes the request on; the page is marked `how`.
async fn pass(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
    how: &'static str,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let mut response = next.call(req).await?.map_into_boxed_body();
    mark(response.response_mut(), how);
    Ok(response)
}

/// Middleware: serves anonymous pages from the cache, stores rendered
/// ones, and reads the change feed after every successful write request
/// so this node's next page shows the write.
pub async fn serve(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let Some(state) = req.app_data::<web::Data<AppState>>().cloned() else {
        return Ok(next.call(req).await?.map_into_boxed_body());
    };
    let method = req.method().clone();
    if method != Method::GET && method != Method::HEAD {
        let mut response = next.call(req).await?;
        // Refused, missing or failed writes, and requests that say so
        // ([`ChangesNothing`]), changed nothing: no feed work
        // (a flood of them costs no thread and no connection).
        let status = response.status();
        let changed = (status.is_success() || status.is_redirection())
            && response
                .response()
                .extensions()
                .get::<ChangesNothing>()
                .is_none();
        if changed {
            // Whatever a signed-in user wrote (a vote, follow, draft,
            // comment, setting...), pages cached for them are stale: here,
            // at once, and on the other nodes through the feed.
            let writer = response
                .request()
                .extensions()
                .get::<Viewer>()
                .and_then(Viewer::writer);
            if let Some(user) = writer {
                state.page_cache.versions.mark_user(user);
                let recorded = super::with_db(&state, move |conn| {
                    Ok(page_changes::record(
                        conn,
                        PageScope::User(user),
                        unix_now(),
                    )?)
                })
                .await;
                if let Err(e) = recorded {
                    log::warn!("page cache: recording a member's write: {e}");
                }
                if state.page_cache.is_on() {
                    let cookie = wrote_cookie(state.config.is_https());
                    if let Err(e) = response.response_mut().add_cookie(&cookie) {
                        log::warn!("page cache: the write cookie: {e}");
                    }
                }
            }
        }
        if state.page_cache.is_on() && changed {
            if let Err(e) = state.page_feed.catch_up_after_write().await {
                log::warn!("page cache feed after a write: {e}");
            }
        }
        return Ok(response.map_into_boxed_body());
    }
    let cache = &state.page_cache;
    let Some(kind) = page_kind(req.path()).filter(|_| cache.is_on()) else {
        return Ok(next.call(req).await?.map_into_boxed_body());
    };
    if has_visitor_cookie(&req) {
        // A member's page may come from their own cache (`serve_member`),
        // which says so itself.
        let mut response = next.call(req).await?.map_into_boxed_body();
        if !response.headers().contains_key(X_CACHE) {
            mark(response.response_mut(), "bypass");
        }
        return Ok(response);
    }
    let now = unix_now();
    let Some(hidden) = shown_hidden(&req, &state.announcements, now) else {
        return pass(req, next, "bypass").await;
    };
    let Some(Key { key, exact }) = key_of(req.path(), req.query_string(), kind, &hidden) else {
        return pass(req, next, "bypass").await;
    };
    let guest = guest_token(&req);
    // Only a GET of the normal key may store its render; a guest with
    // their own token learns whether theirs carries it only once rendered.
    let may_store = method == Method::GET && exact;
    let mut now = now;
    let deadline = Instant::now() + Duration::from_secs(CLAIM_SECS.unsigned_abs());
    let claim = loop {
        let board = state.announcements.generation();
        let asker = match (may_store, &guest) {
            (false, _) => Asker::Reading,
            (true, None) => Asker::Storing,
            (true, Some(_)) => Asker::OwnToken,
        };
        match cache.lookup(&key, now, board, asker) {
            Lookup::Hit(entry) => {
                let mut walk_cookie = None;
                if let Some(visit) = &entry.visit {
                    match troubleshoot::record_visit(&state, req.request(), visit).await {
                        Ok(cookie) => walk_cookie = cookie,
                        Err(e) => log::warn!("troubleshooter walk of a cached step: {e}"),
                    }
                }
                let mut response = respond(req.request(), &entry, guest, state.config.is_https());
                if let Some(cookie) = walk_cookie {
                    if let Err(e) = response.add_cookie(&cookie) {
                        log::warn!("troubleshooter walk cookie: {e}");
                    }
                }
                return Ok(req.into_response(response));
            }
            Lookup::Render { claim } => {
                break claim.map(|id| Claim {
                    state: state.clone(),
                    key: key.clone(),
                    id,
                    held: true,
                })
            }
            // Another request renders the page to store it: its copy is
            // served when stored; if it could not store it, or takes too
            // long, this one renders the page itself.
            Lookup::Wait(mut ended) => {
                let left = deadline.saturating_duration_since(Instant::now());
                let waited = actix_web::rt::time::timeout(left, ended.changed()).await;
                now = unix_now();
                if waited.is_err() || *ended.borrow() {
                    break None;
                }
            }
        }
    };
    if !exact {
        // Nothing kept under its normal key: this page is rendered for this
        // request alone.
        return pass(req, next, "bypass").await;
    }
    let board = state.announcements.generation();
    let snapshot = cache.versions.snapshot();
    let expires = hard_end(&state, now);
    let query = req.query_string().to_string();
    let response = next.call(req).await?.map_into_boxed_body();
    let (http_req, mut response) = response.into_parts();
    // A step page is stored only for the normal query of its walk.
    let visit = response.extensions().get::<Arc<StepVisit>>().cloned();
    let visit = match (kind, visit) {
        (PageKind::Step, Some(visit)) if visit.query == query => Some(visit),
        (PageKind::Step, _) => {
            mark(&mut response, "miss");
            return Ok(ServiceResponse::new(http_req, response));
        }
        (_, _) => None,
    };
    let token = page_token(response.headers(), visit.is_some());
    let storable = token.is_ok() && storable(&response, cache.cap / 8, visit.is_some());
    if !(storable && may_store) {
        // Dropping the claim ends it: waiting requests render for themselves.
        drop(claim);
        mark(&mut response, "miss");
        return Ok(ServiceResponse::new(http_req, response));
    }
    let (head, body) = response.into_parts();
    let body = whole_body(body).await?;
    // A render with the guest's own token is theirs alone; a guest's
    // render without it may be stored if no other request is storing it.
    let guests_own = matches!(token, Ok(None)) && carries(&body, guest.as_deref());
    let claim = match claim {
        Some(claim) => Some(claim).filter(|_| !guests_own),
        None if guests_own => None,
        // Claimed now, after the render: its lapse counts from here.
        None => cache.late_claim(&key, unix_now()).map(|id| Claim {
            state: state.clone(),
            key: key.clone(),
            id,
            held: true,
        }),
    };
    // Past `COMPRESSING` pages in the works, this one is served as it is
    // (compressed fast on the way out) and not stored.
    let permit = claim
        .as_ref()
        .and_then(|_| cache.compressing.clone().try_acquire_owned().ok());
    let (Some(mut claim), Some(permit)) = (claim, permit) else {
        let mut response = head.set_body(BoxBody::new(body));
        mark(&mut response, "miss");
        return Ok(ServiceResponse::new(http_req, response));
    };
    let rendered = Rendered {
        kind,
        snapshot,
        board,
        expires,
        refresh: now + MAX_AGE_SECS,
        headers: kept_headers(head.headers()),
        body: body.clone(),
        token: token.ok().flatten(),
        member_holes: Vec::new(),
        visit,
        owner: None,
    };
    let cache = state.clone();
    actix_web::rt::spawn(async move {
        let key_len = claim.key.len();
        let built = web::block(move || rendered.build(key_len)).await;
        drop(permit);
        match built {
            Ok(Ok(entry)) => {
                let board = cache.announcements.generation();
                claim.held = false;
                cache
                    .page_cache
                    .insert(claim.key.clone(), entry, board, claim.id)
            }
            Ok(Err(e)) => log::warn!("page cache: compressing failed: {e}"),
            Err(e) => log::warn!("page cache: compressing failed: {e}"),
        }
    });
    let mut response = head.set_body(BoxBody::new(body));
    mark(&mut response, "miss");
    Ok(ServiceResponse::new(http_req, response))
}

/// Set after a member's write, to the time of it (unix seconds): for
/// [`WROTE_SECS`] after that time their pages are rendered, not taken from
/// the member cache. A node
/// that did not serve the write learns of it from the feed, up to a poll
/// ([`crate::service::page_feed::POLL`]) later; without sticky sessions the
/// page the write redirects to may come from such a node.
pub const WROTE_COOKIE: &str = "sp_wrote";

/// How long after a write [`WROTE_COOKIE`] counts (seconds): many polls of
/// the feed.
const WROTE_SECS: i64 = 3;

/// The cookie of [`WROTE_COOKIE`].
fn wrote_cookie(secure: bool) -> Cookie<'static> {
    Cookie::build(WROTE_COOKIE, unix_now().to_string())
        .path("/")
        .http_only(true)
        .same_site(actix_web::cookie::SameSite::Lax)
        .secure(secure)
        .max_age(actix_web::cookie::time::Duration::seconds(WROTE_SECS + 1))
        .finish()
}

/// When a page rendered at `now` must stop being served (unix seconds):
/// the next announcement start or end, or the first shown known-issue
/// banner's end, whichever comes first.
fn hard_end(state: &AppState, now: i64) -> i64 {
    [
        state.announcements.next_change_after(now),
        state.page_cache.versions.issue_banner_end(),
    ]
    .into_iter()
    .flatten()
    .min()
    .unwrap_or(i64::MAX)
}

/// Where member `user`'s page `key` is kept.
fn member_key(user: i32, key: &str) -> String {
    format!("{user}:{key}")
}

/// Put on the response of a request that changes nothing a page shows
/// (a markdown preview), though it is sent as a POST: the member's cached
/// pages stay current, and no change is recorded for the other nodes.
#[derive(Debug, Clone, Copy)]
pub struct ChangesNothing;

/// The answer form's submit key of a rendered page, put on the response by
/// the handler that made it: a member's stored page is cut at this value
/// only. Text that merely looks like a submit-key field (a post can quote
/// one) is never a hole.
#[derive(Debug, Clone)]
pub struct SubmitKey(pub String);

/// Marks the field of a submit key in a page.
const SUBMIT_KEY_FIELD: &[u8] = b"name=\"submit_key\"";

/// The holes of a page rendered for a member, with their values in this
/// render: the session's form token, the submit key the handler made
/// (`submit_key`), the inbox link. `None` when the page cannot be cut
/// safely (no form token, the inbox link not found exactly once, or a
/// submit-key field without the key the handler made: its key would be
/// served again to every view).
fn member_holes(
    body: &[u8],
    csrf: &str,
    unread: i64,
    submit_key: Option<&str>,
) -> Option<Vec<(Hole, String)>> {
    let inbox = inbox_link(unread);
    let links = body
        .windows(inbox.len())
        .filter(|w| *w == inbox.as_bytes())
        .count();
    if links != 1 || csrf.len() != TOKEN_LEN || find(body, csrf.as_bytes()).is_none() {
        return None;
    }
    let mut holes = vec![(Hole::Token, csrf.to_string()), (Hole::Inbox, inbox)];
    match submit_key {
        Some(key) if tokens::is_token_shaped(key) && find(body, key.as_bytes()).is_some() => {
            holes.push((Hole::SubmitKey, key.to_string()));
        }
        _ if find(body, SUBMIT_KEY_FIELD).is_some() => return None,
        _ => {}
    }
    Some(holes)
}

/// Whether a page rendered for a member may be stored: a whole 200 HTML
/// page, setting no cookie, not `no-store`, not compressed yet.
fn member_storable(response: &HttpResponse<BoxBody>, max: usize) -> bool {
    let headers = response.headers();
    let text = |name| {
        headers
            .get(name)
            .and_then(|v: &HeaderValue| v.to_str().ok())
    };
    let html = text(header::CONTENT_TYPE).is_some_and(|t| t.starts_with("text/html"));
    let no_store = text(header::CACHE_CONTROL).is_some_and(|c| c.contains("no-store"));
    let sized = matches!(response.body().size(), BodySize::Sized(n) if (n as usize) <= max);
    response.status() == StatusCode::OK
        && html
        && !no_store
        && sized
        && !headers.contains_key(header::SET_COOKIE)
        && !headers.contains_key(header::CONTENT_ENCODING)
}

/// A member's hit: their session's token, a new submit key and their
/// unread count in the holes. Never stored by browsers or proxies for
/// anyone else (`private`), never a 304 (the page carries the token).
fn respond_member(
    req: &HttpRequest,
    entry: &Entry,
    csrf: &str,
    unread: i64,
) -> HttpResponse<BoxBody> {
    let submit_key = match tokens::random_token() {
        Ok(key) => key,
        Err(e) => {
            log::error!("page cache: no random submit key: {e}");
            return HttpResponse::ServiceUnavailable().finish();
        }
    };
    let inbox = inbox_link(unread);
    let fills: Vec<&[u8]> = entry
        .holes
        .iter()
        .map(|hole| match hole {
            Hole::Token => csrf.as_bytes(),
            Hole::SubmitKey => submit_key.as_bytes(),
            Hole::Inbox => inbox.as_bytes(),
        })
        .collect();
    let mut builder = HttpResponse::Ok();
    for (name, value) in &entry.headers {
        builder.insert_header((name.clone(), value.clone()));
    }
    builder.insert_header((header::VARY, "Accept-Encoding"));
    builder.insert_header((X_CACHE, "hit"));
    builder.insert_header((header::CACHE_CONTROL, "private, no-cache"));
    let (coding, body) = joined_body(req, entry, &fills);
    if let Some(value) = coding.header_value() {
        builder.insert_header((header::CONTENT_ENCODING, value));
    }
    builder.body(body)
}

/// Middleware (inside `load_visitor`, which has looked the session up):
/// serves a signed-in member's question pages from pages rendered for them
/// before, with the per-request parts filled in, and stores rendered ones.
/// A page is kept per user and page key, and served while neither the
/// page's marks nor that user's writes are newer than its rendering
/// ([`PageVersions::is_current_for`]), for at most [`MAX_AGE_SECS`].
pub async fn serve_member(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let Some(state) = req.app_data::<web::Data<AppState>>().cloned() else {
        return Ok(next.call(req).await?.map_into_boxed_body());
    };
    let cache = &state.page_cache;
    // Question pages only, asked for exactly (no query: their normal key),
    // by a signed-in member without a kept guest draft.
    let kind =
        page_kind(req.path()).filter(|kind| matches!(kind, PageKind::Question(_)) && cache.is_on());
    let Some(kind) = kind else {
        return Ok(next.call(req).await?.map_into_boxed_body());
    };
    let member = req.extensions().get::<Viewer>().and_then(|viewer| {
        viewer
            .user
            .as_ref()
            .map(|user| (user.id.0, user.csrf.clone(), user.unread))
    });
    let Some((user, csrf, unread)) = member else {
        return Ok(next.call(req).await?.map_into_boxed_body());
    };
    if req.method() != Method::GET
        || !req.query_string().is_empty()
        || req.cookie(DRAFT_COOKIE).is_some()
    {
        return pass(req, next, "bypass").await;
    }
    let now = unix_now();
    let hidden = shown_hidden(&req, &state.announcements, now);
    let Some(Key { key, .. }) = hidden.and_then(|hidden| key_of(req.path(), "", kind, &hidden))
    else {
        return pass(req, next, "bypass").await;
    };
    let board = state.announcements.generation();
    // Just after a write of theirs, this node may not have read it from the
    // feed yet (it was served by another node): render, do not look up.
    let wrote_lately = req
        .cookie(WROTE_COOKIE)
        .and_then(|c| c.value().parse::<i64>().ok())
        .is_some_and(|at| at <= now + 1 && now - at <= WROTE_SECS);
    let found = (!wrote_lately)
        .then(|| cache.lookup_member(user, &key, now, board))
        .flatten();
    if let Some(entry) = found {
        let response = respond_member(req.request(), &entry, &csrf, unread);
        return Ok(req.into_response(response));
    }
    let snapshot = cache.versions.snapshot();
    let expires = hard_end(&state, now);
    let response = next.call(req).await?.map_into_boxed_body();
    let (http_req, mut response) = response.into_parts();
    let submit_key = response
        .extensions()
        .get::<SubmitKey>()
        .map(|k| k.0.clone());
    if !member_storable(&response, cache.member_cap / 8) {
        mark(&mut response, "miss");
        return Ok(ServiceResponse::new(http_req, response));
    }
    let (head, body) = response.into_parts();
    let body = whole_body(body).await?;
    let holes = member_holes(&body, &csrf, unread, submit_key.as_deref());
    let permit = holes
        .as_ref()
        .and_then(|_| cache.member_compressing.clone().try_acquire_owned().ok());
    if let (Some(member_holes), Some(permit)) = (holes, permit) {
        let rendered = Rendered {
            kind,
            snapshot,
            board,
            expires,
            refresh: now + MAX_AGE_SECS,
            headers: kept_headers(head.headers()),
            body: body.clone(),
            token: None,
            member_holes,
            visit: None,
            owner: Some(user),
        };
        let state = state.clone();
        actix_web::rt::spawn(async move {
            let key_len = key.len();
            let built = web::block(move || rendered.build(key_len)).await;
            drop(permit);
            match built {
                Ok(Ok(entry)) => {
                    let board = state.announcements.generation();
                    state.page_cache.insert_member(user, &key, entry, board);
                }
                Ok(Err(e)) => log::warn!("page cache: compressing failed: {e}"),
                Err(e) => log::warn!("page cache: compressing failed: {e}"),
            }
        });
    }
    let mut response = head.set_body(BoxBody::new(body));
    mark(&mut response, "miss");
    Ok(ServiceResponse::new(http_req, response))
}

#[cfg(test)]
mod tests {
    use std::io::Read;

    use super::*;

    fn entry(body: &str, token: Option<&str>) -> Entry {
        Rendered {
            kind: PageKind::Lists,
            snapshot: 0,
            board: 0,
            expires: i64::MAX,
            refresh: i64::MAX,
            headers: Vec::new(),
            body: Bytes::from(body.to_string()),
            token: token.map(str::to_string),
            member_holes: Vec::new(),
            visit: None,
            owner: None,
        }
        .build(1)
        .expect("compresses")
    }

    fn gunzip(data: &[u8]) -> String {
        let mut text = String::new();
        flate2::read::GzDecoder::new(data)
            .read_to_string(&mut text)
            .expect("valid gzip");
        text
    }

    fn unbrotli(data: &[u8]) -> Vec<u8> {
        let mut text = Vec::new();
        brotli::Decompressor::new(data, 4096)
            .read_to_end(&mut text)
            .expect("valid brotli");
        text
    }

    #[test]
    fn joined_gzip_and_brotli_carry_each_visitors_token() {
        let old = "a".repeat(TOKEN_LEN);
        let page = format!(
            "<form><input name=csrf value=\"{old}\"></form>{}<form value=\"{old}\"></form>",
            "lorem ipsum ".repeat(500)
        );
        let entry = entry(&page, Some(&old));
        assert_eq!(entry.parts.len(), 3);
        let new = "b".repeat(TOKEN_LEN);
        let expected = page.replace(&old, &new);
        assert_eq!(entry.identity(&new), expected.as_bytes());
        let gz = entry.gzip(&new);
        // The decoder checks the CRC-32 and length of the trailer too.
        assert_eq!(gunzip(&gz), expected);
        assert!(gz.len() < expected.len() / 4, "the parts are compressed");
        let br = entry.brotli(&new).expect("joins");
        assert_eq!(unbrotli(&br), expected.as_bytes());
        assert!(br.len() < expected.len() / 4, "the parts are compressed");
    }

    #[test]
    fn tokens_go_into_stored_brotli_streams() {
        for len in [1, TOKEN_LEN, 65_536] {
            let data: Vec<u8> = (0..len).map(|i| (i * 7 % 251) as u8).collect();
            let stream = stored_brotli(&data).expect("stored");
            assert_eq!(stream.len(), len + 4, "header, the bytes as they are, end");
            assert_eq!(unbrotli(&stream), data);
        }
        // Outside one meta-block's reach the encoder makes the stream.
        for len in [0, 65_537] {
            let data = vec![b'x'; len];
            assert_eq!(unbrotli(&stored_brotli(&data).expect("encoded")), data);
        }
        // Joined between parts, with the first part's window sized to the page.
        let parts: Vec<Bytes> = ["<p>before</p>".repeat(50), "<p>after</p>".repeat(9_000)]
            .iter()
            .enumerate()
            .map(|(i, p)| {
                Bytes::from(brotli_part(p.as_bytes(), i == 0, BROTLI_QUALITY).expect("part"))
            })
            .collect();
        let token = "0123456789abcdef".repeat(4);
        let joined =
            join_brotli(&parts, &stored_brotli(token.as_bytes()).expect("stored")).expect("joins");
        let expected = format!(
            "{}{token}{}",
            "<p>before</p>".repeat(50),
            "<p>after</p>".repeat(9_000)
        );
        assert_eq!(unbrotli(&joined), expected.as_bytes());
    }

    fn cache() -> PageCache {
        PageCache::new(1 << 20, Arc::new(PageVersions::default()))
    }

    fn stored(cache: &PageCache, key: &str, refresh: i64, expires: i64) {
        let mut page = entry("<p>page</p>", None);
        page.refresh = refresh;
        page.expires = expires;
        // Claim 0 is never given: this stores without ending any claim.
        cache.insert(key.to_string(), page, 0, 0);
    }

    fn kind_of(lookup: Lookup) -> &'static str {
        match lookup {
            Lookup::Hit(_) => "hit",
            Lookup::Render { claim: Some(_) } => "render and store",
            Lookup::Render { claim: None } => "render",
            Lookup::Wait(_) => "wait",
        }
    }

    /// A lookup by a request that may store the page.
    fn look(cache: &PageCache, key: &str, now: i64, board: u64) -> &'static str {
        kind_of(cache.lookup(key, now, board, Asker::Storing))
    }

    /// The claim a lookup gives.
    fn claim(cache: &PageCache, key: &str, now: i64) -> u64 {
        match cache.lookup(key, now, 0, Asker::Storing) {
            Lookup::Render { claim: Some(id) } => id,
            other => panic!("no claim on {key}: {}", kind_of(other)),
        }
    }

    #[test]
    fn one_request_at_a_time_stores_a_page() {
        let cache = cache();
        let a = claim(&cache, "/a", 100);
        // Meanwhile the others wait for it.
        assert_eq!(look(&cache, "/a", 100, 0), "wait");
        let b = claim(&cache, "/b", 100);
        assert_ne!(a, b);
        let mut page = entry("<p>page</p>", None);
        page.refresh = 160;
        cache.insert("/a".into(), page, 0, a);
        assert_eq!(look(&cache, "/a", 101, 0), "hit");
        // A claim that stored nothing ends, and a lost one ends in time.
        cache.release("/b", b);
        let b = claim(&cache, "/b", 101);
        assert_eq!(look(&cache, "/b", 101 + CLAIM_SECS - 1, 0), "wait");
        assert_eq!(look(&cache, "/b", 101 + CLAIM_SECS, 0), "render and store");
        assert!(cache.lock().claims.get("/b").is_some_and(|c| c.id != b));
    }

    #[test]
    fn requests_that_cannot_store_take_no_claim() {
        let cache = cache();
        // A HEAD, a query that is not the normal one, a guest's own token.
        assert_eq!(
            kind_of(cache.lookup("/a", 100, 0, Asker::Reading)),
            "render"
        );
        assert!(cache.lock().claims.is_empty());
        assert_eq!(look(&cache, "/a", 100, 0), "render and store");
        // They wait like the others while one that can store renders.
        assert_eq!(kind_of(cache.lookup("/a", 100, 0, Asker::Reading)), "wait");
        // A guest whose render carried no token of theirs claims it late,
        // unless another request holds the claim.
        assert_eq!(cache.late_claim("/a", 100), None);
        let late = cache.late_claim("/b", 100).expect("a late claim");
        assert_eq!(look(&cache, "/b", 100, 0), "wait");
        cache.release("/b", late);
        assert_eq!(look(&cache, "/b", 100, 0), "render and store");
    }

    #[test]
    fn a_guest_with_their_own_token_refreshes_only_pages_without_forms() {
        let cache = cache();
        let own = |key, now| kind_of(cache.lookup(key, now, 0, Asker::OwnToken));
        // Missing: rendered, and claimed late if the render carries no token.
        assert_eq!(own("/a", 100), "render");
        stored(&cache, "/a", 160, i64::MAX);
        let mut form = entry("<form>TOKEN</form>", Some("TOKEN"));
        form.refresh = 160;
        form.expires = i64::MAX;
        cache.insert("/form".into(), form, 0, 0);
        // Due for refresh: a page without forms is theirs to refresh; one
        // with forms would carry their token, so they get the old copy.
        assert_eq!(own("/a", 160), "render and store");
        assert_eq!(own("/form", 160), "hit");
        assert_eq!(look(&cache, "/form", 160, 0), "render and store");
        // HEAD and other queries never refresh a page either.
        assert_eq!(
            kind_of(cache.lookup("/a", 170 + CLAIM_SECS, 0, Asker::Reading)),
            "hit"
        );
    }

    #[test]
    fn a_lapsed_claim_ends_only_its_own() {
        let cache = cache();
        let first = claim(&cache, "/a", 100);
        // The first claimant takes too long: another takes over.
        let second = claim(&cache, "/a", 100 + CLAIM_SECS);
        // The first one's late release or store ends nothing of the second.
        cache.release("/a", first);
        assert_eq!(look(&cache, "/a", 100 + CLAIM_SECS, 0), "wait");
        let mut page = entry("<p>late</p>", None);
        page.refresh = 100;
        cache.insert("/a".into(), page, 0, first);
        assert!(cache
            .lock()
            .claims
            .get("/a")
            .is_some_and(|c| c.id == second));
        cache.release("/a", second);
        assert!(cache.lock().claims.is_empty());
    }

    #[test]
    fn waiters_wake_when_the_claim_ends() {
        let cache = cache();
        let a = claim(&cache, "/a", 100);
        let Lookup::Wait(stored_wait) = cache.lookup("/a", 100, 0, Asker::Storing) else {
            panic!("a second request waits");
        };
        let mut page = entry("<p>page</p>", None);
        page.refresh = 160;
        cache.insert("/a".into(), page, 0, a);
        assert!(stored_wait.has_changed().is_err(), "woken: the claim ended");
        assert!(!*stored_wait.borrow(), "the page was stored");
        let b = claim(&cache, "/b", 100);
        let Lookup::Wait(unstored) = cache.lookup("/b", 100, 0, Asker::Reading) else {
            panic!("a second request waits");
        };
        cache.release("/b", b);
        assert!(unstored.has_changed().is_err(), "woken: the claim ended");
        assert!(*unstored.borrow(), "not stored: the waiter renders");
    }

    #[test]
    fn a_page_due_for_refresh_is_served_while_one_request_renders_it() {
        let cache = cache();
        stored(&cache, "/a", 160, i64::MAX);
        assert_eq!(look(&cache, "/a", 159, 0), "hit");
        let a = claim(&cache, "/a", 160);
        assert_eq!(look(&cache, "/a", 160, 0), "hit", "the old copy meanwhile");
        assert_eq!(
            kind_of(cache.lookup("/a", 160, 0, Asker::Reading)),
            "hit",
            "also for requests that cannot store"
        );
        let mut page = entry("<p>page</p>", None);
        page.refresh = 220;
        cache.insert("/a".into(), page, 0, a);
        assert_eq!(look(&cache, "/a", 161, 0), "hit");
        assert_eq!(look(&cache, "/a", 219, 0), "hit");
        assert!(cache.lock().claims.is_empty());
    }

    #[test]
    fn a_page_nobody_manages_to_refresh_ends_after_its_stale_time() {
        let cache = cache();
        stored(&cache, "/a", 100, i64::MAX);
        // Each claimant renders but cannot store (its claim ends unused).
        for now in [100, 150, 399] {
            let id = claim(&cache, "/a", now);
            cache.release("/a", id);
            let id = claim(&cache, "/a", now);
            cache.release("/a", id);
        }
        let id = claim(&cache, "/a", 399);
        assert_eq!(look(&cache, "/a", 399, 0), "hit", "while one renders");
        cache.release("/a", id);
        assert_eq!(look(&cache, "/a", 400, 0), "render and store");
        assert_eq!(
            look(&cache, "/a", 400, 0),
            "wait",
            "past its stale time the old copy is gone"
        );
    }

    #[test]
    fn a_stale_page_is_never_served_while_another_request_renders_it() {
        let cache = cache();
        // Past its hard end (a banner starts): gone, whoever renders.
        stored(&cache, "/a", 160, 130);
        assert_eq!(look(&cache, "/a", 130, 0), "render and store");
        assert_eq!(look(&cache, "/a", 131, 0), "wait");
        assert_eq!(cache.pages(), 0);
        // Rendered under other banners (board generation 0, now 1).
        stored(&cache, "/b", 160, i64::MAX);
        assert_eq!(look(&cache, "/b", 100, 1), "render and store");
        assert_eq!(look(&cache, "/b", 100, 1), "wait");
        assert_eq!(cache.pages(), 0);
    }

    #[test]
    fn pages_without_tokens_keep_whole_copies() {
        let page = "<p>hello</p>".repeat(100);
        let entry = entry(&page, None);
        assert!(!entry.has_tokens());
        assert_eq!(gunzip(&entry.gzip("")), page);
        assert_eq!(unbrotli(&entry.brotli("").expect("whole")), page.as_bytes());
    }

    #[test]
    fn the_store_stays_under_its_cap_and_keeps_pages_read_again() {
        let cap = 40_000;
        let mut store = Store::default();
        let page = |n: usize| Arc::new(entry(&format!("{n}{}", "x".repeat(2_000)), None));
        store.insert("/kept".into(), page(0), cap);
        assert!(store.get("/kept", cap / 100 * PROTECTED_SHARE).is_some());
        for n in 1..500 {
            store.insert(format!("/flood/{n}"), page(n), cap);
            assert!(store.bytes <= cap);
        }
        assert!(
            store.get("/kept", cap / 100 * PROTECTED_SHARE).is_some(),
            "a page read twice survives a flood of one-off pages"
        );
        assert!(store.map.len() < 500);
        let counted: usize = store.map.values().map(|s| s.entry.size).sum();
        assert_eq!(counted, store.bytes);
    }

    #[test]
    fn cached_paths() {
        assert_eq!(page_kind("/questions/12/why"), Some(PageKind::Question(12)));
        assert_eq!(page_kind("/questions/12/edit"), None);
        assert_eq!(page_kind("/questions/ask"), None);
        assert_eq!(page_kind("/questions/x/why"), None);
        assert_eq!(page_kind("/"), Some(PageKind::Lists));
        assert_eq!(page_kind("/tags/sync"), Some(PageKind::Lists));
        assert_eq!(page_kind("/known-issues/new"), None);
        assert_eq!(page_kind("/docs/guide/start"), Some(PageKind::Docs));
        assert_eq!(page_kind("/docs/guide/start/edit"), None);
        assert_eq!(page_kind("/troubleshoot/wifi"), Some(PageKind::Step));
        assert_eq!(page_kind("/troubleshoot/wifi/solved"), None);
        assert_eq!(page_kind("/search"), None);
    }

    #[test]
    fn accept_encoding_with_q_values() {
        let req = |v: &str| {
            actix_web::test::TestRequest::default()
                .insert_header((header::ACCEPT_ENCODING, v))
                .to_http_request()
        };
        let page = entry("<p>hello</p>", None);
        let coding_for = |v: &str| {
            let response = respond(&req(v), &page, None, false);
            response
                .headers()
                .get(header::CONTENT_ENCODING)
                .and_then(|v| v.to_str().ok())
                .map(str::to_string)
        };
        assert_eq!(coding_for("gzip, deflate, br").as_deref(), Some("br"));
        assert_eq!(coding_for("gzip;q=1.0, br;q=0").as_deref(), Some("gzip"));
        assert_eq!(
            coding_for("identity"),
            None,
            "identity is no Content-Encoding"
        );
        assert_eq!(coding_for(""), None);
    }

    #[test]
    fn keys_name_only_the_parameters_a_route_reads() {
        let key = |path: &str, query: &str| key_of(path, query, PageKind::Lists, &[]);
        let exact = |k: &str| {
            Some(Key {
                key: k.to_string(),
                exact: true,
            })
        };
        let served_from = |k: &str| {
            Some(Key {
                key: k.to_string(),
                exact: false,
            })
        };
        assert_eq!(key("/", ""), exact("/"));
        assert_eq!(key("/", "x=1"), served_from("/"));
        assert_eq!(key("/", "tab=top"), served_from("/"), "home has no tabs");
        assert_eq!(key("/questions", "tab=top"), exact("/questions?tab=top"));
        assert_eq!(
            key("/questions", "tab=top&after=5_17"),
            exact("/questions?tab=top&after=5_17")
        );
        assert_eq!(
            key("/questions", "after=5_17&tab=top&utm=x"),
            served_from("/questions?tab=top&after=5_17"),
            "fixed order, unknown parameters dropped"
        );
        assert_eq!(
            key("/questions", "tab=nonsense&after=junk"),
            served_from("/questions?tab=newest"),
            "values in their normal form"
        );
        assert_eq!(
            key("/tags/printer", "tab=top&tab=active"),
            served_from("/tags/printer?tab=top"),
            "a parameter once"
        );
        assert_eq!(key("/docs/guide/start", "feedback=thanks&fb=3"), None);
        assert_eq!(key(&format!("/{}", "a".repeat(MAX_KEY)), ""), None);
        let step = key_of("/troubleshoot/wifi", "start=yes", PageKind::Step, &[]);
        assert_eq!(step, exact("/troubleshoot/wifi?start=yes"));
        let dismissed = key_of("/", "", PageKind::Lists, &["3.1".into(), "7.2".into()]);
        assert_eq!(dismissed, exact("/#dismissed=3.1-7.2"));
    }

    /// A member's page as rendered: their token in two forms, the inbox
    /// link with `unread`, a submit key.
    fn member_page(csrf: &str, unread: i64, submit_key: &str) -> String {
        format!(
            "<header>{}<form><input name=\"csrf\" value=\"{csrf}\"></form></header>{}\
             <form><input type=\"hidden\" name=\"csrf\" value=\"{csrf}\">\
             <input type=\"hidden\" name=\"submit_key\" value=\"{submit_key}\"></form>",
            inbox_link(unread),
            "<p>An answer about toner and paper.</p>".repeat(200)
        )
    }

    fn member_entry(body: &str, csrf: &str, unread: i64, owner: i32) -> Entry {
        let key = body
            .split("name=\"submit_key\" value=\"")
            .nth(1)
            .map(|rest| &rest[..TOKEN_LEN]);
        let holes = member_holes(body.as_bytes(), csrf, unread, key).expect("holes");
        Rendered {
            kind: PageKind::Question(1),
            snapshot: 0,
            board: 0,
            expires: i64::MAX,
            refresh: i64::MAX,
            headers: Vec::new(),
            body: Bytes::from(body.to_string()),
            token: None,
            member_holes: holes,
            visit: None,
            owner: Some(owner),
        }
        .build(1)
        .expect("compresses")
    }

    #[test]
    fn a_members_page_is_cut_at_each_per_request_part() {
        let (csrf, key) = ("c".repeat(TOKEN_LEN), "5".repeat(TOKEN_LEN));
        let page = member_page(&csrf, 3, &key);
        let entry = member_entry(&page, &csrf, 3, 7);
        assert_eq!(
            entry.holes,
            [Hole::Inbox, Hole::Token, Hole::Token, Hole::SubmitKey]
        );
        // Nothing of this render is left in the stored parts.
        let stored = entry.parts.concat();
        let stored = String::from_utf8_lossy(&stored);
        assert!(!stored.contains(&csrf) && !stored.contains(&key));
        assert!(!stored.contains("notif"));
        // Each request's own values, in every coding.
        let (other_csrf, other_key) = ("d".repeat(TOKEN_LEN), "6".repeat(TOKEN_LEN));
        let inbox = inbox_link(0);
        let fills: Vec<&[u8]> = entry
            .holes
            .iter()
            .map(|hole| match hole {
                Hole::Token => other_csrf.as_bytes(),
                Hole::SubmitKey => other_key.as_bytes(),
                Hole::Inbox => inbox.as_bytes(),
            })
            .collect();
        let expected = member_page(&other_csrf, 0, &other_key);
        assert_eq!(entry.identity_filled(&fills), expected.as_bytes());
        assert_eq!(gunzip(&entry.gzip_filled(&fills)), expected);
        let br = entry.brotli_filled(&fills).expect("joins");
        assert_eq!(unbrotli(&br), expected.as_bytes());
        assert!(br.len() < expected.len() / 4, "the parts are compressed");
    }

    #[test]
    fn a_members_page_without_its_token_or_one_inbox_link_is_not_kept() {
        let (csrf, key) = ("c".repeat(TOKEN_LEN), "5".repeat(TOKEN_LEN));
        let page = member_page(&csrf, 3, &key);
        // Another session's token, another count than the page shows.
        let key = Some(key.as_str());
        assert!(member_holes(page.as_bytes(), &"e".repeat(TOKEN_LEN), 3, key).is_none());
        assert!(member_holes(page.as_bytes(), &csrf, 4, key).is_none());
        assert!(member_holes(page.as_bytes(), "short", 3, key).is_none());
        // The inbox link twice (e.g. quoted in a post): not cut.
        let twice = format!("{page}{}", inbox_link(3));
        assert!(member_holes(twice.as_bytes(), &csrf, 3, key).is_none());
        // A submit-key field without the key the handler made: not kept
        // (its key would go to every view).
        assert!(member_holes(page.as_bytes(), &csrf, 3, None).is_none());
        assert!(member_holes(page.as_bytes(), &csrf, 3, Some(&"7".repeat(TOKEN_LEN))).is_none());
        // Overlapping values cannot be cut apart.
        let body = Bytes::from_static(b"xxabcxx");
        let overlapping = [
            (Hole::Token, "abc".to_string()),
            (Hole::Inbox, "bcx".to_string()),
        ];
        assert!(cut_at(&body, &overlapping).is_none());
    }

    #[test]
    fn a_members_page_is_served_to_them_alone_while_current() {
        let cache = cache();
        let versions = cache.versions.clone();
        let csrf = "c".repeat(TOKEN_LEN);
        let page = member_page(&csrf, 0, &"5".repeat(TOKEN_LEN));
        let mut entry = member_entry(&page, &csrf, 0, 7);
        entry.refresh = 160;
        entry.expires = 1_000;
        cache.insert_member(7, "/questions/1/a", entry, 0);
        assert!(cache.lookup_member(7, "/questions/1/a", 100, 0).is_some());
        // Another member, another page key, another board: nothing.
        assert!(cache.lookup_member(8, "/questions/1/a", 100, 0).is_none());
        assert!(cache.lookup_member(7, "/questions/1/b", 100, 0).is_none());
        assert_eq!(cache.pages(), 0, "not among the anonymous pages");
        assert!(cache.lookup_member(7, "/questions/1/a", 100, 1).is_none());
        // (the board check dropped it)
        assert_eq!(cache.member_pages(), 0);

        // Due for its refresh: rendered again.
        let mut entry = member_entry(&page, &csrf, 0, 7);
        entry.refresh = 160;
        cache.insert_member(7, "/questions/1/a", entry, 0);
        assert!(cache.lookup_member(7, "/questions/1/a", 160, 0).is_none());

        // Another user's write leaves it; their own write ends it.
        let mut entry = member_entry(&page, &csrf, 0, 7);
        entry.snapshot = versions.snapshot();
        cache.insert_member(7, "/questions/1/a", entry, 0);
        versions.mark_user(8);
        assert!(cache.lookup_member(7, "/questions/1/a", 100, 0).is_some());
        versions.mark_user(7);
        assert!(cache.lookup_member(7, "/questions/1/a", 100, 0).is_none());

        // A page rendered before the user's write is not stored.
        let mut stale = member_entry(&page, &csrf, 0, 7);
        stale.snapshot = versions.snapshot();
        versions.mark_user(7);
        cache.insert_member(7, "/questions/1/a", stale, 0);
        assert_eq!(cache.member_pages(), 0);
        // Nor one claiming to be another member's.
        cache.insert_member(8, "/questions/1/a", member_entry(&page, &csrf, 0, 7), 0);
        assert_eq!(cache.member_pages(), 0);
    }

    #[test]
    fn members_pages_stay_within_their_share_and_leave_anonymous_pages() {
        let cache = cache();
        for i in 0..20 {
            stored(&cache, &format!("/a{i}"), i64::MAX, i64::MAX);
        }
        let anonymous = cache.pages();
        assert_eq!(anonymous, 20);
        let csrf = "c".repeat(TOKEN_LEN);
        for user in 0..2_000 {
            let page = format!(
                "{}{}",
                member_page(&csrf, 0, &"5".repeat(TOKEN_LEN)),
                format!("<p>member {user}</p>").repeat(100)
            );
            let entry = member_entry(&page, &csrf, 0, user);
            cache.insert_member(user, "/questions/1/a", entry, 0);
            assert!(cache.member_bytes() <= cache.member_cap);
        }
        assert!(cache.member_pages() < 2_000, "the oldest were pushed out");
        assert_eq!(cache.pages(), anonymous, "no anonymous page was");
        assert!(cache.bytes() <= 1 << 20);
    }
}
