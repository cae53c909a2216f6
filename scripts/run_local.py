"""`make run`: the development server and a Celery worker beside it, stopped together by Ctrl-C.

Both run with CELERY_BROKER_URL=filesystem:// (participation/settings.py): the server queues tasks as
files under var/broker/ and the worker takes them, so that requesting a report returns at once and
its status page follows the build, as in production, with no Redis to install. The worker also runs
Celery beat (`--beat`) for the scheduled jobs. When either process ends, the other is stopped; Ctrl-C
stops both (the worker finishes the task in hand first, 20 seconds at most).

    .venv/bin/python scripts/run_local.py [--addr 127.0.0.1:8000] [--noreload]
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
STOP_GRACE_SECONDS = 20


def worker_argv(var_dir: Path) -> list[str]:
    """Two worker processes (a report build does not hold up the emails) and beat."""
    return [
        sys.executable,
        "-m",
        "celery",
        "-A",
        "participation",
        "worker",
        "--beat",
        f"--schedule={var_dir / 'celerybeat-schedule'}",
        "--concurrency=2",
        "--without-gossip",
        "--without-mingle",
        "--without-heartbeat",
        "--loglevel=INFO",
    ]


def stop(processes: list[subprocess.Popen]) -> None:
    """SIGTERM (a warm shutdown for Celery), then SIGKILL to whatever is still there."""
    for process in processes:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + STOP_GRACE_SECONDS
    for process in processes:
        try:
            process.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--addr", default="127.0.0.1:8000", help="address:port of the server")
    parser.add_argument("--noreload", action="store_true", help="no autoreload of the server")
    args = parser.parse_args(argv)

    env = {**os.environ, "CELERY_BROKER_URL": "filesystem://"}
    var_dir = Path(env.get("VAR_DIR") or ROOT / "var")
    var_dir.mkdir(parents=True, exist_ok=True)
    server_argv = [sys.executable, "manage.py", "runserver", args.addr]
    if args.noreload:
        server_argv.append("--noreload")

    worker = subprocess.Popen(worker_argv(var_dir), cwd=ROOT, env=env)
    server = subprocess.Popen(server_argv, cwd=ROOT, env=env)
    processes = [server, worker]
    print(
        f"Background jobs: a Celery worker (pid {worker.pid}) takes them from"
        f" {var_dir / 'broker'}/. Ctrl-C stops the server and the worker.",
        flush=True,
    )
    status = 0
    try:
        while all(process.poll() is None for process in processes):
            time.sleep(0.5)
        # One of them ended on its own (a port already in use, a crash): the other must not linger.
        ended = next(process for process in processes if process.poll() is not None)
        name = "The server" if ended is server else "The worker"
        print(f"{name} stopped (exit status {ended.returncode}): stopping the other.", flush=True)
        status = ended.returncode or 1
    except KeyboardInterrupt:
        pass
    finally:
        stop(processes)
    return status


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


if __name__ == "__main__":
    # Ctrl-C, and SIGTERM from a supervisor or a test, stop both processes. SIGINT is set explicitly:
    # a shell that starts `make run` in the background makes its children ignore it.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, _interrupt)
    sys.exit(main())
