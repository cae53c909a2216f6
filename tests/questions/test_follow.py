"""Following a public question asked by someone else (issue 17, item 7): only with an account, only
a public question; followed_questions_of(user) feeds "Mon espace"."""

from __future__ import annotations

import pytest
from django.urls import reverse

from portal.services import account_delete
from questions import services
from questions.models import QuestionFollow, QuestionStatus
from questions.selectors import followed_questions_of
from tests.participation.factories import UserFactory
from tests.questions.factories import QuestionFactory

pytestmark = pytest.mark.django_db

ROLES = ["visitor", "resident", "facilitator_sanitas", "referent_joue", "correspondent"]


def _follow(client, question, action="follow"):
    return client.post(reverse(f"questions:{action}", args=[question.pk]))


@pytest.fixture
def public(actors):
    return QuestionFactory(status=QuestionStatus.FORWARDED, organisation=actors.organisation)


@pytest.mark.parametrize("role", ROLES)
def test_any_account_may_follow_a_public_question_a_visitor_logs_in_first(
    client, actors, public, role
):
    actors.login(client, role)
    response = _follow(client, public)
    assert response.status_code == 302
    if role == "visitor":
        # Back to the question's page after logging in, where the button waits.
        assert response.url == reverse("account_login") + "?next=" + public.get_absolute_url()
        assert not QuestionFollow.objects.exists()
    else:
        assert response.url == public.get_absolute_url()
        assert list(followed_questions_of(actors[role])) == [public]


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(
    "fields",
    [
        {"public_display": False},
        {"status": QuestionStatus.MODERATION},
        {"status": QuestionStatus.UNCONFIRMED},
        {"status": QuestionStatus.REJECTED},
    ],
    ids=["not public", "moderation", "unconfirmed", "rejected"],
)
def test_a_question_not_public_cannot_be_followed(client, actors, role, fields):
    question = QuestionFactory(**fields)
    actors.login(client, role)
    for action in ("follow", "unfollow"):
        assert _follow(client, question, action).status_code == 404
    assert not QuestionFollow.objects.exists()


def test_an_unknown_question_is_404_and_get_is_405(client, actors, public):
    actors.login(client, "resident")
    assert client.post(reverse("questions:follow", args=[999999])).status_code == 404
    assert client.get(reverse("questions:follow", args=[public.pk])).status_code == 405
    assert client.get(reverse("questions:unfollow", args=[public.pk])).status_code == 405


def test_following_twice_is_once_and_unfollowing_stops_it(client, actors, public):
    resident = actors["resident"]
    actors.login(client, "resident")
    _follow(client, public)
    _follow(client, public)
    assert QuestionFollow.objects.filter(user=resident).count() == 1
    assert _follow(client, public, "unfollow").url == public.get_absolute_url()
    assert list(followed_questions_of(resident)) == []
    # Unfollowing what one does not follow is harmless.
    assert _follow(client, public, "unfollow").status_code == 302


def test_the_service_refuses_a_question_not_public(actors):
    question = QuestionFactory(status=QuestionStatus.MODERATION)
    with pytest.raises(services.QuestionError) as refused:
        services.question_follow(user=actors["resident"], question=question)
    assert refused.value.code == "not_public"


def test_followed_questions_latest_first_and_public_only(actors):
    resident = actors["resident"]
    first, second, hidden = QuestionFactory(), QuestionFactory(), QuestionFactory()
    for question in (first, second, hidden):
        services.question_follow(user=resident, question=question)
    # The asker withdrew public display since (or a moderator's correction): it leaves the list.
    hidden.public_display = False
    hidden.save()
    services.question_follow(user=UserFactory(), question=first)  # someone else's follow
    assert list(followed_questions_of(resident)) == [second, first]
    assert list(followed_questions_of(UserFactory())) == []


def test_followed_questions_in_one_query(actors, django_assert_num_queries):
    resident = actors["resident"]
    for _ in range(5):
        services.question_follow(
            user=resident, question=QuestionFactory(organisation=actors.organisation)
        )
    with django_assert_num_queries(1):
        questions = list(followed_questions_of(resident))
        assert {question.qpv.commune.name for question in questions} == {"Tours"}
        assert {question.organisation.name for question in questions} == {"Tours Habitat"}


def test_the_question_page_offers_to_follow(client, actors, public):
    english = {"english": True}
    actors.login(client, "visitor", **english)
    page = client.get(public.get_absolute_url()).content.decode()
    assert "Log in to follow this question" in page
    actors.login(client, "resident", **english)
    page = client.get(public.get_absolute_url()).content.decode()
    assert f'action="{reverse("questions:follow", args=[public.pk])}"' in page
    _follow(client, public)
    page = client.get(public.get_absolute_url()).content.decode()
    assert "You follow this question." in page
    assert f'action="{reverse("questions:unfollow", args=[public.pk])}"' in page


def test_the_asker_is_not_offered_to_follow_their_own_question(client, actors):
    question = QuestionFactory(asked_by=actors["resident"])
    actors.login(client, "resident")
    page = client.get(question.get_absolute_url()).content.decode()
    assert reverse("questions:follow", args=[question.pk]) not in page


def test_my_questions_lists_the_questions_followed(client, actors, public):
    services.question_follow(user=actors["resident"], question=public)
    actors.login(client, "resident", english=True)
    page = client.get(reverse("questions:my_questions")).content.decode()
    assert "Questions I follow" in page
    assert public.get_absolute_url() in page


def test_deleting_the_account_deletes_its_follows(actors, public):
    resident = actors["resident"]
    services.question_follow(user=resident, question=public)
    account_delete(user=resident)
    assert not QuestionFollow.objects.exists()
    public.refresh_from_db()  # the question stays
