"""SMS counted per meeting and per month (in SQL), the coordinators' page, the length counter."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.template import Context, Template
from django.urls import reverse

from notifications.models import TextMessage, TextStatus
from notifications.selectors import (
    sms_count_for_meeting,
    sms_usage_by_meeting,
    sms_usage_by_month,
)
from tests.dialogue.factories import MeetingFactory
from tests.notifications.conftest import paris

pytestmark = pytest.mark.django_db

URL = reverse("notifications:sms_usage")


def _sent(*, meeting=None, at=None, segments=1, status=TextStatus.SENT):
    at = at or paris(2026, 1, 15, 10, 0)
    return TextMessage.objects.create(
        phone="+33612345678",
        text="x",
        topic="reminders",
        meeting=meeting,
        status=status,
        segments=segments,
        not_before=at,
        created_at=at,
        sent_at=at if status == TextStatus.SENT else None,
    )


@pytest.fixture
def messages_sent():
    first, second = MeetingFactory(title="Café du lundi"), MeetingFactory(title="Atelier")
    _sent(meeting=first, segments=1)
    _sent(meeting=first, segments=2)
    _sent(meeting=second, segments=1, at=paris(2026, 2, 1, 9, 30))
    # A message sent at 00:30 on 1 March in Paris is still 28 February in UTC: Paris months.
    _sent(at=paris(2026, 3, 1, 0, 30))
    _sent(meeting=first, status=TextStatus.FAILED)
    _sent(meeting=first, status=TextStatus.QUEUED)
    return first, second


def test_count_for_a_meeting(messages_sent):
    first, second = messages_sent
    assert sms_count_for_meeting(first.pk) == (2, 3)
    assert sms_count_for_meeting(second.pk) == (1, 1)
    assert sms_count_for_meeting(MeetingFactory().pk) == (0, 0)


def test_usage_per_month_in_paris_time(messages_sent):
    rows = [
        (row["month"].strftime("%Y-%m"), row["messages"], row["segments"])
        for row in sms_usage_by_month()
    ]
    assert rows == [("2026-03", 1, 1), ("2026-02", 1, 1), ("2026-01", 2, 3)]


def test_usage_per_meeting(messages_sent):
    rows = [
        (row["meeting__title"], row["messages"], row["segments"]) for row in sms_usage_by_meeting()
    ]
    assert sorted(rows) == [("Atelier", 1, 1), ("Café du lundi", 2, 3)]


ROLES = [
    ("visitor", 302),
    ("resident", 403),
    ("facilitator_sanitas", 403),
    ("referent_tours", 403),
    ("correspondent", 403),
    ("delegate_all", 403),
    ("coordinator", 200),
]


@pytest.mark.parametrize(("role", "status"), ROLES)
def test_only_coordinators_see_the_counts(client, actors, role, status):
    actors.login(client, role)
    assert client.get(URL).status_code == status


def test_the_page_shows_the_counts(client, actors, messages_sent):
    actors.login(client, "coordinator")
    page = client.get(URL).content.decode()
    assert "Café du lundi" in page
    assert "janvier 2026" in page
    assert "SMS envoyés" in page


def test_the_page_queries_do_not_grow_with_data(client, actors, django_assert_max_num_queries):
    actors.login(client, "coordinator")
    client.get(URL)
    for day in range(30):
        _sent(meeting=MeetingFactory(), at=paris(2026, 1, 1, 10) + timedelta(days=day * 7))
    with django_assert_max_num_queries(12):
        response = client.get(URL)
    assert response.status_code == 200


def test_the_account_page_links_coordinators_to_the_counts(client, actors):
    actors.login(client, "coordinator")
    assert URL in client.get(reverse("account_home")).content.decode()
    actors.login(client, "resident")
    assert URL not in client.get(reverse("account_home")).content.decode()


def _counter(value: str) -> str:
    from django import forms

    class StaffForm(forms.Form):
        sms_text = forms.CharField(widget=forms.Textarea)

    form = StaffForm(data={"sms_text": value})
    template = Template(
        '{% include "notifications/includes/sms_counter.html" with field=form.sms_text %}'
    )
    return template.render(Context({"form": form}))


def test_the_counter_partial_shows_characters_and_sms():
    html = _counter("Rappel : rencontre demain à 18h.")
    assert 'data-sms-counter-for="id_sms_text"' in html
    assert "32 caractères : 1 SMS (128 caractères restants dans le dernier)." in html
    assert "js/sms-counter.js" in html
    html = _counter("Fête " * 20)
    assert "100 caractères : 2 SMS" in html
    assert "70 caractères" in html
