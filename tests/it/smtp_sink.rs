//! A small real SMTP server for tests: listens on a free loopback port,
//! speaks EHLO/HELO, MAIL, RCPT, DATA, RSET, NOOP and QUIT, and keeps every
//! message it accepts. Told to [`SmtpSink::refuse`], it answers `MAIL FROM`
//! with `451` (a transient failure), as a mail server that is down or
//! overloaded would. Stops when dropped.
//!
//! ```ignore
//! let sink = SmtpSink::start();
//! let app = TestApp::builder().configure(sink.configure()).start();
//! let mail = sink.wait_for(1).remove(0);
//! assert_eq!(mail.to, ["ann@example.com"]);
//! assert!(mail.text().contains("answered your question"));
//! ```

use std::io::{BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use signpost::config::Config;

/// How long [`SmtpSink::wait_for`] waits (the job worker polls every second
/// and the machine is shared: generous).
pub const WAIT: Duration = Duration::from_secs(30);

/// One accepted message.
#[derive(Debug, Clone)]
pub struct Received {
    /// The `MAIL FROM` address.
    pub from: String,
    /// The `RCPT TO` addresses.
    pub to: Vec<String>,
    /// The message as sent (headers and body, CRLF, dots unstuffed).
    pub data: String,
}

#[derive(Default)]
struct Shared {
    messages: Mutex<Vec<Received>>,
    arrived: Condvar,
    refusing: AtomicBool,
    refused: AtomicUsize,
    stopping: AtomicBool,
}

/// The running sink.
pub struct SmtpSink {
    addr: SocketAddr,
    shared: Arc<Shared>,
    thread: Option<JoinHandle<()>>,
}

impl SmtpSink {
    /// Starts listening on `127.0.0.1` at a free port.
    pub fn start() -> SmtpSink {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind a loopback port");
        let addr = listener.local_addr().expect("local address");
        let shared = Arc::new(Shared::default());
        let accepting = shared.clone();
        let thread = std::thread::spawn(move || {
            for stream in listener.incoming() {
                if accepting.stopping.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(stream) = stream else { continue };
                let session = accepting.clone();
                std::thread::spawn(move || {
                    // A client that breaks off mid-way ends its session only.
                    let _ = serve(stream, &session);
                });
            }
        });
        SmtpSink {
            addr,
            shared,
            thread: Some(thread),
        }
    }

    /// The `smtp_url` that reaches this sink (plain SMTP).
    pub fn url(&self) -> String {
        format!("smtp://{}", self.addr)
    }

    /// A config tweak that points the site's mail at this sink.
    pub fn configure(&self) -> impl FnOnce(&mut Config) + 'static {
        let url = self.url();
        move |config: &mut Config| {
            config.smtp_url = url;
            config.mail_from = "Signpost Help <help@example.com>".into();
        }
    }

    /// While `on`, every `MAIL FROM` is answered `451` and nothing is kept.
    pub fn refuse(&self, on: bool) {
        self.shared.refusing.store(on, Ordering::SeqCst);
    }

    /// How many messages were refused so far.
    pub fn refused(&self) -> usize {
        self.shared.refused.load(Ordering::SeqCst)
    }

    /// Waits until at least `count` messages were refused (panics after [`WAIT`]).
    #[track_caller]
    pub fn wait_refused(&self, count: usize) {
        let deadline = Instant::now() + WAIT;
        while self.refused() < count {
            assert!(
                Instant::now() < deadline,
                "expected {count} refused attempt(s), got {}",
                self.refused()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Every message accepted so far.
    pub fn messages(&self) -> Vec<Received> {
        self.shared
            .messages
            .lock()
            .map(|m| m.clone())
            .unwrap_or_default()
    }

    /// Waits until at least `count` messages arrived (panics after [`WAIT`])
    /// and returns all of them.
    #[track_caller]
    pub fn wait_for(&self, count: usize) -> Vec<Received> {
        let deadline = Instant::now() + WAIT;
        let mut messages = self.shared.messages.lock().expect("sink lock");
        while messages.len() < count {
            let left = deadline.saturating_duration_since(Instant::now());
            assert!(
                !left.is_zero(),
                "expected {count} mail(s) within {WAIT:?}, got {}: {:#?}",
                messages.len(),
                *messages
            );
            messages = self
                .shared
                .arrived
                .wait_timeout(messages, left)
                .expect("sink lock")
                .0;
        }
        messages.clone()
    }

    /// Waits until `condition` holds for the messages so far (or panics
    /// after [`WAIT`]).
    #[track_caller]
    pub fn wait_until(&self, what: &str, condition: impl Fn(&[Received]) -> bool) {
        let deadline = Instant::now() + WAIT;
        while !condition(&self.messages()) {
            assert!(Instant::now() < deadline, "{what}: {:#?}", self.messages());
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        self.shared.stopping.store(true, Ordering::SeqCst);
        // Wake the accept loop so it sees the flag.
        let _ = TcpStream::connect(self.addr);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// One SMTP session.
fn serve(stream: TcpStream, shared: &Shared) -> std::io::Result<()> {
    stream.set_read_timeout(Some(Duration::from_secs(30)))?;
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut out = stream;
    out.write_all(b"220 sink.test ESMTP test sink\r\n")?;
    let mut from = String::new();
    let mut to = Vec::new();
    let mut line = String::new();
    loop {
        line.clear();
        if reader.read_line(&mut line)? == 0 {
            return Ok(());
        }
        let command = line.trim_end().to_string();
        let verb = command
            .split([' ', ':'])
            .next()
            .unwrap_or("")
            .to_ascii_uppercase();
        match verb.as_str() {
            "EHLO" => out.write_all(b"250-sink.test\r\n250-8BITMIME\r\n250 SMTPUTF8\r\n")?,
            "HELO" => out.write_all(b"250 sink.test\r\n")?,
            "MAIL" if shared.refusing.load(Ordering::SeqCst) => {
                shared.refused.fetch_add(1, Ordering::SeqCst);
                out.write_all(b"451 4.3.0 Mail server busy, try again later\r\n")?
            }
            "MAIL" => {
                from = angle_address(&command);
                to.clear();
                out.write_all(b"250 2.1.0 OK\r\n")?
            }
            "RCPT" => {
                to.push(angle_address(&command));
                out.write_all(b"250 2.1.5 OK\r\n")?
            }
            "DATA" => {
                out.write_all(b"354 End data with <CR><LF>.<CR><LF>\r\n")?;
                let mut data = String::new();
                loop {
                    line.clear();
                    if reader.read_line(&mut line)? == 0 {
                        return Ok(());
                    }
                    if line == ".\r\n" || line == ".\n" {
                        break;
                    }
                    data.push_str(line.strip_prefix('.').unwrap_or(&line));
                }
                let message = Received {
                    from: std::mem::take(&mut from),
                    to: std::mem::take(&mut to),
                    data,
                };
                if let Ok(mut messages) = shared.messages.lock() {
                    messages.push(message);
                }
                shared.arrived.notify_all();
                out.write_all(b"250 2.0.0 OK queued\r\n")?
            }
            "RSET" => {
                from.clear();
                to.clear();
                out.write_all(b"250 2.0.0 OK\r\n")?
            }
            "NOOP" => out.write_all(b"250 2.0.0 OK\r\n")?,
            "QUIT" => {
                out.write_all(b"221 2.0.0 Bye\r\n")?;
                return Ok(());
            }
            _ => out.write_all(b"502 5.5.2 Command not recognized\r\n")?,
        }
    }
}

/// The address between `<` and `>` of a `MAIL FROM`/`RCPT TO` line.
fn angle_address(command: &str) -> String {
    let start = command.find('<').map_or(0, |i| i + 1);
    let end = command[start..]
        .find('>')
        .map_or(command.len(), |i| start + i);
    command[start..end].to_string()
}

impl Received {
    /// The header block (before the first empty line).
    fn head(&self) -> &str {
        self.data
            .split_once("\r\n\r\n")
            .map_or(self.data.as_str(), |(head, _)| head)
    }

    /// A top-level header's value, unfolded; `None` when absent.
    pub fn header(&self, name: &str) -> Option<String> {
        header_in(self.head(), name)
    }

    /// The subject line.
    pub fn subject(&self) -> String {
        self.header("Subject").unwrap_or_default()
    }

    /// The decoded body of the MIME part of `content_type`
    /// (`text/plain`, `text/html`), when there is one.
    pub fn part(&self, content_type: &str) -> Option<String> {
        let boundary = self
            .header("Content-Type")?
            .split("boundary=")
            .nth(1)?
            .trim_matches('"')
            .to_string();
        let delimiter = format!("--{boundary}");
        self.data.split(delimiter.as_str()).find_map(|section| {
            let (head, body) = section.trim_start_matches("\r\n").split_once("\r\n\r\n")?;
            let kind = header_in(head, "Content-Type")?;
            if !kind.to_ascii_lowercase().starts_with(content_type) {
                return None;
            }
            let body = body.strip_suffix("\r\n").unwrap_or(body);
            Some(
                match header_in(head, "Content-Transfer-Encoding").as_deref() {
                    Some(e) if e.eq_ignore_ascii_case("quoted-printable") => {
                        decode_quoted_printable(body)
                    }
                    _ => body.to_string(),
                },
            )
        })
    }

    /// The plain-text part (panics when missing).
    #[track_caller]
    pub fn text(&self) -> String {
        self.part("text/plain")
            .unwrap_or_else(|| panic!("no text/plain part in {}", self.data))
    }

    /// The HTML part (panics when missing).
    #[track_caller]
    pub fn html(&self) -> String {
        self.part("text/html")
            .unwrap_or_else(|| panic!("no text/html part in {}", self.data))
    }

    /// The first link in the text part that starts with `prefix`.
    #[track_caller]
    pub fn link(&self, prefix: &str) -> String {
        let text = self.text();
        let start = text
            .find(prefix)
            .unwrap_or_else(|| panic!("no link {prefix}… in {text}"));
        text[start..]
            .split_whitespace()
            .next()
            .unwrap_or_default()
            .to_string()
    }
}

/// A header's unfolded value in a header block.
fn header_in(head: &str, name: &str) -> Option<String> {
    let mut value: Option<String> = None;
    for line in head.split("\r\n") {
        match &mut value {
            Some(v) if line.starts_with([' ', '\t']) => {
                v.push(' ');
                v.push_str(line.trim());
            }
            Some(_) => break,
            None => {
                if let Some((key, rest)) = line.split_once(':') {
                    if key.eq_ignore_ascii_case(name) {
                        value = Some(rest.trim().to_string());
                    }
                }
            }
        }
    }
    value
}

/// Decodes quoted-printable (RFC 2045): soft line breaks and `=XX`.
pub fn decode_quoted_printable(body: &str) -> String {
    let joined = body.replace("=\r\n", "");
    let bytes = joined.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        if bytes[i] == b'=' && i + 2 < bytes.len() {
            if let (Some(h), Some(l)) = (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                out.push((h * 16 + l) as u8);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).replace("\r\n", "\n")
}

#[test]
fn quoted_printable_decodes_soft_breaks_and_escapes() {
    assert_eq!(
        decode_quoted_printable("caf=C3=A9 =3D x=\r\ny\r\nz"),
        "café = xy\nz"
    );
}
