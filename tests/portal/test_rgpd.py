"""RGPD, the resident's side (issue 8 item 6): download all my data, delete my account.

Deleting an account anonymises registrations instead of deleting them: every indicator of the
catalogue is recomputed before and after to prove the aggregates do not move.
"""

from __future__ import annotations

import json
from datetime import date

import pytest
from allauth.account.models import EmailAddress
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation

from dialogue.models import ComebackInvitation, Registration
from dialogue.services.retention import PURGED_DOMAIN, pseudonym
from evaluation.computations import compute, compute_by_qpv
from evaluation.indicators import Period, Scope
from participation.models import RoleAssignment, User
from participation.roles import Role
from projects.models import FundEnvelope, GrantApplication, Project
from qpv.models import QPV, Follow
from questions.models import AnswerStatus, Question, QuestionFollow, QuestionStatus
from tests.dialogue.factories import MeetingFactory, RegistrationFactory
from tests.evaluation.factories import build_dataset
from tests.participation.factories import PASSWORD, UserFactory, grant
from tests.projects.factories import FundEnvelopeFactory, GrantApplicationFactory, ProjectFactory
from tests.questions.factories import AnswerFactory, QuestionFactory

pytestmark = pytest.mark.django_db

URLS = ("my_data", "my_data_json", "account_delete")


def fr(msgid: str) -> str:
    """The French text of a msgid (the msgid itself until the lead merges the new translations)."""
    with translation.override("fr"):
        return translation.gettext(msgid)


@pytest.fixture
def resident():
    return UserFactory(email="lea@example.org", full_name="Léa Martin")


@pytest.fixture
def other():
    return UserFactory(email="autre@example.org", full_name="Omar Autre")


def _registrations(user: User, count: int) -> None:
    for index in range(count):
        RegistrationFactory(
            user=user,
            email=user.email,
            name=user.full_name,
            meeting=MeetingFactory(title=f"Rencontre de {user.full_name} {index}"),
            gender="woman",
            age_band="26_40",
            comeback_opt_in=True,
        )


def _holdings(user: User) -> None:
    """One of everything the export lists."""
    _registrations(user, 1)
    question = QuestionFactory(
        asked_by=user, asker_email=user.email, text=f"Question de {user.full_name}"
    )
    AnswerFactory(question=question, status=AnswerStatus.PUBLISHED, text=f"Réponse à {user.email}")
    Follow.objects.create(user=user, qpv=QPV.objects.get(slug="sanitas"))
    QuestionFollow.objects.create(
        user=user, question=QuestionFactory(text=f"Question suivie par {user.full_name}")
    )
    ProjectFactory(proposed_by=user, title=f"Jardin de {user.full_name}")
    GrantApplicationFactory(
        envelope=FundEnvelope.objects.first() or FundEnvelopeFactory(),
        submitted_by=user,
        contact_email=user.email,
        title=f"Fête de {user.full_name}",
    )


# ---- Visitors ---------------------------------------------------------------------------------


@pytest.mark.parametrize("name", URLS)
@pytest.mark.parametrize("method", ["get", "post"])
def test_visitor_is_sent_to_login(client, name, method):
    response = getattr(client, method)(reverse(name))
    assert response.status_code == 302
    assert response.url.startswith(reverse("account_login"))


# ---- Download my data -------------------------------------------------------------------------


def test_my_data_page_lists_own_data_only(client, resident, other):
    _holdings(resident)
    _holdings(other)
    grant(resident, Role.FACILITATOR, qpv=QPV.objects.get(slug="sanitas"))
    client.force_login(resident)

    response = client.get(reverse("my_data"))

    assert response.status_code == 200
    html = response.content.decode()
    for expected in (
        "lea@example.org",
        "Léa Martin",
        "Rencontre de Léa Martin 0",
        "Question de Léa Martin",
        "Question suivie par Léa Martin",
        "Réponse à lea@example.org",
        "Jardin de Léa Martin",
        "Fête de Léa Martin",
        "Sanitas",
        reverse("my_data_json"),
        reverse("account_delete"),
    ):
        assert expected in html
    assert "autre@example.org" not in html
    assert "Omar Autre" not in html


def test_my_data_json_is_a_download_of_own_data_only(client, resident, other):
    _holdings(resident)
    _holdings(other)
    client.force_login(resident)

    response = client.get(reverse("my_data_json"))

    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")
    assert response["Content-Disposition"].startswith('attachment; filename="mes-donnees-')
    data = json.loads(response.content)
    assert data["account"]["email"] == "lea@example.org"
    assert [r["meeting"] for r in data["registrations"]] == ["Rencontre de Léa Martin 0"]
    registration = data["registrations"][0]
    assert registration["comeback_opt_in"] is True
    assert registration["gender"] and registration["age_band"]
    assert [q["text"] for q in data["questions"]] == ["Question de Léa Martin"]
    assert data["questions"][0]["answer"] == "Réponse à lea@example.org"
    assert [f["qpv"] for f in data["follows"]] == ["Sanitas"]
    assert [f["text"] for f in data["questions_followed"]] == ["Question suivie par Léa Martin"]
    assert data["questions"][0]["intended_for"] == "Je ne sais pas"
    assert [p["title"] for p in data["project_ideas"]] == ["Jardin de Léa Martin"]
    assert [g["title"] for g in data["grant_applications"]] == ["Fête de Léa Martin"]
    assert "autre@example.org" not in response.content.decode()


def test_draft_answer_is_not_exported(client, resident):
    question = QuestionFactory(asked_by=resident, status=QuestionStatus.FORWARDED)
    AnswerFactory(question=question, text="Brouillon interne")
    client.force_login(resident)

    data = json.loads(client.get(reverse("my_data_json")).content)

    assert data["questions"][0]["answer"] == ""


@pytest.mark.parametrize("name", ["my_data", "my_data_json"])
def test_my_data_query_count_does_not_grow(client, django_assert_max_num_queries, name):
    few = UserFactory(email="few@example.org")
    many = UserFactory(email="many@example.org")
    for user, count in ((few, 3), (many, 30)):
        _registrations(user, count)
        for _ in range(count):
            QuestionFactory(asked_by=user)
    counts = []
    for user in (few, many):
        client.force_login(user)
        with CaptureQueriesContext(connection) as queries:
            assert client.get(reverse(name)).status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1]
    with django_assert_max_num_queries(15):
        client.get(reverse(name))


# ---- Delete my account ------------------------------------------------------------------------


def test_get_shows_the_consequences_and_deletes_nothing(client, resident):
    client.force_login(resident)

    response = client.get(reverse("account_delete"))

    assert response.status_code == 200
    assert fr("Delete my account for good") in response.content.decode()
    assert 'type="password"' in response.content.decode()
    assert User.objects.filter(pk=resident.pk).exists()


@pytest.mark.parametrize("password", ["mauvais-mot-de-passe", ""])
def test_wrong_password_is_refused_and_nothing_deleted(client, resident, password):
    _holdings(resident)
    client.force_login(resident)

    response = client.post(reverse("account_delete"), {"confirmation": password})

    assert response.status_code == 400
    page = response.content.decode()
    assert "Le formulaire contient des erreurs" in page
    expected = "This password is not correct." if password else "This field is required."
    assert fr(expected) in page
    assert User.objects.filter(pk=resident.pk).exists()
    assert Registration.objects.filter(user=resident, email="lea@example.org").count() == 1
    assert Follow.objects.filter(user=resident).exists()
    assert EmailAddress.objects.filter(user=resident).exists()


def test_account_without_password_types_the_word(client):
    user = UserFactory(email="code@example.org", password=None)
    user.set_unusable_password()
    user.save()
    client.force_login(user)

    refused = client.post(reverse("account_delete"), {"confirmation": "supprimer"})
    assert refused.status_code == 400
    assert User.objects.filter(pk=user.pk).exists()

    response = client.post(reverse("account_delete"), {"confirmation": "SUPPRIMER"})
    assert response.status_code == 302
    assert not User.objects.filter(pk=user.pk).exists()


def test_right_password_deletes_and_anonymises(client, resident, other):
    _holdings(resident)
    _holdings(other)
    ComebackInvitation.objects.create(
        email="lea@example.org", meeting=Registration.objects.filter(user=resident).get().meeting
    )
    client.force_login(resident)
    registration_ids = list(Registration.objects.filter(user=resident).values_list("pk", flat=True))
    question_ids = list(Question.objects.filter(asked_by=resident).values_list("pk", flat=True))
    project_ids = list(Project.objects.filter(proposed_by=resident).values_list("pk", flat=True))
    grant_ids = list(
        GrantApplication.objects.filter(submitted_by=resident).values_list("pk", flat=True)
    )

    response = client.post(reverse("account_delete"), {"confirmation": PASSWORD}, follow=True)

    assert response.redirect_chain[-1][0] == reverse("home")
    assert fr("Your account has been deleted.") in response.content.decode()
    assert not response.wsgi_request.user.is_authenticated
    assert not User.objects.filter(pk=resident.pk).exists()
    assert not EmailAddress.objects.filter(email="lea@example.org").exists()
    assert not Follow.objects.filter(qpv__slug="sanitas", user__email="lea@example.org").exists()

    for registration in Registration.objects.filter(pk__in=registration_ids):
        assert registration.user_id is None
        assert registration.name == "" and registration.phone == ""
        assert registration.email == pseudonym("lea@example.org")
        assert registration.attended is None and registration.gender == "woman"
    rows = list(Registration.objects.values_list("name", "email", "phone"))
    assert not any("lea@example.org" in str(row) or "Léa" in str(row) for row in rows)
    for question in Question.objects.filter(pk__in=question_ids):
        assert question.asked_by_id is None
        assert (question.asker_name, question.asker_email, question.show_name) == ("", "", False)
    assert Project.objects.filter(pk__in=project_ids, proposed_by__isnull=True).count() == 1
    for application in GrantApplication.objects.filter(pk__in=grant_ids):
        assert application.submitted_by_id is None
        assert application.contact_name == "—" and application.contact_phone == ""
        assert application.contact_email.endswith(f"@{PURGED_DOMAIN}")
    assert ComebackInvitation.objects.get().email == pseudonym("lea@example.org")

    # The other resident is untouched.
    assert Registration.objects.filter(user=other, email="autre@example.org").count() == 1
    assert Follow.objects.filter(user=other).count() == 1


def test_staff_can_delete_their_account_and_their_roles_go(client, resident):
    grant(resident, Role.FACILITATOR, qpv=QPV.objects.get(slug="sanitas"))
    client.force_login(resident)

    response = client.post(reverse("account_delete"), {"confirmation": PASSWORD})

    assert response.status_code == 302
    assert not User.objects.filter(pk=resident.pk).exists()
    assert not RoleAssignment.objects.filter(user_id=resident.pk).exists()


def test_aggregates_are_unchanged_by_a_deletion(client):
    data = build_dataset()
    # Alice attended held meetings (m7 and m1, and m2 under another case of her address).
    alice = UserFactory(email="alice@example.org", full_name="Alice Durand")
    linked = Registration.objects.filter(email__iexact="alice@example.org").update(user=alice)
    assert linked == 3
    Question.objects.filter(pk=Question.objects.order_by("pk").first().pk).update(asked_by=alice)
    Project.objects.filter(pk=Project.objects.order_by("pk").first().pk).update(proposed_by=alice)
    GrantApplication.objects.filter(pk=GrantApplication.objects.order_by("pk").first().pk).update(
        submitted_by=alice
    )
    Follow.objects.create(user=alice, qpv=data.sanitas)
    today = timezone.localdate()
    period = Period(start=date(2019, 1, 1), end=today)

    def figures():
        return (
            compute(Scope.metropole(), period, today=today),
            compute_by_qpv(Scope.metropole(), period, today=today),
            compute(Scope.metropole(), Period.quarter(2026, 1), today=today),
        )

    before = figures()
    assert before[0]["residents_distinct"] > 0
    client.force_login(alice)
    response = client.post(reverse("account_delete"), {"confirmation": PASSWORD})
    assert response.status_code == 302
    assert not User.objects.filter(email="alice@example.org").exists()
    assert not Registration.objects.filter(email__iexact="alice@example.org").exists()

    assert figures() == before
