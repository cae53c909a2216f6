"""What public pages say about themselves: a meta description on every page type, never empty and
trimmed on a word; Open Graph tags on meeting, answer and news pages, with absolute addresses taken
from the request and an image that answers (issue 18, item 5)."""

from __future__ import annotations

import html
import re
from datetime import datetime, timedelta

import pytest
from django.contrib.staticfiles import finders
from django.core.files.base import ContentFile
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from dialogue.models import MeetingStatus, Minutes, MinutesStatus
from participation.templatetags.page_meta import DEFAULT_IMAGE, meta_text, plain_text
from qpv.models import QPV
from questions.models import AnswerStatus, QuestionStatus
from tests.dialogue.factories import DialogueSpaceFactory, MeetingFactory
from tests.projects.factories import ProjectFactory
from tests.qpv.factories import NewsItemFactory
from tests.questions.factories import AnswerFactory, QuestionFactory

pytestmark = pytest.mark.django_db

HOST = "quartiers.example.org"
# The site's own description: what a page without one of its own says.
DEFAULT_START = "Les rencontres, les questions et les projets des quartiers prioritaires"
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489"
    "0000000d49444154789c63000100000500010d0a2db40000000049454e44ae426082"
)


def metas(page: str) -> dict[str, str]:
    """The page's <meta name|property=… content=…>, values unescaped as a browser reads them."""
    found = {}
    for key, content in re.findall(
        r'<meta\s+(?:name|property)="([^"]+)"\s+content="([^"]*)"', page
    ):
        assert key not in found, f"{key} twice"
        found[key] = html.unescape(content)
    return found


def get(client, url: str, *, secure: bool = True) -> str:
    response = client.get(url, headers={"host": HOST}, secure=secure)
    assert response.status_code == 200, url
    return response.content.decode()


@pytest.fixture(autouse=True)
def _a_public_host(settings):
    settings.ALLOWED_HOSTS = [HOST]


@pytest.fixture
def world():
    space = DialogueSpaceFactory(name="Café du Sanitas")
    meeting = MeetingFactory(
        dialogue_space=space,
        title="Café des habitants de janvier",
        starts_at=timezone.make_aware(datetime(2030, 1, 1, 18, 0)),
        ends_at=timezone.make_aware(datetime(2030, 1, 1, 20, 0)),
        venue="Centre social Pluriel",
        address="3 rue Saint-Pierre, 37000 Tours",
        agenda="Le parc, les poubelles & la fête de quartier.",
    )
    held = MeetingFactory(
        dialogue_space=space,
        title="Rencontre de décembre",
        starts_at=timezone.now() - timedelta(days=10),
        status=MeetingStatus.HELD,
    )
    Minutes.objects.create(
        meeting=held,
        summary="On a parlé du parc et des jeux.",
        status=MinutesStatus.PUBLISHED,
        published_at=timezone.now(),
    )
    question = QuestionFactory(
        text="Quand l’ascenseur du 12 sera-t-il réparé ?", status=QuestionStatus.ANSWERED
    )
    question.answered_on = question.received_on
    question.save()
    AnswerFactory(
        question=question,
        text="Les travaux commencent lundi : « deux semaines » au plus.",
        status=AnswerStatus.PUBLISHED,
        published_at=timezone.now(),
    )
    news = NewsItemFactory(
        title="Le square rouvre",
        body_html="<p>Le square est ouvert.</p><p>Venez <strong>samedi</strong> !</p>",
    )
    pictured = NewsItemFactory(title="Fête des voisins", image_alt="Des tables dans la rue")
    pictured.image.save("fete.png", ContentFile(PNG))
    project = ProjectFactory(title="Jardin partagé")
    return {
        "meeting": meeting,
        "held": held,
        "question": question,
        "news": news,
        "pictured": pictured,
        "project": project,
        "space": space,
    }


def public_pages(world) -> dict[str, str]:
    qpv = QPV.objects.get(slug="sanitas")
    return {
        "home": reverse("home"),
        "qpv": qpv.get_absolute_url(),
        "agenda": reverse("dialogue:agenda"),
        "qpv agenda": reverse("dialogue:qpv_agenda", args=[qpv.slug]),
        "past meetings": reverse("dialogue:past"),
        "meeting": world["meeting"].get_absolute_url(),
        "minutes": reverse("dialogue:minutes", args=[world["held"].pk]),
        "space": world["space"].get_absolute_url(),
        "questions": reverse("questions:questions"),
        "qpv questions": reverse("questions:qpv_questions", args=[qpv.slug]),
        "question": reverse("questions:question", args=[world["question"].pk]),
        "ask": reverse("questions:question_ask", args=[qpv.slug]),
        "news": reverse("qpv:news"),
        "qpv news": reverse("qpv:qpv_news", args=[qpv.slug]),
        "news item": reverse("qpv:news_item", args=[world["news"].pk]),
        "projects": reverse("projects:projects"),
        "qpv projects": reverse("projects:qpv_projects", args=[qpv.slug]),
        "project": reverse("projects:project", args=[world["project"].pk]),
        "fund": reverse("projects:envelopes"),
        "you said": reverse("projects:influence"),
        "legal": reverse("legal_notice"),
        "privacy": reverse("privacy"),
        "accessibility": reverse("accessibility"),
        "sitemap": reverse("sitemap"),
    }


def test_every_public_page_type_has_a_description_of_its_own(client, world):
    descriptions = {}
    for name, url in public_pages(world).items():
        description = metas(get(client, url)).get("description")
        assert description, f"{name}: no description"
        assert description == description.strip() and "  " not in description, name
        assert "<" not in description, name
        assert len(description) <= 160, name
        descriptions[name] = description
    # The home page says what the site is; every other page type says what it is about.
    assert descriptions.pop("home").startswith(DEFAULT_START)
    for name, description in descriptions.items():
        assert not description.startswith(DEFAULT_START), name
    assert "mardi 1er janvier 2030 de 18 h 00 à 20 h 00" in descriptions["meeting"]
    assert "Centre social Pluriel" in descriptions["meeting"]
    assert descriptions["question"].startswith("Quand l’ascenseur du 12")
    assert "La réponse : Les travaux commencent lundi" in descriptions["question"]
    # Paragraphs keep their space; tags and entities do not show.
    assert descriptions["news item"] == "Le square rouvre: Le square est ouvert. Venez samedi !"
    assert descriptions["project"].startswith("Jardin partagé: Un jardin partagé")
    assert "On a parlé du parc" in descriptions["minutes"]


def test_a_description_is_escaped_once_and_cut_after_a_word(client, world):
    news = NewsItemFactory(
        title="Le “parc” & <les> jeux", body_html="<p>" + "Le parc &amp; les jeux, " * 20 + "</p>"
    )
    page = get(client, reverse("qpv:news_item", args=[news.pk]))
    raw = re.search(r'<meta name="description"\s+content="([^"]*)"', page).group(1)
    assert raw.startswith("Le “parc” &amp; &lt;les&gt; jeux: Le parc &amp; les jeux, ")
    description = html.unescape(raw)
    assert len(description) <= 160
    assert description.endswith("…")
    # Cut between two words, never inside one.
    full = "Le “parc” & <les> jeux: " + "Le parc & les jeux, " * 20
    kept = description[:-1]
    assert full.startswith(kept) and full[len(kept)] == " "


def test_meta_text_falls_back_on_the_sites_description():
    assert meta_text("  \n <p> </p> ").startswith(DEFAULT_START)
    assert plain_text("un deux trois", 9) == "un deux…"
    assert plain_text("<p>Un.</p><p>Deux &amp; trois</p>", 160) == "Un. Deux & trois"


def test_meeting_page_open_graph(client, world):
    meeting = world["meeting"]
    tags = metas(get(client, meeting.get_absolute_url()))
    assert tags["og:title"] == "Café des habitants de janvier"
    assert tags["og:description"] == (
        "Rencontre le mardi 1er janvier 2030 de 18 h 00 à 20 h 00. Lieu : Centre social Pluriel, "
        "3 rue Saint-Pierre, 37000 Tours. Quartier : Sanitas (Tours)."
    )
    assert tags["og:type"] == "website"
    assert tags["og:url"] == f"https://{HOST}{meeting.get_absolute_url()}"
    assert tags["og:locale"] == "fr_FR"
    assert tags["og:site_name"] == "Quartiers en dialogue"
    assert tags["og:image"].startswith(f"https://{HOST}/static/")
    assert tags["og:image"].endswith("/share-default.png")
    assert (tags["og:image:width"], tags["og:image:height"]) == ("1200", "630")
    assert tags["twitter:card"] == "summary_large_image"


def test_the_addresses_follow_the_request(client, world):
    """Behind the proxy the scheme comes from X-Forwarded-Proto (SECURE_PROXY_SSL_HEADER); here the
    test client says how the request came: the page's addresses follow it."""
    url = world["meeting"].get_absolute_url()
    tags = metas(get(client, url, secure=False))
    assert tags["og:url"] == f"http://{HOST}{url}"
    assert tags["og:image"].startswith(f"http://{HOST}/")


def test_answer_page_open_graph(client, world):
    question = world["question"]
    tags = metas(get(client, reverse("questions:question", args=[question.pk])))
    assert tags["og:title"] == "Quand l’ascenseur du 12 sera-t-il réparé ?"
    assert tags["og:description"] == "Les travaux commencent lundi : « deux semaines » au plus."
    assert tags["og:type"] == "article"
    assert tags["og:url"] == f"https://{HOST}/questions/{question.pk}/"
    assert tags["og:image"].endswith("/share-default.png")


def test_news_page_open_graph_uses_its_image(client, world):
    news, pictured = world["news"], world["pictured"]
    tags = metas(get(client, reverse("qpv:news_item", args=[news.pk])))
    assert tags["og:title"] == "Le square rouvre"
    assert tags["og:description"] == "Le square est ouvert. Venez samedi !"
    assert tags["og:image"].endswith("/share-default.png")
    tags = metas(get(client, reverse("qpv:news_item", args=[pictured.pk])))
    image = tags["og:image"]
    assert image == f"https://{HOST}{reverse('qpv:news_image', args=[pictured.pk])}"
    assert tags["og:image:alt"] == "Des tables dans la rue"
    assert "og:image:width" not in tags
    response = client.get(image.removeprefix(f"https://{HOST}"), headers={"host": HOST})
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"


def test_the_default_image_is_a_1200_by_630_png():
    path = finders.find(DEFAULT_IMAGE)
    assert path is not None
    with Image.open(path) as image:
        assert image.format == "PNG"
        assert image.size == (1200, 630)


def test_pages_without_a_preview_and_unpublished_ones_have_no_open_graph(client, world, actors):
    assert "og:title" not in metas(get(client, reverse("dialogue:agenda")))
    assert "og:title" not in metas(
        get(client, reverse("projects:project", args=[world["project"].pk]))
    )
    # A draft news item, previewed by the staff: no preview tags for a page nobody else sees.
    draft = NewsItemFactory(title="Brouillon", is_published=False, published_at=None)
    actors.login(client, "coordinator")
    page = get(client, reverse("qpv:news_item", args=[draft.pk]))
    assert "og:title" not in metas(page)
    assert metas(page)["description"].startswith("Brouillon")


def test_an_easy_read_summary_is_the_preview_when_there_is_one(client, world):
    news = world["news"]
    news.easy_read = "Le square est ouvert. La fête est samedi."
    news.save()
    tags = metas(get(client, reverse("qpv:news_item", args=[news.pk])))
    assert tags["description"] == "Le square rouvre: Le square est ouvert. La fête est samedi."
    assert tags["og:description"] == "Le square est ouvert. La fête est samedi."
    answer = world["question"].answer
    answer.easy_read = "Les travaux commencent lundi."
    answer.save()
    tags = metas(get(client, reverse("questions:question", args=[world["question"].pk])))
    assert tags["og:description"] == "Les travaux commencent lundi."
    assert tags["description"].endswith("La réponse : Les travaux commencent lundi.")
