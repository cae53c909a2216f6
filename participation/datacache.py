"""Caches that stay correct: keyed by a data version that every database write bumps (issue 9).

The version is a number in the shared cache (Redis in production, so every web process and the
Celery workers see the same one). Every INSERT, UPDATE or DELETE that goes through Django's database
connection bumps it, whatever the path: `save()`, `QuerySet.update()`, `bulk_create()`, deletions,
raw SQL. It is bumped twice: at once (so that later reads of the same transaction, such as a test's
next request, miss the cache) and when the transaction commits (so that a page rendered by another
process from the data before the commit, and stored under the intermediate version, is never read
again). A cached value is stored under the version read *before* computing it: at worst a value
computed from fresh data lands under an old version, never stale data under a new one.

Two users of it:

- `public_page`: a view decorator that caches the whole page for visitors without a session (the
  public pages people read most: home, QPV, agenda, meeting, Q&A, projects). The CSRF token each
  page carries (language switch, htmx header, forms) is taken out of the stored copy and the
  visitor's own token put back at each hit, so forms keep working. Pages also depend on the clock
  (a meeting that ends leaves the agenda, a question becomes overdue): entries live
  PAGE_CACHE_SECONDS (60 s by default), the bound of that staleness. Signed-in users, visitors
  carrying a flash message and anything but GET/HEAD always get a fresh page. `public_page_varying`
  adds a part to the key for a page that depends on a preference cookie too (the home page and
  the neighbourhood its visitor chose).
- `versioned`: a value computed from the database (the indicator catalogue of the dashboard), kept
  until the next write or its timeout.

Writes that never change what these caches hold (sessions, the audit log, authenticators, the
progress of PDF reports, a login's `last_login`) do not bump the version. Rows written outside
Django's connection (COPY of the scale dataset, a restore with psql) are covered by the timeouts;
`bump()` can be called after them.
"""

from __future__ import annotations

import functools
import hashlib
import logging
import re
import threading
import time
from collections.abc import Callable
from typing import TypeVar

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.backends.signals import connection_created
from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import CSRF_ALLOWED_CHARS, CSRF_SECRET_LENGTH, get_token

T = TypeVar("T")
logger = logging.getLogger(__name__)

VERSION_KEY = "datacache:version"
# The tables whose writes leave every cached page and indicator as they were.
IGNORED_TABLES = frozenset(
    {
        "django_session",
        "auditlog_logentry",
        "mfa_authenticator",
        "usersessions_usersession",
        "account_emailconfirmation",
        "evaluation_report",
    }
)
_WRITE = re.compile(
    r'^\s*(?:INSERT\s+INTO|UPDATE|DELETE\s+FROM)\s+"?([A-Za-z0-9_]+)"?', re.IGNORECASE
)
# A login only stamps last_login: nothing shown anywhere changes.
_LAST_LOGIN = re.compile(
    r'^\s*UPDATE\s+"?participation_user"?\s+SET\s+"?last_login"?\s*=\s*%s\s+WHERE'
)


# -- The version -------------------------------------------------------------------------------


def version() -> int:
    """The current data version (created on first use, from the clock, never going back)."""
    value = cache.get(VERSION_KEY)
    if value is None:
        # Lost (cache restarted, key evicted): start above any version used before, so that no
        # entry stored under an older number can be read again.
        cache.add(VERSION_KEY, time.time_ns(), timeout=None)
        value = cache.get(VERSION_KEY)
    return int(value)


def bump() -> None:
    """A write happened: every entry stored so far is out of date."""
    try:
        try:
            cache.incr(VERSION_KEY)
        except ValueError:  # no version yet: version() creates one above every older number
            version()
    except Exception:  # the cache is down: it serves nothing either; the write must not fail
        logger.exception("Data version not bumped (cache unavailable).")


def _bump_on_commit(using: str) -> None:
    from django.db import connections

    connection = connections[using]
    if not connection.in_atomic_block:
        return  # autocommit: the immediate bump came after the write was committed
    current = set(connection.savepoint_ids)
    # One pending bump is enough, unless it sits in a savepoint this write is not in (a rollback
    # of that savepoint would drop the bump, not this write).
    # Django 5.2 stores (savepoint ids, function, robust): the stubs still say two items.
    for sids, func, _robust in connection.run_on_commit:  # type: ignore[misc]
        if func is bump and set(sids) <= current:
            return
    transaction.on_commit(bump, using=using, robust=True)


def _is_relevant_write(sql: str) -> bool:
    match = _WRITE.match(sql)
    if match is None:
        return False
    if match.group(1).lower() in IGNORED_TABLES:
        return False
    return _LAST_LOGIN.match(sql) is None


_inside = threading.local()


def _watch_writes(execute, sql, params, many, context):
    result = execute(sql, params, many, context)
    # The guard: a cache kept in the database itself would write when bumped.
    if isinstance(sql, str) and not getattr(_inside, "bumping", False) and _is_relevant_write(sql):
        _inside.bumping = True
        try:
            bump()
            _bump_on_commit(context["connection"].alias)
        finally:
            _inside.bumping = False
    return result


def _install(sender, connection, **kwargs) -> None:
    if _watch_writes not in connection.execute_wrappers:
        connection.execute_wrappers.insert(0, _watch_writes)


def install() -> None:
    """Watch the writes of every database connection (called from the app's ready())."""
    from django.db import connections

    connection_created.connect(_install, dispatch_uid="participation.datacache")
    for connection in connections.all(initialized_only=True):
        _install(None, connection)


# -- Values computed from the database ---------------------------------------------------------


def versioned(namespace: str, parts: tuple, compute: Callable[[], T], *, timeout: int = 600) -> T:
    """`compute()`, or its result stored since the last write (`parts` must identify it)."""
    digest = hashlib.sha256(repr(parts).encode()).hexdigest()[:32]
    key = f"datacache:{namespace}:{version()}:{digest}"
    stored = cache.get(key)
    if stored is not None:
        return stored[0]
    value = compute()
    cache.set(key, (value,), timeout)
    return value


# -- Public pages ------------------------------------------------------------------------------

CSRF_PLACEHOLDER = b"__qed-csrf-token__"
_TOKEN = re.compile(rb"(?<![A-Za-z0-9])[A-Za-z0-9]{64}(?![A-Za-z0-9])")


def page_cache_seconds() -> int:
    return int(getattr(settings, "PAGE_CACHE_SECONDS", 60))


def _cacheable(request: HttpRequest) -> bool:
    return (
        page_cache_seconds() > 0
        and request.method in ("GET", "HEAD")
        # No session: the visitor is anonymous, with no pending message (MESSAGE_STORAGE keeps
        # them in the session) or form state.
        and settings.SESSION_COOKIE_NAME not in request.COOKIES
    )


def _page_key(request: HttpRequest, extra: str = "") -> str:
    variant = "|".join(
        (
            request.get_host(),
            request.get_full_path(),
            getattr(request, "LANGUAGE_CODE", settings.LANGUAGE_CODE),
            request.headers.get("HX-Request", ""),
            request.headers.get("HX-History-Restore-Request", ""),
            extra,
        )
    )
    return f"datacache:page:{version()}:{hashlib.sha256(variant.encode()).hexdigest()[:40]}"


def unmask_csrf_token(token: str) -> str:
    """The CSRF secret a masked form token carries (the first half is a mask over the second).

    Django keeps its own function private; this follows the documented format of the public
    constants. A wrong guess costs only the cache: the page is then not stored.
    """
    mask, cipher = token[:CSRF_SECRET_LENGTH], token[CSRF_SECRET_LENGTH:]
    if len(cipher) != CSRF_SECRET_LENGTH:
        raise ValueError("not a masked CSRF token")
    chars = CSRF_ALLOWED_CHARS
    return "".join(
        chars[chars.index(c) - chars.index(m)] for c, m in zip(cipher, mask, strict=True)
    )


def _without_csrf_token(request: HttpRequest, content: bytes) -> tuple[bytes, bool] | None:
    """The page with the visitor's CSRF token replaced by a placeholder; None if unsure."""
    if not request.META.get("CSRF_COOKIE_NEEDS_UPDATE"):
        return content, False  # the page holds no token
    secret = request.META.get("CSRF_COOKIE")
    if not secret:
        return None
    for token in set(_TOKEN.findall(content)):
        try:
            if unmask_csrf_token(token.decode()) == secret:
                content = content.replace(token, CSRF_PLACEHOLDER)
        except (ValueError, IndexError):
            continue
    return content, True


def _entry(request: HttpRequest, response: HttpResponse) -> dict | None:
    if response.status_code != 200 or response.streaming or response.cookies:
        return None
    storage = getattr(request, "_messages", None)
    if storage is not None and getattr(storage, "_queued_messages", None):
        return None
    cleaned = _without_csrf_token(request, response.content)
    if cleaned is None:
        return None
    content, csrf = cleaned
    return {"content": content, "headers": list(response.headers.items()), "csrf": csrf}


def _response(request: HttpRequest, entry: dict) -> HttpResponse:
    content = entry["content"]
    if entry["csrf"]:
        # The visitor's own token (and cookie, set by CsrfViewMiddleware as for a fresh page).
        content = content.replace(CSRF_PLACEHOLDER, get_token(request).encode())
    response = HttpResponse(content)
    for name, value in entry["headers"]:
        response.headers[name] = value
    return response


def public_page(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Cache a public page for visitors without a session, until the next write or 60 s."""
    return _cached_page(view, None)


def public_page_varying(
    variant: Callable[[HttpRequest], str],
) -> Callable[[Callable[..., HttpResponse]], Callable[..., HttpResponse]]:
    """`public_page` for a page that also depends on something the visitor's request carries
    besides its URL and language (a preference cookie): `variant(request)` names the version of
    the page and is part of the key. It must be exactly what the view reads (the same
    normalisation), and never personal: visitors with the same variant share the page."""

    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        return _cached_page(view, variant)

    return decorator


def _cached_page(
    view: Callable[..., HttpResponse], variant: Callable[[HttpRequest], str] | None
) -> Callable[..., HttpResponse]:
    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not _cacheable(request):
            return view(request, *args, **kwargs)
        key = _page_key(request, variant(request) if variant is not None else "")
        entry = cache.get(key)
        if entry is not None:
            return _response(request, entry)
        response = view(request, *args, **kwargs)
        if request.method == "GET":
            entry = _entry(request, response)
            if entry is not None:
                cache.set(key, entry, page_cache_seconds())
        return response

    return wrapper
