//! The tests' shared support, written once and linked by no program: every crate whose tests use
//! it lists it under `[dev-dependencies]` only, so an example's own dependency tree (`cargo tree
//! -e normal -p io_sequential`) holds none of it.
//!
//! - [`program`]: the checks every program's tests share: closed pipes, refused threads, clap's
//!   refusals, the CPU programs' sums and machine code, and a pseudo-terminal harness
//!   (`program::spawn_on_pty`, Unix only).
//! - [`usage`]: every bad command line of the downloaders' contract.
//! - [`downloads`]: the downloaders' checks against a server: a stand-in that dies mid-run or
//!   injects faults and timeouts, and a hostile server (`downloads/hostile.rs`).

pub mod downloads;
pub mod program;
pub mod usage;
