"""Staff tools finished (issue 19): the tools of a meeting in one place on its staff page, each for
whoever may use it and when it makes sense; a past meeting whose attendance is not saved is "À
clôturer" for its staff (a past meeting for residents) and counted on the staff home."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from dialogue.models import MeetingStatus
from dialogue.selectors.tools import meeting_tools
from tests.dialogue.factories import DialogueSpaceFactory, MeetingFactory

pytestmark = pytest.mark.django_db

LOCAL_STAFF = ["facilitator_sanitas", "facilitator_space", "referent_tours", "coordinator"]
OUT_OF_SCOPE = ["facilitator_rabiere", "referent_joue", "correspondent", "delegate_rabiere"]
ALL_TOOLS = ["poster", "registrants", "signin_sheet", "checkin", "tracker", "minutes", "feedback"]


def _days_ago(days: float) -> dict:
    start = timezone.now() - timedelta(days=days)
    return {"starts_at": start, "ends_at": start + timedelta(hours=2)}


def _log_url(meeting) -> str:
    return reverse("dialogue:meeting_log", args=[meeting.pk])


@pytest.fixture
def upcoming(actors):
    return MeetingFactory(dialogue_space=actors.space, title="Café de décembre")


@pytest.fixture
def to_close(actors):
    """Over two days ago, its attendance never saved."""
    return MeetingFactory(dialogue_space=actors.space, title="Café oublié", **_days_ago(2))


# The tools of a meeting -------------------------------------------------------------------------


@pytest.mark.parametrize("actor", LOCAL_STAFF)
def test_local_staff_get_every_tool(actors, upcoming, actor):
    tools = meeting_tools(actors[actor], upcoming)
    assert [tool.name for tool in tools] == ALL_TOOLS


def test_delegates_of_the_place_read_the_log_without_tools(client, actors, upcoming):
    assert meeting_tools(actors["delegate_sanitas"], upcoming) == []
    actors.login(client, "delegate_sanitas")
    page = client.get(_log_url(upcoming)).content.decode()
    assert reverse("dialogue:meeting_poster", args=[upcoming.pk]) not in page
    assert "L'animation de cette rencontre revient à l'équipe du lieu" in page


@pytest.mark.parametrize("actor", [*OUT_OF_SCOPE, "resident"])
def test_out_of_scope_no_tool(client, actors, upcoming, actor):
    assert meeting_tools(actors[actor], upcoming) == []
    actors.login(client, actor)
    assert client.get(_log_url(upcoming)).status_code == 404


def test_before_the_meeting_the_tools_of_the_day_say_when_they_open(actors, upcoming):
    tools = {tool.name: tool for tool in meeting_tools(actors["facilitator_sanitas"], upcoming)}
    assert tools["poster"].available and tools["signin_sheet"].available
    for name in ("checkin", "tracker", "minutes", "feedback"):
        assert not tools[name].available, name
        assert tools[name].hint.startswith("Ouvre "), tools[name].hint
    assert "deux heures avant le début" in tools["checkin"].hint
    day = timezone.localtime(upcoming.starts_at)
    assert f"{day.day} " in tools["minutes"].hint and "16 h 00" in tools["checkin"].hint


def test_the_staff_page_links_every_tool_of_a_meeting_under_way(client, actors):
    live = MeetingFactory(dialogue_space=actors.space, **_days_ago(1 / 24))
    actors.login(client, "facilitator_sanitas")
    page = client.get(_log_url(live)).content.decode()
    assert "Outils de la rencontre" in page
    for name in (
        "meeting_poster",
        "meeting_signin_sheet",
        "meeting_registrations",
        "checkin",
        "tracker",
        "minutes_edit",
        "feedback_qr",
    ):
        assert reverse(f"dialogue:{name}", args=[live.pk]) in page, name
    assert "Ouvre " not in page


def test_after_the_meeting(actors, to_close):
    tools = {tool.name: tool for tool in meeting_tools(actors["referent_tours"], to_close)}
    assert tools["poster"].hint == "La rencontre est passée : plus d'affiche à poser."
    assert all(tools[name].available for name in ("checkin", "tracker", "minutes", "feedback"))
    old = MeetingFactory(dialogue_space=to_close.dialogue_space, **_days_ago(40))
    feedback = meeting_tools(actors["referent_tours"], old)[-1]
    assert feedback.name == "feedback" and feedback.hint.startswith("Fermé")


def test_a_cancelled_meeting_has_no_tools(client, actors):
    cancelled = MeetingFactory(
        dialogue_space=actors.space, status=MeetingStatus.CANCELLED, cancellation_reason="Neige"
    )
    assert meeting_tools(actors["coordinator"], cancelled) == []
    actors.login(client, "coordinator")
    page = client.get(_log_url(cancelled)).content.decode()
    assert "Une rencontre annulée n'a pas d'outils." in page
    assert reverse("dialogue:meeting_poster", args=[cancelled.pk]) not in page


# Minutes before the meeting ----------------------------------------------------------------------


def test_the_minutes_page_before_the_meeting_says_when_it_opens(client, actors, upcoming):
    actors.login(client, "facilitator_space")
    response = client.get(reverse("dialogue:minutes_edit", args=[upcoming.pk]))
    assert response.status_code == 200
    page = response.content.decode()
    assert "son compte rendu pourra être rédigé dès son début, le " in page
    assert "18 h 00" in page
    assert _log_url(upcoming) in page


# "À clôturer" -----------------------------------------------------------------------------------


@pytest.mark.parametrize("actor", LOCAL_STAFF)
def test_a_past_meeting_not_saved_is_to_close_for_its_staff(client, actors, to_close, actor):
    assert to_close.is_to_close
    actors.login(client, actor)
    for url in (_log_url(to_close), reverse("dialogue:checkin", args=[to_close.pk])):
        page = client.get(url).content.decode()
        assert "À clôturer" in page, url
        assert "En cours" not in page, url
    page = client.get(to_close.get_absolute_url()).content.decode()
    assert "À clôturer" in page
    assert reverse("dialogue:checkin", args=[to_close.pk]) in page


@pytest.mark.parametrize("actor", ["visitor", "resident", "facilitator_rabiere", "delegate_all"])
def test_residents_and_others_see_a_past_meeting(client, actors, to_close, actor):
    actors.login(client, actor)
    page = client.get(to_close.get_absolute_url()).content.decode()
    assert "Cette rencontre a eu lieu." in page
    assert "À clôturer" not in page
    assert "a commencé" not in page


def test_a_meeting_under_way_is_in_progress_not_to_close(client, actors):
    live = MeetingFactory(dialogue_space=actors.space, **_days_ago(1 / 24))
    assert not live.is_to_close
    actors.login(client, "facilitator_sanitas")
    page = client.get(_log_url(live)).content.decode()
    assert "En cours" in page and "À clôturer" not in page


def test_held_and_cancelled_meetings_are_never_to_close(actors):
    held = MeetingFactory(
        dialogue_space=actors.space,
        status=MeetingStatus.HELD,
        attendance_saved_at=timezone.now(),
        **_days_ago(3),
    )
    cancelled = MeetingFactory(
        dialogue_space=actors.space,
        status=MeetingStatus.CANCELLED,
        cancellation_reason="Neige",
        **_days_ago(3),
    )
    assert not held.is_to_close and not cancelled.is_to_close
    assert list(type(held).objects.to_close()) == []


@pytest.mark.parametrize("actor", LOCAL_STAFF)
def test_the_staff_home_counts_the_meetings_to_close(client, actors, to_close, actor):
    MeetingFactory(dialogue_space=actors.space, title="Autre oubli", **_days_ago(9))
    MeetingFactory(dialogue_space=DialogueSpaceFactory(qpv=actors.rabiere), **_days_ago(1))
    actors.login(client, actor)
    response = client.get(reverse("dialogue:staff_home"))
    expected = 3 if actor == "coordinator" else 2
    assert response.context["to_close_count"] == expected
    page = response.content.decode()
    assert f"{expected} rencontres à clôturer" in page
    assert reverse("dialogue:checkin", args=[to_close.pk]) in page


@pytest.mark.parametrize("actor", ["facilitator_rabiere", "referent_joue", "delegate_sanitas"])
def test_the_staff_home_lists_no_meeting_out_of_scope(client, actors, to_close, actor):
    actors.login(client, actor)
    response = client.get(reverse("dialogue:staff_home"))
    assert response.context["to_close_count"] == 0
    assert "Café oublié" not in response.content.decode()


@pytest.mark.parametrize("count", [2, 12])
def test_the_count_to_close_costs_no_query_per_meeting(
    client, actors, django_assert_max_num_queries, count
):
    for days in range(count):
        MeetingFactory(dialogue_space=actors.space, **_days_ago(days + 1))
    actors.login(client, "referent_tours")
    with django_assert_max_num_queries(10):
        response = client.get(reverse("dialogue:staff_home"))
    assert response.context["to_close_count"] == count


# Valid HTML -------------------------------------------------------------------------------------


def test_the_new_markup_is_valid_html(client, actors, upcoming, to_close, tmp_path):
    """The pages of this part in the states the site-wide check (tests/whole_site/test_html_valid.py)
    does not build: tools before the meeting, a meeting to close, the minutes not open yet."""
    from tests.whole_site.test_html_valid import run_checker

    actors.login(client, "facilitator_sanitas")
    urls = [
        _log_url(upcoming),
        _log_url(to_close),
        to_close.get_absolute_url(),
        reverse("dialogue:staff_home"),
        reverse("dialogue:minutes_edit", args=[upcoming.pk]),
    ]
    for index, url in enumerate(urls):
        response = client.get(url)
        assert response.status_code == 200, url
        (tmp_path / f"{index}.html").write_bytes(response.content)
    errors, _seconds = run_checker(tmp_path)
    assert not errors, {urls[int(name.split(".")[0])]: found for name, found in errors.items()}
