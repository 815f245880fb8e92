//! `http_charfinder`: the page, and `/search` for every kind of `q` a client may send.

mod common;

use std::net::SocketAddr;

use common::{HTTP, Server, get};
use serde_json::Value;

/// `/search`'s answer, checked to be a JSON list of `{"char", "name"}`, as (char, name) pairs.
fn search(addr: SocketAddr, q: &str) -> Vec<(String, String)> {
    let (status, body) = get(addr, &format!("/search?q={q}"));
    let shown: String = q.chars().take(40).collect();
    assert_eq!(status, 200, "{shown}: {body}");
    let json: Value = serde_json::from_str(&body).unwrap();
    let pairs = json.as_array().expect("a list").iter().map(|item| {
        let object = item.as_object().expect("an object");
        assert_eq!(object.len(), 2, "{item}");
        let field = |key: &str| item[key].as_str().expect(key).to_owned();
        (field("char"), field("name"))
    });
    pairs.collect()
}

/// What the library finds for `query`, as `/search` should answer it.
fn expected(query: &str) -> Vec<(String, String)> {
    let index = charfinder::InvertedIndex::new();
    let chars = index.search(query).into_iter();
    chars
        .map(|c| (c.to_string(), charfinder::name(c).unwrap()))
        .collect()
}

#[test]
fn the_page_and_the_search() {
    let server = Server::start(HTTP);
    let (status, page) = get(server.addr, "/");
    assert_eq!(status, 200);
    assert!(
        page.contains(r#"<input id="query" type="search""#),
        "{page}"
    );
    let found = search(server.addr, "cat%20face");
    assert_eq!(found, expected("cat face"));
    assert_eq!(found.len(), 10);
    assert_eq!(found[0], ("🐱".to_owned(), "CAT FACE".to_owned()));
}

#[test]
fn every_kind_of_q() {
    let server = Server::start(HTTP);
    let addr = server.addr;
    // No `q`: refused by the `Query` extractor, as FastAPI refuses it (with 422 there).
    let (status, body) = get(addr, "/search");
    assert_eq!(status, 400, "{body}");
    assert!(body.contains("missing field `q`"), "{body}");
    // An empty `q`, and words with no characters: an empty list.
    assert!(search(addr, "").is_empty());
    assert!(search(addr, "%20%20").is_empty());
    assert!(search(addr, "brillig").is_empty());
    // Spaces as `+` or `%20`, hyphens and case as the index reads them.
    assert_eq!(search(addr, "CAT+face"), expected("cat face"));
    assert_eq!(
        search(addr, "right-pointing%20magnifying"),
        expected("right pointing magnifying")
    );
    // Non-ASCII words, percent-encoded as a browser sends them: `ﬁ` upper-cases to `FI` (so it
    // finds what `fi` finds), `é` to `É`, which no name has.
    assert_eq!(
        search(addr, "%EF%AC%81%20ligature"),
        expected("fi ligature")
    );
    assert!(!search(addr, "%EF%AC%81%20ligature").is_empty());
    assert!(search(addr, "caf%C3%A9").is_empty());
    // Bytes that are not UTF-8 once decoded are replaced (U+FFFD), not refused.
    assert!(search(addr, "%FF").is_empty());
    // 64 KB of `q`: answered, the same as its words. 100 KB: refused by hyper, whose HTTP/1
    // parser takes request targets up to 65,534 bytes, with 414 URI Too Long.
    let long = "cat%20face%20".repeat(64_000 / 13);
    assert_eq!(search(addr, &long), expected("cat face"));
    let longer = "cat%20face%20".repeat(100_000 / 13);
    assert_eq!(get(addr, &format!("/search?q={longer}")).0, 414);
    // And the server is still there.
    assert_eq!(search(addr, "cat%20face").len(), 10);
}
