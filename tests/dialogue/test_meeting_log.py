"""The meeting log (everything of one meeting in one place) and the staff home's "to do" lists:
roles in and out of scope, names only for the staff of the place, bounded query counts."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from dialogue.models import (
    AttendeeCategory,
    Meeting,
    MeetingStatus,
    Minutes,
    MinutesStatus,
    Registration,
    RegistrationStatus,
    WalkIn,
)
from tests.dialogue.factories import DialogueSpaceFactory, MeetingFactory, RegistrationFactory

pytestmark = pytest.mark.django_db

ACTORS = [
    "visitor",
    "resident",
    "facilitator_sanitas",
    "facilitator_space",
    "facilitator_rabiere",
    "referent_tours",
    "referent_joue",
    "correspondent",
    "delegate_sanitas",
    "delegate_rabiere",
    "coordinator",
]
LOCAL_STAFF = {"facilitator_sanitas", "facilitator_space", "referent_tours", "coordinator"}


def _days_ago(days: float) -> dict:
    start = timezone.now() - timedelta(days=days)
    return {"starts_at": start, "ends_at": start + timedelta(hours=2)}


@pytest.fixture
def meeting(actors):
    """The held meeting of Café du Sanitas: Awa came, Karim did not, an elected walked in."""
    meeting = MeetingFactory(
        dialogue_space=actors.space,
        title="Café de novembre",
        status=MeetingStatus.HELD,
        attendance_saved_at=timezone.now() - timedelta(days=2),
        **_days_ago(2),
    )
    RegistrationFactory(meeting=meeting, name="Awa Diallo", attended=True, gender="woman")
    RegistrationFactory(meeting=meeting, name="Karim Benali", attended=False)
    WalkIn.objects.create(meeting=meeting, category=AttendeeCategory.ELECTED, gender="man")
    return meeting


def _log_url(meeting: Meeting) -> str:
    return reverse("dialogue:meeting_log", kwargs={"pk": meeting.pk})


# The meeting log --------------------------------------------------------------------------------


@pytest.mark.parametrize("actor", ACTORS)
def test_meeting_log_by_role(client, actors, meeting, actor):
    actors.login(client, actor, english=True)
    response = client.get(_log_url(meeting))
    if actor == "visitor":
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("account_login"))
        return
    if actor not in LOCAL_STAFF | {"delegate_sanitas"}:
        # Out of the actor's scope (or no staff role): as if the meeting did not exist.
        assert response.status_code == 404
        return
    assert response.status_code == 200
    page = response.content.decode()
    assert page.count("<h1") == 1
    assert "2</strong> people present" in page
    # Names and tools for the staff of the place; the delegate sees the counts only.
    staff = actor in LOCAL_STAFF
    assert ("Awa Diallo" in page) is staff
    assert (reverse("dialogue:checkin", kwargs={"pk": meeting.pk}) in page) is staff
    assert (reverse("dialogue:tracker", kwargs={"pk": meeting.pk}) in page) is staff
    assert ("Karim Benali" in page) is False  # absent: never listed


def test_meeting_log_shows_every_section(client, actors, meeting):
    actors.login(client, "facilitator_space", english=True)
    response = client.get(_log_url(meeting))
    page = response.content.decode()
    for section in (
        "log-attendance-title",
        "log-speaking-title",
        "log-minutes-title",
        "log-feedback-title",
        "log-questions-title",
    ):
        assert f'id="{section}"' in page
    for name in ("feedback_qr", "minutes_edit", "meeting_registrations"):
        assert reverse(f"dialogue:{name}", kwargs={"pk": meeting.pk}) in page
    assert response.context["minutes"] is None
    attendance = response.context["attendance"]
    assert (attendance.total, attendance.residents, attendance.professionals) == (2, 1, 1)
    assert (attendance.women, attendance.men) == (1, 1)


def test_meeting_log_with_minutes_and_of_a_cancelled_meeting(client, actors, meeting):
    minutes = Minutes.objects.create(meeting=meeting, summary="On a parlé du parc.")
    cancelled = MeetingFactory(
        dialogue_space=actors.space,
        status=MeetingStatus.CANCELLED,
        cancellation_reason="Salle fermée",
    )
    actors.login(client, "referent_tours", english=True)
    response = client.get(_log_url(meeting))
    assert response.context["minutes"] == minutes
    response = client.get(_log_url(cancelled))
    assert response.status_code == 200
    page = response.content.decode()
    assert "This meeting was cancelled." in page
    assert reverse("dialogue:checkin", kwargs={"pk": cancelled.pk}) not in page


def test_meeting_log_of_an_unknown_meeting_is_404(client, actors):
    actors.login(client, "coordinator", english=True)
    assert client.get(reverse("dialogue:meeting_log", kwargs={"pk": 999999})).status_code == 404


@pytest.mark.parametrize("count", [3, 40])
def test_meeting_log_query_count_does_not_grow(
    client, actors, meeting, django_assert_num_queries, count
):
    Registration.objects.bulk_create(
        Registration(
            meeting=meeting,
            name=f"Personne {index}",
            email=f"p{index}@example.org",
            status=RegistrationStatus.CONFIRMED,
            attended=True,
        )
        for index in range(count)
    )
    WalkIn.objects.bulk_create(WalkIn(meeting=meeting, category="resident") for _ in range(count))
    actors.login(client, "referent_tours", english=True)
    # session, user, scopes, meeting (+ minutes), the names present, attendance (2),
    # speaking (2), feedback (3), the menu of QPV (base.html)
    with django_assert_num_queries(14):
        response = client.get(_log_url(meeting))
    assert response.status_code == 200
    assert response.context["attendance"].total == 2 * count + 2


# The staff home's "to do" -----------------------------------------------------------------------


def test_staff_home_lists_meetings_to_close_and_minutes_to_publish(client, actors, meeting):
    space = actors.space
    to_log_old = MeetingFactory(dialogue_space=space, title="À saisir ancienne", **_days_ago(10))
    to_log_new = MeetingFactory(dialogue_space=space, title="À saisir récente", **_days_ago(0.1))
    # Under way: in the upcoming list with its check-in, not yet to close.
    MeetingFactory(dialogue_space=space, title="En cours", **_days_ago(0.01))
    MeetingFactory(dialogue_space=space, title="Pas commencée")  # next week
    MeetingFactory(
        dialogue_space=space,
        title="Saisie faite",
        attendance_saved_at=timezone.now(),
        status=MeetingStatus.HELD,
        **_days_ago(5),
    )
    published = MeetingFactory(
        dialogue_space=space, title="CR publié", status=MeetingStatus.HELD, **_days_ago(20)
    )
    Minutes.objects.create(
        meeting=published,
        summary="…",
        status=MinutesStatus.PUBLISHED,
        published_at=timezone.now(),
    )
    draft = MeetingFactory(
        dialogue_space=space, title="CR brouillon", status=MeetingStatus.HELD, **_days_ago(30)
    )
    Minutes.objects.create(meeting=draft, summary="…")
    MeetingFactory(
        dialogue_space=space,
        title="Annulée",
        status=MeetingStatus.CANCELLED,
        cancellation_reason="Salle fermée",
        **_days_ago(3),
    )
    elsewhere = DialogueSpaceFactory(qpv=actors.rabiere)
    MeetingFactory(dialogue_space=elsewhere, title="Ailleurs à saisir", **_days_ago(1))
    actors.login(client, "facilitator_sanitas", english=True)
    response = client.get(reverse("dialogue:staff_home"))
    assert response.status_code == 200
    to_log = [m.title for m in response.context["meetings_to_close"]]
    to_publish = [m.title for m in response.context["minutes_to_publish"]]
    assert to_log == [to_log_new.title, to_log_old.title]
    assert response.context["to_close_count"] == 2
    # The held meeting saved 5 days ago and the fixture's meeting have no minutes; draft: not public.
    assert to_publish == ["Café de novembre", "Saisie faite", "CR brouillon"]
    page = response.content.decode()
    checkin = reverse("dialogue:checkin", args=[to_log_new.pk])
    assert checkin in page and _log_url(draft) in page
    assert "2 meetings to close" in page
    assert "Ailleurs à saisir" not in page


def test_staff_home_to_do_is_limited(client, actors, meeting, monkeypatch):
    monkeypatch.setattr("dialogue.views.staff.TO_DO_LIMIT", 2)
    for days in (1, 2, 3):
        MeetingFactory(dialogue_space=actors.space, **_days_ago(days))
    actors.login(client, "facilitator_sanitas", english=True)
    response = client.get(reverse("dialogue:staff_home"))
    assert len(response.context["meetings_to_close"]) == 2
    assert response.context["more_meetings_to_close"] is True
    assert response.context["to_close_count"] == 3
    assert response.context["more_minutes_to_publish"] is False
    assert "Only the 2 most recent are shown." in response.content.decode()


def test_staff_home_without_anything_to_do(client, actors, meeting):
    Minutes.objects.create(
        meeting=meeting,
        summary="…",
        status=MinutesStatus.PUBLISHED,
        published_at=timezone.now(),
    )
    actors.login(client, "facilitator_space", english=True)
    page = client.get(reverse("dialogue:staff_home")).content.decode()
    assert "Nothing to do: every past meeting is logged" in page


@pytest.mark.parametrize("count", [3, 30])
def test_staff_home_query_count_does_not_grow(
    client, actors, meeting, django_assert_num_queries, count
):
    for index in range(count):
        MeetingFactory(dialogue_space=actors.space)  # upcoming
        MeetingFactory(dialogue_space=actors.space, **_days_ago(index + 1))
        MeetingFactory(
            dialogue_space=actors.space, status=MeetingStatus.HELD, **_days_ago(index + 40)
        )
    actors.login(client, "referent_tours", english=True)
    # session, user, scopes, QPV, spaces, upcoming meetings (count, page), the two "to do" lists,
    # the menu of QPV (base.html)
    with django_assert_num_queries(10):
        assert client.get(reverse("dialogue:staff_home")).status_code == 200
