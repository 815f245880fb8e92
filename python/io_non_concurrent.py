#!/usr/bin/env python3
"""I/O-bound, sequential: one request after another, with one requests.Session.

Real Python's io_non_concurrent.py (Copyright (c) 2018 Real Python, MIT License), from
https://github.com/realpython/materials/blob/44102811bdc432a68a0e0480a748da109502112f/concurrency-overview/io_non_concurrent.py
beside the Rust crate io_sequential. Added for the comparison, and nothing else: the
workspace's flags and output lines (contract.py), a timeout, HTTP errors counted as failures,
and the exit status.

    python3 python/io_non_concurrent.py --url http://127.0.0.1:8080/www.jython.org \\
        --url http://127.0.0.1:8080/olympus.realpython.org/dice
"""

import sys
import time

import requests

import contract


def download_site(url, session, timeout):
    try:
        with session.get(url, timeout=timeout) as response:
            response.raise_for_status()
            print(f"Read {len(response.content)} bytes from {url}")
    except requests.RequestException as e:
        print(f"Failed {url}: {contract.reason(e)}")
        return False
    return True


def download_all_sites(sites, timeout):
    failed = 0
    with requests.Session() as session:
        for url in sites:
            if not download_site(url, session, timeout):
                failed += 1
    return failed


if __name__ == "__main__":
    args = contract.download_args(__doc__)
    sites = args.sites
    with contract.quiet_when_stdout_closes():
        start_time = time.time()
        failed = download_all_sites(sites, args.timeout)
        duration = time.time() - start_time
        status = contract.summary(len(sites), failed, duration)
    sys.exit(status)
