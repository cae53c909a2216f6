"""`make backup` / `make restore`: a round trip through scripts/backup.sh and scripts/restore.sh.

A scratch database is migrated and filled with the demo data, backed up, restored into a second
empty database, and every table must come back with the same row count, and the media files too.
The databases are created next to the test database (same server and user) and always dropped.
"""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest
from django.db import connection
from psycopg import sql

ROOT = Path(__file__).resolve().parents[2]

MEDIA_FILES = {
    "news/2026/01/photo.jpg": bytes(range(256)) * 40,
    "reports/2026/rapport été.pdf": b"%PDF-1.7 fake report\n",
}


def _server() -> dict:
    settings = connection.settings_dict
    return {
        "host": settings["HOST"] or "127.0.0.1",
        "port": int(settings["PORT"] or 5432),
        "user": settings["USER"] or "postgres",
        "password": settings["PASSWORD"] or None,
    }


def _url(server: dict, name: str) -> str:
    password = f":{server['password']}" if server["password"] else ""
    return f"postgres://{server['user']}{password}@{server['host']}:{server['port']}/{name}"


def _admin(server: dict) -> psycopg.Connection:
    # CREATE / DROP DATABASE cannot run inside a transaction.
    return psycopg.connect(dbname="postgres", autocommit=True, **server)


def _row_counts(server: dict, name: str) -> dict[str, int]:
    with psycopg.connect(dbname=name, **server) as conn:
        tables = [
            row[0]
            for row in conn.execute(
                "SELECT table_name FROM information_schema.tables"
                " WHERE table_schema = 'public' AND table_type = 'BASE TABLE'"
            )
        ]
        return {
            table: conn.execute(
                sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(table))
            ).fetchone()[0]
            for table in tables
        }


def _run(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess:
    result = subprocess.run(
        args, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=False
    )
    assert result.returncode == 0, f"{args} failed:\n{result.stdout}\n{result.stderr}"
    return result


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    # Celery eager (no REDIS_URL) and every path under tmp_path unless `extra` says otherwise.
    skip = {"REDIS_URL", "FILE", "FORCE", "MEDIA_ROOT", "BACKUP_DIR", "EMAIL_FILE_PATH"}
    env = {key: value for key, value in os.environ.items() if key not in skip}
    env.update(DEBUG="true", VAR_DIR=str(tmp_path / "var"), **extra)
    return env


def test_backup_and_restore_round_trip(tmp_path):
    if connection.vendor != "postgresql":
        pytest.skip("pg_dump / pg_restore need PostgreSQL (set DATABASE_URL).")
    server = _server()
    suffix = secrets.token_hex(4)
    source, target = f"qed_backup_src_{suffix}", f"qed_backup_dst_{suffix}"
    with _admin(server) as admin:
        try:
            admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(source)))
            admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(target)))

            env = _env(tmp_path, DATABASE_URL=_url(server, source))
            _run([sys.executable, "manage.py", "migrate", "--noinput", "-v0"], env)
            _run([sys.executable, "manage.py", "load_demo", "--quiet"], env)
            media = tmp_path / "var" / "media"
            for name, content in MEDIA_FILES.items():
                (media / name).parent.mkdir(parents=True, exist_ok=True)
                (media / name).write_bytes(content)

            backup = Path(_run(["bash", "scripts/backup.sh"], env).stdout.strip().splitlines()[-1])
            assert backup.parent == tmp_path / "var" / "backups"
            manifest = (backup / "manifest.txt").read_text()
            assert f"database: {source}" in manifest
            assert "database.dump" in manifest and "media.tar.gz" in manifest

            restored_media = tmp_path / "restored_media"
            restore_env = _env(
                tmp_path,
                DATABASE_URL=_url(server, target),
                MEDIA_ROOT=str(restored_media),
                FILE=str(backup),
            )
            _run(["bash", "scripts/restore.sh"], restore_env)

            before, after = _row_counts(server, source), _row_counts(server, target)
            assert after == before
            assert before["dialogue_meeting"] > 0 and before["participation_user"] > 0
            # The manifest's counts are the same ones, for whoever reads it before restoring.
            assert f"dialogue_meeting {before['dialogue_meeting']}" in manifest
            for name, content in MEDIA_FILES.items():
                assert (restored_media / name).read_bytes() == content
        finally:
            for name in (source, target):
                admin.execute(
                    sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
                )


def _refused(script: str, env: dict[str, str]) -> str:
    result = subprocess.run(
        ["bash", script], cwd=ROOT, env=env, capture_output=True, text=True, timeout=30
    )
    assert result.returncode != 0
    return result.stderr


def test_backup_refuses_a_database_that_is_not_postgresql(tmp_path):
    stderr = _refused("scripts/backup.sh", _env(tmp_path, DATABASE_URL="sqlite:///db.sqlite3"))
    assert "PostgreSQL" in stderr
    assert not (tmp_path / "var" / "backups").exists()


def test_restore_refuses_without_a_backup_folder(tmp_path):
    env = _env(tmp_path, DATABASE_URL="postgres://postgres@127.0.0.1:5432/nothing")
    assert "FILE=" in _refused("scripts/restore.sh", env)
    env["FILE"] = str(tmp_path)
    assert "not a complete backup folder" in _refused("scripts/restore.sh", env)


def test_restore_refuses_when_debug_is_off_unless_forced(tmp_path):
    folder = tmp_path / "backup"
    folder.mkdir()
    for part in ("manifest.txt", "database.dump", "media.tar.gz"):
        (folder / part).write_text("")
    env = _env(tmp_path, DATABASE_URL="postgres://postgres@127.0.0.1:5432/nothing")
    env.update(DEBUG="false", FILE=str(folder))
    assert "FORCE=1" in _refused("scripts/restore.sh", env)
    # Forced, it goes on to the next check (the empty files do not match the manifest).
    env["FORCE"] = "1"
    assert "sha256" in _refused("scripts/restore.sh", env)
