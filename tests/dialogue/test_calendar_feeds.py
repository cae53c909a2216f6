"""iCalendar feeds (metropole, QPV, one meeting), parsed back with the icalendar library."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from icalendar import Calendar

from dialogue.models import MeetingStatus
from qpv.models import QPV
from tests.dialogue.factories import DialogueSpaceFactory, MeetingFactory

pytestmark = pytest.mark.django_db

NEXT_YEAR = timezone.localdate().year + 1


def paris(*args) -> datetime:
    return timezone.make_aware(datetime(*args))


def parse(response) -> Calendar:
    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    assert response["Content-Disposition"].startswith("inline; filename=")
    return Calendar.from_ical(response.content)


def events(calendar: Calendar) -> dict[str, object]:
    return {str(event["summary"]): event for event in calendar.walk("VEVENT")}


@pytest.fixture
def sanitas_space():
    return DialogueSpaceFactory(qpv=QPV.objects.get(slug="sanitas"))


@pytest.fixture
def rabiere_space():
    return DialogueSpaceFactory(qpv=QPV.objects.get(slug="la-rabiere"))


def test_paris_times_survive_daylight_saving(client, sanitas_space):
    MeetingFactory(
        dialogue_space=sanitas_space,
        title="Hiver",
        starts_at=paris(NEXT_YEAR, 1, 15, 18),
        ends_at=paris(NEXT_YEAR, 1, 15, 20),
    )
    MeetingFactory(
        dialogue_space=sanitas_space,
        title="Été",
        starts_at=paris(NEXT_YEAR, 7, 15, 18),
        ends_at=paris(NEXT_YEAR, 7, 15, 20),
    )
    calendar = parse(client.get(reverse("dialogue:agenda_ics")))
    timezones = [str(tz["tzid"]) for tz in calendar.walk("VTIMEZONE")]
    assert timezones == ["Europe/Paris"]
    found = events(calendar)
    winter, summer = found["Hiver"], found["Été"]
    for event in (winter, summer):
        assert event["dtstart"].params["TZID"] == "Europe/Paris"
        assert event["dtstart"].dt.hour == 18
        assert event["dtend"].dt.hour == 20
        assert event["status"] == "CONFIRMED"
    assert winter["dtstart"].dt.utcoffset() == timedelta(hours=1)
    assert summer["dtstart"].dt.utcoffset() == timedelta(hours=2)
    assert winter["dtstart"].dt.isoformat().endswith("18:00:00+01:00")
    assert summer["dtstart"].dt.isoformat().endswith("18:00:00+02:00")
    # The same instants as in the database.
    assert winter["dtstart"].dt == paris(NEXT_YEAR, 1, 15, 18)
    assert summer["dtstart"].dt == paris(NEXT_YEAR, 7, 15, 18)


def test_cancelled_meetings_are_marked(client, sanitas_space):
    MeetingFactory(
        dialogue_space=sanitas_space,
        title="Annulée",
        status=MeetingStatus.CANCELLED,
        cancellation_reason="Salle fermée",
    )
    for url in [
        reverse("dialogue:agenda_ics"),
        reverse("dialogue:qpv_agenda_ics", args=["sanitas"]),
    ]:
        [event] = parse(client.get(url)).walk("VEVENT")
        assert event["status"] == "CANCELLED"
        assert "Annulée" in str(event["summary"])


def test_feed_holds_upcoming_and_the_last_90_days(client, sanitas_space):
    MeetingFactory(dialogue_space=sanitas_space, title="À venir")
    MeetingFactory(
        dialogue_space=sanitas_space,
        title="Il y a un mois",
        starts_at=timezone.now() - timedelta(days=30),
        ends_at=timezone.now() - timedelta(days=30) + timedelta(hours=2),
        status=MeetingStatus.HELD,
    )
    MeetingFactory(
        dialogue_space=sanitas_space,
        title="Il y a six mois",
        starts_at=timezone.now() - timedelta(days=180),
        ends_at=timezone.now() - timedelta(days=180) + timedelta(hours=2),
    )
    MeetingFactory(dialogue_space=DialogueSpaceFactory(is_active=False), title="Espace fermé")
    calendar = parse(client.get(reverse("dialogue:agenda_ics")))
    assert set(events(calendar)) == {"À venir", "Il y a un mois"}
    assert str(calendar["x-wr-timezone"]) == "Europe/Paris"


def test_qpv_feed_has_only_its_meetings(client, sanitas_space, rabiere_space):
    MeetingFactory(dialogue_space=sanitas_space, title="Au Sanitas")
    MeetingFactory(dialogue_space=rabiere_space, title="À la Rabière")
    response = client.get(reverse("dialogue:qpv_agenda_ics", args=["sanitas"]))
    assert 'filename="sanitas.ics"' in response["Content-Disposition"]
    assert set(events(parse(response))) == {"Au Sanitas"}
    empty = client.get(reverse("dialogue:qpv_agenda_ics", args=["europe"]))
    assert parse(empty).walk("VEVENT") == []


def test_meeting_feed_has_one_event_with_its_page(client, sanitas_space):
    meeting = MeetingFactory(
        dialogue_space=sanitas_space, title="Une seule", venue="Salle Marcel", agenda="Le square"
    )
    MeetingFactory(dialogue_space=sanitas_space, title="Une autre")
    response = client.get(reverse("dialogue:meeting_ics", args=[meeting.pk]))
    assert f'filename="rencontre-{meeting.pk}.ics"' in response["Content-Disposition"]
    [event] = parse(response).walk("VEVENT")
    assert str(event["summary"]) == "Une seule"
    assert "Salle Marcel" in str(event["location"])
    assert "Le square" in str(event["description"])
    assert str(event["url"]).endswith(meeting.get_absolute_url())
    assert str(event["uid"]) == f"meeting-{meeting.pk}@quartiers-en-dialogue"


def test_feeds_answer_head_and_refuse_post(client, sanitas_space):
    meeting = MeetingFactory(dialogue_space=sanitas_space)
    url = reverse("dialogue:meeting_ics", args=[meeting.pk])
    assert client.head(url).status_code == 200
    assert client.post(url).status_code == 405


@pytest.mark.parametrize("count", [3, 30])
def test_feed_query_count(client, django_assert_num_queries, sanitas_space, count):
    MeetingFactory.create_batch(count, dialogue_space=sanitas_space)
    with django_assert_num_queries(1):
        assert client.get(reverse("dialogue:agenda_ics")).status_code == 200
    # The QPV, then its meetings.
    with django_assert_num_queries(2):
        assert client.get(reverse("dialogue:qpv_agenda_ics", args=["sanitas"])).status_code == 200
