//! An HTTP/1.1 session over any runtime's sockets: hyper's client connection, TLS with rustls,
//! and a per-host pool of kept-alive connections.
//!
//! The pool is the one thing a session adds to a connection. A hyper connection carries one
//! request at a time, so the session keeps, for each `(scheme, host, port)`, a stack of idle
//! connections. [`Session::get`] pops one (or opens a new one when none is idle), sends the
//! request, reads the whole body and pushes the connection back. With 160 tasks started at once
//! and no `--limit`, the first wave finds the stack empty and opens up to 160 connections, which
//! the later requests then reuse; with `--limit 5` five connections carry everything. reqwest's
//! pool does the same, with idle timeouts and limits this example does without.
//!
//! The stack sits behind a `std::sync::Mutex`, not an async one: it is held only to push or pop,
//! never across an `.await` (the reasoning of mini-redis's `db.rs`), so no task ever waits for
//! it while another is paused.

use std::collections::HashMap;
use std::io;
use std::marker::PhantomData;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use contract::{MAX_BODY_BYTES, MAX_REDIRECTS};
use futures_io::{AsyncRead, AsyncWrite};
use futures_rustls::TlsConnector;
use futures_rustls::rustls::pki_types::ServerName;
use futures_rustls::rustls::{ClientConfig, RootCertStore, crypto::ring};
use http_body_util::{BodyExt, Empty, Limited};
use hyper::client::conn::http1::{self, SendRequest};
use hyper::header::{CONNECTION, HOST, LOCATION};
use hyper::{Request, Response, StatusCode, Uri, Version};
use smol_hyper::rt::FuturesIo;

/// The statuses that send a GET elsewhere, as requests, aiohttp, reqwest and ureq follow them.
const REDIRECTS: [StatusCode; 5] = [
    StatusCode::MOVED_PERMANENTLY,
    StatusCode::FOUND,
    StatusCode::SEE_OTHER,
    StatusCode::TEMPORARY_REDIRECT,
    StatusCode::PERMANENT_REDIRECT,
];

/// What the session needs from an async runtime: a socket and a way to start a task.
pub trait Runtime {
    /// The runtime's own TCP socket, readable and writable through the `futures-io` traits.
    type TcpStream: AsyncRead + AsyncWrite + Send + Unpin + 'static;

    /// Resolves `host` (on the runtime's blocking pool) and connects to it.
    fn connect(host: &str, port: u16) -> impl Future<Output = io::Result<Self::TcpStream>> + Send;

    /// Starts `task` on the runtime and lets it run to its end unwatched.
    fn spawn(task: impl Future<Output = ()> + Send + 'static);
}

/// Why a download failed. Each variant keeps its cause as its `source()`, so printing the chain
/// (`{:#}` with anyhow) says what went wrong underneath, e.g. "Connection refused".
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("not an http(s) URL with a host")]
    NotHttp,
    #[error("bad URL")]
    Url(#[from] hyper::http::Error),
    #[error("cannot connect to {host}:{port}")]
    Connect {
        host: String,
        port: u16,
        source: io::Error,
    },
    #[error("TLS with {host} failed")]
    Tls { host: String, source: io::Error },
    #[error("HTTP request failed")]
    Http(#[from] hyper::Error),
    #[error("HTTP status {0}")]
    Status(StatusCode),
    #[error("too many redirects (more than {0})")]
    TooManyRedirects(u32),
    #[error("the body is larger than {0} bytes")]
    TooLarge(u64),
    #[error("timed out after {0:?}")]
    TimedOut(Duration),
}

/// Where a connection goes: the pool's key.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
struct Origin {
    https: bool,
    host: String,
    port: u16,
}

/// A plain or a TLS socket, whichever the URL asked for, as one type for hyper.
trait Stream: AsyncRead + AsyncWrite + Send + Unpin {}
impl<T: AsyncRead + AsyncWrite + Send + Unpin> Stream for T {}

type Connection = SendRequest<Empty<Bytes>>;

/// The session: a TLS configuration and the idle connections, shared by every task (in an `Arc`).
pub struct Session<R> {
    tls: TlsConnector,
    idle: Mutex<HashMap<Origin, Vec<Connection>>>,
    // The runtime is a type, not a value: `fn() -> R` keeps the session `Send + Sync` whatever R.
    runtime: PhantomData<fn() -> R>,
}

impl<R: Runtime> Session<R> {
    /// A session that trusts the Mozilla root certificates (webpki-roots) and uses ring.
    pub fn new() -> Result<Self, futures_rustls::rustls::Error> {
        let mut config = tls_config()?;
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        Ok(Session {
            tls: TlsConnector::from(Arc::new(config)),
            idle: Mutex::default(),
            runtime: PhantomData,
        })
    }

    /// GETs `url` and returns its body, following up to [`MAX_REDIRECTS`] redirects as
    /// requests and aiohttp do. An answer that is not 2xx is an error, and so is a body past
    /// [`MAX_BODY_BYTES`].
    pub async fn get(&self, url: &str) -> Result<Bytes, Error> {
        let mut uri: Uri = url.parse().map_err(hyper::http::Error::from)?;
        for _ in 0..=MAX_REDIRECTS {
            let (status, location, body) = self.get_once(&uri).await?;
            match location {
                // 301, 302, 303, 307 and 308 say where to go; a GET goes there as a GET.
                Some(location) if REDIRECTS.contains(&status) => uri = redirected(&uri, &location)?,
                _ if status.is_success() => return Ok(body),
                _ => return Err(Error::Status(status)),
            }
        }
        Err(Error::TooManyRedirects(MAX_REDIRECTS))
    }

    /// One request: the answer's status, its `Location` if it has one, and its body.
    async fn get_once(&self, uri: &Uri) -> Result<(StatusCode, Option<String>, Bytes), Error> {
        let origin = origin_of(uri)?;
        let request = Request::get(uri.path_and_query().map_or("/", |p| p.as_str()))
            .header(HOST, uri.authority().map_or("", |a| a.as_str()))
            .body(Empty::new())?;
        // At each `.await` (connecting, sending, reading) this task may pause while the runtime
        // runs the others: that is where the downloads overlap.
        let mut connection = self.connection(&origin).await?;
        let response = connection.send_request(request).await?;
        let status = response.status();
        let location = response.headers().get(LOCATION);
        let location = location.and_then(|l| l.to_str().ok()).map(String::from);
        let reusable = keeps_alive(&response);
        // Read the whole body, even of an error page: only then may the connection carry the
        // next request, so only then does it go back to the pool. `Limited` stops at the cap
        // with an error, and the connection, in the middle of a body, is dropped.
        let body = Limited::new(response.into_body(), MAX_BODY_BYTES as usize);
        let body = body.collect().await.map_err(body_error)?.to_bytes();
        if reusable {
            let mut idle = self.idle.lock().unwrap();
            idle.entry(origin).or_default().push(connection);
        }
        Ok((status, location, body))
    }

    /// An idle kept-alive connection to `origin`, or a new one.
    async fn connection(&self, origin: &Origin) -> Result<Connection, Error> {
        loop {
            // The lock is taken and let go within this statement, never held across `.await`.
            let idle = self.idle.lock().unwrap().get_mut(origin).and_then(Vec::pop);
            let Some(mut connection) = idle else { break };
            // The server may have closed it meanwhile; then forget it and try the next.
            if connection.ready().await.is_ok() {
                return Ok(connection);
            }
        }
        // Boxed: opening a connection (TCP, TLS, the HTTP handshake) is the largest state a
        // download goes through, and a task that waits for its turn would carry room for it all
        // along. Allocated here, only when needed, ten thousand waiting tasks stay small.
        Box::pin(self.connect(origin)).await
    }

    async fn connect(&self, origin: &Origin) -> Result<Connection, Error> {
        let Origin { https, host, port } = origin;
        let tcp = R::connect(host, *port)
            .await
            .map_err(|source| Error::Connect {
                host: host.clone(),
                port: *port,
                source,
            })?;
        let stream: Box<dyn Stream> = if *https {
            let tls_error = |source| Error::Tls {
                host: host.clone(),
                source,
            };
            let name = ServerName::try_from(host.clone())
                .map_err(|e| tls_error(io::Error::new(io::ErrorKind::InvalidInput, e)))?;
            Box::new(self.tls.connect(name, tcp).await.map_err(tls_error)?)
        } else {
            Box::new(tcp)
        };
        // hyper speaks HTTP/1.1 over any byte stream; `FuturesIo` adapts the futures-io traits
        // (smol's and async-std's) to hyper's own `Read` and `Write`.
        let (sender, connection) = http1::handshake(FuturesIo::new(stream)).await?;
        // The connection's driver reads and writes the socket; it runs as a task of its own
        // until the connection closes, while `sender` hands it requests. An error here is the
        // server hanging up; the request that was using it sees that error itself.
        R::spawn(async move {
            let _ = connection.await;
        });
        Ok(sender)
    }
}

/// The TLS settings of all three binaries: rustls with the ring crypto provider (which builds
/// without cmake, unlike rustls's default, aws-lc-rs), trusting the Mozilla root certificates
/// that webpki-roots compiles in, so nothing is read from the system at start-up.
pub fn tls_config() -> Result<ClientConfig, futures_rustls::rustls::Error> {
    let roots = RootCertStore::from_iter(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    Ok(
        ClientConfig::builder_with_provider(Arc::new(ring::default_provider()))
            .with_safe_default_protocol_versions()?
            .with_root_certificates(roots)
            .with_no_client_auth(),
    )
}

/// Where a `Location` sends a request for `from`: an absolute URL, a path on the same server
/// (`/x`), or a path beside the current one (`x`), as RFC 3986 resolves them (without `..`).
fn redirected(from: &Uri, location: &str) -> Result<Uri, Error> {
    let location = location.split('#').next().unwrap_or_default().trim();
    let scheme = from.scheme_str().unwrap_or("http");
    let authority = from.authority().map_or("", |a| a.as_str());
    let has_scheme = location
        .split_once("://")
        .is_some_and(|(scheme, _)| scheme.chars().all(|c| c.is_ascii_alphabetic()));
    let url = if has_scheme {
        location.to_owned()
    } else if let Some(rest) = location.strip_prefix("//") {
        format!("{scheme}://{rest}")
    } else if location.starts_with('/') {
        format!("{scheme}://{authority}{location}")
    } else {
        let directory = from.path().rsplit_once('/').map_or("", |(dir, _)| dir);
        format!("{scheme}://{authority}{directory}/{location}")
    };
    url.parse()
        .map_err(|e: hyper::http::uri::InvalidUri| Error::Url(e.into()))
}

/// Whether the server will take another request on this connection after this answer.
fn keeps_alive<B>(response: &Response<B>) -> bool {
    let connection = response.headers().get(CONNECTION);
    let connection = connection.and_then(|c| c.to_str().ok()).unwrap_or_default();
    let says = |token: &str| {
        connection
            .split(',')
            .any(|t| t.trim().eq_ignore_ascii_case(token))
    };
    match response.version() {
        Version::HTTP_10 => says("keep-alive"),
        _ => !says("close"),
    }
}

/// A body that could not be read: the cap, or the connection's own error.
fn body_error(error: Box<dyn std::error::Error + Send + Sync>) -> Error {
    match error.downcast::<hyper::Error>() {
        Ok(error) => Error::Http(*error),
        Err(_) => Error::TooLarge(MAX_BODY_BYTES),
    }
}

fn origin_of(uri: &Uri) -> Result<Origin, Error> {
    let https = match uri.scheme_str() {
        Some("https") => true,
        Some("http") => false,
        _ => return Err(Error::NotHttp),
    };
    let host = uri.host().ok_or(Error::NotHttp)?;
    Ok(Origin {
        https,
        // An IPv6 host comes in brackets, `[::1]`; the socket wants it without.
        host: host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .to_owned(),
        port: uri.port_u16().unwrap_or(if https { 443 } else { 80 }),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn origin(url: &str) -> Result<Origin, Error> {
        origin_of(&url.parse().unwrap())
    }

    #[test]
    fn the_pool_key_has_the_default_ports_and_no_brackets() {
        let https = origin("https://www.jython.org").unwrap();
        assert_eq!(
            (https.https, https.host.as_str(), https.port),
            (true, "www.jython.org", 443)
        );
        let http = origin("http://olympus.realpython.org/dice").unwrap();
        assert_eq!((http.https, http.port), (false, 80));
        let v6 = origin("http://[::1]:8080/x").unwrap();
        assert_eq!((v6.host.as_str(), v6.port), ("::1", 8080));
        assert!(matches!(origin("ftp://a.test/"), Err(Error::NotHttp)));
        assert!(matches!(origin("/just/a/path"), Err(Error::NotHttp)));
    }

    #[test]
    fn a_location_is_resolved_against_the_url_it_came_from() {
        let from: Uri = "http://a.test:8080/dir/page?q=1".parse().unwrap();
        let to = |location| redirected(&from, location).unwrap().to_string();
        assert_eq!(to("https://b.test/x"), "https://b.test/x");
        assert_eq!(to("//b.test/y"), "http://b.test/y");
        assert_eq!(to("/root"), "http://a.test:8080/root");
        assert_eq!(to("next?p=2#top"), "http://a.test:8080/dir/next?p=2");
        assert!(redirected(&from, "http://bad host/").is_err());
    }
}
