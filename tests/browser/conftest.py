"""Browser tests: Debian's Chromium driven by Playwright's sync API, against pytest-django's
live server. Never `playwright install`: the browser is the system's (scripts/system_deps.sh test).

Tests here are marked `browser`; they need `transaction=True` (the live server runs in another
thread) and `serialized_rollback=True` (so that the 13 QPV of the data migration survive).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from django.conf import settings

from tests.helpers import PortalClient

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SCREENSHOTS = Path(settings.BASE_DIR) / "artifacts" / "screenshots"


@pytest.fixture(scope="session")
def browser(django_db_setup, django_db_blocker) -> Iterator:
    from django.db import connections
    from playwright.sync_api import sync_playwright

    # What serialized_rollback restores (the data migrations' rows), kept by the test database's
    # connections of this thread.
    serialized = {
        alias: connections[alias]._test_serialized_contents
        for alias in connections
        if hasattr(connections[alias], "_test_serialized_contents")
    }
    # Playwright's sync API runs an event loop in this thread; Django then takes every ORM call of
    # the tests for an async one. They are synchronous: tell Django so, while the browser runs.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            # With an event loop running, Django keeps its connections per async context: new
            # connection objects, which must know the serialized contents too.
            for alias, contents in serialized.items():
                connections[alias]._test_serialized_contents = contents
            chromium = playwright.chromium.launch(
                executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
            )
            try:
                yield chromium
            finally:
                chromium.close()
                # Those connections must not outlive the loop (PostgreSQL would refuse to drop
                # the test database while they are open).
                with django_db_blocker.unblock():
                    connections.close_all()
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture
def new_context(browser, live_server) -> Iterator[Callable]:
    """Open browser contexts (a context is one device: its own cookies); all closed at the end.

    Every page of a context records its JavaScript errors and CSP violations in `page.problems`.
    """
    contexts = []

    def make(**options):
        options.setdefault("viewport", {"width": 1280, "height": 900})
        options.setdefault("locale", "fr-FR")
        options.setdefault("timezone_id", "Europe/Paris")
        context = browser.new_context(base_url=live_server.url, **options)
        context.set_default_timeout(10_000)
        context.on("page", _watch)
        contexts.append(context)
        return context

    yield make
    for context in contexts:
        context.close()


def _watch(page) -> None:
    page.problems = []
    page.on("pageerror", lambda error: page.problems.append(f"JavaScript error: {error}"))
    page.on(
        "console",
        lambda message: (
            page.problems.append(f"console {message.type}: {message.text}")
            if message.type == "error"
            else None
        ),
    )


@pytest.fixture
def page(new_context):
    """A page on a desktop-sized context; see `new_context` for phones and second devices."""
    return new_context().new_page()


@pytest.fixture
def log_in(live_server) -> Callable:
    """Give a browser context the session of `user`, as if they had logged in (staff: second
    factor included, see tests/helpers.py)."""

    def log_in_as(context, user) -> None:
        client = PortalClient()
        client.force_login(user)
        context.add_cookies(
            [
                {
                    "name": settings.SESSION_COOKIE_NAME,
                    "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                    "url": live_server.url,
                }
            ]
        )

    return log_in_as


@pytest.fixture
def screenshot() -> Callable:
    """Save a screenshot under artifacts/screenshots/ (git-ignored), to look at after the run."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    def take(page, name: str, *, full_page: bool = True) -> Path:
        path = SCREENSHOTS / f"{name}.png"
        page.screenshot(path=str(path), full_page=full_page)
        return path

    return take
