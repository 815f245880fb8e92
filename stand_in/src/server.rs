//! The local stand-in for the article's two sites.
//!
//! An HTTP/1.1 server on 127.0.0.1 with keep-alive. Every answer waits `latency` first, the way
//! a far-away server would, but the wait is a tokio timer, not a sleeping thread: one thread
//! holds ten thousand waiting connections. On request it also misbehaves (errors, slow answers,
//! dropped connections), each choice drawn from a seeded sequence so a run can be repeated.
//! Every request goes into a [`RequestLog`], which the tests and `cargo xtask` read.

use std::collections::BTreeMap;
use std::fmt;
use std::io;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, mpsc};
use std::thread;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::header::{CONTENT_TYPE, HeaderValue};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::{TcpListener, TcpSocket};
use tokio::sync::oneshot;

use crate::{flags, pages};

/// How the stand-in behaves. `Config::default()` is the well-behaved server: 50 ms, no faults.
#[derive(Clone, Debug, PartialEq)]
pub struct Config {
    /// The wait before every answer.
    pub latency: Duration,
    /// Up to this much more, drawn per request.
    pub jitter: Duration,
    /// Share of requests answered with HTTP 500.
    pub error_rate: f64,
    /// Share of requests answered only after `slow` instead of `latency`.
    pub slow_rate: f64,
    pub slow: Duration,
    /// Share of requests whose connection is closed without an answer.
    pub drop_rate: f64,
    /// Seeds every random choice above: request number `n` always gets the same fate.
    pub seed: u64,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            latency: Duration::from_millis(50),
            jitter: Duration::ZERO,
            error_rate: 0.0,
            slow_rate: 0.0,
            slow: Duration::from_secs(2),
            drop_rate: 0.0,
            seed: 1,
        }
    }
}

/// What the stand-in did with one request.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Outcome {
    /// 200 with the page, after the usual latency.
    Ok,
    /// 200 with the page, after the long `slow` wait.
    Slow,
    /// 500, injected.
    Error,
    /// The connection was closed without an answer, injected.
    Dropped,
    /// 404: the path is not one of the two pages, nor a flag the stand-in has.
    NotFound,
    /// The client closed the connection before the answer was ready (its timeout, most likely).
    Abandoned,
}

impl Outcome {
    /// Whether a client got its page.
    pub fn is_success(self) -> bool {
        matches!(self, Outcome::Ok | Outcome::Slow)
    }
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Outcome::Ok => "ok",
            Outcome::Slow => "slow",
            Outcome::Error => "HTTP 500 (injected)",
            Outcome::Dropped => "dropped (injected)",
            Outcome::NotFound => "HTTP 404",
            Outcome::Abandoned => "abandoned by the client",
        })
    }
}

/// What the stand-in did with `requests`, in one line: "160 requests: 122 ok, 38 HTTP 500
/// (injected)". [`RequestLog::tally`] adds the ones still waiting for their answer.
pub fn tally(requests: &[LoggedRequest]) -> String {
    tally_with(requests, 0)
}

fn tally_with(requests: &[LoggedRequest], waiting: usize) -> String {
    let mut counts = BTreeMap::new();
    for request in requests {
        *counts.entry(request.outcome).or_insert(0) += 1;
    }
    let mut parts: Vec<String> = counts
        .iter()
        .map(|(outcome, n)| format!("{n} {outcome}"))
        .collect();
    if waiting > 0 {
        parts.push(format!("{waiting} still waiting for their answer"));
    }
    match requests.len() + waiting {
        0 => "no requests".into(),
        total => format!("{total} requests: {}", parts.join(", ")),
    }
}

/// One request as the stand-in saw it. Times count from the server's start ([`StandIn::epoch`]).
#[derive(Clone, Debug)]
pub struct LoggedRequest {
    /// Which connection carried it: the stand-in numbers connections as it accepts them.
    pub connection: u64,
    pub path: String,
    pub start: Duration,
    pub end: Duration,
    pub outcome: Outcome,
}

/// Every request the stand-in has answered, dropped or seen abandoned, in the order they
/// finished; and how many arrived and are still waiting for their answer.
#[derive(Debug, Default)]
pub struct RequestLog {
    // A std Mutex, not tokio's: it is held for one push, never across an `.await`
    // (the reasoning of mini-redis's db.rs).
    entries: Mutex<Vec<LoggedRequest>>,
    waiting: AtomicUsize,
}

impl RequestLog {
    fn push(&self, request: LoggedRequest) {
        self.entries.lock().unwrap().push(request);
    }

    /// Requests that arrived and have neither been answered nor abandoned yet.
    pub fn waiting(&self) -> usize {
        self.waiting.load(Ordering::SeqCst)
    }

    /// Waits, at most `patience`, until no request is waiting for its answer: a client that gave
    /// up has closed its connection, but the stand-in's thread may see that a moment later.
    /// Returns how many are still waiting.
    pub fn settle(&self, patience: Duration) -> usize {
        let deadline = Instant::now() + patience;
        while self.waiting() > 0 && Instant::now() < deadline {
            thread::sleep(Duration::from_millis(1));
        }
        self.waiting()
    }

    /// Every request that arrived, by outcome, in one line, those still waiting included:
    /// "160 requests: 120 ok, 40 abandoned by the client".
    pub fn tally(&self) -> String {
        let waiting = self.waiting();
        tally_with(&self.snapshot(), waiting)
    }

    pub fn len(&self) -> usize {
        self.entries.lock().unwrap().len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// A copy of the entries logged so far.
    pub fn snapshot(&self) -> Vec<LoggedRequest> {
        self.entries.lock().unwrap().clone()
    }

    /// Takes the entries logged so far, leaving the log empty.
    pub fn take(&self) -> Vec<LoggedRequest> {
        std::mem::take(&mut self.entries.lock().unwrap())
    }
}

/// The most requests that were in flight at the same moment.
pub fn max_in_flight(requests: &[LoggedRequest]) -> usize {
    let mut edges: Vec<(Duration, i64)> = requests
        .iter()
        .flat_map(|r| [(r.start, 1), (r.end, -1)])
        .collect();
    // At equal times, count ends before starts: back-to-back requests do not overlap.
    edges.sort();
    let (mut now, mut most) = (0i64, 0i64);
    for (_, step) in edges {
        now += step;
        most = most.max(now);
    }
    most as usize
}

/// A stand-in running on a thread of its own; dropping it stops the server.
pub struct StandIn {
    addr: SocketAddr,
    config: Config,
    epoch: Instant,
    log: Arc<RequestLog>,
    stop: Option<oneshot::Sender<()>>,
    thread: Option<thread::JoinHandle<()>>,
}

impl StandIn {
    /// Starts the stand-in on a free loopback port, on its own thread and single-threaded tokio
    /// runtime, so it never competes with the program it serves for that program's threads.
    pub fn start(config: Config) -> io::Result<StandIn> {
        Self::start_on(0, config)
    }

    /// Like [`StandIn::start`], on the given port (0 for any free one).
    pub fn start_on(port: u16, config: Config) -> io::Result<StandIn> {
        let (ready_tx, ready_rx) = mpsc::channel();
        let (stop_tx, stop_rx) = oneshot::channel();
        let log = Arc::new(RequestLog::default());
        let shared = Arc::new(Shared::new(config.clone(), Arc::clone(&log)));
        let epoch = shared.epoch;
        let thread = thread::Builder::new()
            .name("stand-in".into())
            .spawn(move || {
                let runtime = match tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                {
                    Ok(runtime) => runtime,
                    Err(e) => return drop(ready_tx.send(Err(e))),
                };
                runtime.block_on(async move {
                    let listener = match bind(port) {
                        Ok(listener) => listener,
                        Err(e) => return drop(ready_tx.send(Err(e))),
                    };
                    let _ = ready_tx.send(listener.local_addr());
                    tokio::select! {
                        () = accept_loop(listener, shared) => {}
                        _ = stop_rx => {}
                    }
                });
                // Dropping the runtime here cancels every connection still open.
            })?;
        let addr = ready_rx
            .recv()
            .map_err(|_| io::Error::other("the stand-in thread died while starting"))??;
        Ok(StandIn {
            addr,
            config,
            epoch,
            log,
            stop: Some(stop_tx),
            thread: Some(thread),
        })
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:PORT`, no trailing slash.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The two pages, in the article's order: jython.org's home page, then realpython's dice.
    pub fn urls(&self) -> [String; 2] {
        pages::urls(&self.base_url())
    }

    pub fn config(&self) -> &Config {
        &self.config
    }

    /// The moment the log's times count from.
    pub fn epoch(&self) -> Instant {
        self.epoch
    }

    pub fn log(&self) -> &Arc<RequestLog> {
        &self.log
    }

    /// Says on stderr what the stand-in did, by outcome: "Local stand-in: 160 requests: 122 ok,
    /// 38 HTTP 500 (injected)", to set beside the program's own count of failures. Every request
    /// that arrived counts, those the program gave up on included: the stand-in's thread sees a
    /// closed connection a moment after the program, so this waits up to a second for them.
    pub fn print_tally(&self) {
        self.log.settle(Duration::from_secs(1));
        eprintln!("Local stand-in: {}", self.log.tally());
    }

    /// Stops the server now: open connections are closed, clients see them fail.
    pub fn stop(mut self) {
        self.shut_down();
    }

    fn shut_down(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl Drop for StandIn {
    fn drop(&mut self) {
        self.shut_down();
    }
}

fn bind(port: u16) -> io::Result<TcpListener> {
    let socket = TcpSocket::new_v4()?;
    socket.set_reuseaddr(true)?;
    socket.bind(SocketAddr::from((Ipv4Addr::LOCALHOST, port)))?;
    // A long accept queue: ten thousand clients may connect in the same millisecond. The kernel
    // caps it at net.core.somaxconn.
    socket.listen(8192)
}

/// What every connection task shares.
struct Shared {
    config: Config,
    epoch: Instant,
    log: Arc<RequestLog>,
    next_request: AtomicU64,
}

impl Shared {
    fn new(config: Config, log: Arc<RequestLog>) -> Shared {
        Shared {
            config,
            epoch: Instant::now(),
            log,
            next_request: AtomicU64::new(0),
        }
    }

    /// The fate of request number `n`: a pure function of the seed and `n`, so a run with the
    /// same seed and the same number of requests injects the same number of each fault.
    fn plan(&self, n: u64) -> (Outcome, Duration) {
        let c = &self.config;
        let draw = |salt: u64| unit(splitmix64(c.seed ^ splitmix64(n.wrapping_mul(2) + salt)));
        let fate = draw(0);
        let outcome = if fate < c.drop_rate {
            Outcome::Dropped
        } else if fate < c.drop_rate + c.error_rate {
            Outcome::Error
        } else if fate < c.drop_rate + c.error_rate + c.slow_rate {
            Outcome::Slow
        } else {
            Outcome::Ok
        };
        let base = if outcome == Outcome::Slow {
            c.slow
        } else {
            c.latency
        };
        (outcome, base + c.jitter.mul_f64(draw(1)))
    }
}

/// Accepts connections until the task is dropped, one tokio task per connection.
async fn accept_loop(listener: TcpListener, shared: Arc<Shared>) {
    let connections = AtomicU64::new(0);
    let mut accept_errors = 0u64;
    loop {
        let stream = match listener.accept().await {
            Ok((stream, _)) => stream,
            Err(e) => {
                // Out of file descriptors, most likely: the client side will report its failed
                // downloads. Say it once, let open connections finish, and try again.
                if accept_errors == 0 {
                    eprintln!("stand-in: cannot accept a connection ({e:#}); retrying");
                }
                accept_errors += 1;
                tokio::time::sleep(Duration::from_millis(10)).await;
                continue;
            }
        };
        let _ = stream.set_nodelay(true);
        let connection = connections.fetch_add(1, Ordering::Relaxed);
        let shared = Arc::clone(&shared);
        tokio::spawn(async move {
            let service = service_fn(|request| answer(request, &shared, connection));
            // Errors here are the client hanging up or a dropped request: nothing to report.
            let _ = http1::Builder::new()
                .timer(TokioTimer::new())
                .keep_alive(true)
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
    }
}

const HTML: &str = "text/html; charset=utf-8";

/// Injected by a `--drop-rate`: makes hyper close the connection without answering.
#[derive(Debug, thiserror::Error)]
#[error("connection dropped on purpose")]
struct Dropped;

/// A request on its way through [`answer`]. If the client hangs up first, hyper drops the
/// answer's future, and with it this: then it logs the request as abandoned, so that the log
/// counts every request that arrived.
struct Arrived<'a> {
    shared: &'a Shared,
    request: Option<LoggedRequest>,
}

impl<'a> Arrived<'a> {
    fn new(shared: &'a Shared, connection: u64, path: String) -> Self {
        shared.log.waiting.fetch_add(1, Ordering::SeqCst);
        let start = shared.epoch.elapsed();
        let request = LoggedRequest {
            connection,
            path,
            start,
            end: start,
            outcome: Outcome::Abandoned,
        };
        Arrived {
            shared,
            request: Some(request),
        }
    }

    /// Logs the request with the outcome it was given.
    fn log(mut self, outcome: Outcome) {
        if let Some(request) = self.request.take() {
            self.push(LoggedRequest { outcome, ..request });
        }
    }

    fn push(&self, request: LoggedRequest) {
        let log = &self.shared.log;
        log.push(LoggedRequest {
            end: self.shared.epoch.elapsed(),
            ..request
        });
        log.waiting.fetch_sub(1, Ordering::SeqCst);
    }
}

impl Drop for Arrived<'_> {
    fn drop(&mut self) {
        if let Some(request) = self.request.take() {
            self.push(request); // Outcome::Abandoned
        }
    }
}

async fn answer(
    request: Request<Incoming>,
    shared: &Shared,
    connection: u64,
) -> Result<Response<Full<Bytes>>, Dropped> {
    let path = request.uri().path().to_owned();
    let arrived = Arrived::new(shared, connection, path.clone());
    let n = shared.next_request.fetch_add(1, Ordering::Relaxed);
    let (mut outcome, delay) = shared.plan(n);
    // The latency: a timer, so this connection's task yields and the thread serves others.
    tokio::time::sleep(delay).await;
    // The article's pages, or Fluent Python's flags and their metadata.
    let page = pages::page(&path)
        .map(|body| (body, HTML))
        .or_else(|| flags::file(&path));
    if page.is_none() && outcome.is_success() {
        outcome = Outcome::NotFound;
    }
    arrived.log(outcome);
    let (status, (body, content_type)) = match (outcome, page) {
        (Outcome::Dropped, _) => return Err(Dropped),
        (Outcome::Error, _) => (
            StatusCode::INTERNAL_SERVER_ERROR,
            (pages::error_page(), HTML),
        ),
        (_, Some(page)) => (StatusCode::OK, page),
        (_, None) => (StatusCode::NOT_FOUND, (pages::not_found_page(), HTML)),
    };
    let mut response = Response::new(Full::new(body));
    *response.status_mut() = status;
    response
        .headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
    Ok(response)
}

/// A well-mixed 64-bit hash (Steele, Lea and Flood's SplitMix64 finaliser).
fn splitmix64(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// A hash as a number in [0, 1).
fn unit(bits: u64) -> f64 {
    (bits >> 11) as f64 / (1u64 << 53) as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fetch(agent: &ureq::Agent, url: &str) -> Result<usize, ureq::Error> {
        Ok(agent.get(url).call()?.body_mut().read_to_vec()?.len())
    }

    fn quick(config: Config) -> StandIn {
        StandIn::start(Config {
            latency: Duration::from_millis(5),
            ..config
        })
        .unwrap()
    }

    #[test]
    fn serves_both_pages_over_one_kept_alive_connection() {
        let stand_in = quick(Config::default());
        let agent = ureq::Agent::new_with_defaults();
        let [jython, dice] = stand_in.urls();
        for _ in 0..3 {
            assert_eq!(fetch(&agent, &jython).unwrap(), pages::JYTHON_LEN);
            assert_eq!(fetch(&agent, &dice).unwrap(), pages::DICE_LEN);
        }
        let log = stand_in.log().snapshot();
        assert_eq!(log.len(), 6);
        assert!(log.iter().all(|r| r.outcome == Outcome::Ok));
        assert!(
            log.iter().all(|r| r.connection == log[0].connection),
            "keep-alive: {log:?}"
        );
        assert!(
            log.iter()
                .all(|r| r.end - r.start >= Duration::from_millis(5))
        );
        assert_eq!(max_in_flight(&log), 1);
    }

    #[test]
    fn unknown_paths_are_404() {
        let stand_in = quick(Config::default());
        let agent = ureq::Agent::new_with_defaults();
        let err = fetch(&agent, &format!("{}/nothing", stand_in.base_url())).unwrap_err();
        assert!(matches!(err, ureq::Error::StatusCode(404)), "{err}");
        assert_eq!(stand_in.log().snapshot()[0].outcome, Outcome::NotFound);
    }

    #[test]
    fn faults_follow_the_seed() {
        let config = Config {
            error_rate: 0.25,
            drop_rate: 0.1,
            seed: 7,
            ..Config::default()
        };
        let fates = |config: &Config| {
            let shared = Shared::new(config.clone(), Arc::default());
            (0..1000).map(|n| shared.plan(n).0).collect::<Vec<_>>()
        };
        let first = fates(&config);
        assert_eq!(first, fates(&config), "same seed, same fates");
        assert_ne!(
            first,
            fates(&Config {
                seed: 8,
                ..config.clone()
            })
        );
        let count = |o| first.iter().filter(|&&f| f == o).count();
        assert!(
            (200..300).contains(&count(Outcome::Error)),
            "{}",
            count(Outcome::Error)
        );
        assert!(
            (60..140).contains(&count(Outcome::Dropped)),
            "{}",
            count(Outcome::Dropped)
        );
    }

    #[test]
    fn injected_faults_reach_the_client_and_the_log() {
        let stand_in = quick(Config {
            error_rate: 0.5,
            drop_rate: 0.2,
            seed: 3,
            ..Config::default()
        });
        let agent = ureq::Agent::new_with_defaults();
        let url = &stand_in.urls()[1];
        let client_failures = (0..40).filter(|_| fetch(&agent, url).is_err()).count();
        let log = stand_in.log().snapshot();
        let injected = log.iter().filter(|r| !r.outcome.is_success()).count();
        assert_eq!(log.len(), 40);
        assert!(injected > 0);
        assert_eq!(client_failures, injected);
    }

    #[test]
    fn tally_counts_each_outcome() {
        let stand_in = quick(Config {
            error_rate: 0.25,
            seed: 7,
            ..Config::default()
        });
        let agent = ureq::Agent::new_with_defaults();
        let failures = (0..20)
            .filter(|_| fetch(&agent, &stand_in.urls()[0]).is_err())
            .count();
        let line = tally(&stand_in.log().snapshot());
        assert_eq!(
            line,
            format!(
                "20 requests: {} ok, {failures} HTTP 500 (injected)",
                20 - failures
            )
        );
    }

    #[test]
    fn a_request_the_client_gave_up_on_is_logged_and_counted() {
        let stand_in = quick(Config {
            slow_rate: 0.5,
            slow: Duration::from_secs(10),
            seed: 7,
            ..Config::default()
        });
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .timeout_global(Some(Duration::from_millis(300)))
            .build()
            .into();
        let url = &stand_in.urls()[1];
        let given_up = (0..8).filter(|_| fetch(&agent, url).is_err()).count();
        assert!(given_up > 0, "seed 7 makes some of 8 slow");
        // Hung up on, the stand-in stops waiting at once, not 10 s later.
        assert_eq!(stand_in.log().settle(Duration::from_secs(5)), 0);
        let log = stand_in.log().snapshot();
        let abandoned = log.iter().filter(|r| r.outcome == Outcome::Abandoned);
        assert_eq!(abandoned.count(), given_up);
        assert_eq!(
            stand_in.log().tally(),
            format!(
                "8 requests: {} ok, {given_up} abandoned by the client",
                8 - given_up
            )
        );
    }

    #[test]
    fn requests_still_waiting_are_counted_too() {
        let at = Duration::from_millis(1);
        let answered = LoggedRequest {
            connection: 0,
            path: String::new(),
            start: at,
            end: at,
            outcome: Outcome::Ok,
        };
        assert_eq!(tally(&[]), "no requests");
        assert_eq!(
            tally_with(&[answered], 3),
            "4 requests: 1 ok, 3 still waiting for their answer"
        );
    }

    #[test]
    fn counts_requests_in_flight() {
        let at = |ms| Duration::from_millis(ms);
        let request = |start, end| LoggedRequest {
            connection: 0,
            path: String::new(),
            start: at(start),
            end: at(end),
            outcome: Outcome::Ok,
        };
        let log = [
            request(0, 10),
            request(5, 15),
            request(10, 20),
            request(12, 13),
        ];
        assert_eq!(max_in_flight(&log), 3);
        assert_eq!(max_in_flight(&[]), 0);
    }
}
