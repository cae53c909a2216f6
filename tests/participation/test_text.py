"""One way to shorten a text for residents: whole words, then an ellipsis."""

from participation.text import shorten


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
