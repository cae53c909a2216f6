"""Factories and a hand-made dataset for the indicator tests (issue 7).

Times are written in Paris time: `paris(2026, 3, 31, 23, 30)` is an aware date-time.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal
from types import SimpleNamespace

import factory
from django.utils import timezone

from dialogue.models import (
    AttendeeCategory,
    Feedback,
    Meeting,
    MeetingStatus,
    SpaceFormat,
    SpaceOrigin,
    SpeakerCategory,
    SpeakingTurn,
    WalkIn,
)
from projects.models import GrantStatus, ModerationStatus, ProjectStage
from qpv.models import QPV, Commune
from tests.dialogue.factories import DialogueSpaceFactory, MeetingFactory, RegistrationFactory


def paris(year: int, month: int, day: int, hour: int = 18, minute: int = 0) -> datetime:
    return timezone.make_aware(
        datetime(year, month, day, hour, minute), timezone.get_default_timezone()
    )


class WalkInFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = WalkIn

    category = AttendeeCategory.RESIDENT


class SpeakingTurnFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SpeakingTurn


class FeedbackFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Feedback

    felt_heard = 3
    felt_legitimate = 3
    understood_institutions = 3
    will_come_back = "yes"


def meeting_at(space, starts_at: datetime, status: str = MeetingStatus.HELD, **kwargs) -> Meeting:
    if status == MeetingStatus.CANCELLED:
        kwargs.setdefault("cancellation_reason", "Salle indisponible.")
    return MeetingFactory(
        dialogue_space=space,
        starts_at=starts_at,
        ends_at=starts_at + timedelta(hours=2),
        status=status,
        **kwargs,
    )


def present(meeting: Meeting, email: str, gender: str = "", age_band: str = "", **kwargs):
    kwargs.setdefault("attended", True)
    return RegistrationFactory(
        meeting=meeting, email=email, gender=gender, age_band=age_band, **kwargs
    )


def turn(meeting: Meeting, category: str, start_second: int, seconds: int | None):
    started_at = meeting.starts_at + timedelta(seconds=start_second)
    ended_at = None if seconds is None else started_at + timedelta(seconds=seconds)
    return SpeakingTurnFactory(
        meeting=meeting, category=category, started_at=started_at, ended_at=ended_at
    )


def build_dataset() -> SimpleNamespace:
    """The hand-made dataset whose every figure test_indicators.py asserts (Q1 2026 mostly).

    Sanitas (Tours) and La Rabière (Joué-lès-Tours) have data; every other QPV is empty.
    """
    from questions.models import Channel, QuestionStatus
    from tests.projects.factories import (
        FundEnvelopeFactory,
        GrantApplicationFactory,
        InfluenceRecordFactory,
        ProjectFactory,
        ProjectStepFactory,
    )
    from tests.questions.factories import QuestionFactory

    sanitas = QPV.objects.get(slug="sanitas")
    rabiere = QPV.objects.get(slug="la-rabiere")
    tours = Commune.objects.get(name="Tours")
    d = SimpleNamespace(sanitas=sanitas, rabiere=rabiere, tours=tours)

    # Spaces: two active in Sanitas, one inactive; one active in La Rabière.
    s1 = DialogueSpaceFactory(qpv=sanitas, format=SpaceFormat.CAFE, origin=SpaceOrigin.CREATED)
    s2 = DialogueSpaceFactory(
        qpv=sanitas, format=SpaceFormat.CONSEIL_CITOYEN, origin=SpaceOrigin.STRENGTHENED
    )
    DialogueSpaceFactory(
        qpv=sanitas, format=SpaceFormat.ATELIER, origin=SpaceOrigin.CREATED, is_active=False
    )
    s4 = DialogueSpaceFactory(
        qpv=rabiere, format=SpaceFormat.CONSEIL_CITOYEN, origin=SpaceOrigin.STRENGTHENED
    )

    # Meetings.
    m1 = meeting_at(s1, paris(2026, 1, 10), residents_who_spoke=4)
    m2 = meeting_at(s1, paris(2026, 1, 31))
    # 23:30 on 31 March in Paris (21:30 UTC): the first quarter.
    m3 = meeting_at(s1, paris(2026, 3, 31, 23, 30), residents_who_spoke=2)
    # 00:30 on 1 April in Paris (22:30 UTC on 31 March): the second quarter.
    m4 = meeting_at(s1, paris(2026, 4, 1, 0, 30))
    m5 = meeting_at(s2, paris(2026, 2, 5), MeetingStatus.CANCELLED, residents_who_spoke=9)
    m6 = meeting_at(s2, paris(2026, 2, 20))
    m7 = meeting_at(s4, paris(2025, 12, 31, 23, 30))  # the last quarter of 2025
    m8 = meeting_at(s4, paris(2026, 2, 10), residents_who_spoke=1)
    meeting_at(s1, paris(2026, 3, 15), MeetingStatus.PLANNED)  # neither held nor cancelled
    d.m1, d.m3, d.m4, d.m8 = m1, m3, m4, m8

    # Registrations ticked present (or not).
    present(m7, "alice@example.org", "woman", "26_40")  # before the period, in La Rabière
    present(m1, "alice@example.org", "woman", "26_40")
    present(m2, "Alice@Example.ORG", "woman", "26_40")  # the same person, other case
    present(m1, "bob@example.org", "man", "61_75")
    present(m3, "bob@example.org", "man", "61_75")
    present(m3, "carol@example.org", "", "18_25")
    present(m1, "dan@example.org", "man", "41_60", attended=False)  # absent
    present(m5, "erin@example.org", "woman", "26_40")  # cancelled meeting
    present(m8, "frank@example.org", "woman", "over_75")
    present(m4, "gina@example.org", "woman", "26_40")  # second quarter
    present(m4, "bob@example.org", "man", "61_75")  # second quarter

    # Walk-ins.
    WalkInFactory(meeting=m1, gender="woman", age_band="under_18", first_time=True)
    WalkInFactory(meeting=m1, category=AttendeeCategory.INSTITUTION, gender="man", first_time=None)
    WalkInFactory(meeting=m6, gender="", age_band="41_60", first_time=False)
    WalkInFactory(meeting=m5, gender="woman", age_band="26_40", first_time=True)  # cancelled

    # Speaking time.
    turn(m1, SpeakerCategory.RESIDENT, 0, 360)
    turn(m1, SpeakerCategory.INSTITUTION, 360, 240)
    turn(m2, SpeakerCategory.RESIDENT, 0, None)  # still running: not counted
    turn(m8, SpeakerCategory.FACILITATOR, 0, 120)
    turn(m8, SpeakerCategory.RESIDENT, 120, 60)
    turn(m4, SpeakerCategory.RESIDENT, 0, 100)  # second quarter

    # Feedback.
    FeedbackFactory(
        meeting=m1,
        answered_on=date(2026, 1, 11),
        felt_heard=5,
        felt_legitimate=4,
        understood_institutions=3,
    )
    FeedbackFactory(
        meeting=m1,
        answered_on=date(2026, 1, 12),
        felt_heard=4,
        felt_legitimate=4,
        understood_institutions=2,
    )
    FeedbackFactory(
        meeting=m3,
        answered_on=date(2026, 4, 1),
        felt_heard=1,
        felt_legitimate=1,
        understood_institutions=1,
    )  # answered in the second quarter
    FeedbackFactory(
        meeting=m8,
        answered_on=date(2026, 2, 11),
        felt_heard=3,
        felt_legitimate=2,
        understood_institutions=5,
    )

    # Questions.
    QuestionFactory(
        qpv=sanitas,
        received_on=date(2026, 1, 5),
        due_on=date(2026, 2, 4),
        status=QuestionStatus.ANSWERED,
        answered_on=date(2026, 1, 20),
    )
    # Answered after the end of the period, late; heard at a meeting, logged 11 days after it.
    heard = QuestionFactory(
        qpv=sanitas,
        channel=Channel.MEETING,
        meeting=m1,
        received_on=date(2026, 2, 1),
        due_on=date(2026, 3, 3),
        status=QuestionStatus.ANSWERED,
        answered_on=date(2026, 4, 10),
    )
    type(heard).objects.filter(pk=heard.pk).update(created_at=paris(2026, 2, 12, 10))
    QuestionFactory(
        qpv=sanitas,
        received_on=date(2026, 3, 10),
        due_on=date(2026, 4, 9),
        status=QuestionStatus.FORWARDED,
    )
    QuestionFactory(
        qpv=sanitas,
        received_on=date(2026, 1, 15),
        due_on=date(2026, 2, 14),
        status=QuestionStatus.MODERATION,
    )
    QuestionFactory(qpv=sanitas, received_on=date(2026, 4, 2), due_on=date(2026, 5, 2))
    QuestionFactory(qpv=rabiere, received_on=date(2026, 2, 2), due_on=date(2026, 3, 4))

    # Projects and their steps.
    p1 = ProjectFactory(qpv=sanitas)
    ProjectStepFactory(
        project=p1, date=date(2025, 11, 1), stage=ProjectStage.IDEA, participation_level=1
    )
    ProjectStepFactory(
        project=p1, date=date(2026, 2, 1), stage=ProjectStage.ELABORATION, participation_level=4
    )
    ProjectStepFactory(
        project=p1, date=date(2026, 3, 1), stage=ProjectStage.VALIDATED, participation_level=2
    )
    p2 = ProjectFactory(qpv=sanitas)
    ProjectStepFactory(
        project=p2, date=date(2026, 1, 15), stage=ProjectStage.IDEA, participation_level=2
    )
    ProjectStepFactory(
        project=p2, date=date(2026, 4, 2), stage=ProjectStage.ELABORATION, participation_level=5
    )
    p3 = ProjectFactory(qpv=sanitas, moderation=ModerationStatus.PENDING)
    ProjectStepFactory(project=p3, date=date(2026, 2, 1), participation_level=5)
    p4 = ProjectFactory(qpv=sanitas)
    ProjectStepFactory(project=p4, date=date(2025, 6, 1), participation_level=5)
    p5 = ProjectFactory(qpv=rabiere)
    ProjectStepFactory(
        project=p5, date=date(2026, 3, 31), stage=ProjectStage.FUNDED, participation_level=5
    )
    ProjectStepFactory(
        project=p5, date=date(2026, 3, 31), stage=ProjectStage.IN_PROGRESS, participation_level=3
    )

    # Influence records.
    InfluenceRecordFactory(qpv=sanitas, decided_on=date(2026, 1, 20), project=p1)
    InfluenceRecordFactory(
        qpv=sanitas, decided_on=date(2026, 2, 20), project=p1, outcome="partly", reason="Budget."
    )
    InfluenceRecordFactory(
        qpv=sanitas,
        decided_on=date(2026, 3, 1),
        project=p2,
        outcome="not_adopted",
        reason="Hors compétence.",
    )
    InfluenceRecordFactory(qpv=sanitas, decided_on=date(2026, 4, 1), project=p2)
    InfluenceRecordFactory(
        qpv=rabiere, decided_on=date(2026, 3, 31), outcome="partly", reason="Budget."
    )

    # Participation fund.
    sanitas_2026 = FundEnvelopeFactory(qpv=sanitas, year=2026, amount=Decimal("10000"))
    FundEnvelopeFactory(qpv=sanitas, year=2025, amount=Decimal("8000"))
    tours_2026 = FundEnvelopeFactory(qpv=None, commune=tours, year=2026, amount=Decimal("5000"))
    rabiere_2026 = FundEnvelopeFactory(qpv=rabiere, year=2026, amount=Decimal("4000"))
    granted = {"status": GrantStatus.GRANTED}
    GrantApplicationFactory(
        envelope=sanitas_2026,
        amount_granted=Decimal("1500"),
        decided_at=paris(2026, 3, 31, 23, 30),
        submitted_at=paris(2026, 3, 1),
        **granted,
    )
    GrantApplicationFactory(
        envelope=sanitas_2026,
        amount_granted=Decimal("1000"),
        decided_at=paris(2026, 4, 1, 0, 30),
        submitted_at=paris(2025, 12, 31, 23, 30),
        **granted,
    )
    GrantApplicationFactory(
        envelope=tours_2026,
        amount_requested=Decimal("2000"),
        amount_granted=Decimal("2000"),
        decided_at=paris(2026, 2, 15),
        submitted_at=paris(2026, 2, 1),
        **granted,
    )
    GrantApplicationFactory(
        envelope=rabiere_2026,
        status=GrantStatus.REFUSED,
        decided_at=paris(2026, 2, 1),
        submitted_at=paris(2026, 1, 10),
    )
    GrantApplicationFactory(envelope=sanitas_2026, submitted_at=paris(2026, 1, 20))
    return d
