"""The territory: the 13 QPV loaded by migration, home page and QPV pages."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from qpv.models import NPNRU, QPV, Commune
from tests.dialogue.factories import DialogueSpaceFactory, MeetingFactory
from tests.participation.factories import UserFactory
from tests.qpv.factories import OrganisationFactory
from tests.questions.factories import QuestionFactory

pytestmark = pytest.mark.django_db


def test_the_13_qpv_and_4_npnru_are_loaded():
    assert QPV.objects.count() == 13
    assert set(QPV.objects.npnru().values_list("slug", "npnru")) == {
        ("sanitas", NPNRU.NATIONAL),
        ("maryse-bastie", NPNRU.REGIONAL),
        ("la-rabaterie", NPNRU.REGIONAL),
        ("la-rabiere", NPNRU.REGIONAL),
    }
    assert dict(Commune.objects.values_list("insee_code", "name")) == {
        "37261": "Tours",
        "37122": "Joué-lès-Tours",
        "37233": "Saint-Pierre-des-Corps",
        "37195": "La Riche",
    }
    new_in_2024 = set(QPV.objects.filter(code_2015="").values_list("name", flat=True))
    assert new_in_2024 == {"Les Tourettes", "Le Morier", "La Galboisière"}
    assert not QPV.objects.exclude(code_2024="").exists()


def test_home_lists_the_13_qpv_grouped_by_commune(client):
    response = client.get(reverse("home"))
    assert response.status_code == 200
    page = response.content.decode()
    assert page.count("<h1") == 1
    for qpv in QPV.objects.all():
        assert qpv.get_absolute_url() in page
    positions = [
        page.index(name) for name in ["Joué-lès-Tours", "La Riche", "Saint-Pierre-des-Corps"]
    ]
    assert positions == sorted(positions)


def test_qpv_page_shows_identity_and_organisations(client):
    sanitas = QPV.objects.get(slug="sanitas")
    OrganisationFactory(name="Tours Habitat").qpvs.add(sanitas)
    OrganisationFactory(name="Bailleur inactif", is_active=False).qpvs.add(sanitas)
    OrganisationFactory(name="Ailleurs").qpvs.add(QPV.objects.get(slug="la-rabiere"))
    response = client.get(sanitas.get_absolute_url())
    assert response.status_code == 200
    page = response.content.decode()
    assert "Sanitas" in page
    assert "Tours" in page
    # The QPV codes are for staff: residents read plain words, with the glossary at hand.
    assert "QP037009" not in page
    assert "code 2015" not in page.lower()
    assert 'href="/glossaire/#npnru"' in page
    assert "Tours Habitat" in page
    assert "Bailleur inactif" not in page
    assert "Ailleurs" not in page
    assert page.count("<h1") == 1


def test_unknown_qpv_slug_is_a_404_page(client):
    response = client.get("/quartiers/nulle-part/")
    assert response.status_code == 404
    assert "<h1" in response.content.decode()


@pytest.mark.parametrize("organisations", [0, 25])
def test_query_counts_do_not_grow(client, django_assert_num_queries, organisations):
    sanitas = QPV.objects.get(slug="sanitas")
    for _ in range(organisations):
        OrganisationFactory().qpvs.add(sanitas)
        MeetingFactory(dialogue_space=DialogueSpaceFactory(qpv=sanitas))
        QuestionFactory(qpv=sanitas)
    # QPV (list, chooser and header menu), next meetings, latest answers (tests/portal/test_home.py)
    with django_assert_num_queries(3):
        assert client.get(reverse("home")).status_code == 200
    # QPV, organisations, dialogue spaces, next meetings (with seat counts), header menu,
    # the Q&A figures of the QPV and its latest public questions, latest projects, latest news
    with django_assert_num_queries(9):
        assert client.get(sanitas.get_absolute_url()).status_code == 200


def test_query_counts_for_a_logged_in_user(client, django_assert_num_queries):
    client.force_login(UserFactory())
    sanitas = QPV.objects.get(slug="sanitas")
    # session, user, the user's roles (for the header) and followed QPV come on top of the
    # anonymous queries
    with django_assert_num_queries(7):
        assert client.get(reverse("home")).status_code == 200
    # ... and whether the user follows this QPV
    with django_assert_num_queries(13):
        assert client.get(sanitas.get_absolute_url()).status_code == 200


@pytest.mark.parametrize(
    "name", ["legal_notice", "privacy", "accessibility", "sitemap", "glossary"]
)
def test_public_legal_pages(client, name):
    response = client.get(reverse(name))
    assert response.status_code == 200
    page = response.content.decode()
    assert page.count("<h1") == 1
    for footer_link in ["legal_notice", "privacy", "accessibility", "sitemap", "glossary"]:
        assert f'href="{reverse(footer_link)}"' in page


def test_sitemap_links_every_qpv(client):
    page = client.get(reverse("sitemap")).content.decode()
    for qpv in QPV.objects.all():
        assert qpv.get_absolute_url() in page


# Where public pages link to a definition (…/glossaire/#npnru), the anchor must exist.
GLOSSARY_TERMS = [
    "qpv",
    "contrat-de-ville",
    "npnru",
    "fph",
    "conseil-citoyen",
    "espace-de-dialogue",
    "rencontre",
    "referent",
    "correspondant",
    "bailleur-social",
    "delegue-prefet",
    "assemblee-pleniere",
    "echelle-participation",
]


def test_glossary_defines_each_term_under_its_anchor(client):
    page = client.get(reverse("glossary")).content.decode()
    assert sorted(re.findall(r'<dt id="([^"]+)"', page)) == sorted(GLOSSARY_TERMS)
    assert "Glossaire" in page
    assert "programme national de renouvellement urbain" in page


def test_every_link_to_the_glossary_names_an_existing_term(client):
    """The pages that keep a term link to its definition; a renamed anchor would break them."""
    sanitas = QPV.objects.get(slug="sanitas")
    pages = [
        reverse("home"),
        sanitas.get_absolute_url(),
        reverse("projects:projects"),
        reverse("projects:envelopes"),
    ]
    anchors = set()
    for url in pages:
        anchors |= set(re.findall(r'href="/glossaire/#([^"]+)"', client.get(url).content.decode()))
    assert "npnru" in anchors
    assert anchors <= set(GLOSSARY_TERMS)


def test_the_privacy_page_states_the_delays_the_purges_apply(client, settings):
    settings.GUEST_DATA_RETENTION_DAYS = 400
    settings.SMS_RETENTION_DAYS = 90
    settings.BACKUP_RETENTION_DAYS = 35
    page = client.get(reverse("privacy")).content.decode()
    assert "effacés 400 jours après la rencontre" in page
    assert "effacés 90 jours après l’envoi" in page or "effacés 90 jours après l'envoi" in page
    assert "supprimée au bout de 35 jours" in page
    assert "journal d’audit" in page or "journal d'audit" in page
    # The SMS never outlive the guests' data.
    settings.SMS_RETENTION_DAYS = 500
    page = client.get(reverse("privacy")).content.decode()
    assert "effacés 400 jours après l" in page and "500" not in page
    # The backups' delay is the one scripts/backup.sh prunes with (the same environment variable).
    settings.BACKUP_RETENTION_DAYS = 21
    page = client.get(reverse("privacy")).content.decode()
    assert "supprimée au bout de 21 jours" in page and "35 jours" not in page
