#!/usr/bin/env python3
"""I/O-bound, processes: a multiprocessing.Pool, one requests.Session per process.

Real Python's io_mp.py (Copyright (c) 2018 Real Python, MIT License), from
https://github.com/realpython/materials/blob/44102811bdc432a68a0e0480a748da109502112f/concurrency-overview/io_mp.py
beside the Rust crate io_multiprocess. Added for the comparison, and nothing else: the
workspace's flags and output lines (contract.py), --workers for the pool's size (default one
per CPU, as Pool()), a timeout, HTTP errors counted as failures, and the exit status.

    python3 python/io_mp.py --url http://127.0.0.1:8080/www.jython.org \\
        --url http://127.0.0.1:8080/olympus.realpython.org/dice
"""

import functools
import multiprocessing
import sys
import time

import requests

import contract

session = None


def set_global_session():
    global session
    if not session:
        session = requests.Session()


def download_site(url, timeout):
    name = multiprocessing.current_process().name
    try:
        with session.get(url, timeout=timeout) as response:
            response.raise_for_status()
            # One write per line, sent at once. The workers share one stdout, and print()
            # writes the newline apart from the text. Into a pipe, a worker's lines would wait
            # in its buffer, and the pool ends its workers with SIGTERM, buffer and all.
            print(f"{name}:Read {len(response.content)} bytes from {url}\n", end="", flush=True)
    except requests.RequestException as e:
        print(f"{name}:Failed {url}: {contract.reason(e)}\n", end="", flush=True)
        return False
    return True


def download_all_sites(sites, workers, timeout):
    with multiprocessing.Pool(workers, initializer=set_global_session) as pool:
        results = pool.map(functools.partial(download_site, timeout=timeout), sites)
    return results.count(False)


if __name__ == "__main__":
    args = contract.download_args(__doc__, workers=None)
    sites = args.sites
    with contract.quiet_when_stdout_closes():
        start_time = time.time()
        failed = download_all_sites(sites, args.workers, args.timeout)
        duration = time.time() - start_time
        status = contract.summary(len(sites), failed, duration)
    sys.exit(status)
