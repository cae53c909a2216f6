"""`make test`: the whole suite, as two pytest processes side by side.

The browser tests (Chromium, a live server) wait on the browser most of the time and the other tests
on PostgreSQL: one process leaves most of a 2-core machine idle (CI took 23 minutes in one process,
with 1.3 cores idle on average). The browser tests therefore run beside the rest, each process with
its own test database and its own Redis database (every test empties the cache it uses). Reporting
options (`-ra --durations=15`, CI's) go to both; other arguments (`make test PYTEST_ARGS='-k name'`,
a path) select tests: one process runs them as given.

The output of the rest streams; the browser tests' output follows when both have ended. The exit
status is the first failure's, else 0.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from urllib.parse import urlsplit, urlunsplit

BROWSER_TESTS = "tests/browser"
REPORTING_OPTIONS = ("-r", "--durations", "-q", "-v", "--tb")


def pytest(*args: str) -> list[str]:
    return [sys.executable, "-m", "pytest", *args]


def browser_environment() -> dict[str, str]:
    """The same settings, with a database and a Redis database of the browser process's own."""
    environment = dict(os.environ)
    database_url = environment.get("DATABASE_URL", "")
    if database_url.startswith(("postgres://", "postgresql://")):
        parts = urlsplit(database_url)
        # pytest-django creates test_<name>: a name of its own keeps the two apart.
        environment["DATABASE_URL"] = urlunsplit(parts._replace(path=parts.path + "_browser"))
    redis_url = environment.get("REDIS_URL", "")
    if redis_url:
        parts = urlsplit(redis_url)
        database = int(parts.path.strip("/") or 0)
        # Another of Redis's 16 databases (0-15), two below: CI's 15 gives 13.
        environment["REDIS_URL"] = urlunsplit(parts._replace(path=f"/{(database - 2) % 16}"))
    return environment


def main() -> int:
    args = sys.argv[1:]
    if not all(arg.startswith(REPORTING_OPTIONS) for arg in args):
        return subprocess.call(pytest(*args))
    started = time.monotonic()
    with tempfile.TemporaryFile(mode="w+") as browser_log:
        browser = subprocess.Popen(
            pytest(*args, BROWSER_TESTS),
            env=browser_environment(),
            stdout=browser_log,
            stderr=subprocess.STDOUT,
            text=True,
        )
        print(f"Browser tests ({BROWSER_TESTS}) run in a second process; their output follows.")
        rest = subprocess.call(pytest(*args, f"--ignore={BROWSER_TESTS}"))
        rest_seconds = time.monotonic() - started
        browser_status = browser.wait()
        browser_seconds = time.monotonic() - started
        browser_log.seek(0)
        print(f"\n===== browser tests ({BROWSER_TESTS}) =====")
        sys.stdout.write(browser_log.read())
    print(
        f"\nmake test: the rest {'passed' if rest == 0 else 'FAILED'} in {rest_seconds:.0f} s,"
        f" the browser tests {'passed' if browser_status == 0 else 'FAILED'}"
        f" in {browser_seconds:.0f} s (side by side)."
    )
    return rest or browser_status


if __name__ == "__main__":
    sys.exit(main())
