//! Idle connections, held by the thousand: each opened from a loopback source address of its
//! own turn, greeted by the server (its prompt, or one HTTP answer), then silent.
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

use charfinder::tcp::PROMPT;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpSocket, TcpStream};
use tokio::task::JoinSet;
use tokio::time::{Instant, timeout_at};

use super::limits::Failure;
use crate::servers::load::{Protocol, WAVE};

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

    /// The source address of the `i`th connection (from 0), if the sweep chooses it.
    pub fn address(&self, i: usize) -> Option<Ipv4Addr> {
        self.bind.then(|| source_address(i, self.per_address))
    }

    /// What the report says of them, holding `count` connections.
    pub fn describe(&self, count: usize) -> String {
        if !self.bind {
            return "from 127.0.0.1, ports as the system chooses (only Linux routes all of \
                    127.0.0.0/8 to loopback)"
                .into();
        }
        let last = source_address(count.max(1) - 1, self.per_address);
        let to = match last == Ipv4Addr::new(127, 0, 0, 1) {
            true => String::new(),
            false => format!(" to {last}"),
        };
        format!(
            "from 127.0.0.1{to}, at most {} connections each (Linux routes all of \
             127.0.0.0/8 to loopback; a source address has as many connections to a server \
             as ephemeral ports)",
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

/// Opens connections until `held` has `target` of them, a [`WAVE`] at a time, each greeted
/// within `patience`. Stops at the first wave in which one fails, and says why.
pub async fn hold(
    held: &mut Vec<TcpStream>,
    target: usize,
    server: SocketAddr,
    protocol: Protocol,
    sources: Sources,
    patience: Duration,
) -> Option<Failure> {
    while held.len() < target {
        let first = held.len();
        let mut wave = JoinSet::new();
        for i in first..target.min(first + WAVE) {
            let source = sources.address(i);
            wave.spawn(open(server, source, protocol, Instant::now() + patience));
        }
        let mut failure = None;
        while let Some(opened) = wave.join_next().await {
            match opened.expect("a connecting task does not panic") {
                Ok(stream) => held.push(stream),
                Err(why) => failure = failure.or(Some(why)),
            }
        }
        if failure.is_some() {
            return failure;
        }
    }
    None
}

/// One connection, from `source` if given, greeted by the server before `deadline`.
async fn open(
    server: SocketAddr,
    source: Option<Ipv4Addr>,
    protocol: Protocol,
    deadline: Instant,
) -> Result<TcpStream, Failure> {
    let connecting = timeout_at(deadline, connect(server, source));
    let stream = match connecting.await {
        Ok(connected) => connected.map_err(|e| Failure::connect(&e))?,
        Err(_) => return Err(Failure::NotAccepted),
    };
    let greeted = match protocol {
        Protocol::Tcp => timeout_at(deadline, prompted(stream)).await,
        Protocol::Http => timeout_at(deadline, answered(stream, server)).await,
    };
    greeted.unwrap_or(Err(Failure::Silent))
}

/// A socket bound to `source` (its port left for `connect` to choose), connected to `server`.
async fn connect(server: SocketAddr, source: Option<Ipv4Addr>) -> io::Result<TcpStream> {
    let socket = TcpSocket::new_v4()?;
    if let Some(source) = source {
        port_at_connect(&socket)?;
        socket.bind(SocketAddr::from((source, 0)))?;
    }
    socket.connect(server).await
}

/// `bind` with port 0 picks a port at once, one no other socket of that address uses, whatever
/// it connects to: all of 127.0.0.1's connections, anyone's, would share its 28,232 ports.
/// `IP_BIND_ADDRESS_NO_PORT` leaves the choice to `connect`, which needs the port free only
/// towards this one server, as a socket that was never bound does.
#[cfg(target_os = "linux")]
fn port_at_connect(socket: &TcpSocket) -> io::Result<()> {
    crate::sys::bind_address_no_port(socket)
}

/// Elsewhere the sweep binds no socket (see [`Sources::here`]).
#[cfg(not(target_os = "linux"))]
fn port_at_connect(_socket: &TcpSocket) -> io::Result<()> {
    Ok(())
}

/// Reads the TCP server's prompt: the server has accepted the connection and started its
/// session. Anything else is what the server said instead, to its end of line.
async fn prompted(mut stream: TcpStream) -> Result<TcpStream, Failure> {
    let mut prompt = [0; PROMPT.len()];
    match stream.read_exact(&mut prompt).await {
        Ok(_) if prompt == PROMPT => return Ok(stream),
        Ok(_) => {}
        Err(e) => return Err(Failure::Closed(e.to_string())),
    }
    let mut said = prompt.to_vec();
    let mut rest = BufReader::new(stream).take(200);
    let _ = rest.read_until(b'\n', &mut said).await;
    Err(Failure::Said(
        String::from_utf8_lossy(&said).trim().to_owned(),
    ))
}

/// Asks the HTTP server one query and reads its whole answer: the connection is then an idle
/// keep-alive one, as a browser's between two searches.
async fn answered(stream: TcpStream, server: SocketAddr) -> Result<TcpStream, Failure> {
    let closed = |e: io::Error| Failure::Closed(e.to_string());
    let mut stream = BufReader::new(stream);
    let request = format!("GET /search?q=sun HTTP/1.1\r\nHost: {server}\r\n\r\n");
    stream
        .get_mut()
        .write_all(request.as_bytes())
        .await
        .map_err(closed)?;
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
    Ok(stream.into_inner())
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
        let (patience, mut held) = (Duration::from_secs(5), Vec::new());
        let failure = hold(&mut held, 120, addr, Protocol::Tcp, sources, patience).await;
        assert!(failure.is_none(), "{failure:?}");
        assert_eq!(held.len(), 120);
        #[cfg(target_os = "linux")]
        {
            let from = held.iter().map(|s| s.local_addr().unwrap().ip());
            let from: std::collections::BTreeSet<_> = from.collect();
            assert_eq!(from.len(), 3, "127.0.0.1 to 127.0.0.3, 40 each: {from:?}");
        }
        let failure = hold(&mut held, 300, addr, Protocol::Tcp, sources, patience).await;
        match failure {
            Some(Failure::Said(said)) => assert!(said.starts_with("Error: no thread"), "{said}"),
            other => panic!("expected the server's error line, got {other:?}"),
        }
        assert_eq!(
            held.len(),
            150,
            "the first wave past the 150th stops the climb"
        );
    }

    #[tokio::test]
    async fn a_server_that_says_nothing_is_waited_for_within_patience() {
        let (addr, _server) = server(10, b"").await;
        let sources = Sources {
            per_address: 1_000,
            bind: false,
        };
        let started = std::time::Instant::now();
        let patience = Duration::from_millis(300);
        let mut held = Vec::new();
        let failure = hold(&mut held, 20, addr, Protocol::Tcp, sources, patience).await;
        assert!(matches!(failure, Some(Failure::Silent)), "{failure:?}");
        assert_eq!(held.len(), 10);
        assert!(started.elapsed() < Duration::from_secs(3));
    }
}
