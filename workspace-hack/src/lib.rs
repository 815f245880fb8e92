//! Empty on purpose: a crate that every member depends on, so that the crates every member's tree
//! holds (clap's: rustix, syn; on macOS libc and errno; on Windows windows-sys) are built with one
//! set of features, whatever a learner types.
//!
//! Cargo resolves features for the packages it is asked to build: `cargo run -p cpu_sequential`
//! asks for clap's own, while `cargo test --workspace` adds what tokio's, async-std's and url's
//! dependents ask of the same crates, so each switch between the two recompiled clap and
//! everything on it. This crate's `Cargo.toml` asks for the union, and only for crates that are
//! in every tree already, so that no member's tree grows by it. The rest of the alignment, and
//! the check that it holds (`.ci/one-build`), are in ARCHITECTURE.md, "One build of each
//! dependency".
