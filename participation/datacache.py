"""Caches that stay correct: keyed by data versions that database writes bump (issues 9 and 21).

The versions are numbers in the shared cache (Redis in production, so every web process and the
Celery workers see the same ones). Every INSERT, UPDATE or DELETE that goes through Django's
database connection is seen, whatever the path: `save()`, `QuerySet.update()`, `bulk_create()`,
deletions, raw SQL. Its table (and, for an UPDATE, the columns it sets) names the *topics* it
changes (`TABLE_TOPICS`: "meetings", "seats", "questions"...); the write bumps the version of each
of them, and the global version. It is bumped twice: at once (so that later reads of the same
transaction, such as a test's next request, miss the cache) and when the transaction commits (so
that a page rendered by another process from the data before the commit, and stored under the
intermediate version, is never read again). A cached value is stored under the versions read
*before* computing it: at worst a value computed from fresh data lands under an old version, never
stale data under a new one.

Two users of it:

- `public_page`: a view decorator that caches the whole page for visitors without a session (the
  public pages people read most: home, QPV, agenda, meeting, Q&A, projects, news). Each page
  declares in `PAGE_TOPICS` the topics it shows, and its key holds their versions only: a check-in
  or a speaking-time tap during a live meeting (topics "attendance" and "speaking", which no public
  page shows) leaves every cached page valid, a registration ("seats") leaves the Q&A and the
  projects valid. The CSRF token each page carries (language switch, htmx header, forms) is taken
  out of the stored copy and the visitor's own token put back at each hit, so forms keep working.
  The promised delays: a write a page shows is on the next anonymous request; what depends on the
  clock alone (a meeting that starts leaves the agenda, a question becomes overdue, a news item
  scheduled for later comes out) within PAGE_CACHE_SECONDS (60 s by default), the lifetime of an
  entry. Signed-in users, visitors carrying a flash message and anything but GET/HEAD always get a
  fresh page. `public_page_varying` adds a part to the key for a page that depends on a
  preference cookie too (the home page and the neighbourhood its visitor chose).
- `versioned`: a value computed from the database (the indicator catalogue of the dashboard, which
  reads nearly every table), kept until the next write (the global version) or its timeout.

Writes that never change what these caches hold (sessions, the audit log, authenticators, the
progress of PDF reports, a login's `last_login`) bump nothing. A table `TABLE_TOPICS` does not
name bumps the topic "other", which every page depends on: a new table is safe before it is
classified. Rows written outside Django's connection (COPY of the scale dataset, a restore with
psql) are covered by the timeouts; `bump()` can be called after them (every topic).

When the cache cannot be reached, writes go on (nothing is bumped) and public pages are rendered
without it.
"""

from __future__ import annotations

import functools
import hashlib
import logging
import re
import threading
import time
from collections.abc import Callable, Iterable
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
TOPIC_VERSION_KEY = "datacache:version:{}"
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

# What each table holds, as the pages see it. "private": rows no public page shows (they still bump
# the global version, which the dashboard's indicators follow).
TABLE_TOPICS: dict[str, tuple[str, ...]] = {
    # The territory: every page's header menu lists the QPV.
    "qpv_commune": ("territory",),
    "qpv_qpv": ("territory",),
    "qpv_organisation": ("territory",),
    "qpv_organisation_qpvs": ("territory",),
    "qpv_newsitem": ("news",),
    "dialogue_dialoguespace": ("meetings",),
    "dialogue_meeting": ("meetings",),
    "dialogue_meetingtranslation": ("meetings",),
    "dialogue_minutes": ("meetings",),
    # Seat counts and "full" badges; ticking someone present is "attendance" (UPDATE_TOPICS).
    "dialogue_registration": ("seats",),
    "dialogue_walkin": ("attendance",),
    "dialogue_speakingturn": ("speaking",),
    "dialogue_feedback": ("feedback",),
    "dialogue_feedbacktoken": ("feedback",),
    "dialogue_comebackinvitation": ("private",),
    "dialogue_question": ("questions",),
    "dialogue_answer": ("questions",),
    "dialogue_answerrevision": ("questions",),
    "dialogue_duedatechange": ("questions",),
    "questions_questionevent": ("questions",),
    "questions_questionfollow": ("private",),
    "projects_project": ("projects",),
    "projects_projectstep": ("projects",),
    "projects_influencerecord": ("projects",),
    "projects_experienceevaluation": ("projects",),
    "projects_fundenvelope": ("projects",),
    "projects_grantapplication": ("projects",),
    "projects_grantpayment": ("projects",),
    # Names of people (authors, facilitators) may appear on pages.
    "participation_user": ("people",),
    "qpv_follow": ("private",),
    "participation_roleassignment": ("private",),
    "participation_invitation": ("private",),
    "participation_user_groups": ("private",),
    "participation_user_user_permissions": ("private",),
    "account_emailaddress": ("private",),
    "notifications_contactpreference": ("private",),
    "notifications_smsoptout": ("private",),
    "notifications_textmessage": ("private",),
    "evaluation_indicatortarget": ("private",),
    "evaluation_reportsection": ("private",),
    "evaluation_reportcomment": ("private",),
    "django_admin_log": ("private",),
}
# An UPDATE that sets only these columns of the table changes these topics instead: the live
# meeting's taps (check-in, the speaking-time tracker's pause) are shown on no public page.
UPDATE_TOPICS: dict[str, tuple[frozenset[str], tuple[str, ...]]] = {
    "dialogue_registration": (frozenset({"attended", "checked_in_at"}), ("attendance",)),
    "dialogue_meeting": (frozenset({"tracker_paused"}), ("speaking",)),
}
UNKNOWN_TOPIC = "other"

# What each public page shows (the argument of `public_page`): its cached copy is kept until a
# write to one of these topics ("other" is added to all), or PAGE_CACHE_SECONDS for the clock.
PAGE_TOPICS: dict[str, tuple[str, ...]] = {
    "home": ("territory", "meetings", "seats", "questions"),
    "qpv": ("territory", "meetings", "seats", "questions", "projects", "news"),
    "agenda": ("territory", "meetings", "seats"),
    "past_meetings": ("territory", "meetings"),
    # The meeting page lists the questions asked at the meeting.
    "meeting": ("territory", "meetings", "seats", "questions"),
    "space": ("territory", "meetings", "seats"),
    # Questions name their meeting; the transparency figures count them.
    "questions": ("territory", "meetings", "questions", "people"),
    "question": ("territory", "meetings", "questions", "people"),
    # A project links the meetings and questions it came from (influence records).
    "projects": ("territory", "projects"),
    "project": ("territory", "meetings", "questions", "projects"),
    "news": ("territory", "news"),
}
ALL_TOPICS = frozenset(
    {topic for topics in TABLE_TOPICS.values() for topic in topics} | {UNKNOWN_TOPIC}
)

_WRITE = re.compile(
    r'^\s*(?:INSERT\s+INTO|UPDATE|DELETE\s+FROM)\s+"?([A-Za-z0-9_]+)"?', re.IGNORECASE
)
# An UPDATE whose SET list is plain `"column" = value` items (no subquery that could hide more).
_SIMPLE_UPDATE = re.compile(
    r'^\s*UPDATE\s+"?[A-Za-z0-9_]+"?\s+SET\s+'
    r'((?:"[A-Za-z0-9_]+"\s*=\s*(?:%s|NULL|true|false|[0-9]+)\s*,\s*)*'
    r'"[A-Za-z0-9_]+"\s*=\s*(?:%s|NULL|true|false|[0-9]+))\s+WHERE\b',
    re.IGNORECASE,
)
_COLUMN = re.compile(r'"([A-Za-z0-9_]+)"\s*=')
# A login only stamps last_login: nothing shown anywhere changes.
_LAST_LOGIN = re.compile(
    r'^\s*UPDATE\s+"?participation_user"?\s+SET\s+"?last_login"?\s*=\s*%s\s+WHERE'
)


# -- The versions ------------------------------------------------------------------------------


def _start() -> int:
    # A version lost (cache restarted, key evicted) starts again above any number used before,
    # so that no entry stored under an older one can be read again.
    return time.time_ns()


def version() -> int:
    """The global data version, bumped by every write (created on first use)."""
    value = cache.get(VERSION_KEY)
    if value is None:
        cache.add(VERSION_KEY, _start(), timeout=None)
        value = cache.get(VERSION_KEY)
    return int(value)


def topic_versions(topics: tuple[str, ...]) -> tuple[int, ...]:
    """The versions of `topics`, in their order, in one round trip (created on first use)."""
    keys = [TOPIC_VERSION_KEY.format(topic) for topic in topics]
    found = cache.get_many(keys)
    missing = [key for key in keys if key not in found]
    if missing:
        for key in missing:
            cache.add(key, _start(), timeout=None)
        found.update(cache.get_many(missing))
    return tuple(int(found[key]) for key in keys)


def bump(topics: Iterable[str] | None = None) -> None:
    """A write happened: entries stored under these topics (all of them: None) are out of date.

    The global version is always bumped."""
    keys = [VERSION_KEY]
    keys += [
        TOPIC_VERSION_KEY.format(topic)
        for topic in sorted(ALL_TOPICS if topics is None else topics)
    ]
    try:
        for key in keys:
            try:
                cache.incr(key)
            except ValueError:  # no version yet: the next read creates one above every older
                cache.add(key, _start(), timeout=None)
    except Exception:  # the cache is down: it serves nothing either; the write must not fail
        logger.exception("Data version not bumped (cache unavailable).")


class _PendingBump:
    """The bump a transaction owes when it commits: the topics of all its writes, once."""

    def __init__(self) -> None:
        self.topics: set[str] = set()

    def __call__(self) -> None:
        bump(self.topics)


def _bump_on_commit(using: str, topics: tuple[str, ...]) -> None:
    from django.db import connections

    connection = connections[using]
    if not connection.in_atomic_block:
        return  # autocommit: the immediate bump came after the write was committed
    current = set(connection.savepoint_ids)
    # One pending bump is enough, unless it sits in a savepoint this write is not in (a rollback
    # of that savepoint would drop the bump, not this write).
    # Django 5.2 stores (savepoint ids, function, robust): the stubs still say two items.
    for sids, func, _robust in connection.run_on_commit:  # type: ignore[misc]
        if isinstance(func, _PendingBump) and set(sids) <= current:
            func.topics.update(topics)
            return
    pending = _PendingBump()
    pending.topics.update(topics)
    transaction.on_commit(pending, using=using, robust=True)


def written_topics(sql: str) -> tuple[str, ...]:
    """The topics a statement changes; () for a read or a write that changes nothing shown."""
    match = _WRITE.match(sql)
    if match is None:
        return ()
    table = match.group(1).lower()
    if table in IGNORED_TABLES or _LAST_LOGIN.match(sql) is not None:
        return ()
    narrower = UPDATE_TOPICS.get(table)
    if narrower is not None:
        update = _SIMPLE_UPDATE.match(sql)
        if update is not None and set(_COLUMN.findall(update.group(1))) <= narrower[0]:
            return narrower[1]
    return TABLE_TOPICS.get(table, (UNKNOWN_TOPIC,))


_inside = threading.local()


def _watch_writes(execute, sql, params, many, context):
    result = execute(sql, params, many, context)
    # The guard: a cache kept in the database itself would write when bumped.
    if isinstance(sql, str) and not getattr(_inside, "bumping", False):
        topics = written_topics(sql)
        if topics:
            _inside.bumping = True
            try:
                bump(topics)
                _bump_on_commit(context["connection"].alias, topics)
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


def versioned(
    namespace: str,
    parts: tuple,
    compute: Callable[[], T],
    *,
    timeout: int = 600,
    topics: tuple[str, ...] | None = None,
) -> T:
    """`compute()`, or its result stored since the last write (`parts` must identify it); with
    `topics`, since the last write to one of them (the unclassified "other" is always added)."""
    digest = hashlib.sha256(repr(parts).encode()).hexdigest()[:32]
    try:
        if topics is None:
            stamp = str(version())
        else:
            stamp = "-".join(map(str, topic_versions((*topics, UNKNOWN_TOPIC))))
        key = f"datacache:{namespace}:{stamp}:{digest}"
        stored = cache.get(key)
    except Exception:  # the cache is down: compute, as if it were off
        logger.warning("Cache unreachable: %s computed without it.", namespace)
        return compute()
    if stored is not None:
        return stored[0]
    value = compute()
    try:
        cache.set(key, (value,), timeout)
    except Exception:  # stored next time
        logger.warning("Cache unreachable: %s not stored.", namespace)
    return value


# -- Public pages ------------------------------------------------------------------------------

CSRF_PLACEHOLDER = b"__qed-csrf-token__"
# Says that the answer came from the cache (tests, the benchmark, someone debugging with curl).
CACHE_HEADER = "X-Page-Cache"
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


def _page_key(request: HttpRequest, topics: tuple[str, ...], extra: str = "") -> str:
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
    versions = ".".join(str(number) for number in topic_versions(topics))
    return f"datacache:page:{versions}:{hashlib.sha256(variant.encode()).hexdigest()[:40]}"


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


def _page_topics(page: str) -> tuple[str, ...]:
    # A page missing from PAGE_TOPICS fails at import time, not at its first visitor.
    return (*PAGE_TOPICS[page], UNKNOWN_TOPIC)


def public_page(
    page: str,
) -> Callable[[Callable[..., HttpResponse]], Callable[..., HttpResponse]]:
    """Cache a public page for visitors without a session, until a write to one of the topics
    `PAGE_TOPICS[page]` names, or PAGE_CACHE_SECONDS."""
    topics = _page_topics(page)

    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        return _cached_page(view, topics, None)

    return decorator


def public_page_varying(
    page: str, variant: Callable[[HttpRequest], str]
) -> Callable[[Callable[..., HttpResponse]], Callable[..., HttpResponse]]:
    """`public_page` for a page that also depends on something the visitor's request carries
    besides its URL and language (a preference cookie): `variant(request)` names the version of
    the page and is part of the key. It must be exactly what the view reads (the same
    normalisation), and never personal: visitors with the same variant share the page."""
    topics = _page_topics(page)

    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        return _cached_page(view, topics, variant)

    return decorator


def _cached_page(
    view: Callable[..., HttpResponse],
    topics: tuple[str, ...],
    variant: Callable[[HttpRequest], str] | None,
) -> Callable[..., HttpResponse]:
    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not _cacheable(request):
            return view(request, *args, **kwargs)
        try:
            key = _page_key(request, topics, variant(request) if variant is not None else "")
            entry = cache.get(key)
        except Exception:  # the cache is down: serve the page as if it were off
            logger.exception("Page cache unavailable.")
            return view(request, *args, **kwargs)
        if entry is not None:
            response = _response(request, entry)
            response.headers[CACHE_HEADER] = "hit"
            return response
        response = view(request, *args, **kwargs)
        if request.method == "GET":
            entry = _entry(request, response)
            if entry is not None:
                try:
                    cache.set(key, entry, page_cache_seconds())
                except Exception:
                    logger.exception("Page not cached (cache unavailable).")
        return response

    return wrapper
