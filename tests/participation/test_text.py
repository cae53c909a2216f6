"""One way to shorten a text for residents: whole words, then an ellipsis; contact details taken out
of anonymous answers."""

import pytest

from participation.text import shorten, without_contact_details


def test_a_short_text_is_kept_whole():
    assert shorten("Venez nombreux", 14) == "Venez nombreux"


def test_the_cut_falls_between_words_and_fits():
    text = "Rencontre sur les travaux du square, le marché et la propreté des halls"
    short = shorten(text, 30)
    assert short == "Rencontre sur les travaux du…"
    assert len(short) <= 30
    assert shorten(text, 30, ellipsis="...") == "Rencontre sur les travaux..."
    # Punctuation before the cut is dropped: "square…", never "square,…".
    assert shorten("Le square, le marché", 13) == "Le square…"


def test_one_long_word_is_cut_inside_it():
    assert shorten("Anticonstitutionnellement", 10) == "Anticonst…"


@pytest.mark.parametrize(
    "typed",
    [
        "06 12 34 56 78",
        "0612345678",
        "06.12.34.56.78",
        "06-12-34-56-78",
        "+33 6 12 34 56 78",
        "+33612345678",
        "0033612345678",
        "+33 (0)6 12 34 56 78",
        "01 47 20 00 01",
        "lea.martin+asso@example.org",
        "LEA@Quartier-Sud.fr",
    ],
)
def test_contact_details_are_taken_out(typed):
    text = f"Appelez-moi au {typed}, merci."
    assert without_contact_details(text, replacement="[X]") == "Appelez-moi au [X], merci."


def test_figures_that_are_not_contact_details_stay():
    text = "Le 12/03/2026 à 18 h, 35 personnes, 1 234,56 €, bâtiment 7, code 4512, année 2026."
    assert without_contact_details(text, replacement="[X]") == text
