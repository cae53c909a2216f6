"""The data version and the cache of public pages (participation/datacache.py, issue 9).

Every write bumps the version, whatever its path; a visitor without a session gets the cached page
until the next write (or PAGE_CACHE_SECONDS), with their own CSRF token; signed-in users, visitors
with a flash message and other variants (htmx partial, language) never get someone else's page.
"""

from __future__ import annotations

import re
import time

import pytest
from django.conf import settings
from django.contrib.auth.models import update_last_login
from django.contrib.sessions.backends.db import SessionStore
from django.db import connection, transaction
from django.urls import reverse

from dialogue.models import Meeting
from participation import datacache
from participation.models import User
from tests.dialogue.factories import MeetingFactory, RegistrationFactory
from tests.helpers import PortalClient
from tests.participation.factories import UserFactory

pytestmark = pytest.mark.django_db
TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


@pytest.fixture
def page_cache(settings):
    settings.PAGE_CACHE_SECONDS = 60
    return settings


def bumped(action) -> bool:
    before = datacache.version()
    action()
    return datacache.version() > before


# ---- The version ---------------------------------------------------------------------------------


def test_every_kind_of_write_bumps_the_version():
    meeting = MeetingFactory()
    assert bumped(lambda: MeetingFactory())  # INSERT through save()
    assert bumped(lambda: Meeting.objects.filter(pk=meeting.pk).update(title="Autre titre"))
    assert bumped(
        lambda: Meeting.objects.bulk_create(
            [Meeting(**{**_fields(meeting), "title": "Copie"}) for _ in range(2)]
        )
    )
    assert bumped(lambda: RegistrationFactory(meeting=meeting).delete())

    def raw_update():
        with connection.cursor() as cursor:
            cursor.execute("UPDATE dialogue_meeting SET venue = %s", ["Salle des fêtes"])

    assert bumped(raw_update)


def _fields(meeting: Meeting) -> dict:
    names = ("dialogue_space_id", "starts_at", "ends_at", "capacity", "status")
    return {name: getattr(meeting, name) for name in names}


def test_reads_and_writes_that_change_nothing_shown_leave_the_version():
    meeting = MeetingFactory()
    user = UserFactory()
    assert not bumped(lambda: list(Meeting.objects.filter(pk=meeting.pk)))
    assert not bumped(lambda: SessionStore().create())
    # A login stamps last_login only.
    assert not bumped(lambda: update_last_login(None, user))
    assert User.objects.get(pk=user.pk).last_login is not None
    # Any other change of the user does.
    assert bumped(lambda: User.objects.filter(pk=user.pk).update(full_name="Awa Diallo"))


def test_the_version_is_bumped_again_when_the_transaction_commits(
    django_capture_on_commit_callbacks,
):
    with django_capture_on_commit_callbacks() as callbacks:
        try:
            with transaction.atomic():
                MeetingFactory()
                raise RuntimeError("rolled back")
        except RuntimeError:
            pass
        # The bump pending in the rolled-back savepoint is gone: this write schedules its own.
        MeetingFactory()
        # One bump on commit for the whole transaction, not one per write.
        MeetingFactory()
        with transaction.atomic():
            MeetingFactory()
    assert len(callbacks) == 1
    # It bumps what those writes changed (MeetingFactory writes spaces, QPV... too).
    assert "meetings" in callbacks[0].topics
    assert "seats" not in callbacks[0].topics

    before = datacache.version()
    callbacks[0]()
    assert datacache.version() > before


def test_a_lost_version_starts_again_above_every_older_one():
    old = datacache.version()
    from django.core.cache import cache

    cache.delete(datacache.VERSION_KEY)
    assert datacache.version() > old


def test_versioned_values_are_computed_again_after_a_write():
    calls = []

    def compute():
        calls.append(1)
        return Meeting.objects.count()

    assert datacache.versioned("test", ("count",), compute) == 0
    assert datacache.versioned("test", ("count",), compute) == 0
    assert len(calls) == 1
    assert datacache.versioned("test", ("other",), compute) == 0
    assert len(calls) == 2
    MeetingFactory()
    assert datacache.versioned("test", ("count",), compute) == 1
    assert len(calls) == 3


# ---- Public pages --------------------------------------------------------------------------------


def test_a_visitor_gets_the_cached_page_until_a_write(
    page_cache, django_assert_num_queries, django_assert_max_num_queries
):
    meeting = MeetingFactory(title="Parlons du marché")
    url = meeting.get_absolute_url()
    first = PortalClient().get(url)
    assert first.status_code == 200 and "Parlons du marché" in first.content.decode()
    with django_assert_num_queries(0):
        again = PortalClient().get(url)
    assert again.status_code == 200
    assert "Parlons du marché" in again.content.decode()

    # A write through QuerySet.update() (no signal): the next visitor sees it.
    Meeting.objects.filter(pk=meeting.pk).update(title="Parlons de la place")
    page = PortalClient().get(url).content.decode()
    assert "Parlons de la place" in page and "Parlons du marché" not in page

    # The agenda too, after a new meeting (bulk_create, no signal either).
    agenda = reverse("dialogue:agenda")
    assert "Fête des voisins" not in PortalClient().get(agenda).content.decode()
    Meeting.objects.bulk_create([Meeting(**{**_fields(meeting), "title": "Fête des voisins"})])
    assert "Fête des voisins" in PortalClient().get(agenda).content.decode()
    with django_assert_max_num_queries(0):
        PortalClient().get(agenda)


def test_signed_in_users_and_flash_messages_always_get_a_fresh_page(page_cache):
    meeting = MeetingFactory()
    url = meeting.get_absolute_url()
    PortalClient().get(url)  # cached for visitors

    resident = PortalClient()
    resident.force_login(UserFactory())
    resident.get(url)
    with CountQueries() as counted:
        resident.get(url)
    assert counted.count > 0

    # A visitor with a flash message waiting: it sits in their session (MESSAGE_STORAGE).
    from django.contrib.messages import constants
    from django.contrib.messages.storage.base import Message
    from django.contrib.messages.storage.cookie import MessageEncoder
    from django.contrib.messages.storage.session import SessionStorage

    visitor = PortalClient()
    session = visitor.session
    session[SessionStorage.session_key] = MessageEncoder().encode(
        [Message(constants.SUCCESS, "Message en attente")]
    )
    session.save()
    with CountQueries() as counted:
        page = visitor.get(url)
    assert counted.count > 0
    assert "Message en attente" in page.content.decode()


class CountQueries:
    def __enter__(self):
        from django.test.utils import CaptureQueriesContext

        self.context = CaptureQueriesContext(connection)
        self.context.__enter__()
        return self

    def __exit__(self, *exc):
        self.context.__exit__(*exc)
        self.count = len(self.context.captured_queries)


def test_each_visitor_gets_their_own_csrf_token(page_cache):
    meeting = MeetingFactory()
    url = meeting.get_absolute_url()
    first, second = PortalClient(enforce_csrf_checks=True), PortalClient(enforce_csrf_checks=True)
    first.get(url)
    page = second.get(url)  # from the cache
    html = page.content.decode()
    assert datacache.CSRF_PLACEHOLDER.decode() not in html
    tokens = set(TOKEN.findall(html))
    assert tokens
    secret = second.cookies[settings.CSRF_COOKIE_NAME].value
    assert secret != first.cookies[settings.CSRF_COOKIE_NAME].value
    assert all(datacache.unmask_csrf_token(token) == secret for token in tokens)
    # The token works: the language switch (a POST form on every page) accepts it.
    response = second.post(
        reverse("set_language"),
        {"csrfmiddlewaretoken": tokens.pop(), "language": "en", "next": url},
    )
    assert response.status_code == 302
    # Someone else's token would not have.
    response = first.post(
        reverse("set_language"),
        {"csrfmiddlewaretoken": TOKEN.findall(html)[0], "language": "en", "next": url},
    )
    assert response.status_code == 403


def test_htmx_partials_and_languages_are_cached_apart(page_cache):
    MeetingFactory(title="Rencontre du jeudi")
    agenda = reverse("dialogue:agenda")
    partial = PortalClient().get(agenda, headers={"HX-Request": "true"}).content.decode()
    assert "Rencontre du jeudi" in partial and "<html" not in partial
    full = PortalClient().get(agenda).content.decode()
    assert "<html" in full and 'lang="fr"' in full

    english = PortalClient()
    english.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    assert 'lang="en"' in english.get(agenda).content.decode()
    assert 'lang="fr"' in PortalClient().get(agenda).content.decode()


def test_pages_expire_after_page_cache_seconds(settings):
    settings.PAGE_CACHE_SECONDS = 1
    meeting = MeetingFactory()
    url = meeting.get_absolute_url()
    PortalClient().get(url)
    with CountQueries() as counted:
        PortalClient().get(url)
    assert counted.count == 0
    time.sleep(1.1)
    with CountQueries() as counted:
        PortalClient().get(url)
    assert counted.count > 0


def test_no_cache_when_page_cache_seconds_is_zero(settings):
    settings.PAGE_CACHE_SECONDS = 0
    meeting = MeetingFactory()
    url = meeting.get_absolute_url()
    PortalClient().get(url)
    with CountQueries() as counted:
        PortalClient().get(url)
    assert counted.count > 0


def test_errors_are_not_cached(page_cache):
    url = reverse("dialogue:meeting", args=[987654])
    assert PortalClient().get(url).status_code == 404
    with CountQueries() as counted:
        assert PortalClient().get(url).status_code == 404
    assert counted.count > 0
