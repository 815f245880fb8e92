//! Mistakes in the command line that clap cannot see, told as clap tells its own: here, where
//! both `main.rs` and the commands can reach them.

/// A mistake in the command line that clap cannot see (a pattern that matches no program):
/// reported like clap's own, with exit status 2.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct UsageError(pub String);
