//! A hostile server on loopback: what a downloader may meet on the real internet and the
//! stand-in never does. Redirects, a redirect loop, a body without end, bodies cut short,
//! answers that are not 2xx, bytes that are not HTTP, and headers trickled a byte at a time.
//!
//! It speaks raw HTTP/1.1 over std's `TcpStream`, one thread per connection and one request per
//! connection (`Connection: close`), because the point is to say things a well-behaved server
//! library would refuse to. Every downloader's tests run [`check_hostile_server`] with the same
//! expectations, [`CASES`].

use std::collections::HashMap;
use std::io::{self, Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use contract::{MAX_REDIRECTS, Transcript};

/// The body of every answer that is meant to be read.
pub const OK_BODY: &str = "A page from the hostile server, for once a proper one.\n";

/// What a downloader must make of one path.
#[derive(Clone, Copy, Debug)]
pub enum Expect {
    /// `Read {bytes} bytes from {url}`.
    Read(usize),
    /// `Failed {url}: {reason}`, the reason (lowercased) containing one of these.
    Failed(&'static [&'static str]),
}

/// Words that say the response was not an HTTP answer, or was cut short: each client words it
/// its own way.
const BROKEN: &[&str] = &[
    "http",
    "eof",
    "disconnect",
    "end of file",
    "closed",
    "incomplete",
    "decod",
    "parse",
    "invalid",
    "body",
];

/// Every hostile path, what it does, and what every downloader must print for it.
pub const CASES: &[(&str, Expect)] = &[
    // A well-behaved answer, so a downloader that fails everything cannot pass.
    ("/ok", Expect::Read(OK_BODY.len())),
    // 301 to an absolute URL on the same server, then 200.
    ("/moved", Expect::Read(OK_BODY.len())),
    // A 302 whose Location is relative to the current path (`ok`), as RFC 9110 allows.
    ("/relative/go", Expect::Read(OK_BODY.len())),
    // As many redirects as a downloader follows, then 200: read.
    ("/redirect/10", Expect::Read(OK_BODY.len())),
    // One more: failed, as requests' and aiohttp's `TooManyRedirects`.
    ("/redirect/11", Expect::Failed(&["redirect"])),
    // A 302 to itself, for ever.
    ("/loop", Expect::Failed(&["redirect"])),
    // 200 with a chunked body that never ends: the body cap fails it.
    ("/endless", Expect::Failed(&["larger than", "limit"])),
    // 200 announcing a terabyte, then sending without end.
    ("/terabyte", Expect::Failed(&["larger than", "limit"])),
    // 200 announcing 1,000 bytes, then 100 and the connection closed.
    ("/truncated", Expect::Failed(BROKEN)),
    // A chunked body whose connection closes in the middle of a chunk.
    ("/truncated-chunked", Expect::Failed(BROKEN)),
    ("/status/404", Expect::Failed(&["404"])),
    ("/status/500", Expect::Failed(&["500"])),
    // A redirect status with no Location to follow: not a page.
    ("/status/302", Expect::Failed(&["302", "location"])),
    // A status no RFC defines, neither success nor failure by its class.
    ("/status/299", Expect::Read(OK_BODY.len())),
    ("/status/600", Expect::Failed(&["600"])),
    // Not HTTP at all: an SSH server's greeting, then the connection closed.
    ("/garbage", Expect::Failed(BROKEN)),
    // A whole answer (113 bytes), a byte every 50 ms: over 5 s, past the 3 s `--timeout` the
    // check passes.
    ("/trickle", Expect::Failed(&["timeout", "timed out"])),
];

/// The `--timeout` [`check_hostile_server`] passes: `/trickle` takes longer, and ten redirects
/// (eleven connections, one after the other) fit in it even under Wine, on a busy machine, with
/// the dependencies unoptimised, where one second was not enough; three leave room beyond
/// that.
const TIMEOUT_SECONDS: &str = "3";
/// Far longer than a run against the hostile server should take.
const RUN_LIMIT: Duration = Duration::from_secs(30);

/// The hostile server, on a free loopback port, until dropped.
pub struct Hostile {
    addr: SocketAddr,
    stop: Arc<AtomicBool>,
    hits: Arc<Mutex<HashMap<String, usize>>>,
    accept: Option<thread::JoinHandle<()>>,
}

impl Hostile {
    pub fn start() -> io::Result<Hostile> {
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))?;
        let addr = listener.local_addr()?;
        let stop = Arc::new(AtomicBool::new(false));
        let hits = Arc::new(Mutex::new(HashMap::new()));
        let (stop_flag, hit_counts) = (Arc::clone(&stop), Arc::clone(&hits));
        let accept = thread::Builder::new()
            .name("hostile".into())
            .spawn(move || {
                for stream in listener.incoming() {
                    if stop_flag.load(Ordering::Relaxed) {
                        break;
                    }
                    let Ok(stream) = stream else { continue };
                    let (stop, hits) = (Arc::clone(&stop_flag), Arc::clone(&hit_counts));
                    // A connection that cannot get a thread is closed: the client sees it fail.
                    let _ = thread::Builder::new()
                        .spawn(move || serve(stream, addr, &stop, &hits).unwrap_or(()));
                }
            })?;
        Ok(Hostile {
            addr,
            stop,
            hits,
            accept: Some(accept),
        })
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// How many requests for `path` arrived.
    pub fn hits(&self, path: &str) -> usize {
        self.hits.lock().unwrap().get(path).copied().unwrap_or(0)
    }
}

impl Drop for Hostile {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        // Wakes the accept loop, which then sees the flag. Connection threads see it too, at
        // their next write, and end.
        let _ = TcpStream::connect(self.addr);
        if let Some(accept) = self.accept.take() {
            let _ = accept.join();
        }
    }
}

/// Reads one request's head and answers it the hostile way its path asks for.
fn serve(
    mut stream: TcpStream,
    addr: SocketAddr,
    stop: &AtomicBool,
    hits: &Mutex<HashMap<String, usize>>,
) -> io::Result<()> {
    stream.set_read_timeout(Some(Duration::from_secs(5)))?;
    stream.set_write_timeout(Some(Duration::from_secs(5)))?;
    stream.set_nodelay(true)?;
    let mut head = Vec::new();
    let mut byte = [0; 1];
    while !head.ends_with(b"\r\n\r\n") {
        if stream.read(&mut byte)? == 0 || head.len() > 16 * 1024 {
            return Ok(());
        }
        head.push(byte[0]);
    }
    let head = String::from_utf8_lossy(&head);
    let path = head.split(' ').nth(1).unwrap_or("/").to_owned();
    *hits.lock().unwrap().entry(path.clone()).or_default() += 1;
    let ok = |status: &str| {
        format!(
            "HTTP/1.1 {status}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{OK_BODY}",
            OK_BODY.len()
        )
    };
    let redirect = |status: &str, location: &str| {
        format!(
            "HTTP/1.1 {status}\r\nLocation: {location}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
        )
    };
    let chunk = |size: usize| format!("{size:x}\r\n{}\r\n", "x".repeat(size));
    let deadline = Instant::now() + RUN_LIMIT;
    // Writes `piece` again and again until the client goes away (or the server stops).
    let without_end = |stream: &mut TcpStream, piece: &[u8]| -> io::Result<()> {
        while !stop.load(Ordering::Relaxed) && Instant::now() < deadline {
            stream.write_all(piece)?;
        }
        Ok(())
    };
    match path.as_str() {
        "/ok" | "/relative/ok" | "/redirect/0" | "/status/299" => {
            let status = if path == "/status/299" {
                "299 Whatever"
            } else {
                "200 OK"
            };
            stream.write_all(ok(status).as_bytes())?;
        }
        "/moved" => {
            let to = format!("http://{addr}/ok");
            stream.write_all(redirect("301 Moved Permanently", &to).as_bytes())?;
        }
        "/relative/go" => stream.write_all(redirect("302 Found", "ok").as_bytes())?,
        "/loop" => stream.write_all(redirect("302 Found", "/loop").as_bytes())?,
        "/endless" => {
            stream.write_all(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n")?;
            without_end(&mut stream, chunk(64 * 1024).as_bytes())?;
        }
        "/terabyte" => {
            stream.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 1000000000000\r\n\r\n")?;
            without_end(&mut stream, &[b'x'; 64 * 1024])?;
        }
        "/truncated" => {
            stream.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n")?;
            stream.write_all(&[b'x'; 100])?;
        }
        "/truncated-chunked" => {
            stream.write_all(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n")?;
            stream.write_all(chunk(100).as_bytes())?;
            // Announces 1,000 bytes, sends 10, and hangs up.
            stream.write_all(format!("{:x}\r\n{}", 1000, "x".repeat(10)).as_bytes())?;
        }
        "/garbage" => stream.write_all(b"SSH-2.0-OpenSSH_9.6p1 Ubuntu-3ubuntu13\r\n")?,
        "/trickle" => {
            for byte in ok("200 OK").bytes() {
                if stop.load(Ordering::Relaxed) {
                    break;
                }
                stream.write_all(&[byte])?;
                thread::sleep(Duration::from_millis(50));
            }
        }
        _ => {
            if let Some(n) = path.strip_prefix("/redirect/") {
                let next = n.parse::<u32>().unwrap_or(1).saturating_sub(1);
                let to = format!("/redirect/{next}");
                stream.write_all(redirect("302 Found", &to).as_bytes())?;
            } else if let Some(code) = path.strip_prefix("/status/") {
                let status = format!("{code} Hostile");
                let answer = ok(&status).replace("A page", "An error page");
                stream.write_all(answer.as_bytes())?;
            } else {
                stream.write_all(ok("404 Not Found").as_bytes())?;
            }
        }
    }
    // Closing: the client sees the end of every answer above.
    stream.flush()
}

/// Runs `exe` against every one of [`CASES`] at once (`--url` each, `--repeat 1`, a 2 s
/// `--timeout`) and checks each site's line, the counts, the exit status, and that no redirect
/// loop ran on past [`MAX_REDIRECTS`]. `extra` goes after the other flags.
pub fn check_hostile_server(exe: &str, extra: &[&str]) {
    let server = Hostile::start().expect("the hostile server starts");
    let mut args = vec!["--repeat".to_owned(), "1".into(), "--timeout".into()];
    args.push(TIMEOUT_SECONDS.into());
    for (path, _) in CASES {
        args.extend(["--url".into(), server.url(path)]);
    }
    args.extend(extra.iter().map(|&a| a.to_owned()));
    let started = Instant::now();
    let mut child = Command::new(exe)
        .args(&args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the downloader starts");
    let (stdout, stderr) = super::read_both(&mut child);
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait works") {
            break status;
        }
        if started.elapsed() > RUN_LIMIT {
            let _ = child.kill();
            let _ = child.wait();
            panic!("{exe} still running after {RUN_LIMIT:?} against the hostile server");
        }
        thread::sleep(Duration::from_millis(10));
    };
    let stdout = stdout.join().expect("reader");
    let stderr = stderr.join().expect("reader");
    assert!(!stderr.contains("panicked"), "{exe}: {stderr}");
    let transcript = Transcript::parse(&stdout);
    assert!(
        transcript.is_consistent(),
        "{exe}: every site read or failed, and counted:\n{stdout}"
    );
    let mut wrong = Vec::new();
    for (path, expect) in CASES {
        let url = server.url(path);
        let reads: Vec<usize> = transcript
            .reads
            .iter()
            .filter(|(_, _, u)| *u == url)
            .map(|(_, bytes, _)| *bytes)
            .collect();
        let failures: Vec<String> = transcript
            .failures
            .iter()
            .filter(|(u, _)| *u == url)
            .map(|(_, why)| why.to_lowercase())
            .collect();
        let right = match expect {
            Expect::Read(bytes) => reads == [*bytes] && failures.is_empty(),
            Expect::Failed(words) => {
                reads.is_empty()
                    && failures.len() == 1
                    && words.iter().any(|w| failures[0].contains(w))
            }
        };
        if !right {
            wrong.push(format!(
                "{path}: expected {expect:?}, got reads {reads:?}, failures {failures:?}"
            ));
        }
    }
    assert!(wrong.is_empty(), "{exe}:\n{}\n{stdout}", wrong.join("\n"));
    let failed = CASES
        .iter()
        .filter(|(_, e)| matches!(e, Expect::Failed(_)))
        .count();
    assert_eq!(transcript.failures.len(), failed, "{exe}");
    assert_eq!(status.code(), Some(1), "{exe}: {status}");
    // A loop is followed MAX_REDIRECTS times, then given up: the first request and one per
    // redirect followed (a client may or may not ask once more before it gives up).
    let loops = server.hits("/loop");
    let most = MAX_REDIRECTS as usize + 2;
    assert!(
        (MAX_REDIRECTS as usize..=most).contains(&loops),
        "{exe}: /loop asked {loops} times"
    );
}
