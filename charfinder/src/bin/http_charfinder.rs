//! # Character finder over HTTP (axum)
//!
//! Ports Fluent Python's
//! [`web_mojifinder.py`](https://github.com/fluentpython/example-code-2e/blob/4ae4096c4cb8848d0c1dcf24ff2cb7efb72e3b2b/21-async/mojifinder/web_mojifinder.py):
//! FastAPI's routes, its `q: str` parameter and pydantic model, as axum's `Router`, a `Query`
//! extractor and a serde struct; `/` is the original's page, `/search?q=` answers JSON.
//!
//!     cargo run --release -p charfinder --bin http_charfinder    # then open the URL it prints
//!
//! What to watch for: the page asks for small JSON answers and draws the table itself, so the
//! server never renders HTML; each request is a task, as in the TCP server. A missing `q` is a
//! 400 here (FastAPI: 422), and answers come sorted (FastAPI: a set's order). `docs/servers.md`.
//!
//! ```text
//! Building index.
//! Serving on http://127.0.0.1:8000/. Hit CTRL-C to stop.
//! ```

use std::io;
use std::net::SocketAddr;
use std::sync::Arc;

use anyhow::Context;
use axum::extract::{Query, State};
use axum::response::{Html, Json};
use axum::routing::get;
use axum::{Router, serve::Listener};
use charfinder::InvertedIndex;
use charfinder::tcp::AcceptErrors;
use serde::{Deserialize, Serialize};
use tokio::net::{TcpListener, TcpStream};

/// The page: the original's `static/form.html`, unchanged (kept once, beside the Python
/// server that serves it too), built into the binary.
const FORM: &str = include_str!("../../../python/static/form.html");

/// The server's command line: uvicorn's defaults.
#[derive(clap::Parser)]
#[command(about = "Finds Unicode characters by name: a web page and a JSON API.")]
struct Args {
    /// The address to listen on.
    #[arg(long, default_value = "127.0.0.1")]
    host: String,
    /// The port to listen on (0: any free port; the `Serving on` line says which).
    #[arg(long, default_value_t = 8000)]
    port: u16,
}

/// The query string, as FastAPI's `q: str` (required: without it the request is refused).
#[derive(Deserialize)]
struct SearchParams {
    q: String,
}

/// One result, as the original's pydantic model `CharName`.
#[derive(Serialize)]
struct CharName {
    char: String,
    name: String,
}

/// `GET /search?q=...`: the characters whose names have every word of `q`. An `async fn` as in
/// the original; the search is a few microseconds of CPU, so it runs right on the runtime.
async fn search(
    State(index): State<Arc<InvertedIndex>>,
    Query(params): Query<SearchParams>,
) -> Json<Vec<CharName>> {
    let chars = index.search(&params.q);
    let results = chars.into_iter().map(|c| CharName {
        char: c.to_string(),
        name: charfinder::name(c).unwrap_or_default(),
    });
    Json(results.collect())
}

/// `GET /`: the page. (The original's is a plain `def`, which FastAPI runs on a thread of its
/// pool; returning a constant, this one needs no thread.)
async fn form() -> Html<&'static str> {
    Html(FORM)
}

/// The listener, with the TCP servers' answer to `accept` errors: said once, waited out.
/// (axum's own waits 1 s after each and reports it only through `tracing`: one of axum's default
/// features, which this workspace turns off, and even on, silent until a program installs a
/// `tracing` subscriber, as this one does not.)
struct Accepting(TcpListener, AcceptErrors);

impl Listener for Accepting {
    type Io = TcpStream;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (TcpStream, SocketAddr) {
        loop {
            match self.0.accept().await {
                Ok(accepted) => return accepted,
                Err(e) => tokio::time::sleep(self.1.wait_after(&e)).await,
            }
        }
    }

    fn local_addr(&self) -> io::Result<SocketAddr> {
        self.0.local_addr()
    }
}

#[tokio::main]
async fn main() -> contract::Result<()> {
    let args: Args = contract::parse_args();
    charfinder::tcp::exit_on_ctrl_c()?;
    println!("Building index.");
    let index = Arc::new(InvertedIndex::new());
    let app = Router::new()
        .route("/search", get(search))
        .route("/", get(form))
        .with_state(index);
    let listener = TcpListener::bind((args.host.as_str(), args.port))
        .await
        .with_context(|| format!("cannot listen on {}:{}", args.host, args.port))?;
    let address = listener.local_addr()?;
    let url = format!("http://{address}/");
    println!("{}", charfinder::tcp::serving_line(url));
    // Each connection is a task, as each client of `tcp_charfinder` is.
    axum::serve(Accepting(listener, AcceptErrors::default()), app).await?;
    Ok(())
}
