//! What the servers share, so that a diff between them shows the technique and nothing else:
//! the command line, the protocol's bytes and rules, the log lines, what to do when `accept`
//! fails, and Ctrl-C. `tcp_mojifinder.py` has these inline; Python's `asyncio` gives it the
//! line limit and the back-off on `accept` errors (see `docs/servers.md`).

use std::fmt;
use std::io::{self, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use crate::{InvertedIndex, format_results, status_line};

// The prompt and the `Serving on` line, which clients and `cargo xtask` read: `contract`'s.
pub use contract::charfinder::{PROMPT, serving_address, serving_line};

/// The TCP servers' command line, with the original's defaults.
#[derive(clap::Parser, Debug)]
#[command(about = "Finds Unicode characters by name for clients over TCP (try nc or telnet).")]
pub struct Args {
    /// The address to listen on.
    #[arg(long, default_value = "127.0.0.1")]
    pub host: String,
    /// The port to listen on (0: any free port; the `Serving on` line says which).
    #[arg(long, default_value_t = 2323)]
    pub port: u16,
}

/// Ends every line the server sends.
pub const CRLF: &[u8] = b"\r\n";

/// The longest line a server reads, its newline included. Character names have at most 20 or
/// so words, so a query longer than this is no query; past it the session ends, and a client
/// that never sends a newline cannot make a server hold more than this much of its bytes.
/// (Python's `StreamReader` stops at 64 KiB, raising an error the original does not catch.)
pub const MAX_LINE: usize = 1024;

/// What a client is told before a server hangs up on a line past [`MAX_LINE`].
pub const TOO_LONG: &[u8] = b"\r\nError: a line of more than 1024 bytes. Bye.\r\n";

/// The error a session ends with after [`TOO_LONG`].
pub fn line_too_long() -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, "a line of more than 1024 bytes")
}

/// A line as read by a server, at most [`MAX_LINE`] bytes: `None` when it filled them without a
/// newline, otherwise the query, as `data.decode().strip()`, and `"\0"` (a control character,
/// which ends the session) where the bytes are not UTF-8, as the original's `except`.
pub fn decode(data: &[u8]) -> Option<String> {
    if data.len() >= MAX_LINE && data.last() != Some(&b'\n') {
        return None;
    }
    Some(match std::str::from_utf8(data) {
        Ok(text) => text.trim_matches(crate::is_py_space).to_owned(),
        Err(_) => "\0".to_owned(),
    })
}

/// A query that ends the session: its first character is a control character (below 32), as
/// the Ctrl-C or Ctrl-D a user types into telnet.
pub fn ends_session(query: &str) -> bool {
    query.chars().next().is_some_and(|c| u32::from(c) < 32)
}

/// An answer's lines, each ended by CRLF, ready to write in one go (the original's
/// `writer.writelines(lines)`), and the number of characters found.
pub fn answer(index: &InvertedIndex, query: &str) -> (Vec<u8>, usize) {
    let chars = index.search(query);
    // About 40 bytes a line; writing into a `Vec` cannot fail.
    let mut lines = Vec::with_capacity(chars.len() * 48);
    for line in format_results(&chars) {
        write!(lines, "{line}").expect("writing to a Vec");
        lines.extend_from_slice(CRLF);
    }
    (lines, chars.len())
}

/// The status line that ends an answer, with its CRLF.
pub fn status(found: usize) -> Vec<u8> {
    let mut line = status_line(found).into_bytes();
    line.extend_from_slice(CRLF);
    line
}

/// An address as Python prints a socket's, for the same log lines: `('127.0.0.1', 2323)`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Peer(pub SocketAddr);

impl fmt::Display for Peer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            SocketAddr::V4(a) => write!(f, "('{}', {})", a.ip(), a.port()),
            SocketAddr::V6(a) => write!(
                f,
                "('{}', {}, {}, {})",
                a.ip(),
                a.port(),
                a.flowinfo(),
                a.scope_id()
            ),
        }
    }
}

/// Python's `repr` of a string, for the log's ` From {peer}: {query!r}`: single quotes (double
/// where the text has a single quote and no double), backslash escapes for control characters.
/// Python also escapes the other characters it cannot print (format characters, unassigned code
/// points); here those without a name are escaped, which covers the same ground but for the
/// named format characters (U+200B ZERO WIDTH SPACE prints as itself).
pub fn repr(text: &str) -> String {
    let quote = if text.contains('\'') && !text.contains('"') {
        '"'
    } else {
        '\''
    };
    let mut out = String::from(quote);
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c == quote => out.extend(['\\', c]),
            ' ' => out.push(' '),
            c if c.is_ascii_graphic() => out.push(c),
            c if u32::from(c) < 0x100 && (c.is_control() || c.is_whitespace()) => {
                out.push_str(&format!("\\x{:02x}", u32::from(c)))
            }
            c if c.is_ascii() || (!c.is_whitespace() && crate::name(c).is_some()) => out.push(c),
            c if u32::from(c) < 0x1_0000 => out.push_str(&format!("\\u{:04x}", u32::from(c))),
            c => out.push_str(&format!("\\U{:08x}", u32::from(c))),
        }
    }
    out.push(quote);
    out
}

/// The log line that ends a session: `Close {peer}.`, with the reason when it ended on an error
/// (a client gone in the middle of an answer, a line too long).
pub fn log_close(client: Peer, result: io::Result<()>) {
    match result {
        Ok(()) => println!("Close {client}."),
        Err(error) => println!("Close {client}: {error}."),
    }
}

/// A client for whom the OS would not start a thread (`tcp_charfinder_threads`): it is told
/// why, on the connection the server still holds, and the server goes on.
pub fn refuse(socket: &mut impl Write, client: Peer, error: &io::Error) {
    eprintln!("Cannot start a thread for {client}: {error}.");
    let _ = write!(
        socket,
        "Error: no thread for this session: {error}. Bye.\r\n"
    );
}

/// How long a server waits before it tries `accept` again after one that failed for lack of
/// resources (asyncio waits 1 s: `ACCEPT_RETRY_DELAY`). Long enough that the loop costs nothing
/// while it waits; short enough that a client who left makes room for the next within a moment.
pub const ACCEPT_RETRY_DELAY: Duration = Duration::from_millis(100);

/// What a server does when `accept` fails, as mini-redis's accept loop does: an error that was
/// the client's (it left before it was accepted) is skipped; any other means the server is at a
/// limit (out of file descriptors, EMFILE, past `ulimit -n`; or of memory), and trying again at
/// once would fail again at once, a busy loop. So the server says so on stderr, at most once a
/// minute, goes on serving the clients it holds, and tries again after [`ACCEPT_RETRY_DELAY`].
#[derive(Default)]
pub struct AcceptErrors {
    said: Option<Instant>,
}

impl AcceptErrors {
    /// After `accept` failed with `error`: how long to wait before the next `accept`.
    pub fn wait_after(&mut self, error: &io::Error) -> Duration {
        use io::ErrorKind::*;
        if matches!(
            error.kind(),
            ConnectionAborted | ConnectionReset | Interrupted | WouldBlock
        ) {
            return Duration::ZERO;
        }
        if self
            .said
            .is_none_or(|when| when.elapsed() > Duration::from_secs(60))
        {
            self.said = Some(Instant::now());
            eprintln!(
                "Cannot accept connections: {error}. Serving the clients already connected, \
                 trying again every {} ms.",
                ACCEPT_RETRY_DELAY.as_millis()
            );
        }
        ACCEPT_RETRY_DELAY
    }
}

/// The memory mappings a thread of Rust's takes on Linux: its stack and the signal stack std
/// gives it (for its stack-overflow message), each with a guard page: a process that starts
/// threads until it fails counts a quarter as many threads as `/proc/self/maps` has lines.
pub const MAPPINGS_PER_THREAD: usize = 4;

/// The mappings left for all else a process maps: its binary, libraries, heaps.
const OTHER_MAPPINGS: usize = 1024;

/// The most session threads a server of a thread per client may start, where the OS has a limit
/// that std does not survive: on Linux, `vm.max_map_count`. When a new thread's stack finds room
/// and its signal stack does not, std panics inside the new thread before it runs ("failed to
/// set up alternative stack guard page", `library/std/src/sys/pal/unix/stack_overflow.rs`),
/// and a panic there aborts the whole process, every client with it. `None` where there is no
/// such limit to stop short of (the OS refusing a thread outright is an error `spawn` returns).
pub fn thread_cap() -> Option<usize> {
    #[cfg(target_os = "linux")]
    {
        let text = std::fs::read_to_string("/proc/sys/vm/max_map_count").ok()?;
        Some(threads_within(text.trim().parse().ok()?))
    }
    #[cfg(not(target_os = "linux"))]
    {
        None
    }
}

/// How many threads `max_map_count` mappings leave room for, beside the rest of the process.
pub fn threads_within(max_map_count: usize) -> usize {
    max_map_count.saturating_sub(OTHER_MAPPINGS) / MAPPINGS_PER_THREAD
}

/// The sessions a server of a thread per client holds at once, counted so that it stops short of
/// [`thread_cap`]: past the cap, a new client is refused with a line that says why, and the
/// server and its other clients go on.
pub struct Sessions {
    cap: Option<usize>,
    live: Arc<AtomicUsize>,
}

impl Sessions {
    pub fn within_thread_cap() -> Sessions {
        Sessions {
            cap: thread_cap(),
            live: Arc::default(),
        }
    }

    /// Room for one more session, held until the [`Session`] is dropped (its thread's end, or a
    /// thread that never started); or, at the cap, `None`, the client told why.
    pub fn admit(&self, socket: &TcpStream, client: Peer) -> Option<Session> {
        if let Some(cap) = self.cap
            && self.live.load(Ordering::Relaxed) >= cap
        {
            let why = format!("{cap} sessions at once, the most vm.max_map_count has room for");
            refuse(&mut &*socket, client, &io::Error::other(why));
            return None;
        }
        self.live.fetch_add(1, Ordering::Relaxed);
        Some(Session(Arc::clone(&self.live)))
    }
}

/// One session counted among the live ones while it lasts.
pub struct Session(Arc<AtomicUsize>);

impl Drop for Session {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
}

/// Ctrl-C stops a server as the original's `except KeyboardInterrupt` does: `Server shut down.`
/// on a line of its own and exit status 0 (stopping is what a server is asked for, not a
/// failure; the spinners exit 130 instead because Ctrl-C cuts their answer short). The handler
/// runs on a thread of its own (the `ctrlc` crate), whatever the server does meanwhile, so the
/// three servers share it; the sessions open at that moment end with the process.
pub fn exit_on_ctrl_c() -> Result<(), ctrlc::Error> {
    ctrlc::set_handler(|| {
        println!("\nServer shut down.");
        std::process::exit(0);
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_as_the_original_reads_them() {
        assert_eq!(decode(b"cat face\r\n").as_deref(), Some("cat face"));
        assert_eq!(decode(b"\xff\xfe\n").as_deref(), Some("\0"));
        assert_eq!(decode(b" \x1d\n").as_deref(), Some(""));
        assert_eq!(decode(&[b'a'; MAX_LINE]), None);
        let mut full = vec![b'a'; MAX_LINE - 1];
        full.push(b'\n');
        assert!(decode(&full).is_some());
        assert!(ends_session("\u{3}") && ends_session("\0x") && !ends_session("cat"));
    }

    #[test]
    fn the_thread_cap_leaves_room_for_the_rest_of_the_process() {
        // Linux's default of 65,530 mappings.
        assert_eq!(threads_within(65_530), 16_126);
        assert_eq!(threads_within(100), 0);
    }

    #[test]
    fn addresses_and_strings_as_python_prints_them() {
        let v4: SocketAddr = "127.0.0.1:2323".parse().unwrap();
        let line = serving_line(Peer(v4));
        assert_eq!(line, "Serving on ('127.0.0.1', 2323). Hit CTRL-C to stop.");
        assert_eq!(serving_address(&line), Some(v4));
        let v6: SocketAddr = "[::1]:8000".parse().unwrap();
        assert_eq!(serving_address(&serving_line(Peer(v6))), Some(v6));
        let http = serving_line(format_args!("http://{v6}/"));
        assert_eq!(serving_address(&http), Some(v6));
        assert_eq!(repr("cat face"), "'cat face'");
        assert_eq!(repr("it's"), "\"it's\"");
        assert_eq!(repr("\0\u{7f}\t\\"), "'\\x00\\x7f\\t\\\\'");
        assert_eq!(repr("é🐱\u{a0}\u{378}"), "'é🐱\\xa0\\u0378'");
    }
}
