"""Page cache that survives live meetings (participation/datacache.py, issue 21 item 2).

Each cached public page keeps its copy until a write to what it shows (its topics, PAGE_TOPICS):
a write the page shows is on the next anonymous GET; check-in and speaking-time taps on a live
meeting, shown on no public page, leave every cached page served from the cache (header
X-Page-Cache and no SQL query); what depends on the clock alone goes within PAGE_CACHE_SECONDS
(the lifetime of every stored page, read from Redis).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from dialogue.models import Meeting, MeetingStatus, SpeakingTurn
from participation import datacache
from projects.models import Project
from questions.models import Question
from tests.dialogue.factories import MeetingFactory, RegistrationFactory
from tests.helpers import PortalClient
from tests.projects.factories import ProjectFactory
from tests.qpv.factories import NewsItemFactory
from tests.questions.factories import QuestionFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def page_cache(settings):
    settings.PAGE_CACHE_SECONDS = 60
    return settings


@dataclass
class World:
    upcoming: Meeting
    past: Meeting
    live: Meeting
    question: Question
    project: Project


@pytest.fixture
def world(actors, page_cache) -> World:
    now = timezone.now()
    upcoming = MeetingFactory(
        dialogue_space=actors.space,
        title="Atelier jardin",
        starts_at=now + timedelta(days=3),
        ends_at=now + timedelta(days=3, hours=2),
    )
    past = MeetingFactory(
        dialogue_space=actors.space,
        title="Café d'octobre",
        starts_at=now - timedelta(days=20),
        ends_at=now - timedelta(days=20) + timedelta(hours=2),
        status=MeetingStatus.HELD,
    )
    # Began half an hour ago: its door and its speaking-time tracker are open.
    live = MeetingFactory(
        dialogue_space=actors.space,
        title="Café de décembre",
        starts_at=now - timedelta(minutes=30),
        ends_at=now + timedelta(minutes=90),
    )
    RegistrationFactory(meeting=live, name="Awa Diallo")
    return World(
        upcoming=upcoming,
        past=past,
        live=live,
        question=QuestionFactory(text="Quand le parc sera-t-il ouvert le soir ?"),
        project=ProjectFactory(title="Jardin partagé des Tourettes"),
    )


def _get(url: str):
    """An anonymous GET (no cookie at all), with the number of SQL queries it made."""
    with CaptureQueriesContext(connection) as queries:
        response = PortalClient().get(url)
    assert response.status_code == 200, url
    return response, len(queries)


def _assert_cached(url: str) -> None:
    response, queries = _get(url)
    assert response.headers.get(datacache.CACHE_HEADER) == "hit", url
    assert queries == 0, url


def _rename_meeting(world: World, text: str) -> None:
    Meeting.objects.filter(pk=world.upcoming.pk).update(title=text)


@dataclass
class Case:
    url: Callable[[World], str]
    write: Callable[[World, str], None]


# Each cached page, and a write it shows (through QuerySet.update or a factory: no signal needed).
CASES: dict[str, Case] = {
    "home": Case(lambda w: reverse("home"), _rename_meeting),
    "qpv": Case(
        lambda w: reverse("qpv_page", args=["sanitas"]),
        lambda w, text: NewsItemFactory(title=text),
    ),
    "agenda": Case(lambda w: reverse("dialogue:agenda"), _rename_meeting),
    "qpv_agenda": Case(lambda w: reverse("dialogue:qpv_agenda", args=["sanitas"]), _rename_meeting),
    "past_meetings": Case(
        lambda w: reverse("dialogue:past"),
        lambda w, text: Meeting.objects.filter(pk=w.past.pk).update(title=text),
    ),
    "meeting": Case(lambda w: w.upcoming.get_absolute_url(), _rename_meeting),
    "meeting_questions": Case(
        lambda w: w.past.get_absolute_url(),
        lambda w, text: QuestionFactory(text=text, meeting=w.past),
    ),
    "space": Case(
        lambda w: reverse("dialogue:space", args=[w.upcoming.dialogue_space_id]), _rename_meeting
    ),
    "questions": Case(
        lambda w: reverse("questions:questions"),
        lambda w, text: QuestionFactory(text=text),
    ),
    "question": Case(
        lambda w: reverse("questions:question", args=[w.question.pk]),
        lambda w, text: Question.objects.filter(pk=w.question.pk).update(text=text),
    ),
    "projects": Case(
        lambda w: reverse("projects:projects"), lambda w, text: ProjectFactory(title=text)
    ),
    "project": Case(
        lambda w: reverse("projects:project", args=[w.project.pk]),
        lambda w, text: Project.objects.filter(pk=w.project.pk).update(title=text),
    ),
    "news": Case(lambda w: reverse("qpv:news"), lambda w, text: NewsItemFactory(title=text)),
    "qpv_news": Case(
        lambda w: reverse("qpv:qpv_news", args=["sanitas"]),
        lambda w, text: NewsItemFactory(title=text),
    ),
}


@pytest.mark.parametrize("name", CASES)
def test_a_write_the_page_shows_is_on_the_next_anonymous_get(world, name):
    case = CASES[name]
    url = case.url(world)
    first, _queries = _get(url)
    assert datacache.CACHE_HEADER not in first.headers
    _assert_cached(url)

    text = f"Nouveauté {name} du jour"
    case.write(world, text)
    response, queries = _get(url)
    assert datacache.CACHE_HEADER not in response.headers
    assert queries > 0
    assert text in response.content.decode()
    _assert_cached(url)


def test_live_meeting_taps_leave_every_cached_page_served(actors, world, client):
    """Check-in, walk-ins and the speaking-time tracker, through the staff's own endpoints."""
    actors.login(client, "facilitator_sanitas")
    urls = [case.url(world) for case in CASES.values()] + [world.live.get_absolute_url()]
    for url in urls:
        _get(url)
        _assert_cached(url)

    live = world.live
    awa = live.registrations.get()
    taps = [
        (reverse("dialogue:checkin_toggle", args=[live.pk, awa.pk]), {"present": "1"}),
        (reverse("dialogue:walkin_add", args=[live.pk]), {"category": "resident"}),
        (reverse("dialogue:tracker_start", args=[live.pk]), {"category": "resident"}),
        (reverse("dialogue:tracker_start", args=[live.pk]), {"category": "elected"}),
        (reverse("dialogue:tracker_pause", args=[live.pk]), {}),
        (reverse("dialogue:tracker_start", args=[live.pk]), {"category": "resident"}),
        (reverse("dialogue:tracker_stop", args=[live.pk]), {}),
        (reverse("dialogue:checkin_toggle", args=[live.pk, awa.pk]), {}),
    ]
    for url, data in taps:
        assert client.post(url, data).status_code == 302, url
    # The taps were written, and only bumped what no public page shows.
    awa.refresh_from_db()
    assert live.walk_ins.count() == 1
    assert SpeakingTurn.objects.filter(meeting=live).count() == 3

    for url in urls:
        _assert_cached(url)

    # A registration is shown (seats) on the meeting pages and the agenda, not on the Q&A.
    RegistrationFactory(meeting=world.upcoming, name="Karim Benali")
    for name in ("agenda", "meeting", "home"):
        assert datacache.CACHE_HEADER not in _get(CASES[name].url(world))[0].headers
    for name in ("questions", "question", "projects", "project", "news"):
        _assert_cached(CASES[name].url(world))


def test_pages_depending_on_the_clock_live_page_cache_seconds_at_most(world, settings):
    """A meeting that starts, a question that becomes overdue, a news item scheduled for later:
    no write tells the cache, so every stored page expires after PAGE_CACHE_SECONDS."""
    settings.PAGE_CACHE_SECONDS = 45
    for case in CASES.values():
        _get(case.url(world))
    client = cache._cache.get_client()  # type: ignore[attr-defined]  # the Redis backend's own
    keys = list(client.scan_iter(match=cache.make_key("datacache:page:*")))
    assert len(keys) >= len(CASES)
    ttls = [client.ttl(key) for key in keys]
    assert all(0 < ttl <= 45 for ttl in ttls), ttls


@pytest.mark.parametrize(
    ("sql", "topics"),
    [
        (
            'UPDATE "dialogue_registration" SET "attended" = %s, "checked_in_at" = %s '
            'WHERE "dialogue_registration"."id" = %s',
            ("attendance",),
        ),
        (
            'UPDATE "dialogue_registration" SET "status" = %s WHERE "dialogue_registration"."id" = %s',
            ("seats",),
        ),
        # A SET holding a subquery may hide columns: the whole table's topics.
        (
            'UPDATE "dialogue_registration" SET "attended" = (SELECT true WHERE "x" = %s), '
            '"status" = %s WHERE "id" = %s',
            ("seats",),
        ),
        ('UPDATE "dialogue_meeting" SET "tracker_paused" = %s WHERE "id" = %s', ("speaking",)),
        (
            'UPDATE "dialogue_meeting" SET "tracker_paused" = %s, "status" = %s WHERE "id" = %s',
            ("meetings",),
        ),
        ('INSERT INTO "dialogue_speakingturn" ("meeting_id") VALUES (%s)', ("speaking",)),
        ('DELETE FROM "qpv_newsitem" WHERE "id" = %s', ("news",)),
        ('INSERT INTO "a_new_table" ("x") VALUES (%s)', ("other",)),
        ('SELECT "id" FROM "dialogue_meeting"', ()),
        ('DELETE FROM "django_session" WHERE "session_key" = %s', ()),
    ],
)
def test_which_writes_bump_which_topics(sql, topics):
    assert datacache.written_topics(sql) == topics


def test_every_table_and_page_topic_is_known():
    from django.apps import apps

    tables = {model._meta.db_table for model in apps.get_models(include_auto_created=True)}
    classified = set(datacache.TABLE_TOPICS) | datacache.IGNORED_TABLES
    # Django's own bookkeeping tables change nothing shown; all of ours are classified.
    unclassified = {t for t in tables - classified if not t.startswith(("auth_", "django_"))}
    assert unclassified == set()
    for topics in datacache.PAGE_TOPICS.values():
        assert set(topics) <= datacache.ALL_TOPICS
        assert "attendance" not in topics and "speaking" not in topics


def test_an_unreachable_cache_serves_pages_and_lets_writes_through(world, settings):
    settings.CACHES = {
        "default": {
            "BACKEND": "participation.redis_cache.RedisCache",
            "LOCATION": "redis://127.0.0.1:9/0",  # the discard port: nothing listens
        }
    }
    for name in ("home", "meeting", "questions"):
        _response, queries = _get(CASES[name].url(world))
        assert queries > 0
    _rename_meeting(world, "Atelier potager")
    assert "Atelier potager" in _get(CASES["meeting"].url(world))[0].content.decode()
