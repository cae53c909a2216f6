"""French dates: "1er" for the first of the month, ISO values that HTML accepts."""

import datetime
import zoneinfo

from django.template import Context, Template
from django.utils import translation

from participation.dates import date_format

PARIS = zoneinfo.ZoneInfo("Europe/Paris")


def render(source: str, **context: object) -> str:
    return Template(source).render(Context(context))


def test_the_first_of_the_month_is_an_ordinal_in_french():
    with translation.override("fr"):
        assert date_format(datetime.date(2026, 1, 1), "j F Y") == "1er janvier 2026"
        assert date_format(datetime.date(2026, 1, 2), "j F Y") == "2 janvier 2026"
        assert date_format(datetime.date(2026, 3, 1), "l j F") == "dimanche 1er mars"
        # A named format (DATE_FORMAT is "j F Y" in French) goes through the same rule.
        assert date_format(datetime.date(2026, 5, 1)) == "1er mai 2026"
        # An escaped "j" is a literal letter, not the day.
        assert date_format(datetime.date(2026, 5, 1), r"\j j") == "j 1er"


def test_english_keeps_its_own_typography():
    with translation.override("en"):
        assert date_format(datetime.date(2026, 1, 1), "j F Y") == "1 January 2026"


def test_every_template_date_filter_writes_1er():
    first = datetime.datetime(2026, 6, 1, 18, 30, tzinfo=PARIS)
    with translation.override("fr"):
        assert render('{{ d|date:"l j F Y" }}', d=first) == "lundi 1er juin 2026"
        assert render('{{ d|date:"j F Y" }}', d=first.replace(day=11)) == "11 juin 2026"
        assert render('{{ d|date:"DATE_FORMAT" }}', d=first) == "1er juin 2026"
        assert render("{{ d|date }}", d=None) == ""


def test_iso_datetimes_drop_microseconds_for_html():
    moment = datetime.datetime(2026, 6, 1, 18, 30, 5, 123456, tzinfo=datetime.UTC)
    with translation.override("fr"):
        value = render("{{ d|date:'c' }}", d=moment)
    assert "." not in value and value.endswith(":05+02:00")


def test_times_in_french_typography():
    evening = datetime.datetime(2026, 6, 1, 18, 30, tzinfo=PARIS)
    with translation.override("fr"):
        assert render('{{ d|time:"TIME_FORMAT" }}', d=evening) == "18 h 30"
        assert render('{{ d|time:"TIME_FORMAT" }}', d=evening.replace(hour=9, minute=0)) == "9 h 00"
    with translation.override("en"):
        assert render('{{ d|time:"TIME_FORMAT" }}', d=evening) == "6:30 p.m."
