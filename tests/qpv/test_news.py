"""News of the neighbourhoods: Markdown sanitising, images and alt text, publication, public pages,
staff pages for every role in and out of scope, the QPV page's partial, the weekly digest, and the
query counts.
"""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from dialogue import emails
from qpv.markdown import excerpt, render_markdown
from qpv.models import QPV, Follow, NewsItem
from qpv.services.news import NewsError, Publication, news_create, news_update
from tests.helpers import staff_home
from tests.participation.factories import UserFactory
from tests.qpv.factories import NewsItemFactory

pytestmark = pytest.mark.django_db

ACTORS = [
    "visitor",
    "resident",
    "facilitator_sanitas",
    "referent_tours",
    "referent_joue",
    "correspondent",
    "delegate_sanitas",
    "coordinator",
]
# Sanitas is in Tours: its referents and the coordinators publish its news.
SANITAS_PUBLISHERS = {"referent_tours", "coordinator"}
METROPOLE_PUBLISHERS = {"coordinator"}
STAFF_LIST_VIEWERS = {"referent_tours", "referent_joue", "coordinator"}

MALICIOUS = (
    "## Programme\n\n"
    "Bonjour <script>alert('x')</script> à tous.\n\n"
    '<img src="x" onerror="alert(1)">\n\n'
    '[piège](javascript:alert(1)) et [mairie](https://www.tours.fr "Site")\n\n'
    '<p style="color: red" onclick="steal()">Texte stylé</p>\n\n'
    "![photo](https://example.org/photo.png)\n\n"
    "# Grand titre\n\n### Petit titre"
)


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    return tmp_path


def _assert_refused(response, actor: str, status: int) -> None:
    """A visitor is sent to the login page first; any other actor gets `status`."""
    if actor == "visitor":
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("account_login"))
    else:
        assert response.status_code == status


def png_bytes(size=(64, 48), image_format="PNG", exif=False) -> bytes:
    image = Image.new("RGB", size, (200, 30, 30))
    output = io.BytesIO()
    options = {}
    if exif:
        data = Image.Exif()
        data[0x010F] = "Appareil secret"  # Make
        options["exif"] = data
    image.save(output, format=image_format, **options)
    return output.getvalue()


def upload(name="photo.png", content=None, content_type="image/png") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, png_bytes() if content is None else content, content_type)


def form_data(**overrides) -> dict:
    data = {
        "title": "Fête de quartier",
        "body_markdown": "Rendez-vous **samedi** place Saint-Paul.",
        "image_alt": "",
        "publication": "now",
        "publish_at": "",
    }
    data.update(overrides)
    return data


# Markdown and sanitising ------------------------------------------------------------------------


def test_render_markdown_keeps_the_allowed_markup_and_removes_the_dangerous_one():
    html = render_markdown(MALICIOUS)
    assert "<script" not in html and "alert('x')" not in html
    assert "<img" not in html and "onerror" not in html
    assert "javascript:" not in html
    assert "style=" not in html and "onclick" not in html
    assert (
        '<a href="https://www.tours.fr" title="Site" rel="noopener noreferrer">mairie</a>' in html
    )
    assert "<h2>Programme</h2>" in html
    # The page's title is the only h1: "#" becomes h2.
    assert "<h1" not in html and "<h2>Grand titre</h2>" in html
    assert "<h3>Petit titre</h3>" in html
    assert "<p>Texte stylé</p>" in html


@pytest.mark.parametrize(
    "link",
    [
        "[x](javascript:alert(1))",
        '<a href="JaVaScRiPt:alert(1)">x</a>',
        '<a href="data:text/html;base64,PHNjcmlwdD4=">x</a>',
        '<a href="vbscript:msgbox(1)">x</a>',
    ],
)
def test_only_http_https_mailto_and_relative_links_survive(link):
    html = render_markdown(link)
    assert "href" not in html


def test_mailto_and_relative_links_are_kept():
    html = render_markdown("[écrire](mailto:contact@example.org) [agenda](/agenda/)")
    assert 'href="mailto:contact@example.org"' in html
    assert 'href="/agenda/"' in html


def test_news_created_through_the_staff_page_is_stored_sanitised(client, actors):
    actors.login(client, "referent_tours")
    response = client.post(
        reverse("qpv:news_create") + "?qpv=sanitas", form_data(body_markdown=MALICIOUS)
    )
    assert response.status_code == 302
    stored = NewsItem.objects.get()
    assert stored.body_markdown == MALICIOUS
    for forbidden in ("<script", "alert(", "onerror", "javascript:", "style=", "onclick", "<img"):
        assert forbidden not in stored.body_html
    assert 'rel="noopener noreferrer"' in stored.body_html
    page = client.get(stored.get_absolute_url()).content.decode()
    assert "<h2>Programme</h2>" in page
    assert "alert(" not in page


def test_news_update_renders_the_body_again(actors):
    coordinator = actors["coordinator"]
    news = news_create(
        qpv=None,
        title="Info",
        body_markdown="Texte",
        publication=Publication(publish=True),
        by=coordinator,
    )
    news_update(
        news=news,
        title="Info",
        body_markdown="Nouveau <script>alert(1)</script> **texte**",
        publication=Publication(publish=True),
        by=coordinator,
    )
    news.refresh_from_db()
    assert news.body_html == "<p>Nouveau  <strong>texte</strong></p>"


# Images -----------------------------------------------------------------------------------------


def test_image_with_alt_text_is_stored_re_encoded_without_metadata(client, actors, media):
    actors.login(client, "referent_tours")
    image = upload("Photo de Mme Diallo.jpg", png_bytes(image_format="JPEG", exif=True))
    response = client.post(
        reverse("qpv:news_create") + "?qpv=sanitas",
        {**form_data(image_alt="Des habitants sur la place"), "image": image},
    )
    assert response.status_code == 302
    news = NewsItem.objects.get()
    assert news.image_alt == "Des habitants sur la place"
    assert "Diallo" not in news.image.name and news.image.name.endswith(".jpg")
    with Image.open(news.image.path) as stored:
        assert stored.format == "JPEG"
        assert not stored.getexif()
    page = client.get(news.get_absolute_url()).content.decode()
    assert f'src="{reverse("qpv:news_image", args=[news.pk])}"' in page
    assert 'alt="Des habitants sur la place"' in page
    assert "style=" not in page


@pytest.mark.parametrize(
    ("image_format", "extension", "content_type"),
    [("JPEG", "jpg", "image/jpeg"), ("PNG", "png", "image/png"), ("WEBP", "webp", "image/webp")],
)
def test_images_are_served_with_the_type_we_chose_and_no_sniffing(
    client, actors, media, image_format, extension, content_type
):
    news = news_create(
        qpv=actors.sanitas,
        title="Titre",
        body_markdown="Texte",
        image=upload(f"photo.{extension}", png_bytes(image_format=image_format)),
        image_alt="Une image",
        publication=Publication(publish=True),
        by=None,
    )
    response = client.get(reverse("qpv:news_image", args=[news.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == content_type
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Security-Policy"] == "default-src 'none'; sandbox"
    assert response["Cache-Control"] == "public, max-age=300"
    with Image.open(io.BytesIO(b"".join(response.streaming_content))) as served:
        assert served.format == image_format


def test_a_draft_image_is_only_served_to_who_may_publish_it(client, actors, media):
    news = news_create(
        qpv=actors.sanitas,
        title="Brouillon",
        body_markdown="Texte",
        image=upload("photo.png"),
        image_alt="Une image",
        publication=Publication(publish=False),
        by=None,
    )
    url = reverse("qpv:news_image", args=[news.pk])
    assert client.get(url).status_code == 404
    actors.login(client, "referent_tours")
    response = client.get(url)
    assert response.status_code == 200
    assert response["Cache-Control"] == "private, no-store"


def test_no_image_and_no_public_media_folder(client, actors, media):
    news = news_create(
        qpv=actors.sanitas,
        title="Sans image",
        body_markdown="Texte",
        image=None,
        image_alt="",
        publication=Publication(publish=True),
        by=None,
    )
    assert client.get(reverse("qpv:news_image", args=[news.pk])).status_code == 404
    (media / "minutes").mkdir()
    (media / "minutes" / "cr.pdf").write_bytes(b"%PDF-1.4 private")
    assert client.get("/media/minutes/cr.pdf").status_code == 404


@pytest.mark.parametrize(
    ("image_format", "mode", "extension"),
    [("JPEG", "CMYK", "jpg"), ("PNG", "P", "png"), ("PNG", "RGBA", "png"), ("WEBP", "P", "webp")],
)
def test_jpeg_png_and_webp_are_accepted(actors, image_format, mode, extension):
    image = Image.new(mode, (3000, 2000))
    output = io.BytesIO()
    image.save(output, format=image_format)
    news = news_create(
        qpv=actors.sanitas,
        title="Titre",
        body_markdown="Texte",
        image=upload(f"photo.{extension}", output.getvalue()),
        image_alt="Une image",
        publication=Publication(publish=True),
        by=None,
    )
    assert news.image.name.endswith(f".{extension}")
    with Image.open(news.image.path) as stored:
        assert stored.format == image_format
        # Resized for the page: 1600 px at most.
        assert stored.size == (1600, 1067)


def test_image_without_alt_text_is_refused_and_nothing_is_stored(client, actors, media):
    actors.login(client, "referent_tours")
    response = client.post(
        reverse("qpv:news_create") + "?qpv=sanitas", {**form_data(), "image": upload()}
    )
    assert response.status_code == 400
    assert list(response.context["form"].errors) == ["image_alt"]
    page = response.content.decode()
    assert "error-summary" in page
    # What was typed is kept; the file must be chosen again, and the page says so.
    assert "Fête de quartier" in page and "samedi" in page
    assert response.context["image_lost"]
    assert not NewsItem.objects.exists()
    assert not any(media.rglob("*.png"))


@pytest.mark.parametrize(
    ("name", "content", "content_type"),
    [
        ("tract.png", b"%PDF-1.4 not an image", "image/png"),
        ("script.png", b"<script>alert(1)</script>", "image/png"),
        ("anim.gif", None, "image/gif"),
        ("truncated.png", None, "image/png"),
    ],
)
def test_a_file_that_is_not_a_jpeg_png_or_webp_image_is_refused(
    client, actors, name, content, content_type
):
    if name == "anim.gif":
        content = png_bytes(image_format="GIF")
    elif name == "truncated.png":
        content = png_bytes()[:60]
    actors.login(client, "coordinator")
    response = client.post(
        reverse("qpv:news_create"),
        {**form_data(image_alt="Une image"), "image": upload(name, content, content_type)},
    )
    assert response.status_code == 400
    assert list(response.context["form"].errors) == ["image"]
    assert not NewsItem.objects.exists()


def test_an_image_above_3_mb_is_refused(client, actors):
    actors.login(client, "coordinator")
    big = png_bytes() + b"\0" * (3 * 1024 * 1024)
    response = client.post(
        reverse("qpv:news_create"),
        {**form_data(image_alt="Une image"), "image": upload("big.png", big)},
    )
    assert response.status_code == 400
    assert list(response.context["form"].errors) == ["image"]
    assert not NewsItem.objects.exists()


def test_the_service_refuses_an_image_without_alt_text(actors):
    with pytest.raises(NewsError) as refused:
        news_create(
            qpv=actors.sanitas,
            title="Titre",
            body_markdown="Texte",
            image=upload(),
            image_alt="  ",
            publication=Publication(publish=True),
            by=None,
        )
    assert refused.value.code == "image_alt"


def test_edit_replaces_or_removes_the_image_and_keeps_alt_text_required(client, actors, media):
    actors.login(client, "referent_tours")
    url = reverse("qpv:news_create") + "?qpv=sanitas"
    client.post(url, {**form_data(image_alt="Première"), "image": upload()})
    news = NewsItem.objects.get()
    first = news.image.path
    edit = reverse("qpv:news_edit", args=[news.pk])
    # Keeping the image and clearing its alt text is refused.
    response = client.post(edit, form_data(image_alt=""))
    assert response.status_code == 400
    assert list(response.context["form"].errors) == ["image_alt"]
    news.refresh_from_db()
    assert news.image_alt == "Première"
    response = client.post(edit, {**form_data(image_alt="Seconde"), "image": upload("b.png")})
    assert response.status_code == 302
    news.refresh_from_db()
    assert news.image_alt == "Seconde" and news.image.path != first
    response = client.post(edit, form_data(remove_image="on", image_alt=""))
    assert response.status_code == 302
    news.refresh_from_db()
    assert not news.image and news.image_alt == ""


def test_replaced_image_file_is_deleted_once_committed(
    actors, media, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        news = news_create(
            qpv=actors.sanitas,
            title="Titre",
            body_markdown="Texte",
            image=upload(),
            image_alt="Une image",
            publication=Publication(publish=True),
            by=None,
        )
    first = news.image.path
    with django_capture_on_commit_callbacks(execute=True):
        news_update(
            news=news,
            title="Titre",
            body_markdown="Texte",
            image=upload("b.png"),
            image_alt="Une autre",
            publication=Publication(publish=True),
            by=None,
        )
    assert not (media / first).exists()
    assert len(list(media.rglob("*.png"))) == 1


# Publication ------------------------------------------------------------------------------------


def test_draft_scheduled_and_published_news(client, actors):
    actors.login(client, "coordinator")
    url = reverse("qpv:news_create")
    client.post(url, form_data(title="Brouillon", publication="draft"))
    later = timezone.localtime() + timedelta(days=3)
    client.post(
        url,
        form_data(
            title="Plus tard", publication="later", publish_at=later.strftime("%Y-%m-%dT%H:%M")
        ),
    )
    client.post(url, form_data(title="Maintenant"))
    states = {n.title: (n.is_published, n.published_at) for n in NewsItem.objects.all()}
    assert states["Brouillon"] == (False, None)
    assert states["Plus tard"][0] and states["Plus tard"][1] > timezone.now() + timedelta(days=2)
    assert states["Maintenant"][0] and states["Maintenant"][1] <= timezone.now()
    assert list(NewsItem.objects.published().values_list("title", flat=True)) == ["Maintenant"]


@pytest.mark.parametrize("publish_at", ["", "2020-01-01T10:00", "demain"])
def test_a_later_publication_needs_a_future_date(client, actors, publish_at):
    actors.login(client, "coordinator")
    response = client.post(
        reverse("qpv:news_create"), form_data(publication="later", publish_at=publish_at)
    )
    assert response.status_code == 400
    assert list(response.context["form"].errors) == ["publish_at"]
    assert not NewsItem.objects.exists()


def test_publishing_again_keeps_the_original_date(actors):
    news = NewsItemFactory(published_at=timezone.now() - timedelta(days=10))
    original = news.published_at
    news_update(
        news=news,
        title="Corrigé",
        body_markdown="Texte",
        publication=Publication(publish=True),
        by=None,
    )
    news.refresh_from_db()
    assert news.published_at == original


# Public pages -----------------------------------------------------------------------------------


def test_news_list_filters_by_qpv_with_the_metropole_wide_news(client, actors):
    NewsItemFactory(title="Au Sanitas")
    NewsItemFactory(title="À la Rabière", qpv=actors.rabiere)
    NewsItemFactory(title="Pour toute la métropole", qpv=None)
    NewsItemFactory(title="Brouillon", is_published=False, published_at=None)
    NewsItemFactory(title="Programmée", published_at=timezone.now() + timedelta(days=1))
    page = client.get(reverse("qpv:news")).content.decode()
    for title in ("Au Sanitas", "À la Rabière", "Pour toute la métropole"):
        assert title in page
    assert "Brouillon" not in page and "Programmée" not in page
    assert page.count("<h1") == 1
    filtered = client.get(reverse("qpv:news"), {"qpv": "sanitas"}).content.decode()
    assert "Au Sanitas" in filtered and "Pour toute la métropole" in filtered
    assert "À la Rabière" not in filtered
    qpv_page = client.get(reverse("qpv:qpv_news", args=["sanitas"])).content.decode()
    assert "Au Sanitas" in qpv_page and "Pour toute la métropole" in qpv_page
    assert "À la Rabière" not in qpv_page


def test_an_unknown_qpv_filter_is_a_400_not_a_500(client, actors):
    response = client.get(reverse("qpv:news"), {"qpv": "nulle-part"})
    assert response.status_code == 400


def test_unknown_qpv_news_page_is_a_404(client, actors):
    assert client.get(reverse("qpv:qpv_news", args=["nulle-part"])).status_code == 404


@pytest.mark.parametrize("actor", ACTORS)
@pytest.mark.parametrize("state", ["draft", "scheduled"])
def test_unpublished_news_is_a_404_except_for_its_publishers(client, actors, actor, state):
    if state == "draft":
        news = NewsItemFactory(is_published=False, published_at=None)
    else:
        news = NewsItemFactory(published_at=timezone.now() + timedelta(days=2))
    actors.login(client, actor)
    response = client.get(news.get_absolute_url())
    if actor in SANITAS_PUBLISHERS:
        assert response.status_code == 200
        assert reverse("qpv:news_edit", args=[news.pk]) in response.content.decode()
    else:
        assert response.status_code == 404


def test_published_news_page(client, actors):
    news = NewsItemFactory(
        title="Travaux de la place",
        body_markdown="x",
        body_html="<h2>Pendant les travaux</h2><p>Le marché <strong>déménage</strong>.</p>",
    )
    response = client.get(news.get_absolute_url())
    assert response.status_code == 200
    page = response.content.decode()
    assert page.count("<h1") == 1
    assert "<h2>Pendant les travaux</h2>" in page
    assert reverse("qpv:qpv_news", args=["sanitas"]) in page


# Staff pages: every role -----------------------------------------------------------------------


def _staff_url(view: str) -> str:
    if view == "staff_news":
        return reverse("qpv:staff_news")
    if view == "create_sanitas":
        return reverse("qpv:news_create") + "?qpv=sanitas"
    if view == "create_rabiere":
        return reverse("qpv:news_create") + "?qpv=la-rabiere"
    if view == "create_metropole":
        return reverse("qpv:news_create")
    if view == "edit_sanitas":
        return reverse("qpv:news_edit", args=[NewsItemFactory().pk])
    if view == "edit_metropole":
        return reverse("qpv:news_edit", args=[NewsItemFactory(qpv=None).pk])
    raise AssertionError(view)


ACCESS = {
    "staff_news": STAFF_LIST_VIEWERS,
    "create_sanitas": SANITAS_PUBLISHERS,
    "create_rabiere": {"referent_joue", "coordinator"},
    "create_metropole": METROPOLE_PUBLISHERS,
    "edit_sanitas": SANITAS_PUBLISHERS,
    "edit_metropole": METROPOLE_PUBLISHERS,
}
# How the others are refused (participation/scopes.py). A page without an object (the list, the
# creation form of a QPV, a QPV being public, or of the metropole) answers 403. A news item out of
# the user's scope is not visible to them, whatever their role (a resident included): 404; a
# metropole item is seen by the coordinators only. Who sees an item (qpv.publish_news) is exactly
# who may edit it, so no refusal on an item is a 403.
REFUSAL = {
    "staff_news": 403,
    "create_sanitas": 403,
    "create_rabiere": 403,
    "create_metropole": 403,
    "edit_sanitas": 404,
    "edit_metropole": 404,
}


@pytest.mark.parametrize(
    ("view", "actor", "allowed"),
    [(view, actor, actor in allowed) for view, allowed in ACCESS.items() for actor in ACTORS],
)
def test_staff_pages_by_role(client, actors, view, actor, allowed):
    url = _staff_url(view)
    actors.login(client, actor)
    response = client.get(url)
    if allowed:
        assert response.status_code == 200
    else:
        _assert_refused(response, actor, REFUSAL[view])


@pytest.mark.parametrize(
    ("view", "actor", "allowed"),
    [
        (view, actor, actor in allowed)
        for view, allowed in ACCESS.items()
        if view != "staff_news"
        for actor in ACTORS
    ],
)
def test_staff_writes_by_role(client, actors, view, actor, allowed):
    url = _staff_url(view)
    before = set(NewsItem.objects.values_list("pk", "title"))
    actors.login(client, actor)
    response = client.post(url, form_data(title="Écrit par le test"))
    if allowed:
        assert response.status_code == 302
        assert NewsItem.objects.filter(title="Écrit par le test").exists()
    else:
        _assert_refused(response, actor, REFUSAL[view])
        assert set(NewsItem.objects.values_list("pk", "title")) == before


def test_staff_list_shows_the_scope_only(client, actors):
    NewsItemFactory(title="Du Sanitas")
    NewsItemFactory(title="De la Rabière", qpv=actors.rabiere)
    NewsItemFactory(title="De la métropole", qpv=None)
    actors.login(client, "referent_tours")
    page = client.get(reverse("qpv:staff_news")).content.decode()
    assert "Du Sanitas" in page
    assert "De la Rabière" not in page and "De la métropole" not in page
    # The referent may write for the QPV of Tours, not for the whole metropole nor Joué.
    assert 'value="sanitas"' in page and 'value="la-rabiere"' not in page
    assert '<option value="">' not in page


def test_staff_home_links_to_the_news_for_referents_only(client, actors):
    actors.login(client, "referent_tours")
    assert reverse("qpv:staff_news") in staff_home(client)
    actors.login(client, "facilitator_sanitas")
    assert reverse("qpv:staff_news") not in staff_home(client)


# The QPV page's partial -------------------------------------------------------------------------


def test_qpv_page_shows_the_latest_news_with_an_excerpt(client, actors):
    NewsItemFactory(
        title="Fête au Sanitas",
        body_html="<p>Jeux &amp; <strong>repas</strong> partagé</p>",
    )
    NewsItemFactory(title="Pour tous", qpv=None)
    NewsItemFactory(title="Ailleurs", qpv=actors.rabiere)
    page = client.get(actors.sanitas.get_absolute_url()).content.decode()
    assert "Fête au Sanitas" in page and "Pour tous" in page and "Ailleurs" not in page
    assert "Jeux &amp; repas partagé" in page
    assert reverse("qpv:qpv_news", args=["sanitas"]) in page


@pytest.mark.parametrize("items", [1, 10])
def test_qpv_page_query_count_with_news(client, actors, django_assert_num_queries, items):
    for index in range(items):
        NewsItemFactory(qpv=None if index % 2 else actors.sanitas)
    # The count pinned in tests/qpv/test_pages.py: the news partial adds nothing.
    with django_assert_num_queries(9):
        assert client.get(actors.sanitas.get_absolute_url()).status_code == 200


# Query counts -----------------------------------------------------------------------------------


@pytest.mark.parametrize("items", [5, 30])
def test_public_news_query_counts_do_not_grow(client, actors, django_assert_num_queries, items):
    for index in range(items):
        NewsItemFactory(qpv=None if index % 3 == 0 else actors.sanitas)
    news = NewsItem.objects.first()
    # QPV (filter and header menu), count, page.
    with django_assert_num_queries(3):
        assert client.get(reverse("qpv:news")).status_code == 200
    # QPV, count, page, header menu.
    with django_assert_num_queries(4):
        assert client.get(reverse("qpv:qpv_news", args=["sanitas"])).status_code == 200
    # The item (with its QPV), header menu.
    with django_assert_num_queries(2):
        assert client.get(news.get_absolute_url()).status_code == 200


@pytest.mark.parametrize("items", [5, 30])
def test_staff_news_query_count_does_not_grow(client, actors, django_assert_num_queries, items):
    for index in range(items):
        NewsItemFactory(qpv=None if index % 3 == 0 else actors.sanitas, author=UserFactory())
    actors.login(client, "coordinator")
    # Session, user, roles, count, page (with QPV and authors), QPV choices, header menu.
    with django_assert_num_queries(7):
        assert client.get(reverse("qpv:staff_news")).status_code == 200


# The weekly digest ------------------------------------------------------------------------------


def _follow(user, qpv, *, days_ago: int, last_digest_days_ago: int | None) -> Follow:
    now = timezone.now()
    follow = Follow.objects.create(user=user, qpv=qpv)
    Follow.objects.filter(pk=follow.pk).update(
        created_at=now - timedelta(days=days_ago),
        last_digest_at=(
            None if last_digest_days_ago is None else now - timedelta(days=last_digest_days_ago)
        ),
    )
    return follow


def test_digest_includes_the_news_of_the_followed_qpv_and_the_metropole(
    actors, mailoutbox, django_capture_on_commit_callbacks
):
    now = timezone.now()
    resident = UserFactory(email="fatou@example.org", full_name="Fatou Sow")
    _follow(resident, actors.sanitas, days_ago=60, last_digest_days_ago=7)
    NewsItemFactory(
        title="Fête au Sanitas",
        body_html="<p>Jeux &amp; <strong>repas</strong></p>",
        published_at=now - timedelta(days=2),
    )
    NewsItemFactory(title="Déjà envoyée", published_at=now - timedelta(days=9))
    NewsItemFactory(title="Pour toute la métropole", qpv=None, published_at=now - timedelta(1))
    NewsItemFactory(title="À la Rabière", qpv=actors.rabiere, published_at=now - timedelta(1))
    NewsItemFactory(title="Brouillon", is_published=False, published_at=now - timedelta(1))
    NewsItemFactory(title="Demain", published_at=now + timedelta(days=1))
    with django_capture_on_commit_callbacks(execute=True):
        assert emails.send_follow_digests(now=now) == 1
    [message] = mailoutbox
    # Two sections (Sanitas and the metropole): the subject names no single QPV.
    assert "Sanitas" not in message.subject
    html = message.alternatives[0][0]
    for part in (message.body, html):
        assert "Fête au Sanitas" in part
        assert "Pour toute la métropole" in part
        for absent in ("Déjà envoyée", "À la Rabière", "Brouillon", "Demain"):
            assert absent not in part
    assert "Jeux & repas" in message.body
    assert "Jeux &amp; repas" in html
    news = NewsItem.objects.get(title="Fête au Sanitas")
    assert news.get_absolute_url() in message.body


def test_digest_with_news_only_and_a_single_qpv(
    actors, mailoutbox, django_capture_on_commit_callbacks
):
    now = timezone.now()
    _follow(UserFactory(), actors.sanitas, days_ago=60, last_digest_days_ago=7)
    NewsItemFactory(title="Seule nouvelle", published_at=now - timedelta(days=1))
    with django_capture_on_commit_callbacks(execute=True):
        assert emails.send_follow_digests(now=now) == 1
    [message] = mailoutbox
    assert "Sanitas" in message.subject
    assert "Seule nouvelle" in message.body
    # Sent once: the next digest has nothing new.
    mailoutbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        assert emails.send_follow_digests(now=now + timedelta(days=7)) == 0


def test_a_scheduled_news_reaches_the_digest_after_its_publication(
    actors, mailoutbox, django_capture_on_commit_callbacks
):
    now = timezone.now()
    _follow(UserFactory(), actors.sanitas, days_ago=60, last_digest_days_ago=7)
    NewsItemFactory(title="Programmée", published_at=now + timedelta(days=3))
    with django_capture_on_commit_callbacks(execute=True):
        assert emails.send_follow_digests(now=now) == 0
        assert emails.send_follow_digests(now=now + timedelta(days=7)) == 1
    assert "Programmée" in mailoutbox[0].body


@pytest.mark.parametrize("followers", [3, 15])
def test_digest_query_count_with_news_does_not_grow(actors, django_assert_num_queries, followers):
    now = timezone.now()
    for slug in ("sanitas", "la-rabiere", "rochepinard"):
        qpv = QPV.objects.get(slug=slug)
        for _ in range(followers // 3):
            _follow(UserFactory(), qpv, days_ago=30, last_digest_days_ago=None)
            NewsItemFactory(qpv=qpv, published_at=now - timedelta(days=1))
    NewsItemFactory(qpv=None, published_at=now - timedelta(days=1))
    # Savepoint, follows, meetings, news, update of last_digest_at, release.
    with django_assert_num_queries(6):
        assert emails.send_follow_digests(now=now) == followers


def test_printed_pages_show_their_address_except_signed_links(client, actors, settings):
    settings.SITE_URL = "https://quartiers.example.org"
    page = client.get(reverse("qpv:news")).content.decode()
    assert "https://quartiers.example.org/actualites/" in page
    signed = client.get(reverse("dialogue:registration_manage", args=["not-a-valid-token"]))
    assert signed.status_code == 400
    assert "dialogue/link_invalid.html" in [template.name for template in signed.templates]
    assert "https://quartiers.example.org/inscriptions" not in signed.content.decode()


@pytest.mark.parametrize(
    ("html", "words", "expected"),
    [
        # Blocks keep a space between them, and a full stop when they had none.
        ("<p>Fin.</p><p>Début</p>", 10, "Fin. Début."),
        (
            "<h2>Au programme</h2>\n<ul>\n<li>Des jeux</li>\n<li>Un repas</li>\n</ul>",
            10,
            "Au programme. Des jeux. Un repas.",
        ),
        ("<p>Une ligne<br>Une autre ?</p>", 10, "Une ligne. Une autre ?"),
        ("<p>Horaires :</p><p>10 h &amp; 14 h</p>", 10, "Horaires : 10 h & 14 h."),
        # The cut falls between two words, ends with "…", and drops the punctuation before it.
        ("<p>Un deux trois, quatre cinq.</p>", 3, "Un deux trois…"),
        ("<p>Un deux trois quatre.</p>", 4, "Un deux trois quatre."),
    ],
)
def test_excerpt_keeps_spaces_and_punctuation_between_blocks(html, words, expected):
    assert excerpt(html, words) == expected


def test_news_lists_show_the_excerpt_with_its_punctuation(client):
    """The news list and the QPV page use the excerpt builder (as the weekly digest does)."""
    body = "## Au programme\n\n- Des jeux\n- Un repas\n\nVenez nombreux."
    NewsItemFactory(title="La fête", body_markdown=body, body_html=render_markdown(body))
    expected = "Au programme. Des jeux. Un repas. Venez nombreux."
    assert expected in client.get(reverse("qpv:news")).content.decode()
    assert expected in client.get(reverse("qpv_page", args=["sanitas"])).content.decode()
