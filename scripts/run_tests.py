"""`make test`: the whole suite, as two pytest processes side by side.

The browser tests (Chromium, a live server) wait on the browser most of the time and the other tests
on PostgreSQL: one process leaves much of a 2-core machine idle (CI took 23 minutes in one process,
using 0.7 core on average). A second process therefore runs the browser tests, the fuzzing, the
access matrix and the HTML validity check over its pages (about as long as the rest when both run
at once), each process with its own test
database and its own Redis database (every test empties the cache it uses). Reporting options (`-ra --durations=15`,
CI's) go to both; other arguments (`make test PYTEST_ARGS='-k name'`, a path) select tests: one
process runs them as given.

The output of the first process streams; the second's follows when both have ended. The exit
status is the first failure's, else 0.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import threading
import time
from urllib.parse import urlsplit, urlunsplit

SECOND_PROCESS_TESTS = (
    "tests/browser",
    "tests/whole_site/test_fuzzing.py",
    "tests/whole_site/test_access_matrix.py",
    "tests/whole_site/test_html_valid.py",
)
REPORTING_OPTIONS = ("-r", "--durations", "-q", "-v", "--tb")


def pytest(*args: str) -> list[str]:
    return [sys.executable, "-m", "pytest", *args]


def second_environment() -> dict[str, str]:
    """The same settings, with a database and a Redis database of the second process's own."""
    environment = dict(os.environ)
    database_url = environment.get("DATABASE_URL", "")
    if database_url.startswith(("postgres://", "postgresql://")):
        parts = urlsplit(database_url)
        # pytest-django creates test_<name>: a name of its own keeps the two apart.
        environment["DATABASE_URL"] = urlunsplit(parts._replace(path=parts.path + "_second"))
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
    ended: dict[str, float] = {}
    with tempfile.TemporaryFile(mode="w+") as second_log:
        second = subprocess.Popen(
            pytest(*args, *SECOND_PROCESS_TESTS),
            env=second_environment(),
            stdout=second_log,
            stderr=subprocess.STDOUT,
            text=True,
        )

        def wait_second() -> None:
            second.wait()
            ended["second"] = time.monotonic() - started

        waiter = threading.Thread(target=wait_second)
        waiter.start()
        print(
            f"{', '.join(SECOND_PROCESS_TESTS)}: in a second process, whose output follows the"
            " output below."
        )
        ignored = [f"--ignore={path}" for path in SECOND_PROCESS_TESTS]
        first_status = subprocess.call(pytest(*args, *ignored))
        ended["first"] = time.monotonic() - started
        waiter.join()
        second_log.seek(0)
        print(f"\n===== second process: {', '.join(SECOND_PROCESS_TESTS)} =====")
        sys.stdout.write(second_log.read())
    second_status = second.returncode

    def outcome(status: int) -> str:
        return "passed" if status == 0 else "FAILED"

    print(
        f"\nmake test: first process {outcome(first_status)} in {ended['first']:.0f} s,"
        f" second process ({', '.join(SECOND_PROCESS_TESTS)}) {outcome(second_status)}"
        f" in {ended['second']:.0f} s."
    )
    return first_status or second_status


if __name__ == "__main__":
    sys.exit(main())
