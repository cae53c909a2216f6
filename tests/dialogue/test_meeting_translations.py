"""Meeting translations (issue 18, item 4): the languages offered, the model, the staff pages that
write them, and the meeting page that offers them with the right `lang` and `dir`."""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from html.parser import HTMLParser

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse

from devtools.demo.meetings import TITLES
from devtools.demo.translations import TITLE_TRANSLATIONS, load_demo_translations
from dialogue.forms.translations import MeetingTranslationForm
from dialogue.models import MeetingTranslation, is_right_to_left, offered_languages
from dialogue.services.translations import meeting_translation_save
from participation.env import SettingsError, env_languages
from tests.dialogue.factories import MeetingFactory, MeetingTranslationFactory
from tests.participation.test_settings import run_manage

pytestmark = pytest.mark.django_db

ARABIC_TITLE = "مقهى السكان: الحياة في الحي"
TEXTS = {
    "ar": ARABIC_TITLE,
    "tr": "Mahalle sakinleri kahvesi: mahallede yaşam",
    "pt": "Café dos moradores: a vida do bairro",
    "en": "Residents' café: life in the neighbourhood",
}


# -- The page's elements, as a browser would see them ------------------------------------------


@dataclass
class Element:
    tag: str
    attrs: dict[str, str]
    text: str = ""
    children: list[Element] = field(default_factory=list)


class _Tree(HTMLParser):
    VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source"}

    def __init__(self) -> None:
        super().__init__()
        self.all: list[Element] = []
        self._open: list[Element] = []

    def handle_starttag(self, tag, attrs) -> None:
        element = Element(tag, {name: value or "" for name, value in attrs})
        if self._open:
            self._open[-1].children.append(element)
        self.all.append(element)
        if tag not in self.VOID:
            self._open.append(element)

    def handle_endtag(self, tag) -> None:
        while self._open:
            if self._open.pop().tag == tag:
                break

    def handle_data(self, data) -> None:
        for element in self._open:
            element.text += data


def elements(page: str) -> list[Element]:
    tree = _Tree()
    tree.feed(page)
    return tree.all


def by_id(page: str, element_id: str) -> Element:
    [element] = [e for e in elements(page) if e.attrs.get("id") == element_id]
    return element


def words(text: str) -> str:
    return " ".join(text.split())


# -- The languages offered ----------------------------------------------------------------------


def test_default_languages_are_arabic_turkish_portuguese_english():
    assert list(settings.MEETING_TRANSLATION_LANGUAGES) == ["ar", "tr", "pt", "en"]
    assert settings.MEETING_TRANSLATION_LANGUAGES["ar"] == "العربية"
    assert settings.MEETING_TRANSLATION_LANGUAGES["tr"] == "Türkçe"


def test_languages_from_the_environment(monkeypatch):
    default = {"ar": "العربية", "tr": "Türkçe"}
    monkeypatch.delenv("LANGS", raising=False)
    assert env_languages("LANGS", default) == default
    # Names: given, else the default's, else Django's; the order is kept.
    monkeypatch.setenv("LANGS", " tr, ar ,ti=ትግርኛ,fa,PT-BR ")
    assert env_languages("LANGS", default) == {
        "tr": "Türkçe",
        "ar": "العربية",
        "ti": "ትግርኛ",
        "fa": "فارسی",
        "pt-br": "Português Brasileiro",
    }
    monkeypatch.setenv("LANGS", "")
    assert env_languages("LANGS", default) == {}


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("fr", "French is the portal's language"),
        ("ar,ar", "'ar' is listed twice"),
        ("ti", "give the native name of 'ti'"),
        ("arabic!", "'arabic!' is not a language code"),
    ],
)
def test_bad_languages_are_refused(monkeypatch, value, message):
    monkeypatch.setenv("LANGS", value)
    with pytest.raises(SettingsError, match=message):
        env_languages("LANGS", {})


def test_a_bad_language_list_stops_startup_with_one_line():
    result = run_manage("check", DEBUG="true", MEETING_TRANSLATION_LANGUAGES="ar,so")
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "Configuration error: MEETING_TRANSLATION_LANGUAGES: give the native name of 'so', "
        "as so=Name."
    ]


@pytest.mark.parametrize(
    ("code", "rtl"),
    [("ar", True), ("fa", True), ("he", True), ("ps", True), ("tr", False), ("pt-br", False)],
)
def test_right_to_left_languages(code, rtl):
    # Django knows ar, fa and he; ps (Pashto) comes from our own short list.
    assert is_right_to_left(code) is rtl


# -- The model ----------------------------------------------------------------------------------


def test_one_translation_per_meeting_and_language():
    translation = MeetingTranslationFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        MeetingTranslationFactory(meeting=translation.meeting, language="ar")
    MeetingTranslationFactory(meeting=translation.meeting, language="tr", title="Başlık")
    assert translation.meeting.translations.count() == 2


def test_the_database_bounds_the_texts():
    translation = MeetingTranslationFactory()
    for name in ("summary", "practical_information"):
        with pytest.raises(IntegrityError), transaction.atomic():
            MeetingTranslation.objects.filter(pk=translation.pk).update(**{name: "x" * 1001})
    with pytest.raises(Exception), transaction.atomic():  # noqa: B017 (DataError on PostgreSQL)
        MeetingTranslation.objects.filter(pk=translation.pk).update(title="x" * 201)


def test_a_language_not_offered_is_refused(settings):
    meeting = MeetingFactory()
    for language in ("fr", "de", ""):
        with pytest.raises(ValidationError) as refused:
            MeetingTranslation(meeting=meeting, language=language, title="Titre").full_clean()
        assert "language" in refused.value.message_dict
    settings.MEETING_TRANSLATION_LANGUAGES = {"de": "Deutsch"}
    MeetingTranslation(meeting=meeting, language="de", title="Titel").full_clean()


def test_offered_translations_come_in_the_settings_order(settings):
    meeting = MeetingFactory()
    for language in ("en", "pt", "tr", "ar"):
        MeetingTranslationFactory(meeting=meeting, language=language, title=TEXTS[language])
    codes = list(meeting.translations.offered().values_list("language", flat=True))
    assert codes == ["ar", "tr", "pt", "en"]
    settings.MEETING_TRANSLATION_LANGUAGES = {"en": "English", "ar": "العربية"}
    codes = list(meeting.translations.offered().values_list("language", flat=True))
    assert codes == ["en", "ar"]


def test_saving_again_replaces_the_texts(actors):
    meeting = MeetingFactory(dialogue_space=actors.space)
    by = actors["coordinator"]
    meeting_translation_save(meeting=meeting, language="tr", by=by, title="Birinci")
    saved = meeting_translation_save(
        meeting=meeting, language="tr", by=by, title="İkinci", summary="Özet"
    )
    assert list(meeting.translations.values_list("title", "summary")) == [("İkinci", "Özet")]
    assert (saved.native_name, saved.direction) == ("Türkçe", "ltr")
    with pytest.raises(ValidationError):
        meeting_translation_save(meeting=meeting, language="xx", by=by, title="?")


# -- The form -----------------------------------------------------------------------------------


def test_the_text_fields_carry_the_language_and_its_direction():
    rendered = str(MeetingTranslationForm(language="ar"))
    for name in ("title", "summary", "practical_information"):
        field = by_id(rendered, f"id_{name}")
        assert (field.attrs["lang"], field.attrs["dir"]) == ("ar", "rtl")
    field = by_id(str(MeetingTranslationForm(language="pt")), "id_summary")
    assert (field.attrs["lang"], field.attrs["dir"]) == ("pt", "ltr")


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"title": ""}, "title", "Indiquez le titre dans cette langue."),
        ({"title": "   "}, "title", "Indiquez le titre dans cette langue."),
        ({"title": "t" * 201}, "title", "au plus 200 caractères"),
        ({"title": "t", "summary": "s" * 1001}, "summary", "au plus 1000 caractères"),
        (
            {"title": "t", "practical_information": "p" * 1001},
            "practical_information",
            "au plus 1000 caractères",
        ),
        ({"title": "a\x00b"}, "title", "Le caractère nul n’est pas autorisé."),
    ],
)
def test_invalid_forms_say_why_in_french(data, field, message):
    form = MeetingTranslationForm(data, language="ar")
    assert not form.is_valid()
    assert message in " ".join(form.errors[field])


# -- The staff pages ----------------------------------------------------------------------------


def urls(meeting, language: str = "ar") -> dict[str, str]:
    return {
        "list": reverse("dialogue:meeting_translations", args=[meeting.pk]),
        "edit": reverse("dialogue:meeting_translation_edit", args=[meeting.pk, language]),
        "delete": reverse("dialogue:meeting_translation_delete", args=[meeting.pk, language]),
    }


# Who may edit the meeting (dialogue.manage_meeting) may translate it; a meeting of Sanitas.
WHO_MAY = {
    "visitor": 302,
    "resident": 404,
    "facilitator_sanitas": 200,
    "facilitator_space": 200,
    "facilitator_rabiere": 404,
    "referent_tours": 200,
    "referent_joue": 404,
    "correspondent": 404,
    "delegate_sanitas": 403,
    "delegate_all": 403,
    "coordinator": 200,
}


@pytest.mark.parametrize("role", list(WHO_MAY))
def test_who_may_translate(client, actors, role):
    meeting = MeetingFactory(dialogue_space=actors.space)
    translation = MeetingTranslationFactory(meeting=meeting)
    actors.login(client, role)
    expected = WHO_MAY[role]
    for name in ("list", "edit"):
        response = client.get(urls(meeting)[name])
        assert response.status_code == expected, (role, name)
        if expected == 302:
            assert response["Location"].startswith(reverse("account_login"))
    response = client.post(urls(meeting)["edit"], {"title": "Nouveau"})
    assert response.status_code == (302 if expected in (200, 302) else expected)
    response = client.post(urls(meeting)["delete"])
    assert response.status_code == (302 if expected in (200, 302) else expected)
    if expected == 200:
        assert not MeetingTranslation.objects.filter(pk=translation.pk).exists()
    else:
        translation.refresh_from_db()
        assert translation.title == ARABIC_TITLE


def test_staff_write_change_and_remove_a_translation(client, actors):
    meeting = MeetingFactory(dialogue_space=actors.space, title="Café des habitants")
    actors.login(client, "facilitator_sanitas")
    page = client.get(urls(meeting)["list"]).content.decode()
    assert "Pas encore traduit." in page
    name = next(e for e in elements(page) if e.attrs.get("lang") == "ar" and e.tag == "span")
    assert (name.text, name.attrs["dir"]) == ("العربية", "rtl")

    form_page = client.get(urls(meeting)["edit"]).content.decode()
    assert "Café des habitants" in form_page  # the French text to translate
    assert by_id(form_page, "id_title").attrs["dir"] == "rtl"

    data = {"title": ARABIC_TITLE, "summary": "لقاء مفتوح.", "practical_information": "مجاني."}
    response = client.post(urls(meeting)["edit"], data)
    assert response["Location"] == urls(meeting)["list"]
    [translation] = meeting.translations.all()
    assert (translation.language, translation.title) == ("ar", ARABIC_TITLE)
    page = client.get(urls(meeting)["list"]).content.decode()
    assert "La traduction en العربية est enregistrée." in page
    assert by_id(client.get(urls(meeting)["edit"]).content.decode(), "id_title").attrs["value"] == (
        ARABIC_TITLE
    )

    response = client.post(urls(meeting)["delete"])
    assert response["Location"] == urls(meeting)["list"]
    assert not meeting.translations.exists()
    assert (
        "La traduction en العربية est supprimée."
        in client.get(urls(meeting)["list"]).content.decode()
    )


def test_an_invalid_translation_comes_back_in_french_with_what_was_typed(client, actors):
    meeting = MeetingFactory(dialogue_space=actors.space)
    actors.login(client, "referent_tours")
    summary = "Görüşme herkese açık."
    response = client.post(
        urls(meeting, "tr")["edit"],
        {"title": "  ", "summary": summary, "practical_information": ""},
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert "Indiquez le titre dans cette langue." in page
    textarea = by_id(page, "id_summary")
    assert (textarea.text.strip(), textarea.attrs["lang"]) == (summary, "tr")
    assert not meeting.translations.exists()


def test_a_language_not_offered_has_no_page(client, actors):
    meeting = MeetingFactory(dialogue_space=actors.space)
    actors.login(client, "coordinator")
    for language in ("fr", "de", "AR"):
        assert client.get(urls(meeting, language)["edit"]).status_code == 404
        assert client.post(urls(meeting, language)["delete"]).status_code == 404
    assert client.get(urls(meeting)["delete"]).status_code == 405


def test_the_staff_home_links_to_the_translations(client, actors):
    meeting = MeetingFactory(dialogue_space=actors.space)
    actors.login(client, "facilitator_sanitas")
    page = client.get(reverse("dialogue:staff_home")).content.decode()
    assert f'href="{urls(meeting)["list"]}"' in page


# -- The meeting page ---------------------------------------------------------------------------


@pytest.fixture
def translated():
    meeting = MeetingFactory(title="Café des habitants : la vie du quartier")
    for language, title in TEXTS.items():
        MeetingTranslationFactory(
            meeting=meeting,
            language=language,
            title=title,
            summary=f"Summary {language}",
            practical_information=f"Practical {language}",
        )
    return meeting


def test_the_meeting_page_offers_each_translation_with_its_lang_and_dir(client, translated):
    page = client.get(translated.get_absolute_url()).content.decode()
    block = by_id(page, "translations-title")
    assert words(block.text) == "Cette rencontre en :"
    links = [
        e
        for e in elements(page)
        if e.tag == "a" and e.attrs.get("href", "").startswith("#traduction-")
    ]
    assert [(a.text, a.attrs["lang"], a.attrs["dir"]) for a in links] == [
        ("العربية", "ar", "rtl"),
        ("Türkçe", "tr", "ltr"),
        ("Português", "pt", "ltr"),
        ("English", "en", "ltr"),
    ]
    for language, title in TEXTS.items():
        container = by_id(page, f"traduction-{language}")
        assert container.tag == "details"
        assert container.attrs["lang"] == language
        assert container.attrs["dir"] == ("rtl" if language == "ar" else "ltr")
        assert title in container.text
        assert f"Summary {language}" in container.text
        assert f"Practical {language}" in container.text
    # In the French interface, the French title stays the page's heading.
    [h1] = [e for e in elements(page) if e.tag == "h1"]
    assert h1.text == translated.title


def test_only_the_languages_written_are_offered(client, settings):
    meeting = MeetingFactory()
    page = client.get(meeting.get_absolute_url()).content.decode()
    assert "Cette rencontre en" not in page
    MeetingTranslationFactory(meeting=meeting, language="tr", title=TEXTS["tr"])
    MeetingTranslationFactory(meeting=meeting, language="pt", title=TEXTS["pt"])
    page = client.get(meeting.get_absolute_url()).content.decode()
    assert "Cette rencontre en" in page
    assert "traduction-ar" not in page
    # A language taken out of the setting is no longer shown.
    settings.MEETING_TRANSLATION_LANGUAGES = {"pt": "Português"}
    page = client.get(meeting.get_absolute_url()).content.decode()
    assert "traduction-pt" in page
    assert "traduction-tr" not in page


def test_the_english_interface_shows_the_english_translation_first(client, actors, translated):
    actors.login(client, "visitor", english=True)
    page = client.get(translated.get_absolute_url()).content.decode()
    first = by_id(page, "traduction-en")
    assert first.tag == "div"
    assert (first.attrs["lang"], first.attrs["dir"]) == ("en", "ltr")
    assert TEXTS["en"] in first.text
    assert "Summary en" in first.text
    assert "Practical information" in first.text and "Practical en" in first.text
    # Before the other translations and the rest of the page.
    assert page.index('id="traduction-en"') < page.index('id="translations-title"')
    assert page.index('id="traduction-en"') < page.index('id="traduction-ar"')
    assert page.index('id="traduction-en"') < page.index('id="when-title"')
    assert words(by_id(page, "translations-title").text) == "This meeting in:"
    # The English translation is shown once.
    assert html.unescape(page).count(TEXTS["en"]) == 1


def test_the_english_interface_without_an_english_translation(client, actors):
    meeting = MeetingFactory()
    MeetingTranslationFactory(meeting=meeting, language="ar")
    actors.login(client, "visitor", english=True)
    page = client.get(meeting.get_absolute_url()).content.decode()
    assert by_id(page, "traduction-ar").tag == "details"
    assert "traduction-en" not in page
    # The title staff wrote in French says it is French; in the French interface it needs not.
    assert f'<h1 class="mb-1" lang="fr">{meeting.title}</h1>' in page
    client.logout()
    page = client.get(meeting.get_absolute_url()).content.decode()
    assert f'<h1 class="mb-1">{meeting.title}</h1>' in page


def test_staff_find_the_translations_from_the_meeting_page(client, actors):
    meeting = MeetingFactory(dialogue_space=actors.space)
    link = f'href="{urls(meeting)["list"]}"'
    actors.login(client, "facilitator_sanitas")
    assert link in client.get(meeting.get_absolute_url()).content.decode()
    MeetingTranslationFactory(meeting=meeting)
    assert link in client.get(meeting.get_absolute_url()).content.decode()
    client.logout()
    assert link not in client.get(meeting.get_absolute_url()).content.decode()


# -- Demo data ----------------------------------------------------------------------------------


def test_every_demo_title_is_translated_into_every_default_language():
    assert set(TITLE_TRANSLATIONS) == set(TITLES)
    for titles in TITLE_TRANSLATIONS.values():
        assert set(titles) == set(offered_languages())


def test_demo_translations_of_the_next_two_meetings(actors):
    first = MeetingFactory(dialogue_space=actors.space, title=TITLES[0])
    second = MeetingFactory(
        dialogue_space=actors.space,
        title=TITLES[3],
        starts_at=first.starts_at + (first.ends_at - first.starts_at) * 2,
        ends_at=first.ends_at + (first.ends_at - first.starts_at) * 2,
    )
    assert load_demo_translations() == 6
    assert load_demo_translations() == 0  # idempotent
    assert list(first.translations.offered().values_list("language", flat=True)) == [
        "ar",
        "tr",
        "pt",
        "en",
    ]
    assert list(second.translations.offered().values_list("language", "title")) == [
        ("ar", TITLE_TRANSLATIONS[TITLES[3]]["ar"]),
        ("tr", TITLE_TRANSLATIONS[TITLES[3]]["tr"]),
    ]
