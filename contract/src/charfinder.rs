//! The lines of the character finder (`charfinder`'s command and its servers) that a client reads:
//! the prompt, the status line that ends an answer and says its count, and the `Serving on` line
//! that says where a server listens. They are written by the servers and read by their tests and
//! by `cargo xtask`'s load clients, so they live here, as the downloaders' [`Summary`] does.
//!
//! [`Summary`]: crate::Summary

use std::fmt;
use std::net::{IpAddr, SocketAddr};

/// Asks the client for a query.
pub const PROMPT: &[u8] = b"?> ";

/// The last line of an answer: `'─' * 66`, a space, `{n} found`.
pub fn status_line(found: usize) -> String {
    format!("{} {found} found", "─".repeat(66))
}

/// The count a [`status_line`] says (its line end, if any, trimmed); `None` for any other line.
/// What a client reads an answer's end by.
pub fn found_in(line: &str) -> Option<usize> {
    let rest = line.strip_prefix("─".repeat(66).as_str())?;
    rest.trim().strip_suffix(" found")?.parse().ok()
}

/// The first line a server prints once it listens: `Serving on ('127.0.0.1', 2323). Hit
/// CTRL-C to stop.` (the HTTP server: `Serving on http://127.0.0.1:8000/. Hit CTRL-C to stop.`).
pub fn serving_line(address: impl fmt::Display) -> String {
    format!("Serving on {address}. Hit CTRL-C to stop.")
}

/// The address a `Serving on` line names, in either form (for tests and load clients, which
/// start a server with `--port 0` and read where it listens).
pub fn serving_address(line: &str) -> Option<SocketAddr> {
    let rest = line.strip_prefix("Serving on ")?;
    if let Some(url) = rest.strip_prefix("http://") {
        return url.split('/').next()?.parse().ok();
    }
    let (ip, rest) = rest.strip_prefix("('")?.split_once("', ")?;
    let port = rest.split([',', ')']).next()?;
    Some(SocketAddr::new(
        ip.parse::<IpAddr>().ok()?,
        port.parse().ok()?,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_status_lines_count_reads_back() {
        assert_eq!(found_in(&status_line(10)), Some(10));
        assert_eq!(found_in(&(status_line(0) + "\r\n")), Some(0));
        assert_eq!(found_in("─ 10 found"), None);
        assert_eq!(found_in(&status_line(1).replace("found", "seen")), None);
        assert_eq!(found_in("U+0041\tA\tLATIN CAPITAL LETTER A"), None);
        assert_eq!(status_line(1).chars().filter(|&c| c == '─').count(), 66);
    }

    #[test]
    fn a_serving_lines_address_reads_back() {
        let v4: SocketAddr = "127.0.0.1:2323".parse().unwrap();
        let line = serving_line("('127.0.0.1', 2323)");
        assert_eq!(line, "Serving on ('127.0.0.1', 2323). Hit CTRL-C to stop.");
        assert_eq!(serving_address(&line), Some(v4));
        let v6: SocketAddr = "[::1]:8000".parse().unwrap();
        assert_eq!(
            serving_address(&serving_line("('::1', 8000, 0, 0)")),
            Some(v6)
        );
        let http = serving_line(format_args!("http://{v6}/"));
        assert_eq!(serving_address(&http), Some(v6));
        assert_eq!(serving_address("Serving on nothing"), None);
    }
}
