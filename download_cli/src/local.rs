//! The built-in stand-in, in a process of its own.
//!
//! A downloader given neither `--url` nor `--real` serves the two sites itself, from a second
//! process: this same binary, started again with [`SERVE`] in its environment, which serves
//! instead of downloading. A real server is on another machine; inside the downloader's own
//! process the stand-in would share its descriptor table, its allocator and its CPU time with
//! the client it serves, so that the client's time would include the server's work, and every
//! connection would cost the open-file limit two descriptors instead of one.
//!
//! The two talk in two lines. The child prints its base URL on stdout once it listens (or
//! `error: ...` if it cannot); it prints its tally on stderr when `tally` arrives on its stdin,
//! and then ends. When its stdin closes without that line (the downloader ended early, even
//! killed), it ends quietly.

use std::io::{self, BufRead, BufReader, Write};
use std::process::{Child, ChildStdin, Command, Stdio};

use stand_in::{Config, StandIn, pages};

/// Set in the child's environment: serve, do not download.
const SERVE: &str = "DOWNLOAD_CLI_SERVE_STAND_IN";

/// The stand-in's process, serving until this is dropped or [`LocalStandIn::print_tally`] is
/// called.
pub struct LocalStandIn {
    base_url: String,
    child: Child,
    control: Option<ChildStdin>,
}

impl LocalStandIn {
    /// Starts the stand-in with `config` in a process of its own, and returns once it listens.
    ///
    /// That process is this binary again, with the same arguments, so it comes back to this
    /// call with the same `config`: there, this serves until told to stop and then ends the
    /// process, never returning. A program must call it before it does anything else it would
    /// not want done twice.
    pub fn start(config: Config) -> io::Result<LocalStandIn> {
        serve_if_asked(config);
        Self::spawn()
    }

    fn spawn() -> io::Result<LocalStandIn> {
        let mut child = Command::new(std::env::current_exe()?)
            .args(std::env::args_os().skip(1))
            .env(SERVE, "1")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()?;
        let mut line = String::new();
        if let Some(stdout) = child.stdout.take() {
            BufReader::new(stdout).read_line(&mut line)?;
        }
        let control = child.stdin.take();
        let stand_in = LocalStandIn {
            base_url: line.trim_end().to_owned(),
            child,
            control,
        };
        if stand_in.base_url.starts_with("http://") {
            return Ok(stand_in);
        }
        let why = stand_in
            .base_url
            .strip_prefix("error: ")
            .unwrap_or("its process ended before it listened");
        Err(io::Error::other(why.to_owned()))
    }

    /// `http://127.0.0.1:PORT`, no trailing slash.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// The two pages, in the article's order: jython.org's home page, then realpython's dice.
    pub fn urls(&self) -> [String; 2] {
        pages::urls(&self.base_url)
    }

    /// Says on stderr what the stand-in did, by outcome ("Local stand-in: 160 requests: 160
    /// ok"), to set beside the program's own count of failures, and stops it.
    pub fn print_tally(mut self) {
        if let Some(mut control) = self.control.take() {
            let _ = control.write_all(b"tally\n");
        }
        let _ = self.child.wait();
    }
}

impl Drop for LocalStandIn {
    fn drop(&mut self) {
        // Its stdin closed, it ends at once and quietly.
        drop(self.control.take());
        let _ = self.child.wait();
    }
}

/// In the process [`LocalStandIn::start`] started, serves with `config` until told to stop,
/// then ends the process; anywhere else, returns at once.
fn serve_if_asked(config: Config) {
    if std::env::var_os(SERVE).is_none() {
        return;
    }
    let status = match serve(config) {
        Ok(()) => 0,
        Err(e) => {
            // The downloader reads this line and makes it its own error.
            println!("error: {e}");
            1
        }
    };
    std::process::exit(status);
}

fn serve(config: Config) -> io::Result<()> {
    // Every connection is a descriptor here too: as much room as the downloader has.
    let _ = crate::raise_open_file_limit();
    let stand_in = StandIn::start(config)?;
    let mut stdout = io::stdout().lock();
    writeln!(stdout, "{}", stand_in.base_url())?;
    stdout.flush()?;
    let mut line = String::new();
    io::stdin().lock().read_line(&mut line)?;
    if line.trim_end() == "tally" {
        stand_in.print_tally();
    }
    Ok(())
}
