"""`make run`: the development server and a real Celery worker on the embedded broker.

`scripts/run_local.py` starts both with CELERY_BROKER_URL=filesystem:// on a SQLite database of the
test's own (as `make run` does: no PostgreSQL, no Redis). A report requested through the service
returns at once, still queued, and the worker builds it in the background; Ctrl-C (SIGINT to the
whole process group, as a terminal sends it) then stops the server and the worker.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from evaluation.models import ReportStatus

ROOT = Path(__file__).resolve().parents[2]
WAIT_SECONDS = 120

# Asks for a report as the "Demander le rapport" view does, through the service, and says how long
# the request took and what the database holds right after it: QUEUED or RUNNING, never READY (an
# eager build would be READY before the service returns).
REQUEST_REPORT = """
import time
from evaluation.indicators import Period, Scope
from evaluation.models import Report
from evaluation.services import report_request
from participation.roles import Role
from tests.participation.factories import UserFactory, grant

coordinator = UserFactory()
grant(coordinator, Role.COORDINATOR)
started = time.monotonic()
report = report_request(user=coordinator, scope=Scope.metropole(), period=Period.quarter(2026, 1))
elapsed = time.monotonic() - started
print(report.pk, Report.objects.get(pk=report.pk).status, f"{elapsed:.3f}")
"""


def local_env(var_dir: Path) -> dict[str, str]:
    """The environment of `make run`: DEBUG, everything under VAR_DIR, no database or Redis URL."""
    env = {
        key: value
        for key, value in os.environ.items()
        if key
        not in {"DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    }
    return {
        **env,
        "DEBUG": "true",
        "VAR_DIR": str(var_dir),
        "EMAIL_FILE_PATH": str(var_dir / "mail"),
    }


def manage(var_dir: Path, *args: str, **extra: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**local_env(var_dir), **extra},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def report_status(database: Path, pk: int) -> str:
    with sqlite3.connect(f"file:{database}?mode=ro", uri=True, timeout=20) as connection:
        row = connection.execute(
            "SELECT status FROM evaluation_report WHERE id = ?", (pk,)
        ).fetchone()
    return row[0]


def group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    return True


@pytest.fixture(scope="module")
def migrated_database(tmp_path_factory) -> Path:
    """A SQLite database migrated once for the module (the 13 QPV included)."""
    var_dir = tmp_path_factory.mktemp("migrated")
    migrated = manage(var_dir, "migrate", "--noinput")
    assert migrated.returncode == 0, migrated.stderr
    return var_dir / "db.sqlite3"


@pytest.fixture
def var_dir(tmp_path, migrated_database) -> Path:
    """The test's own VAR_DIR, holding a copy of the migrated database."""
    shutil.copy(migrated_database, tmp_path / "db.sqlite3")
    return tmp_path


@pytest.fixture
def local_run(var_dir):
    """scripts/run_local.py on a migrated SQLite database, in a process group of its own."""
    tmp_path = var_dir
    port = free_port()
    log = (tmp_path / "run_local.log").open("w+")
    process = subprocess.Popen(
        [sys.executable, "scripts/run_local.py", "--addr", f"127.0.0.1:{port}", "--noreload"],
        cwd=ROOT,
        env=local_env(tmp_path),
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        yield process, port, log
    finally:
        if group_alive(process.pid):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=30)
        log.close()


def output(log) -> str:
    log.flush()
    log.seek(0)
    return log.read()


def test_make_run_builds_reports_in_a_background_worker_and_ctrl_c_stops_both(local_run, var_dir):
    process, port, log = local_run
    tmp_path = var_dir

    deadline = time.monotonic() + 60
    while True:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5) as answer:
                assert answer.status == 200
                break
        except OSError:
            assert process.poll() is None, output(log)
            assert time.monotonic() < deadline, f"the server did not answer:\n{output(log)}"
            time.sleep(0.5)

    requested = manage(tmp_path, "shell", "-c", REQUEST_REPORT, CELERY_BROKER_URL="filesystem://")
    assert requested.returncode == 0, requested.stderr
    pk, status_at_return, elapsed = requested.stdout.splitlines()[-1].split()
    assert status_at_return in {ReportStatus.QUEUED, ReportStatus.RUNNING}
    assert float(elapsed) < 5

    database = tmp_path / "db.sqlite3"
    deadline = time.monotonic() + WAIT_SECONDS
    seen = [status_at_return]
    while time.monotonic() < deadline:
        status = report_status(database, int(pk))
        if status != seen[-1]:
            seen.append(status)
        if status in {ReportStatus.READY, ReportStatus.FAILED}:
            break
        time.sleep(0.5)
    assert seen[-1] == ReportStatus.READY, f"{seen}\n{output(log)}"
    pdf = next((tmp_path / "media").rglob("*.pdf"))
    assert pdf.read_bytes().startswith(b"%PDF-")
    assert "evaluation.tasks.build_report" in output(log)

    # Ctrl-C in the terminal: SIGINT to every process of the foreground group.
    os.killpg(process.pid, signal.SIGINT)
    process.wait(timeout=60)
    deadline = time.monotonic() + 30
    while group_alive(process.pid) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not group_alive(process.pid), f"a process outlived Ctrl-C:\n{output(log)}"
    assert process.returncode == 0, output(log)


def test_the_runner_stops_the_worker_when_the_server_cannot_start(var_dir):
    """A port already taken ends the server: the worker must not stay behind, orphaned."""
    tmp_path = var_dir
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        process = subprocess.Popen(
            [sys.executable, "scripts/run_local.py", "--addr", f"127.0.0.1:{port}", "--noreload"],
            cwd=ROOT,
            env=local_env(tmp_path),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        )
        try:
            out, _ = process.communicate(timeout=90)
        finally:
            if group_alive(process.pid):
                os.killpg(process.pid, signal.SIGKILL)
    assert process.returncode != 0
    assert "The server stopped" in out
    deadline = time.monotonic() + 30
    while group_alive(process.pid) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not group_alive(process.pid), out
