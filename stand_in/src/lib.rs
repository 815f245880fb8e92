//! A local stand-in for the article's two web sites, so that every downloader runs offline and
//! the same every time: the two pages ([`pages`]) and Fluent Python's flags ([`flags`]), served by hyper on a thread of its own with a
//! delay per answer and optional faults ([`server`]), and a log of every request it saw, which
//! the tests read to check concurrency and `cargo xtask` draws as timelines.
//!
//! Not an example: what the downloaders talk to. The checks every downloader's tests share (a
//! server that dies mid-run, injected faults, timeouts, a hostile server) are in the `testkit`
//! crate's `downloads` module, a dev-dependency only.

pub mod counts;
pub mod flags;
pub mod pages;
pub mod server;

pub use server::{Config, StandIn};
