"""Strict test configuration.

- An undefined variable in one of our templates fails the test (third-party templates are exempt).
- With CI=true a skipped test fails the run: in CI every test must run.
- Celery runs tasks eagerly in tests, except where a test starts a real worker on Redis.
- `client.force_login(staff)` also records the second factor (tests/helpers.py).
"""

from __future__ import annotations

import inspect
import os
from pathlib import Path

import pytest
from django.conf import settings
from django.template import Context, TemplateSyntaxError

PROJECT_TEMPLATES = str(Path(settings.BASE_DIR) / "templates")
# allauth's element overrides keep allauth's contract, which reads optional attributes.
LENIENT_TEMPLATES = (str(Path(PROJECT_TEMPLATES) / "allauth"),)


class UndefinedTemplateVariable(str):
    """Django formats `string_if_invalid % name`; we raise instead, for our own templates."""

    def __mod__(self, name):
        origin = _rendering_template_origin()
        if (
            origin
            and origin.startswith(PROJECT_TEMPLATES)
            and not origin.startswith(LENIENT_TEMPLATES)
        ):
            raise TemplateSyntaxError(f"Undefined template variable {name!r} in {origin}")
        return ""


def _rendering_template_origin() -> str | None:
    for frame_info in inspect.stack(context=0):
        context = frame_info.frame.f_locals.get("context")
        if isinstance(context, Context) and context.template is not None:
            return context.template.origin.name
    return None


@pytest.fixture(autouse=True, scope="session")
def _strict_templates():
    # Tests create many accounts: the slow production hasher would dominate the run.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    from django.contrib.auth.hashers import get_hashers, get_hashers_by_algorithm

    get_hashers.cache_clear()
    get_hashers_by_algorithm.cache_clear()
    for engine in settings.TEMPLATES:
        engine["OPTIONS"]["string_if_invalid"] = UndefinedTemplateVariable("%s")
    from django.template import engines

    for engine in engines.all():
        engine.engine.string_if_invalid = UndefinedTemplateVariable("%s")
    yield


@pytest.fixture(autouse=True)
def _celery_eager(settings):
    from participation.celery import app

    app.conf.task_always_eager = True
    app.conf.task_eager_propagates = True
    yield


@pytest.fixture(autouse=True)
def _clear_cache():
    from django.core.cache import cache

    cache.clear()
    yield


@pytest.fixture
def on_commit(django_capture_on_commit_callbacks):
    """Run on-commit callbacks (our emails are queued on commit) inside the test transaction."""

    def capture():
        return django_capture_on_commit_callbacks(execute=True)

    return capture


@pytest.fixture
def client():
    """Django's test client, whose force_login is a complete login (second factor included).

    Staff pages require the second factor (participation.middleware.staff_mfa_required);
    tests/participation/test_mfa.py drives the real flow.
    """
    from tests.helpers import PortalClient

    return PortalClient()


_skipped: list[str] = []


def pytest_runtest_logreport(report):
    if report.skipped and report.when in {"setup", "call"}:
        _skipped.append(report.nodeid)


def pytest_sessionfinish(session, exitstatus):
    if os.environ.get("CI", "").lower() == "true" and _skipped:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_terminal_summary(terminalreporter):
    if os.environ.get("CI", "").lower() == "true" and _skipped:
        terminalreporter.write_line(
            f"CI=true: {len(_skipped)} skipped test(s) fail the run: " + ", ".join(_skipped),
            red=True,
        )
