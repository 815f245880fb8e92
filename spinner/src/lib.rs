//! What every spinner shares, as Fluent Python's examples share `print`: the command line, the
//! frames, the drawing of the status line, and Ctrl-C. The techniques live in `src/bin/`.
//!
//! On a terminal the status line turns in place (`\r{frame} {msg}`, the 2nd edition's drawing)
//! and is blanked at the end (`\r`, spaces, `\r`). In a pipe there is no line to redraw, so the
//! spinner writes its message once, as a plain line, and no control characters at all.

use std::io::{self, IsTerminal, Write};
use std::time::Duration;

/// The frames of the 2nd edition's `itertools.cycle(r'\|/-')`, in the 1st edition's order.
pub const FRAMES: [char; 4] = ['|', '/', '-', '\\'];
/// What the spinner says while it turns.
pub const MSG: &str = "thinking!";
/// The pause between two frames: the article's `sleep(.1)`.
pub const TICK: Duration = Duration::from_millis(100);

/// The spinners' command line.
#[derive(clap::Parser, Debug)]
#[command(about = "Draws a spinner while a slow call runs, then prints its answer (42).")]
pub struct Args {
    /// How long the slow call takes, in seconds (the article's `time.sleep(3)`; 0 to 3600).
    #[arg(long, default_value = "3", value_parser = contract::cli::parse_spinner_seconds, allow_negative_numbers = true)]
    pub seconds: Duration,
}

impl Args {
    /// Parses the command line; bad usage prints a one-line error and the usage, and exits
    /// with status 2 (the contract every program of the workspace keeps).
    pub fn parse_args() -> Self {
        contract::parse_args()
    }
}

/// The spinner's one line of output. Dropping it blanks the line, so a spinner that is stopped,
/// cancelled (its future dropped) or ends on its own always leaves a clean line behind.
pub struct Status {
    msg: &'static str,
    tty: bool,
    drawn: usize,
}

impl Status {
    pub fn new(msg: &'static str) -> Self {
        Self {
            msg,
            tty: io::stdout().is_terminal(),
            drawn: 0,
        }
    }

    /// Draws `frame` beside the message: in place on a terminal, once as a plain line in a pipe.
    pub fn draw(&mut self, frame: char) {
        let mut out = io::stdout().lock();
        // Write errors (a closed pipe) are ignored: the spinner is decoration, the answer is not.
        let _ = if self.tty {
            write!(out, "\r{frame} {}", self.msg)
        } else if self.drawn == 0 {
            writeln!(out, "{}", self.msg)
        } else {
            Ok(())
        };
        let _ = out.flush();
        self.drawn += 1;
    }
}

impl Drop for Status {
    fn drop(&mut self) {
        if self.tty && self.drawn > 0 {
            blank_line(&mut io::stdout().lock(), "| ".len() + self.msg.len());
        }
    }
}

/// `\r`, `width` spaces, `\r`: the 2nd edition's last print, over a status line that wide.
fn blank_line(out: &mut impl Write, width: usize) {
    let blanks = " ".repeat(width);
    let _ = write!(out, "\r{blanks}\r");
    let _ = out.flush();
}

/// On Ctrl-C: blank the status line and exit with status 130 (128 + SIGINT), as a shell expects.
pub fn exit_on_ctrl_c() -> Result<(), ctrlc::Error> {
    exit_on_ctrl_c_after(|| {})
}

/// As [`exit_on_ctrl_c`], running `stop` first (the process version stops its child there).
pub fn exit_on_ctrl_c_after(mut stop: impl FnMut() + Send + 'static) -> Result<(), ctrlc::Error> {
    ctrlc::set_handler(move || {
        // `ctrlc` runs this on a thread of its own, not inside the signal handler, so it may
        // lock and write. Holding stdout's lock until `exit` keeps every spinner in this
        // process from drawing again over the blank.
        let mut out = io::stdout().lock();
        stop();
        if out.is_terminal() {
            // Two more spaces cover the `^C` the terminal echoed after the message.
            blank_line(&mut out, "| ".len() + MSG.len() + 2);
        }
        std::process::exit(130);
    })
}
