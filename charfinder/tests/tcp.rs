//! The three TCP servers: the original's sessions, and what a bad client or a short system
//! must not break. Every server listens on a free loopback port of its own.

mod common;

use std::io::Write;
use std::net::{Shutdown, TcpListener};
use std::process::Command;
use std::thread;
use std::time::{Duration, Instant};

use common::{ASYNC, Client, SEQUENTIAL, Server, TCP_SERVERS, THREADS, expected};

#[test]
fn a_session_as_the_originals() {
    for exe in TCP_SERVERS {
        let server = Server::start(exe);
        assert_eq!(server.stdout()[0], "Building index.", "{exe}");
        let mut client = server.connect();
        let peer = client.peer();
        client.prompt();
        let (lines, found) = client.query("cat face");
        assert_eq!(lines, expected("cat face"), "{exe}");
        assert_eq!(found, 10, "{exe}");
        let (lines, found) = client.query("Right-Pointing  MAGNIFYING");
        assert_eq!((lines.len(), found), (1, 1), "{exe}: {lines:?}");
        assert!(lines[0].starts_with("U+1F50E\t"), "{exe}: {lines:?}");
        assert_eq!(client.query("brillig"), (vec![], 0), "{exe}");
        // An empty line prompts again; a control character ends the session.
        client.send(b"\r\n");
        client.prompt();
        client.send(b"\x03\r\n");
        assert_eq!(client.rest(), "", "{exe}");
        server.wait_for_line(|l| l == format!("Close {peer}."));
        let log = server.stdout();
        for line in [
            format!(" From {peer}: 'cat face'"),
            format!("   To {peer}: 10 results."),
            format!(" From {peer}: ''"),
            format!(" From {peer}: '\\x03'"),
        ] {
            assert!(log.contains(&line), "{exe}: no {line:?} in {log:?}");
        }
    }
}

#[test]
fn bytes_that_are_not_utf8_end_the_session() {
    for exe in TCP_SERVERS {
        let server = Server::start(exe);
        let mut client = server.connect();
        let peer = client.peer();
        client.prompt();
        client.send(b"caf\xe9\r\n");
        assert_eq!(client.rest(), "", "{exe}");
        server.wait_for_line(|l| l == format!("Close {peer}."));
        assert!(server.stdout().contains(&format!(" From {peer}: '\\x00'")));
    }
}

#[test]
fn a_line_of_a_mebibyte_without_a_newline_ends_the_session_with_a_message() {
    for exe in TCP_SERVERS {
        let server = Server::start(exe);
        let mut client = server.connect();
        let peer = client.peer();
        client.prompt();
        let mut writer = client.stream.try_clone().unwrap();
        // The client writes on and on; the server must hang up after its 1 KiB, not wait for a
        // newline that never comes (holding more and more of the mebibyte).
        let sender = thread::spawn(move || {
            let chunk = [b'a'; 64 * 1024];
            for _ in 0..16 {
                if writer.write_all(&chunk).is_err() {
                    return;
                }
            }
        });
        let rest = client.rest();
        assert!(
            rest.contains("Error: a line of more than 1024 bytes"),
            "{exe}: {rest:?}"
        );
        sender.join().unwrap();
        let close = server.wait_for_line(|l| l.starts_with(&format!("Close {peer}")));
        assert!(
            close.contains("a line of more than 1024 bytes"),
            "{exe}: {close}"
        );
        // And the server goes on.
        let mut next = server.connect();
        next.prompt();
        assert_eq!(next.query("cat face").1, 10, "{exe}");
    }
}

#[test]
fn a_silent_client_does_not_hold_the_others_back() {
    for exe in [ASYNC, THREADS] {
        let server = Server::start(exe);
        let mut silent = server.connect();
        silent.prompt();
        let mut other = server.connect();
        other.prompt();
        assert_eq!(other.query("cat face").1, 10, "{exe}");
    }
}

#[test]
fn the_sequential_server_serves_no_one_behind_a_silent_client() {
    let server = Server::start(SEQUENTIAL);
    let mut silent = server.connect();
    silent.prompt();
    let mut waiting = server.connect();
    // Connected (the kernel queued it), but not accepted while the first session lasts.
    assert!(!waiting.prompt_within(Duration::from_millis(500)));
    silent.stream.shutdown(Shutdown::Both).unwrap();
    waiting.prompt();
    assert_eq!(waiting.query("cat face").1, 10);
}

#[test]
fn a_client_gone_in_the_middle_of_an_answer_ends_its_session_only() {
    for exe in TCP_SERVERS {
        let server = Server::start(exe);
        let mut client = server.connect();
        let peer = client.peer();
        client.prompt();
        // Over 90,000 lines, several megabytes: more than the sockets' buffers hold, so the
        // server is still writing when the client closes with unread bytes (a reset).
        client.send(b"cjk\r\n");
        let mut first = [0; 1000];
        std::io::Read::read_exact(&mut client.stream, &mut first).unwrap();
        drop(client);
        let close = server.wait_for_line(|l| l.starts_with(&format!("Close {peer}")));
        assert!(
            close.starts_with(&format!("Close {peer}: ")),
            "{exe}: {close}"
        );
        let mut next = server.connect();
        next.prompt();
        assert_eq!(next.query("cat face").1, 10, "{exe}");
    }
}

#[test]
fn many_idle_clients_and_the_server_still_answers_at_once() {
    for exe in [ASYNC, THREADS] {
        let server = Server::start(exe);
        let idle: Vec<Client> = (0..1000)
            .map(|_| {
                let mut client = server.connect();
                client.prompt();
                client
            })
            .collect();
        let mut active = server.connect();
        active.prompt();
        let start = Instant::now();
        assert_eq!(active.query("cat face").1, 10, "{exe}");
        let took = start.elapsed();
        // Generous for a debug build on a busy machine: a server that served clients in turn
        // would never answer at all.
        assert!(took < Duration::from_secs(5), "{exe}: {took:?}");
        drop(idle);
    }
}

#[test]
fn a_port_in_use_is_one_error_line_and_exit_status_1() {
    let taken = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port().to_string();
    for exe in TCP_SERVERS.into_iter().chain([common::HTTP]) {
        let out = Command::new(exe)
            .args(["--host", "127.0.0.1", "--port", &port])
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{exe}: {stderr}");
        let lines: Vec<&str> = stderr.lines().collect();
        assert_eq!(lines.len(), 1, "{exe}: {stderr}");
        assert!(
            lines[0].starts_with("Error: cannot listen on 127.0.0.1:"),
            "{exe}: {stderr}"
        );
        // In the system's own words, which differ: Linux's "Address already in use", Windows'
        // "Only one usage of each socket address ... is normally permitted".
        let in_use = TcpListener::bind(taken.local_addr().unwrap()).unwrap_err();
        assert_eq!(in_use.kind(), std::io::ErrorKind::AddrInUse);
        assert!(lines[0].ends_with(&in_use.to_string()), "{exe}: {stderr}");
    }
}

#[test]
fn bad_usage_is_refused() {
    for exe in TCP_SERVERS.into_iter().chain([common::HTTP]) {
        testkit::program::check_refused(exe, &["--port", "65536"]);
        testkit::program::check_refused(exe, &["--port", "x"]);
        testkit::program::check_refused(exe, &["extra"]);
    }
}

#[test]
#[cfg_attr(not(unix), ignore = "sends Ctrl-C as Unix's SIGINT, with kill")]
fn ctrl_c_says_server_shut_down_and_exits_0() {
    for exe in TCP_SERVERS.into_iter().chain([common::HTTP]) {
        let mut server = Server::start(exe);
        let mut client = server.connect();
        client.prompt_within(Duration::from_millis(200));
        interrupt(server.pid());
        let status = server.child.wait().unwrap();
        assert_eq!(status.code(), Some(0), "{exe}");
        server.wait_for_line(|l| l == "Server shut down.");
        assert!(server.stderr().is_empty(), "{exe}: {:?}", server.stderr());
    }
}

/// Sends `pid` a SIGINT, as Ctrl-C in its terminal does.
#[cfg(unix)]
fn interrupt(pid: u32) {
    // SAFETY: kill only sends a signal to the server this test started.
    assert_eq!(unsafe { libc::kill(pid as i32, libc::SIGINT) }, 0);
}

#[cfg(not(unix))]
fn interrupt(_: u32) {
    unreachable!("the test is ignored off Unix")
}

/// Starts `exe` with at most `files` open files (soft and hard limits, so it cannot raise them).
#[cfg(target_os = "linux")]
pub fn start_with_file_limit(exe: &str, files: u64) -> Server {
    use std::os::unix::process::CommandExt;
    let mut command = Command::new(exe);
    // SAFETY: setrlimit is async-signal-safe, and only changes the child about to exec.
    unsafe {
        command.pre_exec(move || {
            let limit = libc::rlimit {
                rlim_cur: files,
                rlim_max: files,
            };
            match libc::setrlimit(libc::RLIMIT_NOFILE, &limit) {
                0 => Ok(()),
                _ => Err(std::io::Error::last_os_error()),
            }
        })
    };
    Server::start_command(command)
}

// Linux: the CPU time is read from /proc.
#[cfg(not(target_os = "linux"))]
#[test]
#[ignore = "lowers the server's open-file limit (RLIMIT_NOFILE), reads its CPU time in /proc"]
fn at_the_open_file_limit_the_server_says_so_once_and_waits() {}

#[cfg(target_os = "linux")]
#[test]
fn at_the_open_file_limit_the_server_says_so_once_and_waits() {
    for exe in [ASYNC, THREADS, common::HTTP] {
        let server = start_with_file_limit(exe, 48);
        let is_http = exe == common::HTTP;
        // 80 connections: the kernel completes them all (the listen backlog), the server can
        // accept only as many as its descriptors allow.
        let mut clients: Vec<Client> = (0..80).map(|_| server.connect()).collect();
        let deadline = Instant::now() + Duration::from_secs(2);
        while server.stderr().is_empty() && Instant::now() < deadline {
            thread::sleep(Duration::from_millis(20));
        }
        let before = common::cpu_time(server.pid());
        thread::sleep(Duration::from_secs(2));
        let spent = common::cpu_time(server.pid()) - before;
        // A loop that tried `accept` again at once would burn a whole core for these 2 s.
        assert!(
            spent < Duration::from_millis(300),
            "{exe}: {spent:?} of CPU in 2 s"
        );
        let said: Vec<String> = server.stderr();
        assert_eq!(said.len(), 1, "{exe}: {said:?}");
        assert!(
            said[0].starts_with("Cannot accept connections: "),
            "{exe}: {said:?}"
        );
        assert!(said[0].contains("Too many open files"), "{exe}: {said:?}");
        if is_http {
            continue;
        }
        // The clients it holds are served; once they go, those waiting are accepted.
        let mut first = clients.remove(0);
        first.prompt();
        assert_eq!(first.query("cat face").1, 10, "{exe}");
        let last = clients.pop().unwrap();
        drop(first);
        drop(clients);
        let mut last = last;
        last.prompt();
        assert_eq!(last.query("cat face").1, 10, "{exe}");
    }
}

#[cfg(not(target_os = "linux"))]
#[test]
#[ignore = "limits the server's address space (Linux's RLIMIT_AS)"]
fn a_thread_the_system_refuses_is_an_error_for_that_client_only() {}

// Linux: it counts on the kernel enforcing `RLIMIT_AS` (macOS does not), as race_condition's
// test of refused threads does.
#[cfg(target_os = "linux")]
#[test]
fn a_thread_the_system_refuses_is_an_error_for_that_client_only() {
    use std::os::unix::process::CommandExt;
    // Each thread asks for a 1 GiB stack in 4 GB of address space: the third or fourth session
    // finds no room. One malloc arena (glibc's), so that a malloc does not fail first.
    const ADDRESS_SPACE: libc::rlim_t = 4_000_000 << 10;
    let mut command = Command::new(THREADS);
    command.env("RUST_MIN_STACK", (1u64 << 30).to_string());
    command.env("MALLOC_ARENA_MAX", "1");
    // SAFETY: setrlimit is async-signal-safe, and only changes the child about to exec.
    unsafe {
        command.pre_exec(|| {
            let limit = libc::rlimit {
                rlim_cur: ADDRESS_SPACE,
                rlim_max: ADDRESS_SPACE,
            };
            match libc::setrlimit(libc::RLIMIT_AS, &limit) {
                0 => Ok(()),
                _ => Err(std::io::Error::last_os_error()),
            }
        })
    };
    let server = Server::start_command(command);
    let mut served = Vec::new();
    let told = loop {
        assert!(
            served.len() < 8,
            "every thread started: {:?}",
            server.stderr()
        );
        let mut client = server.connect();
        match client.prompt_or_rest() {
            Ok(()) => served.push(client),
            Err(told) => break told,
        }
    };
    assert!(
        told.starts_with("Error: no thread for this session: "),
        "{told:?}"
    );
    server.wait_for_error(|l| l.starts_with("Cannot start a thread for ("));
    // The server lives, and serves those it holds.
    assert!(!served.is_empty());
    for client in &mut served {
        assert_eq!(client.query("cat face").1, 10);
    }
}
