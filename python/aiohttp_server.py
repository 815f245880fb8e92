#!/usr/bin/env python3
"""The local stand-in, served by aiohttp: the article's two pages, each after --latency-ms.

The same two pages as the Rust stand-in (`cargo xtask serve`: hyper on one tokio thread, in
stand_in/src/server.rs and stand_in/src/pages.rs), byte for byte, served instead by aiohttp's server
on asyncio's event loop: the Rust async clients meet aiohttp's server here, as io_asyncio.py's
aiohttp client meets hyper's. It prints its base URL on one line when it is ready, and on
Ctrl-C or SIGTERM how many requests it answered.

    python3 python/aiohttp_server.py --port 8081 --latency-ms 50
    cargo run --release -p io_async -- --url http://127.0.0.1:8081/www.jython.org \\
        --url http://127.0.0.1:8081/olympus.realpython.org/dice
"""

import asyncio
import signal
import sys

from aiohttp import web

import contract


def html(title, content, size):
    """An HTML page of exactly `size` bytes, made as stand_in/src/pages.rs makes it."""
    page = f"<!DOCTYPE html>\n<html>\n<head><title>{title}</title></head>\n<body>\n{content}"
    tail = "</body>\n</html>\n"
    filler = "<p>Filler text, so this page weighs what the real one did.</p>\n"
    while len(page) + len(filler) + len(tail) <= size:
        page += filler
    page += " " * (size - len(page) - len(tail)) + tail
    return page.encode()


# The sizes Real Python's run of the article printed: 10,966 and 276 bytes.
JYTHON = html(
    "Home | Jython",
    "<h1>Jython: Python for the Java Platform</h1>\n<p>A local stand-in for www.jython.org.</p>\n",
    10_966,
)
DICE = html("Dice", "<h1>Your dice roll:</h1>\n<h2>4</h2>\n", 276)
PAGES = {
    "/": JYTHON,
    "/www.jython.org": JYTHON,
    "/www.jython.org/": JYTHON,
    "/dice": DICE,
    "/olympus.realpython.org/dice": DICE,
}
NOT_FOUND = b"<!DOCTYPE html>\n<title>404</title><h1>Not found</h1>\n"


async def serve(port, latency):
    served = 0

    async def answer(request):
        nonlocal served
        # The latency: a timer, so the event loop serves the other connections meanwhile.
        await asyncio.sleep(latency)
        served += 1
        body = PAGES.get(request.path)
        return web.Response(
            status=404 if body is None else 200,
            body=NOT_FOUND if body is None else body,
            headers={"Content-Type": "text/html; charset=utf-8"},
        )

    app = web.Application()
    app.router.add_get("/{path:.*}", answer)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    # The Rust stand-in's long accept queue: 160 clients may connect in the same millisecond.
    site = web.TCPSite(runner, "127.0.0.1", port, backlog=8192)
    try:
        await site.start()
    except OSError as e:
        print(f"error: cannot listen on 127.0.0.1:{port}: {e}", file=sys.stderr)
        return 1
    stop = asyncio.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        asyncio.get_running_loop().add_signal_handler(signum, stop.set)
    host, port = runner.addresses[0][:2]
    print(f"http://{host}:{port}", flush=True)
    await stop.wait()
    await runner.cleanup()
    print(f"Served {served} requests", flush=True)
    return 0


if __name__ == "__main__":
    parser = contract.Parser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--port",
        type=contract.whole_number(0, 65535),
        default=0,
        metavar="P",
        help="port to listen on, on 127.0.0.1 (default 0: any free one)",
    )
    parser.add_argument(
        "--latency-ms",
        type=contract.whole_number(0),
        default=50,
        metavar="MS",
        help="delay before every answer, in milliseconds (default 50)",
    )
    args = parser.parse_args()
    with contract.quiet_when_stdout_closes():
        status = asyncio.run(serve(args.port, args.latency_ms / 1000))
    sys.exit(status)
