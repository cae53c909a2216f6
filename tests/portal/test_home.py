"""The home page leads somewhere (issue 17, item 6): the next meetings, those of the visitor's
neighbourhood first (chosen, remembered in a cookie, or followed), the latest answers, the QPV list;
cached for anonymous visitors per chosen neighbourhood; bounded queries."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from dialogue.models import MeetingStatus, today_in_paris
from portal import neighbourhood
from qpv.models import QPV, Follow
from questions.models import AnswerStatus, QuestionStatus
from tests.dialogue.factories import DialogueSpaceFactory, MeetingFactory
from tests.helpers import PortalClient
from tests.participation.factories import UserFactory
from tests.qpv.factories import OrganisationFactory
from tests.questions.factories import AnswerFactory, QuestionFactory

pytestmark = pytest.mark.django_db

COOKIE = neighbourhood.COOKIE_NAME


def in_days(days: int):
    return (timezone.localtime() + timedelta(days=days)).replace(
        hour=18, minute=0, second=0, microsecond=0
    )


def meeting_in(slug: str, days: int, **fields):
    space = DialogueSpaceFactory(qpv=QPV.objects.get(slug=slug))
    return MeetingFactory(dialogue_space=space, starts_at=in_days(days), **fields)


def answered(text: str, *, days_ago: int, slug: str = "sanitas", public: bool = True):
    today = today_in_paris()
    organisation = OrganisationFactory(name=f"Bailleur de « {text} »")
    question = QuestionFactory(
        qpv=QPV.objects.get(slug=slug),
        text=text,
        organisation=organisation,
        public_display=public,
        status=QuestionStatus.ANSWERED,
        received_on=today - timedelta(days=days_ago + 5),
        answered_on=today - timedelta(days=days_ago),
    )
    AnswerFactory(
        question=question,
        status=AnswerStatus.PUBLISHED,
        published_at=timezone.now() - timedelta(days=days_ago),
    )
    return question


def section(page: str, title_id: str) -> str:
    """The HTML of the <section> whose heading has this id."""
    match = re.search(
        rf'<section[^>]*aria-labelledby="{title_id}".*?</section>', page, flags=re.DOTALL
    )
    assert match, f"no section {title_id}"
    return match.group(0)


def test_home_shows_next_meetings_latest_answers_and_neighbourhoods(client):
    later = meeting_in("europe", 9, title="Atelier jardin partagé")
    sooner = meeting_in("la-rabiere", 2, title="Café des habitants de la Rabière")
    meeting_in(
        "sanitas",
        3,
        title="Rencontre annulée",
        status=MeetingStatus.CANCELLED,
        cancellation_reason="Salle indisponible",
    )
    meeting_in("sanitas", -3, title="Rencontre passée")
    answered("Quand le square rouvrira-t-il ?", days_ago=10)
    answered("Où jeter les encombrants ?", days_ago=1, slug="la-rabiere")
    answered("Question privée du hall B ?", days_ago=0, public=False)
    QuestionFactory(text="Question sans réponse ?")

    response = client.get(reverse("home"))
    assert response.status_code == 200
    page = response.content.decode()
    meetings = section(page, "next-meetings-title")
    assert "Prochaines rencontres" in meetings
    assert meetings.index(sooner.title) < meetings.index(later.title)
    assert "Rencontre annulée" not in page and "Rencontre passée" not in page
    assert "La Rabière" in meetings and "(Joué-lès-Tours)" in meetings
    assert reverse("dialogue:agenda") in meetings

    answers = section(page, "answers-title")
    assert "Dernières réponses" in answers
    assert answers.index("Où jeter les encombrants ?") < answers.index("Quand le square")
    assert "Question privée" not in page and "Question sans réponse" not in page
    assert reverse("questions:questions") in answers

    neighbourhoods = section(page, "neighbourhoods-title")
    for qpv in QPV.objects.all():
        assert qpv.get_absolute_url() in neighbourhoods
    assert "Saint-Pierre-des-Corps" in neighbourhoods
    # Nothing of a chosen neighbourhood: no cookie yet.
    assert 'id="my-meetings-title"' not in page
    assert '<option value="" selected>Tous les quartiers</option>' in page


def test_choosing_a_neighbourhood_lists_its_meetings_first(client):
    far = meeting_in("sanitas", 20, title="Diagnostic en marchant au Sanitas")
    near = meeting_in("europe", 1, title="Café Europe")
    response = client.post(reverse("choose_qpv"), {"qpv": "sanitas"})
    assert response.status_code == 302 and response.url == reverse("home")
    cookie = response.cookies[COOKIE]
    assert cookie.value == "sanitas"
    assert cookie["httponly"] and cookie["samesite"] == "Lax"
    assert int(cookie["max-age"]) == neighbourhood.COOKIE_MAX_AGE

    page = client.get(reverse("home")).content.decode()
    mine = section(page, "my-meetings-title")
    assert "Prochaines rencontres à Sanitas" in mine
    assert far.title in mine and near.title not in mine
    assert reverse("dialogue:qpv_agenda", args=["sanitas"]) in mine
    others = section(page, "next-meetings-title")
    assert "autres quartiers" in others
    assert near.title in others and far.title not in others
    assert page.index(far.title) < page.index(near.title)
    assert '<option value="sanitas" selected>Sanitas</option>' in page

    # "All neighbourhoods" forgets the choice.
    response = client.post(reverse("choose_qpv"), {"qpv": ""})
    assert response.status_code == 302
    assert response.cookies[COOKIE].value == ""
    assert int(response.cookies[COOKIE]["max-age"]) == 0


def test_a_neighbourhood_without_meetings_says_so(client):
    meeting_in("europe", 1, title="Café Europe")
    client.cookies[COOKIE] = "le-morier"
    page = client.get(reverse("home")).content.decode()
    mine = section(page, "my-meetings-title")
    assert "Prochaines rencontres à Le Morier" in mine
    assert "Aucune rencontre n'est prévue dans votre quartier" in mine
    assert "Café Europe" in section(page, "next-meetings-title")


@pytest.mark.parametrize(
    "value",
    ["", "inconnu", "ZZZ", "<script>alert(1)</script>", "sanitas; path=/", "x" * 300],
)
def test_an_unknown_or_malformed_cookie_counts_as_no_choice(client, value):
    meeting_in("sanitas", 2, title="Rencontre du Sanitas")
    client.cookies[COOKIE] = value
    response = client.get(reverse("home"))
    assert response.status_code == 200
    page = response.content.decode()
    assert 'id="my-meetings-title"' not in page
    assert "Rencontre du Sanitas" in section(page, "next-meetings-title")
    assert "<script>alert(1)" not in page


@pytest.mark.parametrize("value", ["nulle-part", "<b>", "sanitas" * 20])
def test_choosing_an_unknown_neighbourhood_is_refused_with_a_message(client, value):
    meeting_in("europe", 2, title="Café Europe")
    client.cookies[COOKIE] = "sanitas"
    response = client.post(reverse("choose_qpv"), {"qpv": value})
    assert response.status_code == 400
    page = response.content.decode()
    assert "Sélectionnez un choix valide" in page
    assert 'class="alert alert-danger error-summary"' in page
    assert 'href="#id_qpv"' in page
    # The page is whole, and the choice made before is kept.
    assert "Café Europe" in page
    assert COOKIE not in response.cookies
    assert "<b>" not in page


def test_choose_is_post_only(client):
    assert client.get(reverse("choose_qpv")).status_code == 405


def test_opening_a_neighbourhood_page_chooses_it(client, settings):
    settings.PAGE_CACHE_SECONDS = 60
    response = client.get(reverse("qpv_page", args=["europe"]))
    assert response.cookies[COOKIE].value == "europe"
    # The page came from the cache for this second visitor: the cookie is set all the same.
    other = PortalClient()
    with CaptureQueriesContext(connection) as queries:
        response = other.get(reverse("qpv_page", args=["europe"]))
    assert len(queries) == 0
    assert response.cookies[COOKIE].value == "europe"
    # Already chosen: not set again; an unknown page sets nothing.
    client.cookies[COOKIE] = "europe"
    assert COOKIE not in client.get(reverse("qpv_page", args=["europe"])).cookies
    assert COOKIE not in PortalClient().get("/quartiers/nulle-part/").cookies
    page = client.get(reverse("home")).content.decode()
    assert "Prochaines rencontres à Europe" in page


def test_a_resident_sees_the_neighbourhoods_they_follow_first(client):
    resident = UserFactory()
    Follow.objects.create(user=resident, qpv=QPV.objects.get(slug="sanitas"))
    Follow.objects.create(user=resident, qpv=QPV.objects.get(slug="la-rabiere"))
    sanitas = meeting_in("sanitas", 8, title="Rencontre du Sanitas")
    rabiere = meeting_in("la-rabiere", 5, title="Rencontre de la Rabière")
    europe = meeting_in("europe", 1, title="Rencontre Europe")
    client.force_login(resident)
    client.cookies[COOKIE] = "europe"
    page = client.get(reverse("home")).content.decode()
    mine = section(page, "my-meetings-title")
    assert "Prochaines rencontres dans vos quartiers" in mine
    # The chosen one and the followed ones, soonest first; the QPV named on each card.
    assert mine.index(europe.title) < mine.index(rabiere.title) < mine.index(sanitas.title)
    assert "(Joué-lès-Tours)" in mine
    for slug in ("europe", "sanitas", "la-rabiere"):
        assert reverse("dialogue:qpv_agenda", args=[slug]) in mine
    assert "Aucune rencontre n'est prévue pour l'instant." in section(page, "next-meetings-title")


def test_the_neighbourhood_given_at_sign_up_comes_first_too(client):
    resident = UserFactory(home_qpv=QPV.objects.get(slug="la-rabiere"))
    rabiere = meeting_in("la-rabiere", 5, title="Rencontre de la Rabière")
    europe = meeting_in("europe", 1, title="Rencontre Europe")
    client.force_login(resident)
    page = client.get(reverse("home")).content.decode()
    mine = section(page, "my-meetings-title")
    assert rabiere.title in mine
    assert europe.title not in mine


def test_at_most_six_meetings_and_four_of_mine(client):
    for day in range(1, 8):
        meeting_in("sanitas", day, title=f"Sanitas jour {day}")
        meeting_in("europe", day, title=f"Europe jour {day}")
    page = client.get(reverse("home")).content.decode()
    assert page.count('class="card h-100 meeting-card') == 6
    client.cookies[COOKIE] = "sanitas"
    page = client.get(reverse("home")).content.decode()
    assert section(page, "my-meetings-title").count('<article class="card h-100 meeting-card') == 4
    assert (
        section(page, "next-meetings-title").count('<article class="card h-100 meeting-card') == 2
    )


# ---- The page cache: one copy per chosen neighbourhood, never anyone's state ----


def count_queries(client, url: str) -> tuple[int, str]:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries), response.content.decode()


def test_the_cached_home_page_is_kept_per_chosen_neighbourhood(settings):
    settings.PAGE_CACHE_SECONDS = 60
    meeting_in("sanitas", 3, title="Rencontre du Sanitas")
    home = reverse("home")
    sanitas = PortalClient()
    sanitas.cookies[COOKIE] = "sanitas"
    queries, page = count_queries(sanitas, home)
    assert queries > 0 and "Prochaines rencontres à Sanitas" in page
    # A visitor without a choice never gets the Sanitas copy, and the other way round.
    queries, page = count_queries(PortalClient(), home)
    assert queries > 0 and "Prochaines rencontres à Sanitas" not in page
    europe = PortalClient()
    europe.cookies[COOKIE] = "europe"
    queries, page = count_queries(europe, home)
    assert queries > 0 and "Prochaines rencontres à Europe" in page
    # Each copy is served from the cache to the next visitor of the same choice.
    for cookie, heading in [("sanitas", "à Sanitas"), ("", None), ("europe", "à Europe")]:
        visitor = PortalClient()
        if cookie:
            visitor.cookies[COOKIE] = cookie
        queries, page = count_queries(visitor, home)
        assert queries == 0
        if heading:
            assert f"Prochaines rencontres {heading}" in page
        else:
            assert 'id="my-meetings-title"' not in page


def test_signed_in_residents_never_get_a_cached_home_page(settings):
    settings.PAGE_CACHE_SECONDS = 60
    PortalClient().get(reverse("home"))
    resident = PortalClient()
    resident.force_login(UserFactory())
    queries, _page = count_queries(resident, reverse("home"))
    assert queries > 0


# ---- Bounded queries ----


def grow(count: int) -> None:
    for index in range(count):
        slug = ["sanitas", "europe", "la-rabiere"][index % 3]
        meeting_in(slug, 1 + index % 20)
        answered(f"Question numéro {index} ?", days_ago=index)


@pytest.mark.parametrize("count", [3, 30])
def test_home_query_count(client, django_assert_num_queries, count):
    grow(count)
    home = reverse("home")
    # QPV (list, chooser, header menu), next meetings (with seats), latest answers.
    with django_assert_num_queries(3):
        assert client.get(home).status_code == 200
    # + the chosen neighbourhood's meetings.
    client.cookies[COOKIE] = "sanitas"
    with django_assert_num_queries(4):
        assert client.get(home).status_code == 200
    # + session, user, roles (header), followed QPV.
    resident = UserFactory()
    Follow.objects.create(user=resident, qpv=QPV.objects.get(slug="europe"))
    client.force_login(resident)
    with django_assert_num_queries(8):
        assert client.get(home).status_code == 200
    # A refused choice: the same page, and the user read once more (a POST names its user for
    # the audit log, participation.middleware.audit_actor).
    with django_assert_num_queries(9):
        assert client.post(reverse("choose_qpv"), {"qpv": "x"}).status_code == 400
