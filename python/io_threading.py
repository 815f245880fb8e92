#!/usr/bin/env python3
"""I/O-bound, threads: a ThreadPoolExecutor of 5 threads, one requests.Session per thread.

Real Python's io_threading.py (Copyright (c) 2018 Real Python, MIT License), from
https://github.com/realpython/materials/blob/44102811bdc432a68a0e0480a748da109502112f/concurrency-overview/io_threading.py
beside the Rust crate io_threads. Added for the comparison, and nothing else: the
workspace's flags and output lines (contract.py), --workers for max_workers, a timeout, HTTP
errors counted as failures, and the exit status.

    python3 python/io_threading.py --url http://127.0.0.1:8080/www.jython.org \\
        --url http://127.0.0.1:8080/olympus.realpython.org/dice
"""

import concurrent.futures
import functools
import sys
import threading
import time

import requests

import contract

thread_local = threading.local()


def get_session():
    if not getattr(thread_local, "session", None):
        thread_local.session = requests.Session()
    return thread_local.session


def download_site(url, timeout):
    session = get_session()
    try:
        with session.get(url, timeout=timeout) as response:
            response.raise_for_status()
            # One write per line: print() writes the text and then the newline, and another
            # thread's line can land between the two.
            print(f"Read {len(response.content)} bytes from {url}\n", end="")
    except requests.RequestException as e:
        print(f"Failed {url}: {contract.reason(e)}\n", end="")
        return False
    return True


def download_all_sites(sites, workers, timeout):
    with concurrent.futures.ThreadPoolExecutor(max_workers=workers) as executor:
        results = executor.map(functools.partial(download_site, timeout=timeout), sites)
        # The article drops map()'s results, and with them any exception a thread raised.
        return list(results).count(False)


if __name__ == "__main__":
    args = contract.download_args(__doc__, workers=5)
    sites = args.sites
    with contract.quiet_when_stdout_closes():
        start_time = time.time()
        failed = download_all_sites(sites, args.workers, args.timeout)
        duration = time.time() - start_time
        status = contract.summary(len(sites), failed, duration)
    sys.exit(status)
