"""The synthetic dataset of the benchmarks (`generate_scale_dataset`): a tiny run, checked for
consistency, refusing to run twice, resetting only its own rows (issue 7 item 8, issue 9 item 1).
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP
from auditlog.models import LogEntry
from django.core.management import CommandError, call_command
from django.db.models import Count, F, Max, Q, Sum

from devtools.scale import (
    EMAIL_DOMAIN,
    PER_YEAR,
    STAFF_PASSWORD,
    STAFF_TOTP_SECRET,
    summary,
    window,
)
from dialogue.models import (
    Feedback,
    Meeting,
    MeetingStatus,
    Registration,
    RegistrationStatus,
    SpeakingTurn,
    WalkIn,
)
from evaluation.computations import compute
from evaluation.indicators import Period, Scope
from participation.models import User
from projects.models import (
    FundEnvelope,
    GrantApplication,
    GrantStatus,
    InfluenceOutcome,
    InfluenceRecord,
    Project,
    ProjectStep,
)
from questions.models import Answer, AnswerStatus, Question, QuestionStatus
from tests.dialogue.factories import MeetingFactory, RegistrationFactory
from tests.helpers import totp_code

pytestmark = pytest.mark.django_db

TODAY = date(2026, 6, 15)
PARIS = ZoneInfo("Europe/Paris")


def generate(**options) -> str:
    out = StringIO()
    call_command("generate_scale_dataset", scale=0.003, seed=3, today=TODAY, stdout=out, **options)
    return out.getvalue()


@pytest.fixture(autouse=True)
def _debug(settings):
    settings.DEBUG = True


def test_refused_when_debug_is_off_unless_forced(settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="DEBUG"):
        generate()
    assert not Meeting.objects.exists()
    generate(force=True)
    assert Meeting.objects.exists()


def test_a_tiny_run_is_consistent():
    output = generate()
    assert "Total" in output and "registrations" in output
    start, _end = window(TODAY, 7)
    now = datetime.combine(TODAY, time(12), tzinfo=PARIS)

    counts = summary()
    for label in ("meetings", "registrations", "walk-ins", "speaking turns", "questions"):
        assert counts[label] > 0, label
    assert Feedback.objects.exists()
    assert Project.objects.exists() and ProjectStep.objects.exists()
    assert FundEnvelope.objects.exists() and GrantApplication.objects.exists()

    # Meetings: in the window (or the next 60 days, planned), status consistent with the date.
    meetings = Meeting.objects.all()
    assert not meetings.filter(starts_at__date__lt=start - timedelta(days=1)).exists()
    assert not meetings.filter(starts_at__gte=now).exclude(status=MeetingStatus.PLANNED).exists()
    assert not meetings.filter(starts_at__lt=now, status=MeetingStatus.PLANNED).exists()
    assert meetings.filter(status=MeetingStatus.HELD).exists()

    # Attendance only at held meetings, only for confirmed registrations; capacity never exceeded.
    registrations = Registration.objects.all()
    assert (
        not registrations.filter(attended__isnull=False)
        .exclude(meeting__status=MeetingStatus.HELD, status=RegistrationStatus.CONFIRMED)
        .exists()
    )
    assert registrations.filter(attended=True).exists()
    over = (
        Meeting.objects.filter(capacity__isnull=False)
        .annotate(
            confirmed=Count(
                "registrations", filter=Q(registrations__status=RegistrationStatus.CONFIRMED)
            )
        )
        .filter(confirmed__gt=F("capacity"))
    )
    assert not over.exists()
    assert not registrations.filter(created_at__gte=F("meeting__starts_at")).exists()
    # An account's registration carries the account's address.
    assert not registrations.filter(user__isnull=False).exclude(email=F("user__email")).exists()
    for model in (WalkIn, SpeakingTurn, Feedback):
        assert not model.objects.exclude(meeting__status=MeetingStatus.HELD).exists(), model

    # Questions: answered ones have a published answer, on or after reception.
    answered = Question.objects.filter(status=QuestionStatus.ANSWERED)
    assert answered.exists()
    assert not answered.filter(answered_on__isnull=True).exists()
    assert not answered.filter(answered_on__lt=F("received_on")).exists()
    assert (
        answered.count()
        == Answer.objects.filter(status=AnswerStatus.PUBLISHED, question__in=answered).count()
    )
    assert (
        not Question.objects.exclude(status=QuestionStatus.ANSWERED)
        .filter(answered_on__isnull=False)
        .exists()
    )
    assert not Question.objects.filter(received_on__gt=TODAY).exists()

    # Projects: the stage is the one of the latest step; steps never go back in time.
    for project in Project.objects.prefetch_related("steps"):
        steps = sorted(project.steps.all(), key=lambda step: (step.date, step.pk))
        assert steps and steps[-1].stage == project.stage
        assert steps[0].date >= start

    # The envelope is never over-committed; decisions are taken at a held meeting of the QPV.
    for envelope in FundEnvelope.objects.annotate(
        granted=Sum("applications__amount_granted", filter=Q(applications__status="granted"))
    ):
        assert (envelope.granted or 0) <= envelope.amount
    for grant in GrantApplication.objects.filter(status=GrantStatus.GRANTED).select_related(
        "decision_meeting__dialogue_space", "envelope"
    ):
        assert grant.decision_meeting.status == MeetingStatus.HELD
        assert grant.decision_meeting.dialogue_space.qpv_id == grant.envelope.qpv_id
        assert grant.decided_at >= grant.submitted_at
    assert (
        not InfluenceRecord.objects.exclude(outcome=InfluenceOutcome.ADOPTED)
        .filter(reason="")
        .exists()
    )

    # The staff accounts log in with the documented password, then a code of the documented
    # authenticator secret (staff pages need the second factor).
    coordinator = User.objects.get(email=f"coordination@{EMAIL_DOMAIN}")
    assert coordinator.check_password(STAFF_PASSWORD)
    assert coordinator.scopes.coordinator
    authenticator = Authenticator.objects.get(user=coordinator, type=Authenticator.Type.TOTP)
    assert TOTP(authenticator).validate_code(totp_code(STAFF_TOTP_SECRET))
    staff = User.objects.filter(email__endswith="@" + EMAIL_DOMAIN, role_assignments__isnull=False)
    assert Authenticator.objects.filter(type="totp").count() == staff.distinct().count() > 10

    # Three residents in four have an account (31,500 at scale 1.0), the regulars among them.
    residents = round(PER_YEAR["residents"] * 7 * 0.003)
    assert counts["resident accounts"] >= 0.7 * residents
    accounts = set(
        User.objects.filter(
            email__endswith="@" + EMAIL_DOMAIN, role_assignments__isnull=True
        ).values_list("email", flat=True)
    )
    assert len(accounts) == counts["resident accounts"]
    assert registrations.filter(user__isnull=True, email__in=accounts).count() == 0


def test_the_catalogue_agrees_with_the_dataset():
    generate()
    start, end = window(TODAY, 7)
    values = compute(Scope.metropole(), Period(start, end), today=TODAY)
    held = Meeting.objects.filter(
        status=MeetingStatus.HELD,
        starts_at__gte=datetime.combine(start, time(0), tzinfo=PARIS),
        starts_at__lt=datetime.combine(end + timedelta(days=1), time(0), tzinfo=PARIS),
    )
    assert values["meetings_held"] == held.count()
    assert values["walk_ins"] == WalkIn.objects.filter(meeting__in=held).count()
    assert values["questions_received"] == Question.objects.accepted().count()


def test_refuses_to_run_twice_and_reset_replaces_only_its_own_rows():
    own = RegistrationFactory(meeting=MeetingFactory())
    generate()
    first = summary()
    with pytest.raises(CommandError, match="--reset"):
        generate()
    assert summary() == first

    generate(reset=True)
    # Same seed, same dataset: nothing doubled, nothing left over; the other rows untouched.
    assert summary() == first
    # Deleting generated rows is no staff action: nothing in the audit log.
    assert not LogEntry.objects.filter(action=LogEntry.Action.DELETE).exists()
    assert Registration.objects.filter(pk=own.pk).exists()
    assert Meeting.objects.filter(pk=own.meeting_id).exists()
    assert Question.objects.aggregate(Max("pk"))["pk__max"] is not None
