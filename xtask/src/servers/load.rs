//! The servers family's clients: they load a character finder and check every answer.
//!
//! General load tools count status codes; these read each answer and compare its number of
//! characters with what that server's own index gives for the query, so a fast wrong answer
//! counts as a failure. Two loads, and the idle connections of `hold.rs` beside them:
//! - [`sessions`] over TCP: clients that each connect, send their queries one after another, read
//!   each answer to its status line, and end the session with a control character, as a person
//!   at `nc` would with Ctrl-D;
//! - [`sessions`] over HTTP: keep-alive HTTP/1.1 clients asking `/search?q=` and reading the JSON.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

#[cfg(doc)]
use super::hold::WAVE;
use super::hold::{Failure, Greeting, Held, Sources, hold};
use contract::charfinder::PROMPT;
use http_body_util::BodyExt;
use hyper::body::Bytes;
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;
use tokio::task::JoinSet;
use tokio::time::timeout;

/// A query and the number of characters its server must find.
#[derive(Clone, Debug)]
pub struct Query {
    pub text: &'static str,
    pub expected: usize,
}

/// What a load saw: every right answer's latency, every wrong one, and the queries that got
/// no answer within the load's time.
#[derive(Debug, Default)]
pub struct Tally {
    pub latencies: Vec<Duration>,
    /// Answers that were wrong, or broke the protocol: a failed check.
    pub wrong: Vec<String>,
    /// Queries not answered in time, or whose connection failed: a figure, not a failure (a
    /// server that serves one client at a time leaves most of a crowd unserved, as its lesson).
    pub unserved: usize,
    /// Why the first unserved query went unserved.
    pub why_unserved: Option<String>,
    pub elapsed: Duration,
}

/// Why a session stopped short.
enum Miss {
    /// The server said something a character finder must not: a failed check.
    Wrong(String),
    /// The connection failed or the time ran out: the queries left go unserved.
    Unserved(String),
}

/// What a failed step of a session (`what`) and its error make of the queries left.
fn unserved<E: std::fmt::Display>(what: &'static str) -> impl Fn(E) -> Miss {
    move |e| Miss::Unserved(format!("{what}: {e}"))
}

impl Tally {
    /// Adds `other`'s answers and time to these.
    pub fn merge(&mut self, other: Tally) {
        self.latencies.extend(other.latencies);
        self.wrong.extend(other.wrong);
        self.unserved += other.unserved;
        self.why_unserved = self.why_unserved.take().or(other.why_unserved);
        self.elapsed += other.elapsed;
    }

    /// How many queries it asked.
    pub fn asked(&self) -> usize {
        self.latencies.len() + self.wrong.len() + self.unserved
    }

    /// Right answers per second of the whole load.
    pub fn per_second(&self) -> f64 {
        self.latencies.len() as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }

    /// The latency below which `fraction` of the right answers came (nearest rank).
    pub fn percentile(&self, fraction: f64) -> Option<Duration> {
        let mut sorted = self.latencies.clone();
        sorted.sort_unstable();
        let rank = (fraction * sorted.len() as f64).ceil() as usize;
        sorted.get(rank.saturating_sub(1)).copied()
    }

    /// Ends a session that stopped short: the queries it did not get to count as `miss` says.
    fn stop_short(&mut self, queries: usize, miss: Miss) {
        let why = match miss {
            Miss::Wrong(why) => {
                self.wrong.push(why);
                "an earlier answer was wrong".to_owned()
            }
            Miss::Unserved(why) => why,
        };
        let left = queries - self.asked();
        if left > 0 {
            self.unserved += left;
            self.why_unserved.get_or_insert(why);
        }
    }
}

/// Ends a session: a control character, as Ctrl-D typed into `nc` would send.
const GOODBYE: &[u8] = b"\x04\r\n";

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Protocol {
    Tcp,
    Http,
}

/// How long a client waits for a server to take its connection. Past a full listen queue,
/// Linux drops the client's SYN and the client sends it again after a second (the initial
/// retransmission timeout, `TCP_TIMEOUT_INIT` in
/// <https://github.com/torvalds/linux/blob/v6.12/include/net/tcp.h>), so a server that does
/// not accept shows within two.
pub const CONNECT_PATIENCE: Duration = Duration::from_secs(2);

/// `clients` clients, connected first (by [`hold`], a TCP client reading its prompt), then all
/// sending every query in turn at once, over a TCP session or a keep-alive HTTP/1.1 connection;
/// a client not done within `patience` leaves its remaining queries unserved, as does one the
/// server did not take within [`CONNECT_PATIENCE`]. The rate is timed from the first query;
/// [`crowd`] and [`Crowd::query`] are its halves, for a caller that measures the second alone.
pub async fn sessions(
    protocol: Protocol,
    addr: SocketAddr,
    clients: usize,
    queries: Arc<[Query]>,
    patience: Duration,
) -> Tally {
    let crowd = crowd(protocol, addr, clients).await;
    crowd.query(queries, patience).await
}

/// Clients connected for [`sessions`], none of them querying yet.
pub struct Crowd {
    protocol: Protocol,
    addr: SocketAddr,
    /// How many were to connect.
    clients: usize,
    held: Held,
    /// Why connecting more stopped, if it did.
    stopped: Option<Failure>,
}

/// Connects `clients` clients for [`sessions`]: a TCP client reads its prompt before the next
/// [`WAVE`] connects. Without that, a wave met the last one still queued, and the kernel
/// dropped SYNs that came back a second later.
pub async fn crowd(protocol: Protocol, addr: SocketAddr, clients: usize) -> Crowd {
    let greeting = match protocol {
        Protocol::Tcp => Greeting::Prompt,
        Protocol::Http => Greeting::Nothing,
    };
    let (mut held, any) = (Held::default(), Sources::ANY);
    let stopped = hold(&mut held, clients, addr, greeting, any, CONNECT_PATIENCE).await;
    Crowd {
        protocol,
        addr,
        clients,
        held,
        stopped,
    }
}

impl Crowd {
    /// Every client sends every query, all at once, within `patience`; timed from the first.
    pub async fn query(self, queries: Arc<[Query]>, patience: Duration) -> Tally {
        let (protocol, addr, held) = (self.protocol, self.addr, self.held);
        let mut all = Tally::default();
        let missing = self.clients - held.streams.len() - held.queued.len();
        if missing > 0 {
            all.unserved = missing * queries.len();
            all.why_unserved = (self.stopped).map(|why| format!("not connected: {why}"));
        }
        let start = Instant::now();
        let mut set = JoinSet::new();
        let taken = held.streams.into_iter().map(|stream| (stream, true));
        for (stream, prompted) in taken.chain(held.queued.into_iter().map(|s| (s, false))) {
            let queries = queries.clone();
            set.spawn(async move {
                let mut tally = Tally::default();
                let session = async {
                    match protocol {
                        Protocol::Tcp => tcp_session(stream, prompted, &queries, &mut tally).await,
                        Protocol::Http => http_session(stream, addr, &queries, &mut tally).await,
                    }
                };
                let secs = patience.as_secs_f64();
                let out_of_time = |_| Err(Miss::Unserved(format!("no answer within {secs:.0} s")));
                if let Err(miss) = timeout(patience, session).await.unwrap_or_else(out_of_time) {
                    tally.stop_short(queries.len(), miss);
                }
                tally
            });
        }
        while let Some(tally) = set.join_next().await {
            all.merge(tally.expect("a client task does not panic"));
        }
        all.elapsed = start.elapsed();
        all
    }
}

/// Counts an answer that said it found `found` characters for `query`.
fn check(tally: &mut Tally, query: &Query, found: usize, sent: Instant) {
    let (text, expected) = (query.text, query.expected);
    match found == expected {
        true => tally.latencies.push(sent.elapsed()),
        false => (tally.wrong).push(format!("{text:?}: {found} found, expected {expected}")),
    }
}

/// One session: its first prompt, unless [`hold`] read it (`prompted`), then each query and
/// its answer, then goodbye.
async fn tcp_session(
    stream: TcpStream,
    prompted: bool,
    queries: &[Query],
    tally: &mut Tally,
) -> Result<(), Miss> {
    let mut stream = BufReader::new(stream);
    if !prompted {
        read_prompt(&mut stream).await?;
    }
    for query in queries {
        let sent = Instant::now();
        let line = format!("{}\r\n", query.text);
        let sending = stream.get_mut().write_all(line.as_bytes()).await;
        sending.map_err(unserved("send"))?;
        let found = read_answer(&mut stream).await?;
        read_prompt(&mut stream).await?;
        check(tally, query, found, sent);
    }
    let _ = stream.get_mut().write_all(GOODBYE).await;
    Ok(())
}

/// How a reply that is not the prompt begins, where the prompt was due: the sweep tells a
/// server's refusal (an error line instead of the prompt) by it.
pub const NOT_THE_PROMPT: &str = "expected the prompt";

async fn read_prompt(stream: &mut (impl AsyncRead + Unpin)) -> Result<(), Miss> {
    let mut prompt = [0; PROMPT.len()];
    let read = stream.read_exact(&mut prompt).await;
    read.map_err(unserved("prompt"))?;
    if prompt == PROMPT {
        return Ok(());
    }
    let got = String::from_utf8_lossy(&prompt);
    Err(Miss::Wrong(format!("{NOT_THE_PROMPT}, got {got:?}")))
}

/// Reads an answer's lines to its status line (`───… {n} found`), checks that there are `n`
/// result lines, and returns `n`.
async fn read_answer(stream: &mut BufReader<TcpStream>) -> Result<usize, Miss> {
    let mut lines = 0;
    let mut line = Vec::new();
    let closed = "the server closed the connection mid-answer";
    loop {
        line.clear();
        let read = (stream.read_until(b'\n', &mut line).await).map_err(unserved("read"))?;
        if read == 0 {
            return Err(Miss::Unserved(closed.into()));
        }
        let text = String::from_utf8_lossy(&line);
        if text.starts_with('─') {
            return match contract::charfinder::found_in(&text) {
                Some(found) if found == lines => Ok(found),
                _ => Err(Miss::Wrong(format!(
                    "status line {text:?} after {lines} result lines"
                ))),
            };
        }
        if !text.starts_with("U+") {
            return Err(Miss::Wrong(format!("not a result line: {text:?}")));
        }
        lines += 1;
    }
}

/// One keep-alive HTTP/1.1 connection asking `/search?q=` for each query in turn.
async fn http_session(
    stream: TcpStream,
    addr: SocketAddr,
    queries: &[Query],
    tally: &mut Tally,
) -> Result<(), Miss> {
    let handshake = hyper::client::conn::http1::handshake(TokioIo::new(stream)).await;
    let (mut sender, connection) = handshake.map_err(unserved("handshake"))?;
    tokio::spawn(connection);
    for query in queries {
        let sent = Instant::now();
        let uri = format!("/search?q={}", percent_encode(query.text));
        let request = hyper::Request::get(uri)
            .header(hyper::header::HOST, addr.to_string())
            .body(http_body_util::Empty::<Bytes>::new())
            .expect("a well-formed request");
        let response = sender.send_request(request).await;
        let response = response.map_err(unserved("request"))?;
        let status = response.status();
        let body = response.into_body().collect().await;
        let body = body.map_err(unserved("body"))?.to_bytes();
        match check_json(status, &body) {
            Ok(found) => check(tally, query, found, sent),
            Err(error) => tally.wrong.push(format!("{:?}: {error}", query.text)),
        }
    }
    Ok(())
}

/// A `/search` answer must be `200 OK` with a JSON list of `{"char": c, "name": n}`, `c` one
/// character and `n` its name; returns how many.
fn check_json(status: hyper::StatusCode, body: &[u8]) -> Result<usize, String> {
    if status != hyper::StatusCode::OK {
        return Err(format!("status {status}"));
    }
    let items: Vec<serde_json::Value> =
        serde_json::from_slice(body).map_err(|e| format!("not a JSON list: {e}"))?;
    for item in &items {
        let char = item["char"].as_str().unwrap_or_default();
        let name = item["name"].as_str().unwrap_or_default();
        if char.chars().count() != 1 || name.is_empty() {
            return Err(format!("not a {{char, name}} item: {item}"));
        }
    }
    Ok(items.len())
}

/// The query as a URL's query value: unreserved characters as they are, every other byte
/// percent-encoded (a space as `%20`).
fn percent_encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_are_nearest_rank() {
        let tally = Tally {
            latencies: (1..=100).map(Duration::from_millis).collect(),
            ..Tally::default()
        };
        assert_eq!(tally.percentile(0.5), Some(Duration::from_millis(50)));
        assert_eq!(tally.percentile(0.99), Some(Duration::from_millis(99)));
        assert_eq!(Tally::default().percentile(0.5), None);
    }

    #[test]
    fn a_session_cut_short_leaves_its_queries_unserved_or_wrong() {
        let mut tally = Tally::default();
        tally.latencies.push(Duration::from_millis(1));
        tally.stop_short(10, Miss::Unserved("no answer within 3 s".into()));
        assert_eq!(
            (tally.latencies.len(), tally.wrong.len(), tally.unserved),
            (1, 0, 9)
        );
        assert_eq!(tally.asked(), 10);
        let mut tally = Tally::default();
        tally.stop_short(10, Miss::Wrong("not a result line".into()));
        assert_eq!((tally.wrong.len(), tally.unserved), (1, 9));
        assert_eq!(
            tally.why_unserved.as_deref(),
            Some("an earlier answer was wrong")
        );
    }

    #[test]
    fn queries_are_percent_encoded() {
        assert_eq!(percent_encode("cat face"), "cat%20face");
        assert_eq!(percent_encode("é&="), "%C3%A9%26%3D");
    }

    #[test]
    fn a_json_answer_is_checked_item_by_item() {
        let ok = br#"[{"char":"A","name":"LATIN CAPITAL LETTER A"}]"#;
        assert_eq!(check_json(hyper::StatusCode::OK, ok), Ok(1));
        let two_chars = br#"[{"char":"AB","name":"X"}]"#;
        assert!(check_json(hyper::StatusCode::OK, two_chars).is_err());
        assert!(check_json(hyper::StatusCode::OK, b"{}").is_err());
        assert!(check_json(hyper::StatusCode::NOT_FOUND, b"[]").is_err());
    }
}
