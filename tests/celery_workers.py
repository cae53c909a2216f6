"""Real Celery workers started by tests: their command line and the settings they run with.

Used by the tests that queue work on Redis and let a worker process take it (emails, reports, and the
fault tests that kill a worker mid-build).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from urllib.parse import quote

from django.db import connection

REDIS_URL = os.environ.get("REDIS_URL")


def worker_database_url() -> str:
    """The URL of pytest-django's test database, for the worker."""
    db = connection.settings_dict
    credentials = quote(db["USER"] or "", safe="")
    if db.get("PASSWORD"):
        credentials += ":" + quote(db["PASSWORD"], safe="")
    host = db.get("HOST") or "127.0.0.1"
    port = f":{db['PORT']}" if db.get("PORT") else ""
    return f"postgres://{credentials}@{host}{port}/{db['NAME']}"


def worker_env(tmp_path: Path, queue: str, **extra: str) -> dict[str, str]:
    """A worker on `queue` with the test's database, media folder and file mailbox."""
    return {
        **os.environ,
        "DEBUG": "true",
        "REDIS_URL": REDIS_URL,
        "CELERY_QUEUE": queue,
        "DATABASE_URL": worker_database_url(),
        "VAR_DIR": str(tmp_path),
        "MEDIA_ROOT": str(tmp_path / "media"),
        "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
        "EMAIL_FILE_PATH": str(tmp_path / "mail"),
        **extra,
    }


def celery_worker_argv(queue: str, *, name: str | None = None) -> list[str]:
    """One solo worker consuming `queue` only, quiet on the cluster (no gossip, mingle, heartbeat)."""
    return [
        sys.executable,
        "-m",
        "celery",
        "-A",
        "participation",
        "worker",
        "--pool=solo",
        "--without-gossip",
        "--without-mingle",
        "--without-heartbeat",
        *(["-n", name] if name else []),
        "-Q",
        queue,
        "--loglevel=INFO",
    ]
