"""Check-in at the door: every view for every role, presence, walk-ins (one, details, many), undo,
saving the attendance, the time rules, bad input, the attendance summary in SQL, query counts."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from dialogue.models import (
    AttendeeCategory,
    Meeting,
    MeetingStatus,
    Registration,
    RegistrationStatus,
    WalkIn,
)
from dialogue.selectors.attendance import attendance_summaries, attendance_summary
from tests.dialogue.factories import MeetingFactory, RegistrationFactory

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
# The delegate of Sanitas sees the meeting (its log), not its door: 403. The others do not see it
# at all: 404, as for an unknown meeting.
SEES = LOCAL_STAFF | {"delegate_sanitas"}


def _now_meeting(space, **fields) -> Meeting:
    """A meeting that started half an hour ago."""
    start = timezone.now() - timedelta(minutes=30)
    return MeetingFactory(
        dialogue_space=space, starts_at=start, ends_at=start + timedelta(hours=2), **fields
    )


@pytest.fixture
def meeting(actors):
    """A meeting of Café du Sanitas that started half an hour ago: Awa Diallo and Karim Benali
    registered, Léa Martin on the waiting list."""
    meeting = _now_meeting(actors.space, title="Café de novembre")
    RegistrationFactory(meeting=meeting, name="Awa Diallo", email="awa@example.org")
    RegistrationFactory(meeting=meeting, name="Karim Benali")
    RegistrationFactory(
        meeting=meeting,
        name="Léa Martin",
        status=RegistrationStatus.WAITLISTED,
        waitlisted_at=timezone.now(),
    )
    return meeting


@pytest.fixture
def registrants(meeting):
    """The meeting's registrations: "awa", "karim", and "waiting" (Léa Martin)."""
    by_name = {registration.name: registration for registration in meeting.registrations.all()}
    return {
        "awa": by_name["Awa Diallo"],
        "karim": by_name["Karim Benali"],
        "waiting": by_name["Léa Martin"],
    }


def _url(name: str, meeting: Meeting, **kwargs) -> str:
    return reverse(f"dialogue:{name}", kwargs={"pk": meeting.pk, **kwargs})


def _assert_refused_for(response, actor: str) -> None:
    if actor == "visitor":
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("account_login"))
    else:
        assert response.status_code == (403 if actor in SEES else 404)


# Access -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("view", ["checkin", "walkin_bulk"])
@pytest.mark.parametrize("actor", ACTORS)
def test_check_in_pages_by_role(client, actors, meeting, view, actor):
    actors.login(client, actor, english=True)
    response = client.get(_url(view, meeting))
    if actor in LOCAL_STAFF:
        assert response.status_code == 200
        assert response.content.decode().count("<h1") == 1
    else:
        _assert_refused_for(response, actor)


@pytest.mark.parametrize("actor", ACTORS)
def test_every_write_is_refused_out_of_scope_and_changes_nothing(
    client, actors, meeting, registrants, actor
):
    if actor in LOCAL_STAFF:
        return
    actors.login(client, actor, english=True)
    posts = [
        (_url("checkin_toggle", meeting, registration_pk=registrants["awa"].pk), {"present": "1"}),
        (_url("walkin_add", meeting), {"category": "resident"}),
        (_url("walkin_bulk", meeting), {"category": "resident", "count": "3"}),
        (_url("checkin_undo", meeting), {}),
        (_url("attendance_save", meeting), {}),
    ]
    for url, data in posts:
        _assert_refused_for(client.post(url, data), actor)
    registrants["awa"].refresh_from_db()
    meeting.refresh_from_db()
    assert registrants["awa"].attended is None
    assert not WalkIn.objects.exists()
    assert meeting.attendance_saved_at is None
    assert meeting.status == MeetingStatus.PLANNED


@pytest.mark.parametrize("view", ["checkin", "checkin_toggle", "walkin_add", "checkin_undo"])
def test_get_or_post_only(client, actors, meeting, registrants, view):
    actors.login(client, "coordinator", english=True)
    kwargs = {"registration_pk": registrants["awa"].pk} if view == "checkin_toggle" else {}
    url = _url(view, meeting, **kwargs)
    response = client.post(url) if view == "checkin" else client.get(url)
    assert response.status_code == 405


def test_unknown_meeting_is_404(client, actors):
    actors.login(client, "coordinator", english=True)
    assert client.get(reverse("dialogue:checkin", kwargs={"pk": 999999})).status_code == 404


# The page ---------------------------------------------------------------------------------------


def test_page_lists_confirmed_and_waitlisted_apart_with_counters(
    client, actors, meeting, registrants
):
    RegistrationFactory(meeting=meeting, name="Guest Pending", status=RegistrationStatus.PENDING)
    RegistrationFactory(
        meeting=meeting, name="Guest Cancelled", status=RegistrationStatus.CANCELLED
    )
    WalkIn.objects.create(meeting=meeting, category=AttendeeCategory.ELECTED)
    registrants["awa"].attended = True
    registrants["awa"].save()
    actors.login(client, "facilitator_space", english=True)
    page = client.get(_url("checkin", meeting)).content.decode()
    assert page.index("Awa Diallo") < page.index("Karim Benali") < page.index("Léa Martin")
    assert page.index("Confirmed (2)") < page.index("On the waiting list (1)")
    assert "Guest Pending" not in page and "Guest Cancelled" not in page
    assert 'id="checkin-counters"' in page
    assert 'aria-pressed="true"' in page  # Awa
    assert "Elected representative: 1" in page


def test_search_filters_the_names(client, actors, meeting):
    actors.login(client, "facilitator_space", english=True)
    page = client.get(_url("checkin", meeting), {"q": "kari"}).content.decode()
    assert "Karim Benali" in page and "Awa Diallo" not in page
    assert 'name="q" value="kari"' in page


# Presence ---------------------------------------------------------------------------------------


def test_ticking_a_registrant_without_javascript(client, actors, meeting, registrants):
    actors.login(client, "facilitator_space", english=True)
    awa = registrants["awa"]
    url = _url("checkin_toggle", meeting, registration_pk=awa.pk)
    response = client.post(url, {"present": "1"})
    assert response.status_code == 302
    assert response["Location"] == _url("checkin", meeting) + f"#inscrit-{awa.pk}"
    awa.refresh_from_db()
    assert awa.attended is True
    assert abs(awa.checked_in_at - timezone.now()) < timedelta(seconds=10)
    # A second tap from another device asking for the same state changes nothing.
    client.post(url, {"present": "1"})
    awa.refresh_from_db()
    assert awa.attended is True
    client.post(url, {"present": "0"})
    awa.refresh_from_db()
    assert (awa.attended, awa.checked_in_at) == (False, None)


def test_ticking_a_registrant_with_htmx_swaps_the_row_and_the_counters(
    client, actors, meeting, registrants
):
    actors.login(client, "facilitator_space", english=True)
    awa = registrants["awa"]
    response = client.post(
        _url("checkin_toggle", meeting, registration_pk=awa.pk),
        {"present": "1"},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert html.lstrip().startswith("<li")
    assert f'id="inscrit-{awa.pk}"' in html
    assert 'aria-pressed="true"' in html
    assert 'id="checkin-counters"' in html and 'data-hx-swap-oob="innerHTML"' in html
    assert "<h1" not in html


def test_a_waitlisted_registrant_can_be_ticked(client, actors, meeting, registrants):
    actors.login(client, "facilitator_space", english=True)
    url = _url("checkin_toggle", meeting, registration_pk=registrants["waiting"].pk)
    client.post(url, {"present": "1"})
    registrants["waiting"].refresh_from_db()
    assert registrants["waiting"].attended is True


def test_a_registrant_of_another_meeting_is_404(client, actors, meeting):
    other = RegistrationFactory(meeting=_now_meeting(actors.space))
    pending = RegistrationFactory(meeting=meeting, status=RegistrationStatus.PENDING)
    actors.login(client, "coordinator", english=True)
    for registration in (other, pending):
        url = _url("checkin_toggle", meeting, registration_pk=registration.pk)
        assert client.post(url, {"present": "1"}).status_code == 404
        registration.refresh_from_db()
        assert registration.attended is None


def test_a_strange_presence_value_is_refused(client, actors, meeting, registrants):
    actors.login(client, "coordinator", english=True)
    url = _url("checkin_toggle", meeting, registration_pk=registrants["awa"].pk)
    response = client.post(url, {"present": "maybe"})
    assert response.status_code == 400
    assert "Tick or untick the person" in response.content.decode()
    registrants["awa"].refresh_from_db()
    assert registrants["awa"].attended is None


# Walk-ins ---------------------------------------------------------------------------------------


def test_one_tap_counts_a_walk_in_then_a_second_sets_its_details(client, actors, meeting):
    actors.login(client, "facilitator_space", english=True)
    response = client.post(_url("walkin_add", meeting), {"category": "association"})
    assert response.status_code == 302
    assert response["Location"].endswith("#walkin-details")
    walk_in = WalkIn.objects.get()
    assert (walk_in.category, walk_in.gender, walk_in.age_band, walk_in.first_time) == (
        "association",
        "",
        "",
        None,
    )
    assert walk_in.created_by == actors["facilitator_space"]
    page = client.get(_url("checkin", meeting)).content.decode()
    assert 'id="walkin-details"' in page
    assert f'name="walkin" value="{walk_in.pk}"' in page
    for data in ({"gender": "woman"}, {"age_band": "26_40"}, {"first_time": "yes"}):
        response = client.post(_url("walkin_add", meeting), {"walkin": walk_in.pk, **data})
        assert response.status_code == 302
    walk_in.refresh_from_db()
    assert (walk_in.gender, walk_in.age_band, walk_in.first_time) == ("woman", "26_40", True)
    # "Unknown" puts the first time back to unknown; the other details stay.
    client.post(_url("walkin_add", meeting), {"walkin": walk_in.pk, "first_time": ""})
    walk_in.refresh_from_db()
    assert (walk_in.gender, walk_in.first_time) == ("woman", None)
    assert WalkIn.objects.count() == 1


def test_walk_in_with_htmx_returns_the_panel_and_the_counters(client, actors, meeting):
    actors.login(client, "facilitator_space", english=True)
    response = client.post(
        _url("walkin_add", meeting),
        {"category": "resident"},
        headers={"HX-Request": "true"},
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert html.lstrip().startswith('<div id="checkin-walkins"')
    assert 'id="walkin-details"' in html
    assert "data-hx-swap-oob" in html
    walk_in = WalkIn.objects.get()
    response = client.post(
        _url("walkin_add", meeting),
        {"walkin": walk_in.pk, "gender": "man"},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200
    assert 'id="walkin-gender-man"' in response.content.decode()
    walk_in.refresh_from_db()
    assert walk_in.gender == "man"


@pytest.mark.parametrize(
    "data",
    [
        {"category": "mayor"},
        {"category": ""},
        {},
        {"walkin": "{pk}", "gender": "robot"},
        {"walkin": "{pk}", "age_band": "200"},
        {"walkin": "{pk}", "first_time": "perhaps"},
        {"walkin": "abc", "gender": "woman"},
    ],
)
def test_bad_walk_in_input_is_refused(client, actors, meeting, data):
    walk_in = WalkIn.objects.create(meeting=meeting, category="resident")
    data = {key: value.replace("{pk}", str(walk_in.pk)) for key, value in data.items()}
    actors.login(client, "facilitator_space", english=True)
    response = client.post(_url("walkin_add", meeting), data)
    assert response.status_code == 400
    assert 'class="alert alert-danger"' in response.content.decode()
    assert WalkIn.objects.count() == 1
    walk_in.refresh_from_db()
    assert (walk_in.gender, walk_in.age_band, walk_in.first_time) == ("", "", None)


def test_bad_input_with_htmx_reloads_the_page(client, actors, meeting):
    actors.login(client, "facilitator_space", english=True)
    response = client.post(
        _url("walkin_add", meeting), {"category": "mayor"}, headers={"HX-Request": "true"}
    )
    assert response.status_code == 400
    assert response["HX-Refresh"] == "true"


def test_details_of_a_walk_in_of_another_meeting_is_404(client, actors, meeting):
    other = WalkIn.objects.create(meeting=_now_meeting(actors.space), category="resident")
    actors.login(client, "facilitator_space", english=True)
    response = client.post(_url("walkin_add", meeting), {"walkin": other.pk, "gender": "man"})
    assert response.status_code == 404
    other.refresh_from_db()
    assert other.gender == ""


# Several walk-ins at once -----------------------------------------------------------------------


def test_bulk_form_is_preselected_by_category(client, actors, meeting):
    actors.login(client, "facilitator_space", english=True)
    response = client.get(_url("walkin_bulk", meeting), {"categorie": "institution"})
    assert response.status_code == 200
    checked = re.findall(r"<input[^>]*\bchecked\b[^>]*>", response.content.decode())
    assert len(checked) == 1 and 'value="institution"' in checked[0]


def test_bulk_walk_ins_with_breakdowns(client, actors, meeting):
    actors.login(client, "facilitator_space", english=True)
    data = {
        "category": "resident",
        "count": "10",
        "women": "6",
        "men": "3",
        "other_gender": "",
        "gender_not_said": "1",
        "age_18_25": "2",
        "age_over_75": "1",
        "first_time": "4",
        "returning": "5",
    }
    response = client.post(_url("walkin_bulk", meeting), data)
    assert response.status_code == 302
    walk_ins = WalkIn.objects.filter(meeting=meeting)
    assert walk_ins.count() == 10
    assert set(walk_ins.values_list("category", flat=True)) == {"resident"}
    assert walk_ins.filter(gender="woman").count() == 6
    assert walk_ins.filter(gender="man").count() == 3
    assert walk_ins.filter(gender="").count() == 1
    assert walk_ins.filter(age_band="18_25").count() == 2
    assert walk_ins.filter(age_band="over_75").count() == 1
    assert walk_ins.filter(age_band="").count() == 7
    assert walk_ins.filter(first_time=True).count() == 4
    assert walk_ins.filter(first_time=False).count() == 5
    assert walk_ins.filter(first_time__isnull=True).count() == 1
    page = client.get(response["Location"]).content.decode()
    assert "10 walk-ins counted." in page
    # Undo takes the whole batch back.
    client.post(_url("checkin_undo", meeting))
    assert not WalkIn.objects.exists()


BAD_BULK = [
    ({"count": "-3"}, "count", "Enter at least 1 person."),
    ({"count": "0"}, "count", "Enter at least 1 person."),
    ({"count": "501"}, "count", "At most 500 people at once."),
    ({"count": "douze"}, "count", "Enter a whole number."),
    ({"count": ""}, "count", "Enter how many people came."),
    ({"women": "-1"}, "women", "A number of people cannot be negative."),
    (
        {"women": "3", "men": "2", "gender_not_said": "1"},
        "women",
        "Women, men, other and not said add up to 6 people: more than the 5 people counted.",
    ),
    (
        {"age_18_25": "4", "age_61_75": "2"},
        "age_under_18",
        "The age bands add up to 6 people: more than the 5 people counted.",
    ),
    (
        {"first_time": "5", "returning": "1"},
        "first_time",
        "First time and already came add up to 6 people: more than the 5 people counted.",
    ),
    ({"category": "mayor"}, "category", None),
]


@pytest.mark.parametrize(("overrides", "field", "message"), BAD_BULK)
def test_absurd_bulk_counts_are_refused_and_keep_what_was_typed(
    client, actors, meeting, overrides, field, message
):
    actors.login(client, "facilitator_space", english=True)
    data = {"category": "institution", "count": "5", "men": "1", **overrides}
    response = client.post(_url("walkin_bulk", meeting), data)
    assert response.status_code == 400
    form = response.context["form"]
    assert field in form.errors
    page = response.content.decode()
    if message:
        assert message in page
    assert f'value="{data["men"]}"' in page
    assert not WalkIn.objects.exists()


# Undo -------------------------------------------------------------------------------------------


def test_undo_takes_back_the_last_actions_in_order(client, actors, meeting, registrants):
    actors.login(client, "facilitator_space", english=True)
    awa = registrants["awa"]
    client.post(_url("walkin_add", meeting), {"category": "resident"})
    client.post(_url("checkin_toggle", meeting, registration_pk=awa.pk), {"present": "1"})
    client.post(_url("checkin_toggle", meeting, registration_pk=awa.pk), {"present": "0"})
    undo = _url("checkin_undo", meeting)
    response = client.post(undo, follow=True)
    awa.refresh_from_db()
    assert awa.attended is True and awa.checked_in_at is not None
    assert "Undone: the last presence ticked is back as it was." in response.content.decode()
    client.post(undo)
    awa.refresh_from_db()
    assert (awa.attended, awa.checked_in_at) == (None, None)
    assert WalkIn.objects.count() == 1
    response = client.post(undo, follow=True)
    assert not WalkIn.objects.exists()
    assert "Undone: 1 walk-in removed." in response.content.decode()
    response = client.post(undo, follow=True)
    assert "Nothing to undo." in response.content.decode()


def test_undo_is_per_device(client, actors, meeting):
    """Another facilitator's undo does not take back my walk-in."""
    from tests.helpers import PortalClient

    actors.login(client, "facilitator_space", english=True)
    client.post(_url("walkin_add", meeting), {"category": "resident"})
    other = PortalClient()
    actors.login(other, "coordinator")
    other.post(_url("checkin_undo", meeting))
    assert WalkIn.objects.count() == 1


# Time rules -------------------------------------------------------------------------------------


def test_a_future_meeting_cannot_be_checked_in(client, actors, meeting):
    future = MeetingFactory(dialogue_space=actors.space)  # next week
    registration = RegistrationFactory(meeting=future)
    actors.login(client, "facilitator_space", english=True)
    page = client.get(_url("checkin", future))
    assert page.status_code == 200
    html = page.content.decode()
    assert "The check-in opens two hours before the start" in html
    assert _url("walkin_add", future) not in html
    posts = [
        (_url("checkin_toggle", future, registration_pk=registration.pk), {"present": "1"}),
        (_url("walkin_add", future), {"category": "resident"}),
        (_url("walkin_bulk", future), {"category": "resident", "count": "3"}),
        (_url("checkin_undo", future), {}),
        (_url("attendance_save", future), {}),
    ]
    for url, data in posts:
        response = client.post(url, data)
        assert response.status_code == 400, url
    registration.refresh_from_db()
    future.refresh_from_db()
    assert registration.attended is None
    assert not WalkIn.objects.exists()
    assert (future.status, future.attendance_saved_at) == (MeetingStatus.PLANNED, None)


def test_check_in_opens_two_hours_before_but_saving_waits_for_the_start(client, actors, meeting):
    soon = MeetingFactory(
        dialogue_space=actors.space,
        starts_at=timezone.now() + timedelta(minutes=90),
        ends_at=timezone.now() + timedelta(hours=3),
    )
    actors.login(client, "facilitator_space", english=True)
    assert client.post(_url("walkin_add", soon), {"category": "resident"}).status_code == 302
    assert WalkIn.objects.filter(meeting=soon).count() == 1
    response = client.post(_url("attendance_save", soon))
    assert response.status_code == 400
    assert "once the meeting has started" in response.content.decode()
    soon.refresh_from_db()
    assert soon.status == MeetingStatus.PLANNED


def test_a_cancelled_meeting_is_refused(client, actors, meeting):
    Meeting.objects.filter(pk=meeting.pk).update(
        status=MeetingStatus.CANCELLED, cancellation_reason="Salle fermée"
    )
    actors.login(client, "facilitator_space", english=True)
    assert "cancelled" in client.get(_url("checkin", meeting)).content.decode()
    response = client.post(_url("walkin_add", meeting), {"category": "resident"})
    assert response.status_code == 400
    response = client.post(_url("attendance_save", meeting))
    assert response.status_code == 400
    assert not WalkIn.objects.exists()


def test_a_long_past_meeting_can_still_be_logged_from_the_paper_sheet(client, actors, meeting):
    old = MeetingFactory(
        dialogue_space=actors.space,
        starts_at=timezone.now() - timedelta(days=20),
        ends_at=timezone.now() - timedelta(days=20) + timedelta(hours=2),
    )
    actors.login(client, "facilitator_space", english=True)
    assert client.post(_url("walkin_add", old), {"category": "resident"}).status_code == 302
    assert client.post(_url("attendance_save", old)).status_code == 302


# Saving the attendance --------------------------------------------------------------------------


def test_saving_marks_held_counts_absentees_and_sends_the_survey_once(
    client, actors, meeting, registrants, mailoutbox, django_capture_on_commit_callbacks
):
    awa = registrants["awa"]
    actors.login(client, "facilitator_space", english=True)
    client.post(_url("checkin_toggle", meeting, registration_pk=awa.pk), {"present": "1"})
    client.post(_url("walkin_add", meeting), {"category": "resident"})
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(_url("attendance_save", meeting))
    assert response.status_code == 302
    assert response["Location"] == _url("meeting_log", meeting)
    meeting.refresh_from_db()
    assert meeting.status == MeetingStatus.HELD
    assert meeting.attendance_saved_at is not None
    assert meeting.feedback_sent_at is not None
    registrants["karim"].refresh_from_db()
    assert registrants["karim"].attended is False  # confirmed, not ticked: absent
    assert [message.to for message in mailoutbox] == [["awa@example.org"]]
    page = client.get(response["Location"]).content.decode()
    assert "The attendance is saved: 2 people present." in page
    # Corrections later: saved again, no second survey.
    first_saved = meeting.attendance_saved_at
    client.post(
        _url("checkin_toggle", meeting, registration_pk=registrants["karim"].pk), {"present": "1"}
    )
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(_url("attendance_save", meeting), follow=True)
    assert "The corrections of the attendance are saved." in response.content.decode()
    meeting.refresh_from_db()
    assert meeting.attendance_saved_at > first_saved
    assert len(mailoutbox) == 1


def test_the_save_button_is_on_the_page_once_started(client, actors, meeting):
    actors.login(client, "facilitator_space", english=True)
    html = client.get(_url("checkin", meeting)).content.decode()
    assert _url("attendance_save", meeting) in html


# The attendance summary -------------------------------------------------------------------------


def _at(days_ago: int) -> dict:
    start = timezone.now() - timedelta(days=days_ago)
    return {"starts_at": start, "ends_at": start + timedelta(hours=2)}


def test_attendance_summary_on_a_hand_made_dataset(actors, meeting):
    space = actors.space
    earlier = MeetingFactory(dialogue_space=space, **_at(60))
    later = MeetingFactory(dialogue_space=space, **_at(1))
    meeting = MeetingFactory(dialogue_space=space, **_at(30))
    # Came to the earlier meeting: returning today. Registered earlier but absent: first time.
    RegistrationFactory(meeting=earlier, email="back@example.org", attended=True)
    RegistrationFactory(meeting=earlier, email="absent@example.org", attended=False)
    # Only at a later meeting: that does not make today a return.
    RegistrationFactory(meeting=later, email="new@example.org", attended=True)
    RegistrationFactory(
        meeting=meeting, email="back@example.org", attended=True, gender="woman", age_band="41_60"
    )
    RegistrationFactory(meeting=meeting, email="absent@example.org", attended=True, gender="man")
    RegistrationFactory(meeting=meeting, email="new@example.org", attended=True)
    RegistrationFactory(meeting=meeting, email="noshow@example.org", attended=False)
    RegistrationFactory(meeting=meeting, email="unknown@example.org", attended=None)
    walk_ins = [
        ("resident", "woman", "18_25", True),
        ("resident", "woman", "", None),
        ("association", "other", "41_60", False),
        ("institution", "", "", None),
        ("elected", "man", "over_75", False),
    ]
    for category, gender, age_band, first_time in walk_ins:
        WalkIn.objects.create(
            meeting=meeting,
            category=category,
            gender=gender,
            age_band=age_band,
            first_time=first_time,
        )
    WalkIn.objects.create(meeting=earlier, category="resident")  # another meeting's
    summary = attendance_summary(meeting)
    assert summary.registrants_present == 3
    assert summary.walk_ins == 5
    assert summary.total == 8
    assert summary.residents == 5
    assert summary.professionals == 3
    assert [(t.value, t.count) for t in summary.walk_ins_by_category] == [
        ("resident", 2),
        ("association", 1),
        ("institution", 1),
        ("elected", 1),
    ]
    assert (summary.women, summary.men, summary.other_gender, summary.gender_not_said) == (
        3,
        2,
        1,
        2,
    )
    assert {t.value: t.count for t in summary.age_bands} == {
        "under_18": 0,
        "18_25": 1,
        "26_40": 0,
        "41_60": 2,
        "61_75": 0,
        "over_75": 1,
        "": 4,
    }
    assert summary.age_bands[-1].value == ""  # "not said" last
    # Registrants: back@ returns; absent@ and new@ come for the first time. Walk-ins as declared.
    assert (summary.first_time, summary.returning, summary.first_time_unknown) == (3, 3, 2)
    assert sum(t.count for t in summary.genders) == summary.total


def test_summary_of_a_meeting_nobody_came_to(meeting):
    summary = attendance_summary(meeting)
    assert summary.total == 0
    assert [t.count for t in summary.age_bands] == [0] * 7


def _crowd(meeting: Meeting, count: int) -> None:
    Registration.objects.bulk_create(
        Registration(
            meeting=meeting,
            name=f"Personne {index}",
            email=f"crowd{meeting.pk}-{index}@example.org",
            status=RegistrationStatus.CONFIRMED,
            attended=index % 3 != 0,
            gender=["woman", "man", ""][index % 3],
        )
        for index in range(count)
    )
    WalkIn.objects.bulk_create(
        WalkIn(meeting=meeting, category=AttendeeCategory.values[index % 4])
        for index in range(count)
    )


@pytest.mark.parametrize("count", [3, 40])
def test_summary_costs_two_queries_whatever_the_number_of_attendees(actors, meeting, count):
    _crowd(meeting, count)
    other = _now_meeting(actors.space)
    _crowd(other, count)
    with CaptureQueriesContext(connection) as one:
        attendance_summary(meeting)
    with CaptureQueriesContext(connection) as many:
        summaries = attendance_summaries(Meeting.objects.filter(pk__in=[meeting.pk, other.pk]))
    assert len(one) == 2
    assert len(many) == 2
    assert summaries[other.pk] == attendance_summary(other)
    assert summaries[other.pk].walk_ins == count


@pytest.mark.parametrize("count", [3, 40])
def test_check_in_page_query_count_does_not_grow(
    client, actors, meeting, django_assert_num_queries, count
):
    _crowd(meeting, count)
    actors.login(client, "referent_tours", english=True)
    client.post(_url("walkin_add", meeting), {"category": "resident"})
    url = _url("checkin", meeting)
    # session, user, scopes, meeting, registrations, the 2 aggregates of the summary, the last
    # walk-in (its details panel), the menu of QPV (base.html)
    with django_assert_num_queries(9):
        response = client.get(url)
    assert response.status_code == 200
