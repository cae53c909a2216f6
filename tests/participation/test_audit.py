"""The audit log of staff actions (issue 8, item 7) and the logging of registrant list exports
(item 6): entries are written on roles, questions, answers, grants and exports, with the actor;
only coordinators read them, in a bounded number of queries.
"""

from __future__ import annotations

import importlib
import json
from decimal import Decimal

import pytest
from auditlog.context import set_actor
from auditlog.models import LogEntry
from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.urls import reverse
from django.utils import timezone

from dialogue.models import Meeting
from participation import audit
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
    # A resident's question is named by its number; its text is never shown (issue 20).
    assert "Quand le hall sera-t-il repeint" not in page
    assert f"Question #{question.pk}" in page
    assert "registrant list exported (2 rows)" in page
    assert "Exported or viewed" in page

    page = client.get(URL, {"model": "questions.question"}).content.decode()
    assert f"Question #{question.pk}" in page and "Atelier jardin" not in page
    # Part of an email address: the name before the @.
    coordinator_name = actors["coordinator"].email.split("@")[0] + "@"
    page = client.get(URL, {"actor": coordinator_name}).content.decode()
    assert "Atelier jardin" in page and f"Question #{question.pk}" not in page
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


# Residents' personal data never reach the log (issue 20) -------------------------------------------


def test_residents_values_are_logged_as_changed_only(actors):
    referent = actors["referent_tours"]
    with set_actor(referent):
        question = QuestionFactory(
            text="Qui répare l'ascenseur ?", asker_name="Awa Diallo", asker_email="awa@example.org"
        )
        question.asker_email = ""
        question.save(update_fields=["asker_email"])
    created, changed = entries_for(question)
    assert created.changes_dict["text"] == ["None", audit.MASKED_VALUE]
    assert created.changes_dict["asker_name"] == ["None", audit.MASKED_VALUE]
    assert created.changes_dict["asker_email"] == ["None", audit.MASKED_VALUE]
    # Emptied: the log says so (a purge), still without the value.
    assert changed.changes_dict["asker_email"] == [audit.MASKED_VALUE, ""]
    # Staff fields stay readable.
    assert created.changes_dict["status"][1] == question.status
    for entry in (created, changed):
        assert entry.object_repr == ""
        assert "Awa" not in str(entry.changes) and "ascenseur" not in str(entry.changes)


def test_a_grant_application_logs_no_contact(actors):
    with set_actor(actors["referent_tours"]):
        application = GrantApplicationFactory(
            envelope=FundEnvelopeFactory(qpv=actors.sanitas, year=timezone.localdate().year),
            contact_name="Awa Diallo",
            contact_email="awa@example.org",
            contact_phone="0612345678",
        )
    [entry] = entries_for(application)
    text = json.dumps(entry.changes) + entry.object_repr
    for value in ("Awa", "awa@example.org", "0612345678", application.title):
        assert value not in text
    assert entry.changes_dict["contact_phone"][1] == audit.MASKED_VALUE
    assert entry.changes_dict["amount_requested"][1] == str(application.amount_requested)


def test_the_page_shows_changed_never_a_residents_value(client, actors):
    """Even an entry written before the masks (or by hand) shows "modifié", not the value."""
    question = QuestionFactory()
    LogEntry.objects.filter(content_type__model="question").delete()
    LogEntry.objects.create(
        content_type=ContentType.objects.get_for_model(Question),
        object_pk=str(question.pk),
        object_id=question.pk,
        object_repr="",
        action=LogEntry.Action.UPDATE,
        changes={"asker_email": ["awa@example.org", ""], "status": ["moderation", "received"]},
        actor=actors["referent_tours"],
    )
    actors.login(client, "coordinator")
    page = client.get(URL).content.decode()
    assert "awa@example.org" not in page
    assert "modifié" in page and "received" in page


def test_a_residents_request_is_logged_without_their_name(client, actors):
    resident = actors["resident"]
    client.force_login(resident)
    response = client.post(
        reverse("questions:question_ask", kwargs={"slug": actors.sanitas.slug}),
        {
            "text": "Quand le parc rouvrira-t-il ses portes ?",
            "theme": "housing",
            "public_display": "on",
            "name": "Awa",
            "email": resident.email,
            "website": "",
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    question = Question.objects.get(asked_by=resident)
    [entry] = entries_for(question)
    assert entry.actor is None and entry.actor_email is None and entry.remote_addr is None


def test_deleting_a_residents_account_rewrites_the_entries_already_written(actors):
    from portal.services import account_delete

    resident = actors["resident"]
    question = QuestionFactory(asked_by=resident, asker_email=resident.email)
    # As the log wrote it before issue 20: the value in clear, the resident as author.
    LogEntry.objects.create(
        content_type=ContentType.objects.get_for_model(Question),
        object_pk=str(question.pk),
        object_id=question.pk,
        object_repr="Qui répare l'ascenseur ?",
        action=LogEntry.Action.CREATE,
        changes={"asker_email": ["None", resident.email]},
        actor=resident,
        actor_email=resident.email,
        remote_addr="192.0.2.1",
    )
    staff_entry = LogEntry.objects.log_create(
        question,
        action=LogEntry.Action.UPDATE,
        changes={"status": ["a", "b"]},
        actor=actors["referent_tours"],
        actor_email=actors["referent_tours"].email,
    )
    account_delete(user=resident)
    texts = [
        json.dumps([entry.changes, entry.object_repr, entry.actor_email, entry.remote_addr])
        for entry in LogEntry.objects.filter(object_id=question.pk, content_type__model="question")
    ]
    assert texts and all(resident.email not in text and "192.0.2.1" not in text for text in texts)
    staff_entry.refresh_from_db()
    assert staff_entry.actor == actors["referent_tours"]


def test_the_migration_rewrites_the_entries_of_a_deployed_database(actors):
    from django.apps import apps

    migration = importlib.import_module(
        "participation.migrations.0004_audit_log_without_residents_data"
    )
    question = QuestionFactory()
    resident, referent = actors["resident"], actors["referent_tours"]
    content_type = ContentType.objects.get_for_model(Question)

    def legacy(**fields):
        return LogEntry.objects.create(
            content_type=content_type,
            object_pk=str(question.pk),
            object_id=question.pk,
            object_repr="Awa Diallo demande",
            action=LogEntry.Action.CREATE,
            changes={"asker_name": ["None", "Awa Diallo"], "status": ["None", "received"]},
            **fields,
        )

    by_resident = legacy(actor=resident, actor_email=resident.email, remote_addr="192.0.2.1")
    by_referent = legacy(actor=referent, actor_email=referent.email)
    by_deleted = legacy(actor_email="gone@example.org")
    migration.scrub(apps, None)
    for entry in (by_resident, by_referent, by_deleted):
        entry.refresh_from_db()
        assert entry.changes == {
            "asker_name": ["None", audit.MASKED_VALUE],
            "status": ["None", "received"],
        }
        assert entry.object_repr == ""
    assert (by_resident.actor, by_resident.actor_email, by_resident.remote_addr) == (None,) * 3
    assert by_deleted.actor_email is None
    assert (by_referent.actor, by_referent.actor_email) == (referent, referent.email)
