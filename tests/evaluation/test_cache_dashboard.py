"""The dashboard's figures are cached per scope, period and language until the next write (issue 9).

The catalogue (values, by QPV, by quarter), the charts and the HTML of the figures are kept under
the data version (participation/datacache.py): a second view makes none of the catalogue's queries,
and any write, whatever its path, shows on the next view.
"""

from __future__ import annotations

import re
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from dialogue.models import AttendeeCategory, Meeting, MeetingStatus, WalkIn
from participation.roles import Role
from qpv.models import QPV, Commune
from tests.dialogue.factories import DialogueSpaceFactory, MeetingFactory
from tests.participation.factories import UserFactory, grant

pytestmark = pytest.mark.django_db
PARIS = ZoneInfo("Europe/Paris")
DASHBOARD = reverse("evaluation:dashboard")
# The first tile is meetings_held (evaluation.views.dashboard.KEY_CODES).
FIRST_TILE = re.compile(r'<p class="key-figure-value mb-1">([^<]*)</p>')


def held_meeting(days_ago: int) -> Meeting:
    space = DialogueSpaceFactory(qpv=QPV.objects.get(slug="sanitas"))
    starts = datetime.combine(timezone.localdate() - timedelta(days=days_ago), time(18), PARIS)
    meeting = MeetingFactory(
        dialogue_space=space,
        starts_at=starts,
        ends_at=starts + timedelta(hours=2),
        status=MeetingStatus.HELD,
    )
    WalkIn.objects.create(meeting=meeting, category=AttendeeCategory.RESIDENT)
    return meeting


@pytest.fixture
def coordinator_client(client):
    user = UserFactory()
    grant(user, Role.COORDINATOR)
    client.force_login(user)
    return client


def view(client, **params):
    with CaptureQueriesContext(connection) as captured:
        response = client.get(DASHBOARD, params)
    assert response.status_code == 200
    return response, len(captured.captured_queries)


def meetings_held(response) -> str:
    return FIRST_TILE.search(response.content.decode()).group(1).strip()


def test_a_second_view_reads_the_figures_from_the_cache(coordinator_client):
    held_meeting(20)
    first, first_queries = view(coordinator_client)
    second, second_queries = view(coordinator_client)
    # Only the page's own queries are left (session, user, roles, the filter's choices): the
    # catalogue's dozens of aggregates are not run again.
    assert second_queries < first_queries - 10
    assert second.content.decode().count("<details") == first.content.decode().count("<details")
    assert meetings_held(second) == meetings_held(first) == "1"
    # The values are still there for whoever reads them (the context is lazy).
    assert len(second.context["tiles"]) == len(first.context["tiles"]) == 12


def test_a_write_shows_on_the_next_view(coordinator_client):
    meeting = held_meeting(20)
    assert meetings_held(view(coordinator_client)[0]) == "1"
    held_meeting(30)
    response, _queries = view(coordinator_client)
    assert meetings_held(response) == "2"
    assert response.context["tiles"][0].value == 2
    # A change through QuerySet.update() (no signal) too.
    Meeting.objects.filter(pk=meeting.pk).update(
        status=MeetingStatus.CANCELLED, cancellation_reason="Salle indisponible."
    )
    assert meetings_held(view(coordinator_client)[0]) == "1"


def test_scopes_periods_and_languages_are_cached_apart(coordinator_client):
    held_meeting(20)
    year = str(timezone.localdate().year)
    metropole = view(coordinator_client, scope="metropole", preset="contract")[0]
    rabiere = view(coordinator_client, scope="qpv:la-rabiere", preset="contract")[0]
    assert meetings_held(metropole) == "1"
    assert meetings_held(rabiere) == "0"
    assert meetings_held(view(coordinator_client, scope="metropole", preset="year-" + year)[0])
    french = view(coordinator_client)[0].content.decode()
    coordinator_client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    english = view(coordinator_client)[0].content.decode()
    assert "Key figures" in english and "Key figures" not in french
    # The figures' fragment of each language is in that language.
    assert english.count("<details") == french.count("<details")
    assert "Definition" in english and "Définition" in french


def test_the_filter_form_of_each_user_offers_their_own_territories(client):
    held_meeting(20)
    coordinator = UserFactory()
    grant(coordinator, Role.COORDINATOR)
    referent = UserFactory()
    grant(referent, Role.REFERENT, commune=Commune.objects.get(slug="tours"))
    params = {"scope": "qpv:sanitas", "preset": "contract"}

    client.force_login(coordinator)
    page = view(client, **params)[0].content.decode()
    assert 'value="metropole"' in page and 'value="qpv:la-rabiere"' in page

    client.force_login(referent)
    page = view(client, **params)[0].content.decode()
    # Same query, same figures (read from the cache), but the referent's own choices.
    assert 'value="qpv:sanitas"' in page
    assert 'value="metropole"' not in page and 'value="qpv:la-rabiere"' not in page
