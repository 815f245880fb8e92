//! Idle connections, held by the hundred or the thousand, for the servers family's crowds and
//! idle load and for `sweep-servers`: each opened (from a loopback source address of its own
//! turn, if the caller chooses them), greeted by the server as the caller asks (its prompt, one
//! HTTP answer, or nothing), then silent.
//!
//! A connection is named by its source and destination addresses and ports, so from one source
//! address to one server there are as many connections as ephemeral ports: 28,232 with Linux's
//! default `ip_local_port_range` (32768 to 60999). Past that, `connect` fails with
//! EADDRNOTAVAIL. Linux routes all of 127.0.0.0/8 to the loopback interface, so the sweep
//! spreads its connections over 127.0.0.1, 127.0.0.2, ..., each with its own ports. Other
//! systems route only 127.0.0.1 unless configured: there every connection comes from it.

use std::io;
use std::net::{Ipv4Addr, SocketAddr};
use std::time::Duration;

use contract::charfinder::PROMPT;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpSocket, TcpStream};
use tokio::task::JoinSet;
use tokio::time::{Instant, timeout_at};

/// Connections are opened this many at a time: Python's asyncio listens with a backlog of
/// 100 (`start_server`'s default), and more at once would measure the kernel's retries of
/// connections its queue had no room for, not the server. A TCP connection reads its prompt
/// before the next wave connects: the server has accepted it then, and its listen queue has
/// room for the wave (the threaded server's is 128, std's default, asyncio's 100).
pub const WAVE: usize = 100;

/// What a server must say to a new connection before it counts as held.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Greeting {
    /// Nothing: connected is held (the HTTP crowd, whose first request comes later).
    Nothing,
    /// The TCP servers' prompt: the server has accepted the connection and started its session.
    Prompt,
    /// One HTTP answer: the connection is then an idle keep-alive one, as a browser's between
    /// two searches.
    Answer,
}

/// Why a connection was not held.
#[derive(Debug, thiserror::Error)]
pub enum Failure {
    /// This process could not open or connect its socket.
    #[error("connect: {0}")]
    Connect(io::Error),
    /// Connecting did not finish within the patience: the server's listen queue is full.
    #[error("not accepted within {:.1} s", .0.as_secs_f64())]
    NotAccepted(Duration),
    /// Connected, but the server's greeting (its prompt or answer) did not come within the
    /// patience: the connection waits in its listen queue (see [`Held::queued`]).
    #[error("no {0} within {secs:.1} s", secs = .1.as_secs_f64())]
    Silent(&'static str, Duration),
    /// The server said something other than its greeting (the threaded server's error line).
    #[error("the server said {0:?}")]
    Said(String),
    /// The connection was closed or reset before the greeting.
    #[error("closed before its prompt or answer: {0}")]
    Closed(String),
}

#[derive(Debug, Default)]
pub struct Held {
    /// The connections the server took: each greeted, if it was to be.
    pub streams: Vec<TcpStream>,
    /// Those that had no greeting in time: connected, in the server's listen queue, not yet
    /// taken (the sequential server's crowd, waiting for the client before them to leave).
    pub queued: Vec<TcpStream>,
}

/// Where connections come from: 127.0.0.1 up, `per_address` each; or, off Linux, wherever
/// the system chooses.
#[derive(Clone, Copy, Debug)]
pub struct Sources {
    pub per_address: usize,
    /// Bind each socket to its source address before connecting (Linux).
    pub bind: bool,
}

/// The ports a source address has to one destination when `ip_local_port_range` cannot be
/// read: the range other systems use (IANA's 49152 to 65535).
const FALLBACK_PORTS: usize = 16_384;

impl Sources {
    /// Wherever the system chooses, as a client that binds no socket.
    pub const ANY: Sources = Sources {
        per_address: usize::MAX,
        bind: false,
    };

    /// This system's: on Linux, an eighth fewer connections per address than it has ephemeral
    /// ports, since `connect` searches the range for a free port and the search lengthens as
    /// the range fills.
    pub fn here() -> Sources {
        let range = std::fs::read_to_string("/proc/sys/net/ipv4/ip_local_port_range");
        let ports = range.ok().and_then(|r| ports_in_range(&r));
        let ports = ports.unwrap_or(FALLBACK_PORTS);
        Sources {
            per_address: ports - ports / 8,
            bind: cfg!(target_os = "linux"),
        }
    }

    /// What the report says of them, holding `count` connections.
    pub fn describe(&self, count: usize) -> String {
        if !self.bind {
            return "from 127.0.0.1, ports as the system chooses (only Linux routes all of \
                    127.0.0.0/8 to loopback)"
                .into();
        }
        let last = source_address(count.max(1) - 1, self.per_address);
        let to = (last != Ipv4Addr::LOCALHOST).then(|| format!(" to {last}"));
        format!(
            "from 127.0.0.1{}, at most {} connections each (Linux routes all of \
             127.0.0.0/8 to loopback; a source address has as many connections to a server \
             as ephemeral ports)",
            to.unwrap_or_default(),
            self.per_address
        )
    }
}

/// 127.0.0.1 for the first `per_address` connections, 127.0.0.2 for the next, and so on.
pub fn source_address(i: usize, per_address: usize) -> Ipv4Addr {
    let k = u32::try_from(1 + i / per_address.max(1)).expect("fewer than 2^32 addresses");
    Ipv4Addr::from(u32::from(Ipv4Addr::new(127, 0, 0, 0)) + k)
}

/// How many ports `ip_local_port_range` (`32768\t60999`) holds.
pub fn ports_in_range(range: &str) -> Option<usize> {
    let mut bounds = range.split_whitespace().map(str::parse::<usize>);
    let (low, high) = (bounds.next()?.ok()?, bounds.next()?.ok()?);
    (high >= low).then(|| high - low + 1)
}

/// Opens connections until `held` has `target` taken, a [`WAVE`] at a time, each greeted
/// within `patience`. Stops after the first wave in which one fails, and says why: that is
/// where this server stops taking clients. A connection with no greeting in time is kept,
/// queued.
pub async fn hold(
    held: &mut Held,
    target: usize,
    server: SocketAddr,
    greeting: Greeting,
    sources: Sources,
    patience: Duration,
) -> Option<Failure> {
    while held.streams.len() < target {
        let first = held.streams.len();
        let mut wave = JoinSet::new();
        for i in first..target.min(first + WAVE) {
            let source = sources.bind.then(|| source_address(i, sources.per_address));
            wave.spawn(open(server, source, greeting, patience));
        }
        let mut failure = None;
        while let Some(opened) = wave.join_next().await {
            match opened.expect("a connecting task does not panic") {
                Ok(stream) => held.streams.push(stream),
                Err((queued, why)) => {
                    held.queued.extend(queued);
                    failure = failure.or(Some(why));
                }
            }
        }
        if failure.is_some() {
            return failure;
        }
    }
    None
}

/// One connection, from `source` if given, greeted by the server within `patience`; or why
/// not, with the connection if it waits in the server's queue.
async fn open(
    server: SocketAddr,
    source: Option<Ipv4Addr>,
    greeting: Greeting,
    patience: Duration,
) -> Result<TcpStream, (Option<TcpStream>, Failure)> {
    let deadline = Instant::now() + patience;
    // A socket bound to `source` (its port left for `connect` to choose), connected to `server`.
    let connect = async {
        let socket = TcpSocket::new_v4()?;
        if let Some(source) = source {
            // `bind` with port 0 picks a port at once, one no other socket of that address
            // uses, whatever it connects to: all of 127.0.0.1's connections, anyone's, would
            // share its 28,232 ports. `IP_BIND_ADDRESS_NO_PORT` leaves the choice to `connect`,
            // which needs the port free only towards this one server, as a socket that was
            // never bound does. Elsewhere the sweep binds no socket (`Sources::here`).
            #[cfg(target_os = "linux")]
            crate::sys::bind_address_no_port(&socket)?;
            socket.bind(SocketAddr::from((source, 0)))?;
        }
        socket.connect(server).await
    };
    let mut stream = match timeout_at(deadline, connect).await {
        Ok(connected) => connected.map_err(|e| (None, Failure::Connect(e)))?,
        Err(_) => return Err((None, Failure::NotAccepted(patience))),
    };
    // The prompt straight from the socket, not through a buffer that would keep what follows:
    // the server sends nothing after it until it has a query. It comes in one segment, so a
    // timeout cannot cut it in two.
    let (greeted, awaited) = match greeting {
        Greeting::Nothing => return Ok(stream),
        Greeting::Prompt => (timeout_at(deadline, prompted(&mut stream)).await, "prompt"),
        Greeting::Answer => (
            timeout_at(deadline, answered(&mut stream, server)).await,
            "answer",
        ),
    };
    match greeted {
        Ok(Ok(())) => Ok(stream),
        Ok(Err(why)) => Err((None, why)),
        Err(_) => Err((Some(stream), Failure::Silent(awaited, patience))),
    }
}

/// Reads the TCP server's prompt: the server has accepted the connection and started its
/// session. Anything else is what the server said instead, to its end of line.
async fn prompted(stream: &mut TcpStream) -> Result<(), Failure> {
    let mut prompt = [0; PROMPT.len()];
    match stream.read_exact(&mut prompt).await {
        Ok(_) if prompt == PROMPT => return Ok(()),
        Ok(_) => {}
        Err(e) => return Err(Failure::Closed(e.to_string())),
    }
    let mut said = prompt.to_vec();
    let mut rest = BufReader::new(stream).take(200);
    let _ = rest.read_until(b'\n', &mut said).await;
    let said = String::from_utf8_lossy(&said).trim().to_owned();
    Err(Failure::Said(said))
}

/// Asks the HTTP server one query and reads its whole answer: the connection is then an idle
/// keep-alive one, as a browser's between two searches.
async fn answered(stream: &mut TcpStream, server: SocketAddr) -> Result<(), Failure> {
    let closed = |e: io::Error| Failure::Closed(e.to_string());
    let request = format!("GET /search?q=sun HTTP/1.1\r\nHost: {server}\r\n\r\n");
    stream.write_all(request.as_bytes()).await.map_err(closed)?;
    let mut stream = BufReader::new(stream);
    let mut status = String::new();
    stream.read_line(&mut status).await.map_err(closed)?;
    if !status.starts_with("HTTP/1.1 200") {
        return Err(Failure::Said(status.trim().to_owned()));
    }
    let mut length = 0;
    loop {
        let mut header = String::new();
        match stream.read_line(&mut header).await.map_err(closed)? {
            0 => return Err(Failure::Closed("closed in the headers".into())),
            _ if header.trim().is_empty() => break,
            _ => {}
        }
        if let Some((name, value)) = header.split_once(':')
            && name.eq_ignore_ascii_case("content-length")
        {
            length = value.trim().parse().unwrap_or(0);
        }
    }
    let mut body = vec![0; length];
    stream.read_exact(&mut body).await.map_err(closed)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::net::TcpListener;

    #[test]
    fn sources_take_turns_by_the_thousand() {
        let at = |i| source_address(i, 1_000);
        assert_eq!(at(0), Ipv4Addr::new(127, 0, 0, 1));
        assert_eq!(at(999), Ipv4Addr::new(127, 0, 0, 1));
        assert_eq!(at(1_000), Ipv4Addr::new(127, 0, 0, 2));
        assert_eq!(at(254_999), Ipv4Addr::new(127, 0, 0, 255));
        assert_eq!(at(255_000), Ipv4Addr::new(127, 0, 1, 0));
    }

    #[test]
    fn the_port_range_is_read_as_linux_writes_it() {
        assert_eq!(ports_in_range("32768\t60999\n"), Some(28_232));
        assert_eq!(ports_in_range("1024 1024"), Some(1));
        assert_eq!(ports_in_range("60999 32768"), None);
        assert_eq!(ports_in_range(""), None);
    }

    /// A server that prompts its first `greeted` clients, and says `instead` to the rest.
    async fn server(greeted: usize, instead: &'static [u8]) -> (SocketAddr, JoinSet<()>) {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let mut tasks = JoinSet::new();
        tasks.spawn(async move {
            let mut kept = Vec::new();
            for n in 0.. {
                let (mut socket, _) = listener.accept().await.unwrap();
                let said = if n < greeted { PROMPT } else { instead };
                let _ = socket.write_all(said).await;
                kept.push(socket);
            }
        });
        (addr, tasks)
    }

    #[tokio::test]
    async fn connections_are_held_until_the_server_says_something_else() {
        let (addr, _server) = server(150, b"Error: no thread for this session. Bye.\r\n").await;
        let sources = Sources {
            per_address: 40,
            bind: cfg!(target_os = "linux"),
        };
        let (patience, mut held) = (Duration::from_secs(5), Held::default());
        let failure = hold(&mut held, 120, addr, Greeting::Prompt, sources, patience).await;
        assert!(failure.is_none(), "{failure:?}");
        assert_eq!(held.streams.len(), 120);
        #[cfg(target_os = "linux")]
        {
            let from = held.streams.iter().map(|s| s.local_addr().unwrap().ip());
            let from: std::collections::BTreeSet<_> = from.collect();
            assert_eq!(from.len(), 3, "127.0.0.1 to 127.0.0.3, 40 each: {from:?}");
        }
        let failure = hold(&mut held, 300, addr, Greeting::Prompt, sources, patience).await;
        match failure {
            Some(Failure::Said(said)) => assert!(said.starts_with("Error: no thread"), "{said}"),
            other => panic!("expected the server's error line, got {other:?}"),
        }
        assert_eq!(
            held.streams.len(),
            150,
            "the first wave past the 150th stops the climb"
        );
    }

    #[tokio::test]
    async fn a_server_that_says_nothing_is_waited_for_within_patience() {
        let (addr, _server) = server(10, b"").await;
        let started = std::time::Instant::now();
        let patience = Duration::from_millis(300);
        let mut held = Held::default();
        let failure = hold(
            &mut held,
            20,
            addr,
            Greeting::Prompt,
            Sources::ANY,
            patience,
        )
        .await;
        let failure = failure.map(|f| f.to_string());
        assert_eq!(failure.as_deref(), Some("no prompt within 0.3 s"));
        assert_eq!((held.streams.len(), held.queued.len()), (10, 10));
        assert!(started.elapsed() < Duration::from_secs(3));
    }
}
