"""Real processes for the fault tests (tests/whole_site/test_faults.py): Celery workers on Redis, a
private PostgreSQL cluster, the portal under gunicorn. Each is a process group of its own, so that a
test can SIGKILL it whole and a finalizer can always end it (and nothing else).
"""

from __future__ import annotations

import contextlib
import glob
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

from tests.celery_workers import celery_worker_argv

ROOT = Path(__file__).resolve().parents[2]
VENV_BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_until(predicate: Callable[[], object], *, timeout: float, interval: float = 0.1):
    """The first truthy value of `predicate()`, or None once `timeout` seconds have passed."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() >= deadline:
            return None
        time.sleep(interval)


class Process:
    """A subprocess in a session (process group) of its own, its output in a log file."""

    def __init__(self, name: str, args: list[str], *, env: dict[str, str], log: Path):
        self.name = name
        self.log_path = log
        self._log = log.open("ab")
        self.popen = subprocess.Popen(
            args,
            cwd=ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def output(self) -> str:
        return self.log_path.read_text(errors="replace")

    def wait_for_output(self, pattern: str, *, timeout: float, count: int = 1) -> bool:
        regex = re.compile(pattern)
        return bool(wait_until(lambda: len(regex.findall(self.output())) >= count, timeout=timeout))

    def kill(self) -> None:
        """SIGKILL the whole process group: no clean-up, no acknowledgement, like a crash."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.popen.pid, signal.SIGKILL)
        self.popen.wait(timeout=30)

    def stop(self, timeout: float = 20, how: signal.Signals = signal.SIGTERM) -> None:
        """Signal the group (SIGTERM: Celery's warm shutdown), SIGKILL what is left of it after
        `timeout` seconds; idempotent. The leader is reaped last: until then its process group id
        cannot be reused, so the SIGKILL cannot reach anything but this group."""
        if self.popen.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.popen.pid, how)
            wait_until(self._exited, timeout=timeout)
            # Children left behind by the leader (gunicorn or celery workers) go too.
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.popen.pid, signal.SIGKILL)
        self.popen.wait(timeout=30)
        self._log.close()

    def _exited(self) -> bool:
        """Whether the leader has exited, without reaping it (WNOWAIT)."""
        try:
            found = os.waitid(os.P_PID, self.popen.pid, os.WEXITED | os.WNOHANG | os.WNOWAIT)
        except ChildProcessError:
            return True
        return found is not None


# Celery ------------------------------------------------------------------------------------------


def start_worker(*, queue: str, env: dict[str, str], log: Path) -> Process:
    """A real worker (solo pool, like tests/evaluation/test_report_worker.py) on `queue`."""
    return Process(
        "celery worker",
        celery_worker_argv(queue, name=f"fault-{uuid.uuid4().hex[:6]}@%h"),
        env=env,
        log=log,
    )


@contextlib.contextmanager
def tasks_routed_to_redis(redis_url: str, routes: dict[str, str]) -> Iterator[None]:
    """This test process sends real messages to Redis; `routes` maps task names to queues."""
    from participation.celery import app

    def reset() -> None:
        # The router caches the routes, and the producer pool the broker URL it was made with:
        # forget both, now and once the test is over (kombu keeps a pool per broker URL).
        app.amqp.flush_routes()
        app.amqp.__dict__.pop("router", None)
        app.amqp._producer_pool = None

    saved = (app.conf.task_always_eager, app.conf.broker_url, app.conf.task_routes)
    app.conf.task_always_eager = False
    app.conf.broker_url = redis_url
    app.conf.task_routes = {task: {"queue": queue} for task, queue in routes.items()}
    reset()
    try:
        yield
    finally:
        app.conf.task_always_eager, app.conf.broker_url, app.conf.task_routes = saved
        reset()


# PostgreSQL --------------------------------------------------------------------------------------


def postgres_bin_dir() -> Path | None:
    """The newest Debian PostgreSQL server binaries (initdb, pg_ctl), if installed."""
    found = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/initdb"),
        key=lambda path: int(Path(path).parts[-3]) if Path(path).parts[-3].isdigit() else 0,
    )
    return Path(found[-1]).parent if found else None


class PrivateCluster:
    """A throw-away PostgreSQL cluster: its own data directory, port and socket directory, trust
    authentication on 127.0.0.1, so that a test may stop and restart it without touching the
    shared server. PostgreSQL refuses to run as root: as root, it runs as the `postgres` user."""

    def __init__(self, bin_dir: Path):
        self.bin_dir = bin_dir
        self.port = free_port()
        self.root = Path(tempfile.mkdtemp(prefix="qed-faults-pg-"))
        self.data = self.root / "data"
        self.log = self.root / "postgres.log"
        self.as_postgres = os.geteuid() == 0
        if self.as_postgres:
            shutil.chown(self.root, user="postgres", group="postgres")
        self.started = False

    def _run(self, *args: str, timeout: float = 60) -> subprocess.CompletedProcess:
        command = [str(self.bin_dir / args[0]), *args[1:]]
        if self.as_postgres:
            command = ["runuser", "-u", "postgres", "--", *command]
        result = subprocess.run(
            command, capture_output=True, text=True, timeout=timeout, check=False, cwd=self.root
        )
        if result.returncode != 0:
            raise RuntimeError(
                f"{' '.join(args[:2])} failed ({result.returncode}):\n{result.stdout}\n"
                f"{result.stderr}\n{self.log_text()}"
            )
        return result

    def log_text(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def init(self) -> None:
        self._run(
            "initdb",
            "-D",
            str(self.data),
            "-U",
            "postgres",
            "-A",
            "trust",
            "-E",
            "UTF8",
            "--locale=C.UTF-8",
            "--no-sync",
        )

    def start(self) -> None:
        # fsync off: only a machine crash could lose data with it, and that is not what is tested;
        # synchronous_commit stays on, so a commit the client was told about survives `immediate`.
        options = (
            f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync=off "
            "-c full_page_writes=off -c max_connections=40"
        )
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.log), "-o", options, "-w", "start")
        self.started = True

    def stop(self, mode: str = "fast") -> None:
        self._run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "stop")
        self.started = False

    def url(self, database: str) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{database}"

    def connect(self, database: str = "postgres"):
        import psycopg

        return psycopg.connect(
            host="127.0.0.1", port=self.port, user="postgres", dbname=database, autocommit=True
        )

    def cleanup(self) -> None:
        try:
            if self.started or (self.data / "postmaster.pid").exists():
                self.stop("immediate")
        finally:
            shutil.rmtree(self.root, ignore_errors=True)


# The portal under gunicorn -----------------------------------------------------------------------


def start_gunicorn(*, port: int, env: dict[str, str], log: Path, workers: int = 2) -> Process:
    """The production server (sync workers, like the Dockerfile's command)."""
    return Process(
        "gunicorn",
        [
            str(VENV_BIN / "gunicorn"),
            "participation.wsgi:application",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(workers),
            "--timeout",
            "30",
            "--graceful-timeout",
            "5",
            "--access-logfile",
            "-",
        ],
        env=env,
        log=log,
    )


def manage(*args: str, env: dict[str, str], timeout: float = 120) -> str:
    result = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    if result.returncode != 0:
        raise RuntimeError(f"manage.py {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
    return result.stdout
