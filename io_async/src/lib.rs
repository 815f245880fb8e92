//! What `io_async_smol` and `io_async_std` share: a small HTTP/1.1 session, the part of aiohttp's
//! `ClientSession` the article uses, built from hyper's client connection over any runtime's
//! own `TcpStream`. (`io_async`, on tokio, uses reqwest instead; it takes only the TLS settings,
//! [`tls_config`], so that all three binaries trust the same roots with the same crypto.)
//!
//! reqwest runs only on tokio. smol and async-std have no reqwest of their own, but hyper's
//! lowest layer, [`hyper::client::conn::http1::handshake`], runs over any byte stream and any
//! executor: give it a connected socket, spawn the connection's driver as a task, and it sends
//! requests. So the two binaries hand this module their runtime (how to connect a socket, how to
//! spawn a task, the [`Runtime`] trait) and get the same [`Session`] back. That is why
//! `diff src/bin/io_async_smol.rs src/bin/io_async_std.rs` shows the runtime and nothing else.

mod hyper_over_futures_io;

pub use hyper_over_futures_io::{Error, Runtime, Session, tls_config};
