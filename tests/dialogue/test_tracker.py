"""The speaking-time tracker: roles, the services' semantics with explicit times, the summary's
exact values, bad input, opening hours, query counts, and two devices tapping at once (PostgreSQL)."""

from __future__ import annotations

import itertools
import threading
from datetime import timedelta

import pytest
from django.db import IntegrityError, connection, connections, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation

from dialogue.models import Meeting, MeetingStatus, SpeakerCategory, SpeakingTurn
from dialogue.services import speaking
from dialogue.services.speaking import SpeakingError
from tests.dialogue.factories import MeetingFactory

pytestmark = pytest.mark.django_db

R = SpeakerCategory.RESIDENT
A = SpeakerCategory.ASSOCIATION
I = SpeakerCategory.INSTITUTION  # noqa: E741
E = SpeakerCategory.ELECTED
F = SpeakerCategory.FACILITATOR


def _hour_ago(hours: int):
    return timezone.localtime().replace(minute=0, second=0, microsecond=0) - timedelta(hours=hours)


def open_meeting(**kwargs) -> Meeting:
    """A meeting that began on the hour, three hours ago at most: its tracker is open."""
    starts_at = kwargs.pop("starts_at", _hour_ago(1))
    return MeetingFactory(starts_at=starts_at, ends_at=starts_at + timedelta(hours=2), **kwargs)


@pytest.fixture
def meeting(actors):
    """A meeting of Café du Sanitas that began an hour ago: its tracker is open."""
    return open_meeting(dialogue_space=actors.space)


ALLOWED = {"facilitator_sanitas", "referent_tours", "coordinator"}
# The delegate sees the meeting (its log) but may not run the tracker: 403. The others do not see
# it at all: 404, as for an unknown meeting.
SEES = ALLOWED | {"delegate_all"}
ACTORS = [
    "visitor",
    "resident",
    "facilitator_sanitas",
    "facilitator_rabiere",
    "referent_tours",
    "referent_joue",
    "correspondent",
    "delegate_all",
    "coordinator",
]
# (view, method, data, status when allowed)
VIEWS = [
    ("tracker", "get", None, 200),
    ("tracker_state", "get", None, 200),
    ("tracker_start", "post", {"category": "resident"}, 302),
    ("tracker_stop", "post", {}, 302),
    ("tracker_pause", "post", {}, 302),
    ("tracker_speakers", "post", {"delta": "1"}, 302),
    ("turn_add", "post", {}, 400),  # an empty form: refused, but only once allowed in
]


@pytest.mark.parametrize("actor", ACTORS)
@pytest.mark.parametrize(("view", "method", "data", "ok"), VIEWS)
def test_access(client, actors, meeting, actor, view, method, data, ok):
    actors.login(client, actor)
    url = reverse(f"dialogue:{view}", kwargs={"pk": meeting.pk})
    response = getattr(client, method)(url, data or {})
    if actor == "visitor":
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("account_login"))
    elif actor in ALLOWED:
        assert response.status_code == ok
    else:
        assert response.status_code == (403 if actor in SEES else 404)
    # Nothing is written by those who may not.
    if actor not in ALLOWED:
        assert not SpeakingTurn.objects.exists()
        meeting.refresh_from_db()
        assert meeting.residents_who_spoke is None
        assert meeting.tracker_paused is False


def test_unknown_meeting_is_404(client, actors):
    actors.login(client, "coordinator")
    assert client.get(reverse("dialogue:tracker", kwargs={"pk": 999999})).status_code == 404


def test_views_refuse_the_wrong_method(client, actors, meeting):
    actors.login(client, "coordinator")
    pk = meeting.pk
    assert client.get(reverse("dialogue:tracker_start", kwargs={"pk": pk})).status_code == 405
    assert client.post(reverse("dialogue:tracker_state", kwargs={"pk": pk})).status_code == 405


# Services: the live tracker with explicit times -------------------------------------------------


def test_start_closes_the_running_turn_at_the_same_instant():
    meeting = open_meeting()
    t0 = meeting.starts_at + timedelta(minutes=5)
    first = speaking.turn_start(meeting=meeting, category=R, by=None, at=t0)
    second = speaking.turn_start(
        meeting=meeting, category=I, by=None, at=t0 + timedelta(seconds=60)
    )
    first.refresh_from_db()
    assert first.ended_at == t0 + timedelta(seconds=60)
    assert second.started_at == t0 + timedelta(seconds=60)
    assert second.ended_at is None
    assert list(SpeakingTurn.objects.running()) == [second]

    stopped = speaking.turn_stop(meeting=meeting, at=t0 + timedelta(seconds=90))
    assert stopped == second
    assert stopped.ended_at == t0 + timedelta(seconds=90)
    assert speaking.turn_stop(meeting=meeting, at=t0 + timedelta(seconds=95)) is None
    assert not SpeakingTurn.objects.running().exists()


def test_same_category_twice_at_once_keeps_the_turn_later_starts_a_new_one():
    meeting = open_meeting()
    t0 = meeting.starts_at + timedelta(minutes=5)
    first = speaking.turn_start(meeting=meeting, category=R, at=t0)
    double_tap = speaking.turn_start(meeting=meeting, category=R, at=t0 + timedelta(seconds=1))
    assert double_tap == first
    # Another resident takes the floor: a new turn of the same category.
    next_resident = speaking.turn_start(meeting=meeting, category=R, at=t0 + timedelta(seconds=40))
    assert next_resident != first
    first.refresh_from_db()
    assert first.ended_at == t0 + timedelta(seconds=40)
    assert SpeakingTurn.objects.count() == 2


def test_pause_stops_the_turn_and_starting_resumes():
    meeting = open_meeting()
    t0 = meeting.starts_at + timedelta(minutes=5)
    turn = speaking.turn_start(meeting=meeting, category=E, at=t0)
    assert speaking.tracker_toggle_pause(meeting=meeting, at=t0 + timedelta(seconds=30)) is True
    turn.refresh_from_db()
    assert turn.ended_at == t0 + timedelta(seconds=30)
    meeting.refresh_from_db()
    assert meeting.tracker_paused is True

    speaking.turn_start(meeting=meeting, category=A, at=t0 + timedelta(seconds=50))
    meeting.refresh_from_db()
    assert meeting.tracker_paused is False

    # Pause with nobody speaking, then resume: no turn starts.
    speaking.turn_stop(meeting=meeting, at=t0 + timedelta(seconds=60))
    assert speaking.tracker_toggle_pause(meeting=meeting, at=t0 + timedelta(seconds=61)) is True
    assert speaking.tracker_toggle_pause(meeting=meeting, at=t0 + timedelta(seconds=62)) is False
    assert not SpeakingTurn.objects.running().exists()
    assert SpeakingTurn.objects.count() == 2


def test_unknown_category_is_refused():
    meeting = open_meeting()
    with pytest.raises(SpeakingError) as error:
        speaking.turn_start(meeting=meeting, category="mayor", at=meeting.starts_at)
    assert error.value.field == "category"


def test_summary_exact_values():
    meeting = open_meeting()
    t0 = meeting.starts_at + timedelta(minutes=5)

    def at(seconds: int):
        return t0 + timedelta(seconds=seconds)

    speaking.turn_start(meeting=meeting, category=R, at=at(0))  # resident 0-60
    speaking.turn_start(meeting=meeting, category=I, at=at(60))  # institution 60-150
    speaking.turn_start(meeting=meeting, category=R, at=at(150))  # resident 150-180
    speaking.turn_stop(meeting=meeting, at=at(180))
    speaking.turn_start(meeting=meeting, category=F, at=at(200))  # facilitator, running
    speaking.residents_who_spoke_set(meeting=meeting, value=2)

    summary = speaking.speaking_summary(meeting, now=at(260))
    assert summary.total_seconds == 240
    assert summary.turns == 4
    assert summary.residents_who_spoke == 2
    assert summary.running.category == F
    assert summary.running_seconds == 60
    assert summary.running_clock == "01:00"
    shares = summary.by_category
    assert [share.category for share in summary.categories] == SpeakerCategory.values
    assert shares[R].seconds == 90 and shares[R].turns == 2
    assert shares[I].seconds == 90 and shares[I].turns == 1
    assert shares[F].seconds == 60 and shares[F].finished_seconds == 0 and shares[F].turns == 1
    assert shares[A].seconds == 0 and shares[A].share == 0 and shares[A].turns == 0
    assert shares[E].seconds == 0
    assert shares[R].share == pytest.approx(0.375)
    assert shares[R].percent == 38  # half up, like the page's script
    assert shares[F].percent == 25
    assert summary.residents_share == pytest.approx(0.375)
    assert summary.residents_percent == 38
    assert sum(share.seconds for share in summary.categories) == summary.total_seconds


def test_summary_of_a_meeting_without_turns():
    meeting = open_meeting()
    summary = speaking.speaking_summary(meeting)
    assert summary.is_empty
    assert summary.total_seconds == 0
    assert summary.residents_share is None
    assert summary.running is None
    assert len(summary.categories) == 5
    assert all(share.share == 0 for share in summary.categories)


def test_summary_costs_two_queries(django_assert_num_queries):
    meeting = open_meeting()
    for index in range(10):
        speaking.turn_start(
            meeting=meeting,
            category=SpeakerCategory.values[index % 5],
            at=meeting.starts_at + timedelta(seconds=10 * index),
        )
    with django_assert_num_queries(2):
        speaking.speaking_summary(meeting)


def test_speakers_count_never_negative():
    meeting = open_meeting()
    assert speaking.residents_who_spoke_add(meeting=meeting, delta=1) == 1
    assert speaking.residents_who_spoke_add(meeting=meeting, delta=-1) == 0
    with pytest.raises(SpeakingError):
        speaking.residents_who_spoke_add(meeting=meeting, delta=-1)
    with pytest.raises(SpeakingError):
        speaking.residents_who_spoke_set(meeting=meeting, value=-3)
    with pytest.raises(SpeakingError):
        speaking.residents_who_spoke_set(meeting=meeting, value=100_000)
    assert speaking.residents_who_spoke_set(meeting=meeting, value=12) == 12
    meeting.refresh_from_db()
    assert meeting.residents_who_spoke == 12


# Opening hours ----------------------------------------------------------------------------------


def test_tracker_opens_two_hours_before_and_closes_a_day_after():
    meeting = MeetingFactory()  # next week
    with pytest.raises(SpeakingError) as error:
        speaking.turn_start(meeting=meeting, category=R)
    assert error.value.code == "closed"
    opens = meeting.starts_at - timedelta(hours=2)
    assert speaking.tracker_closed_reason(meeting, opens - timedelta(seconds=1))
    assert speaking.tracker_closed_reason(meeting, opens) is None
    closes = meeting.ends_at + timedelta(days=1)
    assert speaking.tracker_closed_reason(meeting, closes) is None
    assert speaking.tracker_closed_reason(meeting, closes + timedelta(seconds=1))
    with pytest.raises(SpeakingError):
        speaking.tracker_toggle_pause(meeting=meeting)
    with pytest.raises(SpeakingError):
        speaking.residents_who_spoke_set(meeting=meeting, value=1)


def test_a_turn_forgotten_after_closing_can_still_be_stopped():
    meeting = open_meeting(starts_at=_hour_ago(30))
    speaking.turn_start(meeting=meeting, category=I, at=meeting.ends_at - timedelta(minutes=1))
    closes = meeting.ends_at + timedelta(days=1)
    # The log does not count the hours after the tracker closed.
    summary = speaking.speaking_summary(meeting, now=closes + timedelta(hours=5))
    assert summary.running_seconds == (closes - summary.running.started_at).total_seconds()
    turn = speaking.turn_stop(meeting=meeting, at=closes + timedelta(hours=5))
    assert turn.ended_at == closes
    with pytest.raises(SpeakingError):
        speaking.turn_start(meeting=meeting, category=R, at=closes + timedelta(hours=5))


def test_cancelled_meeting_is_refused(client, actors, meeting):
    Meeting.objects.filter(pk=meeting.pk).update(
        status=MeetingStatus.CANCELLED, cancellation_reason="Salle indisponible"
    )
    actors.login(client, "facilitator_sanitas", english=True)
    page = client.get(reverse("dialogue:tracker", kwargs={"pk": meeting.pk}))
    assert page.status_code == 200
    assert "This meeting was cancelled" in page.content.decode()
    assert 'id="tracker-start-resident"' not in page.content.decode()
    response = client.post(
        reverse("dialogue:tracker_start", kwargs={"pk": meeting.pk}), {"category": "resident"}
    )
    assert response.status_code == 400
    assert "This meeting was cancelled" in response.content.decode()
    assert not SpeakingTurn.objects.exists()


def test_page_of_a_meeting_next_week_says_when_it_opens(client, actors):
    meeting = MeetingFactory(dialogue_space=actors.space)
    actors.login(client, "facilitator_sanitas", english=True)
    page = client.get(reverse("dialogue:tracker", kwargs={"pk": meeting.pk}))
    assert page.status_code == 200
    assert "The tracker opens 2 hours before the meeting" in page.content.decode()
    for view, data in [
        ("tracker_start", {"category": "resident"}),
        ("tracker_pause", {}),
        ("tracker_speakers", {"delta": "1"}),
        ("tracker_stop", {}),
    ]:
        response = client.post(reverse(f"dialogue:{view}", kwargs={"pk": meeting.pk}), data)
        assert response.status_code == 400, view
    assert not SpeakingTurn.objects.exists()


# Views: the page, the live posts, bad input ------------------------------------------------------


@pytest.fixture
def staff_client(client, actors):
    # Messages are checked in English, their msgid; the French catalogue is tested on its own.
    actors.login(client, "facilitator_sanitas", english=True)
    return client


def _url(view: str, meeting: Meeting) -> str:
    return reverse(f"dialogue:{view}", kwargs={"pk": meeting.pk})


def test_page_without_javascript_round_trip(staff_client, meeting):
    page = staff_client.get(_url("tracker", meeting))
    html = page.content.decode()
    assert "Speaking time" in html
    for category in SpeakerCategory.values:
        assert f'id="tracker-start-{category}"' in html
    assert "js/tracker.js" in html

    response = staff_client.post(_url("tracker_start", meeting), {"category": "elected"})
    assert response.status_code == 302
    assert response["Location"] == _url("tracker", meeting)
    page = staff_client.get(_url("tracker", meeting)).content.decode()
    assert "Elected representative has the floor" in page
    assert SpeakingTurn.objects.running().get().category == "elected"

    assert staff_client.post(_url("tracker_pause", meeting)).status_code == 302
    meeting.refresh_from_db()
    assert meeting.tracker_paused
    assert not SpeakingTurn.objects.running().exists()
    assert staff_client.post(_url("tracker_speakers", meeting), {"value": "4"}).status_code == 302
    assert staff_client.post(_url("tracker_speakers", meeting), {"delta": "1"}).status_code == 302
    meeting.refresh_from_db()
    assert meeting.residents_who_spoke == 5


def test_htmx_posts_answer_with_the_state_partial(staff_client, meeting):
    response = staff_client.post(
        _url("tracker_start", meeting), {"category": "resident"}, headers={"HX-Request": "true"}
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="tracker-status"' in html
    assert 'data-running-category="resident"' in html
    assert "<html" not in html
    assert 'data-announce="Resident has the floor."' in html

    state = staff_client.get(_url("tracker_state", meeting))
    assert state.status_code == 200
    assert 'data-running-category="resident"' in state.content.decode()
    assert state["Cache-Control"].startswith("max-age=0")

    data = staff_client.get(_url("tracker_state", meeting), {"format": "json"}).json()
    assert data["running"]["category"] == "resident"
    assert data["paused"] is False
    assert data["open"] is True
    assert set(data["categories"]) == set(SpeakerCategory.values)


def test_bad_category_is_a_400_with_a_message(staff_client, meeting):
    response = staff_client.post(_url("tracker_start", meeting), {"category": "mayor"})
    assert response.status_code == 400
    assert "Choose who is speaking." in response.content.decode()
    htmx = staff_client.post(
        _url("tracker_start", meeting), {"category": ""}, headers={"HX-Request": "true"}
    )
    assert htmx.status_code == 400
    assert 'data-error="Choose who is speaking."' in htmx.content.decode()
    assert not SpeakingTurn.objects.exists()


@pytest.mark.parametrize(
    "data",
    [{"delta": "-1"}, {"value": "-2"}, {"value": "abc"}, {"value": "100000"}, {}, {"delta": "5"}],
)
def test_bad_speaker_counts_are_refused(staff_client, meeting, data):
    response = staff_client.post(_url("tracker_speakers", meeting), data)
    assert response.status_code == 400
    meeting.refresh_from_db()
    assert meeting.residents_who_spoke is None


def test_negative_count_message_is_clear(staff_client, meeting):
    response = staff_client.post(_url("tracker_speakers", meeting), {"delta": "-1"})
    assert "The number of residents who spoke cannot be negative." in response.content.decode()


def _turn_data(start, end, category="resident"):
    start, end = timezone.localtime(start), timezone.localtime(end)
    return {
        "turn-category": category,
        "turn-date": start.date().isoformat(),
        "turn-start_time": start.strftime("%H:%M:%S"),
        "turn-end_time": end.strftime("%H:%M:%S"),
    }


def test_turn_added_afterwards(staff_client, meeting):
    start = meeting.starts_at + timedelta(minutes=10)
    response = staff_client.post(
        _url("turn_add", meeting), _turn_data(start, start + timedelta(seconds=75), "elected")
    )
    assert response.status_code == 302
    turn = SpeakingTurn.objects.get()
    assert (turn.category, turn.started_at, turn.ended_at) == (
        "elected",
        start,
        start + timedelta(seconds=75),
    )


def test_overlapping_turn_is_refused_and_the_form_keeps_its_values(staff_client, meeting):
    t0 = meeting.starts_at + timedelta(minutes=10)
    speaking.turn_start(meeting=meeting, category=R, at=t0)
    speaking.turn_stop(meeting=meeting, at=t0 + timedelta(minutes=2))
    data = _turn_data(t0 + timedelta(minutes=1), t0 + timedelta(minutes=3), "institution")
    response = staff_client.post(_url("turn_add", meeting), data)
    assert response.status_code == 400
    html = response.content.decode()
    assert "speaking turns cannot overlap" in html
    assert f'value="{data["turn-start_time"]}"' in html
    assert f'value="{data["turn-end_time"]}"' in html
    assert '<option value="institution" selected>' in html
    assert SpeakingTurn.objects.count() == 1


def test_a_turn_overlapping_the_running_one_is_refused():
    meeting = open_meeting()
    t0 = meeting.starts_at + timedelta(minutes=10)
    speaking.turn_start(meeting=meeting, category=R, at=t0)
    with pytest.raises(SpeakingError) as error:
        speaking.turn_add(
            meeting=meeting,
            category=I,
            started_at=t0 + timedelta(minutes=5),
            ended_at=t0 + timedelta(minutes=6),
        )
    assert error.value.code == "overlap"
    # Right before it is fine.
    speaking.turn_add(
        meeting=meeting, category=I, started_at=t0 - timedelta(minutes=1), ended_at=t0
    )


@pytest.mark.parametrize(
    ("offset_start", "offset_end", "message"),
    [
        (timedelta(minutes=5), timedelta(minutes=4), "must end after it starts"),
        (timedelta(minutes=5), timedelta(minutes=5), "must end after it starts"),
        (timedelta(days=-3), timedelta(days=-3, minutes=1), "on the day of the meeting"),
    ],
)
def test_absurd_turns_are_refused(staff_client, meeting, offset_start, offset_end, message):
    start = meeting.starts_at + offset_start
    response = staff_client.post(
        _url("turn_add", meeting), _turn_data(start, meeting.starts_at + offset_end)
    )
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not SpeakingTurn.objects.exists()


def test_a_turn_in_the_future_is_refused():
    meeting = open_meeting(starts_at=_hour_ago(0))
    now = meeting.starts_at + timedelta(minutes=10)
    with pytest.raises(SpeakingError) as error:
        speaking.turn_add(
            meeting=meeting,
            category=R,
            started_at=now - timedelta(minutes=1),
            ended_at=now + timedelta(minutes=1),
            now=now,
        )
    assert error.value.code == "future"


# Query counts -----------------------------------------------------------------------------------


def _fill(meeting: Meeting, count: int) -> None:
    t0 = meeting.starts_at + timedelta(minutes=1)
    for index in range(count):
        speaking.turn_start(
            meeting=meeting,
            category=SpeakerCategory.values[index % 5],
            at=t0 + timedelta(seconds=20 * index),
        )


@pytest.mark.parametrize("turns", [3, 40])
def test_tracker_page_query_count_is_pinned(
    staff_client, meeting, turns, django_assert_num_queries
):
    _fill(meeting, turns)
    # session, user, roles, meeting, 2 for the summary, the last turns, the QPV menu (base.html)
    with django_assert_num_queries(8):
        response = staff_client.get(_url("tracker", meeting))
    assert response.status_code == 200


@pytest.mark.parametrize("turns", [3, 40])
def test_state_query_count_is_pinned(staff_client, meeting, turns, django_assert_num_queries):
    _fill(meeting, turns)
    # session, user, roles, meeting, 2 for the summary, the last turns
    with django_assert_num_queries(7):
        response = staff_client.get(_url("tracker_state", meeting))
    assert response.status_code == 200


# The meeting log's partial ----------------------------------------------------------------------


def test_log_partial_renders_the_summary():
    meeting = open_meeting()
    t0 = meeting.starts_at + timedelta(minutes=1)
    speaking.turn_start(meeting=meeting, category=R, at=t0)
    speaking.turn_start(meeting=meeting, category=I, at=t0 + timedelta(seconds=90))
    speaking.turn_stop(meeting=meeting, at=t0 + timedelta(seconds=120))
    speaking.residents_who_spoke_set(meeting=meeting, value=3)
    meeting.refresh_from_db()
    with translation.override("en"):
        html = render_to_string(
            "dialogue/includes/log_speaking.html", {"speaking": speaking.speaking_summary(meeting)}
        )
    assert "Residents had 75% of the speaking time (total timed: 2 min 00 s)." in html
    assert "1 min 30 s" in html
    assert "3 residents spoke." in html

    with translation.override("en"):
        empty = render_to_string(
            "dialogue/includes/log_speaking.html",
            {"speaking": speaking.speaking_summary(open_meeting())},
        )
    assert "No speaking time was recorded for this meeting." in empty
    assert "<table" not in empty


# Two devices at once (PostgreSQL row locks) -----------------------------------------------------

needs_postgres = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="row locks need PostgreSQL (set DATABASE_URL)"
)


def _at_once(count: int, action) -> tuple[list, list]:
    barrier = threading.Barrier(count)
    results, errors = [], []
    lock = threading.Lock()

    def worker(index: int) -> None:
        try:
            barrier.wait(timeout=30)
            result = action(index)
            with lock:
                results.append(result)
        except Exception as error:
            with lock:
                errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results, errors


@needs_postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_devices_starting_at_once_leave_one_running_turn():
    meeting = open_meeting()
    categories = [R, I, E, A, F, R]
    results, errors = _at_once(
        len(categories),
        lambda index: speaking.turn_start(meeting=meeting, category=categories[index]),
    )
    assert errors == []
    assert len(results) == len(categories)
    assert SpeakingTurn.objects.filter(meeting=meeting).running().count() == 1
    # Each turn ended when the next began: no overlap, no gap.
    turns = list(SpeakingTurn.objects.filter(meeting=meeting).order_by("started_at", "pk"))
    for before, after in itertools.pairwise(turns):
        assert before.ended_at == after.started_at


@needs_postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_devices_counting_at_once_count_twice():
    meeting = open_meeting()
    _results, errors = _at_once(
        8, lambda index: speaking.residents_who_spoke_add(meeting=meeting, delta=1)
    )
    assert errors == []
    meeting.refresh_from_db()
    assert meeting.residents_who_spoke == 8


def test_the_database_refuses_a_second_running_turn():
    meeting = open_meeting()
    SpeakingTurn.objects.create(meeting=meeting, category=R, started_at=meeting.starts_at)
    with pytest.raises(IntegrityError), transaction.atomic():
        SpeakingTurn.objects.create(meeting=meeting, category=I, started_at=meeting.starts_at)
