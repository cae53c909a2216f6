"""The audit log of staff actions (issue 8, item 7) and the logging of registrant list exports
(item 6): entries are written on roles, questions, answers, grants and exports, with the actor;
only coordinators read them, in a bounded number of queries.
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from auditlog.context import set_actor
from auditlog.models import LogEntry
from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.urls import reverse
from django.utils import timezone

from dialogue.models import Meeting
from participation.models import RoleAssignment
from participation.roles import Role
from projects.models import GrantApplication
from projects.services import fund as services_fund
from questions import services as question_services
from questions.models import Answer, Question
from tests.dialogue.factories import MeetingFactory, RegistrationFactory
from tests.helpers import staff_home
from tests.participation.factories import UserFactory
from tests.projects.factories import FundEnvelopeFactory, GrantApplicationFactory
from tests.qpv.factories import OrganisationFactory
from tests.questions.factories import QuestionFactory

pytestmark = pytest.mark.django_db

URL = reverse("audit_log")


def entries_for(instance) -> list[LogEntry]:
    return list(LogEntry.objects.get_for_object(instance).order_by("pk"))


def test_assigning_a_role_is_logged_with_its_actor(actors):
    coordinator = actors["coordinator"]
    with set_actor(coordinator):
        assignment = RoleAssignment.objects.create(
            user=UserFactory(), role=Role.FACILITATOR, qpv=actors.sanitas
        )
    [entry] = entries_for(assignment)
    assert entry.action == LogEntry.Action.CREATE
    assert entry.actor == coordinator
    assert entry.changes_dict["role"][1] == Role.FACILITATOR


def test_assigning_a_role_in_the_admin_is_logged(client, actors):
    coordinator = actors["coordinator"]
    client.force_login(coordinator)
    newcomer = UserFactory()
    response = client.post(
        reverse("admin:participation_roleassignment_add"),
        {"user": newcomer.pk, "role": Role.FACILITATOR, "qpv": actors.sanitas.pk},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assignment = RoleAssignment.objects.get(user=newcomer)
    [entry] = entries_for(assignment)
    assert entry.actor == coordinator


def test_routing_and_answering_a_question_are_logged(actors):
    referent = actors["referent_tours"]
    organisation = OrganisationFactory()
    organisation.qpvs.add(actors.sanitas)
    question = QuestionFactory()
    with set_actor(referent):
        question_services.question_route(question=question, organisation=organisation, by=referent)
        answer = question_services.answer_save(
            question=question, text="Les travaux commencent lundi.", by=referent, publish=True
        )
    question_entries = entries_for(Question.objects.get(pk=question.pk))
    assert [entry.action for entry in question_entries] == [
        LogEntry.Action.CREATE,
        LogEntry.Action.UPDATE,
        LogEntry.Action.UPDATE,
    ]
    routed, answered = question_entries[1:]
    assert routed.actor == referent
    assert routed.changes_dict["organisation"][1] == str(organisation.pk)
    assert "status" in answered.changes_dict
    # The question's secret link never goes into the log.
    assert all("token" not in entry.changes_dict for entry in question_entries)
    [answer_entry] = entries_for(Answer.objects.get(pk=answer.pk))
    assert answer_entry.action == LogEntry.Action.CREATE
    assert answer_entry.actor == referent


def test_a_grant_decision_is_logged(actors):
    referent = actors["referent_tours"]
    application = GrantApplicationFactory(
        envelope=FundEnvelopeFactory(qpv=actors.sanitas, year=timezone.localdate().year),
        amount_requested=Decimal("800"),
    )
    with set_actor(referent):
        services_fund.grant_decide(
            application=application, granted=True, amount=Decimal("800"), by=referent
        )
    entry = entries_for(GrantApplication.objects.get(pk=application.pk))[-1]
    assert entry.action == LogEntry.Action.UPDATE
    assert entry.actor == referent
    assert entry.changes_dict["status"][1] == "granted"


def test_exporting_a_registrant_list_is_logged(client, actors):
    referent = actors["referent_tours"]
    meeting = MeetingFactory()
    RegistrationFactory.create_batch(3, meeting=meeting)
    client.force_login(referent)
    url = reverse("dialogue:meeting_registrations", kwargs={"pk": meeting.pk})
    assert client.get(url).status_code == 200
    assert not entries_for(meeting)  # looking at the page is not an export
    response = client.get(url + "?format=csv")
    assert response.status_code == 200
    [entry] = entries_for(meeting)
    assert entry.action == LogEntry.Action.ACCESS
    assert entry.actor == referent
    assert entry.additional_data == {"export": "registrants_csv", "rows": 3}
    assert "3 rows" in entry.changes_dict["export"][1]


@pytest.mark.parametrize(
    "actor", ["visitor", "resident", "referent_tours", "delegate_all", "coordinator"]
)
def test_the_audit_log_is_for_coordinators(client, actors, actor):
    actors.login(client, actor)
    response = client.get(URL)
    if actor == "visitor":
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("account_login"))
    elif actor == "coordinator":
        assert response.status_code == 200
    else:
        assert response.status_code == 403


def test_the_coordinator_sees_who_did_what_and_filters(client, actors):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    referent = actors["referent_tours"]
    with set_actor(referent):
        question = QuestionFactory(text="Quand le hall sera-t-il repeint ?")
    meeting = MeetingFactory(title="Atelier jardin")
    LogEntry.objects.log_create(
        meeting,
        action=LogEntry.Action.ACCESS,
        changes={"export": ["", "registrant list exported (2 rows)"]},
        actor=actors["coordinator"],
    )
    actors.login(client, "coordinator")
    page = client.get(URL).content.decode()
    assert actors["referent_tours"].email in page
    assert "Quand le hall sera-t-il repeint" in page
    assert f"#{question.pk}" in page
    assert "registrant list exported (2 rows)" in page
    assert "Exported or viewed" in page

    page = client.get(URL, {"model": "questions.question"}).content.decode()
    assert "Quand le hall" in page and "Atelier jardin" not in page
    # Part of an email address: the name before the @.
    coordinator_name = actors["coordinator"].email.split("@")[0] + "@"
    page = client.get(URL, {"actor": coordinator_name}).content.decode()
    assert "Atelier jardin" in page and "Quand le hall" not in page
    # An unknown model is ignored rather than a 500.
    assert client.get(URL, {"model": "auth.nothing", "page": "x"}).status_code == 200


def test_staff_home_links_the_audit_log_for_coordinators_only(client, actors):
    actors.login(client, "coordinator")
    assert URL in staff_home(client)
    actors.login(client, "referent_tours")
    assert URL not in staff_home(client)


def _log_entries(count: int, actor) -> None:
    meeting = MeetingFactory()
    content_type = ContentType.objects.get_for_model(Meeting)
    LogEntry.objects.bulk_create(
        LogEntry(
            content_type=content_type,
            object_pk=str(meeting.pk),
            object_id=meeting.pk,
            object_repr=str(meeting),
            action=LogEntry.Action.UPDATE,
            changes={"title": ["Avant", f"Nouvelle valeur {n}"]},
            actor=actor,
        )
        for n in range(count)
    )


@pytest.mark.parametrize("count", [3, 30])
def test_the_audit_log_query_count_does_not_grow(client, actors, count, django_assert_num_queries):
    coordinator = actors["coordinator"]
    LogEntry.objects.all().delete()
    _log_entries(count, coordinator)
    client.force_login(coordinator)
    ContentType.objects.get_for_model(Meeting)  # warm the content type cache like a live server
    with django_assert_num_queries(6):
        response = client.get(URL)
    assert response.status_code == 200
    assert response.content.decode().count("Nouvelle valeur ") == count
