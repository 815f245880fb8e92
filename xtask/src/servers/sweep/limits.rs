//! What stops a server from holding more connections, and how the sweep tells which.
//!
//! Every connection is a descriptor in the server and another in the sweep; the threaded
//! server's is also a thread, with a stack mapped for it; each costs memory; and each needs a
//! port of its source address. Whichever runs out first shows in one of three places: an error
//! in this process (EMFILE, EADDRNOTAVAIL), what the server says (its log line at its
//! open-file limit, its error line to a client it has no thread for), or the server's exit
//! status. What shows in none of them is `unknown`, with what was seen.

use std::io;
use std::process::ExitStatus;

use serde::Serialize;

use crate::servers::hold::Failure;

/// Windows' EMFILE, for sockets (winsock's error codes are not in libc).
#[cfg(windows)]
const WSAEMFILE: i32 = 10024;

/// The limit an error of this process's `socket` or `connect` names, if any.
fn limit_of(error: &io::Error) -> Option<Limit> {
    match (error.kind(), error.raw_os_error()) {
        #[cfg(unix)]
        (_, Some(libc::EMFILE)) => Some(Limit::SweepOpenFiles),
        #[cfg(unix)]
        (_, Some(libc::ENFILE)) => Some(Limit::SystemOpenFiles),
        #[cfg(unix)]
        (_, Some(libc::ENOBUFS)) => Some(Limit::Memory),
        #[cfg(windows)]
        (_, Some(WSAEMFILE)) => Some(Limit::SweepOpenFiles),
        (io::ErrorKind::AddrNotAvailable, _) => Some(Limit::Ports),
        (io::ErrorKind::OutOfMemory, _) => Some(Limit::Memory),
        _ => None,
    }
}

/// What stopped a server's climb.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Limit {
    /// This process's open-file limit: the sweep holds a descriptor per connection too.
    SweepOpenFiles,
    /// The whole system's (`fs.file-max`, ENFILE). Windows has no such error for sockets.
    #[cfg_attr(not(unix), allow(dead_code))]
    SystemOpenFiles,
    /// The server's open-file limit: it says so, and accepts no one.
    ServerOpenFiles,
    /// The threaded server could not start a thread.
    Threads,
    Memory,
    /// No source port left towards the server (EADDRNOTAVAIL).
    Ports,
    /// The server exited.
    Died,
    Unknown,
}

impl Limit {
    /// Its name in the report.
    pub fn label(self) -> &'static str {
        match self {
            Limit::SweepOpenFiles => "the sweep's open-file limit",
            Limit::SystemOpenFiles => "the system's open-file limit",
            Limit::ServerOpenFiles => "the server's open-file limit",
            Limit::Threads => "threads",
            Limit::Memory => "memory",
            Limit::Ports => "loopback ports",
            Limit::Died => "the server died",
            Limit::Unknown => "unknown",
        }
    }
}

/// A limit, and what showed it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Stop {
    pub limit: Limit,
    pub why: String,
}

/// The limit named by what the sweep saw when a wave failed: the first connection's
/// `failure`, the server's `exit` status if it has ended, and its `log` (stderr) so far. A
/// client the server told it had no thread for names threads, whatever came after; otherwise
/// the server's death comes first (everything fails after it), then this process's own errors,
/// then what the server said in its log.
pub fn classify(failure: &Failure, exit: Option<String>, log: &[String]) -> Stop {
    let stop = |limit, why: String| Stop { limit, why };
    let died = exit.map(|exit| match last_words(log) {
        Some(words) => format!("{exit}; its log: {words:?}"),
        None => exit,
    });
    if let Failure::Said(said) = failure
        && said.contains("no thread")
    {
        let then = died.map(|died| format!("; then it died: {died}"));
        let why = format!("the server said {said:?}{}", then.unwrap_or_default());
        return stop(Limit::Threads, why);
    }
    if let Some(died) = died {
        return stop(Limit::Died, died);
    }
    if let Failure::Connect(error) = failure
        && let Some(limit) = limit_of(error)
    {
        return stop(limit, format!("this process's {failure}"));
    }
    if let Some((limit, line)) = server_says(log) {
        return stop(limit, format!("{failure}; the server's log: {line:?}"));
    }
    stop(Limit::Unknown, failure.to_string())
}

/// What a server that died said last: the panic it died of (Rust's `thread '...' panicked at
/// FILE:LINE:COLUMN:` and its message on the next line), or else its last three lines. Several
/// threads may panic at once, and the first to abort cuts the others' lines short: the first
/// whole one is taken.
fn last_words(log: &[String]) -> Option<String> {
    let whole = |at: usize| log[at].contains("panicked at") && log[at].ends_with(':');
    let panicked = (0..log.len().saturating_sub(1)).find(|&at| whole(at));
    let words = match panicked {
        Some(at) => &log[at..at + 2],
        None => &log[log.len().saturating_sub(3)..],
    };
    (!words.is_empty()).then(|| without_toolchain_path(&words.join(" | ")))
}

/// A panic in std names its file under the toolchain's commit (`/rustc/59807616.../library/
/// std/...`): the hash says nothing here, and makes a word wider than the terminal.
fn without_toolchain_path(text: &str) -> String {
    let Some(at) = text.find("/rustc/") else {
        return text.to_owned();
    };
    let after = &text[at + "/rustc/".len()..];
    let rest = after.find('/').map_or(after, |slash| &after[slash + 1..]);
    format!("{}{rest}", &text[..at])
}

/// The first line of a server's log that names a limit: the Rust servers' `Cannot accept
/// connections: Too many open files (os error 24) ...` (`charfinder::tcp::AcceptErrors`) and
/// `Cannot start a thread for ...`, asyncio's `OSError: [Errno 24] Too many open files` under
/// `socket.accept() out of system resource`, and the same for memory.
fn server_says(log: &[String]) -> Option<(Limit, &str)> {
    const SIGNS: [(&str, Limit); 6] = [
        ("Cannot start a thread", Limit::Threads),
        ("Too many open files", Limit::ServerOpenFiles),
        ("Cannot allocate memory", Limit::Memory),
        ("MemoryError", Limit::Memory),
        ("No buffer space available", Limit::Memory),
        ("Errno 12]", Limit::Memory),
    ];
    log.iter().find_map(|line| {
        let (_, limit) = SIGNS.iter().find(|(sign, _)| line.contains(sign))?;
        Some((*limit, line.as_str()))
    })
}

/// How a server ended: `exit status 1`, or `killed by signal 9 (SIGKILL: the OOM killer's
/// signal, among others)`.
pub fn exit_text(status: ExitStatus) -> String {
    if let Some(code) = status.code() {
        return format!("exit status {code}");
    }
    #[cfg(unix)]
    if let Some(signal) = std::os::unix::process::ExitStatusExt::signal(&status) {
        let named = match signal {
            libc::SIGKILL => " (SIGKILL: the kernel's OOM killer sends it, among others)",
            libc::SIGABRT => " (SIGABRT: an abort, such as a failed allocation)",
            libc::SIGSEGV => " (SIGSEGV: a stack overflow among others)",
            _ => "",
        };
        return format!("killed by signal {signal}{named}");
    }
    status.to_string()
}

/// Which of the kernel's limits on threads a server is at, when it could start no more:
/// `maps` its memory mappings against `vm.max_map_count` (a Rust thread takes four: its stack
/// and the signal stack std gives it, each with a guard page); `threads` its threads against
/// the whole system's limits on tasks, `system` (`kernel.threads-max`, and `kernel.pid_max`,
/// since each thread takes a PID): this server alone at most of one says enough.
pub fn thread_limit(
    (maps, max_map_count): (Option<u64>, Option<u64>),
    threads: Option<u64>,
    system: &[(&str, Option<u64>)],
) -> Option<String> {
    if let (Some(maps), Some(max)) = (maps, max_map_count)
        && maps + 16 >= max
    {
        return Some(format!(
            "it has {maps} memory mappings, vm.max_map_count is {max} (a Rust thread takes \
             four: its stack and its signal stack, each with a guard page)"
        ));
    }
    let threads = threads?;
    system.iter().find_map(|&(name, max)| {
        let max = max?;
        (threads * 10 >= max * 9).then(|| format!("it has {threads} threads, {name} is {max}"))
    })
}

/// This process's open-file limits, soft and hard, which the servers it starts inherit.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct OpenFiles {
    pub soft: u64,
    pub hard: u64,
}

/// This process's open-file limits (`None` where there are none: Windows); no limit reads as
/// `u64::MAX`.
#[cfg(unix)]
pub fn open_files() -> io::Result<Option<OpenFiles>> {
    let limit = rustix::process::getrlimit(rustix::process::Resource::Nofile);
    Ok(Some(OpenFiles {
        soft: limit.current.unwrap_or(u64::MAX),
        hard: limit.maximum.unwrap_or(u64::MAX),
    }))
}

#[cfg(not(unix))]
pub fn open_files() -> io::Result<Option<OpenFiles>> {
    Ok(None)
}

/// Sets this process's soft and hard open-file limits to `n`, before it starts the servers,
/// which inherit them. Raising the hard limit takes root (CAP_SYS_RESOURCE), and Linux refuses
/// more than `fs.nr_open` to anyone: EPERM either way.
#[cfg(unix)]
pub fn set_open_files(n: u64) -> io::Result<()> {
    let resource = rustix::process::Resource::Nofile;
    Ok(rustix::process::setrlimit(resource, both(n))?)
}

#[cfg(unix)]
fn both(n: u64) -> rustix::process::Rlimit {
    rustix::process::Rlimit {
        current: Some(n),
        maximum: Some(n),
    }
}

#[cfg(not(unix))]
pub fn set_open_files(_n: u64) -> io::Result<()> {
    Err(io::Error::other(
        "this system has no open-file limit to set",
    ))
}

/// Sets a running server's soft and hard open-file limits to `n` (Linux's prlimit), so that
/// it meets its own before the sweep meets its; the hard one too, so that it cannot raise the
/// soft one back. Lowering needs no privilege when the caller's user and group IDs match the
/// target's (prlimit(2)), as for a server this process started. It holds for the descriptors
/// the server opens from then on: the ones it has (its listener) stay.
#[cfg(target_os = "linux")]
pub fn set_server_open_files(pid: u32, n: u64) -> io::Result<()> {
    use rustix::process::{Pid, Resource, prlimit};
    let pid = i32::try_from(pid).ok().and_then(Pid::from_raw);
    let pid = pid.ok_or_else(|| io::Error::other("no such process"))?;
    prlimit(Some(pid), Resource::Nofile, both(n))?;
    Ok(())
}

/// Whether this system can set another process's open-file limit.
pub const SERVER_OPEN_FILES_SETTABLE: bool = cfg!(target_os = "linux");

#[cfg(not(target_os = "linux"))]
pub fn set_server_open_files(_pid: u32, _n: u64) -> io::Result<()> {
    Err(io::Error::other(
        "only Linux sets another process's open-file limit (prlimit)",
    ))
}

/// Why the kernel may have refused a hard open-file limit of `n`: Linux allows no more than
/// `fs.nr_open` to anyone, and a raise only to a process with CAP_SYS_RESOURCE, which root
/// has unless, as in many containers, it was dropped.
pub fn why_not_raised(n: u64, nr_open: Option<u64>) -> String {
    if let Some(nr_open) = nr_open
        && n > nr_open
    {
        return format!("fs.nr_open is {nr_open}");
    }
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    match has_capability(&status, CAP_SYS_RESOURCE) {
        Some(false) => "this process lacks CAP_SYS_RESOURCE, which raising the hard limit takes: \
                        root's, unless a container drops it"
            .into(),
        _ => "raising the hard limit takes CAP_SYS_RESOURCE, root's".into(),
    }
}

/// The capability's bit (`linux/capability.h`).
const CAP_SYS_RESOURCE: u32 = 24;

/// Whether the `CapEff` line of a `/proc/PID/status` has capability `bit`.
fn has_capability(status: &str, bit: u32) -> Option<bool> {
    let line = status.lines().find_map(|l| l.strip_prefix("CapEff:"))?;
    let effective = u64::from_str_radix(line.trim(), 16).ok()?;
    Some(effective & (1 << bit) != 0)
}

/// A number from a file of `/proc` (`/proc/sys/vm/max_map_count`), where there is one.
pub fn proc_number(path: &str) -> Option<u64> {
    std::fs::read_to_string(path).ok()?.trim().parse().ok()
}

/// How many lines `/proc/{pid}/maps` has: the process's memory mappings.
pub fn mappings(pid: u32) -> Option<u64> {
    let maps = std::fs::read_to_string(format!("/proc/{pid}/maps")).ok()?;
    Some(maps.lines().count() as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    const PATIENCE: std::time::Duration = std::time::Duration::from_secs(5);
    const SILENT: Failure = Failure::Silent("prompt", PATIENCE);

    fn classified(failure: Failure, exit: Option<&str>, log: &[&str]) -> Limit {
        let log: Vec<String> = log.iter().map(|l| l.to_string()).collect();
        let exit = exit.map(str::to_owned);
        let failure = &failure;
        classify(failure, exit, &log).limit
    }

    #[cfg(unix)]
    #[test]
    fn this_process_errors_name_their_limit() {
        let connect = |errno| Failure::Connect(io::Error::from_raw_os_error(errno));
        assert_eq!(
            classified(connect(libc::EMFILE), None, &[]),
            Limit::SweepOpenFiles
        );
        assert_eq!(
            classified(connect(libc::ENFILE), None, &[]),
            Limit::SystemOpenFiles
        );
        assert_eq!(
            classified(connect(libc::EADDRNOTAVAIL), None, &[]),
            Limit::Ports
        );
        assert_eq!(classified(connect(libc::ENOMEM), None, &[]), Limit::Memory);
        assert_eq!(
            classified(connect(libc::ECONNREFUSED), None, &[]),
            Limit::Unknown
        );
    }

    #[test]
    fn what_the_server_says_names_its_limit() {
        let rust = "Cannot accept connections: Too many open files (os error 24). Serving the \
                    clients already connected, trying again every 100 ms.";
        assert_eq!(
            classified(SILENT, None, &["Building index.", rust]),
            Limit::ServerOpenFiles
        );
        let asyncio = [
            "socket.accept() out of system resource",
            "Traceback (most recent call last):",
            "OSError: [Errno 24] Too many open files",
        ];
        assert_eq!(
            classified(Failure::NotAccepted(PATIENCE), None, &asyncio),
            Limit::ServerOpenFiles
        );
        let refused = "Error: no thread for this session: Resource temporarily unavailable \
                       (os error 11). Bye.";
        assert_eq!(
            classified(Failure::Said(refused.into()), None, &[]),
            Limit::Threads
        );
        let spawn = "Cannot start a thread for ('127.0.0.1', 5): Resource temporarily unavailable";
        assert_eq!(classified(SILENT, None, &[spawn]), Limit::Threads);
        let memory = "Cannot accept connections: Cannot allocate memory (os error 12).";
        assert_eq!(classified(SILENT, None, &[memory]), Limit::Memory);
    }

    #[test]
    fn a_dead_server_comes_first_and_silence_alone_is_unknown() {
        let closed = || Failure::Closed("Connection reset by peer (os error 104)".into());
        let killed = Some("killed by signal 9");
        assert_eq!(classified(closed(), killed, &[]), Limit::Died);
        let refused = || Failure::Said("Error: no thread for this session: ... Bye.".into());
        assert_eq!(classified(refused(), killed, &[]), Limit::Threads);
        let log = ["a".into(), "b".into(), "c".into(), "d".into()];
        let stop = classify(&refused(), Some("killed by signal 6".into()), &log);
        assert!(
            stop.why
                .ends_with("then it died: killed by signal 6; its log: \"b | c | d\""),
            "{}",
            stop.why
        );
        assert_eq!(classified(closed(), None, &[]), Limit::Unknown);
        assert_eq!(
            classified(SILENT, None, &["Building index."]),
            Limit::Unknown
        );
        let unknown = classify(&Failure::Said("?".into()), None, &[]);
        assert!(
            unknown.why.contains("\"?\""),
            "the raw failure: {unknown:?}"
        );
    }

    #[test]
    fn a_dead_servers_last_words_are_its_panic() {
        let log: Vec<String> = [
            "Cannot start a thread for ('127.0.0.1', 5): Resource temporarily unavailable",
            "thread '<unnamed>' (20858) panicked at /rustc/59807616e1fa2540",
            "thread '<unnamed>' panicked at library/std/src/sys/pal/unix/stack_overflow.rs:1:1:",
            "failed to allocate an alternative stack: Cannot allocate memory (os error 12)",
            "stack backtrace:",
            "fatal runtime error: failed to initiate panic, error 5, aborting",
        ]
        .map(String::from)
        .into();
        let words = last_words(&log).unwrap();
        assert!(
            words.starts_with("thread '<unnamed>' panicked at"),
            "{words}"
        );
        assert!(
            words.ends_with("Cannot allocate memory (os error 12)"),
            "{words}"
        );
        assert_eq!(last_words(&log[4..]).unwrap(), log[4..].join(" | "));
        let std = "thread 'x' panicked at /rustc/5980761/library/std/src/lib.rs:1:1:";
        let words = last_words(&[std.into()]).unwrap();
        assert_eq!(words, "thread 'x' panicked at library/std/src/lib.rs:1:1:");
        assert_eq!(last_words(&[]), None);
    }

    #[test]
    fn a_thread_limit_is_named_when_the_server_is_at_it() {
        let system = [
            ("kernel.threads-max", Some(192_735)),
            ("kernel.pid_max", Some(32_768)),
        ];
        let at_maps = thread_limit((Some(65_520), Some(65_530)), Some(16_370), &system);
        assert!(at_maps.unwrap().contains("vm.max_map_count is 65530"));
        let at_pids = thread_limit((Some(900), Some(65_530)), Some(32_000), &system);
        assert!(at_pids.unwrap().contains("kernel.pid_max is 32768"));
        assert_eq!(
            thread_limit((Some(900), Some(65_530)), Some(400), &system),
            None
        );
        assert_eq!(thread_limit((None, None), None, &[]), None);
    }

    #[test]
    fn a_refused_raise_says_which_rule_refused_it() {
        let root = "CapPrm:\t000001ffffffffff\nCapEff:\t000001ffffffffff\n";
        let container = "CapEff:\t000001fffeffffff\n";
        assert_eq!(has_capability(root, CAP_SYS_RESOURCE), Some(true));
        assert_eq!(has_capability(container, CAP_SYS_RESOURCE), Some(false));
        assert_eq!(has_capability("", CAP_SYS_RESOURCE), None);
        let above = why_not_raised(2_000_000, Some(1_048_576));
        assert_eq!(above, "fs.nr_open is 1048576");
        assert!(why_not_raised(250_000, Some(1_048_576)).contains("CAP_SYS_RESOURCE"));
    }

    #[cfg(unix)]
    #[test]
    fn exits_read_as_status_or_signal() {
        use std::os::unix::process::ExitStatusExt;
        assert_eq!(exit_text(ExitStatus::from_raw(1 << 8)), "exit status 1");
        let killed = exit_text(ExitStatus::from_raw(libc::SIGKILL));
        assert!(
            killed.starts_with("killed by signal 9 (SIGKILL"),
            "{killed}"
        );
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn a_started_process_open_file_limit_is_lowered_without_privilege() {
        let mut child = std::process::Command::new("sleep")
            .arg("10")
            .spawn()
            .expect("sleep starts");
        let set = set_server_open_files(child.id(), 200);
        let limits = std::fs::read_to_string(format!("/proc/{}/limits", child.id()));
        let _ = child.kill();
        let _ = child.wait();
        set.unwrap();
        let line = limits.unwrap();
        let line = line
            .lines()
            .find(|l| l.starts_with("Max open files"))
            .unwrap();
        let figures: Vec<&str> = line.split_whitespace().collect();
        assert_eq!(figures[3..5], ["200", "200"], "soft and hard: {line}");
    }

    #[cfg(unix)]
    #[test]
    fn the_open_file_limits_read_back_as_set() {
        let now = open_files().unwrap().unwrap();
        assert!(now.soft <= now.hard);
        // Setting the soft and hard limits to the soft one lowers the hard limit for good,
        // which a test must not do to the process it shares: setting both to what they are
        // changes nothing.
        if now.soft == now.hard {
            set_open_files(now.soft).unwrap();
            assert_eq!(open_files().unwrap().unwrap(), now);
        }
    }
}
