//! What the three `race_condition` programs share: the article's numbers and the command line;
//! and, in the two examples below, the program Python runs and Rust refuses to build.
//!
//! Real Python's
//! [`race_condition.py`](https://github.com/realpython/materials/blob/44102811bdc432a68a0e0480a748da109502112f/concurrency-overview/race_condition.py)
//! hands 5,000 calls of `increment_counter` to a `ThreadPoolExecutor(max_workers=5000)`, and
//! each call does `counter += 1` on a global 100 times. `counter += 1` is a read, an add and a
//! write; two threads that read the same value both write it plus one, and an increment is
//! lost. Python runs it, and the total may come out under 500,000.
//!
//! Written the same way in Rust, it does not compile. The global becomes a `static mut`, and
//! touching one is `unsafe` (error E0133): the compiler cannot prove that no other thread
//! touches it at the same time, and says so ("mutable statics can be mutated by multiple
//! threads: aliasing violations or data races will cause undefined behavior"):
//!
//! ```compile_fail,E0133
//! static mut COUNTER: u64 = 0;
//!
//! fn increment_counter(_fake_value: usize) {
//!     for _ in 0..100 {
//!         COUNTER += 1; // error[E0133]: use of mutable static is unsafe and requires unsafe block
//!     }
//! }
//!
//! std::thread::scope(|scope| {
//!     for fake_value in 0..5000 {
//!         scope.spawn(move || increment_counter(fake_value));
//!     }
//! });
//! ```
//!
//! Nor does a local counter that every thread borrows (error E0499). A `&mut` is a promise
//! that nothing else can reach the value while it lives, so two threads cannot both hold one:
//!
//! ```compile_fail,E0499
//! let mut counter = 0;
//! std::thread::scope(|scope| {
//!     for _ in 0..5000 {
//!         // error[E0499]: cannot borrow `counter` as mutable more than once at a time
//!         scope.spawn(|| {
//!             for _ in 0..100 {
//!                 counter += 1;
//!             }
//!         });
//!     }
//! });
//! ```
//!
//! Why not a plain `static`? A `static` that is not `mut` is shared by every thread and never
//! changes, so it needs no `unsafe`. This compiles, and every thread reads the counter:
//!
//! ```
//! static COUNTER: u64 = 0;
//!
//! std::thread::scope(|scope| {
//!     for _ in 0..5 {
//!         scope.spawn(|| assert_eq!(COUNTER, 0));
//!     }
//! });
//! ```
//!
//! but the `+= 1` does not (error E0594): the static is immutable.
//!
//! ```compile_fail,E0594
//! static COUNTER: u64 = 0;
//!
//! fn increment_counter(_fake_value: usize) {
//!     for _ in 0..100 {
//!         COUNTER += 1; // error[E0594]: cannot assign to immutable static item `COUNTER`
//!     }
//! }
//!
//! std::thread::scope(|scope| {
//!     for fake_value in 0..5000 {
//!         scope.spawn(move || increment_counter(fake_value));
//!     }
//! });
//! ```
//!
//! Changing a value through a shared reference takes interior mutability, and that is where
//! `Sync` comes in: a `static` must be `Sync`, safe to reach from several threads at once. A
//! `Mutex` and an atomic are; a `Cell`, whose `set` no thread coordinates, is not (error E0277):
//!
//! ```compile_fail,E0277
//! use std::cell::Cell;
//!
//! // error[E0277]: `Cell<u64>` cannot be shared between threads safely
//! static COUNTER: Cell<u64> = Cell::new(0);
//!
//! fn increment_counter(_fake_value: usize) {
//!     for _ in 0..100 {
//!         COUNTER.set(COUNTER.get() + 1);
//!     }
//! }
//!
//! std::thread::scope(|scope| {
//!     for fake_value in 0..5000 {
//!         scope.spawn(move || increment_counter(fake_value));
//!     }
//! });
//! ```
//!
//! What compiles says who may write, and when: a lock (`race_condition`), an atomic add
//! (`race_condition_atomic`), or no sharing at all, each thread counting its own and the counts
//! added at the end (`race_condition_sums`). Each prints exactly 500,000, every run.

use std::fmt;

use clap::builder::RangedU64ValueParser;

/// The article's `fake_data = [x for x in range(5000)]`: one call of `increment_counter` each.
pub const TASKS: usize = 5000;
/// How many times each call adds 1: the article's `range(100)`.
pub const INCREMENTS: u64 = 100;
/// What `counter` must be at the end: 5,000 x 100.
pub const EXPECTED: u64 = TASKS as u64 * INCREMENTS;

/// A thread the system would not start (too many threads, or no memory for its stack): thread
/// number `.0` of `.1`, and why.
#[derive(thiserror::Error)]
#[error("cannot start thread {0} of {1}: {2}")]
pub struct SpawnError(pub usize, pub usize, pub std::io::Error);

/// The same as its `Display`: a `main` that returns the error prints `Error: ` and this one line.
impl fmt::Debug for SpawnError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

/// The command line the three programs share.
#[derive(clap::Parser, Debug)]
#[command(about = "5,000 tasks on a pool of threads each add 1 to one counter 100 times.")]
pub struct Args {
    /// Threads to share the 5,000 tasks among [default: 5000, the article's `max_workers=5000`:
    /// one thread per task]. Fewer threads each run more tasks; the total stays 500,000.
    #[arg(long, value_name = "N", default_value_t = TASKS, value_parser = RangedU64ValueParser::<usize>::new().range(1..=TASKS as u64), hide_default_value = true)]
    pub workers: usize,
}

impl Args {
    /// Parses the command line; bad usage prints a one-line error and the usage, and exits
    /// with status 2 (the contract every program of the workspace keeps).
    pub fn parse_args() -> Self {
        contract::parse_args()
    }

    /// How many tasks each thread runs, so that `--workers` threads run all of them:
    /// `fake_data.chunks(args.tasks_per_thread())` gives one slice per thread.
    pub fn tasks_per_thread(&self) -> usize {
        TASKS.div_ceil(self.workers)
    }
}
