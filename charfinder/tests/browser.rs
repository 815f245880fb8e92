//! The page in a real browser: Debian's chromium, headless, driven through chromedriver
//! (WebDriver, with the fantoccini crate). It types a query, presses Search, and reads the
//! table, which must say what `/search` answers. Without chromium and chromedriver the test
//! skips, with a message, unless `REQUIRE_BROWSER=1` (as CI sets it): then it fails.
//! `.ci/install-browser` installs both.

mod common;

use std::net::{SocketAddr, TcpListener};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::{HTTP, PATIENCE, Server, get};
use fantoccini::{Client, ClientBuilder, Locator};
use hyper_util::client::legacy::connect::HttpConnector;
use serde_json::{Value, json};

/// The first of `names` found on the PATH.
fn find(names: &[&str]) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .flat_map(|dir| names.iter().map(move |name| dir.join(name)))
        .find(|file| file.is_file())
}

/// chromedriver, killed when dropped, with the browser's fresh profile removed.
struct Driver {
    child: Child,
    port: u16,
    profile: PathBuf,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.profile);
    }
}

fn start_driver(chromedriver: &PathBuf) -> Driver {
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let child = Command::new(chromedriver)
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("chromedriver starts");
    let profile = std::env::temp_dir().join(format!("charfinder-chromium-{}", std::process::id()));
    Driver {
        child,
        port,
        profile,
    }
}

async fn connect(driver: &Driver, chromium: &PathBuf) -> Client {
    // No internet here: nothing the browser would fetch on its own (updates, sync, QUIC probes).
    let args = [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        &format!("--user-data-dir={}", driver.profile.display()),
    ];
    let options = json!({ "binary": chromium, "args": args });
    let mut capabilities = serde_json::Map::new();
    capabilities.insert("goog:chromeOptions".to_owned(), options);
    let url = format!("http://127.0.0.1:{}", driver.port);
    let deadline = Instant::now() + PATIENCE;
    loop {
        let builder = ClientBuilder::new(HttpConnector::new())
            .capabilities(capabilities.clone())
            .connect(&url)
            .await;
        match builder {
            Ok(client) => return client,
            // chromedriver may not listen yet.
            Err(_) if Instant::now() < deadline => {
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
            Err(e) => panic!("no WebDriver session: {e}"),
        }
    }
}

/// The caption and the table's rows, each as its cells' text, read in one script: the page can
/// fill its table twice for one search (the input's `change` and the button's click both ask),
/// and read cell by cell, a second filling could replace the cells between two reads.
const READ_TABLE: &str = "return [document.querySelector('caption').textContent, \
    Array.from(document.querySelectorAll('table tr'), \
        (row) => Array.from(row.querySelectorAll('td'), (cell) => cell.textContent))];";

/// Types `query`, presses Search, waits for the caption to say `caption`, and returns the
/// table's rows, each as its cells' text.
async fn search_in_page(browser: &Client, query: &str, caption: &str) -> Vec<Vec<String>> {
    let input = browser.find(Locator::Id("query")).await.unwrap();
    input.clear().await.unwrap();
    input.send_keys(query).await.unwrap();
    let button = browser.find(Locator::Css("button")).await.unwrap();
    button.click().await.unwrap();
    let deadline = Instant::now() + PATIENCE;
    loop {
        let table = browser.execute(READ_TABLE, vec![]).await.unwrap();
        let (said, rows): (String, Vec<Vec<String>>) = serde_json::from_value(table).unwrap();
        if said == caption {
            return rows;
        }
        assert!(Instant::now() < deadline, "the caption says {said:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// `/search`'s answer for `q` (percent-encoded), as the table's rows should show it.
fn expected_rows(server: SocketAddr, q: &str) -> Vec<Vec<String>> {
    let (status, body) = get(server, &format!("/search?q={q}"));
    assert_eq!(status, 200, "{body}");
    let json: Value = serde_json::from_str(&body).unwrap();
    let items = json.as_array().unwrap().iter().map(|item| {
        let char = item["char"].as_str().unwrap();
        let code = char.chars().next().unwrap();
        let name = item["name"].as_str().unwrap();
        vec![
            format!("U+{:04X}", u32::from(code)),
            char.to_owned(),
            name.to_owned(),
        ]
    });
    items.collect()
}

async fn check_page(browser: Client, server: SocketAddr) {
    browser.goto(&format!("http://{server}/")).await.unwrap();
    let rows = search_in_page(&browser, "cat face", "10 characters found").await;
    assert_eq!(rows, expected_rows(server, "cat%20face"));
    assert_eq!(rows[0], ["U+1F431", "🐱", "CAT FACE"]);
    let rows = search_in_page(&browser, "right-pointing magnifying", "1 character found").await;
    assert_eq!(rows, expected_rows(server, "right-pointing%20magnifying"));
    let rows = search_in_page(&browser, "brillig", "0 characters found").await;
    assert!(rows.is_empty());
}

#[tokio::test]
async fn the_page_shows_what_search_answers() {
    let chromium = find(&["chromium", "chromium-browser"]);
    let chromedriver = find(&["chromedriver"]);
    let (Some(chromium), Some(chromedriver)) = (chromium, chromedriver) else {
        let why = "chromium or chromedriver is missing (run .ci/install-browser)";
        assert!(
            std::env::var_os("REQUIRE_BROWSER").is_none_or(|v| v != "1"),
            "{why}"
        );
        eprintln!("skipped: {why}");
        return;
    };
    let server = Server::start(HTTP);
    let driver = start_driver(&chromedriver);
    let browser = connect(&driver, &chromium).await;
    // The browser is closed however the checks end, so that no chromium outlives the test.
    let outcome = tokio::spawn(check_page(browser.clone(), server.addr)).await;
    let _ = browser.close().await;
    drop(driver);
    if let Err(panic) = outcome {
        std::panic::resume_unwind(panic.into_panic());
    }
}
