"""The poster prints the meeting's translations under the French text (issue 18, item 4): in their
script and direction, with a font that has Arabic glyphs, on one page even with four long ones."""

from __future__ import annotations

import re
import subprocess
import unicodedata
from pathlib import Path

import pytest

from dialogue import printables
from dialogue.models import MeetingMode
from tests.dialogue.factories import MeetingFactory, MeetingTranslationFactory
from tests.dialogue.test_printables import assert_one_non_blank_a4_page, pages_of

pytestmark = pytest.mark.django_db

TRANSLATIONS = {
    "ar": ("مقهى السكان: الحياة في الحي", "لقاء مفتوح لجميع سكان الحي.", "الدخول من الفناء."),
    "tr": (
        "Mahalle sakinleri kahvesi: mahallede yaşam",
        "Mahallenin tüm sakinlerine açık bir buluşma.",
        "Giriş avludan.",
    ),
    "pt": (
        "Café dos moradores: a vida do bairro",
        "Um encontro aberto a todos os moradores do bairro.",
        "Entrada pelo pátio.",
    ),
    "en": (
        "Residents' café: life in the neighbourhood",
        "A meeting open to every resident.",
        "Entrance through the courtyard.",
    ),
}


def translate(meeting, languages=("ar", "tr", "pt", "en")) -> None:
    for language in languages:
        title, summary, practical = TRANSLATIONS[language]
        MeetingTranslationFactory(
            meeting=meeting,
            language=language,
            title=title,
            summary=summary,
            practical_information=practical,
        )


ARABIC_CODE = re.compile(r"<06[0-9A-F]{2}>", re.IGNORECASE)


def fonts(pdf: bytes) -> dict[str, bool]:
    """The fonts the PDF embeds (base name without the subset prefix "ABCDEF+"), each with whether
    its glyphs map to letters of the Arabic block (U+0600-U+06FF, its /ToUnicode table)."""
    found: dict[str, bool] = {}
    for page in pages_of(pdf):
        for font in page["/Resources"].get_object().get("/Font", {}).values():
            font = font.get_object()
            name = str(font["/BaseFont"]).lstrip("/").split("+")[-1]
            to_unicode = font.get("/ToUnicode")
            cmap = to_unicode.get_object().get_data().decode("latin-1") if to_unicode else ""
            found[name] = found.get(name, False) or bool(ARABIC_CODE.search(cmap))
    return found


BIDI_CONTROLS = dict.fromkeys(map(ord, "\u202a\u202b\u202c\u202d\u202e\u200e\u200f"))


def poster_text(pdf: bytes, tmp_path: Path) -> str:
    """The poster's text in reading order (no -layout: the two columns of translations would mix
    on each line), Arabic back from presentation forms to letters, without the bidi controls."""
    source = tmp_path / "poster.pdf"
    source.write_bytes(pdf)
    text = subprocess.run(
        ["pdftotext", str(source), "-"], capture_output=True, check=True, text=True
    ).stdout
    return logical(text)


def logical(text: str) -> str:
    return " ".join(unicodedata.normalize("NFKC", text).translate(BIDI_CONTROLS).split())


@pytest.mark.parametrize("languages", [("ar", "tr"), ("ar", "tr", "pt", "en")])
def test_the_poster_prints_the_translations_under_the_french(tmp_path, languages):
    meeting = MeetingFactory(title="Café des habitants : la vie du quartier")
    translate(meeting, languages)
    pdf = printables.poster_pdf(meeting)
    assert_one_non_blank_a4_page(pdf, tmp_path, ink_at_least=0.03)
    text = poster_text(pdf, tmp_path)
    assert text.index("Café des habitants : la vie du quartier") < text.index("Türkçe")
    for language in languages:
        for part in TRANSLATIONS[language]:
            if language == "ar":
                # Right to left: pdftotext may give the words of a line in either order.
                for word in logical(part).replace(":", " ").replace(".", " ").split():
                    assert word in text, word
            else:
                assert part in text
    assert "Português" in text if "pt" in languages else "Português" not in text


def test_the_poster_embeds_a_font_with_arabic_glyphs(tmp_path):
    meeting = MeetingFactory()
    without = fonts(printables.poster_pdf(meeting))
    translate(meeting, ["ar"])
    with_arabic = fonts(printables.poster_pdf(meeting))
    assert not any(without.values()), without
    arabic = {name for name, has_arabic in with_arabic.items() if has_arabic}
    # The regular and the bold (the title) of the font the poster's CSS names for Arabic.
    assert arabic == {"Noto-Sans-Arabic", "Noto-Sans-Arabic-Bold"}, with_arabic


def test_the_translations_carry_their_lang_and_dir_in_the_poster_html(monkeypatch):
    seen = {}
    render_to_string = printables.render_to_string

    def keep(template_name, context):
        seen["html"] = render_to_string(template_name, context)
        return seen["html"]

    monkeypatch.setattr(printables, "render_to_string", keep)
    meeting = MeetingFactory()
    translate(meeting, ["ar", "tr"])
    printables.poster_pdf(meeting)
    assert '<div class="translation" lang="ar" dir="rtl">' in seen["html"]
    assert '<div class="translation" lang="tr" dir="ltr">' in seen["html"]
    assert "Noto Sans Arabic" in seen["html"]


@pytest.mark.parametrize("count", [1, 2, 4])
def test_the_longest_texts_and_translations_still_fit_on_one_poster(tmp_path, count):
    """Every French field and every translation at its maximum: truncated, never a 2nd page."""
    meeting = MeetingFactory(
        title=("Réunion publique très longue " * 10)[:200],
        venue=("Salle polyvalente du centre social " * 6)[:200],
        address=("5 place Saint-Paul, bâtiment C, " * 10)[:300],
        access_notes="Entrée par la cour " * 40,
        accessibility_notes="Ascenseur " * 60,
        agenda="Point " * 300,
        mode=MeetingMode.HYBRID,
        step_free=True,
        capacity=120,
    )
    for language in ["ar", "tr", "pt", "en"][:count]:
        MeetingTranslationFactory(
            meeting=meeting,
            language=language,
            title=(("عنوان طويل جدا " if language == "ar" else "Başlık çok uzun ") * 20)[:200],
            summary=(("نص طويل " if language == "ar" else "Wwww ") * 200)[:1000],
            practical_information=(("معلومات " if language == "ar" else "Mmmm ") * 200)[:1000],
        )
    pdf = printables.poster_pdf(meeting)
    assert len(pages_of(pdf)) == 1
    # Laid out again with less text until it fits: the titles are always there.
    text = poster_text(pdf, tmp_path)
    assert "طويل" in text
    assert text.count("Başlık çok uzun") >= count - 1
