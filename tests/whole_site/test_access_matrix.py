"""The access matrix: for every URL pattern of the project and every role, what GET and POST answer.

`TABLE` declares, for each URL pattern (enumerated from the URL resolver, the admin included) and
each role, the expected outcome of a GET and of an empty POST. A pattern the resolver knows and the
table does not (or the other way round) fails `test_every_url_pattern_is_in_the_table`.

Roles (columns, in this order):
    vis   visitor, not logged in
    res   resident (an account, no role)
    fac   facilitator of the QPV of side A (Sanitas, Tours)
    ref   referent of the commune of side A, on the objects of side A (in scope)
    out   the same referent on the objects of side B (La Rabière, Joué-lès-Tours: out of scope)
    cor   correspondent of the organisation the question of side A is addressed to
    del   prefect's delegate of the QPV of side A
    coo   coordinator
Every role but `out` works on the objects of side A.

Outcomes:
    200 400 403 404 405 409 410   the status code
    L     302 to the login page, with next=
    A     302 to the admin's login page (the admin's answer to anyone but a coordinator)
    R     another redirect (after a successful POST, to the canonical page...)

Staff pages about one object (issue 16): an object the role may not see (out of its scope, or
no staff role at all) answers 404, as an unknown one, so the page does not reveal that it exists;
403 is for a role that sees the object but may not do this (a delegate on a meeting's edit page).
Pages without an object (lists, forms to create) answer 403 to those who hold the permission
nowhere. See participation.scopes.get_object_for.

Some patterns have variants: a signed link valid or forged, an object public or not (a draft, a
question awaiting moderation). Unsided URLs (list pages, the resident's own things, signed links)
are the same request for both referent columns: their `out` cell is declared equal to `ref` and
not run.

POSTs are empty (the test client does not check CSRF): the outcome is about access, so an
authorised user gets the form back with its errors (400 or 200) or, when an empty POST is a valid
action (unfollow, logout), a redirect. Every cell runs in its own transaction: a POST that changes
something is rolled back before the next cell.

The world (both sides' objects, the users and their signed-in sessions) is built once for the
module, in a transaction rolled back at the end; each cell then runs in a savepoint and sends the
session cookie of its role. Each cell also checks that its URL resolves to the pattern it is about.

`test_staff_pages_wait_for_the_second_factor` then asks every /espace-pro/ and /admin/ cell as a
staff member signed in with the password only: sent to set up an authenticator, or to type its code.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from types import SimpleNamespace
from urllib.parse import parse_qs, urlsplit

import pytest
from allauth.account.forms import default_token_generator
from allauth.account.utils import user_pk_to_url_str
from allauth.mfa.models import Authenticator
from allauth.usersessions.models import UserSession
from auditlog.models import LogEntry
from django.conf import settings
from django.contrib.auth.models import Group
from django.core.files.base import ContentFile
from django.db import transaction
from django.test import override_settings
from django.urls import URLPattern, URLResolver, get_resolver, resolve, reverse
from django.utils import timezone

from dialogue.models import MeetingStatus, Minutes, MinutesStatus, RegistrationStatus
from dialogue.services.feedback import feedback_tokens_create
from dialogue.tokens import comeback_unsubscribe_path, confirm_path, manage_path
from evaluation.models import IndicatorTarget, Report, ReportStatus
from notifications.services import email_unsubscribe_path
from participation.models import Invitation
from participation.roles import Role
from participation.services import invitation_token_digest
from projects.models import ExperienceEvaluation, ModerationStatus
from qpv.models import QPV, Follow
from qpv.services.follows import follow_unsubscribe_path
from questions.models import AnswerStatus, QuestionStatus
from questions.tokens import question_confirm_path
from tests.dialogue.factories import (
    DialogueSpaceFactory,
    MeetingFactory,
    MeetingTranslationFactory,
    RegistrationFactory,
)
from tests.helpers import PortalClient, activate_totp
from tests.participation.factories import UserFactory, grant
from tests.projects.factories import (
    FundEnvelopeFactory,
    GrantApplicationFactory,
    InfluenceRecordFactory,
    ProjectFactory,
)
from tests.qpv.factories import NewsItemFactory, OrganisationFactory
from tests.questions.factories import AnswerFactory, QuestionFactory

ROLES = ("visitor", "resident", "facilitator", "referent_in", "referent_out")
ROLES += ("correspondent", "delegate", "coordinator")
METHODS = ("GET", "POST")
OUTCOMES = {"200", "400", "403", "404", "405", "409", "410", "L", "A", "R"}
# Staff pages: nothing under these opens before the second factor.
STAFF_PREFIXES = ("espace-pro/", "admin/")
PDF = b"%PDF-1.7\n% a tiny test file\n"
ODT = b"PK\x03\x04 a tiny test file"
# A 1x1 transparent PNG.
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489"
    "0000000d49444154789c63000100000500010d0a2db40000000049454e44ae426082"
)


# The world --------------------------------------------------------------------------------------


def _with_image(news):
    news.image_alt = "Le square du quartier"
    news.image.save("photo.png", ContentFile(PNG))
    return news


def _side(slug: str, *, resident) -> SimpleNamespace:
    """Everything one QPV holds, from a planned meeting to a report."""
    now = timezone.now()
    qpv = QPV.objects.select_related("commune").get(slug=slug)
    organisation = OrganisationFactory(name=f"Bailleur de {qpv.name}")
    space = DialogueSpaceFactory(qpv=qpv, host_organisation=organisation)
    planned = MeetingFactory(dialogue_space=space, title=f"Rencontre à venir, {qpv.name}")
    MeetingTranslationFactory(meeting=planned, language="ar")
    running = MeetingFactory(
        dialogue_space=space,
        title=f"Rencontre en cours, {qpv.name}",
        starts_at=now - timedelta(hours=1),
        ends_at=now + timedelta(hours=1),
    )
    held = MeetingFactory(
        dialogue_space=space,
        title=f"Rencontre tenue, {qpv.name}",
        starts_at=now - timedelta(days=3),
        ends_at=now - timedelta(days=3) + timedelta(hours=2),
        status=MeetingStatus.HELD,
    )
    minutes = Minutes(
        meeting=held,
        summary="Nous avons parlé du square.",
        status=MinutesStatus.PUBLISHED,
        published_at=now - timedelta(days=1),
    )
    minutes.attachment.save("compte-rendu.pdf", ContentFile(PDF), save=False)
    minutes.save()
    # Not public: draft minutes (with an attachment) of the running meeting, a draft news item.
    draft_minutes = Minutes(meeting=running, summary="Brouillon.", status=MinutesStatus.DRAFT)
    draft_minutes.attachment.save("brouillon.pdf", ContentFile(PDF), save=False)
    draft_minutes.save()
    question = QuestionFactory(
        qpv=qpv,
        organisation=organisation,
        status=QuestionStatus.FORWARDED,
        asked_by=resident,
        asker_email=resident.email,
    )
    AnswerFactory(question=question, status=AnswerStatus.DRAFT)
    project = ProjectFactory(qpv=qpv, proposed_by=resident)
    ExperienceEvaluation.objects.create(
        project=project, voice_changed="Le tracé du jardin.", highest_level=3
    )
    envelope = FundEnvelopeFactory(qpv=qpv, year=timezone.localdate().year, amount=Decimal("10000"))
    report = Report.objects.create(
        qpv=qpv,
        period_start=timezone.localdate().replace(month=1, day=1),
        period_end=timezone.localdate(),
        status=ReportStatus.READY,
        progress=100,
        size=len(PDF),
        checksum=hashlib.sha256(PDF).hexdigest(),
        generated_at=now,
    )
    report.file.save("rapport.pdf", ContentFile(PDF), save=False)
    report.odt_file.save("rapport.odt", ContentFile(ODT))
    return SimpleNamespace(
        qpv=qpv,
        commune=qpv.commune,
        organisation=organisation,
        space=space,
        planned=planned,
        running=running,
        held=held,
        # A guest who has not confirmed yet, a confirmed guest, one at the running meeting.
        pending_guest=RegistrationFactory(meeting=planned, status=RegistrationStatus.PENDING),
        guest=RegistrationFactory(meeting=planned),
        attendee=RegistrationFactory(meeting=running),
        feedback_token=feedback_tokens_create(meeting=running, count=1)[0],
        question=question,
        unconfirmed_question=QuestionFactory(qpv=qpv, status=QuestionStatus.UNCONFIRMED),
        waiting_question=QuestionFactory(qpv=qpv, status=QuestionStatus.MODERATION),
        project=project,
        idea=ProjectFactory(qpv=qpv, proposed_by=resident, moderation=ModerationStatus.PENDING),
        envelope=envelope,
        application=GrantApplicationFactory(envelope=envelope),
        influence=InfluenceRecordFactory(qpv=qpv, project=project),
        news=_with_image(NewsItemFactory(qpv=qpv)),
        draft_news=_with_image(NewsItemFactory(qpv=qpv, is_published=False, published_at=None)),
        report=report,
    )


def build_world() -> SimpleNamespace:
    resident = UserFactory(email="habitante@example.org")
    a = _side("sanitas", resident=resident)
    b = _side("la-rabiere", resident=resident)
    users = {"visitor": None, "resident": resident}
    scopes = {
        "facilitator": (Role.FACILITATOR, {"qpv": a.qpv}),
        "referent": (Role.REFERENT, {"commune": a.commune}),
        "correspondent": (Role.CORRESPONDENT, {"organisation": a.organisation}),
        "delegate": (Role.DELEGATE, {"qpv": a.qpv}),
        "coordinator": (Role.COORDINATOR, {}),
    }
    for name, (role, scope) in scopes.items():
        users[name] = UserFactory(email=f"{name}@example.org")
        grant(users[name], role, **scope)
    users["referent_in"] = users["referent_out"] = users.pop("referent")
    # The coordinator set up an authenticator app; the facilitator has not yet (2FA test).
    activate_totp(users["coordinator"])
    registration = RegistrationFactory(
        meeting=a.planned, user=resident, email=resident.email, name="Habitante"
    )
    # The resident came to the held meeting of side A: its survey, from "Mon espace".
    RegistrationFactory(
        meeting=a.held, user=resident, email=resident.email, name="Habitante", attended=True
    )
    follow = Follow.objects.create(user=resident, qpv=a.qpv)
    UserSession.objects.create(
        user=resident, ip="127.0.0.1", session_key="s" * 32, user_agent="Firefox"
    )
    invitation_tokens = {"pending": "invitation-en-attente", "expired": "invitation-expiree"}
    invitations = {
        name: Invitation.objects.create(
            email=f"{name}@example.org",
            role=Role.FACILITATOR,
            qpv=a.qpv,
            invited_by=users["coordinator"],
            token_hash=invitation_token_digest(token),
            sent_at=timezone.now(),
            expires_at=timezone.now() + timedelta(days=-1 if name == "expired" else 7),
        )
        for name, token in invitation_tokens.items()
    }
    return SimpleNamespace(
        A=a,
        B=b,
        users=users,
        invitation=invitations["pending"],
        invitation_tokens=invitation_tokens,
        sessions={role: _session_of(user) for role, user in users.items()},
        # Staff signed in with their password only: no authenticator yet, or one not used.
        sessions_without_second_factor={
            "no_authenticator": _session_of(users["facilitator"], second_factor=False),
            "authenticator": _session_of(users["coordinator"], second_factor=False),
        },
        registration=registration,
        unsubscribe=follow_unsubscribe_path([follow.pk]),
        group=Group.objects.create(name="Équipe"),
        target=IndicatorTarget.objects.create(code="meetings_held", value=10),
    )


def _session_of(user, *, second_factor: bool = True) -> str | None:
    """A signed-in session of `user`, made once: each cell sends its cookie rather than logging in
    again (the session row is in the world's transaction; a cell's changes to it are rolled back).
    """
    if user is None:
        return None
    client = PortalClient()
    if second_factor:
        client.force_login(user)
    else:
        client.force_login_without_second_factor(user)
    return client.cookies[settings.SESSION_COOKIE_NAME].value


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker, tmp_path_factory):
    media = override_settings(MEDIA_ROOT=tmp_path_factory.mktemp("media"))
    media.enable()
    with django_db_blocker.unblock(), transaction.atomic():
        yield build_world()
        transaction.set_rollback(True)
    media.disable()


# URLs of the table: each builds the path for a side ("A" or "B") of the world -----------------


@dataclass(frozen=True)
class Url:
    """How a cell builds its path from the world, for side "A" or "B".

    An unsided URL is the same for both sides (a list page, the resident's own things, a signed
    link): the out-of-scope referent would repeat the in-scope referent's request, so that cell is
    not run and its declared outcome must equal the in-scope one.
    """

    build: Callable[[SimpleNamespace, str], str]
    sided: bool = True

    def __call__(self, world: SimpleNamespace, side: str) -> str:
        return self.build(world, side)


def page(name: str) -> Url:
    return Url(lambda w, side: reverse(name), sided=False)


def of(name: str, attr: str, **extra: str) -> Url:
    """The pattern `name` for the object `attr` of the side (by pk), plus extra kwargs of it."""

    def build(w, side):
        objects = getattr(w, side)
        kwargs = {key: getattr(objects, value).pk for key, value in extra.items()}
        return reverse(name, kwargs={"pk": getattr(objects, attr).pk, **kwargs})

    return Url(build)


def translation_of(name: str, language: str = "ar") -> Url:
    """A page about the translation of the side's planned meeting into `language`."""
    return Url(
        lambda w, side: reverse(
            name, kwargs={"pk": getattr(w, side).planned.pk, "language": language}
        )
    )


def qpv_page(name: str) -> Url:
    return Url(lambda w, side: reverse(name, kwargs={"slug": getattr(w, side).qpv.slug}))


def with_query(name: str, key: str, value: Callable[[SimpleNamespace], object]) -> Url:
    """A page naming its place in the query string (`?qpv=sanitas`)."""
    return Url(lambda w, side: f"{reverse(name)}?{key}={value(getattr(w, side))}")


def fixed(build: Callable[[SimpleNamespace], str]) -> Url:
    """The same URL whatever the side (the resident's own things, signed links)."""
    return Url(lambda w, side: build(w), sided=False)


def signed(name: str, value: str) -> Url:
    return Url(lambda w, side: reverse(name, kwargs={"signed": value}), sided=False)


def password_reset_key(w) -> str:
    user = w.users["resident"]
    return reverse(
        "account_reset_password_from_key",
        kwargs={
            "uidb36": user_pk_to_url_str(user),
            "key": default_token_generator.make_token(user),
        },
    )


# The table ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Entry:
    pattern: str
    url: Url
    get: str
    post: str
    variant: str = ""
    # The pattern exists only when this setting is on.
    setting: str = ""

    @property
    def routed(self) -> bool:
        return not self.setting or bool(getattr(settings, self.setting))

    @property
    def cell_id(self) -> str:
        return f"{self.pattern} [{self.variant}]" if self.variant else self.pattern

    def expected(self, method: str) -> dict[str, str]:
        tokens = (self.get if method == "GET" else self.post).split()
        assert len(tokens) == len(ROLES), f"{self.cell_id} {method}: {len(tokens)} outcomes"
        assert set(tokens) <= OUTCOMES, f"{self.cell_id} {method}: unknown outcome in {tokens}"
        return dict(zip(ROLES, tokens, strict=True))


E = Entry
# Rows used by many patterns.   vis res fac ref out cor del coo
EVERYONE = "200 200 200 200 200 200 200 200"
NOT_ALLOWED = "405 405 405 405 405 405 405 405"

TABLE: list[Entry] = []
# Each entry: pattern, URL, GET outcomes, POST outcomes (vis res fac ref out cor del coo), variant.
TABLE += [
    # qpv: the neighbourhoods, following them, news.
    E("", page("home"), EVERYONE, NOT_ALLOWED),
    # An empty choice is valid: "all neighbourhoods" (the cookie forgotten), then the home page.
    E(
        "mon-quartier/",
        page("choose_qpv"),
        NOT_ALLOWED,
        "  R   R   R   R   R   R   R   R",
    ),
    E(
        "quartiers/<slug:slug>/",
        qpv_page("qpv_page"),
        EVERYONE,
        NOT_ALLOWED,
    ),
    # A visitor is sent to log in, and back to the QPV page (not to this POST-only URL).
    E(
        "quartiers/<slug:slug>/suivre/",
        qpv_page("qpv:follow"),
        NOT_ALLOWED,
        "  L   R   R   R   R   R   R   R",
    ),
    E(
        "quartiers/<slug:slug>/ne-plus-suivre/",
        qpv_page("qpv:unfollow"),
        NOT_ALLOWED,
        "  L   R   R   R   R   R   R   R",
    ),
    E(
        "suivis/desabonnement/<str:signed>/",
        fixed(lambda w: w.unsubscribe),
        EVERYONE,
        EVERYONE,
        "valid",
    ),
    E(
        "suivis/desabonnement/<str:signed>/",
        signed("qpv:unsubscribe", "forged"),
        "400 400 400 400 400 400 400 400",
        "400 400 400 400 400 400 400 400",
        "invalid",
    ),
    E(
        "actualites/",
        page("qpv:news"),
        EVERYONE,
        NOT_ALLOWED,
    ),
    E(
        "actualites/<int:pk>/",
        of("qpv:news_item", "news"),
        EVERYONE,
        NOT_ALLOWED,
        "published",
    ),
    # A draft: those who may publish it (referents of the commune, coordinators).
    E(
        "actualites/<int:pk>/",
        of("qpv:news_item", "draft_news"),
        "404 404 404 200 404 404 404 200",
        NOT_ALLOWED,
        "draft",
    ),
    E(
        "actualites/<int:pk>/image",
        of("qpv:news_image", "news"),
        EVERYONE,
        NOT_ALLOWED,
        "published",
    ),
    E(
        "actualites/<int:pk>/image",
        of("qpv:news_image", "draft_news"),
        "404 404 404 200 404 404 404 200",
        NOT_ALLOWED,
        "draft",
    ),
    E(
        "quartiers/<slug:slug>/actualites/",
        qpv_page("qpv:qpv_news"),
        EVERYONE,
        NOT_ALLOWED,
    ),
    E(
        "espace-pro/actualites/",
        page("qpv:staff_news"),
        "  L 403 403 200 200 403 403 200",
        "  L 405 405 405 405 405 405 405",
    ),
    E(
        "espace-pro/actualites/nouvelle/",
        with_query("qpv:news_create", "qpv", lambda s: s.qpv.slug),
        "  L 403 403 200 403 403 403 200",
        "  L 403 403 400 403 403 403 400",
    ),
    E(
        "espace-pro/actualites/<int:pk>/modifier/",
        of("qpv:news_edit", "news"),
        "  L 404 404 200 404 404 404 200",
        "  L 404 404 400 404 404 404 400",
    ),
    # dialogue: the public agenda, meetings and spaces.
    E(
        "rencontres/",
        page("dialogue:agenda"),
        EVERYONE,
        NOT_ALLOWED,
    ),
    E(
        "rencontres/passees/",
        page("dialogue:past"),
        EVERYONE,
        NOT_ALLOWED,
    ),
    E(
        "rencontres/agenda.ics",
        page("dialogue:agenda_ics"),
        EVERYONE,
        NOT_ALLOWED,
    ),
    E(
        "rencontres/<int:pk>/",
        of("dialogue:meeting", "planned"),
        EVERYONE,
        NOT_ALLOWED,
    ),
    E(
        "rencontres/<int:pk>/imprimer/",
        of("dialogue:meeting_print", "planned"),
        EVERYONE,
        NOT_ALLOWED,
    ),
    E(
        "rencontres/<int:pk>/rencontre.ics",
        of("dialogue:meeting_ics", "planned"),
        EVERYONE,
        NOT_ALLOWED,
    ),
    E(
        "quartiers/<slug:slug>/rencontres/",
        qpv_page("dialogue:qpv_agenda"),
        EVERYONE,
        NOT_ALLOWED,
    ),
    E(
        "quartiers/<slug:slug>/agenda.ics",
        qpv_page("dialogue:qpv_agenda_ics"),
        EVERYONE,
        NOT_ALLOWED,
    ),
    E(
        "espaces/<int:pk>/",
        of("dialogue:space", "space"),
        EVERYONE,
        NOT_ALLOWED,
    ),
    # dialogue: registrations.
    # Empty POST: a guest's form is refused (400), the resident is already registered (400),
    # the others are registered in one click.
    E(
        "rencontres/<int:pk>/inscription/",
        of("dialogue:register", "planned"),
        EVERYONE,
        "400 400   R   R   R   R   R   R",
    ),
    # The code received by SMS: only in the session that registered by mobile number; any other
    # session is sent back to the meeting page (tests/dialogue/test_registration_by_sms.py).
    E(
        "rencontres/<int:pk>/inscription/code/",
        of("dialogue:registration_code", "planned"),
        "  R   R   R   R   R   R   R   R",
        "  R   R   R   R   R   R   R   R",
    ),
    E(
        "inscriptions/confirmer/<str:signed>/",
        fixed(lambda w: confirm_path(w.A.pending_guest)),
        EVERYONE,
        "  R   R   R   R   R   R   R   R",
        "valid",
    ),
    E(
        "inscriptions/confirmer/<str:signed>/",
        signed("dialogue:registration_confirm", "forged"),
        "400 400 400 400 400 400 400 400",
        "400 400 400 400 400 400 400 400",
        "invalid",
    ),
    E(
        "inscriptions/gerer/<str:signed>/",
        fixed(lambda w: manage_path(w.A.guest)),
        EVERYONE,
        "  R   R   R   R   R   R   R   R",
        "valid",
    ),
    E(
        "inscriptions/gerer/<str:signed>/",
        signed("dialogue:registration_manage", "forged"),
        "400 400 400 400 400 400 400 400",
        "400 400 400 400 400 400 400 400",
        "invalid",
    ),
    E(
        "inscriptions/invitations-a-revenir/desabonnement/<str:signed>/",
        fixed(lambda w: comeback_unsubscribe_path(w.registration.pk)),
        EVERYONE,
        EVERYONE,
        "valid",
    ),
    E(
        "inscriptions/invitations-a-revenir/desabonnement/<str:signed>/",
        signed("dialogue:comeback_unsubscribe", "forged"),
        "400 400 400 400 400 400 400 400",
        "400 400 400 400 400 400 400 400",
        "invalid",
    ),
    E(
        "compte/inscriptions/",
        page("dialogue:my_registrations"),
        "  L 200 200 200 200 200 200 200",
        "  L 200 200 200 200 200 200 200",
    ),
    # The resident's registration: anybody else's is a 404.
    E(
        "compte/inscriptions/<int:pk>/annuler/",
        fixed(lambda w: reverse("dialogue:my_registration_cancel", args=[w.registration.pk])),
        "  L 405 405 405 405 405 405 405",
        "  L   R 404 404 404 404 404 404",
    ),
    # dialogue: the espace pro's spaces and meetings.
    E(
        "espace-pro/",
        page("dialogue:staff_home"),
        "  L 403 200 200 200 200 200 200",
        "  L 405 405 405 405 405 405 405",
    ),
    # Creation and edit forms read `request.POST or None`: an empty POST is an unbound form (200).
    E(
        "espace-pro/espaces/nouveau/",
        with_query("dialogue:space_create", "qpv", lambda s: s.qpv.slug),
        "  L 403 403 200 403 403 403 200",
        "  L 403 403 200 403 403 403 200",
    ),
    E(
        "espace-pro/espaces/<int:pk>/modifier/",
        of("dialogue:space_edit", "space"),
        "  L 404 200 200 404 404 404 200",
        "  L 404 200 200 404 404 404 200",
    ),
    E(
        "espace-pro/rencontres/nouvelle/",
        with_query("dialogue:meeting_create", "espace", lambda s: s.space.pk),
        "  L 404 200 200 404 404 404 200",
        "  L 404 200 200 404 404 404 200",
    ),
    E(
        "espace-pro/rencontres/<int:pk>/modifier/",
        of("dialogue:meeting_edit", "planned"),
        "  L 404 200 200 404 404 403 200",
        "  L 404 200 200 404 404 403 200",
    ),
    E(
        "espace-pro/rencontres/<int:pk>/dupliquer/",
        of("dialogue:meeting_duplicate", "planned"),
        "  L 404 200 200 404 404 403 200",
        "  L 404 200 200 404 404 403 200",
    ),
    E(
        "espace-pro/rencontres/<int:pk>/annuler/",
        of("dialogue:meeting_cancel", "planned"),
        "  L 404 200 200 404 404 403 200",
        "  L 404 200 200 404 404 403 200",
    ),
    # Translations of a meeting (issue 18): who may edit the meeting (dialogue.manage_meeting).
    E(
        "espace-pro/rencontres/<int:pk>/traductions/",
        of("dialogue:meeting_translations", "planned"),
        "  L 404 200 200 404 404 403 200",
        "  L 405 405 405 405 405 405 405",
    ),
    E(
        "espace-pro/rencontres/<int:pk>/traductions/<str:language>/",
        translation_of("dialogue:meeting_translation_edit"),
        "  L 404 200 200 404 404 403 200",
        "  L 404 200 200 404 404 403 200",
    ),
    E(
        "espace-pro/rencontres/<int:pk>/traductions/<str:language>/supprimer/",
        translation_of("dialogue:meeting_translation_delete"),
        "  L 405 405 405 405 405 405 405",
        "  L 404   R   R 404 404 403   R",
    ),
    # Residents' personal data: the staff of the place only (dialogue.view_personal_data).
    E(
        "espace-pro/rencontres/<int:pk>/inscrits/",
        of("dialogue:meeting_registrations", "planned"),
        "  L 404 200 200 404 404 403 200",
        "  L 405 405 405 405 405 405 405",
    ),
    E(
        "espace-pro/rencontres/<int:pk>/affiche.pdf",
        of("dialogue:meeting_poster", "planned"),
        "  L 404 200 200 404 404 403 200",
        "  L 405 405 405 405 405 405 405",
    ),
    E(
        "espace-pro/rencontres/<int:pk>/emargement.pdf",
        of("dialogue:meeting_signin_sheet", "planned"),
        "  L 404 200 200 404 404 403 200",
        "  L 405 405 405 405 405 405 405",
    ),
    # dialogue: the meeting log (check-in, speaking time, minutes, feedback).
    # Delegates read the log's counts (dialogue.view_meeting_log), never the names.
    E(
        "espace-pro/rencontres/<int:pk>/journal/",
        of("dialogue:meeting_log", "held"),
        "  L 404 200 200 404 404 200 200",
        "  L 405 405 405 405 405 405 405",
    ),
    E(
        "espace-pro/rencontres/<int:pk>/accueil/",
        of("dialogue:checkin", "running"),
        "  L 404 200 200 404 404 403 200",
        "  L 405 405 405 405 405 405 405",
    ),
    E(
        "espace-pro/rencontres/<int:pk>/accueil/presence/<int:registration_pk>/",
        of("dialogue:checkin_toggle", "running", registration_pk="attendee"),
        "  L 405 405 405 405 405 405 405",
        "  L 404   R   R 404 404 403   R",
    ),
    E(
        "espace-pro/rencontres/<int:pk>/accueil/sans-inscription/",
        of("dialogue:walkin_add", "running"),
        "  L 405 405 405 405 405 405 405",
        "  L 404 400 400 404 404 403 400",
    ),
    E(
        "espace-pro/rencontres/<int:pk>/accueil/sans-inscription/plusieurs/",
        of("dialogue:walkin_bulk", "running"),
        "  L 404 200 200 404 404 403 200",
        "  L 404 200 200 404 404 403 200",
    ),
    E(
        "espace-pro/rencontres/<int:pk>/accueil/annuler/",
        of("dialogue:checkin_undo", "running"),
        "  L 405 405 405 405 405 405 405",
        "  L 404   R   R 404 404 403   R",
    ),
    E(
        "espace-pro/rencontres/<int:pk>/accueil/enregistrer/",
        of("dialogue:attendance_save", "running"),
        "  L 405 405 405 405 405 405 405",
        "  L 404   R   R 404 404 403   R",
    ),
    E(
        "espace-pro/rencontres/<int:pk>/temps-de-parole/",
        of("dialogue:tracker", "running"),
        "  L 404 200 200 404 404 403 200",
        "  L 405 405 405 405 405 405 405",
    ),
    E(
        "espace-pro/rencontres/<int:pk>/temps-de-parole/prise/",
        of("dialogue:tracker_start", "running"),
        "  L 405 405 405 405 405 405 405",
        "  L 404 400 400 404 404 403 400",
    ),
    E(
        "espace-pro/rencontres/<int:pk>/temps-de-parole/stop/",
        of("dialogue:tracker_stop", "running"),
        "  L 405 405 405 405 405 405 405",
        "  L 404   R   R 404 404 403   R",
    ),
    E(
        "espace-pro/rencontres/<int:pk>/temps-de-parole/pause/",
        of("dialogue:tracker_pause", "running"),
        "  L 405 405 405 405 405 405 405",
        "  L 404   R   R 404 404 403   R",
    ),
    E(
        "espace-pro/rencontres/<int:pk>/temps-de-parole/intervenants/",
        of("dialogue:tracker_speakers", "running"),
        "  L 405 405 405 405 405 405 405",
        "  L 404 400 400 404 404 403 400",
    ),
    E(
        "espace-pro/rencontres/<int:pk>/temps-de-parole/etat/",
        of("dialogue:tracker_state", "running"),
        "  L 404 200 200 404 404 403 200",
        "  L 405 405 405 405 405 405 405",
    ),
    E(
        "espace-pro/rencontres/<int:pk>/temps-de-parole/tour/",
        of("dialogue:turn_add", "running"),
        "  L 405 405 405 405 405 405 405",
        "  L 404 400 400 404 404 403 400",
    ),
    E(
        "espace-pro/rencontres/<int:pk>/compte-rendu/",
        of("dialogue:minutes_edit", "held"),
        "  L 404 200 200 404 404 403 200",
        "  L 404 400 400 404 404 403 400",
    ),
    E(
        "rencontres/<int:pk>/compte-rendu/",
        of("dialogue:minutes", "held"),
        EVERYONE,
        NOT_ALLOWED,
        "published",
    ),
    E(
        "rencontres/<int:pk>/compte-rendu/",
        of("dialogue:minutes", "running"),
        "404 404 404 404 404 404 404 404",
        NOT_ALLOWED,
        "draft",
    ),
    E(
        "rencontres/<int:pk>/compte-rendu/piece-jointe/",
        of("dialogue:minutes_attachment", "held"),
        EVERYONE,
        NOT_ALLOWED,
        "published",
    ),
    E(
        "rencontres/<int:pk>/compte-rendu/piece-jointe/",
        of("dialogue:minutes_attachment", "running"),
        "404 404 404 404 404 404 404 404",
        NOT_ALLOWED,
        "draft",
    ),
    E(
        "avis/<str:token>/",
        fixed(lambda w: reverse("dialogue:feedback", args=[w.A.feedback_token])),
        EVERYONE,
        EVERYONE,
        "valid",
    ),
    E(
        "avis/<str:token>/",
        fixed(lambda w: reverse("dialogue:feedback", args=["forged-token"])),
        "404 404 404 404 404 404 404 404",
        "404 404 404 404 404 404 404 404",
        "invalid",
    ),
    # The survey of a meeting the account came to, from "Mon espace": nobody else's.
    E(
        "compte/avis/<int:pk>/",
        fixed(lambda w: reverse("dialogue:feedback_mine", args=[w.A.held.pk])),
        "  L 200 404 404 404 404 404 404",
        "  L 200 404 404 404 404 404 404",
    ),
    E(
        "rencontres/<int:pk>/avis/",
        of("dialogue:feedback_on_the_spot", "running"),
        "  R   R   R   R   R   R   R   R",
        NOT_ALLOWED,
    ),
    E(
        "espace-pro/rencontres/<int:pk>/avis/qr/",
        of("dialogue:feedback_qr", "running"),
        "  L 404 200 200 404 404 403 200",
        "  L 405 405 405 405 405 405 405",
    ),
    # dialogue: questions and answers.
    E(
        "questions/",
        page("questions:questions"),
        EVERYONE,
        NOT_ALLOWED,
    ),
    E(
        "questions/<int:pk>/",
        of("questions:question", "question"),
        EVERYONE,
        NOT_ALLOWED,
        "public",
    ),
    # Awaiting moderation: its asker and the moderators (the local staff) only; not delegates,
    # whose staff pages show accepted questions only.
    E(
        "questions/<int:pk>/",
        of("questions:question", "waiting_question"),
        "404 404 200 200 404 404 404 200",
        NOT_ALLOWED,
        "in moderation",
    ),
    # Following a question asked by someone else: any account, a public question only.
    E(
        "questions/<int:pk>/suivre/",
        of("questions:follow", "question"),
        NOT_ALLOWED,
        "  L   R   R   R   R   R   R   R",
        "public",
    ),
    E(
        "questions/<int:pk>/suivre/",
        of("questions:follow", "waiting_question"),
        NOT_ALLOWED,
        "404 404 404 404 404 404 404 404",
        "in moderation",
    ),
    E(
        "questions/<int:pk>/ne-plus-suivre/",
        of("questions:unfollow", "question"),
        NOT_ALLOWED,
        "  L   R   R   R   R   R   R   R",
        "public",
    ),
    E(
        "questions/<int:pk>/ne-plus-suivre/",
        of("questions:unfollow", "waiting_question"),
        NOT_ALLOWED,
        "404 404 404 404 404 404 404 404",
        "in moderation",
    ),
    E(
        "quartiers/<slug:slug>/questions/",
        qpv_page("questions:qpv_questions"),
        EVERYONE,
        NOT_ALLOWED,
    ),
    E(
        "quartiers/<slug:slug>/questions/poser/",
        qpv_page("questions:question_ask"),
        EVERYONE,
        EVERYONE,
    ),
    # The open questions like the one being typed (htmx, on the ask page).
    E(
        "quartiers/<slug:slug>/questions/semblables/",
        qpv_page("questions:similar_questions"),
        EVERYONE,
        NOT_ALLOWED,
    ),
    E(
        "questions/confirmer/<str:signed>/",
        fixed(lambda w: question_confirm_path(w.A.unconfirmed_question)),
        EVERYONE,
        "  R   R   R   R   R   R   R   R",
        "valid",
    ),
    E(
        "questions/confirmer/<str:signed>/",
        signed("questions:question_confirm", "forged"),
        "400 400 400 400 400 400 400 400",
        "400 400 400 400 400 400 400 400",
        "invalid",
    ),
    E(
        "compte/questions/",
        page("questions:my_questions"),
        "  L 200 200 200 200 200 200 200",
        "  L 405 405 405 405 405 405 405",
    ),
    E(
        "espace-pro/rencontres/<int:pk>/questions/",
        of("questions:meeting_questions", "running"),
        "  L 404 200 200 404 404 403 200",
        "  L 404 400 400 404 404 403 400",
    ),
    E(
        "espace-pro/questions/moderation/",
        page("questions:moderation_queue"),
        "  L 403 200 200 200 403 403 200",
        "  L 405 405 405 405 405 405 405",
    ),
    E(
        "espace-pro/questions/<int:pk>/moderer/",
        of("questions:question_moderate", "waiting_question"),
        "  L 405 405 405 405 405 405 405",
        "  L 404 400 400 404 404 404 400",
    ),
    E(
        "espace-pro/questions/",
        page("questions:questions_dashboard"),
        "  L 403 200 200 200 200 200 200",
        "  L 405 405 405 405 405 405 405",
    ),
    E(
        "espace-pro/questions/<int:pk>/",
        of("questions:question_manage", "question"),
        "  L 404 200 200 404 200 200 200",
        "  L 405 405 405 405 405 405 405",
        "routed",
    ),
    # Correspondents and delegates follow accepted questions only.
    E(
        "espace-pro/questions/<int:pk>/",
        of("questions:question_manage", "waiting_question"),
        "  L 404 200 200 404 404 404 200",
        "  L 405 405 405 405 405 405 405",
        "in moderation",
    ),
    E(
        "espace-pro/questions/<int:pk>/transmettre/",
        of("questions:question_route", "question"),
        "  L 405 405 405 405 405 405 405",
        "  L 404 403 400 404 403 403 400",
    ),
    E(
        "espace-pro/questions/<int:pk>/echeance/",
        of("questions:question_extend", "question"),
        "  L 405 405 405 405 405 405 405",
        "  L 404 403 400 404 403 403 400",
    ),
    E(
        "espace-pro/questions/<int:pk>/clore/",
        of("questions:question_close", "question"),
        "  L 405 405 405 405 405 405 405",
        "  L 404 403 400 404 403 403 400",
    ),
    E(
        "espace-pro/questions/<int:pk>/reponse/",
        of("questions:question_answer", "question"),
        "  L 404 403 200 404 200 403 200",
        "  L 404 403 200 404 200 403 200",
    ),
    # projects: projects and ideas.
    E(
        "projets/",
        page("projects:projects"),
        EVERYONE,
        NOT_ALLOWED,
    ),
    E(
        "projets/<int:pk>/",
        of("projects:project", "project"),
        EVERYONE,
        NOT_ALLOWED,
        "published",
    ),
    # An idea awaiting moderation: the resident who proposed it and the project staff.
    E(
        "projets/<int:pk>/",
        of("projects:project", "idea"),
        "404 200 404 200 404 404 404 200",
        NOT_ALLOWED,
        "idea in moderation",
    ),
    E(
        "quartiers/<slug:slug>/projets/",
        qpv_page("projects:qpv_projects"),
        EVERYONE,
        NOT_ALLOWED,
    ),
    E(
        "quartiers/<slug:slug>/projets/proposer/",
        qpv_page("projects:project_propose"),
        "  L 200 200 200 200 200 200 200",
        "  L 200 200 200 200 200 200 200",
    ),
    E(
        "espace-pro/projets/",
        page("projects:staff_projects"),
        "  L 403 403 200 200 403 403 200",
        "  L 405 405 405 405 405 405 405",
    ),
    E(
        "espace-pro/projets/nouveau/",
        with_query("projects:project_create", "qpv", lambda s: s.qpv.slug),
        "  L 403 403 200 403 403 403 200",
        "  L 403 403 200 403 403 403 200",
    ),
    E(
        "espace-pro/projets/questions-a-lier/",
        Url(
            lambda w, side: (
                reverse("projects:question_choices")
                + f"?field=origin_question&qpv={getattr(w, side).qpv.slug}"
            )
        ),
        "  L 403 403 200 403 403 403 200",
        "  L 405 405 405 405 405 405 405",
        "project form's question search",
    ),
    E(
        "espace-pro/projets/questions-a-lier/",
        Url(
            lambda w, side: (
                reverse("projects:question_choices")
                + f"?field=question&qpv={getattr(w, side).qpv.slug}"
            )
        ),
        "  L 403 403 200 403 403 403 200",
        "  L 405 405 405 405 405 405 405",
        "influence form's question search",
    ),
    E(
        "espace-pro/projets/idees/",
        page("projects:idea_moderation"),
        "  L 403 403 200 200 403 403 200",
        "  L 405 405 405 405 405 405 405",
    ),
    E(
        "espace-pro/projets/<int:pk>/modifier/",
        of("projects:project_edit", "project"),
        "  L 404 404 200 404 404 404 200",
        "  L 404 404 200 404 404 404 200",
    ),
    E(
        "espace-pro/projets/<int:pk>/etape/",
        of("projects:project_step", "project"),
        "  L 404 404 200 404 404 404 200",
        "  L 404 404 200 404 404 404 200",
    ),
    E(
        "espace-pro/projets/<int:pk>/abandonner/",
        of("projects:project_abandon", "project"),
        "  L 404 404 200 404 404 404 200",
        "  L 404 404 200 404 404 404 200",
    ),
    E(
        "espace-pro/projets/<int:pk>/evaluation/",
        of("projects:project_evaluation", "project"),
        "  L 404 404 200 404 404 404 200",
        "  L 404 404 400 404 404 404 400",
    ),
    E(
        "espace-pro/projets/<int:pk>/moderer/",
        of("projects:idea_moderate", "idea"),
        "  L 405 405 405 405 405 405 405",
        "  L 404 404 400 404 404 404 400",
    ),
    # projects: the participation fund.
    E(
        "fonds/",
        page("projects:envelopes"),
        EVERYONE,
        NOT_ALLOWED,
    ),
    E(
        "fonds/<int:pk>/candidater/",
        of("projects:grant_apply", "envelope"),
        "  L 200 200 200 200 200 200 200",
        "  L 400 400 400 400 400 400 400",
    ),
    E(
        "espace-pro/fonds/",
        page("projects:staff_envelopes"),
        "  L 403 403 200 200 403 403 200",
        "  L 405 405 405 405 405 405 405",
    ),
    E(
        "espace-pro/fonds/nouveau/",
        with_query("projects:envelope_create", "place", lambda s: f"qpv-{s.qpv.pk}"),
        "  L 403 403 200 200 403 403 200",
        "  L 403 403 200 200 403 403 200",
    ),
    E(
        "espace-pro/fonds/<int:pk>/",
        of("projects:envelope_detail", "envelope"),
        "  L 404 404 200 404 404 404 200",
        "  L 405 405 405 405 405 405 405",
    ),
    E(
        "espace-pro/fonds/<int:pk>/modifier/",
        of("projects:envelope_edit", "envelope"),
        "  L 404 404 200 404 404 404 200",
        "  L 404 404 200 404 404 404 200",
    ),
    E(
        "espace-pro/fonds/demandes/<int:pk>/decision/",
        of("projects:grant_decide", "application"),
        "  L 405 405 405 405 405 405 405",
        "  L 404 404 400 404 404 404 400",
    ),
    E(
        "espace-pro/fonds/demandes/<int:pk>/dossier/",
        of("projects:grant_check_file", "application"),
        "  L 405 405 405 405 405 405 405",
        "  L 404 404 400 404 404 404 400",
    ),
    E(
        "espace-pro/fonds/demandes/<int:pk>/paiement/",
        of("projects:grant_pay", "application"),
        "  L 405 405 405 405 405 405 405",
        "  L 404 404 400 404 404 404 400",
    ),
    # projects: "Vous avez dit, nous avons fait".
    E(
        "vous-avez-dit/",
        page("projects:influence"),
        EVERYONE,
        NOT_ALLOWED,
    ),
    E(
        "quartiers/<slug:slug>/vous-avez-dit/",
        qpv_page("projects:qpv_influence"),
        EVERYONE,
        NOT_ALLOWED,
    ),
    E(
        "espace-pro/vous-avez-dit/",
        page("projects:staff_influence"),
        "  L 403 403 200 200 403 403 200",
        "  L 405 405 405 405 405 405 405",
    ),
    E(
        "espace-pro/vous-avez-dit/nouveau/",
        with_query("projects:influence_create", "qpv", lambda s: s.qpv.slug),
        "  L 403 403 200 403 403 403 200",
        "  L 403 403 400 403 403 403 400",
    ),
    E(
        "espace-pro/vous-avez-dit/<int:pk>/modifier/",
        of("projects:influence_edit", "influence"),
        "  L 404 404 200 404 404 404 200",
        "  L 404 404 400 404 404 404 400",
    ),
    # evaluation: indicators and reports.
    # Out of scope, the territory asked is not among the form's choices: 400 with the reason.
    E(
        "espace-pro/indicateurs/",
        with_query("evaluation:dashboard", "scope", lambda s: f"qpv:{s.qpv.slug}"),
        "  L 403 403 200 400 403 200 200",
        "  L 405 405 405 405 405 405 405",
    ),
    E(
        "espace-pro/indicateurs/export.csv",
        with_query("evaluation:export_csv", "scope", lambda s: f"qpv:{s.qpv.slug}"),
        "  L 403 403 200 400 403 200 200",
        "  L 405 405 405 405 405 405 405",
    ),
    E(
        "espace-pro/indicateurs/export.xlsx",
        with_query("evaluation:export_xlsx", "scope", lambda s: f"qpv:{s.qpv.slug}"),
        "  L 403 403 200 400 403 200 200",
        "  L 405 405 405 405 405 405 405",
    ),
    # Targets (one list for everyone): read by whoever reads indicators somewhere, set by
    # coordinators only; an empty POST is an invalid form (400).
    E(
        "espace-pro/indicateurs/objectifs/",
        page("evaluation:targets"),
        "  L 403 403 200 200 403 200 200",
        "  L 403 403 403 403 403 403 400",
    ),
    E(
        "espace-pro/indicateurs/objectifs/<int:pk>/",
        fixed(lambda w: reverse("evaluation:target_edit", kwargs={"pk": w.target.pk})),
        "  L 403 403 403 403 403 403 200",
        "  L 403 403 403 403 403 403 400",
    ),
    E(
        "espace-pro/indicateurs/objectifs/<int:pk>/supprimer/",
        fixed(lambda w: reverse("evaluation:target_delete", kwargs={"pk": w.target.pk})),
        "  L 405 405 405 405 405 405 405",
        "  L 403 403 403 403 403 403   R",
    ),
    # An empty POST is a valid request: the user's widest scope, the contract to date.
    E(
        "espace-pro/rapports/",
        page("evaluation:reports"),
        "  L 403 403 200 200 403 200 200",
        "  L 403 403   R   R 403   R   R",
    ),
    # A report out of scope is a 404, as an unknown one.
    E(
        "espace-pro/rapports/<int:pk>/",
        of("evaluation:report", "report"),
        "  L 403 403 200 404 403 200 200",
        "  L 405 405 405 405 405 405 405",
    ),
    E(
        "espace-pro/rapports/<int:pk>/statut/",
        of("evaluation:report_status", "report"),
        "  L 403 403 200 404 403 200 200",
        "  L 405 405 405 405 405 405 405",
    ),
    E(
        "espace-pro/rapports/<int:pk>/telecharger/",
        of("evaluation:report_download", "report"),
        "  L 403 403 200 404 403 200 200",
        "  L 405 405 405 405 405 405 405",
    ),
    E(
        "espace-pro/rapports/<int:pk>/telecharger.odt",
        of("evaluation:report_download_odt", "report"),
        "  L 403 403 200 404 403 200 200",
        "  L 405 405 405 405 405 405 405",
    ),
    # Only a failed report is built again: this one is ready (409).
    E(
        "espace-pro/rapports/<int:pk>/relancer/",
        of("evaluation:report_retry", "report"),
        "  L 405 405 405 405 405 405 405",
        "  L 403 403 409 404 403 409 409",
    ),
    # The written parts of a report: drafted by the referent and the coordinator (a delegate
    # reads them: 403); an empty POST of the texts saves nothing (R), of a status or a comment is
    # refused (400); rebuilding the ready report queues it (R).
    E(
        "espace-pro/rapports/<int:pk>/textes/",
        of("evaluation:report_texts", "report"),
        "  L 403 403 200 404 403 403 200",
        "  L 403 403   R 404 403 403   R",
    ),
    E(
        "espace-pro/rapports/<int:pk>/textes/etat/",
        of("evaluation:report_text_status", "report"),
        "  L 405 405 405 405 405 405 405",
        "  L 403 403 400 404 403 403 400",
    ),
    E(
        "espace-pro/rapports/<int:pk>/commentaires/",
        of("evaluation:report_comment", "report"),
        "  L 405 405 405 405 405 405 405",
        "  L 403 403 400 404 403 400 400",
    ),
    E(
        "espace-pro/rapports/<int:pk>/regenerer/",
        of("evaluation:report_rebuild", "report"),
        "  L 405 405 405 405 405 405 405",
        "  L 403 403   R 404 403 403   R",
    ),
    # notifications: contact preferences, the SMS webhook, the SMS counts.
    # An empty POST of the preferences is a valid choice (no email, no SMS): saved, redirected.
    E(
        "compte/preferences/",
        page("notifications:preferences"),
        "  L 200 200 200 200 200 200 200",
        "  L   R   R   R   R   R   R   R",
    ),
    E(
        "compte/preferences/arreter-les-sms/",
        page("notifications:stop_sms"),
        "  L 405 405 405 405 405 405 405",
        "  L   R   R   R   R   R   R   R",
    ),
    # The signed links of the emails that may be stopped: GET asks, POST stops, no login.
    E(
        "compte/preferences/desabonnement/<str:signed>/",
        fixed(lambda w: email_unsubscribe_path(user_id=w.users["resident"].pk, topic="updates")),
        EVERYONE,
        EVERYONE,
        "valid",
    ),
    E(
        "compte/preferences/desabonnement/<str:signed>/",
        signed("notifications:email_unsubscribe", "forged"),
        "400 400 400 400 400 400 400 400",
        "400 400 400 400 400 400 400 400",
        "invalid",
    ),
    # A wrong secret (or none configured, as here) is a 404 for everyone, whatever the method.
    E(
        "sms/entrant/<str:secret>/",
        fixed(lambda w: reverse("notifications:inbound_sms", args=["wrong-secret"])),
        "404 404 404 404 404 404 404 404",
        "404 404 404 404 404 404 404 404",
    ),
    E(
        "espace-pro/sms/",
        page("notifications:sms_usage"),
        "  L 403 403 403 403 403 403 200",
        "  L 405 405 405 405 405 405 405",
    ),
    # participation: the account, the audit log, the legal pages.
    E(
        "compte/",
        page("account_home"),
        "  L 200 200 200 200 200 200 200",
        "  L 405 405 405 405 405 405 405",
    ),
    E(
        "compte/mes-donnees/",
        page("my_data"),
        "  L 200 200 200 200 200 200 200",
        "  L 405 405 405 405 405 405 405",
    ),
    E(
        "compte/mes-donnees.json",
        page("my_data_json"),
        "  L 200 200 200 200 200 200 200",
        "  L 405 405 405 405 405 405 405",
    ),
    E(
        "compte/mon-nom/",
        page("account_name"),
        "  L 200 200 200 200 200 200 200",
        "  L 400 400 400 400 400 400 400",
    ),
    E(
        "compte/supprimer/",
        page("account_delete"),
        "  L 200 200 200 200 200 200 200",
        "  L 400 400 400 400 400 400 400",
    ),
    E(
        "espace-pro/journal-d-audit/",
        page("audit_log"),
        "  L 403 403 403 403 403 403 200",
        "  L 405 405 405 405 405 405 405",
    ),
    # Invitations (issue 19): the coordination team's page and actions; the invitee's link.
    E(
        "espace-pro/invitations/",
        page("invitations"),
        "  L 403 403 403 403 403 403 200",
        "  L 403 403 403 403 403 403 400",
    ),
    E(
        "espace-pro/invitations/<int:pk>/renvoyer/",
        fixed(lambda w: reverse("invitation_resend", args=[w.invitation.pk])),
        "  L 405 405 405 405 405 405 405",
        "  L 403 403 403 403 403 403   R",
    ),
    E(
        "espace-pro/invitations/<int:pk>/revoquer/",
        fixed(lambda w: reverse("invitation_revoke", args=[w.invitation.pk])),
        "  L 405 405 405 405 405 405 405",
        "  L 403 403 403 403 403 403   R",
    ),
    # Signed-in accounts are not the invited address: 403, the page says so.
    E(
        "invitation/<str:token>/",
        fixed(lambda w: reverse("invitation_accept", args=[w.invitation_tokens["pending"]])),
        "200 403 403 403 403 403 403 403",
        "  R 403 403 403 403 403 403 403",
        "pending",
    ),
    E(
        "invitation/<str:token>/",
        fixed(lambda w: reverse("invitation_accept", args=[w.invitation_tokens["expired"]])),
        "410 410 410 410 410 410 410 410",
        "410 410 410 410 410 410 410 410",
        "expired",
    ),
    E(
        "invitation/<str:token>/",
        fixed(lambda w: reverse("invitation_accept", args=["lien-inconnu"])),
        "404 404 404 404 404 404 404 404",
        "404 404 404 404 404 404 404 404",
        "unknown",
    ),
    E(
        "mentions-legales/",
        page("legal_notice"),
        EVERYONE,
        NOT_ALLOWED,
    ),
    E(
        "donnees-personnelles/",
        page("privacy"),
        EVERYONE,
        NOT_ALLOWED,
    ),
    E(
        "accessibilite/",
        page("accessibility"),
        EVERYONE,
        NOT_ALLOWED,
    ),
    E(
        "glossaire/",
        page("glossary"),
        EVERYONE,
        NOT_ALLOWED,
    ),
    E(
        "plan-du-site/",
        page("sitemap"),
        EVERYONE,
        NOT_ALLOWED,
    ),
    E(
        "langue/setlang/",
        page("set_language"),
        "  R   R   R   R   R   R   R   R",
        "  R   R   R   R   R   R   R   R",
    ),
    E(
        "healthz",
        page("healthz"),
        EVERYONE,
        NOT_ALLOWED,
    ),
    # allauth: accounts, two-factor authentication, sessions.
    E(
        "compte/login/",
        page("account_login"),
        "200   R   R   R   R   R   R   R",
        "200   R   R   R   R   R   R   R",
    ),
    E(
        "compte/logout/",
        page("account_logout"),
        "  R 200 200 200 200 200 200 200",
        "  R   R   R   R   R   R   R   R",
    ),
    E(
        "compte/inactive/",
        page("account_inactive"),
        EVERYONE,
        NOT_ALLOWED,
    ),
    E(
        "compte/signup/",
        page("account_signup"),
        "200   R   R   R   R   R   R   R",
        "200   R   R   R   R   R   R   R",
    ),
    E(
        "compte/reauthenticate/",
        page("account_reauthenticate"),
        "  L 200 200 200 200 200 200 200",
        "  L 200 200 200 200 200 200 200",
    ),
    # Reauthentication by emailed code (allauth 65.22) is turned off (ACCOUNT_REAUTHENTICATION_METHODS):
    # forbidden to everyone signed in, whatever their role.
    E(
        "compte/reauthenticate/code/",
        page("account_request_reauthentication_code"),
        "  L 403 403 403 403 403 403 403",
        "  L 403 403 403 403 403 403 403",
    ),
    E(
        "compte/reauthenticate/code/confirm/",
        page("account_confirm_reauthentication_code"),
        "  L 403 403 403 403 403 403 403",
        "  L 403 403 403 403 403 403 403",
    ),
    E(
        "compte/email/",
        page("account_email"),
        "  L 200 200 200 200 200 200 200",
        "  L   R   R   R   R   R   R   R",
    ),
    E(
        "compte/confirm-email/",
        page("account_email_verification_sent"),
        "  R   R   R   R   R   R   R   R",
        "  R   R   R   R   R   R   R   R",
    ),
    E(
        "compte/password/change/",
        page("account_change_password"),
        "  L 200 200 200 200 200 200 200",
        "  L 200 200 200 200 200 200 200",
    ),
    E(
        "compte/password/set/",
        page("account_set_password"),
        "  L   R   R   R   R   R   R   R",
        "  L   R   R   R   R   R   R   R",
    ),
    E(
        "compte/password/reset/",
        page("account_reset_password"),
        EVERYONE,
        EVERYONE,
    ),
    E(
        "compte/password/reset/done/",
        page("account_reset_password_done"),
        EVERYONE,
        NOT_ALLOWED,
    ),
    E(
        "compte/password/reset/key/(?P<uidb36>[0-9A-Za-z]+)-(?P<key>.+)/",
        fixed(password_reset_key),
        "  R   R   R   R   R   R   R   R",
        "  R   R   R   R   R   R   R   R",
        "valid",
    ),
    E(
        "compte/password/reset/key/(?P<uidb36>[0-9A-Za-z]+)-(?P<key>.+)/",
        fixed(
            lambda w: reverse(
                "account_reset_password_from_key", kwargs={"uidb36": "zz", "key": "forged-key"}
            )
        ),
        EVERYONE,
        EVERYONE,
        "invalid",
    ),
    E(
        "compte/password/reset/key/done/",
        page("account_reset_password_from_key_done"),
        EVERYONE,
        NOT_ALLOWED,
    ),
    E(
        "compte/login/code/",
        page("account_request_login_code"),
        "200   R   R   R   R   R   R   R",
        "200   R   R   R   R   R   R   R",
    ),
    E(
        "compte/login/code/confirm/",
        page("account_confirm_login_code"),
        "  R   R   R   R   R   R   R   R",
        "  R   R   R   R   R   R   R   R",
    ),
    E(
        "compte/2fa/",
        page("mfa_index"),
        "  L 200 200 200 200 200 200 200",
        "  L 405 405 405 405 405 405 405",
    ),
    E(
        "compte/2fa/authenticate/",
        page("mfa_authenticate"),
        "  R   R   R   R   R   R   R   R",
        "  R   R   R   R   R   R   R   R",
    ),
    E(
        "compte/2fa/reauthenticate/",
        page("mfa_reauthenticate"),
        "  L   R   R   R   R   R   R 200",
        "  L   R   R   R   R   R   R 200",
    ),
    # allauth asks for a recent authentication first (R to /compte/reauthenticate/); without an
    # authenticator, deactivating it or its codes are 404.
    E(
        "compte/2fa/totp/activate/",
        page("mfa_activate_totp"),
        "  L   R   R   R   R   R   R   R",
        "  L   R   R   R   R   R   R   R",
    ),
    E(
        "compte/2fa/totp/deactivate/",
        page("mfa_deactivate_totp"),
        "  L 404 404 404 404 404 404   R",
        "  L 404 404 404 404 404 404   R",
    ),
    E(
        "compte/2fa/recovery-codes/",
        page("mfa_view_recovery_codes"),
        "  L 404 404 404 404 404 404   R",
        "  L 405 405 405 405 405 405 405",
    ),
    E(
        "compte/2fa/recovery-codes/generate/",
        page("mfa_generate_recovery_codes"),
        "  L   R   R   R   R   R   R   R",
        "  L   R   R   R   R   R   R   R",
    ),
    E(
        "compte/2fa/recovery-codes/download/",
        page("mfa_download_recovery_codes"),
        "  L 404 404 404 404 404 404   R",
        "  L 404 404 404 404 404 404   R",
    ),
    E(
        "compte/sessions/",
        page("usersessions_list"),
        "  L 200 200 200 200 200 200 200",
        "  L   R   R   R   R   R   R   R",
    ),
    # The load benchmark's yardstick, routed only under `make bench` (BENCH_BASELINE_VIEW): never
    # in the test run, so these cells are declared for the enumeration and not run.
    E(
        "bench/baseline",
        fixed(lambda w: "/bench/baseline"),
        EVERYONE,
        EVERYONE,
        setting="BENCH_BASELINE_VIEW",
    ),
]

# The admin ----------------------------------------------------------------------------------------
# Every registered model, by one rule: its six patterns (list, add, history, delete, change, and
# the bare object URL that redirects to change). The models are named here, not read from the admin:
# a model registered later has patterns the table lacks, and the enumeration test fails on them.
ADMIN_MODELS: dict[str, Callable[[SimpleNamespace], object]] = {
    "auth/group": lambda w: w.group,
    "account/emailaddress": lambda w: w.users["resident"].emailaddress_set.get(),
    "mfa/authenticator": lambda w: Authenticator.objects.filter(
        user=w.users["coordinator"]
    ).first(),
    "usersessions/usersession": lambda w: UserSession.objects.get(session_key="s" * 32),
    "auditlog/logentry": lambda w: LogEntry.objects.order_by("pk").first(),
    "participation/user": lambda w: w.users["resident"],
    "participation/roleassignment": lambda w: w.users["facilitator"].role_assignments.get(),
    "qpv/commune": lambda w: w.A.commune,
    "qpv/qpv": lambda w: w.A.qpv,
    "qpv/organisation": lambda w: w.A.organisation,
    "dialogue/dialoguespace": lambda w: w.A.space,
    "dialogue/meeting": lambda w: w.A.planned,
    "projects/project": lambda w: w.A.project,
    "projects/fundenvelope": lambda w: w.A.envelope,
    "projects/grantapplication": lambda w: w.A.application,
    "projects/influencerecord": lambda w: w.A.influence,
    "projects/experienceevaluation": lambda w: w.A.project.evaluation,
    "evaluation/report": lambda w: w.A.report,
}
# The admin's app index: one pattern, whose regular expression names the apps of those models.
ADMIN_APP_LIST = (
    f"admin/(?P<app_label>{'|'.join(sorted({m.split('/')[0] for m in ADMIN_MODELS}))})/"
)


# The admin site's own pages, one by one.
TABLE += [
    E(
        "admin/",
        page("admin:index"),
        "  A   A   A   A   A   A   A 200",
        "  A   A   A   A   A   A   A 200",
    ),
    # allauth's secure_admin_login: 403 to anyone signed in but a coordinator.
    E(
        "admin/login/",
        page("admin:login"),
        "  L 403 403 403 403 403 403   R",
        "  L 403 403 403 403 403 403 200",
    ),
    E(
        "admin/logout/",
        page("admin:logout"),
        "  R   R   R   R   R   R   R 405",
        "  R   R   R   R   R   R   R   R",
    ),
    E(
        "admin/password_change/",
        page("admin:password_change"),
        "  A   A   A   A   A   A   A 200",
        "  A   A   A   A   A   A   A 200",
    ),
    E(
        "admin/password_change/done/",
        page("admin:password_change_done"),
        "  A   A   A   A   A   A   A 200",
        "  A   A   A   A   A   A   A 405",
    ),
    E(
        "admin/autocomplete/",
        page("admin:autocomplete"),
        "  A   A   A   A   A   A   A 403",
        "  A   A   A   A   A   A   A 405",
    ),
    E(
        "admin/jsi18n/",
        page("admin:jsi18n"),
        "  A   A   A   A   A   A   A 200",
        "  A   A   A   A   A   A   A 405",
    ),
    E(
        "admin/r/<path:content_type_id>/<path:object_id>/",
        fixed(
            lambda w: reverse(
                "admin:view_on_site",
                args=[_content_type_id(w.A.planned), w.A.planned.pk],
            )
        ),
        "  A   A   A   A   A   A   A   R",
        "  A   A   A   A   A   A   A   R",
    ),
    E(
        ADMIN_APP_LIST,
        fixed(lambda w: reverse("admin:app_list", args=["qpv"])),
        "  A   A   A   A   A   A   A 200",
        "  A   A   A   A   A   A   A 200",
    ),
    E(
        "admin/(?P<url>.*)",
        fixed(lambda w: "/admin/nulle-part/"),
        "  A   A   A   A   A   A   A 404",
        "  A   A   A   A   A   A   A 404",
    ),
]


def _content_type_id(obj) -> int:
    from django.contrib.contenttypes.models import ContentType

    return ContentType.objects.get_for_model(obj).pk


ADMIN_VIEWS = {
    # suffix of the pattern: (suffix of the URL name, takes the object)
    "": ("changelist", False),
    "add/": ("add", False),
    "<path:object_id>/history/": ("history", True),
    "<path:object_id>/delete/": ("delete", True),
    "<path:object_id>/change/": ("change", True),
    "<path:object_id>/": (None, True),
}


def admin_url(model: str, suffix: str) -> Url:
    name, takes_object = ADMIN_VIEWS[suffix]
    app_label, model_name = model.split("/")

    def build(w, side):
        if name is None:  # the bare object URL has no name: the change URL without "change/"
            change = reverse(
                f"admin:{app_label}_{model_name}_change", args=[ADMIN_MODELS[model](w).pk]
            )
            return change.removesuffix("change/")
        args = [ADMIN_MODELS[model](w).pk] if takes_object else []
        return reverse(f"admin:{app_label}_{model_name}_{name}", args=args)

    return Url(build, sided=False)


# Anyone but a coordinator (visitor included) is sent to the admin's login page, which refuses
# them (see "admin/login/" above); the coordinator's outcome depends on the view.
ADMIN_OTHERS = "  A   A   A   A   A   A   A"
# The coordinator's (GET, POST) per view: an empty POST redisplays the form, or the delete
# confirmation page (the admin deletes only on a POST saying so), with 200.
ADMIN_COORDINATOR = {
    "": ("200", "200"),
    "add/": ("200", "200"),
    "<path:object_id>/history/": ("200", "200"),
    "<path:object_id>/delete/": ("200", "200"),
    "<path:object_id>/change/": ("200", "200"),
    "<path:object_id>/": ("R", "R"),
}
# Read-only models: the audit log is never written by hand; authenticators are only seen (never
# their secret) and deleted, when someone lost their phone; a session is opened by signing in.
ADMIN_COORDINATOR_EXCEPTIONS = {
    ("usersessions/usersession", "add/"): ("403", "403"),
    ("auditlog/logentry", "add/"): ("403", "403"),
    ("auditlog/logentry", "<path:object_id>/change/"): ("200", "403"),
    ("auditlog/logentry", "<path:object_id>/delete/"): ("403", "403"),
    ("mfa/authenticator", "add/"): ("403", "403"),
    ("mfa/authenticator", "<path:object_id>/change/"): ("200", "403"),
}
for _model in ADMIN_MODELS:
    for _suffix in ADMIN_VIEWS:
        _get, _post = ADMIN_COORDINATOR_EXCEPTIONS.get(
            (_model, _suffix), ADMIN_COORDINATOR[_suffix]
        )
        TABLE.append(
            E(
                f"admin/{_model}/{_suffix}",
                admin_url(_model, _suffix),
                f"{ADMIN_OTHERS} {_get:>3}",
                f"{ADMIN_OTHERS} {_post:>3}",
            )
        )


# The enumeration --------------------------------------------------------------------------------


def pattern_key(route: str) -> str:
    """The table's key of a full route: regular expressions lose their anchors, and the admin's app
    index (a regular expression listing the apps in the order they were registered) has them sorted.
    """
    route = route.removeprefix("^").replace("/^", "/").removesuffix("$")
    return re.sub(
        r"\(\?P<app_label>([\w|]+)\)",
        lambda match: f"(?P<app_label>{'|'.join(sorted(match.group(1).split('|')))})",
        route,
    )


def enumerate_patterns(patterns=None, prefix: str = "") -> list[str]:
    """The key of every URL pattern the resolver knows, includes walked."""
    if patterns is None:
        patterns = get_resolver().url_patterns
    routes = []
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            routes += enumerate_patterns(pattern.url_patterns, prefix + str(pattern.pattern))
        else:
            assert isinstance(pattern, URLPattern)
            routes.append(pattern_key(prefix + str(pattern.pattern)))
    return routes


def expected_patterns() -> set[str]:
    return {entry.pattern for entry in TABLE if entry.routed}


def test_every_url_pattern_is_in_the_table():
    routes = enumerate_patterns()
    duplicates = sorted({route for route in routes if routes.count(route) > 1})
    assert not duplicates, f"Patterns declared twice (the second is unreachable): {duplicates}"
    missing = sorted(set(routes) - expected_patterns())
    assert not missing, f"URL patterns missing from the access matrix: {missing}"
    stale = sorted(expected_patterns() - set(routes))
    assert not stale, f"The access matrix names patterns the project no longer has: {stale}"


def test_every_cell_is_declared_once():
    ids = [entry.cell_id for entry in TABLE]
    assert len(ids) == len(set(ids)), sorted({i for i in ids if ids.count(i) > 1})
    for entry in TABLE:
        for method in METHODS:
            expected = entry.expected(method)
            # An unsided URL is the same request for both referent columns: one answer.
            if not entry.url.sided:
                assert expected["referent_out"] == expected["referent_in"], (entry.cell_id, method)


# The cells --------------------------------------------------------------------------------------

LOGIN_PATH = "/compte/login/"
ADMIN_LOGIN_PATH = "/admin/login/"


def outcome(response) -> str:
    if response.status_code in (301, 302, 303, 307, 308):
        location = urlsplit(response["Location"])
        if location.path == LOGIN_PATH and "next" in parse_qs(location.query):
            return "L"
        if location.path == ADMIN_LOGIN_PATH:
            return "A"
        return "R"
    return str(response.status_code)


@pytest.fixture(scope="module")
def matrix_client():
    """One client for the module: a new one would load the middleware again for every cell."""
    return PortalClient()


def request_as(client, world, role: str, entry: Entry, method: str):
    client.cookies.clear()
    if world.sessions[role] is not None:
        client.cookies[settings.SESSION_COOKIE_NAME] = world.sessions[role]
    url = entry.url(world, "B" if role == "referent_out" else "A")
    return client.get(url) if method == "GET" else client.post(url)


CELLS = [
    pytest.param(entry, role, method, id=f"{entry.cell_id}-{role}-{method}")
    for entry in TABLE
    if entry.routed
    for method in METHODS
    for role in ROLES
    if entry.url.sided or role != "referent_out"
]


@pytest.mark.django_db
@pytest.mark.parametrize(("entry", "role", "method"), CELLS)
def test_access(matrix_client, world, entry, role, method):
    response = request_as(matrix_client, world, role, entry, method)
    # The cell asks the pattern it is about, not another one its URL happens to match.
    assert pattern_key(resolve(response.request["PATH_INFO"]).route) == entry.pattern
    got = outcome(response)
    expected = entry.expected(method)[role]
    assert got == expected, f"{method} {response.request['PATH_INFO']} as {role}: {got}"


# Staff pages before the second factor ----------------------------------------------------------
# A staff member signed in with the password only is sent to set up an authenticator app (none
# yet) or to type its code (one exists), whatever the page under /espace-pro/ or /admin/.

MFA_ACTIVATE_PATH = "/compte/2fa/totp/activate/"
MFA_REAUTHENTICATE_PATH = "/compte/2fa/reauthenticate/"
SECOND_FACTOR_CELLS = [
    pytest.param(entry, who, method, id=f"{entry.cell_id}-{who}-{method}")
    for entry in TABLE
    if entry.pattern.startswith(STAFF_PREFIXES)
    for who, method in (
        ("no_authenticator", "GET"),
        ("authenticator", "GET"),
        ("authenticator", "POST"),
    )
]


@pytest.mark.django_db
@pytest.mark.parametrize(("entry", "who", "method"), SECOND_FACTOR_CELLS)
def test_staff_pages_wait_for_the_second_factor(matrix_client, world, entry, who, method):
    assert "participation.middleware.staff_mfa_required" in settings.MIDDLEWARE
    client = matrix_client
    client.cookies.clear()
    client.cookies[settings.SESSION_COOKIE_NAME] = world.sessions_without_second_factor[who]
    url = entry.url(world, "A")
    response = client.get(url) if method == "GET" else client.post(url)
    assert response.status_code == 302, response.status_code
    location = urlsplit(response["Location"])
    expected = MFA_ACTIVATE_PATH if who == "no_authenticator" else MFA_REAUTHENTICATE_PATH
    assert location.path == expected
    assert parse_qs(location.query)["next"] == [url]


@pytest.mark.django_db
def test_the_admin_never_shows_an_authenticator_secret(matrix_client, world):
    """A coordinator sees who set up which second factor, never its secret (TOTP key, seed of the
    recovery codes): with it, anyone could make that person's codes."""
    matrix_client.cookies.clear()
    matrix_client.cookies[settings.SESSION_COOKIE_NAME] = world.sessions["coordinator"]
    authenticators = Authenticator.objects.filter(user=world.users["coordinator"])
    assert {a.type for a in authenticators} == {"totp", "recovery_codes"}
    for authenticator in authenticators:
        url = reverse("admin:mfa_authenticator_change", args=[authenticator.pk])
        page = matrix_client.get(url).content.decode()
        secrets = [value for value in authenticator.data.values() if isinstance(value, str)]
        assert secrets
        assert not [secret for secret in secrets if secret in page]
