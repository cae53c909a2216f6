"""Bounded queries (issue 9 item 2): every list and detail page, public and staff, renders with the
same number of SQL queries on a dataset and on a dataset five times larger: no N+1 anywhere.

The dataset grows around fixed objects (a meeting to come, a meeting under way, a meeting held, a
question, a project, an envelope, a news item, a report...): `_grow(world, n)` adds n rows of every
kind a page lists or could load once per row (meetings, spaces, registrations, attendance, speaking
turns, feedback, minutes, questions, answers and their history, projects, steps, ideas, envelopes,
grant applications and payments, influence records, news, follows, reports, role assignments,
audit log entries). Each page is read under `CaptureQueriesContext`, the cache cleared before each
read (content types, cached by the process, are all read beforehand). Lists shorter than the small
dataset by design (the 3 latest news of a QPV page, the 8 latest speaking turns) are bounded by
their length; every paginated list shows more rows on the large dataset, which the test checks.

`PAGES` is the explicit list; `EXCLUDED` names the GET pages left out, with the reason. Every URL
pattern served by our apps must be in one of them (`test_every_page_is_listed_or_excluded`), so that
a new page cannot escape. The admin's pages are generated from the admin site's registry.
"""

from __future__ import annotations

import copy
import re
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal

import pytest
from allauth.mfa.models import Authenticator
from allauth.usersessions.models import UserSession
from auditlog.context import set_actor
from django.apps import apps
from django.conf import settings
from django.contrib import admin
from django.contrib.auth.models import Group
from django.contrib.contenttypes.models import ContentType
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from dialogue.models import (
    AttendeeCategory,
    DialogueSpace,
    FacilitatedBy,
    Feedback,
    Meeting,
    MeetingStatus,
    MeetingTranslation,
    Minutes,
    MinutesStatus,
    Registration,
    RegistrationStatus,
    SpaceFormat,
    SpaceOrigin,
    SpeakerCategory,
    SpeakingTurn,
    WalkIn,
)
from dialogue.services.feedback import feedback_tokens_create
from dialogue.tokens import comeback_unsubscribe_path, confirm_path, manage_path
from evaluation.indicators import CATALOGUE
from evaluation.models import (
    IndicatorTarget,
    Report,
    ReportComment,
    ReportSection,
    ReportStatus,
    TargetLevel,
)
from notifications.services import email_unsubscribe_path
from participation.middleware import LAST_ACTIVITY_SESSION_KEY
from participation.models import Invitation, User
from participation.roles import Role
from participation.services import invitation_token_digest
from projects.models import (
    CarriedBy,
    ExperienceEvaluation,
    FundEnvelope,
    GrantApplication,
    GrantPayment,
    GrantStatus,
    InfluenceOutcome,
    InfluenceRecord,
    ModerationStatus,
    ParticipationLevel,
    Project,
    ProjectOrigin,
    ProjectStage,
    ProjectStep,
)
from qpv.models import QPV, Commune, Follow, NewsItem, Organisation, OrganisationKind
from qpv.services.follows import follow_unsubscribe_path
from questions.models import (
    Answer,
    AnswerRevision,
    AnswerStatus,
    Channel,
    DueDateChange,
    Question,
    QuestionEvent,
    QuestionEventKind,
    QuestionFollow,
    QuestionStatus,
    Theme,
)
from questions.tokens import question_confirm_path
from tests.helpers import OUR_APPS, PortalClient
from tests.participation.factories import UserFactory, grant

pytestmark = pytest.mark.django_db

# The small dataset has N rows of every kind, the large one 5 × N. Small enough that no list of
# the small dataset fills a page (20 items on most lists), so the large one shows more rows.
N = 2

# The token of the invitation link whose page is measured.
INVITATION_TOKEN = "invitation-de-la-mesure"

# Our apps: a URL pattern whose view lives in one of them is a page of ours.
OUR_PACKAGES = tuple(f"{app}." for app in OUR_APPS)


# The dataset ------------------------------------------------------------------------------------


@dataclass
class World:
    tours: Commune
    sanitas: QPV
    europe: QPV
    rabiere: QPV
    org: Organisation
    space: DialogueSpace
    upcoming: Meeting  # planned next week: registrations, edit, print
    live: Meeting  # under way: check-in, speaking tracker, minutes being written
    held: Meeting  # held two days ago: log, published minutes, feedback
    question: Question  # public, answered (with revisions and due date changes)
    pending_question: Question  # awaiting moderation, asked by a guest
    project: Project  # published, evaluated: steps, grants, influence records
    idea: Project  # awaiting moderation, proposed by the resident
    envelope: FundEnvelope  # this year's envelope of Sanitas: applications, payments
    record: InfluenceRecord
    news: NewsItem
    report: Report
    users: dict[str, User]
    registration: Registration  # a guest's registration to the upcoming meeting
    feedback_token: str
    target: IndicatorTarget | None = None  # a per-QPV target of the contract
    serial: int = 0
    clients: dict[str, PortalClient] = field(default_factory=dict)

    def next(self) -> int:
        self.serial += 1
        return self.serial


def _meeting(space: DialogueSpace, starts_at, *, title: str, **fields) -> Meeting:
    return Meeting.objects.create(
        dialogue_space=space,
        title=title,
        starts_at=starts_at,
        ends_at=starts_at + timedelta(hours=2),
        venue="Centre social",
        address="1 place Neuve, 37000 Tours",
        capacity=fields.pop("capacity", 200),
        **fields,
    )


def _build_world() -> World:
    now = timezone.now()
    today = timezone.localdate()
    tours = Commune.objects.get(slug="tours")
    sanitas = QPV.objects.get(slug="sanitas")
    europe = QPV.objects.get(slug="europe")
    rabiere = QPV.objects.get(slug="la-rabiere")
    users = {
        "resident": UserFactory(email="habitante@example.org", full_name="Awa Habitante"),
        "facilitator": UserFactory(email="animatrice@example.org", full_name="Ines Animatrice"),
        "referent": UserFactory(email="referente@example.org", full_name="Rita Referente"),
        "correspondent": UserFactory(email="correspondant@example.org", full_name="Carl Corr"),
        "delegate": UserFactory(email="delegue@example.org", full_name="Denis Delegue"),
        "coordinator": UserFactory(email="coordinatrice@example.org", full_name="Cora Coord"),
    }
    org = Organisation.objects.create(
        name="Tours Habitat", kind=OrganisationKind.BAILLEUR, contact_email="th@example.org"
    )
    org.qpvs.add(sanitas)
    grant(users["facilitator"], Role.FACILITATOR, qpv=sanitas)
    grant(users["referent"], Role.REFERENT, commune=tours)
    grant(users["correspondent"], Role.CORRESPONDENT, organisation=org)
    grant(users["delegate"], Role.DELEGATE)
    grant(users["coordinator"], Role.COORDINATOR)
    space = DialogueSpace.objects.create(
        qpv=sanitas,
        name="Conseil citoyen du Sanitas",
        format=SpaceFormat.CONSEIL_CITOYEN,
        origin=SpaceOrigin.STRENGTHENED,
        host_organisation=org,
        facilitated_by=FacilitatedBy.PARTNER,
    )
    # With an easy-read summary and its practical information (issue 18): the page shows them at
    # no extra query.
    upcoming = _meeting(
        space,
        now + timedelta(days=7),
        title="Rencontre à venir",
        easy_read="Nous parlons du square. Venez avec vos enfants.",
        childcare=True,
        interpreting="arabe, turc",
        food="snack",
    )
    # Its invitation in every language offered (issue 18): the page reads them in one query.
    MeetingTranslation.objects.bulk_create(
        MeetingTranslation(meeting=upcoming, language=code, title=f"{name} : titre")
        for code, name in settings.MEETING_TRANSLATION_LANGUAGES.items()
    )
    live = _meeting(space, now - timedelta(minutes=30), title="Rencontre en cours")
    held = _meeting(
        space,
        now - timedelta(days=2),
        title="Rencontre passée",
        status=MeetingStatus.HELD,
        attendance_saved_at=now - timedelta(days=2),
        residents_who_spoke=4,
    )
    Minutes.objects.create(
        meeting=held,
        summary="Les habitants ont parlé du square.",
        decisions="Un groupe de travail.",
        status=MinutesStatus.PUBLISHED,
        published_at=now - timedelta(days=1),
        author=users["facilitator"],
    )
    question = Question.objects.create(
        qpv=sanitas,
        meeting=held,
        channel=Channel.MEETING,
        text="Quand le square sera-t-il rouvert ?",
        theme=Theme.LIVING_ENVIRONMENT,
        organisation=org,
        asked_by=users["resident"],
        asker_name="Awa Habitante",
        show_name=True,
        status=QuestionStatus.ANSWERED,
        received_on=today - timedelta(days=20),
        due_on=today + timedelta(days=10),
        answered_on=today - timedelta(days=5),
    )
    Answer.objects.create(
        question=question,
        organisation=org,
        text="Au printemps.",
        easy_read="Les travaux commencent au printemps.",
        author=users["correspondent"],
        status=AnswerStatus.PUBLISHED,
        published_at=now - timedelta(days=5),
    )
    pending_question = Question.objects.create(
        qpv=sanitas,
        channel=Channel.ONLINE,
        text="Une question à modérer ?",
        theme=Theme.OTHER,
        asker_name="Invité",
        asker_email="invite@example.org",
        status=QuestionStatus.UNCONFIRMED,
        due_on=today + timedelta(days=30),
    )
    project = Project.objects.create(
        qpv=sanitas,
        title="Jardin partagé",
        summary="Un jardin au pied des immeubles.",
        origin=ProjectOrigin.MEETING,
        origin_meeting=held,
        carried_by=CarriedBy.COLLECTIVE,
        stage=ProjectStage.EVALUATED,
    )
    ExperienceEvaluation.objects.create(
        project=project,
        voice_changed="Le jardin a été dessiné par les habitants.",
        highest_level=ParticipationLevel.CO_DECISION,
    )
    idea = Project.objects.create(
        qpv=sanitas,
        title="Une boîte à livres",
        summary="Près de l'arrêt de tram.",
        origin=ProjectOrigin.ONLINE,
        carried_by=CarriedBy.COLLECTIVE,
        moderation=ModerationStatus.PENDING,
        proposed_by=users["resident"],
    )
    envelope = FundEnvelope.objects.create(
        qpv=sanitas, year=today.year, amount=Decimal("1000000.00"), set_by=users["referent"]
    )
    record = InfluenceRecord.objects.create(
        qpv=sanitas,
        said="Plus de bancs.",
        meeting=held,
        question=question,
        outcome=InfluenceOutcome.ADOPTED,
        what_was_done="Six bancs posés.",
        project=project,
        institution=org,
    )
    news = NewsItem.objects.create(
        qpv=sanitas,
        title="Le square rouvre",
        body_markdown="Le square **rouvre**.",
        body_html="<p>Le square <strong>rouvre</strong>.</p>",
        easy_read="Le square est ouvert.",
        is_published=True,
        published_at=now - timedelta(days=1),
        author=users["referent"],
    )
    report = Report.objects.create(
        commune=tours,
        period_start=today - timedelta(days=365),
        period_end=today,
        requested_by=users["referent"],
        status=ReportStatus.READY,
        progress=100,
        file="reports/2026/rapport.pdf",
        size=120_000,
        checksum="0" * 64,
        generated_at=now,
    )
    # Its written parts: two sections, published (the comments grow with the data).
    for kind, body in (("summary", "La synthèse."), ("recommendations", "- Une idée")):
        ReportSection.objects.create(
            report=report,
            kind=kind,
            body=body,
            body_html=f"<p>{body}</p>",
            published_html=f"<p>{body}</p>",
            updated_by=users["referent"],
        )
    registration = Registration.objects.create(
        meeting=upcoming,
        name="Invitée",
        email="invitee@example.org",
        status=RegistrationStatus.CONFIRMED,
        confirmed_at=now,
    )
    (feedback_token,) = feedback_tokens_create(meeting=held, count=1)
    # The resident came to the held meeting: "Mon espace" offers its survey.
    Registration.objects.create(
        meeting=held,
        user=users["resident"],
        name=users["resident"].full_name,
        email=users["resident"].email,
        status=RegistrationStatus.CONFIRMED,
        confirmed_at=now - timedelta(days=3),
        attended=True,
    )
    # An invitation pending (issue 19), whose link's page is measured.
    Invitation.objects.create(
        email="invitee@example.org",
        role=Role.FACILITATOR,
        dialogue_space=space,
        invited_by=users["coordinator"],
        token_hash=invitation_token_digest(INVITATION_TOKEN),
        sent_at=now,
        expires_at=now + timedelta(days=7),
    )
    return World(
        tours=tours,
        sanitas=sanitas,
        europe=europe,
        rabiere=rabiere,
        org=org,
        space=space,
        upcoming=upcoming,
        live=live,
        held=held,
        question=question,
        pending_question=pending_question,
        project=project,
        idea=idea,
        envelope=envelope,
        record=record,
        news=news,
        report=report,
        users=users,
        registration=registration,
        feedback_token=feedback_token,
        target=IndicatorTarget.objects.create(code="meetings_held", value=Decimal(10)),
    )


def _grow(world: World, n: int) -> None:
    """Add n rows of every kind, around the fixed objects of the world and beside them."""
    with set_actor(world.users["coordinator"]):
        for _index in range(n):
            _grow_once(world, world.next())


def _grow_once(world: World, k: int) -> None:
    now = timezone.now()
    today = timezone.localdate()
    resident = world.users["resident"]
    person = User.objects.create_user(f"personne{k}@example.org", full_name=f"Personne {k}")
    Follow.objects.create(user=person, qpv=world.sanitas)
    resident.emailaddress_set.create(email=f"habitante.{k}@example.org", verified=True)

    # Organisations, spaces and their meetings, in Sanitas (and some in Europe, same commune).
    org = Organisation.objects.create(
        name=f"Association {k}", kind=OrganisationKind.ASSOCIATION, contact_email=f"a{k}@e.org"
    )
    org.qpvs.add(world.sanitas, world.europe)
    qpv = world.sanitas if k % 2 else world.europe
    space = DialogueSpace.objects.create(
        qpv=qpv,
        name=f"Café des habitants {k}",
        format=SpaceFormat.CAFE,
        origin=SpaceOrigin.CREATED,
        host_organisation=org,
        facilitated_by=FacilitatedBy.RESIDENTS,
    )
    grant(world.users["facilitator"], Role.FACILITATOR, dialogue_space=space)
    # Invitations of every scope shape, pending and accepted, on the coordinators' list.
    Invitation.objects.create(
        email=f"invitee{k}@example.org",
        role=Role.FACILITATOR if k % 2 else Role.REFERENT,
        dialogue_space=space if k % 2 else None,
        commune=None if k % 2 else world.tours,
        invited_by=world.users["coordinator"],
        token_hash=invitation_token_digest(f"invitation-{k}"),
        sent_at=now,
        expires_at=now + timedelta(days=7),
        accepted_at=None if k % 2 else now,
        accepted_by=None if k % 2 else person,
    )
    upcoming = _meeting(
        space, now + timedelta(days=3, hours=k), title=f"Café {k}", step_free=bool(k % 2)
    )
    past = _meeting(
        space,
        now - timedelta(days=10, hours=k),
        title=f"Café passé {k}",
        status=MeetingStatus.HELD,
        attendance_saved_at=now - timedelta(days=10),
    )
    Minutes.objects.create(
        meeting=past,
        summary=f"Compte rendu {k}",
        status=MinutesStatus.PUBLISHED,
        published_at=now - timedelta(days=9),
    )
    # A meeting started a while ago whose attendance is not saved: the staff's to-do list.
    _meeting(space, now - timedelta(days=1, hours=k), title=f"Café à saisir {k}")
    _meeting(
        space,
        now + timedelta(days=5, hours=k),
        title=f"Café annulé {k}",
        status=MeetingStatus.CANCELLED,
        cancellation_reason="Salle indisponible.",
    )
    # The fixed space's page lists its next and past meetings.
    _meeting(world.space, now + timedelta(days=8, hours=k), title=f"Conseil {k}")
    _meeting(
        world.space,
        now - timedelta(days=20, hours=k),
        title=f"Conseil passé {k}",
        status=MeetingStatus.HELD,
        attendance_saved_at=now - timedelta(days=20),
    )
    for meeting in (upcoming, past):
        Registration.objects.create(
            meeting=meeting,
            user=resident,
            name=resident.full_name,
            email=resident.email,
            status=RegistrationStatus.CONFIRMED,
            confirmed_at=now,
            attended=meeting is past or None,
        )

    # Registrations and attendance of the fixed meetings.
    statuses = (
        RegistrationStatus.CONFIRMED,
        RegistrationStatus.WAITLISTED,
        RegistrationStatus.PENDING,
        RegistrationStatus.CANCELLED,
    )
    for meeting in (world.upcoming, world.live, world.held):
        for status in statuses:
            Registration.objects.create(
                meeting=meeting,
                user=person if status == RegistrationStatus.CONFIRMED else None,
                name=f"Inscrit {status} {k}",
                email=f"inscrit.{status}.{k}@example.org",
                status=status,
                confirmed_at=now,
                waitlisted_at=now if status == RegistrationStatus.WAITLISTED else None,
                attended=True if meeting is not world.upcoming else None,
            )
    for meeting in (world.live, world.held):
        for category in (AttendeeCategory.RESIDENT, AttendeeCategory.INSTITUTION):
            WalkIn.objects.create(meeting=meeting, category=category, first_time=True)
        start = meeting.starts_at + timedelta(minutes=k)
        for offset, category in enumerate((SpeakerCategory.RESIDENT, SpeakerCategory.ELECTED)):
            began = start + timedelta(seconds=20 * offset)
            SpeakingTurn.objects.create(
                meeting=meeting,
                category=category,
                started_at=began,
                ended_at=began + timedelta(seconds=15),
            )
    Feedback.objects.create(
        meeting=world.held,
        felt_heard=4,
        felt_legitimate=3,
        understood_institutions=5,
        will_come_back="yes",
        comment=f"Merci {k}",
    )
    feedback_tokens_create(meeting=world.held, count=1)

    # Questions: public and answered, forwarded and late, awaiting moderation, at the meetings.
    answered = Question.objects.create(
        qpv=world.sanitas,
        meeting=world.held,
        channel=Channel.MEETING,
        text=f"Question {k} sur le logement ?",
        theme=Theme.HOUSING,
        organisation=org,
        asked_by=resident,
        asker_name=resident.full_name,
        show_name=True,
        status=QuestionStatus.ANSWERED,
        received_on=today - timedelta(days=20),
        due_on=today + timedelta(days=10),
        answered_on=today - timedelta(days=1),
    )
    Answer.objects.create(
        question=answered,
        organisation=org,
        text=f"Réponse {k}",
        status=AnswerStatus.PUBLISHED,
        published_at=now - timedelta(days=1),
    )
    # The history of the questions (issue 17), and questions followed by the resident.
    for kind in (QuestionEventKind.RECEIVED, QuestionEventKind.ANSWERED):
        QuestionEvent.objects.create(question=answered, kind=kind)
    QuestionEvent.objects.create(
        question=world.question, kind=QuestionEventKind.FORWARDED, organisation=world.org
    )
    for meeting in (world.live, past):
        heard = Question.objects.create(
            qpv=meeting.dialogue_space.qpv,
            meeting=meeting,
            channel=Channel.MEETING,
            text=f"Question {k} posée en réunion ?",
            theme=Theme.MOBILITY,
            organisation=world.org,
            status=QuestionStatus.FORWARDED,
            received_on=today - timedelta(days=40),
            due_on=today - timedelta(days=10),
            forwarded_at=now - timedelta(days=39),
        )
        QuestionFollow.objects.create(user=resident, question=heard)
    Question.objects.create(
        qpv=world.rabiere,
        channel=Channel.ONLINE,
        text=f"Question {k} de la Rabière ?",
        theme=Theme.SAFETY,
        organisation=world.org,
        asked_by=resident,
        status=QuestionStatus.RECEIVED,
        due_on=today + timedelta(days=30),
    )
    Question.objects.create(
        qpv=world.sanitas,
        channel=Channel.ONLINE,
        text=f"Question {k} à modérer ?",
        theme=Theme.YOUTH,
        asked_by=person,
        asker_name=person.full_name,
        status=QuestionStatus.MODERATION,
        due_on=today + timedelta(days=30),
    )
    AnswerRevision.objects.create(
        answer=world.question.answer, previous_text=f"Version {k}", edited_by=resident
    )
    DueDateChange.objects.create(
        question=world.question,
        previous_due_on=today,
        new_due_on=today + timedelta(days=10),
        reason=f"Raison {k}",
        changed_by=world.users["referent"],
    )

    # Projects, their steps, ideas proposed online.
    project = Project.objects.create(
        qpv=qpv,
        title=f"Projet {k}",
        summary="Un projet des habitants.",
        origin=ProjectOrigin.SPACE,
        origin_space=space,
        origin_meeting=past,
        origin_question=answered,
        carried_by=CarriedBy.ASSOCIATION,
        carrier_name=org.name,
        stage=ProjectStage.ELABORATION,
        proposed_by=resident,
    )
    for stage, level in ((ProjectStage.IDEA, 1), (ProjectStage.ELABORATION, 3)):
        ProjectStep.objects.create(
            project=project, stage=stage, participation_level=level, created_by=resident
        )
    ProjectStep.objects.create(
        project=world.project,
        date=today - timedelta(days=100 - k),
        stage=ProjectStage.IN_PROGRESS,
        participation_level=ParticipationLevel.CO_CONSTRUCTION,
        residents_involved=k,
        note=f"Étape {k}",
        created_by=world.users["referent"],
    )
    Project.objects.create(
        qpv=world.sanitas,
        title=f"Idée {k}",
        summary="Une idée proposée en ligne.",
        origin=ProjectOrigin.ONLINE,
        carried_by=CarriedBy.COLLECTIVE,
        moderation=ModerationStatus.PENDING,
        proposed_by=person if k % 2 else resident,
    )

    # The participation fund: envelopes of past years, applications to this year's envelope.
    old_envelope = FundEnvelope.objects.create(
        qpv=world.sanitas if k % 2 else world.europe,
        year=today.year - 1 - k // 2,
        amount=Decimal("5000.00"),
    )
    for envelope in (world.envelope, old_envelope):
        for status in (GrantStatus.SUBMITTED, GrantStatus.GRANTED, GrantStatus.REFUSED):
            application = GrantApplication.objects.create(
                envelope=envelope,
                project=world.project if status == GrantStatus.GRANTED else project,
                title=f"Action {status} {k}",
                description="Une fête de quartier.",
                collective_name=f"Collectif {k}",
                contact_name="Awa",
                contact_email=f"collectif{k}@example.org",
                amount_requested=Decimal("100.00"),
                status=status,
                amount_granted=Decimal("80.00") if status == GrantStatus.GRANTED else None,
                decision_meeting=past if status != GrantStatus.SUBMITTED else None,
                decided_at=now if status != GrantStatus.SUBMITTED else None,
                decided_by=world.users["referent"] if status != GrantStatus.SUBMITTED else None,
                decision_reason="" if status == GrantStatus.GRANTED else "Hors cadre.",
                submitted_by=resident,
            )
            if status == GrantStatus.GRANTED:
                GrantPayment.objects.create(
                    application=application, amount=Decimal("40.00"), recorded_by=resident
                )

    # Influence records, news, reports.
    InfluenceRecord.objects.create(
        qpv=qpv,
        said=f"Les habitants ont demandé {k}.",
        meeting=past,
        question=answered,
        outcome=InfluenceOutcome.PARTLY,
        what_was_done="En partie.",
        reason="Le budget.",
        project=world.project if k % 2 else project,
        institution=org,
        decided_on=today - timedelta(days=k),
        created_by=world.users["referent"],
    )
    for news_qpv, published in ((world.sanitas, True), (None, True), (world.europe, False)):
        NewsItem.objects.create(
            qpv=news_qpv,
            title=f"Actualité {k}",
            body_markdown="Du texte.",
            body_html="<p>Du texte.</p>",
            is_published=published,
            published_at=now - timedelta(hours=k) if published else None,
            author=world.users["referent"],
        )
    # A target of another indicator, level or year each time (unique together).
    IndicatorTarget.objects.create(
        code=CATALOGUE[k % len(CATALOGUE)].code,
        level=TargetLevel.METROPOLE,
        year=2024 + (k // len(CATALOGUE)) % 7,
        value=Decimal(k),
        updated_by=world.users["coordinator"],
    )
    Report.objects.create(
        qpv=world.sanitas if k % 2 else None,
        commune=None if k % 2 else world.tours,
        period_start=today - timedelta(days=90),
        period_end=today,
        requested_by=world.users["referent"] if k % 2 else None,
        scheduled=not k % 2,
        status=ReportStatus.READY,
        progress=100,
        file=f"reports/2026/rapport-{k}.pdf",
        size=100_000 + k,
        generated_at=now,
    )
    ReportComment.objects.create(
        report=world.report,
        kind="summary" if k % 2 else "",
        author=world.users["delegate"] if k % 2 else world.users["referent"],
        body=f"Remarque {k} sur la synthèse.",
    )


# The pages --------------------------------------------------------------------------------------

Args = Callable[[World], dict]


def _none(world: World) -> dict:
    return {}


@dataclass(frozen=True)
class Page:
    name: str
    role: str = "visitor"
    kwargs: Args = _none
    query: str | Callable[[World], str] = ""
    # The page shows more when the dataset grows (checked: else the dataset does not reach it).
    grows: bool = True
    label: str = ""

    @property
    def title(self) -> str:
        return f"{self.name} as {self.role}" + (f" ({self.label})" if self.label else "")

    def url(self, world: World) -> str:
        url = reverse(self.name, kwargs=self.kwargs(world))
        query = self.query(world) if callable(self.query) else self.query
        return f"{url}?{query}" if query else url


def _slug(world: World) -> dict:
    return {"slug": world.sanitas.slug}


def _pk(attribute: str) -> Args:
    return lambda world: {"pk": getattr(world, attribute).pk}


UPCOMING, LIVE, HELD = _pk("upcoming"), _pk("live"), _pk("held")
QUESTION, PROJECT, ENVELOPE = _pk("question"), _pk("project"), _pk("envelope")
RECORD, NEWS, REPORT = _pk("record"), _pk("news"), _pk("report")


def _unsubscribe_kwargs(path: str) -> dict:
    return {"signed": path.rstrip("/").rsplit("/", 1)[1]}


def _signed(maker: Callable, attribute: str) -> Args:
    return lambda world: {"signed": maker(getattr(world, attribute)).rstrip("/").rsplit("/", 1)[1]}


PAGES: list[Page] = [
    # Public pages of the neighbourhoods, news, meetings.
    Page("home", grows=False),
    Page("home", "resident", grows=False),
    Page("qpv_page", kwargs=_slug),
    Page("qpv_page", "resident", _slug),
    Page("qpv:news"),
    Page("qpv:news", query="qpv=sanitas", label="filtered"),
    Page("qpv:qpv_news", kwargs=_slug),
    Page("qpv:news_item", kwargs=NEWS, grows=False),
    Page("dialogue:agenda"),
    Page("dialogue:agenda", query="commune=tours&step_free=on", label="filtered"),
    Page("dialogue:past"),
    Page("dialogue:qpv_agenda", kwargs=_slug),
    Page("dialogue:agenda_ics"),
    Page("dialogue:qpv_agenda_ics", kwargs=_slug),
    Page("dialogue:meeting_ics", kwargs=UPCOMING, grows=False),
    Page("dialogue:meeting", kwargs=UPCOMING, grows=False),
    Page("dialogue:meeting", kwargs=HELD, label="held, with its questions"),
    Page("dialogue:meeting", "resident", UPCOMING, grows=False),
    Page("dialogue:meeting", "referent", UPCOMING, grows=False),
    Page("dialogue:meeting_print", kwargs=UPCOMING, grows=False),
    Page("dialogue:space", kwargs=lambda world: {"pk": world.space.pk}),
    Page("dialogue:minutes", kwargs=HELD, grows=False),
    Page("dialogue:register", kwargs=UPCOMING, grows=False),
    Page("dialogue:register", "resident", UPCOMING, grows=False),
    Page(
        "dialogue:registration_confirm",
        kwargs=_signed(confirm_path, "registration"),
        grows=False,
    ),
    Page("dialogue:registration_manage", kwargs=_signed(manage_path, "registration"), grows=False),
    # The confirmation pages of the unsubscribe links (participation.unsubscribe); POST writes.
    Page(
        "dialogue:comeback_unsubscribe",
        kwargs=lambda w: _unsubscribe_kwargs(comeback_unsubscribe_path(w.registration.pk)),
        grows=False,
    ),
    Page(
        "notifications:email_unsubscribe",
        kwargs=lambda w: _unsubscribe_kwargs(
            email_unsubscribe_path(user_id=w.users["resident"].pk, topic="updates")
        ),
        grows=False,
    ),
    Page(
        "qpv:unsubscribe",
        kwargs=lambda w: _unsubscribe_kwargs(
            follow_unsubscribe_path(
                list(Follow.objects.filter(qpv=w.sanitas).values_list("pk", flat=True))
            )
        ),
        grows=False,
    ),
    Page("dialogue:feedback", kwargs=lambda world: {"token": world.feedback_token}, grows=False),
    Page("dialogue:feedback_mine", "resident", HELD, grows=False),
    # The public Q&A.
    Page("questions:questions"),
    Page("questions:questions", query="qpv=sanitas&status=answered", label="filtered"),
    Page("questions:qpv_questions", kwargs=_slug),
    Page("questions:question", kwargs=QUESTION),
    Page("questions:question", "correspondent", QUESTION),
    Page("questions:question", "resident", QUESTION, label="its asker: with its history"),
    Page(
        "questions:question",
        "visitor",
        lambda world: {"pk": world.pending_question.pk},
        label="not public: 404",
        grows=False,
    ),
    Page("questions:question_ask", "resident", _slug, grows=False),
    # At most 3 similar questions, whatever the number of open ones.
    Page(
        "questions:similar_questions",
        "resident",
        _slug,
        query="text=Posée pendant la réunion",
        grows=False,
    ),
    Page(
        "questions:question_confirm",
        kwargs=_signed(question_confirm_path, "pending_question"),
        grows=False,
    ),
    # Projects, the fund, "vous avez dit, nous avons fait".
    Page("projects:projects"),
    Page("projects:projects", query="stage=elaboration&qpv=sanitas", label="filtered"),
    Page("projects:qpv_projects", kwargs=_slug),
    Page("projects:project", kwargs=PROJECT),
    Page("projects:project", "referent", PROJECT),
    Page("projects:project", "resident", lambda world: {"pk": world.idea.pk}, grows=False),
    Page("projects:project_propose", "resident", _slug, grows=False),
    Page("projects:envelopes"),
    Page("projects:grant_apply", "resident", ENVELOPE, grows=False),
    Page("projects:influence"),
    Page("projects:influence", query="outcome=partly&qpv=sanitas", label="filtered"),
    Page("projects:qpv_influence", kwargs=_slug),
    # The resident's own pages.
    Page("dialogue:my_registrations", "resident"),
    Page("questions:my_questions", "resident"),
    Page("account_home", "resident"),
    Page("account_home", "facilitator", label="many roles"),
    Page("my_data", "resident"),
    Page("notifications:preferences", "resident", grows=False),
    Page("my_data_json", "resident"),
    Page("account_delete", "resident", grows=False),
    Page("account_name", "resident", grows=False),
    Page("account_email", "resident"),
    Page("mfa_index", "facilitator", grows=False),
    # Espace pro: spaces and meetings.
    Page("dialogue:staff_home", "facilitator"),
    Page("dialogue:staff_home", "referent"),
    Page("dialogue:staff_home", "coordinator"),
    Page("dialogue:space_create", "referent", query="qpv=sanitas", grows=False),
    Page("dialogue:space_edit", "referent", lambda world: {"pk": world.space.pk}, grows=False),
    Page(
        "dialogue:meeting_create",
        "facilitator",
        query=lambda world: f"espace={world.space.pk}",
        grows=False,
    ),
    Page("dialogue:meeting_edit", "facilitator", UPCOMING, grows=False),
    Page("dialogue:meeting_duplicate", "facilitator", HELD, grows=False),
    Page("dialogue:meeting_cancel", "facilitator", UPCOMING, grows=False),
    Page("dialogue:meeting_translations", "facilitator", UPCOMING, grows=False),
    Page(
        "dialogue:meeting_translation_edit",
        "facilitator",
        lambda world: {"pk": world.upcoming.pk, "language": "ar"},
        grows=False,
    ),
    Page("dialogue:meeting_registrations", "facilitator", UPCOMING),
    Page("dialogue:meeting_registrations", "facilitator", UPCOMING, "format=csv", label="CSV"),
    # Espace pro: the meeting log, check-in, speaking time, minutes, feedback.
    Page("dialogue:meeting_log", "facilitator", HELD),
    Page("dialogue:meeting_log", "delegate", HELD, label="counts only"),
    Page("dialogue:checkin", "facilitator", LIVE),
    Page("dialogue:checkin", "facilitator", LIVE, "q=inscrit", label="search"),
    Page("dialogue:walkin_bulk", "facilitator", LIVE, grows=False),
    Page("dialogue:tracker", "facilitator", LIVE),
    Page("dialogue:tracker_state", "facilitator", LIVE),
    Page("dialogue:tracker_state", "facilitator", LIVE, "format=json", label="JSON"),
    Page("dialogue:minutes_edit", "facilitator", LIVE, grows=False),
    Page("dialogue:minutes_edit", "facilitator", HELD, label="published", grows=False),
    Page("dialogue:feedback_qr", "facilitator", HELD, grows=False),
    # Espace pro: questions.
    Page("questions:meeting_questions", "facilitator", LIVE),
    Page("questions:moderation_queue", "referent"),
    Page("questions:questions_dashboard", "referent"),
    Page(
        "questions:questions_dashboard",
        "referent",
        query="overdue=on&qpv=sanitas",
        label="filtered",
    ),
    Page("questions:questions_dashboard", "correspondent"),
    Page("questions:questions_dashboard", "delegate"),
    Page("questions:question_manage", "referent", QUESTION),
    Page("questions:question_manage", "correspondent", QUESTION),
    Page("questions:question_answer", "correspondent", QUESTION, grows=False),
    # Espace pro: news, projects, ideas, the fund, influence records.
    Page("qpv:staff_news", "referent"),
    Page("qpv:news_create", "referent", query="qpv=sanitas", grows=False),
    Page("qpv:news_edit", "referent", NEWS, grows=False),
    Page("projects:staff_projects", "referent"),
    Page("projects:staff_projects", "referent", query="stage=elaboration", label="filtered"),
    Page("projects:project_create", "referent", query="qpv=sanitas"),
    Page("projects:project_create", "referent", label="choose the QPV", grows=False),
    Page("projects:project_edit", "referent", PROJECT),
    # The question search of the project and influence forms: at most 20 results, by design.
    Page(
        "projects:question_choices",
        "referent",
        query="qpv=sanitas&field=origin_question&origin_question_q=a",
        grows=False,
    ),
    Page("projects:project_step", "referent", PROJECT),
    Page("projects:project_abandon", "referent", PROJECT, grows=False),
    Page("projects:project_evaluation", "referent", PROJECT, grows=False),
    Page("projects:idea_moderation", "referent"),
    Page("projects:staff_envelopes", "referent"),
    Page("projects:envelope_create", "referent", grows=False),
    Page("projects:envelope_detail", "referent", ENVELOPE),
    Page("projects:envelope_edit", "referent", ENVELOPE, grows=False),
    Page("projects:staff_influence", "referent"),
    Page("projects:influence_create", "referent", label="choose the QPV", grows=False),
    Page("projects:influence_create", "referent", query="qpv=sanitas"),
    Page("projects:influence_edit", "referent", RECORD),
    # Espace pro: indicators, reports, audit log.
    Page("evaluation:dashboard", "delegate", grows=False),
    Page("evaluation:export_csv", "delegate", grows=False),
    Page("evaluation:targets", "coordinator"),
    Page("evaluation:targets", "delegate"),
    Page("evaluation:target_edit", "coordinator", _pk("target"), grows=False),
    Page("evaluation:reports", "coordinator"),
    Page("evaluation:reports", "referent"),
    Page("evaluation:report", "referent", REPORT),
    Page("evaluation:report_texts", "referent", REPORT, grows=False),
    Page("evaluation:report_status", "referent", REPORT, grows=False),
    Page("notifications:sms_usage", "coordinator", grows=False),
    Page("audit_log", "coordinator", grows=False, label="full pages in both datasets"),
    Page("audit_log", "coordinator", query="model=evaluation.report"),
    # Invitations (issue 19): the coordinators' list, the page of a link (to a visitor).
    Page("invitations", "coordinator"),
    Page("invitation_accept", "visitor", lambda world: {"token": INVITATION_TOKEN}, grows=False),
    # Static pages and the site map.
    Page("legal_notice", grows=False),
    Page("privacy", grows=False),
    Page("accessibility", grows=False),
    Page("glossary", grows=False),
    Page("sitemap", grows=False),
]

# GET pages of our apps left out, with the reason. POST-only URLs are listed in POST_ONLY.
EXCLUDED: dict[str, str] = {
    "dialogue:meeting_poster": "PDF (WeasyPrint, seconds per render): tests/dialogue/test_printables",
    "dialogue:meeting_signin_sheet": "PDF (WeasyPrint): pinned in tests/dialogue/test_printables",
    "dialogue:minutes_attachment": "a file download: one query for the minutes, then the file",
    "evaluation:report_download": "a file download: one query for the report, then the file",
    "evaluation:report_download_odt": "a file download: one query for the report, then the file "
    "(pinned in tests/evaluation/test_report_odt.py)",
    "qpv:news_image": "a file download: one query for the news item, then the image",
    "dialogue:feedback_on_the_spot": "a redirect to the feedback form (listed) with a new token",
    "dialogue:registration_code": "needs the session of a guest registration: pinned in "
    "tests/dialogue/test_registration_by_sms (test_code_page_queries_do_not_grow)",
    "healthz": "the load balancer's probe: SELECT 1",
    "notifications:inbound_sms": "the SMS provider's webhook: a 404 without its secret, then a JSON"
    " POST (tests/notifications/test_inbound.py)",
    "evaluation:export_xlsx": "the indicator queries of export_csv (measured), written as XLSX",
}

POST_ONLY: frozenset[str] = frozenset(
    {
        "invitation_resend",
        "invitation_revoke",
        "choose_qpv",
        "notifications:stop_sms",
        "qpv:follow",
        "qpv:unfollow",
        "dialogue:my_registration_cancel",
        "dialogue:checkin_toggle",
        "dialogue:walkin_add",
        "dialogue:checkin_undo",
        "dialogue:attendance_save",
        "dialogue:tracker_start",
        "dialogue:tracker_stop",
        "dialogue:tracker_pause",
        "dialogue:tracker_speakers",
        "dialogue:turn_add",
        "dialogue:meeting_translation_delete",
        "questions:question_moderate",
        "questions:follow",
        "questions:unfollow",
        "questions:question_route",
        "questions:question_extend",
        "questions:question_close",
        "projects:idea_moderate",
        "projects:grant_decide",
        "projects:grant_pay",
        "projects:grant_check_file",
        "evaluation:report_retry",
        "evaluation:target_delete",
        "evaluation:report_text_status",
        "evaluation:report_comment",
        "evaluation:report_rebuild",
    }
)

# Third-party pages kept in PAGES although their views are not ours (they list our data).
THIRD_PARTY_PAGES = frozenset({"account_email", "mfa_index"})


def _our_url_names() -> dict[str, str]:
    """Every named URL pattern whose view is in one of our packages: name → route."""
    names: dict[str, str] = {}

    def walk(patterns, namespace: str, prefix: str) -> None:
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
                walk(pattern.url_patterns, inner, prefix + str(pattern.pattern))
            elif (
                isinstance(pattern, URLPattern)
                and pattern.name
                and pattern.lookup_str.startswith(OUR_PACKAGES)
            ):
                names[namespace + pattern.name] = prefix + str(pattern.pattern)

    walk(get_resolver().url_patterns, "", "/")
    return names


def test_every_page_is_listed_or_excluded():
    """A new page must join PAGES (or say in EXCLUDED / POST_ONLY why not)."""
    ours = _our_url_names()
    listed = {page.name for page in PAGES} - THIRD_PARTY_PAGES
    missing = sorted(set(ours) - listed - set(EXCLUDED) - POST_ONLY)
    assert not missing, f"Pages neither measured nor excluded: {missing}"
    stale = sorted((listed | set(EXCLUDED) | POST_ONLY) - set(ours))
    assert not stale, f"Listed but no longer URL patterns of ours: {stale}"
    both = sorted(listed & (set(EXCLUDED) | POST_ONLY))
    assert not both, f"Both measured and excluded: {both}"


def _admin_pages() -> list[Page]:
    """The admin's list and change page of every registered model (coordinators); the lists of
    the models the dataset does not grow (the territory, third-party ones) stay the same size."""
    fixed = {Group, Authenticator, UserSession, Commune, QPV, ExperienceEvaluation}
    pages = []
    for model in admin.site._registry:
        opts = model._meta
        base = f"admin:{opts.app_label}_{opts.model_name}"
        grows = model not in fixed
        pages.append(Page(f"{base}_changelist", "coordinator", grows=grows))
        if not model._default_manager.exists():
            continue
        pages.append(
            Page(
                f"{base}_change",
                "coordinator",
                lambda world, model=model: {"object_id": _admin_object(world, model).pk},
                grows=False,
            )
        )
    return pages


def _admin_object(world: World, model) -> object:
    """The fixed object of the world for a model, else its first row (created with the world)."""
    for value in vars(world).values():
        if isinstance(value, model):
            return value
    return model._default_manager.order_by("pk").first()


# Measuring --------------------------------------------------------------------------------------


@dataclass
class Reading:
    status: int
    queries: list[str]
    size: int


def _read(client: PortalClient, url: str) -> Reading:
    cache.clear()
    if settings.SESSION_COOKIE_NAME in client.cookies:
        # The idle timeout rewrites its stamp in the session once a minute: stamp it now, so
        # that no read of a long run writes the session when the others do not.
        session = client.session
        session[LAST_ACTIVITY_SESSION_KEY] = int(time.time())
        session.save()
    # A page may leave a cookie (a QPV page remembers its neighbourhood, a guest's emailed link
    # their registration in a new session): every page is read as the role arrived, not as the
    # page read before it left the client.
    cookies = copy.deepcopy(client.cookies)
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
        body = b"".join(response.streaming_content) if response.streaming else response.content
    client.cookies = cookies
    return Reading(response.status_code, [query["sql"] for query in captured], len(body))


def _clients(world: World) -> dict[str, PortalClient]:
    clients = {"visitor": PortalClient()}
    for role, user in world.users.items():
        clients[role] = PortalClient()
        clients[role].force_login(user)
    return clients


def _shape(sql: str) -> str:
    """A statement without its values: repeated statements (an N+1) share one shape."""
    sql = re.sub(r"'(?:[^']|'')*'", "?", sql)
    sql = re.sub(r"_django_curs_\w+", "_django_curs_?", sql)
    sql = re.sub(r"\b\d+(?:\.\d+)?\b", "?", sql)
    return re.sub(r"IN \([?, ]+\)", "IN (...)", sql)


def _difference(small: Reading, large: Reading) -> str:
    grown = Counter(map(_shape, large.queries))
    grown.subtract(Counter(map(_shape, small.queries)))
    lines = [f"{count:+d} × {shape[:300]}" for shape, count in grown.items() if count]
    return "\n      ".join(lines)


def _read_all(world: World, pages: list[Page]) -> dict[Page, Reading]:
    return {page: _read(world.clients[page.role], page.url(world)) for page in pages}


def test_every_page_renders_in_the_same_number_of_queries_on_a_5x_larger_dataset():
    world = _build_world()
    world.clients = _clients(world)
    pages = PAGES + _admin_pages()
    # Content types are cached by the process once read: read them all before measuring.
    ContentType.objects.get_for_models(*apps.get_models())
    _grow(world, N)
    small = _read_all(world, pages)
    _grow(world, 4 * N)
    large = _read_all(world, pages)

    expected = {page: (404 if "404" in page.label else 200) for page in pages}
    unbounded = [
        f"{page.title}: {len(small[page].queries)} → {len(large[page].queries)} queries\n"
        f"      {_difference(small[page], large[page])}"
        for page in pages
        if len(small[page].queries) != len(large[page].queries)
    ]
    wrong_status = [
        f"{page.title}: {small[page].status} / {large[page].status}"
        for page in pages
        if (small[page].status, large[page].status) != (expected[page], expected[page])
    ]
    not_reached = [
        f"{page.title}: {small[page].size} → {large[page].size} bytes"
        for page in pages
        if page.grows and large[page].size <= small[page].size
    ]
    assert not (unbounded or wrong_status or not_reached), "\n".join(
        [
            "Query counts grow with the data:",
            *unbounded,
            "Unexpected status (small / large dataset):",
            *wrong_status,
            "The larger dataset does not show on (bytes):",
            *not_reached,
        ]
    )


def test_post_only_urls_refuse_a_get():
    """What POST_ONLY says is true: a GET (as a coordinator, in scope of everything) is a 405."""
    world = _build_world()
    client = PortalClient()
    client.force_login(world.users["coordinator"])
    registration = world.registration
    args = {"pk": world.upcoming.pk}
    special = {
        "choose_qpv": {},
        "qpv:follow": {"slug": world.sanitas.slug},
        "qpv:unfollow": {"slug": world.sanitas.slug},
        "dialogue:checkin_toggle": {"pk": world.upcoming.pk, "registration_pk": registration.pk},
        "notifications:stop_sms": {},
        "dialogue:meeting_translation_delete": {"pk": world.upcoming.pk, "language": "ar"},
    }
    refused = {
        name: client.get(reverse(name, kwargs=special.get(name, args))).status_code
        for name in sorted(POST_ONLY)
    }
    assert refused == dict.fromkeys(sorted(POST_ONLY), 405)
