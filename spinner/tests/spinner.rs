//! Runs every spinner for real: piped (plain lines only), under a pseudo-terminal (frames drawn
//! in place, the line blanked at the end), with Ctrl-C while it spins, and with bad arguments.

use std::process::{Command, Output, Stdio};

use contract::Line;

const THREAD: &str = env!("CARGO_BIN_EXE_spinner_thread");
const ASYNC: &str = env!("CARGO_BIN_EXE_spinner_async");
const SMOL: &str = env!("CARGO_BIN_EXE_spinner_smol");
const ASYNC_STD: &str = env!("CARGO_BIN_EXE_spinner_async_std");
const PROCESS: &str = env!("CARGO_BIN_EXE_spinner_process");
const BLOCKED: &str = env!("CARGO_BIN_EXE_spinner_async_blocked");
const UNBLOCKED: &str = env!("CARGO_BIN_EXE_spinner_async_unblocked");

/// The spinners that turn; `BLOCKED` is the one that must not, and `UNBLOCKED` its fix.
const TURNING: [&str; 6] = [THREAD, ASYNC, SMOL, ASYNC_STD, PROCESS, UNBLOCKED];
const MSG: &str = "thinking!";

fn run_piped(bin: &str, args: &[&str]) -> Output {
    Command::new(bin)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

#[test]
fn piped_output_is_plain_lines_ending_with_the_answer() {
    for bin in TURNING.into_iter().chain([BLOCKED]) {
        let out = run_piped(bin, &["--seconds", "0.3"]);
        assert!(out.status.success(), "{bin}: {:?}", out.status);
        let stdout = String::from_utf8(out.stdout).unwrap();
        assert!(
            !stdout.chars().any(|c| c.is_control() && c != '\n'),
            "{bin} wrote control characters into a pipe: {stdout:?}"
        );
        let lines: Vec<&str> = stdout.lines().collect();
        assert!(
            lines[0].starts_with("spinner object: "),
            "{bin}: {stdout:?}"
        );
        // The thread not started yet, in Python's `<Thread(Thread-1 (spin), initial)>` shape,
        // not std's `Builder { .. }` fields.
        if bin == THREAD {
            assert!(
                lines[0].len() < 80 && lines[0].ends_with("(spin), not started)>"),
                "{stdout:?}"
            );
        }
        assert_eq!(
            Line::parse(lines.last().unwrap()),
            Line::Answer(42),
            "{bin}"
        );
        // The spinner says its message once in a pipe; the blocked one never got to run.
        let said = lines.iter().filter(|l| **l == MSG).count();
        let expected = if bin == BLOCKED { 0 } else { 1 };
        assert_eq!(said, expected, "{bin}: {stdout:?}");
        assert_eq!(lines.len(), 2 + expected, "{bin}: {stdout:?}");
    }
}

#[test]
fn bad_seconds_are_a_usage_error() {
    for bin in TURNING.into_iter().chain([BLOCKED]) {
        for bad in ["abc", "-1", "nan", "inf", "", "1e300", "3601"] {
            let stderr = testkit::program::check_refused(bin, &["--seconds", bad]);
            assert!(stderr.contains("--seconds"), "{bin}: {stderr}");
        }
    }
}

#[test]
fn a_closed_stdout_ends_every_spinner_quietly() {
    for bin in TURNING.into_iter().chain([BLOCKED]) {
        testkit::program::check_closed_stdout(bin, &["--seconds", "0.2"]);
    }
}

#[cfg(not(unix))]
#[test]
#[ignore = "the four tests on a pseudo-terminal, with SIGINT to a process group: Unix's"]
fn on_a_terminal() {}

/// On a pseudo-terminal, as a user runs the spinners: Unix only (Windows has no pty to open
/// this way, nor process groups and SIGINT).
#[cfg(unix)]
mod on_a_terminal {
    use std::os::unix::process::CommandExt;
    use std::process::{Child, Command};
    use std::sync::mpsc::{Receiver, RecvTimeoutError};
    use std::time::{Duration, Instant};

    use contract::Line;

    use super::{BLOCKED, MSG, PROCESS, TURNING};

    const FRAMES: [char; 4] = ['|', '/', '-', '\\'];
    /// Generous bounds: no test waits longer than this for anything, and none asserts a speed.
    const PATIENCE: Duration = Duration::from_secs(30);

    /// A program running on a pseudo-terminal, and what it writes there.
    struct OnPty {
        child: Child,
        output: Receiver<Vec<u8>>,
        seen: Vec<u8>,
    }

    impl OnPty {
        fn start(bin: &str, args: &[&str]) -> OnPty {
            let mut cmd = Command::new(bin);
            // A process group of its own, so a Ctrl-C can go to all of it, as a terminal's does.
            cmd.args(args).process_group(0);
            let (child, output) = testkit::program::spawn_on_pty(cmd);
            OnPty {
                child,
                output,
                seen: Vec::new(),
            }
        }

        /// Reads until the output holds `text`.
        fn wait_for(&mut self, text: &str) {
            let deadline = Instant::now() + PATIENCE;
            while !String::from_utf8_lossy(&self.seen).contains(text) {
                let left = deadline.saturating_duration_since(Instant::now());
                match self.output.recv_timeout(left) {
                    Ok(chunk) => self.seen.extend(chunk),
                    Err(e) => panic!("no {text:?} ({e:?}); got {:?}", self.text()),
                }
            }
        }

        /// Reads until every process has let go of the terminal; returns the exit code and output.
        fn finish(mut self) -> (Option<i32>, String) {
            let deadline = Instant::now() + PATIENCE;
            loop {
                let left = deadline.saturating_duration_since(Instant::now());
                match self.output.recv_timeout(left) {
                    Ok(chunk) => self.seen.extend(chunk),
                    Err(RecvTimeoutError::Disconnected) => break,
                    Err(RecvTimeoutError::Timeout) => {
                        let _ = self.child.kill();
                        panic!("a process still holds the terminal: {:?}", self.text());
                    }
                }
            }
            (self.child.wait().unwrap().code(), self.text())
        }

        fn text(&self) -> String {
            String::from_utf8(self.seen.clone()).unwrap()
        }
    }

    /// What a terminal would show: `\r` returns to the start of the line, later text overwrites.
    fn screen(output: &str) -> Vec<String> {
        let mut lines = vec![Vec::new()];
        let mut col = 0;
        for c in output.chars() {
            let line = lines.last_mut().unwrap();
            match c {
                '\r' => col = 0,
                '\n' => {
                    lines.push(Vec::new());
                    col = 0;
                }
                c if col < line.len() => (line[col], col) = (c, col + 1),
                c => (line.push(c), col += 1).1,
            }
        }
        let lines = lines.into_iter().map(|l| l.into_iter().collect::<String>());
        lines.map(|l| l.trim_end().to_owned()).collect()
    }

    /// How many frames were drawn, and how many different ones.
    fn frames(output: &str) -> (usize, usize) {
        let drawn = |f: char| output.matches(&format!("\r{f} {MSG}")).count();
        let counts = FRAMES.map(drawn);
        (
            counts.iter().sum(),
            counts.iter().filter(|&&n| n > 0).count(),
        )
    }

    #[test]
    fn on_a_terminal_it_turns_in_place_and_leaves_a_clean_line() {
        for bin in TURNING {
            let (code, out) = OnPty::start(bin, &["--seconds", "0.6"]).finish();
            assert_eq!(code, Some(0), "{bin}: {out:?}");
            let (drawn, distinct) = frames(&out);
            // 0.6 s at ten frames a second is about 6 frames; a loaded machine may draw fewer.
            assert!(drawn >= 3 && distinct >= 3, "{bin} did not turn: {out:?}");
            assert!(!out.contains(['\x08', '\x1b']), "{bin}: {out:?}");
            // The last frame is blanked (`\r`, spaces, `\r`) before the answer is printed.
            let after_last_frame = &out[out.rfind(MSG).unwrap()..];
            let blank = format!("\r{}\r", " ".repeat(2 + MSG.len()));
            assert!(after_last_frame.contains(&blank), "{bin}: {out:?}");
            let shown = screen(&out);
            assert!(shown[0].starts_with("spinner object: "), "{bin}: {shown:?}");
            assert_eq!(shown[1], "Answer: 42", "{bin}: {shown:?}");
            assert_eq!(Line::parse(&shown[1]), Line::Answer(42));
            assert!(!shown.iter().any(|l| l.contains(MSG)), "{bin}: {shown:?}");
        }
    }

    #[test]
    fn on_a_terminal_the_blocked_spinner_never_turns() {
        let (code, out) = OnPty::start(BLOCKED, &["--seconds", "0.6"]).finish();
        assert_eq!(code, Some(0), "{out:?}");
        let (drawn, _) = frames(&out);
        assert!(drawn <= 1, "the blocked spinner turned: {out:?}");
        let shown = screen(&out);
        assert!(shown[0].starts_with("spinner object: "), "{shown:?}");
        assert_eq!(shown[1], "Answer: 42", "{shown:?}");
    }

    /// Sends SIGINT once the spinner is drawing, to the whole process group (as a terminal's
    /// Ctrl-C does) or to the program alone; expects status 130 and a clean line.
    fn ctrl_c(bin: &str, whole_group: bool, wait_for: &str) {
        let mut run = OnPty::start(bin, &["--seconds", "20"]);
        run.wait_for(wait_for);
        let pid = run.child.id() as libc::pid_t;
        let target = if whole_group { -pid } else { pid };
        // SAFETY: kill has no memory-safety preconditions.
        assert_eq!(unsafe { libc::kill(target, libc::SIGINT) }, 0);
        // `finish` returns only once every process has let go of the terminal: no child is left.
        let (code, out) = run.finish();
        assert_eq!(code, Some(130), "{bin}: {out:?}");
        let shown = screen(&out);
        assert!(shown[0].starts_with("spinner object: "), "{bin}: {shown:?}");
        assert!(!out.contains("Answer"), "{bin}: {out:?}");
        assert!(!shown.iter().any(|l| l.contains(MSG)), "{bin}: {shown:?}");
        assert_eq!(shown.last().unwrap(), "", "{bin}: {shown:?}");
    }

    #[test]
    fn ctrl_c_while_spinning_leaves_a_clean_line_and_exits_130() {
        for bin in TURNING {
            // Two frames: the spinner is turning, and the handler is surely installed.
            ctrl_c(bin, true, &format!("{MSG}\r"));
        }
        ctrl_c(BLOCKED, true, "spinner object: ");
    }

    #[test]
    fn ctrl_c_to_the_parent_alone_stops_the_child_process_too() {
        ctrl_c(PROCESS, false, &format!("{MSG}\r"));
    }
}
