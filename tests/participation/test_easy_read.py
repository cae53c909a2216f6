"""The rules of the easy-read counter and the summary's form field (participation.easy_read)."""

from __future__ import annotations

import pytest
from django.utils import translation

from participation.easy_read import (
    EASY_READ_MAX_LENGTH,
    EasyReadField,
    clean_easy_read,
    counter_lines,
    easy_read_figures,
)


def test_characters_count_a_line_break_once():
    assert easy_read_figures("Bonjour.\r\nAu revoir.").chars == len("Bonjour.\nAu revoir.")


def test_sentences_end_with_a_mark_and_a_space_or_a_line_break():
    figures = easy_read_figures(
        "La rencontre est lundi. Venez ! Vous avez une question ?\nLe goûter est offert\n\n12.5"
    )
    # "12.5" has no letter: not a sentence; "12.5" is no sentence end either.
    assert figures.sentences == 4


def test_a_sentence_of_more_than_15_words_is_long():
    fifteen = " ".join(["mot"] * 15) + "."
    sixteen = " ".join(["mot"] * 16) + "."
    assert easy_read_figures(fifteen).long_sentences == 0
    assert easy_read_figures(f"{fifteen} {sixteen}").long_sentences == 1


def test_long_words_have_12_letters_or_more_and_are_listed_once_in_order():
    figures = easy_read_figures(
        "Les renseignements sont là. Accompagnement, RENSEIGNEMENTS et information."
    )
    # "information" has 11 letters: not long.
    assert figures.long_words == ("renseignements", "Accompagnement")


def test_an_apostrophe_or_a_hyphen_splits_words():
    assert easy_read_figures("aujourd'hui c'est extraordinairement-bien").long_words == (
        "extraordinairement",
    )


def test_abbreviations_are_words_of_two_capital_letters_or_more():
    figures = easy_read_figures("Le QPV et le NPNRU. À la CAF, Marie. Le QPV encore. A.")
    assert figures.abbreviations == ("QPV", "NPNRU", "CAF")


def test_counter_lines_in_french():
    text = "Le QPV organise un accompagnement. " + "x" * EASY_READ_MAX_LENGTH
    with translation.override("fr"):
        lines = counter_lines(easy_read_figures(text))
    chars = len(text)
    assert lines[0] == (
        f"Caractères : {chars} sur 600, {chars - 600} de trop : raccourcissez le texte."
    )
    assert lines[1] == "Phrases : 2. Phrases longues (plus de 15 mots) : 0."
    assert lines[2].startswith("Mots longs (12 lettres ou plus) : accompagnement, xxxx")
    assert lines[3] == "Sigles à écrire en entier : QPV."


def test_counter_lines_of_an_empty_summary():
    with translation.override("fr"):
        lines = counter_lines(easy_read_figures(""))
    assert lines == [
        "Caractères : 0 sur 600.",
        "Phrases : 0. Phrases longues (plus de 15 mots) : 0.",
        "Mots longs (12 lettres ou plus) : aucun.",
        "Sigles à écrire en entier : aucun.",
    ]


def test_the_field_counts_line_breaks_once_and_accepts_600_characters():
    field = EasyReadField()
    text = ("a" * 99 + "\r\n") * 6  # 600 characters once the line breaks count one
    assert field.clean(text) == ("a" * 99 + "\n") * 5 + "a" * 99  # stripped at the end


def test_the_field_refuses_601_characters_in_french():
    field = EasyReadField()
    with translation.override("fr"), pytest.raises(Exception) as refused:
        field.clean("a" * 601)
    assert refused.value.messages == [
        "Le résumé facile à lire fait 601 caractères : 600 au plus. Raccourcissez-le."
    ]


def test_the_textarea_has_no_maxlength_that_would_cut_a_pasted_text():
    attrs = EasyReadField().widget.attrs
    assert "maxlength" not in attrs
    assert not EasyReadField().required


def test_the_services_check_refuses_a_long_summary():
    assert clean_easy_read("  Bonjour.\r\n ") == "Bonjour."
    with translation.override("fr"), pytest.raises(ValueError, match="601 caractères"):
        clean_easy_read("b" * 601)
