"""Strict readers for settings taken from the environment.

Every setting that comes from the environment goes through one of these helpers, so that a typo in a
deployment stops start-up with one sentence naming the variable, instead of a traceback later.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from django.core.exceptions import ImproperlyConfigured

if TYPE_CHECKING:
    from dj_database_url import DBConfig


class SettingsError(ImproperlyConfigured):
    """A bad value in the environment; its message is shown alone, on one line."""


_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def env_str(name: str, default: str | None = None) -> str:
    value = os.environ.get(name)
    if value is None:
        if default is None:
            raise SettingsError(f"{name} must be set in the environment.")
        return default
    return value


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    if value.strip().lower() in _TRUE:
        return True
    if value.strip().lower() in _FALSE:
        return False
    raise SettingsError(f"{name}={value!r} is not a boolean (use true or false).")


def env_int(name: str, default: int, *, minimum: int | None = None) -> int:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    try:
        number = int(value)
    except ValueError:
        raise SettingsError(f"{name}={value!r} is not an integer.") from None
    if minimum is not None and number < minimum:
        raise SettingsError(f"{name}={number} must be at least {minimum}.")
    return number


def env_list(name: str, default: list[str]) -> list[str]:
    value = os.environ.get(name)
    if value is None:
        return default
    return [item.strip() for item in value.split(",") if item.strip()]


def env_database(name: str, default_sqlite_path: Path) -> DBConfig:
    """Parse a database URL; only PostgreSQL and SQLite are supported."""
    import dj_database_url

    value = os.environ.get(name)
    if not value:
        return {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": str(default_sqlite_path),
            # The local run's worker writes beside the development server: with WAL, readers never
            # wait for a writer, and a writer waits for the other up to `timeout` seconds.
            "OPTIONS": {"timeout": 20, "init_command": "PRAGMA journal_mode=WAL;"},
        }
    scheme = urlsplit(value).scheme
    if scheme not in {"postgres", "postgresql", "sqlite"}:
        raise SettingsError(
            f"{name} must be a postgres:// or sqlite:// URL, got {_redact(value)!r}."
        )
    try:
        config = dj_database_url.parse(value, conn_max_age=60, conn_health_checks=True)
    except (ValueError, KeyError) as error:
        raise SettingsError(f"{name} could not be parsed: {error}.") from None
    if scheme.startswith("postgres") and not config.get("NAME"):
        raise SettingsError(f"{name} names no database (expected postgres://user@host/name).")
    return config


def env_redis_url(name: str) -> str | None:
    value = os.environ.get(name)
    if not value:
        return None
    parts = urlsplit(value)
    if parts.scheme not in {"redis", "rediss", "unix"} or not (parts.hostname or parts.path):
        raise SettingsError(f"{name} must be a redis:// URL, got {_redact(value)!r}.")
    return value


def env_http_url(name: str, default: str) -> str:
    """An http(s) address of a service we call (an SMS provider's API), without its trailing /."""
    value = os.environ.get(name) or default
    parts = urlsplit(value)
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise SettingsError(f"{name} must be an https:// URL, got {_redact(value)!r}.")
    return value.rstrip("/")


_BUCKET_NAME = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")


def env_object_store() -> dict[str, object] | None:
    """The options of django-storages' S3Storage read from the S3_* variables, or None when
    S3_BUCKET is unset (files then stay in MEDIA_ROOT).

    S3_BUCKET names the bucket; S3_ENDPOINT_URL the server when it is not AWS (MinIO, Garage, an
    OVHcloud or Scaleway bucket...); S3_REGION its region; S3_ACCESS_KEY_ID and S3_SECRET_ACCESS_KEY
    its keys (both or neither: without them boto3 looks for its own, AWS_* variables or an instance
    role); S3_PREFIX a folder inside the bucket; S3_ADDRESSING_STYLE `path` (the default with an
    endpoint: MinIO answers on one host name) or `virtual`.
    """
    bucket = os.environ.get("S3_BUCKET", "").strip()
    if not bucket:
        return None
    if not _BUCKET_NAME.match(bucket):
        raise SettingsError(f"S3_BUCKET={bucket!r} is not a bucket name (3-63 a-z, 0-9, . and -).")
    endpoint = os.environ.get("S3_ENDPOINT_URL", "").strip()
    if endpoint:
        endpoint = env_http_url("S3_ENDPOINT_URL", endpoint)
    access_key = os.environ.get("S3_ACCESS_KEY_ID", "")
    secret_key = os.environ.get("S3_SECRET_ACCESS_KEY", "")
    if bool(access_key) != bool(secret_key):
        raise SettingsError(
            "S3_ACCESS_KEY_ID and S3_SECRET_ACCESS_KEY go together: set both or neither."
        )
    style = os.environ.get("S3_ADDRESSING_STYLE", "").strip() or ("path" if endpoint else "auto")
    if style not in {"path", "virtual", "auto"}:
        raise SettingsError(f"S3_ADDRESSING_STYLE={style!r} must be path or virtual.")
    return {
        "bucket_name": bucket,
        "endpoint_url": endpoint or None,
        "region_name": os.environ.get("S3_REGION", "").strip() or None,
        "access_key": access_key or None,
        "secret_key": secret_key or None,
        "location": os.environ.get("S3_PREFIX", "").strip().strip("/"),
        "addressing_style": None if style == "auto" else style,
    }


def _redact(url: str) -> str:
    """Never echo a password found in a URL."""
    parts = urlsplit(url)
    if parts.password:
        return url.replace(parts.password, "***")
    return url


_LANGUAGE_CODE = re.compile(r"^[a-z]{2,3}(?:-[a-z0-9]{2,8})*$")


def env_languages(name: str, default: dict[str, str]) -> dict[str, str]:
    """Language codes and their native names, in order: "ar,tr,pt,en" or "ar,ti=ትግርኛ".

    A code without a name takes it from `default`, else from Django's list of languages; an
    unknown code needs its name. French is the portal's own language, never an extra one.
    """
    value = os.environ.get(name)
    if value is None:
        return default
    from django.conf.locale import LANG_INFO

    languages: dict[str, str] = {}
    for item in (part.strip() for part in value.split(",")):
        if not item:
            continue
        code, _sep, native = (piece.strip() for piece in item.partition("="))
        code = code.lower()
        if not _LANGUAGE_CODE.match(code):
            raise SettingsError(f"{name}: {code!r} is not a language code (e.g. ar, tr, pt-br).")
        if code == "fr":
            raise SettingsError(f"{name}: French is the portal's language, not a translation.")
        if code in languages:
            raise SettingsError(f"{name}: {code!r} is listed twice.")
        if not native:
            native = default.get(code) or LANG_INFO.get(code, {}).get("name_local", "")
            if not native:
                raise SettingsError(f"{name}: give the native name of {code!r}, as {code}=Name.")
        languages[code] = native
    return languages
