import pytest
from django.core.exceptions import ValidationError

from notifications.phones import normalise_mobile, validate_mobile


@pytest.mark.parametrize(
    ("typed", "number"),
    [
        ("0612345678", "+33612345678"),
        ("06 12 34 56 78", "+33612345678"),
        ("06.12.34.56.78", "+33612345678"),
        ("06-12-34-56-78", "+33612345678"),
        ("07 81 23 45 67", "+33781234567"),
        ("+33612345678", "+33612345678"),
        ("+33 6 12 34 56 78", "+33612345678"),
        ("+33 (0)6 12 34 56 78", "+33612345678"),
        ("0033 7 81 23 45 67", "+33781234567"),
        ("\u00a006\u202f12 34 56 78 ", "+33612345678"),
    ],
)
def test_french_mobiles_are_normalised(typed, number):
    assert normalise_mobile(typed) == number
    assert validate_mobile(typed) == number


@pytest.mark.parametrize(
    "typed",
    [
        "",
        "02 47 21 60 00",  # a landline in Tours
        "+33 2 47 21 60 00",
        "08 00 00 00 00",
        "06 12 34 56 7",  # a digit short
        "06 12 34 56 789",
        "+32 470 12 34 56",  # Belgium
        "612345678",
        "06 12 34 56 7a",
        "téléphone",
        "0" * 50,
    ],
)
def test_anything_else_is_refused_in_plain_french(typed):
    assert normalise_mobile(typed) is None
    with pytest.raises(ValidationError) as error:
        validate_mobile(typed)
    assert error.value.code == "not_a_mobile"
