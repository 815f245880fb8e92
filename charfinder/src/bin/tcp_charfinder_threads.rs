//! # Character finder over TCP, a thread per client
//!
//! Fluent Python's
//! [`tcp_mojifinder.py`](https://github.com/fluentpython/example-code-2e/blob/4ae4096c4cb8848d0c1dcf24ff2cb7efb72e3b2b/21-async/mojifinder/tcp_mojifinder.py)
//! with an OS thread per client instead of a coroutine: `std::net`, blocking reads and writes.
//!
//!     cargo run --release -p charfinder --bin tcp_charfinder_threads   # then: nc 127.0.0.1 2323
//!
//! What to watch for: the same sessions as `tcp_charfinder` (diff the two), with a thread for
//! each client, idle or not: `ps -o nlwp,rss -p $(pgrep -n tcp_charfinder)` grows with every
//! connection. A thread the OS refuses is an error line for that client only. `docs/servers.md`.
//!
//! ```text
//! Building index.
//! Serving on ('127.0.0.1', 2323). Hit CTRL-C to stop.
//!  From ('127.0.0.1', 52114): 'cat face'
//!    To ('127.0.0.1', 52114): 10 results.
//! ```

use std::io;
use std::sync::Arc;
use std::thread;

use anyhow::Context;
use charfinder::InvertedIndex;
use charfinder::tcp::{AcceptErrors, Args, PROMPT, Peer, Sessions, TOO_LONG};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};

/// One client's session: prompt, read a query, answer, until the client ends it.
fn finder(index: &InvertedIndex, socket: &TcpStream, client: Peer) -> io::Result<()> {
    // Each write leaves at once, as on asyncio's transports, which set TCP_NODELAY on every TCP
    // socket (`_SelectorSocketTransport.__init__` in CPython's
    // https://github.com/python/cpython/blob/v3.11.0/Lib/asyncio/selector_events.py). Without
    // it, Nagle's algorithm holds back the status line until the client acknowledges the lines
    // before it, and the client delays its acknowledgement (40 ms at least on Linux,
    // `TCP_ATO_MIN` in https://github.com/torvalds/linux/blob/v6.12/include/net/tcp.h).
    socket.set_nodelay(true)?;
    let (reader, mut writer) = (socket, socket);
    // A buffer as long as a line may be, not the default 8 KiB: every idle client holds one.
    let mut reader = BufReader::with_capacity(charfinder::tcp::MAX_LINE, reader);
    loop {
        // `write_all` blocks this thread, and only this one, until the kernel's socket buffer
        // takes the bytes: a client that does not read holds its own thread back.
        writer.write_all(PROMPT)?;
        let data = readline(&mut reader)?;
        if data.is_empty() {
            break; // The client has gone (the original would prompt again).
        }
        let Some(query) = charfinder::tcp::decode(&data) else {
            writer.write_all(TOO_LONG)?;
            return Err(charfinder::tcp::line_too_long());
        };
        println!(" From {client}: {}", charfinder::tcp::repr(&query));
        if !query.is_empty() {
            if charfinder::tcp::ends_session(&query) {
                break;
            }
            let results = search(&query, index, &mut writer)?;
            println!("   To {client}: {results} results.");
        }
    }
    Ok(())
}

/// Reads a line, at most `MAX_LINE` bytes of it: a client cannot make the server hold more.
fn readline(reader: &mut impl BufRead) -> io::Result<Vec<u8>> {
    let mut data = Vec::new();
    let limit = charfinder::tcp::MAX_LINE as u64;
    reader.take(limit).read_until(b'\n', &mut data)?;
    Ok(data)
}

/// Writes the answer's lines, then the status line; returns how many characters were found.
fn search(query: &str, index: &InvertedIndex, writer: &mut impl Write) -> io::Result<usize> {
    let (lines, found) = charfinder::tcp::answer(index, query);
    writer.write_all(&lines)?;
    writer.write_all(&charfinder::tcp::status(found))?;
    Ok(found)
}

/// Accepts clients for ever, each in a thread of its own, as many at once as the OS allows
/// (`charfinder::tcp::Sessions`).
fn supervisor(index: Arc<InvertedIndex>, listener: TcpListener) {
    let mut errors = AcceptErrors::default();
    let sessions = Sessions::within_thread_cap();
    loop {
        let (socket, address) = match listener.accept() {
            Ok(accepted) => accepted,
            Err(e) => {
                thread::sleep(errors.wait_after(&e));
                continue;
            }
        };
        let Some(session) = sessions.admit(&socket, Peer(address)) else {
            continue;
        };
        let index = Arc::clone(&index);
        // A thread per client: while one blocks on its client, the OS runs the others. Each
        // thread has a stack of its own (2 MiB of address space, touched only as it is used)
        // and is the kernel's to schedule, so the OS's limits on threads and memory are the
        // server's. The socket is shared with the thread (`&TcpStream` reads and writes), so
        // that a thread the OS refuses leaves it here to tell that client why.
        let socket = Arc::new(socket);
        let shared = Arc::clone(&socket);
        let spawned = thread::Builder::new().spawn(move || {
            let _session = session;
            let client = Peer(address);
            let result = finder(&index, &shared, client);
            charfinder::tcp::log_close(client, result);
        });
        if let Err(e) = spawned {
            charfinder::tcp::refuse(&mut &*socket, Peer(address), &e);
        }
    }
}

fn main() -> contract::Result<()> {
    let args: Args = contract::parse_args();
    charfinder::tcp::exit_on_ctrl_c()?;
    println!("Building index.");
    let index = Arc::new(InvertedIndex::new());
    let listener = TcpListener::bind((args.host.as_str(), args.port))
        .with_context(|| format!("cannot listen on {}:{}", args.host, args.port))?;
    let address = Peer(listener.local_addr()?);
    println!("{}", charfinder::tcp::serving_line(address));
    supervisor(index, listener);
    Ok(())
}
