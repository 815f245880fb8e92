#!/usr/bin/env python3
"""I/O-bound, asyncio: one task per site on one thread, one aiohttp.ClientSession.

Real Python's io_asyncio.py (Copyright (c) 2018 Real Python, MIT License), from
https://github.com/realpython/materials/blob/44102811bdc432a68a0e0480a748da109502112f/concurrency-overview/io_asyncio.py
beside the Rust crate io_async. Added for the comparison, and nothing else: the workspace's
flags and output lines (contract.py), a timeout, HTTP errors counted as failures, and the exit
status. Run against the Rust stand-in, this is also the measure of aiohttp's client; the Rust
clients meet aiohttp's server in aiohttp_server.py.

    python3 python/io_asyncio.py --url http://127.0.0.1:8080/www.jython.org \\
        --url http://127.0.0.1:8080/olympus.realpython.org/dice
"""

import asyncio
import sys
import time

import aiohttp

import contract


async def download_site(session, url):
    try:
        async with session.get(url) as response:
            response.raise_for_status()
            # The article printed the Content-Length header and never read the body; the
            # other programs read it, so this one does too.
            body = await response.read()
            print(f"Read {len(body)} bytes from {url}")
    except (aiohttp.ClientError, TimeoutError) as e:
        print(f"Failed {url}: {contract.reason(e)}")
        return False
    return True


async def download_all_sites(sites, timeout):
    # The session's connector opens at most 100 connections at once; the other tasks wait for
    # one, and that wait counts in the total timeout, which starts at session.get(). When the
    # server closes a connection without answering, aiohttp sends the GET once more (RFC 9112
    # allows it; requests does not): the server sees two requests, the program one download.
    timeout = aiohttp.ClientTimeout(total=timeout)
    async with aiohttp.ClientSession(timeout=timeout) as session:
        tasks = []
        for url in sites:
            task = asyncio.ensure_future(download_site(session, url))
            tasks.append(task)
        results = await asyncio.gather(*tasks, return_exceptions=True)
    # A failed download is a False. Anything else a task raised (a closed stdout) is raised.
    for result in results:
        if isinstance(result, BaseException):
            raise result
    return results.count(False)


if __name__ == "__main__":
    args = contract.download_args(__doc__)
    sites = args.sites
    with contract.quiet_when_stdout_closes():
        start_time = time.time()
        # asyncio.run: since Python 3.7, the article's get_event_loop().run_until_complete().
        failed = asyncio.run(download_all_sites(sites, args.timeout))
        duration = time.time() - start_time
        status = contract.summary(len(sites), failed, duration)
    sys.exit(status)
