//! Files that articles show or link to (images, PDFs, text, archives): which
//! kinds are accepted, how a kind is recognised from its bytes (never from the
//! name alone), how big a file may be, how it is stored (once per distinct
//! content) and which headers it is served with.

use crate::db::models::assets::{self, AssetHead, NewAsset};
use crate::db::Conn;
use crate::error::AppResult;

/// Largest file accepted (5 MiB).
pub const MAX_ASSET_BYTES: u64 = 5 * 1024 * 1024;

/// The cache header of a stored file: its URL changes with its content.
pub const IMMUTABLE_CACHE: &str = "public, max-age=31536000, immutable";

/// Policy for files that could carry script (SVG, text): a browser opening
/// them directly runs nothing and loads nothing.
pub const SANDBOX_POLICY: &str = "default-src 'none'; style-src 'unsafe-inline'; sandbox";

/// The kinds of file that may be stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileKind {
    /// PNG image.
    Png,
    /// JPEG image.
    Jpeg,
    /// GIF image.
    Gif,
    /// WebP image.
    Webp,
    /// SVG image (served sandboxed).
    Svg,
    /// PDF document.
    Pdf,
    /// Plain UTF-8 text.
    Text,
    /// ZIP archive (always downloaded, never shown).
    Zip,
}

/// Every accepted kind, for messages and look-ups.
const KINDS: [FileKind; 8] = [
    FileKind::Png,
    FileKind::Jpeg,
    FileKind::Gif,
    FileKind::Webp,
    FileKind::Svg,
    FileKind::Pdf,
    FileKind::Text,
    FileKind::Zip,
];

impl FileKind {
    /// The kind a file name's extension promises, if it is an accepted one.
    pub fn from_extension(ext: &str) -> Option<FileKind> {
        match ext.to_ascii_lowercase().as_str() {
            "png" => Some(FileKind::Png),
            "jpg" | "jpeg" => Some(FileKind::Jpeg),
            "gif" => Some(FileKind::Gif),
            "webp" => Some(FileKind::Webp),
            "svg" => Some(FileKind::Svg),
            "pdf" => Some(FileKind::Pdf),
            "txt" => Some(FileKind::Text),
            "zip" => Some(FileKind::Zip),
            _ => None,
        }
    }

    /// The kind stored under `content_type`, if it is one of ours.
    pub fn from_content_type(content_type: &str) -> Option<FileKind> {
        KINDS.into_iter().find(|k| k.content_type() == content_type)
    }

    /// The MIME type it is served as.
    pub fn content_type(self) -> &'static str {
        match self {
            FileKind::Png => "image/png",
            FileKind::Jpeg => "image/jpeg",
            FileKind::Gif => "image/gif",
            FileKind::Webp => "image/webp",
            FileKind::Svg => "image/svg+xml",
            FileKind::Pdf => "application/pdf",
            FileKind::Text => "text/plain; charset=utf-8",
            FileKind::Zip => "application/zip",
        }
    }

    /// The extension a stored name gets.
    pub fn extension(self) -> &'static str {
        match self {
            FileKind::Png => "png",
            FileKind::Jpeg => "jpg",
            FileKind::Gif => "gif",
            FileKind::Webp => "webp",
            FileKind::Svg => "svg",
            FileKind::Pdf => "pdf",
            FileKind::Text => "txt",
            FileKind::Zip => "zip",
        }
    }

    /// What the bytes really are, judged by their first bytes (and, for the
    /// text formats, by being UTF-8 without NUL bytes).
    pub fn sniff(bytes: &[u8]) -> Option<FileKind> {
        if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
            return Some(FileKind::Png);
        }
        if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
            return Some(FileKind::Jpeg);
        }
        if bytes.starts_with(b"GIF87a") || bytes.starts_with(b"GIF89a") {
            return Some(FileKind::Gif);
        }
        if bytes.len() >= 12 && &bytes[..4] == b"RIFF" && &bytes[8..12] == b"WEBP" {
            return Some(FileKind::Webp);
        }
        if bytes.starts_with(b"%PDF-") {
            return Some(FileKind::Pdf);
        }
        if bytes.starts_with(b"PK\x03\x04")
            || bytes.starts_with(b"PK\x05\x06")
            || bytes.starts_with(b"PK\x07\x08")
        {
            return Some(FileKind::Zip);
        }
        let text = std::str::from_utf8(bytes)
            .ok()
            .filter(|t| !t.contains('\0'))?;
        let head: String = text
            .trim_start_matches('\u{feff}')
            .chars()
            .take(4096)
            .collect::<String>()
            .to_ascii_lowercase();
        let head = head.trim_start();
        let looks_like_markup = head.starts_with("<?xml")
            || head.starts_with("<svg")
            || head.starts_with("<!--")
            || head.starts_with("<!doctype svg");
        if looks_like_markup && head.contains("<svg") {
            return Some(FileKind::Svg);
        }
        Some(FileKind::Text)
    }

    /// Whether the file may be shown in the browser (else it is downloaded).
    fn inline(self) -> bool {
        self != FileKind::Zip
    }

    /// Whether the response needs [`SANDBOX_POLICY`].
    fn sandboxed(self) -> bool {
        !matches!(self, FileKind::Pdf | FileKind::Zip)
    }
}

/// Decides whether a file may be stored: its extension must be accepted,
/// its size at most [`MAX_ASSET_BYTES`], and its bytes must be what the
/// extension says. The error says what is wrong, for the import report.
pub fn accept(file_name: &str, bytes: &[u8]) -> Result<FileKind, String> {
    let ext = file_name.rsplit_once('.').map(|(_, e)| e).unwrap_or("");
    let Some(promised) = FileKind::from_extension(ext) else {
        return Err(format!(
            "{file_name}: files of type {:?} are not imported (accepted: png, jpg, jpeg, gif, webp, svg, pdf, txt, zip)",
            if ext.is_empty() { "(none)" } else { ext }
        ));
    };
    check_size(file_name, bytes.len() as u64)?;
    if bytes.is_empty() {
        return Err(format!("{file_name}: the file is empty"));
    }
    match FileKind::sniff(bytes) {
        Some(found) if found == promised => Ok(found),
        Some(found) => Err(format!(
            "{file_name}: the name says {} but the content is {}; the file was not imported",
            promised.extension(),
            describe(found)
        )),
        None => Err(format!(
            "{file_name}: the name says {} but the content is binary data of an unknown kind; the file was not imported",
            promised.extension()
        )),
    }
}

/// Refuses a file bigger than [`MAX_ASSET_BYTES`] (checked before reading it).
pub fn check_size(file_name: &str, size: u64) -> Result<(), String> {
    if size > MAX_ASSET_BYTES {
        return Err(format!(
            "{file_name}: {:.1} MiB is over the limit of {} MiB; the file was not imported (make it smaller or link to it elsewhere)",
            size as f64 / 1_048_576.0,
            MAX_ASSET_BYTES / 1_048_576
        ));
    }
    Ok(())
}

fn describe(kind: FileKind) -> &'static str {
    match kind {
        FileKind::Text => "text",
        FileKind::Svg => "an SVG image",
        FileKind::Png => "a PNG image",
        FileKind::Jpeg => "a JPEG image",
        FileKind::Gif => "a GIF image",
        FileKind::Webp => "a WebP image",
        FileKind::Pdf => "a PDF document",
        FileKind::Zip => "a ZIP archive",
    }
}

/// The name a file is served under: lowercase letters, digits, `-`, `_` and
/// `.`, with the extension of its real kind (`Screen Shot 1.PNG` ->
/// `screen-shot-1.png`).
pub fn served_name(file_name: &str, kind: FileKind) -> String {
    let stem = file_name
        .rsplit_once('.')
        .map(|(s, _)| s)
        .unwrap_or(file_name);
    let mut out = String::new();
    for c in stem.chars().flat_map(char::to_lowercase) {
        if c.is_ascii_alphanumeric() || c == '_' {
            out.push(c);
        } else if !out.ends_with('-') {
            out.push('-');
        }
    }
    let stem: String = out.trim_matches('-').chars().take(80).collect();
    let stem = if stem.is_empty() { "file" } else { &stem };
    format!("{stem}.{}", kind.extension())
}

/// Stores `bytes` (already [`accept`]ed as `kind`) unless the same content is
/// stored already; returns the stored file and whether it is new.
pub fn store(
    conn: &mut Conn,
    file_name: &str,
    kind: FileKind,
    bytes: &[u8],
    source: &str,
    now: i64,
) -> AppResult<(AssetHead, bool)> {
    let sha256 = crate::content::content_hash(bytes);
    if let Some(found) = assets::find_by_sha256(conn, &sha256)? {
        return Ok((found, false));
    }
    // A 16-hex-digit prefix is unique in practice; lengthen it on a clash.
    let mut length = 16;
    while length < sha256.len() && assets::find_by_fingerprint(conn, &sha256[..length])?.is_some() {
        length += 8;
    }
    let name = served_name(file_name, kind);
    let head = assets::insert(
        conn,
        &NewAsset {
            sha256: &sha256,
            fingerprint: &sha256[..length],
            name: &name,
            content_type: kind.content_type(),
            size: bytes.len() as i64,
            bytes,
            source,
            created_at: now,
        },
    )?;
    Ok((head, true))
}

/// The headers a stored file is served with (besides the cache header).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServeHeaders {
    /// `Content-Type`.
    pub content_type: &'static str,
    /// `Content-Disposition`: inline for what a browser shows, attachment otherwise.
    pub disposition: String,
    /// `Content-Security-Policy`, for kinds that could carry script.
    pub policy: Option<&'static str>,
}

/// How a stored file of `content_type` named `name` is served. Unknown types
/// (none are stored, but a database could be edited by hand) are downloaded.
pub fn serve_headers(content_type: &str, name: &str) -> ServeHeaders {
    let safe_name: String = name
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'))
        .collect();
    match FileKind::from_content_type(content_type) {
        Some(kind) => ServeHeaders {
            content_type: kind.content_type(),
            disposition: format!(
                "{}; filename=\"{safe_name}\"",
                if kind.inline() {
                    "inline"
                } else {
                    "attachment"
                }
            ),
            policy: kind.sandboxed().then_some(SANDBOX_POLICY),
        },
        None => ServeHeaders {
            content_type: "application/octet-stream",
            disposition: format!("attachment; filename=\"{safe_name}\""),
            policy: Some(SANDBOX_POLICY),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR";

    #[test]
    fn kinds_come_from_bytes_not_names() {
        assert_eq!(accept("a.png", PNG), Ok(FileKind::Png));
        assert_eq!(accept("A.PNG", PNG), Ok(FileKind::Png));
        let err = accept("fake.png", b"just some text").unwrap_err();
        assert!(err.contains("the content is text"), "{err}");
        let err = accept("x.jpg", PNG).unwrap_err();
        assert!(err.contains("a PNG image"), "{err}");
        let err = accept("run.exe", b"MZ").unwrap_err();
        assert!(err.contains("not imported"), "{err}");
        assert_eq!(
            accept(
                "d.svg",
                b"<?xml version=\"1.0\"?>\n<svg xmlns=\"http://www.w3.org/2000/svg\"/>"
            ),
            Ok(FileKind::Svg)
        );
        assert!(accept("notes.svg", b"hello").is_err());
        assert_eq!(accept("notes.txt", b"hello"), Ok(FileKind::Text));
        assert!(accept("bin.txt", b"a\0b").is_err());
        assert_eq!(accept("a.pdf", b"%PDF-1.7\n"), Ok(FileKind::Pdf));
        assert_eq!(accept("a.zip", b"PK\x03\x04rest"), Ok(FileKind::Zip));
        assert_eq!(
            accept("a.webp", b"RIFF\0\0\0\0WEBPVP8 "),
            Ok(FileKind::Webp)
        );
        assert_eq!(accept("a.gif", b"GIF89a.."), Ok(FileKind::Gif));
        assert_eq!(
            accept("a.jpeg", &[0xFF, 0xD8, 0xFF, 0xE0]),
            Ok(FileKind::Jpeg)
        );
        assert!(accept("empty.png", b"").is_err());
    }

    #[test]
    fn oversized_files_are_refused() {
        assert!(check_size("a.png", MAX_ASSET_BYTES).is_ok());
        let err = check_size("a.png", MAX_ASSET_BYTES + 1).unwrap_err();
        assert!(err.contains("over the limit of 5 MiB"), "{err}");
    }

    #[test]
    fn served_names_are_safe() {
        assert_eq!(
            served_name("Screen Shot 1.PNG", FileKind::Png),
            "screen-shot-1.png"
        );
        assert_eq!(served_name("photo.jpeg", FileKind::Jpeg), "photo.jpg");
        assert_eq!(served_name("\"<x>\".svg", FileKind::Svg), "x.svg");
        assert_eq!(served_name(".png", FileKind::Png), "file.png");
    }

    #[test]
    fn svg_is_sandboxed_and_zip_downloaded() {
        let svg = serve_headers("image/svg+xml", "d.svg");
        assert_eq!(svg.policy, Some(SANDBOX_POLICY));
        assert_eq!(svg.disposition, "inline; filename=\"d.svg\"");
        let zip = serve_headers("application/zip", "a.zip");
        assert!(zip.disposition.starts_with("attachment"));
        let odd = serve_headers("text/html", "x\".html");
        assert_eq!(odd.content_type, "application/octet-stream");
        assert_eq!(odd.disposition, "attachment; filename=\"x.html\"");
    }
}
