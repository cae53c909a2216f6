"""Writes of the espace pro: spaces, meetings, series, edits that move the waiting list, cancellation."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from django.utils import timezone, translation

from dialogue.models import (
    DialogueSpace,
    FacilitatedBy,
    Meeting,
    MeetingMode,
    MeetingStatus,
    RegistrationStatus,
    SpaceFormat,
    SpaceOrigin,
)
from dialogue.services import meetings as services
from qpv.models import QPV
from tests.dialogue.factories import DialogueSpaceFactory, MeetingFactory, RegistrationFactory
from tests.participation.factories import UserFactory

pytestmark = pytest.mark.django_db


def _paris(*args) -> datetime:
    return timezone.make_aware(datetime(*args))


def _fields(**overrides) -> dict:
    start = (timezone.localtime() + timedelta(days=7)).replace(
        hour=18, minute=0, second=0, microsecond=0
    )
    fields = {
        "title": "Atelier",
        "starts_at": start,
        "ends_at": start + timedelta(hours=2),
        "venue": "Centre social",
        "address": "1 place Neuve, 37000 Tours",
        "access_notes": "",
        "accessibility_notes": "",
        "step_free": True,
        "mode": MeetingMode.IN_PERSON,
        "online_url": "",
        "capacity": 10,
        "registration_required": True,
        "agenda": "",
    }
    fields.update(overrides)
    return fields


@pytest.fixture
def space(db):
    return DialogueSpaceFactory()


@pytest.fixture
def changed(monkeypatch):
    """The calls to emails.meeting_changed, with their `changes`."""
    calls = []
    monkeypatch.setattr(
        services.emails,
        "meeting_changed",
        lambda meeting, *, changes: calls.append((meeting.pk, changes)),
    )
    return calls


def _fr(key: str) -> str:
    with translation.override("fr"):
        return str(services.CHANGE_LABELS[key])


# Spaces -----------------------------------------------------------------------------------------


def test_space_create_and_update():
    sanitas = QPV.objects.get(slug="sanitas")
    space = services.space_create(
        qpv=sanitas,
        by=UserFactory(),
        name="Diagnostic en marchant",
        format=SpaceFormat.DIAGNOSTIC,
        origin=SpaceOrigin.STRENGTHENED,
        host_organisation=None,
        facilitated_by=FacilitatedBy.VILLE,
        charter="",
        is_active=True,
    )
    assert DialogueSpace.objects.get(pk=space.pk).qpv == sanitas
    services.space_update(space=space, by=None, name="Diagnostic du square", is_active=False)
    space.refresh_from_db()
    assert (space.name, space.is_active) == ("Diagnostic du square", False)


def test_space_services_refuse_unknown_fields(space):
    with pytest.raises(TypeError):
        services.space_update(space=space, by=None, qpv_id=1)


# Creation and series ----------------------------------------------------------------------------


def test_meeting_create(space):
    user = UserFactory()
    meeting = services.meeting_create(space=space, by=user, **_fields())
    assert meeting.pk is not None
    assert (meeting.created_by, meeting.status, meeting.series) == (
        user,
        MeetingStatus.PLANNED,
        None,
    )


def test_meeting_create_refuses_an_end_before_the_start(space):
    fields = _fields()
    fields["ends_at"] = fields["starts_at"]
    with pytest.raises(services.MeetingError) as error:
        services.meeting_create(space=space, by=None, **fields)
    assert error.value.code == "end_before_start"
    assert not Meeting.objects.exists()


def test_series_keeps_the_local_time_across_the_change_to_summer_time(space):
    meetings = services.meeting_create_series(
        space=space,
        by=None,
        every_weeks=1,
        until=date(2027, 4, 8),
        **_fields(starts_at=_paris(2027, 3, 18, 18), ends_at=_paris(2027, 3, 18, 20)),
    )
    assert [timezone.localtime(m.starts_at).isoformat() for m in meetings] == [
        "2027-03-18T18:00:00+01:00",
        "2027-03-25T18:00:00+01:00",
        "2027-04-01T18:00:00+02:00",
        "2027-04-08T18:00:00+02:00",
    ]
    assert {timezone.localtime(m.ends_at).hour for m in meetings} == {20}
    series = {m.series for m in Meeting.objects.all()}
    assert len(series) == 1 and None not in series


def test_series_keeps_the_local_time_across_the_change_to_winter_time():
    occurrences = services.series_occurrences(
        starts_at=_paris(2027, 10, 21, 9, 30),
        ends_at=_paris(2027, 10, 21, 11),
        every_weeks=2,
        until=date(2027, 11, 18),
    )
    assert [timezone.localtime(start).strftime("%d/%m %H:%M %z") for start, _ in occurrences] == [
        "21/10 09:30 +0200",
        "04/11 09:30 +0100",
        "18/11 09:30 +0100",
    ]


def test_series_of_more_than_60_meetings_is_refused_and_nothing_is_created(space):
    start = _paris(2027, 1, 4, 18)
    with pytest.raises(services.MeetingError) as error:
        services.meeting_create_series(
            space=space,
            by=None,
            every_weeks=1,
            until=date(2028, 6, 1),
            **_fields(starts_at=start, ends_at=start + timedelta(hours=1)),
        )
    assert (error.value.code, error.value.field) == ("too_many_occurrences", "repeat_until")
    assert not Meeting.objects.exists()


@pytest.mark.parametrize("every_weeks", [0, 9])
def test_series_interval_is_1_to_8_weeks(space, every_weeks):
    with pytest.raises(services.MeetingError) as error:
        services.meeting_create_series(
            space=space, by=None, every_weeks=every_weeks, until=date(2027, 4, 8), **_fields()
        )
    assert error.value.code == "series_interval"


def test_one_year_after_a_29_february():
    assert services.one_year_after(date(2028, 2, 29)) == date(2029, 2, 28)
    assert services.one_year_after(date(2027, 3, 18)) == date(2028, 3, 18)


# Updates ----------------------------------------------------------------------------------------


def test_capacity_below_confirmed_is_refused(changed):
    meeting = MeetingFactory(capacity=5)
    RegistrationFactory.create_batch(4, meeting=meeting)
    RegistrationFactory(meeting=meeting, status=RegistrationStatus.CANCELLED)
    with pytest.raises(services.MeetingError) as error:
        services.meeting_update(meeting=meeting, by=None, capacity=3, title="Changé")
    assert (error.value.code, error.value.field, error.value.params) == (
        "capacity_below_confirmed",
        "capacity",
        {"count": 4},
    )
    with translation.override("en"):
        assert error.value.messages == [
            "The capacity cannot be lower than the number of confirmed registrations (4)."
        ]
    meeting.refresh_from_db()
    assert meeting.capacity == 5
    assert meeting.title != "Changé"


def _waitlist(meeting, count: int) -> list:
    now = timezone.now()
    return [
        RegistrationFactory(
            meeting=meeting,
            status=RegistrationStatus.WAITLISTED,
            confirmed_at=None,
            waitlisted_at=now - timedelta(minutes=count - index),
        )
        for index in range(count)
    ]


@pytest.mark.parametrize(("capacity", "promoted"), [(3, 1), (4, 2), (None, 3)])
def test_more_seats_move_the_waiting_list(changed, capacity, promoted):
    meeting = MeetingFactory(capacity=2)
    RegistrationFactory.create_batch(2, meeting=meeting)
    waiting = _waitlist(meeting, 3)
    services.meeting_update(meeting=meeting, by=None, capacity=capacity)
    statuses = [
        registration.status
        for registration in meeting.registrations.filter(pk__in=[r.pk for r in waiting]).order_by(
            "waitlisted_at"
        )
    ]
    assert statuses == [RegistrationStatus.CONFIRMED] * promoted + [
        RegistrationStatus.WAITLISTED
    ] * (3 - promoted)
    assert changed == []


def test_promotion_emails_go_out_on_commit(mailoutbox, django_capture_on_commit_callbacks):
    meeting = MeetingFactory(capacity=1)
    RegistrationFactory(meeting=meeting)
    (waiting,) = _waitlist(meeting, 1)
    with django_capture_on_commit_callbacks(execute=True):
        services.meeting_update(meeting=meeting, by=None, capacity=2)
    assert [message.to for message in mailoutbox] == [[waiting.email]]


@pytest.mark.parametrize(
    ("change", "keys"),
    [
        ({"title": "Autre titre", "agenda": "Autre"}, []),
        ({"starts_at": "+30"}, ["schedule"]),
        ({"ends_at": "+30"}, ["schedule"]),
        ({"venue": "Salle des fêtes"}, ["place"]),
        ({"address": "2 rue Neuve"}, ["place"]),
        (
            {"mode": MeetingMode.HYBRID, "online_url": "https://visio.example.org/a"},
            ["mode", "online_url"],
        ),
        ({"starts_at": "+30", "venue": "Salle des fêtes"}, ["schedule", "place"]),
    ],
)
def test_registrants_are_told_what_changed(changed, change, keys):
    meeting = MeetingFactory()
    fields = _fields(
        title=meeting.title, starts_at=meeting.starts_at, ends_at=meeting.ends_at, capacity=20
    )
    fields.update(venue=meeting.venue, address=meeting.address, step_free=meeting.step_free)
    for name, value in change.items():
        fields[name] = getattr(meeting, name) + timedelta(minutes=30) if value == "+30" else value
    services.meeting_update(meeting=meeting, by=None, **fields)
    if keys:
        assert changed == [(meeting.pk, [_fr(key) for key in keys])]
    else:
        assert changed == []


def test_change_emails_reach_confirmed_and_waitlisted(
    mailoutbox, django_capture_on_commit_callbacks
):
    meeting = MeetingFactory()
    confirmed = RegistrationFactory(meeting=meeting)
    (waiting,) = _waitlist(meeting, 1)
    RegistrationFactory(meeting=meeting, status=RegistrationStatus.CANCELLED)
    with django_capture_on_commit_callbacks(execute=True):
        services.meeting_update(meeting=meeting, by=None, venue="Salle des fêtes")
    assert sorted(message.to[0] for message in mailoutbox) == sorted(
        [confirmed.email, waiting.email]
    )


@pytest.mark.parametrize(
    ("status", "code"), [(MeetingStatus.CANCELLED, "cancelled"), (MeetingStatus.HELD, "held")]
)
def test_held_or_cancelled_meetings_are_not_updated(changed, status, code):
    meeting = MeetingFactory(status=status, cancellation_reason="Grève")
    with pytest.raises(services.MeetingError) as error:
        services.meeting_update(meeting=meeting, by=None, title="Changé")
    assert error.value.code == code


def test_started_meetings_are_not_updated(changed):
    start = timezone.now() - timedelta(minutes=5)
    meeting = MeetingFactory(starts_at=start, ends_at=start + timedelta(hours=1))
    with pytest.raises(services.MeetingError) as error:
        services.meeting_update(meeting=meeting, by=None, title="Changé")
    assert error.value.code == "started"


# Cancellation -----------------------------------------------------------------------------------


def test_cancel_tells_every_active_registrant(mailoutbox, django_capture_on_commit_callbacks):
    meeting = MeetingFactory()
    confirmed = RegistrationFactory(meeting=meeting)
    pending = RegistrationFactory(meeting=meeting, status=RegistrationStatus.PENDING)
    RegistrationFactory(meeting=meeting, status=RegistrationStatus.CANCELLED)
    with django_capture_on_commit_callbacks(execute=True):
        cancelled = services.meeting_cancel(meeting=meeting, reason="  Salle inondée ", by=None)
    assert (cancelled.status, cancelled.cancellation_reason) == (
        MeetingStatus.CANCELLED,
        "Salle inondée",
    )
    assert sorted(message.to[0] for message in mailoutbox) == sorted(
        [confirmed.email, pending.email]
    )
    # Registrations keep their status: the history of who meant to come.
    assert meeting.registrations.filter(status=RegistrationStatus.CONFIRMED).count() == 1


def test_cancel_requires_a_reason():
    meeting = MeetingFactory()
    with pytest.raises(services.MeetingError) as error:
        services.meeting_cancel(meeting=meeting, reason="   ", by=None)
    assert error.value.code == "reason_required"
    meeting.refresh_from_db()
    assert meeting.status == MeetingStatus.PLANNED


def test_cancel_twice_tells_nobody_again(mailoutbox, django_capture_on_commit_callbacks):
    meeting = MeetingFactory(status=MeetingStatus.CANCELLED, cancellation_reason="Première")
    RegistrationFactory(meeting=meeting)
    with django_capture_on_commit_callbacks(execute=True):
        result = services.meeting_cancel(meeting=meeting, reason="Seconde", by=None)
    assert result.cancellation_reason == "Première"
    assert mailoutbox == []


def test_a_held_meeting_cannot_be_cancelled():
    meeting = MeetingFactory(status=MeetingStatus.HELD)
    with pytest.raises(services.MeetingError) as error:
        services.meeting_cancel(meeting=meeting, reason="Trop tard", by=None)
    assert error.value.code == "held"


def test_cancelling_a_past_meeting_records_it_without_emails(
    mailoutbox, django_capture_on_commit_callbacks
):
    start = timezone.now() - timedelta(days=2)
    meeting = MeetingFactory(starts_at=start, ends_at=start + timedelta(hours=2))
    RegistrationFactory(meeting=meeting)
    with django_capture_on_commit_callbacks(execute=True):
        services.meeting_cancel(meeting=meeting, reason="N'a pas eu lieu", by=None)
    meeting.refresh_from_db()
    assert meeting.status == MeetingStatus.CANCELLED
    assert mailoutbox == []


def test_moving_a_meeting_resets_the_reminders(django_capture_on_commit_callbacks):
    from datetime import timedelta

    from django.utils import timezone

    from dialogue.services.meetings import meeting_update
    from tests.dialogue.factories import MeetingFactory, RegistrationFactory
    from tests.participation.factories import UserFactory

    meeting = MeetingFactory()
    registration = RegistrationFactory(meeting=meeting, reminder_sent_at=timezone.now())
    meeting_update(
        meeting=meeting,
        by=UserFactory(),
        starts_at=meeting.starts_at + timedelta(days=1),
        ends_at=meeting.ends_at + timedelta(days=1),
    )
    registration.refresh_from_db()
    assert registration.reminder_sent_at is None
