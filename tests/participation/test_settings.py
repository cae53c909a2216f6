"""Settings come from the environment through strict helpers; bad values stop start-up cleanly."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from participation.env import (
    SettingsError,
    env_bool,
    env_database,
    env_int,
    env_list,
    env_redis_url,
)

ROOT = Path(__file__).resolve().parents[2]


def run_manage(*args: str, **env: str) -> subprocess.CompletedProcess:
    clean = {
        key: value
        for key, value in os.environ.items()
        # DJANGO_ALLOW_ASYNC_UNSAFE is set by the browser tests' session (tests/browser/conftest.py)
        if key
        not in {
            "DEBUG",
            "SECRET_KEY",
            "DATABASE_URL",
            "REDIS_URL",
            "ALLOWED_HOSTS",
            "DJANGO_ALLOW_ASYNC_UNSAFE",
        }
    }
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"DEBUG": "true", "DATABASE_URL": "nonsense"}, "DATABASE_URL must be a postgres://"),
        ({"DEBUG": "true", "DATABASE_URL": "mysql://db/x"}, "DATABASE_URL must be a postgres://"),
        ({"DEBUG": "true", "DATABASE_URL": "postgres://u:secret@db"}, "names no database"),
        ({"DEBUG": "true", "REDIS_URL": "localhost:6379"}, "REDIS_URL must be a redis:// URL"),
        ({"DEBUG": "maybe"}, "DEBUG='maybe' is not a boolean"),
        ({"DEBUG": "false"}, "SECRET_KEY must be set when DEBUG is off"),
        ({"DEBUG": "true", "EMAIL_PORT": "smtp"}, "EMAIL_PORT='smtp' is not an integer"),
        ({"DEBUG": "true", "TRUSTED_PROXIES": "-1"}, "TRUSTED_PROXIES=-1 must be at least 0"),
        (
            {"DEBUG": "true", "CELERY_BROKER_URL": "amqp://localhost"},
            "CELERY_BROKER_URL may only be filesystem://",
        ),
    ],
)
def test_bad_environment_stops_startup_with_one_line(env, message):
    result = run_manage("check", **env)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("Configuration error: ")
    assert message in lines[0]
    assert "secret" not in lines[0].replace("SECRET_KEY", "")


@pytest.mark.parametrize(
    ("env", "proxies"),
    [({}, "0 0"), ({"TRUSTED_PROXIES": "2"}, "2 2"), ({"USE_X_FORWARDED_FOR": "true"}, "1 1")],
)
def test_trusted_proxies_drive_allauth_too_and_the_former_variable_still_means_one(env, proxies):
    show = "from django.conf import settings as s; print(s.TRUSTED_PROXIES, s.ALLAUTH_TRUSTED_PROXY_COUNT)"
    result = run_manage("shell", "-c", show, DEBUG="true", **env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == proxies


def test_local_run_needs_no_variable():
    result = run_manage("check", DEBUG="true")
    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout


def test_check_deploy_is_clean_with_production_environment(tmp_path):
    result = run_manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        DEBUG="false",
        SECRET_KEY="k" * 20 + "-production-secret-with-enough-entropy-1234567890",
        ALLOWED_HOSTS="quartiers.example.org",
        DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}",
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_settings_are_secure(tmp_path):
    code = (
        "from django.conf import settings as s;"
        "print(s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.SECURE_SSL_REDIRECT,"
        " s.SECURE_HSTS_SECONDS, s.CELERY_TASK_ALWAYS_EAGER, s.CACHES['default']['BACKEND'],"
        " s.DATABASES['default']['ENGINE'])"
    )
    result = run_manage(
        "shell",
        "--no-imports",
        "-c",
        code,
        DEBUG="false",
        SECRET_KEY="x" * 60,
        DATABASE_URL="postgres://postgres@127.0.0.1:5432/participation",
        REDIS_URL="redis://127.0.0.1:6379/3",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [
        "True",
        "True",
        "True",
        "31536000",
        "False",
        "participation.redis_cache.RedisCache",
        "django.db.backends.postgresql",
    ]


def test_env_helpers(monkeypatch, tmp_path):
    monkeypatch.setenv("FLAG", "Yes")
    assert env_bool("FLAG") is True
    monkeypatch.setenv("FLAG", "0")
    assert env_bool("FLAG", default=True) is False
    monkeypatch.setenv("NUMBER", "-3")
    with pytest.raises(SettingsError, match="at least 0"):
        env_int("NUMBER", 1, minimum=0)
    monkeypatch.setenv("HOSTS", "a.example.org, b.example.org,")
    assert env_list("HOSTS", []) == ["a.example.org", "b.example.org"]
    monkeypatch.delenv("DB", raising=False)
    assert env_database("DB", tmp_path / "x.sqlite3")["ENGINE"] == "django.db.backends.sqlite3"
    monkeypatch.setenv("DB", "postgres://user:pw@db.example.org:5433/qed")
    config = env_database("DB", tmp_path / "x.sqlite3")
    assert (config["HOST"], config["PORT"], config["NAME"]) == ("db.example.org", 5433, "qed")
    monkeypatch.setenv("DB", "oracle://user:hunter2@db/x")
    with pytest.raises(SettingsError) as error:
        env_database("DB", tmp_path / "x.sqlite3")
    assert "hunter2" not in str(error.value)
    monkeypatch.setenv("CACHE", "redis://127.0.0.1:6379/1")
    assert env_redis_url("CACHE") == "redis://127.0.0.1:6379/1"
    monkeypatch.setenv("CACHE", "")
    assert env_redis_url("CACHE") is None
