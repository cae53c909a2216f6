"""GSM-7 or UCS-2, and how many segments: what an SMS costs (GSM 03.38)."""

import pytest

from notifications.gsm import GSM7_BASIC, GSM7_EXTENSION, describe_length, units_left


@pytest.mark.parametrize(
    ("text", "encoding"),
    [
        ("Bonjour, rendez-vous à 18h au centre social.", "gsm7"),
        # In the GSM alphabet: é è ù ì ò à É Ç (capital only), ä ö ñ ü, Ø, Å, Æ, ß, Δ.
        ("Réunion prévue à la Maison de quartier, où ? Là-bas. Ça va.", "gsm7"),
        ("É È", "ucs2"),  # the capital È is not in the alphabet, the capital É is
        ("é", "gsm7"),
        ("ê", "ucs2"),
        ("fête", "ucs2"),
        ("ç", "ucs2"),  # only the capital Ç is in the table (0x09)
        ("Ç", "gsm7"),
        ("â", "ucs2"),
        ("î", "ucs2"),
        ("ô", "ucs2"),
        ("û", "ucs2"),
        ("ë", "ucs2"),
        ("œ", "ucs2"),
        ("l’école", "ucs2"),  # the typographic apostrophe of word processors
        ("l'école", "gsm7"),
        ("5 €", "gsm7"),
        ("[ok] {ok} ~ ^ | \\", "gsm7"),
        ("Merci 😀", "ucs2"),
        ("ΔΦΓΛΩΠΨΣΘΞ", "gsm7"),
    ],
)
def test_encoding(text, encoding):
    assert describe_length(text).encoding == encoding


def test_the_alphabet_tables_have_their_size():
    assert len(GSM7_BASIC) == 127  # 128 places, one of them the escape
    assert len(set(GSM7_BASIC)) == 127
    assert len(GSM7_EXTENSION) == 10


@pytest.mark.parametrize(
    ("text", "chars", "segments"),
    [
        ("", 0, 0),
        ("a", 1, 1),
        ("a" * 160, 160, 1),
        ("a" * 161, 161, 2),
        ("é" * 160, 160, 1),
        ("a" * 306, 306, 2),
        ("a" * 307, 307, 3),
        # The extension characters take two places.
        ("€" * 80, 80, 1),
        ("€" * 81, 81, 2),
        ("a" * 159 + "€", 160, 2),
        ("a" * 158 + "€", 159, 1),
        # An escape pair is never cut between two segments: 152 + (2 + 151) + 1.
        ("a" * 152 + "€" + "a" * 152, 305, 3),
    ],
)
def test_gsm7_segments(text, chars, segments):
    assert describe_length(text) == (chars, segments, "gsm7")


@pytest.mark.parametrize(
    ("text", "chars", "segments"),
    [
        ("ê" * 70, 70, 1),
        ("ê" * 71, 71, 2),
        ("ê" * 134, 134, 2),
        ("ê" * 135, 135, 3),
        # An emoji takes two UTF-16 units; a pair is never cut between segments.
        ("😀" * 35, 35, 1),
        ("😀" * 36, 36, 2),
        ("a" * 66 + "😀" + "a" * 66, 133, 3),
        # One ê in a long French text halves the room: 100 characters, 2 SMS instead of 1.
        ("a" * 99 + "ê", 100, 2),
    ],
)
def test_ucs2_segments(text, chars, segments):
    assert describe_length(text) == (chars, segments, "ucs2")


def test_describe_length_unpacks_as_a_triple():
    chars, segments, encoding = describe_length("Rappel : rencontre demain à 18h.")
    assert (chars, segments, encoding) == (32, 1, "gsm7")


@pytest.mark.parametrize(
    ("text", "left"),
    [("", 160), ("a" * 150, 10), ("a" * 160, 0), ("a" * 161, 153 - 8), ("€", 158), ("ê", 69)],
)
def test_units_left(text, left):
    assert units_left(text) == left


def test_a_forms_line_breaks_count_as_one():
    assert describe_length("Bonjour\r\nà demain") == describe_length("Bonjour\nà demain")
    assert describe_length("Bonjour\r\nà demain").chars == 16
