//! The bar a terminal shows while programs run (indicatif).

use std::time::Duration;

use indicatif::{ProgressBar, ProgressStyle};

/// How many runs are done, which one is running, and when all will be. Where stderr is not a
/// terminal (a pipe, a CI log), indicatif draws nothing, and each program gets one plain line
/// instead.
pub struct Progress(ProgressBar);

impl Progress {
    pub fn new(runs: u64) -> Progress {
        let template = "{bar:16} {pos}/{len} runs, ETA {eta} {prefix}: {wide_msg}";
        let style = ProgressStyle::with_template(template).expect("a valid template");
        let bar = ProgressBar::new(runs).with_style(style);
        bar.enable_steady_tick(Duration::from_millis(200));
        Progress(bar)
    }

    /// `[i/n] NAME` starts: on the bar, or as a line of its own.
    pub fn program(&self, i: usize, n: usize, name: &str) {
        if self.0.is_hidden() {
            eprintln!("[{i}/{n}] {name}");
        }
        self.0.set_prefix(name.to_owned());
    }

    /// Which run of the program is running ("run 2 of 3").
    pub fn run(&self, what: String) {
        self.0.set_message(what);
    }

    /// One run is done.
    pub fn done(&self) {
        self.0.inc(1);
    }

    /// Runs that were planned and will not be made.
    pub fn skip(&self, runs: u32) {
        self.0.inc(u64::from(runs));
    }

    pub fn clear(&self) {
        self.0.finish_and_clear();
    }
}
