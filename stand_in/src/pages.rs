//! The two pages the stand-in serves, sized like the article's.
//!
//! Real Python's run of the article printed `Read 10966 from https://www.jython.org` and
//! `Read 276 from http://olympus.realpython.org/dice`, so the stand-in's pages are exactly
//! 10,966 and 276 bytes: the downloaders move the same amount of data as the article's did,
//! and a learner comparing output with the article sees familiar numbers.

use std::sync::LazyLock;

use bytes::Bytes;

/// Where each page lives on the stand-in, in the article's order. The paths name the sites
/// they stand in for, so a log line says which page it was.
pub const PATHS: [&str; 2] = ["/www.jython.org", "/olympus.realpython.org/dice"];

/// The two pages' URLs on a stand-in at `base_url` (`http://127.0.0.1:PORT`), in that order.
pub fn urls(base_url: &str) -> [String; 2] {
    PATHS.map(|path| format!("{base_url}{path}"))
}

/// The size of jython.org's home page when the article was written.
pub const JYTHON_LEN: usize = 10_966;
/// The size of realpython's dice page.
pub const DICE_LEN: usize = 276;

static JYTHON: LazyLock<Bytes> = LazyLock::new(|| {
    html(
        "Home | Jython",
        "<h1>Jython: Python for the Java Platform</h1>\n<p>A local stand-in for www.jython.org.</p>\n",
        JYTHON_LEN,
    )
});

static DICE: LazyLock<Bytes> =
    LazyLock::new(|| html("Dice", "<h1>Your dice roll:</h1>\n<h2>4</h2>\n", DICE_LEN));

/// The page at `path`, if there is one. `/` is jython.org's, `/dice` realpython's.
pub fn page(path: &str) -> Option<Bytes> {
    match path {
        "/" | "/www.jython.org" | "/www.jython.org/" => Some(JYTHON.clone()),
        "/dice" | "/olympus.realpython.org/dice" => Some(DICE.clone()),
        _ => None,
    }
}

pub fn error_page() -> Bytes {
    Bytes::from_static(b"<!DOCTYPE html>\n<title>500</title><h1>Injected server error</h1>\n")
}

pub fn not_found_page() -> Bytes {
    Bytes::from_static(b"<!DOCTYPE html>\n<title>404</title><h1>Not found</h1>\n")
}

/// An HTML page of exactly `len` bytes: the content, then filler paragraphs.
fn html(title: &str, content: &str, len: usize) -> Bytes {
    let head =
        format!("<!DOCTYPE html>\n<html>\n<head><title>{title}</title></head>\n<body>\n{content}");
    let tail = "</body>\n</html>\n";
    let filler = "<p>Filler text, so this page weighs what the real one did.</p>\n";
    let mut page = head;
    while page.len() + filler.len() + tail.len() <= len {
        page.push_str(filler);
    }
    let room = len
        .checked_sub(page.len() + tail.len())
        .expect("the page's fixed parts fit in its size");
    page.extend(std::iter::repeat_n(' ', room));
    page.push_str(tail);
    assert_eq!(page.len(), len);
    Bytes::from(page)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_have_the_articles_sizes() {
        assert_eq!(page(PATHS[0]).unwrap().len(), 10_966);
        assert_eq!(page(PATHS[1]).unwrap().len(), 276);
        assert_eq!(page("/"), page(PATHS[0]));
        assert!(page("/nothing-here").is_none());
    }
}
