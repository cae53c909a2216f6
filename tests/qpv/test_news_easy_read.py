"""Easy-read summary of a news item (issue 18): the staff form and the news page."""

from __future__ import annotations

import pytest
from django.urls import reverse

from qpv.models import NewsItem
from qpv.services.news import NewsError, Publication, news_create
from tests.qpv.factories import NewsItemFactory

pytestmark = pytest.mark.django_db

SUMMARY = "Le square rouvre samedi. Les enfants peuvent jouer."


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)


def _data(**overrides) -> dict:
    data = {
        "title": "Le square rouvre",
        "body_markdown": "Après les travaux, le square **rouvre** ses portes.",
        "easy_read": SUMMARY,
        "image_alt": "",
        "publication": "now",
        "publish_at": "",
    }
    data.update(overrides)
    return data


def _create_url() -> str:
    return reverse("qpv:news_create") + "?qpv=sanitas"


def test_staff_write_a_news_item_with_its_summary(client, actors):
    actors.login(client, "referent_tours")
    response = client.post(_create_url(), _data())
    assert response.status_code == 302
    news = NewsItem.objects.get()
    assert news.easy_read == SUMMARY
    response = client.post(
        reverse("qpv:news_edit", args=[news.pk]), _data(easy_read="Le square est ouvert.")
    )
    assert response.status_code == 302
    news.refresh_from_db()
    assert news.easy_read == "Le square est ouvert."
    form = client.get(reverse("qpv:news_edit", args=[news.pk])).context["form"]
    assert form["easy_read"].value() == "Le square est ouvert."


def test_a_summary_too_long_is_refused_in_french_and_the_texts_are_kept(client, actors):
    actors.login(client, "referent_tours")
    response = client.post(_create_url(), _data(easy_read="é" * 650, title="Fête"))
    assert response.status_code == 400
    assert not NewsItem.objects.exists()
    page = response.content.decode()
    assert "Le résumé facile à lire fait 650 caractères : 600 au plus. Raccourcissez-le." in page
    form = response.context["form"]
    assert form["title"].value() == "Fête"
    assert form["easy_read"].value() == "é" * 650
    assert "Une seule idée par phrase." in page


def test_the_service_refuses_a_summary_too_long(actors):
    with pytest.raises(NewsError) as refused:
        news_create(
            qpv=actors.sanitas,
            title="Titre",
            body_markdown="Texte.",
            easy_read="d" * 601,
            publication=Publication(publish=True),
            by=actors["coordinator"],
        )
    assert refused.value.code == "easy_read"
    assert not NewsItem.objects.exists()


def test_the_news_page_shows_the_summary_first_then_the_full_text(client):
    news = NewsItemFactory(
        easy_read=SUMMARY, body_html="<p>Après les travaux, le square rouvre.</p>"
    )
    # The body only: the head's description and preview quote the summary too.
    page = client.get(news.get_absolute_url()).content.decode().split("<body", 1)[1]
    box = page.index("En bref, facile à lire")
    assert page.index("<h1") < box < page.index(SUMMARY) < page.index("Le texte complet")
    assert page.index("Le texte complet") < page.index("Après les travaux")
    assert '<a href="#news-full-title">Lire le texte complet</a>' in page
    assert 'data-read-aloud="easy-read-text"' in page


def test_without_a_summary_the_news_page_is_as_before_with_its_read_aloud_button(client):
    news = NewsItemFactory()
    page = client.get(news.get_absolute_url()).content.decode()
    assert "En bref, facile à lire" not in page
    assert "Le texte complet" not in page
    assert 'data-read-aloud="news-body"' in page
    assert 'id="news-body"' in page
