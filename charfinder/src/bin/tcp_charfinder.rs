//! # Character finder over TCP, a task per client (tokio)
//!
//! Ports Fluent Python's
//! [`tcp_mojifinder.py`](https://github.com/fluentpython/example-code-2e/blob/4ae4096c4cb8848d0c1dcf24ff2cb7efb72e3b2b/21-async/mojifinder/tcp_mojifinder.py):
//! `asyncio.start_server`, a coroutine per client that prompts, reads a line and answers.
//!
//!     cargo run --release -p charfinder --bin tcp_charfinder     # then: nc 127.0.0.1 2323
//!
//! What to watch for: a silent client costs its task and a 1 KiB read buffer, not a thread, and
//! no one waits for it; every `write_all` awaits, as every `drain` does in the original.
//! The same server with a thread per client: `tcp_charfinder_threads`; one client at a time:
//! `tcp_charfinder_sequential`. Costs and lessons: `docs/servers.md`.
//!
//! ```text
//! Building index.
//! Serving on ('127.0.0.1', 2323). Hit CTRL-C to stop.
//!  From ('127.0.0.1', 52114): 'cat face'
//!    To ('127.0.0.1', 52114): 10 results.
//! ```

use std::io;
use std::sync::Arc;

use anyhow::Context;
use charfinder::InvertedIndex;
use charfinder::tcp::{AcceptErrors, Args, PROMPT, Peer, TOO_LONG};
use tokio::io::{
    AsyncBufRead, AsyncBufReadExt, AsyncReadExt, AsyncWrite, AsyncWriteExt, BufReader,
};
use tokio::net::{TcpListener, TcpStream};

/// One client's session: prompt, read a query, answer, until the client ends it.
async fn finder(index: &InvertedIndex, socket: &mut TcpStream, client: Peer) -> io::Result<()> {
    // Each write leaves at once, as on asyncio's transports, which set TCP_NODELAY on every TCP
    // socket (`_SelectorSocketTransport.__init__` in CPython's
    // https://github.com/python/cpython/blob/v3.11.0/Lib/asyncio/selector_events.py). Without
    // it, Nagle's algorithm holds back the status line until the client acknowledges the lines
    // before it, and the client delays its acknowledgement (40 ms at least on Linux,
    // `TCP_ATO_MIN` in https://github.com/torvalds/linux/blob/v6.12/include/net/tcp.h).
    socket.set_nodelay(true)?;
    let (reader, mut writer) = socket.split();
    // A buffer as long as a line may be, not the default 8 KiB: every idle client holds one.
    let mut reader = BufReader::with_capacity(charfinder::tcp::MAX_LINE, reader);
    loop {
        // The original's `writer.write(PROMPT)` cannot be awaited: it sends what the kernel
        // takes and keeps the rest in the transport's buffer, which grows without bound if the
        // client never reads; `await writer.drain()` is where the coroutine waits once that
        // buffer is past its high mark (64 KiB), until it is down to its low mark. tokio has no
        // such buffer: `write_all` hands the bytes to the kernel's socket buffer, and awaits
        // when it is full, so it is `write` and `drain` at once. A client that does not read
        // holds this task back, and no memory piles up for it.
        writer.write_all(PROMPT).await?;
        let data = readline(&mut reader).await?;
        if data.is_empty() {
            break; // The client has gone (the original would prompt again).
        }
        let Some(query) = charfinder::tcp::decode(&data) else {
            writer.write_all(TOO_LONG).await?;
            return Err(charfinder::tcp::line_too_long());
        };
        println!(" From {client}: {}", charfinder::tcp::repr(&query));
        if !query.is_empty() {
            if charfinder::tcp::ends_session(&query) {
                break;
            }
            let results = search(&query, index, &mut writer).await?;
            println!("   To {client}: {results} results.");
        }
    }
    Ok(())
}

/// Reads a line, at most `MAX_LINE` bytes of it: a client cannot make the server hold more.
async fn readline(reader: &mut (impl AsyncBufRead + Unpin)) -> io::Result<Vec<u8>> {
    let mut data = Vec::new();
    let limit = charfinder::tcp::MAX_LINE as u64;
    reader.take(limit).read_until(b'\n', &mut data).await?;
    Ok(data)
}

/// Writes the answer's lines, then the status line; returns how many characters were found.
async fn search(
    query: &str,
    index: &InvertedIndex,
    writer: &mut (impl AsyncWrite + Unpin),
) -> io::Result<usize> {
    let (lines, found) = charfinder::tcp::answer(index, query);
    writer.write_all(&lines).await?;
    writer.write_all(&charfinder::tcp::status(found)).await?;
    Ok(found)
}

/// Accepts clients for ever, each in a task of its own.
async fn supervisor(index: Arc<InvertedIndex>, listener: TcpListener) {
    let mut errors = AcceptErrors::default();
    loop {
        let (mut socket, address) = match listener.accept().await {
            Ok(accepted) => accepted,
            Err(e) => {
                tokio::time::sleep(errors.wait_after(&e)).await;
                continue;
            }
        };
        let index = Arc::clone(&index);
        // A task per client, as `start_server` starts a coroutine for each: while one awaits
        // its client, the runtime runs the others. A task is a small state machine on the
        // heap, not a thread with a stack, so ten thousand idle clients cost little.
        tokio::spawn(async move {
            let client = Peer(address);
            let result = finder(&index, &mut socket, client).await;
            charfinder::tcp::log_close(client, result);
        });
    }
}

#[tokio::main]
async fn main() -> contract::Result<()> {
    let args: Args = contract::parse_args();
    charfinder::tcp::exit_on_ctrl_c()?;
    println!("Building index.");
    let index = Arc::new(InvertedIndex::new());
    let listener = TcpListener::bind((args.host.as_str(), args.port))
        .await
        .with_context(|| format!("cannot listen on {}:{}", args.host, args.port))?;
    let address = Peer(listener.local_addr()?);
    println!("{}", charfinder::tcp::serving_line(address));
    supervisor(index, listener).await;
    Ok(())
}
