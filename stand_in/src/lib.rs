//! What Python gives the article for free and Rust does not: a local stand-in for the
//! article's two sites ([`server`]), the command line every downloader shares ([`cli`]), and the
//! output lines every program prints and every checker reads ([`contract`]).
//!
//! Fluent Python keeps the same kind of thing in `flags.py`, imported by each `flags_*.py`.
//! The examples depend on this crate; they never depend on each other.

pub mod cli;
pub mod contract;
pub mod exits;
pub mod limits;
pub mod pages;
pub mod server;
#[doc(hidden)]
pub mod testing;

pub use cli::{DownloadArgs, REAL_URLS, Sites, StandInArgs};
pub use contract::{MAX_BODY_BYTES, MAX_REDIRECTS, Summary, Transcript};
pub use server::{Config, StandIn};
