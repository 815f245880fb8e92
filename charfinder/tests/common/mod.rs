//! What the servers' tests share: a server started on a free loopback port, its log read as it
//! comes, and a client that speaks the TCP protocol.

#![allow(dead_code)] // Each test file uses its own part of this.

use std::io::{BufRead, BufReader, ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{self, Receiver};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

pub const TCP_SERVERS: [&str; 3] = [
    env!("CARGO_BIN_EXE_tcp_charfinder"),
    env!("CARGO_BIN_EXE_tcp_charfinder_threads"),
    env!("CARGO_BIN_EXE_tcp_charfinder_sequential"),
];
pub const ASYNC: &str = env!("CARGO_BIN_EXE_tcp_charfinder");
pub const THREADS: &str = env!("CARGO_BIN_EXE_tcp_charfinder_threads");
pub const SEQUENTIAL: &str = env!("CARGO_BIN_EXE_tcp_charfinder_sequential");
pub const HTTP: &str = env!("CARGO_BIN_EXE_http_charfinder");

/// How long anything a test waits for may take: the index is built in a debug build first.
pub const PATIENCE: Duration = Duration::from_secs(30);

/// A server running on a free loopback port; killed when dropped.
pub struct Server {
    /// The program's file name, for the tests' messages.
    pub name: String,
    pub child: Child,
    pub addr: SocketAddr,
    stdout: Arc<Mutex<Vec<String>>>,
    stderr: Arc<Mutex<Vec<String>>>,
}

impl Server {
    pub fn start(exe: &str) -> Server {
        Server::start_command(Command::new(exe))
    }

    /// Starts `command` with `--host 127.0.0.1 --port 0`, and waits for its `Serving on` line.
    pub fn start_command(mut command: Command) -> Server {
        command
            .args(["--host", "127.0.0.1", "--port", "0"])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = command.spawn().expect("the server starts");
        let (first, first_lines) = mpsc::channel();
        let stdout = collect(child.stdout.take().unwrap(), Some(first));
        let stderr = collect(child.stderr.take().unwrap(), None);
        let addr = wait_for_address(&first_lines, &stderr);
        let program = std::path::Path::new(command.get_program());
        Server {
            name: program
                .file_stem()
                .unwrap_or_default()
                .to_string_lossy()
                .into(),
            child,
            addr,
            stdout,
            stderr,
        }
    }

    pub fn stdout(&self) -> Vec<String> {
        self.stdout.lock().unwrap().clone()
    }

    pub fn stderr(&self) -> Vec<String> {
        self.stderr.lock().unwrap().clone()
    }

    /// Waits until a line of stdout satisfies `wanted`, and returns it.
    pub fn wait_for_line(&self, wanted: impl Fn(&str) -> bool) -> String {
        wait_for(&self.stdout, wanted, &self.name)
    }

    /// Waits until a line of stderr satisfies `wanted`, and returns it.
    pub fn wait_for_error(&self, wanted: impl Fn(&str) -> bool) -> String {
        wait_for(&self.stderr, wanted, &self.name)
    }

    pub fn connect(&self) -> Client {
        Client::connect(self.addr)
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Reads `pipe` line by line into a shared list; the first one that names an address goes to
/// `first` too.
fn collect(
    pipe: impl Read + Send + 'static,
    first: Option<mpsc::Sender<SocketAddr>>,
) -> Arc<Mutex<Vec<String>>> {
    let lines = Arc::new(Mutex::new(Vec::new()));
    let shared = Arc::clone(&lines);
    thread::spawn(move || {
        for line in BufReader::new(pipe).lines() {
            let Ok(line) = line else { break };
            if let (Some(first), Some(addr)) = (&first, charfinder::tcp::serving_address(&line)) {
                let _ = first.send(addr);
            }
            shared.lock().unwrap().push(line);
        }
    });
    lines
}

fn wait_for(lines: &Mutex<Vec<String>>, wanted: impl Fn(&str) -> bool, name: &str) -> String {
    let deadline = Instant::now() + PATIENCE;
    loop {
        let now: Vec<String> = lines.lock().unwrap().clone();
        if let Some(line) = now.iter().find(|l| wanted(l)) {
            return line.clone();
        }
        assert!(Instant::now() < deadline, "{name}: no such line in {now:?}");
        thread::sleep(Duration::from_millis(20));
    }
}

fn wait_for_address(first: &Receiver<SocketAddr>, stderr: &Mutex<Vec<String>>) -> SocketAddr {
    match first.recv_timeout(PATIENCE) {
        Ok(addr) => addr,
        Err(_) => panic!("no `Serving on` line; stderr: {:?}", stderr.lock().unwrap()),
    }
}

/// A client of the TCP protocol, with timeouts on every read.
pub struct Client {
    pub stream: TcpStream,
    reader: BufReader<TcpStream>,
}

impl Client {
    pub fn connect(addr: SocketAddr) -> Client {
        let stream = TcpStream::connect(addr).expect("connects");
        stream.set_read_timeout(Some(PATIENCE)).unwrap();
        let reader = BufReader::new(stream.try_clone().unwrap());
        Client { stream, reader }
    }

    /// This client's address, as the server's log names it.
    pub fn peer(&self) -> charfinder::tcp::Peer {
        charfinder::tcp::Peer(self.stream.local_addr().unwrap())
    }

    /// Reads the prompt, `?> `.
    pub fn prompt(&mut self) {
        let mut prompt = [0; 3];
        self.reader.read_exact(&mut prompt).expect("a prompt");
        assert_eq!(&prompt, b"?> ");
    }

    /// Whether a prompt comes within `wait` (the reader's timeout is restored after).
    pub fn prompt_within(&mut self, wait: Duration) -> bool {
        self.stream.set_read_timeout(Some(wait)).unwrap();
        let mut prompt = [0; 3];
        let got = self.reader.read_exact(&mut prompt).is_ok();
        self.stream.set_read_timeout(Some(PATIENCE)).unwrap();
        got && &prompt == b"?> "
    }

    /// The prompt, or else everything the server sent before it closed the connection.
    pub fn prompt_or_rest(&mut self) -> Result<(), String> {
        let mut first = [0; 3];
        let n = self.reader.read(&mut first).expect("a prompt or a message");
        if &first[..n] == b"?> " {
            return Ok(());
        }
        Err(String::from_utf8_lossy(&first[..n]).into_owned() + &self.rest())
    }

    pub fn send(&mut self, bytes: &[u8]) {
        self.stream.write_all(bytes).expect("the server reads");
    }

    /// Sends `query` and reads the answer to its status line: the result lines (without
    /// CRLF) and the count the status line says. Then the next prompt.
    pub fn query(&mut self, query: &str) -> (Vec<String>, usize) {
        self.send(format!("{query}\r\n").as_bytes());
        let mut lines = Vec::new();
        loop {
            let mut line = String::new();
            self.reader.read_line(&mut line).expect("an answer");
            assert!(line.ends_with("\r\n"), "{line:?} after {lines:?}");
            let line = line.trim_end_matches("\r\n").to_owned();
            if line.starts_with('─') {
                let count = charfinder::found_in(&line).expect("'─' * 66, then N found");
                self.prompt();
                return (lines, count);
            }
            lines.push(line);
        }
    }

    /// Reads what is left until the server closes the connection. A server that hangs up on
    /// bytes it has not read resets the connection (RST), after what it had written: that
    /// counts as closed too.
    pub fn rest(&mut self) -> String {
        let mut rest = Vec::new();
        if let Err(e) = self.reader.read_to_end(&mut rest) {
            assert_eq!(
                e.kind(),
                ErrorKind::ConnectionReset,
                "the server closes: {e}"
            );
        }
        String::from_utf8_lossy(&rest).into_owned()
    }
}

/// `GET target` over a connection of its own (HTTP/1.1, `Connection: close`): the status and
/// the body.
pub fn get(addr: SocketAddr, target: &str) -> (u16, String) {
    let mut stream = TcpStream::connect(addr).unwrap();
    stream.set_read_timeout(Some(PATIENCE)).unwrap();
    let request = format!("GET {target} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).unwrap();
    let mut response = Vec::new();
    stream.read_to_end(&mut response).unwrap();
    let response = String::from_utf8(response).unwrap();
    let (head, body) = response.split_once("\r\n\r\n").unwrap();
    let status = head.split(' ').nth(1).unwrap().parse().unwrap();
    (status, body.to_owned())
}

/// What the library's own index answers, as the servers print it.
pub fn expected(query: &str) -> Vec<String> {
    let index = charfinder::InvertedIndex::new();
    charfinder::format_results(&index.search(query))
        .map(|line| line.to_string())
        .collect()
}

/// User and system CPU time of process `pid`, from `/proc/PID/stat`.
#[cfg(target_os = "linux")]
pub fn cpu_time(pid: u32) -> Duration {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap();
    // The fields after the command's name, in parentheses (which may hold spaces).
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .unwrap()
        .1
        .split_whitespace()
        .collect();
    let ticks: u64 = fields[11].parse::<u64>().unwrap() + fields[12].parse::<u64>().unwrap();
    // SAFETY: sysconf only reads a configuration value.
    let per_second = unsafe { libc::sysconf(libc::_SC_CLK_TCK) } as u64;
    Duration::from_millis(ticks * 1000 / per_second)
}
