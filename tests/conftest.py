"""Strict test configuration.

- An undefined variable in one of our templates fails the test (third-party templates are exempt).
- With CI=true a skipped test fails the run: in CI every test must run.
- Celery runs tasks eagerly in tests, except where a test starts a real worker on Redis.
- `client.force_login(staff)` also records the second factor (tests/helpers.py).
- `actors`: one user per role of DESIGN §2, in and out of scope, and `actors.login(client, role)`.
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
def sms_outbox(settings):
    """SMS go to a list in memory (notifications.backends.outbox), emptied for each test; they
    still go through the TextMessage rows and the Celery task, as in production."""
    from notifications import backends

    settings.SMS_BACKEND = "notifications.backends.LocmemSmsBackend"
    backends.outbox.clear()
    yield backends.outbox
    backends.outbox.clear()


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


class Actors:
    """One user per role and scope (DESIGN §2), and the places that put them in or out of scope.

    In scope: Sanitas (a QPV of Tours), its dialogue space "Café du Sanitas" (`space`) and the
    organisation "Tours Habitat" (`organisation`). Out of scope: La Rabière (a QPV of
    Joué-lès-Tours) and the organisation "Val Touraine Habitat" (`other_organisation`). Europe is
    another QPV of Tours. The organisations serve no QPV (`organisation.qpvs`) until a test says so:
    the forms offer the organisations serving the place.

    Roles, `actors[role]` (a user, or None for the visitor):
        visitor               not logged in
        resident              an account without a role
        facilitator_sanitas   facilitator of the QPV Sanitas
        facilitator_space     facilitator of the space Café du Sanitas only
        facilitator_rabiere   facilitator of La Rabière
        referent_tours        referent of Tours, Sanitas's commune
        referent_joue         referent of Joué-lès-Tours, La Rabière's commune
        correspondent         correspondent of Tours Habitat
        correspondent_other   correspondent of Val Touraine Habitat
        delegate_sanitas      prefect's delegate of Sanitas
        delegate_rabiere      prefect's delegate of La Rabière
        delegate_all          prefect's delegate of every QPV
        coordinator           coordinator (Métropole)
    A test module lists the roles it tries in its own `ACTORS`, and may `add` roles of its own.
    """

    def __init__(self) -> None:
        from participation.roles import Role
        from qpv.models import QPV
        from tests.dialogue.factories import DialogueSpaceFactory
        from tests.participation.factories import UserFactory, grant
        from tests.qpv.factories import OrganisationFactory

        by_slug = QPV.objects.select_related("commune").in_bulk(
            ["sanitas", "europe", "la-rabiere"], field_name="slug"
        )
        self.sanitas, self.europe, self.rabiere = (
            by_slug["sanitas"],
            by_slug["europe"],
            by_slug["la-rabiere"],
        )
        self.space = DialogueSpaceFactory(qpv=self.sanitas, name="Café du Sanitas")
        self.organisation = OrganisationFactory(name="Tours Habitat")
        self.other_organisation = OrganisationFactory(name="Val Touraine Habitat")
        scopes = {
            "facilitator_sanitas": (Role.FACILITATOR, {"qpv": self.sanitas}),
            "facilitator_space": (Role.FACILITATOR, {"dialogue_space": self.space}),
            "facilitator_rabiere": (Role.FACILITATOR, {"qpv": self.rabiere}),
            "referent_tours": (Role.REFERENT, {"commune": self.sanitas.commune}),
            "referent_joue": (Role.REFERENT, {"commune": self.rabiere.commune}),
            "correspondent": (Role.CORRESPONDENT, {"organisation": self.organisation}),
            "correspondent_other": (Role.CORRESPONDENT, {"organisation": self.other_organisation}),
            "delegate_sanitas": (Role.DELEGATE, {"qpv": self.sanitas}),
            "delegate_rabiere": (Role.DELEGATE, {"qpv": self.rabiere}),
            "delegate_all": (Role.DELEGATE, {}),
            "coordinator": (Role.COORDINATOR, {}),
        }
        self.users = {"visitor": None, "resident": UserFactory()}
        for name, (role, scope) in scopes.items():
            self.users[name] = UserFactory()
            grant(self.users[name], role, **scope)

    def __getitem__(self, role: str):
        return self.users[role]

    def add(self, name: str, role=None, **scope):
        """A user of one test module's own, with a role or none (a resident), e.g.
        `actors.add("facilitator_europe", Role.FACILITATOR, qpv=actors.europe)`: then
        `actors[name]` and `actors.login` know them."""
        from tests.participation.factories import UserFactory, grant

        self.users[name] = UserFactory()
        if role is not None:
            grant(self.users[name], role, **scope)
        return self.users[name]

    def login(self, client, role: str, *, english: bool = False) -> None:
        """Sign `client` in as `role` (staff with the second factor passed, see `client`); the
        visitor stays signed out. `english`: the pages in English, the language of the msgids."""
        if self.users[role] is not None:
            client.force_login(self.users[role])
        if english:
            client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"


@pytest.fixture
def actors(db) -> Actors:
    """Every role in and out of scope (`Actors`): tests name the roles they try."""
    return Actors()


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
