"""Public pages of the dialogue app: agenda, past meetings, meeting, printable view, space, QPV page."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from itertools import pairwise

import pytest
from django.urls import reverse
from django.utils import timezone

from dialogue.models import (
    FacilitatedBy,
    MeetingMode,
    MeetingStatus,
    RegistrationStatus,
    SpaceFormat,
)
from participation.roles import Role
from qpv.models import QPV
from tests.dialogue.factories import (
    DialogueSpaceFactory,
    MeetingFactory,
    MeetingTranslationFactory,
    RegistrationFactory,
)
from tests.participation.factories import UserFactory
from tests.qpv.factories import OrganisationFactory

pytestmark = pytest.mark.django_db

ROLES = [
    "visitor",
    "resident",
    "facilitator_sanitas",
    "facilitator_europe",
    "referent_tours",
    "referent_joue",
    "correspondent",
    "delegate_sanitas",
    "coordinator",
]
# Those who may manage a meeting of Sanitas (dialogue.manage_meeting): the staff of the place.
STAFF_OF_SANITAS = {"facilitator_sanitas", "referent_tours", "coordinator"}


def in_days(days: int, hour: int = 18) -> datetime:
    return (timezone.localtime() + timedelta(days=days)).replace(
        hour=hour, minute=0, second=0, microsecond=0
    )


def headings(page: str) -> list[int]:
    return [int(level) for level in re.findall(r"<h([1-6])[\s>]", page)]


def assert_headings_in_order(page: str) -> None:
    levels = headings(page)
    assert levels[0] == 1
    assert levels.count(1) == 1
    for previous, level in pairwise(levels):
        assert level <= previous + 1, levels


@pytest.fixture
def sanitas() -> QPV:
    return QPV.objects.select_related("commune").get(slug="sanitas")


@pytest.fixture
def rabiere() -> QPV:
    return QPV.objects.select_related("commune").get(slug="la-rabiere")


@pytest.fixture
def space(sanitas):
    return DialogueSpaceFactory(
        qpv=sanitas,
        name="Café des habitants du Sanitas",
        format=SpaceFormat.CAFE,
        host_organisation=OrganisationFactory(name="Centre social Pluriel(le)s"),
        facilitated_by=FacilitatedBy.PARTNER,
        charter="Chacun parle à son tour.\nOn s'écoute.",
    )


@pytest.fixture
def meeting(space):
    return MeetingFactory(
        dialogue_space=space,
        title="Parlons du square",
        access_notes="Code porte 1234, 1er étage",
        accessibility_notes="Ascenseur disponible",
        step_free=True,
        agenda="1. Accueil\n2. Le square",
    )


@pytest.fixture
def actors(actors):
    """And a facilitator of Europe, another QPV of Tours."""
    actors.add("facilitator_europe", Role.FACILITATOR, qpv=actors.europe)
    return actors


# ---- Every page, every role ----


@pytest.mark.parametrize("role", ROLES)
def test_every_public_page_answers_for_every_role(client, actors, role, meeting, sanitas):
    actors.login(client, role)
    past = MeetingFactory(
        dialogue_space=meeting.dialogue_space, title="Déjà tenue", starts_at=in_days(-10)
    )
    pages = {
        reverse("dialogue:agenda"): meeting.title,
        reverse("dialogue:past"): past.title,
        reverse("dialogue:qpv_agenda", args=[sanitas.slug]): meeting.title,
        reverse("dialogue:meeting", args=[meeting.pk]): meeting.title,
        reverse("dialogue:meeting_print", args=[meeting.pk]): meeting.title,
        reverse("dialogue:space", args=[meeting.dialogue_space.pk]): past.title,
        sanitas.get_absolute_url(): meeting.title,
    }
    for url, title in pages.items():
        response = client.get(url)
        assert response.status_code == 200, url
        page = response.content.decode()
        assert title in page, url
        if "imprimer" not in url:
            assert_headings_in_order(page)
    for url in [
        reverse("dialogue:agenda_ics"),
        reverse("dialogue:qpv_agenda_ics", args=[sanitas.slug]),
        reverse("dialogue:meeting_ics", args=[meeting.pk]),
    ]:
        assert client.get(url).status_code == 200, url


@pytest.mark.parametrize("role", ROLES)
def test_staff_links_only_for_the_staff_of_the_meeting(client, actors, role, meeting):
    actors.login(client, role)
    page = client.get(meeting.get_absolute_url()).content.decode()
    links = [
        reverse("dialogue:meeting_edit", args=[meeting.pk]),
        reverse("dialogue:meeting_registrations", args=[meeting.pk]),
        reverse("dialogue:meeting_poster", args=[meeting.pk]),
        reverse("dialogue:meeting_signin_sheet", args=[meeting.pk]),
    ]
    for link in links:
        assert (link in page) is (role in STAFF_OF_SANITAS), (role, link)


@pytest.mark.parametrize("role", ROLES)
def test_space_edit_link_only_for_the_staff_of_the_space(client, actors, role, space):
    actors.login(client, role)
    page = client.get(space.get_absolute_url()).content.decode()
    assert (reverse("dialogue:space_edit", args=[space.pk]) in page) is (role in STAFF_OF_SANITAS)


# ---- 404 ----


def test_unknown_or_hidden_objects_are_404(client, meeting):
    hidden = MeetingFactory(dialogue_space=DialogueSpaceFactory(is_active=False))
    urls = [
        reverse("dialogue:meeting", args=[999_999]),
        reverse("dialogue:meeting", args=[hidden.pk]),
        reverse("dialogue:meeting_print", args=[hidden.pk]),
        reverse("dialogue:meeting_ics", args=[hidden.pk]),
        reverse("dialogue:space", args=[hidden.dialogue_space.pk]),
        reverse("dialogue:space", args=[999_999]),
        reverse("dialogue:qpv_agenda", args=["nulle-part"]),
        reverse("dialogue:qpv_agenda_ics", args=["nulle-part"]),
    ]
    for url in urls:
        assert client.get(url).status_code == 404, url


# ---- Agenda ----


def test_agenda_lists_upcoming_public_meetings_soonest_first(client, space):
    later = MeetingFactory(dialogue_space=space, title="Plus tard", starts_at=in_days(20))
    sooner = MeetingFactory(dialogue_space=space, title="Bientôt", starts_at=in_days(2))
    MeetingFactory(dialogue_space=space, title="Déjà passée", starts_at=in_days(-3))
    MeetingFactory(dialogue_space=DialogueSpaceFactory(is_active=False), title="Espace fermé")
    cancelled = MeetingFactory(
        dialogue_space=space,
        title="Annulée",
        status=MeetingStatus.CANCELLED,
        cancellation_reason="Salle inondée",
        starts_at=in_days(5),
    )
    response = client.get(reverse("dialogue:agenda"))
    assert response.status_code == 200
    page = response.content.decode()
    assert page.index(sooner.title) < page.index(cancelled.title) < page.index(later.title)
    assert "Déjà passée" not in page
    assert "Espace fermé" not in page
    assert "Salle inondée" in page
    assert reverse("dialogue:agenda_ics") in page
    assert sooner.get_absolute_url() in page
    assert "Sanitas" in page
    assert space.name in page


def test_agenda_cards_show_seats(client, space):
    MeetingFactory(dialogue_space=space, title="Libre", registration_required=False)
    full = MeetingFactory(dialogue_space=space, title="Pleine", capacity=2)
    RegistrationFactory.create_batch(2, meeting=full)
    some = MeetingFactory(dialogue_space=space, title="Places", capacity=10)
    RegistrationFactory.create_batch(3, meeting=some)
    RegistrationFactory(meeting=some, status=RegistrationStatus.CANCELLED)
    page = client.get(reverse("dialogue:agenda")).content.decode()
    assert "Entrée libre" in page
    assert "Complet — liste d'attente" in page or "Full — waiting list" in page
    assert re.search(r"7 (places restantes|seats left)", page)


def test_each_filter_filters(client, space, rabiere):
    base = {"dialogue_space": space, "starts_at": in_days(3)}
    rabiere_space = DialogueSpaceFactory(qpv=rabiere, format=SpaceFormat.ATELIER)
    MeetingFactory(title="Sanitas café", **base)
    MeetingFactory(title="Sanitas plain-pied", step_free=True, **base)
    MeetingFactory(title="Sanitas dans un mois", dialogue_space=space, starts_at=in_days(40))
    MeetingFactory(title="Rabière atelier", dialogue_space=rabiere_space, starts_at=in_days(3))
    url = reverse("dialogue:agenda")
    everything = {"Sanitas café", "Sanitas plain-pied", "Sanitas dans un mois", "Rabière atelier"}

    def titles(**params) -> set[str]:
        response = client.get(url, params)
        assert response.status_code == 200
        page = response.content.decode()
        assert "filtres ne sont pas valides" not in page
        return {title for title in everything if title in page}

    assert titles() == everything
    assert titles(qpv="la-rabiere") == {"Rabière atelier"}
    assert titles(commune=rabiere.commune.slug) == {"Rabière atelier"}
    assert titles(commune=space.qpv.commune.slug) == everything - {"Rabière atelier"}
    assert titles(format=SpaceFormat.ATELIER) == {"Rabière atelier"}
    assert titles(step_free="on") == {"Sanitas plain-pied"}
    day = in_days(40).date().isoformat()
    assert titles(date_from=day) == {"Sanitas dans un mois"}
    assert titles(date_to=in_days(3).date().isoformat()) == everything - {"Sanitas dans un mois"}
    assert titles(date_from=day, date_to=day) == {"Sanitas dans un mois"}
    # French dates typed by hand in a browser without a date picker.
    assert titles(date_from=in_days(40).strftime("%d/%m/%Y")) == {"Sanitas dans un mois"}
    assert titles(qpv="sanitas", format=SpaceFormat.ATELIER) == set()


@pytest.mark.parametrize(
    "params",
    [
        {"qpv": "nulle-part"},
        {"commune": "paris"},
        {"format": "rave"},
        {"date_from": "demain"},
        {"date_to": "2026-02-31"},
        {"date_from": "0001-01-01"},
        {"date_to": "9999-12-31"},
        {"date_from": "2030-05-02", "date_to": "2030-05-01"},
    ],
)
def test_invalid_filters_get_a_message_and_the_unfiltered_list(client, space, params):
    meeting = MeetingFactory(dialogue_space=space)
    response = client.get(reverse("dialogue:agenda"), params)
    assert response.status_code == 200
    page = response.content.decode()
    assert "Le formulaire contient des erreurs" in page
    assert "Certains filtres ne sont pas valides" in page
    assert meeting.title in page
    # What was typed stays in the form.
    for value in params.values():
        if value not in {"nulle-part", "paris", "rave"}:
            assert f'value="{value}"' in page


def test_end_date_before_start_date_is_explained(client, space):
    response = client.get(
        reverse("dialogue:agenda"), {"date_from": "2030-05-02", "date_to": "2030-05-01"}
    )
    assert "La date de fin est antérieure à la date de début." in response.content.decode()


def test_agenda_is_paginated(client, space):
    for day in range(1, 26):
        MeetingFactory(dialogue_space=space, title=f"Réunion n°{day:02d}", starts_at=in_days(day))
    url = reverse("dialogue:agenda")
    first = client.get(url).content.decode()
    assert "Réunion n°20" in first and "Réunion n°21" not in first
    assert "25 rencontres à venir" in first
    assert "?page=2" in first
    second = client.get(url, {"page": 2}).content.decode()
    assert "Réunion n°21" in second and "Réunion n°20" not in second
    for page in ("999", "-1"):
        response = client.get(url, {"page": page})
        assert response.status_code == 200
        assert "Réunion n°25" in response.content.decode()
    for page in ("abc", "", "1.5"):
        response = client.get(url, {"page": page})
        assert response.status_code == 200
        assert "Réunion n°01" in response.content.decode()


def test_pagination_keeps_the_filters(client, space):
    for day in range(1, 23):
        MeetingFactory(dialogue_space=space, starts_at=in_days(day))
    page = client.get(reverse("dialogue:agenda"), {"qpv": "sanitas"}).content.decode()
    assert "?qpv=sanitas&amp;page=2" in page


def test_htmx_request_gets_the_results_partial(client, space):
    meeting = MeetingFactory(dialogue_space=space)
    response = client.get(
        reverse("dialogue:agenda"), {"qpv": "sanitas"}, headers={"HX-Request": "true"}
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "<html" not in page
    assert meeting.title in page
    assert 'data-hx-swap-oob="true"' in page
    assert "HX-Request" in response["Vary"]
    full = client.get(reverse("dialogue:agenda"))
    assert "HX-Request" in full["Vary"]
    assert 'data-hx-target="#meeting-results"' in full.content.decode()
    # A history restore needs the whole page.
    restore = client.get(
        reverse("dialogue:agenda"),
        headers={"HX-Request": "true", "HX-History-Restore-Request": "true"},
    )
    assert "<html" in restore.content.decode()


def test_htmx_request_with_invalid_filters_updates_the_error_summary(client, space):
    response = client.get(
        reverse("dialogue:agenda"), {"format": "rave"}, headers={"HX-Request": "true"}
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert 'id="filter-errors" data-hx-swap-oob="true"' in page
    assert "Le formulaire contient des erreurs" in page


def test_qpv_agenda_lists_only_its_qpv(client, space, sanitas, rabiere):
    MeetingFactory(dialogue_space=space, title="Au Sanitas")
    MeetingFactory(dialogue_space=DialogueSpaceFactory(qpv=rabiere), title="À la Rabière")
    response = client.get(reverse("dialogue:qpv_agenda", args=["sanitas"]))
    page = response.content.decode()
    assert "Au Sanitas" in page
    assert "À la Rabière" not in page
    assert reverse("dialogue:qpv_agenda_ics", args=["sanitas"]) in page
    assert 'name="qpv"' not in page
    assert 'name="step_free"' in page
    assert_headings_in_order(page)


def test_past_meetings_most_recent_first_with_filters(client, space, rabiere):
    old = MeetingFactory(dialogue_space=space, title="Il y a longtemps", starts_at=in_days(-60))
    recent = MeetingFactory(
        dialogue_space=space,
        title="La semaine dernière",
        starts_at=in_days(-7),
        status=MeetingStatus.HELD,
    )
    MeetingFactory(dialogue_space=space, title="À venir")
    MeetingFactory(
        dialogue_space=DialogueSpaceFactory(qpv=rabiere),
        title="Rabière passée",
        starts_at=in_days(-3),
    )
    url = reverse("dialogue:past")
    page = client.get(url).content.decode()
    assert page.index("Rabière passée") < page.index(recent.title) < page.index(old.title)
    assert "À venir" not in page
    assert "Tenue" in page
    assert 'name="step_free"' not in page
    filtered = client.get(url, {"qpv": "sanitas"}).content.decode()
    assert "Rabière passée" not in filtered and recent.title in filtered
    response = client.get(url, {"page": "zzz", "format": "rave"})
    assert response.status_code == 200


# ---- Meeting page ----


def test_meeting_page_tells_everything_a_resident_needs(client, meeting, space):
    page = client.get(meeting.get_absolute_url()).content.decode()
    local_start = timezone.localtime(meeting.starts_at)
    assert f"De {local_start.hour} h 00 à {local_start.hour + 2} h 00" in page
    assert "Code porte 1234" in page
    assert "Ascenseur disponible" in page
    assert "Accès de plain-pied" in page
    assert "Le square" in page
    assert space.name in page
    assert "Centre social Pluriel(le)s" in page
    assert space.get_facilitated_by_display() in page
    assert "<details" in page and "Chacun parle à son tour." in page
    assert "20 places restantes" in page
    assert reverse("dialogue:meeting_ics", args=[meeting.pk]) in page
    assert reverse("dialogue:meeting_print", args=[meeting.pk]) in page
    assert reverse("dialogue:register", args=[meeting.pk]) in page
    assert_headings_in_order(page)


def test_online_link_only_for_online_and_hybrid_meetings(client, space):
    url = "https://visio.example.org/sanitas"
    in_person = MeetingFactory(dialogue_space=space, online_url=url)
    online = MeetingFactory(dialogue_space=space, mode=MeetingMode.ONLINE, online_url=url)
    hybrid = MeetingFactory(dialogue_space=space, mode=MeetingMode.HYBRID, online_url=url)
    response = client.get(in_person.get_absolute_url())
    assert response.status_code == 200
    page = response.content.decode()
    assert in_person.address in page
    assert url not in page
    assert url in client.get(online.get_absolute_url()).content.decode()
    assert url in client.get(hybrid.get_absolute_url()).content.decode()


def test_meeting_page_seats_wording(client, space):
    open_door = MeetingFactory(dialogue_space=space, registration_required=False)
    full = MeetingFactory(dialogue_space=space, capacity=1)
    RegistrationFactory(meeting=full)
    assert "Entrée libre" in client.get(open_door.get_absolute_url()).content.decode()
    assert (
        "Complet : inscription sur liste d'attente"
        in client.get(full.get_absolute_url()).content.decode()
    )


def test_cancelled_meeting_page_shows_the_reason(client, space):
    meeting = MeetingFactory(
        dialogue_space=space, status=MeetingStatus.CANCELLED, cancellation_reason="Grève"
    )
    page = client.get(meeting.get_absolute_url()).content.decode()
    assert "Cette rencontre est annulée." in page
    assert "Grève" in page


def test_meeting_page_knows_the_residents_registration(client, meeting):
    resident = UserFactory()
    registration = RegistrationFactory(meeting=meeting, user=resident, email=resident.email)
    client.force_login(resident)
    page = client.get(meeting.get_absolute_url()).content.decode()
    assert reverse("dialogue:my_registration_cancel", args=[registration.pk]) in page


def test_printable_view_is_clean(client, meeting):
    response = client.get(reverse("dialogue:meeting_print", args=[meeting.pk]))
    assert response.status_code == 200
    page = response.content.decode()
    assert meeting.title in page
    assert "Code porte 1234" in page
    assert "js/print.js" in page
    assert "data-print" in page
    assert "<nav" not in page
    assert "<script>" not in page and "style=" not in page
    assert "http://testserver" + meeting.get_absolute_url() in page


# ---- Space page ----


def test_space_page_shows_the_space_and_its_meetings(client, space):
    upcoming = MeetingFactory(dialogue_space=space, title="Prochaine")
    past = MeetingFactory(dialogue_space=space, title="Dernière", starts_at=in_days(-14))
    MeetingFactory(title="Autre espace")
    page = client.get(space.get_absolute_url()).content.decode()
    assert space.name in page
    assert space.get_origin_display() in page
    assert "Centre social Pluriel(le)s" in page
    assert "Chacun parle à son tour." in page
    assert upcoming.title in page and past.title in page
    assert "Autre espace" not in page
    assert page.index(upcoming.title) < page.index(past.title)
    assert reverse("dialogue:qpv_agenda", args=["sanitas"]) in page
    assert_headings_in_order(page)


# ---- QPV page ----


def test_qpv_page_shows_spaces_and_next_meetings(client, space, sanitas):
    meeting = MeetingFactory(dialogue_space=space)
    DialogueSpaceFactory(qpv=sanitas, name="Espace fermé", is_active=False)
    page = client.get(sanitas.get_absolute_url()).content.decode()
    assert space.get_absolute_url() in page
    assert "Espace fermé" not in page
    assert meeting.get_absolute_url() in page
    assert reverse("dialogue:qpv_agenda", args=["sanitas"]) in page
    assert "Espaces de dialogue" in page
    assert_headings_in_order(page)


def test_qpv_page_without_spaces(client):
    page = client.get(reverse("qpv_page", args=["europe"])).content.decode()
    assert "Aucun espace de dialogue" in page
    assert_headings_in_order(page)


# ---- Query counts: they do not grow with the data ----


def make_meetings(count: int, space) -> None:
    for index in range(count):
        # One in five is past, for the past meetings page.
        day = -1 - index if index % 5 == 0 else 1 + index % 60
        meeting = MeetingFactory(dialogue_space=space, starts_at=in_days(day))
        if index % 7 == 0:
            RegistrationFactory(meeting=meeting)


@pytest.mark.parametrize("count", [5, 200])
def test_agenda_query_count(client, django_assert_num_queries, space, rabiere, count):
    make_meetings(count // 2, space)
    make_meetings(count - count // 2, DialogueSpaceFactory(qpv=rabiere, host_organisation=None))
    # QPV of the filters (also the header's menu), the count of the paginator, one page.
    with django_assert_num_queries(3):
        assert client.get(reverse("dialogue:agenda")).status_code == 200
    with django_assert_num_queries(3):
        assert client.get(reverse("dialogue:agenda"), {"commune": "tours"}).status_code == 200
    with django_assert_num_queries(3):
        assert client.get(reverse("dialogue:past")).status_code == 200
    # QPV, menu, count, page.
    with django_assert_num_queries(4):
        response = client.get(reverse("dialogue:qpv_agenda", args=["sanitas"]))
        assert response.status_code == 200
    client.force_login(UserFactory())
    # + session, user, roles (header).
    with django_assert_num_queries(6):
        assert client.get(reverse("dialogue:agenda")).status_code == 200


@pytest.mark.parametrize("count", [3, 30])
def test_qpv_page_query_count(client, django_assert_num_queries, space, sanitas, count):
    make_meetings(count, space)
    DialogueSpaceFactory(qpv=sanitas)
    # QPV, organisations, spaces, next meetings, latest public questions, Q&A figures, latest
    # projects, latest news, menu.
    with django_assert_num_queries(9):
        assert client.get(sanitas.get_absolute_url()).status_code == 200


@pytest.mark.parametrize("count", [3, 30])
def test_meeting_page_query_count(client, django_assert_num_queries, meeting, actors, count):
    meeting.capacity = 50
    meeting.save()
    RegistrationFactory.create_batch(count, meeting=meeting)
    for language in ("ar", "tr"):
        MeetingTranslationFactory(meeting=meeting, language=language)
    url = meeting.get_absolute_url()
    # Meeting with its place, seats and minutes, its translations, the questions asked there, the
    # menu.
    with django_assert_num_queries(4):
        assert client.get(url).status_code == 200
    # + session, user, the user's registration, roles (permissions and header).
    actors.login(client, "facilitator_sanitas")
    with django_assert_num_queries(8):
        assert client.get(url).status_code == 200
    # The printable view has no header menu.
    with django_assert_num_queries(1):
        assert client.get(reverse("dialogue:meeting_print", args=[meeting.pk])).status_code == 200


@pytest.mark.parametrize("count", [3, 30])
def test_space_page_query_count(client, django_assert_num_queries, space, count):
    for index in range(count):
        MeetingFactory(dialogue_space=space, starts_at=in_days(index - count // 2))
    # Space, upcoming, past, menu.
    with django_assert_num_queries(4):
        assert client.get(space.get_absolute_url()).status_code == 200
