"""Espace pro: every view for every role in and out of scope, the forms' refusals, query counts."""

from __future__ import annotations

import csv
import io
import logging
from datetime import UTC, date, datetime, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from dialogue.forms.meetings import MeetingForm
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
from tests.dialogue.factories import DialogueSpaceFactory, MeetingFactory, RegistrationFactory
from tests.qpv.factories import OrganisationFactory

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
    "delegate_all",
    "coordinator",
]
# Who runs the meetings of `space` (Sanitas); the facilitator of `space` alone does not run
# `other_space`, the other space of Sanitas.
STAFF_OF_SPACE = {"facilitator_sanitas", "facilitator_space", "referent_tours", "coordinator"}
STAFF_OF_OTHER_SPACE = {"facilitator_sanitas", "referent_tours", "coordinator"}


@pytest.fixture
def targets(actors):
    """What the access table aims at: the QPV, the space of facilitator_space and another space
    of Sanitas, a meeting in each."""
    other_space = DialogueSpaceFactory(qpv=actors.sanitas, name="Conseil citoyen du Sanitas")
    return {
        "sanitas": actors.sanitas,
        "rabiere": actors.rabiere,
        "space": actors.space,
        "other_space": other_space,
        "meeting": MeetingFactory(dialogue_space=actors.space, title="Café de novembre"),
        "other_meeting": MeetingFactory(dialogue_space=other_space),
    }


def _url(targets, view: str, target: str) -> str:
    if view == "staff_home":
        return reverse("dialogue:staff_home")
    if view == "space_create":
        return reverse("dialogue:space_create") + f"?qpv={targets[target].slug}"
    if view == "meeting_create":
        return reverse("dialogue:meeting_create") + f"?espace={targets[target].pk}"
    return reverse(f"dialogue:{view}", kwargs={"pk": targets[target].pk})


STAFF = set(ACTORS) - {"visitor", "resident"}
ACCESS = {
    ("staff_home", None): STAFF,
    ("space_create", "sanitas"): {"referent_tours", "coordinator"},
    ("space_create", "rabiere"): {"referent_joue", "coordinator"},
    ("space_edit", "space"): STAFF_OF_SPACE,
    ("space_edit", "other_space"): STAFF_OF_OTHER_SPACE,
    ("meeting_create", "space"): STAFF_OF_SPACE,
    ("meeting_create", "other_space"): STAFF_OF_OTHER_SPACE,
    ("meeting_edit", "meeting"): STAFF_OF_SPACE,
    ("meeting_edit", "other_meeting"): STAFF_OF_OTHER_SPACE,
    ("meeting_duplicate", "meeting"): STAFF_OF_SPACE,
    ("meeting_duplicate", "other_meeting"): STAFF_OF_OTHER_SPACE,
    ("meeting_cancel", "meeting"): STAFF_OF_SPACE,
    ("meeting_cancel", "other_meeting"): STAFF_OF_OTHER_SPACE,
    ("meeting_registrations", "meeting"): STAFF_OF_SPACE,
    ("meeting_registrations", "other_meeting"): STAFF_OF_OTHER_SPACE,
}
# Who sees each object's staff pages at all: denied there, they get 403; anyone else gets 404, as
# for an unknown object (participation.scopes.get_object_for). Spaces: the people who run them;
# meetings: those, and the delegates (their log). A QPV is public: refusals on it are 403.
SEES = {
    "space": STAFF_OF_SPACE,
    "other_space": STAFF_OF_OTHER_SPACE,
    "meeting": STAFF_OF_SPACE | {"delegate_all"},
    "other_meeting": STAFF_OF_OTHER_SPACE | {"delegate_all"},
}
CASES = [
    (view, target, actor, actor in allowed)
    for (view, target), allowed in ACCESS.items()
    for actor in ACTORS
]


def denied_status(target: str | None, actor: str) -> int:
    return 404 if target in SEES and actor not in SEES[target] else 403


@pytest.mark.parametrize(("view", "target", "actor", "allowed"), CASES)
def test_access_by_role(client, actors, targets, view, target, actor, allowed):
    actors.login(client, actor)
    url = _url(targets, view, target)
    response = client.get(url)
    if actor == "visitor":
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("account_login"))
    elif allowed:
        assert response.status_code == 200
        assert response.content.decode().count("<h1") == 1
    else:
        assert response.status_code == denied_status(target, actor)


@pytest.mark.parametrize(
    "view", ["space_edit", "meeting_edit", "meeting_duplicate", "meeting_cancel"]
)
def test_posting_out_of_scope_is_refused_and_changes_nothing(client, actors, targets, view):
    actors.login(client, "referent_joue")
    target = "space" if view == "space_edit" else "meeting"
    response = client.post(_url(targets, view, target), {"name": "Piraté", "reason": "Piraté"})
    # Out of the referent's scope: as if the object did not exist.
    assert response.status_code == 404
    assert DialogueSpace.objects.filter(name="Piraté").count() == 0
    targets["meeting"].refresh_from_db()
    assert targets["meeting"].status == MeetingStatus.PLANNED
    assert Meeting.objects.count() == 2


@pytest.mark.parametrize(
    "url",
    [
        "/espace-pro/espaces/nouveau/",
        "/espace-pro/espaces/nouveau/?qpv=nulle-part",
        "/espace-pro/rencontres/nouvelle/",
        "/espace-pro/rencontres/nouvelle/?espace=abc",
        "/espace-pro/rencontres/nouvelle/?espace=999999",
        "/espace-pro/espaces/999999/modifier/",
        "/espace-pro/rencontres/999999/modifier/",
        "/espace-pro/rencontres/999999/dupliquer/",
        "/espace-pro/rencontres/999999/annuler/",
        "/espace-pro/rencontres/999999/inscrits/",
    ],
)
def test_unknown_objects_are_404(client, actors, targets, url):
    actors.login(client, "coordinator")
    assert client.get(url).status_code == 404


# Staff home -------------------------------------------------------------------------------------


def test_home_lists_spaces_by_qpv_and_upcoming_meetings(client, actors, targets):
    actors.login(client, "referent_tours")
    MeetingFactory(
        dialogue_space=actors.space,
        title="Rencontre passée",
        starts_at=timezone.now() - timedelta(days=3),
        ends_at=timezone.now() - timedelta(days=3) + timedelta(hours=2),
    )
    DialogueSpaceFactory(qpv=actors.rabiere, name="Café de la Rabière")
    page = client.get(reverse("dialogue:staff_home")).content.decode()
    assert "Café du Sanitas" in page
    assert "Conseil citoyen du Sanitas" in page
    assert "Café de la Rabière" not in page
    assert "Café de novembre" in page
    # A past meeting is not upcoming (it is in the "to do" list, to be logged).
    upcoming = page.split('id="meetings-title"')[1].split('id="spaces-title"')[0]
    assert "Rencontre passée" not in upcoming
    meeting = targets["meeting"]
    for name in ["meeting_edit", "meeting_duplicate", "meeting_cancel", "meeting_registrations"]:
        assert reverse(f"dialogue:{name}", kwargs={"pk": meeting.pk}) in page
    assert f"{reverse('dialogue:meeting_create')}?espace={actors.space.pk}" in page
    # A referent of Tours may create a space in each QPV of Tours, not in Joué-lès-Tours.
    assert f"{reverse('dialogue:space_create')}?qpv=sanitas" in page
    assert "?qpv=la-rabiere" not in page


def test_home_of_a_facilitator_shows_no_space_creation(client, actors, targets):
    actors.login(client, "facilitator_space")
    page = client.get(reverse("dialogue:staff_home")).content.decode()
    assert "Café du Sanitas" in page
    assert "Conseil citoyen du Sanitas" not in page
    assert reverse("dialogue:space_create") not in page


@pytest.mark.parametrize("actor", ["delegate_all", "correspondent"])
def test_home_of_a_delegate_or_correspondent_is_an_empty_state(client, actors, targets, actor):
    actors.login(client, actor)
    response = client.get(reverse("dialogue:staff_home"))
    page = response.content.decode()
    assert response.status_code == 200
    assert "Café du Sanitas" not in page
    assert reverse("dialogue:meeting_create") not in page
    assert 'class="page-intro"' in page


@pytest.mark.parametrize("count", [3, 30])
def test_home_query_count_does_not_grow(client, actors, targets, django_assert_num_queries, count):
    for index in range(count):
        space = actors.space if index % 2 else DialogueSpaceFactory(qpv=actors.sanitas)
        meeting = MeetingFactory(dialogue_space=space)
        RegistrationFactory(meeting=meeting)
    actors.login(client, "referent_tours")
    # session, user, scopes, QPV list, spaces, meeting count, menu of QPV (base.html), meetings,
    # the two "to do" lists (meetings to log, minutes to publish)
    with django_assert_num_queries(10):
        response = client.get(reverse("dialogue:staff_home"))
    assert response.status_code == 200


def test_home_is_paginated_by_30(client, actors, targets):
    for _ in range(31):
        MeetingFactory(dialogue_space=actors.space)
    actors.login(client, "coordinator")
    first = client.get(reverse("dialogue:staff_home"))
    assert len(first.context["meetings"]) == 30
    second = client.get(reverse("dialogue:staff_home") + "?page=2")
    assert len(second.context["meetings"]) == 3  # 31 + the fixture's two


# Spaces -----------------------------------------------------------------------------------------


def _space_data(**overrides) -> dict:
    data = {
        "name": "Atelier cuisine et paroles",
        "format": SpaceFormat.ATELIER,
        "origin": SpaceOrigin.CREATED,
        "host_organisation": "",
        "facilitated_by": FacilitatedBy.PARTNER,
        "charter": "Chacun parle à son tour.",
        "is_active": "on",
    }
    data.update(overrides)
    return data


def test_referent_creates_a_space_hosted_by_a_local_organisation(client, actors, targets):
    host = OrganisationFactory(name="Centre social Pluriel(le)")
    host.qpvs.add(actors.sanitas)
    far = OrganisationFactory(name="Association de la Rabière")
    far.qpvs.add(actors.rabiere)
    actors.login(client, "referent_tours")
    url = _url(targets, "space_create", "sanitas")
    form = client.get(url).context["form"]
    assert list(form.fields["host_organisation"].queryset) == [host]
    response = client.post(url, _space_data(host_organisation=host.pk))
    assert response.status_code == 302
    space = DialogueSpace.objects.get(name="Atelier cuisine et paroles")
    assert space.qpv == actors.sanitas
    assert space.host_organisation == host
    # An organisation of another QPV is not a valid choice.
    response = client.post(url, _space_data(name="Autre", host_organisation=far.pk))
    assert response.status_code == 400
    assert response.context["form"].errors.as_data()["host_organisation"][0].code == (
        "invalid_choice"
    )


def test_space_form_requires_a_name_and_keeps_what_was_typed(client, actors, targets):
    actors.login(client, "coordinator")
    response = client.post(_url(targets, "space_create", "sanitas"), _space_data(name=""))
    assert response.status_code == 400
    assert "name" in response.context["form"].errors
    assert "Chacun parle à son tour." in response.content.decode()


def test_facilitator_edits_their_space(client, actors, targets):
    actors.login(client, "facilitator_space")
    url = _url(targets, "space_edit", "space")
    response = client.post(url, _space_data(name="Café du Sanitas renommé", is_active=""))
    assert response.status_code == 302
    actors.space.refresh_from_db()
    assert actors.space.name == "Café du Sanitas renommé"
    assert actors.space.is_active is False


# Meeting creation -------------------------------------------------------------------------------


def _next_week_day() -> date:
    return timezone.localdate() + timedelta(days=7)


def _meeting_data(**overrides) -> dict:
    data = {
        "title": "Café des habitants",
        "date": _next_week_day().isoformat(),
        "start_time": "18:00",
        "end_time": "20:00",
        "mode": MeetingMode.IN_PERSON,
        "venue": "Centre social",
        "address": "1 place Neuve, 37000 Tours",
        "access_notes": "Bus 3, arrêt Sanitas",
        "accessibility_notes": "",
        "step_free": "on",
        "online_url": "",
        "capacity": "15",
        "registration_required": "on",
        "agenda": "Le jardin partagé",
        "repeat_every_weeks": "",
        "repeat_until": "",
    }
    data.update(overrides)
    return data


def _codes(response, field: str) -> list[str]:
    return [error.code for error in response.context["form"].errors.as_data().get(field, [])]


def test_facilitator_plans_a_meeting(client, actors, targets):
    user = actors["facilitator_space"]
    actors.login(client, "facilitator_space")
    response = client.post(_url(targets, "meeting_create", "space"), _meeting_data())
    assert response.status_code == 302
    assert response["Location"] == reverse("dialogue:staff_home")
    meeting = Meeting.objects.get(title="Café des habitants")
    assert meeting.dialogue_space == actors.space
    assert meeting.created_by == user
    assert meeting.status == MeetingStatus.PLANNED
    assert meeting.series is None
    assert meeting.capacity == 15
    assert meeting.step_free is True
    local = timezone.localtime(meeting.starts_at)
    assert (local.date(), local.hour, local.minute) == (_next_week_day(), 18, 0)
    assert timezone.localtime(meeting.ends_at).hour == 20


def test_empty_capacity_means_unlimited(client, actors, targets):
    actors.login(client, "coordinator")
    client.post(_url(targets, "meeting_create", "space"), _meeting_data(capacity=""))
    assert Meeting.objects.get(title="Café des habitants").capacity is None


INVALID = [
    (
        {"end_time": "18:00"},
        "end_time",
        "end_before_start",
        "The meeting must end after it starts.",
    ),
    (
        {"end_time": "17:00"},
        "end_time",
        "end_before_start",
        "The meeting must end after it starts.",
    ),
    (
        {"date": (timezone.localdate() - timedelta(days=2)).isoformat()},
        "date",
        "in_the_past",
        "The meeting cannot start in the past.",
    ),
    (
        {"mode": MeetingMode.ONLINE},
        "online_url",
        "online_url_required",
        "Give the link to join an online or hybrid meeting.",
    ),
    (
        {"mode": MeetingMode.HYBRID},
        "online_url",
        "online_url_required",
        "Give the link to join an online or hybrid meeting.",
    ),
    (
        {"address": ""},
        "address",
        "address_required",
        "Give the address where the meeting takes place.",
    ),
    (
        {"capacity": "0"},
        "capacity",
        "min_value",
        "The capacity must be at least 1. Leave it empty for unlimited.",
    ),
    (
        {"capacity": "-4"},
        "capacity",
        "min_value",
        "The capacity must be at least 1. Leave it empty for unlimited.",
    ),
    ({"title": ""}, "title", "required", "This field is required."),
    ({"date": "32/13/2026"}, "date", "invalid", "Enter a valid date."),
    (
        {"repeat_every_weeks": "1", "repeat_until": ""},
        "repeat_until",
        "until_required",
        "Give the date of the last meeting of the series.",
    ),
    (
        {"repeat_until": (timezone.localdate() + timedelta(days=60)).isoformat()},
        "repeat_every_weeks",
        "repeat_required",
        "Choose how often the meeting repeats, or leave the end date empty.",
    ),
    (
        {"repeat_every_weeks": "2", "repeat_until": timezone.localdate().isoformat()},
        "repeat_until",
        "series_end_before_start",
        "The series must end after the date of the first meeting.",
    ),
    (
        {
            "repeat_every_weeks": "1",
            "repeat_until": (timezone.localdate() + timedelta(days=400)).isoformat(),
        },
        "repeat_until",
        "series_too_long",
        "A series can last at most 12 months after the first meeting.",
    ),
    ({"repeat_every_weeks": "9"}, "repeat_every_weeks", "invalid_choice", None),
]


@pytest.mark.parametrize(("overrides", "field", "code", "message"), INVALID)
def test_invalid_meeting_is_refused_with_a_clear_message(
    client, actors, targets, overrides, field, code, message
):
    actors.login(client, "referent_tours", english=True)
    data = _meeting_data(**overrides)
    response = client.post(_url(targets, "meeting_create", "space"), data)
    assert response.status_code == 400
    assert code in _codes(response, field)
    page = response.content.decode()
    if message:
        assert message in page
    # Nothing typed is lost.
    assert "Le jardin partagé" in page
    assert Meeting.objects.filter(title="Café des habitants").count() == 0


def test_too_many_occurrences_is_refused(client, actors, targets, monkeypatch):
    monkeypatch.setattr("dialogue.forms.meetings.MAX_SERIES_OCCURRENCES", 3)
    actors.login(client, "referent_tours", english=True)
    until = _next_week_day() + timedelta(weeks=4)
    data = _meeting_data(repeat_every_weeks="1", repeat_until=until.isoformat())
    response = client.post(_url(targets, "meeting_create", "space"), data)
    assert response.status_code == 400
    assert _codes(response, "repeat_until") == ["too_many_occurrences"]
    assert "A series can have at most 3 meetings: choose an earlier end date." in (
        response.content.decode()
    )


def test_a_series_is_planned_in_one_form(client, actors, targets):
    actors.login(client, "facilitator_sanitas")
    first = _next_week_day()
    until = first + timedelta(weeks=12)
    response = client.post(
        _url(targets, "meeting_create", "space"),
        _meeting_data(repeat_every_weeks="2", repeat_until=until.isoformat()),
    )
    assert response.status_code == 302
    meetings = list(Meeting.objects.filter(title="Café des habitants").order_by("starts_at"))
    assert len(meetings) == 7
    assert len({meeting.series for meeting in meetings}) == 1
    assert meetings[0].series is not None
    for index, meeting in enumerate(meetings):
        local = timezone.localtime(meeting.starts_at)
        assert local.date() == first + timedelta(weeks=2 * index)
        assert (local.hour, local.minute) == (18, 0)
        assert meeting.capacity == 15


def test_series_across_the_change_to_summer_time_keeps_paris_wall_clock(actors, targets):
    """Every week from 18 March to 8 April 2027 at 18:00: clocks go forward on 28 March."""
    form = MeetingForm(
        _meeting_data(
            date="2027-03-18",
            repeat_every_weeks="1",
            repeat_until="2027-04-08",
        ),
        now=timezone.make_aware(datetime(2027, 1, 1)),
    )
    assert form.is_valid(), form.errors
    from dialogue.services.meetings import meeting_create_series

    every_weeks, until = form.series()
    meetings = meeting_create_series(
        space=actors.space,
        by=None,
        every_weeks=every_weeks,
        until=until,
        **form.meeting_fields(),
    )
    locals_ = [timezone.localtime(meeting.starts_at) for meeting in meetings]
    assert [moment.date() for moment in locals_] == [
        date(2027, 3, 18),
        date(2027, 3, 25),
        date(2027, 4, 1),
        date(2027, 4, 8),
    ]
    assert {(moment.hour, moment.minute) for moment in locals_} == {(18, 0)}
    assert {timezone.localtime(meeting.ends_at).hour for meeting in meetings} == {20}
    # In UTC the hour moves: 17:00 in winter time, 16:00 in summer time.
    assert [meeting.starts_at.astimezone(UTC).hour for meeting in meetings] == [
        17,
        17,
        16,
        16,
    ]
    assert len({meeting.series for meeting in meetings}) == 1


# Meeting edition --------------------------------------------------------------------------------


def _edit_data(meeting: Meeting, **overrides) -> dict:
    initial = MeetingForm.initial_from(meeting)
    data = {
        name: ("on" if value is True else "" if value in (None, False) else str(value))
        for name, value in initial.items()
    }
    data.update(
        date=initial["date"].isoformat(),
        start_time=initial["start_time"].strftime("%H:%M"),
        end_time=initial["end_time"].strftime("%H:%M"),
    )
    data.update(overrides)
    return data


def test_edit_form_is_prefilled_and_saves(client, actors, targets):
    meeting = targets["meeting"]
    actors.login(client, "facilitator_space")
    url = _url(targets, "meeting_edit", "meeting")
    response = client.get(url)
    form = response.context["form"]
    assert form["title"].value() == meeting.title
    assert form["start_time"].value().strftime("%H:%M") == "18:00"
    assert "repeat_every_weeks" not in form.fields
    response = client.post(url, _edit_data(meeting, title="Nouveau titre", agenda="Ordre du jour"))
    assert response.status_code == 302
    meeting.refresh_from_db()
    assert (meeting.title, meeting.agenda) == ("Nouveau titre", "Ordre du jour")


def test_capacity_below_confirmed_registrations_is_refused(client, actors, targets):
    meeting = targets["meeting"]
    RegistrationFactory.create_batch(3, meeting=meeting)
    actors.login(client, "referent_tours", english=True)
    response = client.post(
        _url(targets, "meeting_edit", "meeting"), _edit_data(meeting, capacity=2, title="Typé")
    )
    assert response.status_code == 400
    # The page still shows the meeting as saved, and the form what was typed.
    assert "Edit the meeting “Café de novembre”" in response.content.decode()
    assert response.context["form"]["title"].value() == "Typé"
    assert _codes(response, "capacity") == ["capacity_below_confirmed"]
    assert (
        "The capacity cannot be lower than the number of confirmed registrations (3)."
        in response.content.decode()
    )
    meeting.refresh_from_db()
    assert meeting.capacity == 20
    # Exactly the number of confirmed registrations is fine.
    response = client.post(
        _url(targets, "meeting_edit", "meeting"), _edit_data(meeting, capacity=3)
    )
    assert response.status_code == 302


def test_raising_the_capacity_promotes_the_waiting_list(
    client, actors, targets, mailoutbox, django_capture_on_commit_callbacks
):
    meeting = targets["meeting"]
    meeting.capacity = 2
    meeting.save()
    RegistrationFactory.create_batch(2, meeting=meeting)
    now = timezone.now()
    first = RegistrationFactory(
        meeting=meeting,
        email="premier@example.org",
        status=RegistrationStatus.WAITLISTED,
        confirmed_at=None,
        waitlisted_at=now - timedelta(hours=2),
    )
    second = RegistrationFactory(
        meeting=meeting,
        email="second@example.org",
        status=RegistrationStatus.WAITLISTED,
        confirmed_at=None,
        waitlisted_at=now - timedelta(hours=1),
    )
    actors.login(client, "referent_tours")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            _url(targets, "meeting_edit", "meeting"), _edit_data(meeting, capacity=3)
        )
    assert response.status_code == 302
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.status == RegistrationStatus.CONFIRMED
    assert second.status == RegistrationStatus.WAITLISTED
    assert [message.to for message in mailoutbox] == [["premier@example.org"]]


def test_a_new_time_or_place_is_told_to_the_registrants(
    client, actors, targets, mailoutbox, django_capture_on_commit_callbacks
):
    meeting = targets["meeting"]
    RegistrationFactory(meeting=meeting, email="confirme@example.org")
    RegistrationFactory(
        meeting=meeting,
        email="attente@example.org",
        status=RegistrationStatus.WAITLISTED,
        waitlisted_at=timezone.now(),
    )
    RegistrationFactory(meeting=meeting, email="parti@example.org", status="cancelled")
    actors.login(client, "referent_tours")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            _url(targets, "meeting_edit", "meeting"),
            _edit_data(meeting, start_time="18:30", venue="Salle des fêtes"),
        )
    assert response.status_code == 302
    assert sorted(message.to[0] for message in mailoutbox) == [
        "attente@example.org",
        "confirme@example.org",
    ]


def test_editing_only_the_agenda_tells_nobody(
    client, actors, targets, mailoutbox, django_capture_on_commit_callbacks
):
    meeting = targets["meeting"]
    RegistrationFactory(meeting=meeting)
    actors.login(client, "referent_tours")
    with django_capture_on_commit_callbacks(execute=True):
        client.post(_url(targets, "meeting_edit", "meeting"), _edit_data(meeting, agenda="Autre"))
    assert mailoutbox == []


@pytest.mark.parametrize("status", [MeetingStatus.CANCELLED, MeetingStatus.HELD])
def test_held_or_cancelled_meetings_cannot_be_edited(client, actors, targets, status):
    meeting = targets["meeting"]
    Meeting.objects.filter(pk=meeting.pk).update(status=status, cancellation_reason="Grève")
    actors.login(client, "referent_tours")
    url = _url(targets, "meeting_edit", "meeting")
    response = client.post(url, _edit_data(meeting, title="Changé"), follow=True)
    assert response.redirect_chain[0][0] == reverse("dialogue:staff_home")
    assert len(list(response.context["messages"])) == 1
    meeting.refresh_from_db()
    assert meeting.title == "Café de novembre"


def test_a_started_meeting_cannot_be_edited(client, actors, targets):
    meeting = targets["meeting"]
    start = timezone.now() - timedelta(minutes=30)
    Meeting.objects.filter(pk=meeting.pk).update(
        starts_at=start, ends_at=start + timedelta(hours=2)
    )
    actors.login(client, "referent_tours")
    response = client.get(_url(targets, "meeting_edit", "meeting"))
    assert response.status_code == 302


# Duplication ------------------------------------------------------------------------------------


def test_duplicate_prefills_a_week_later_and_copies_no_registration(client, actors, targets):
    meeting = targets["meeting"]
    RegistrationFactory.create_batch(2, meeting=meeting)
    actors.login(client, "facilitator_space")
    url = _url(targets, "meeting_duplicate", "meeting")
    form = client.get(url).context["form"]
    start = timezone.localtime(meeting.starts_at)
    assert form["date"].value() == start.date() + timedelta(weeks=1)
    assert form["title"].value() == meeting.title
    assert "repeat_every_weeks" in form.fields
    data = _edit_data(meeting, date=(start.date() + timedelta(weeks=1)).isoformat())
    data.update(repeat_every_weeks="", repeat_until="")
    response = client.post(url, data)
    assert response.status_code == 302
    copy = Meeting.objects.exclude(pk__in=[meeting.pk, targets["other_meeting"].pk]).get()
    assert copy.title == meeting.title
    assert copy.dialogue_space == meeting.dialogue_space
    assert copy.starts_at == meeting.starts_at + timedelta(weeks=1)
    assert copy.registrations.count() == 0
    assert meeting.registrations.count() == 2


def test_duplicating_an_old_meeting_proposes_a_date_in_the_future(client, actors, targets):
    old = MeetingFactory(
        dialogue_space=actors.space,
        starts_at=timezone.now() - timedelta(days=40),
        ends_at=timezone.now() - timedelta(days=40) + timedelta(hours=2),
        status=MeetingStatus.HELD,
    )
    actors.login(client, "coordinator")
    form = client.get(reverse("dialogue:meeting_duplicate", kwargs={"pk": old.pk})).context["form"]
    proposed = form["date"].value()
    assert proposed > timezone.localdate() - timedelta(days=1)
    assert proposed.weekday() == timezone.localtime(old.starts_at).weekday()


# Cancellation -----------------------------------------------------------------------------------


def test_cancellation_requires_a_reason(client, actors, targets):
    actors.login(client, "referent_tours", english=True)
    response = client.post(_url(targets, "meeting_cancel", "meeting"), {"reason": "   "})
    assert response.status_code == 400
    assert _codes(response, "reason") == ["required"]
    assert "Give the reason for the cancellation: registrants will read it." in (
        response.content.decode()
    )
    targets["meeting"].refresh_from_db()
    assert targets["meeting"].status == MeetingStatus.PLANNED


def test_cancellation_tells_registrants_and_shows_on_the_public_page(
    client, actors, targets, mailoutbox, django_capture_on_commit_callbacks
):
    meeting = targets["meeting"]
    RegistrationFactory(meeting=meeting, email="confirme@example.org")
    actors.login(client, "facilitator_space")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            _url(targets, "meeting_cancel", "meeting"), {"reason": "Salle indisponible"}
        )
    assert response.status_code == 302
    meeting.refresh_from_db()
    assert meeting.status == MeetingStatus.CANCELLED
    assert meeting.cancellation_reason == "Salle indisponible"
    assert [message.to for message in mailoutbox] == [["confirme@example.org"]]
    public = client.get(meeting.get_absolute_url()).content.decode()
    assert "Salle indisponible" in public


def test_cancelling_twice_changes_nothing(client, actors, targets, mailoutbox):
    meeting = targets["meeting"]
    Meeting.objects.filter(pk=meeting.pk).update(
        status=MeetingStatus.CANCELLED, cancellation_reason="Première raison"
    )
    actors.login(client, "referent_tours")
    response = client.post(_url(targets, "meeting_cancel", "meeting"), {"reason": "Seconde"})
    assert response.status_code == 302
    meeting.refresh_from_db()
    assert meeting.cancellation_reason == "Première raison"
    assert mailoutbox == []


def test_a_held_meeting_cannot_be_cancelled(client, actors, targets):
    meeting = targets["meeting"]
    Meeting.objects.filter(pk=meeting.pk).update(status=MeetingStatus.HELD)
    actors.login(client, "referent_tours")
    response = client.post(_url(targets, "meeting_cancel", "meeting"), {"reason": "Trop tard"})
    assert response.status_code == 302
    meeting.refresh_from_db()
    assert meeting.status == MeetingStatus.HELD


# Registrants ------------------------------------------------------------------------------------


def _fill(meeting: Meeting, count: int) -> None:
    now = timezone.now()
    for index in range(count):
        status = RegistrationStatus.WAITLISTED if index % 3 == 2 else RegistrationStatus.CONFIRMED
        RegistrationFactory(
            meeting=meeting,
            status=status,
            phone="06 12 34 56 78",
            waitlisted_at=now - timedelta(minutes=count - index)
            if status == RegistrationStatus.WAITLISTED
            else None,
        )


def test_registrants_page_lists_each_status_and_the_waitlist_in_order(client, actors, targets):
    meeting = targets["meeting"]
    now = timezone.now()
    RegistrationFactory(meeting=meeting, name="Alice Confirmée")
    RegistrationFactory(
        meeting=meeting,
        name="Zoé Arrivée Tôt",
        status=RegistrationStatus.WAITLISTED,
        waitlisted_at=now - timedelta(hours=3),
    )
    RegistrationFactory(
        meeting=meeting,
        name="Bruno Arrivé Tard",
        status=RegistrationStatus.WAITLISTED,
        waitlisted_at=now - timedelta(hours=1),
    )
    RegistrationFactory(meeting=meeting, name="Chloé Invitée", status=RegistrationStatus.PENDING)
    RegistrationFactory(meeting=meeting, name="Denis Parti", status=RegistrationStatus.CANCELLED)
    actors.login(client, "facilitator_space")
    response = client.get(_url(targets, "meeting_registrations", "meeting"))
    assert response.status_code == 200
    assert response["Cache-Control"].startswith("max-age=0")
    assert "no-store" in response["Cache-Control"]
    page = response.content.decode()
    for name in ["Alice Confirmée", "Zoé Arrivée Tôt", "Chloé Invitée", "Denis Parti"]:
        assert name in page
    assert page.index("Zoé Arrivée Tôt") < page.index("Bruno Arrivé Tard")
    assert [r.name for r in response.context["waitlisted"]] == [
        "Zoé Arrivée Tôt",
        "Bruno Arrivé Tard",
    ]


def test_registrants_csv_export(client, actors, targets, caplog):
    meeting = targets["meeting"]
    now = timezone.now()
    RegistrationFactory(meeting=meeting, name="Élodie Confirmée", phone="06 00 00 00 00")
    RegistrationFactory(
        meeting=meeting,
        name='=HYPERLINK("http://evil")',
        status=RegistrationStatus.WAITLISTED,
        waitlisted_at=now,
    )
    RegistrationFactory(meeting=meeting, name="Denis Parti", status=RegistrationStatus.CANCELLED)
    user = actors["referent_tours"]
    actors.login(client, "referent_tours", english=True)
    with caplog.at_level(logging.INFO, logger="dialogue.views.staff"):
        response = client.get(_url(targets, "meeting_registrations", "meeting") + "?format=csv")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert "attachment;" in response["Content-Disposition"]
    body = response.content.decode("utf-8")
    assert body.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(body[1:]), delimiter=";"))
    assert rows[0] == [
        "Name",
        "Email address",
        "Phone",
        "Status",
        "Registered at",
        "Position on the waiting list",
    ]
    assert rows[1][0] == "Élodie Confirmée"
    assert rows[1][2] == "06 00 00 00 00"
    assert rows[1][3] == "Confirmed"
    assert rows[2][0] == '\'=HYPERLINK("http://evil")'
    assert rows[2][5] == "1"
    assert len(rows) == 3  # the cancelled registration is left out
    record = next(r for r in caplog.records if r.getMessage() == "registrant list exported")
    assert (record.user_id, record.meeting_id, record.rows) == (user.pk, meeting.pk, 2)


def test_registrants_csv_headers_are_french_by_default(client, actors, targets):
    actors.login(client, "coordinator")
    response = client.get(_url(targets, "meeting_registrations", "meeting") + "?format=csv")
    header = response.content.decode("utf-8")[1:].splitlines()[0]
    with translation.override("fr"):
        assert header.split(";")[0] == translation.gettext("Name")


@pytest.mark.parametrize("count", [3, 30])
def test_registrants_query_count_does_not_grow(
    client, actors, targets, django_assert_num_queries, count
):
    _fill(targets["meeting"], count)
    actors.login(client, "referent_tours")
    url = _url(targets, "meeting_registrations", "meeting")
    # session, user, scopes, meeting with seats, registrations (+ the menu of QPV, base.html)
    with django_assert_num_queries(6):
        assert client.get(url).status_code == 200
    # The export also writes its audit log entry: one INSERT, the content type being cached as on
    # a live server.
    from django.contrib.contenttypes.models import ContentType

    ContentType.objects.get_for_model(Meeting)
    with django_assert_num_queries(6):
        assert client.get(url + "?format=csv").status_code == 200
