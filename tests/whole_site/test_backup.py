"""`make backup` / `make restore`: a round trip through scripts/backup.sh and scripts/restore.sh.

A scratch database is migrated and filled with the demo data, backed up (encrypted with age to a
key pair made in tmp_path), restored into a second empty database, and every table must come back
with the same row count, and the media files too; the backup folder holds nothing readable. Other
tests use small scratch databases: no key, wrong key, retention. The databases are created next to
the test database (same server and user) and always dropped.
"""

from __future__ import annotations

import hashlib
import io
import os
import secrets
import shutil
import subprocess
import sys
import tarfile
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
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
    skip = {
        "REDIS_URL",
        "FILE",
        "FORCE",
        "MEDIA_ROOT",
        "BACKUP_DIR",
        "EMAIL_FILE_PATH",
        "BACKUP_AGE_RECIPIENT",
        "BACKUP_AGE_IDENTITY",
        "BACKUP_RETENTION_DAYS",
        "S3_BUCKET",
    }
    env = {key: value for key, value in os.environ.items() if key not in skip}
    env.update(DEBUG="true", VAR_DIR=str(tmp_path / "var"), **extra)
    return env


# Strings of the demo data: readable in a plain dump or archive, never in an encrypted backup.
DEMO_EMAIL = "habitante@example.org"
DEMO_NAME = "Awa Habitante"
AGE_MAGIC = b"age-encryption.org/v1\n"
BACKUP_FILES = {"manifest.txt", "database.dump.age", "media.tar.gz.age"}


def _keypair(tmp_path: Path, name: str = "backup") -> tuple[str, Path]:
    """A fresh age key pair: (public recipient, identity file)."""
    assert shutil.which("age-keygen"), "age is missing: run scripts/system_deps.sh run"
    identity = tmp_path / f"{name}.key"
    subprocess.run(["age-keygen", "-o", str(identity)], check=True, capture_output=True)
    recipient = subprocess.run(
        ["age-keygen", "-y", str(identity)], check=True, capture_output=True, text=True
    ).stdout.strip()
    assert recipient.startswith("age1")
    return recipient, identity


def _decrypt(path: Path, identity: Path) -> bytes:
    # In memory only: the test writes nothing readable either.
    return subprocess.run(
        ["age", "--decrypt", "--identity", str(identity), str(path)],
        check=True,
        capture_output=True,
        timeout=60,
    ).stdout


@pytest.fixture
def scratch_database() -> Iterator[Callable[..., tuple[dict, str]]]:
    """Creates empty databases on the test server (optionally running SQL in them); drops them all."""
    if connection.vendor != "postgresql":
        pytest.skip("pg_dump / pg_restore need PostgreSQL (set DATABASE_URL).")
    server = _server()
    created: list[str] = []

    def create(*statements: str) -> tuple[dict, str]:
        name = f"qed_backup_{secrets.token_hex(4)}"
        with _admin(server) as admin:
            admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        created.append(name)
        if statements:
            with psycopg.connect(dbname=name, **server) as conn:
                for statement in statements:
                    conn.execute(statement)
        return server, name

    yield create
    with _admin(server) as admin:
        for name in created:
            admin.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )


def test_backup_and_restore_round_trip(tmp_path, scratch_database):
    server, source = scratch_database()
    _, target = scratch_database()
    recipient, identity = _keypair(tmp_path)

    env = _env(tmp_path, DATABASE_URL=_url(server, source), BACKUP_AGE_RECIPIENT=recipient)
    _run([sys.executable, "manage.py", "migrate", "--noinput", "-v0"], env)
    _run([sys.executable, "manage.py", "load_demo", "--quiet"], env)
    media = tmp_path / "var" / "media"
    for name, content in MEDIA_FILES.items():
        (media / name).parent.mkdir(parents=True, exist_ok=True)
        (media / name).write_bytes(content)

    backup = Path(_run(["bash", "scripts/backup.sh"], env).stdout.strip().splitlines()[-1])
    assert backup.parent == tmp_path / "var" / "backups"
    # Nothing else was left beside it (no plain dump, no temporary file).
    assert [path.name for path in backup.parent.iterdir()] == [backup.name]
    assert {path.name for path in backup.iterdir()} == BACKUP_FILES
    assert backup.stat().st_mode & 0o077 == 0  # the owner's only
    manifest = (backup / "manifest.txt").read_text()
    assert f"database: {source}" in manifest
    assert "encryption: age " in manifest and f" to {recipient}\n" in manifest
    media_files = [path for path in media.rglob("*") if not path.is_dir()]
    assert len(media_files) >= len(MEDIA_FILES)  # the demo's own, and ours
    assert f"media files: {len(media_files)}\n" in manifest

    # Decrypted with the key, the files are the dump and the archive, with the demo's personal
    # data in them: the needles below are found in clear, so their absence further down means
    # something.
    dump = _decrypt(backup / "database.dump.age", identity)
    assert dump.startswith(b"PGDMP")
    sql_text = subprocess.run(
        ["pg_restore", "--file=-"], input=dump, check=True, capture_output=True, timeout=60
    ).stdout
    with tarfile.open(fileobj=io.BytesIO(_decrypt(backup / "media.tar.gz.age", identity))) as tar:
        archived = {name.removeprefix("./") for name in tar.getnames()}
        report = tar.extractfile("./reports/2026/rapport été.pdf")
        assert report is not None and report.read() == MEDIA_FILES["reports/2026/rapport été.pdf"]
    assert set(MEDIA_FILES) <= archived
    needles = [DEMO_EMAIL, DEMO_NAME, "CREATE TABLE", "participation_user", "PGDMP"]
    for needle in needles:
        assert needle.encode() in sql_text + dump, needle
    needles += ["rapport", "photo.jpg", "fake report"]

    # On disk: both files are age files, and no needle is in any file of the folder.
    for part in ("database.dump.age", "media.tar.gz.age"):
        assert (backup / part).read_bytes().startswith(AGE_MAGIC)
        digest = hashlib.sha256((backup / part).read_bytes()).hexdigest()
        assert f"{digest}  {part}" in manifest
    for path in backup.iterdir():
        content = path.read_bytes()
        for needle in needles:
            if needle in ("CREATE TABLE", "participation_user") and path.name == "manifest.txt":
                continue  # the manifest names the tables (with their row counts), nothing more
            assert needle.encode() not in content, (path.name, needle)
            assert needle.lower().encode() not in content.lower(), (path.name, needle)

    restored_media = tmp_path / "restored_media"
    restore_env = _env(
        tmp_path,
        DATABASE_URL=_url(server, target),
        MEDIA_ROOT=str(restored_media),
        FILE=str(backup),
        BACKUP_AGE_IDENTITY=str(identity),
    )
    _run(["bash", "scripts/restore.sh"], restore_env)

    before, after = _row_counts(server, source), _row_counts(server, target)
    assert after == before
    assert before["dialogue_meeting"] > 0 and before["participation_user"] > 0
    # The manifest's counts are the same ones, for whoever reads it before restoring.
    assert f"dialogue_meeting {before['dialogue_meeting']}" in manifest
    for name, content in MEDIA_FILES.items():
        assert (restored_media / name).read_bytes() == content


def test_with_an_object_store_the_backup_says_loudly_that_the_files_are_not_in_it(
    tmp_path, scratch_database
):
    """With S3_BUCKET, the files live in the bucket: the backup holds the database only, says so
    on stderr and in its manifest, and the restore leaves the local folder alone."""
    server, source = scratch_database()
    _, target = scratch_database()
    recipient, identity = _keypair(tmp_path)
    media = tmp_path / "var" / "media"
    media.mkdir(parents=True)
    (media / "left-over.pdf").write_bytes(b"%PDF-1.4 a file from before the bucket")
    env = _env(
        tmp_path,
        DATABASE_URL=_url(server, source),
        BACKUP_AGE_RECIPIENT=recipient,
        S3_BUCKET="qed-media",
    )
    result = _run(["bash", "scripts/backup.sh"], env)
    assert "WARNING: S3_BUCKET=qed-media is set" in result.stderr
    assert "NOT in this backup (database only)" in result.stderr
    backup = Path(result.stdout.strip().splitlines()[-1])
    manifest = (backup / "manifest.txt").read_text()
    assert "media: NOT INCLUDED, in the object store bucket qed-media" in manifest
    assert "media files: 0\n" in manifest
    with tarfile.open(fileobj=io.BytesIO(_decrypt(backup / "media.tar.gz.age", identity))) as tar:
        assert [name for name in tar.getnames() if name not in {".", "./"}] == []

    restored_media = tmp_path / "restored_media"
    restore_env = _env(
        tmp_path,
        DATABASE_URL=_url(server, target),
        MEDIA_ROOT=str(restored_media),
        FILE=str(backup),
        BACKUP_AGE_IDENTITY=str(identity),
        S3_BUCKET="qed-media",
    )
    result = _run(["bash", "scripts/restore.sh"], restore_env)
    assert "the files are not restored (database only)" in result.stderr
    assert not restored_media.exists()


def test_backup_refuses_without_a_valid_public_key(tmp_path):
    # The key is checked before the database is even reached (this one does not exist).
    env = _env(tmp_path, DATABASE_URL="postgres://postgres@127.0.0.1:5432/nothing")
    assert "BACKUP_AGE_RECIPIENT is not set" in _refused("scripts/backup.sh", env)
    env["BACKUP_AGE_RECIPIENT"] = "age1notakey"
    assert "not a valid age public key" in _refused("scripts/backup.sh", env)
    # The secret half of a pair, pasted by mistake, is refused too: it must not live on the server.
    _, identity = _keypair(tmp_path)
    secret = next(
        line for line in identity.read_text().splitlines() if line.startswith("AGE-SECRET-KEY-")
    )
    env["BACKUP_AGE_RECIPIENT"] = secret
    stderr = _refused("scripts/backup.sh", env)
    assert "secret key" in stderr and secret not in stderr
    assert not (tmp_path / "var" / "backups").exists()


def test_restore_with_the_wrong_key_changes_nothing(tmp_path, scratch_database):
    server, source = scratch_database(
        "CREATE TABLE resident (email text)",
        "INSERT INTO resident VALUES ('habitante@example.org')",
    )
    _, target = scratch_database(
        "CREATE TABLE kept (note text)", "INSERT INTO kept VALUES ('still here')"
    )
    recipient, _ = _keypair(tmp_path, "right")
    _, wrong = _keypair(tmp_path, "wrong")
    env = _env(tmp_path, DATABASE_URL=_url(server, source), BACKUP_AGE_RECIPIENT=recipient)
    backup = _run(["bash", "scripts/backup.sh"], env).stdout.strip().splitlines()[-1]

    restored_media = tmp_path / "restored_media"
    restore_env = _env(
        tmp_path,
        DATABASE_URL=_url(server, target),
        MEDIA_ROOT=str(restored_media),
        FILE=backup,
        BACKUP_AGE_IDENTITY=str(wrong),
    )
    stderr = _refused("scripts/restore.sh", restore_env)
    assert "does not decrypt" in stderr and "nothing restored" in stderr
    assert _row_counts(server, target) == {"kept": 1}
    assert not restored_media.exists()


def _stamp(age: timedelta) -> str:
    return (datetime.now(UTC) - age).strftime("%Y%m%dT%H%M%SZ")


def test_backup_prunes_the_folders_older_than_the_retention(tmp_path, scratch_database):
    server, source = scratch_database()
    recipient, _ = _keypair(tmp_path)
    backups = tmp_path / "var" / "backups"
    days = timedelta(days=1)
    old = [
        f"{source}-{_stamp(35 * days + timedelta(hours=1))}",
        f"participation-{_stamp(400 * days)}",  # another database's, from last year
        f"{source}-{_stamp(40 * days)}.partial",  # an interrupted backup
    ]
    recent = [
        f"{source}-{_stamp(35 * days - timedelta(hours=1))}",
        f"{source}-{_stamp(1 * days)}",
        "notes",  # not a backup folder: never touched
    ]
    for name in old + recent:
        (backups / name).mkdir(parents=True)
        (backups / name / "manifest.txt").write_text("")
    # The date is read from the name: a recent backup copied (or touched) long ago stays, an old
    # one copied today goes.
    long_ago = (datetime.now(UTC) - 400 * days).timestamp()
    os.utime(backups / recent[0], (long_ago, long_ago))

    env = _env(tmp_path, DATABASE_URL=_url(server, source), BACKUP_AGE_RECIPIENT=recipient)
    # A failed backup prunes nothing.
    failed = dict(env, DATABASE_URL=_url(server, "qed_backup_missing"))
    assert "cannot connect" in _refused("scripts/backup.sh", failed)
    assert "must be a whole number" in _refused(
        "scripts/backup.sh", dict(env, BACKUP_RETENTION_DAYS="0")
    )
    assert {path.name for path in backups.iterdir()} == set(old + recent)

    result = _run(["bash", "scripts/backup.sh"], env)
    new = Path(result.stdout.strip().splitlines()[-1])
    assert {path.name for path in backups.iterdir()} == {*recent, new.name}
    assert {path.name for path in new.iterdir()} == BACKUP_FILES
    # Two backups cannot share a second (the folder name): the next one is made in the next.
    while _stamp(timedelta()) == new.name.rsplit("-", 1)[1]:
        time.sleep(0.05)
    for name in old:
        assert f"Pruned {backups / name} (older than 35 days)" in result.stderr
    assert result.stderr.count("Pruned") == len(old)

    # A shorter retention, from the environment: only today's backups are left.
    result = _run(["bash", "scripts/backup.sh"], dict(env, BACKUP_RETENTION_DAYS="1"))
    newest = Path(result.stdout.strip().splitlines()[-1])
    assert {path.name for path in backups.iterdir()} == {"notes", new.name, newest.name}


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
    for part in BACKUP_FILES:
        (folder / part).write_text("")
    env = _env(tmp_path, DATABASE_URL="postgres://postgres@127.0.0.1:5432/nothing")
    env.update(DEBUG="false", FILE=str(folder))
    assert "FORCE=1" in _refused("scripts/restore.sh", env)
    # Forced, it goes on to the next checks: the key, then the files (empty: they do not match
    # the manifest).
    env["FORCE"] = "1"
    assert "BACKUP_AGE_IDENTITY is not set" in _refused("scripts/restore.sh", env)
    env["BACKUP_AGE_IDENTITY"] = str(tmp_path / "missing.key")
    assert "not a readable file" in _refused("scripts/restore.sh", env)
    env["BACKUP_AGE_IDENTITY"] = str(_keypair(tmp_path)[1])
    assert "sha256" in _refused("scripts/restore.sh", env)


def test_restore_refuses_an_unencrypted_backup(tmp_path):
    # A folder of the plain format of before: a clear message, not "incomplete".
    folder = tmp_path / "backup"
    folder.mkdir()
    for part in ("manifest.txt", "database.dump", "media.tar.gz"):
        (folder / part).write_text("")
    env = _env(
        tmp_path, DATABASE_URL="postgres://postgres@127.0.0.1:5432/nothing", FILE=str(folder)
    )
    assert "unencrypted backup" in _refused("scripts/restore.sh", env)


def test_the_tools_of_the_backups_are_installed_wherever_they_run():
    """`make system-deps` (so `make test`, CI) and the production image install age and pg_dump."""
    system_deps = (ROOT / "scripts" / "system_deps.sh").read_text()
    run_packages = system_deps.split("PACKAGES=(", 1)[1].split(")", 1)[0].split()
    assert "age" in run_packages
    dockerfile = (ROOT / "Dockerfile").read_text()
    install = dockerfile.split("apt-get install", 1)[1].split("&& rm -rf", 1)[0].split()
    assert {"age", "postgresql-client"} <= set(install)
