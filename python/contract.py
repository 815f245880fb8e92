"""The command line and the output lines every program here shares with its Rust sibling.

The Rust programs take these from the workspace's `download_cli` and `contract` crates
(`download_cli/src/lib.rs`, `contract/src/lib.rs`); the Python programs import them from here, as Fluent Python's
`flags_*.py` import `flags.py`. With them, `cargo xtask` can run and check a Python program
as it does a Rust one. Nothing in this file is about concurrency.
"""

import argparse
import contextlib
import math
import os
import sys
import threading
import urllib.parse

# The article's two sites, for --real.
REAL_URLS = ["https://www.jython.org", "http://olympus.realpython.org/dice"]

# Python's integers never overflow, but the Rust CPU programs cap these so that their u128 sums
# cannot: both languages refuse the same command lines.
MAX_START = 1_000_000_000
MAX_COUNT = 1_000_000
# The other limits the Rust programs set (download_cli/src/lib.rs, contract/src/cli.rs), so that both refuse the same
# command lines: sites, workers (a thread or a process each), and seconds for a timeout.
MAX_REPEAT = 100_000
MAX_WORKERS = 1_000
MAX_CPU_WORKERS = 256
TIMEOUT_RANGE = (0.001, 3600.0)


class Parser(argparse.ArgumentParser):
    """argparse, reporting bad usage as the Rust programs do: `error: ...`, the usage, exit 2."""

    def error(self, message):
        # clap's words for a flag the program does not have, so that one check reads both.
        if message.startswith("unrecognized arguments: "):
            flag = message.removeprefix("unrecognized arguments: ").split()[0]
            message = f"unexpected argument '{flag}' found"
        usage = self.format_usage().replace("usage: ", "Usage: ", 1)
        self.exit(2, f"error: {message}\n\n{usage}\nFor more information, try '--help'.\n")


def whole_number(low, high=None):
    def parse(text):
        try:
            n = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
        if high is None and n < low:
            raise argparse.ArgumentTypeError(f"{n} is less than {low}")
        if high is not None and not low <= n <= high:
            raise argparse.ArgumentTypeError(f"{n} is not between {low} and {high}")
        return n

    return parse


def seconds(zero_ok, between=None):
    def parse(text):
        try:
            s = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
        if not math.isfinite(s) or s < 0 or (s == 0 and not zero_ok):
            least = "0 or more" if zero_ok else "more than 0"
            raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds, {least}")
        if between is not None and not between[0] <= s <= between[1]:
            low, high = between
            raise argparse.ArgumentTypeError(f"{text!r} is not between {low:g} and {high:g}")
        return s

    return parse


def url(text):
    parts = urllib.parse.urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise argparse.ArgumentTypeError(f"{text!r} is not an http:// or https:// URL")
    return text


def download_args(doc, *, workers=False):
    """The downloaders' flags. `workers`: the default of --workers (None: one per CPU, as
    `multiprocessing.Pool()`), or False for a program that has no workers and so no flag."""
    parser = Parser(description=doc.splitlines()[0])
    where = parser.add_mutually_exclusive_group()
    where.add_argument(
        "--url",
        action="append",
        type=url,
        metavar="URL",
        help="download URL (repeatable). Required, or --real: Python cannot start the local "
        "stand-in as the Rust programs do. Start it with `cargo xtask serve`, and pass its "
        "two URLs (/www.jython.org and /olympus.realpython.org/dice).",
    )
    where.add_argument(
        "--real", action="store_true", help="the article's real sites (needs the internet)"
    )
    parser.add_argument(
        "--repeat",
        type=whole_number(1, MAX_REPEAT),
        default=80,
        metavar="N",
        help=f"(1 to {MAX_REPEAT}) how many times the site list is repeated, as the article's "
        "`* 80` (default 80)",
    )
    if workers is not False:
        parser.add_argument(
            "--workers",
            type=whole_number(1, MAX_WORKERS),
            default=workers,
            metavar="N",
            help=f"(1 to {MAX_WORKERS}: each one is an OS thread or a process) worker threads or "
            f"processes (default {workers or 'one per CPU'})",
        )
    parser.add_argument(
        "--timeout",
        type=seconds(zero_ok=False, between=TIMEOUT_RANGE),
        default=10.0,
        metavar="S",
        help="(0.001 to 3600) give up on one request after this many seconds (default 10)",
    )
    args = parser.parse_args()
    if not args.url and not args.real:
        parser.error(
            "no sites: give --url (run `cargo xtask serve` and pass its two URLs) or --real"
        )
    # The article's `[...] * 80`.
    args.sites = (args.url or REAL_URLS) * args.repeat
    return args


def cpu_args(doc, *, workers=False):
    """The CPU programs' flags; `workers` as for `download_args`."""
    parser = Parser(description=doc.splitlines()[0])
    parser.add_argument(
        "--start",
        type=whole_number(0, MAX_START),
        default=5_000_000,
        metavar="N",
        help=f"(0 to {MAX_START}) the first number, as the article's 5_000_000",
    )
    parser.add_argument(
        "--count",
        type=whole_number(0, MAX_COUNT),
        default=20,
        metavar="N",
        help=f"(0 to {MAX_COUNT}) how many numbers, as the article's range(20)",
    )
    if workers is not False:
        parser.add_argument(
            "--workers",
            type=whole_number(1, MAX_CPU_WORKERS),
            default=workers,
            metavar="N",
            help=f"(1 to {MAX_CPU_WORKERS}: more than cores only take turns) worker threads or "
            f"processes (default {workers or 'one per CPU'})",
        )
    args = parser.parse_args()
    # The article's `[5_000_000 + x for x in range(20)]`.
    args.numbers = [args.start + x for x in range(args.count)]
    return args


def spinner_args(doc):
    parser = Parser(description=doc.splitlines()[0])
    parser.add_argument(
        "--seconds",
        type=seconds(zero_ok=True),
        default=3.0,
        metavar="S",
        help="how long slow() takes, the book's time.sleep(3) (default 3)",
    )
    return parser.parse_args()


def reason(error):
    """An exception as the one-line reason of a `Failed {url}: {reason}` line."""
    return " ".join((str(error) or type(error).__name__).split())


def summary(total, failed, duration):
    """Prints a downloader's last line; returns its exit status: 0 all ok, 1 any failed."""
    if failed == 0:
        print(f"Downloaded {total} sites in {duration} seconds")
    else:
        ok = total - failed
        print(f"Downloaded {ok} of {total} sites in {duration} seconds ({failed} failed)")
    return 1 if failed else 0


@contextlib.contextmanager
def quiet_when_stdout_closes():
    """A reader that stops reading (`| head -2`) ends the program quietly, with status 1, not
    with a traceback: the recipe of Python's documentation (signal module, "Note on SIGPIPE")."""
    # A thread other than the main one (the spinner's) just ends, without a traceback.
    default_hook = threading.excepthook
    threading.excepthook = lambda args: (
        None if issubclass(args.exc_type, BrokenPipeError) else default_hook(args)
    )
    try:
        yield
        sys.stdout.flush()
    except BrokenPipeError:
        # Python flushes stdout once more on its way out: let that flush go nowhere, quietly.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        sys.exit(1)
