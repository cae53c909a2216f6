"""Printed matter of a meeting (WeasyPrint, A4): the poster for the building hall, the sign-in sheet.

Both are French whatever the language of the staff member who prints them: they are read by the
residents of the neighbourhood. The poster then prints the meeting's translations (issue 18), each
with its `lang` and `dir`, so that a neighbour who reads Arabic, Turkish or Portuguese better than
French knows what the meeting is. They load nothing: the style is in the template, the QR code is an
SVG data URI, fonts are the system's (DejaVu Sans, and Noto Sans Arabic for Arabic script, from
Debian's fonts-noto-core), and the URL fetcher refuses every scheme but `data:`, so a stray URL in a
meeting's text can never make the server fetch anything.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

import segno
from django.template.loader import render_to_string
from django.utils import timezone, translation

from dialogue.emails import DAY_FORMAT, TIME_FORMAT
from dialogue.models import (
    Meeting,
    MeetingTranslation,
    Registration,
    RegistrationStatus,
    registrant_label,
)
from participation.dates import date_format
from participation.mail import PARIS, absolute

if TYPE_CHECKING:
    from weasyprint.document import Document

# The sign-in sheet: rows that fit under the header of the first page, then on following pages
# (whose header is only the table's), and blank rows always left for people who just come in.
ROWS_ON_FIRST_PAGE = 27
ROWS_ON_NEXT_PAGES = 32
MIN_BLANK_ROWS = 3

# The poster's title shrinks with its length so that the page never overflows.
TITLE_SIZES = ((40, "title-xl"), (70, "title-l"), (120, "title-m"))
POSTER_TEXT_LIMITS = {
    "title": 200,
    "venue": 80,
    "address": 110,
    "access_notes": 140,
    "accessibility_notes": 140,
    "agenda": 300,
    "cancellation_reason": 140,
}
# Beyond this many characters of variable text, the poster switches to smaller type and leaves
# the agenda out: one page always, the full details are one scan away.
POSTER_COMPACT_ABOVE = 420
COMPACT_TITLE_LIMIT = 130
# A translated poster is compact (smaller French type, no agenda): the translations take the room.
# Each keeps its title and the start of its summary and practical information; from three
# translations on, they share the width in two columns and keep less of their text. When that still
# makes a second page (long French texts and long translations), the poster is laid out again with
# less of each translation, down to the titles alone: one page always, the rest is one scan away.
TRANSLATION_LIMITS = {
    "wide": (
        {"title": 110, "summary": 260, "practical_information": 200},
        {"title": 100, "summary": 140, "practical_information": 0},
        {"title": 80, "summary": 0, "practical_information": 0},
    ),
    "narrow": (
        {"title": 80, "summary": 130, "practical_information": 90},
        {"title": 70, "summary": 70, "practical_information": 0},
        {"title": 50, "summary": 0, "practical_information": 0},
    ),
}
TRANSLATIONS_IN_COLUMNS_FROM = 3


def render_document(template_name: str, context: dict) -> Document:
    """The laid-out pages (WeasyPrint), before they are written as PDF."""
    # Imported here: WeasyPrint is slow to import and chatty at INFO level, and only the two PDF
    # views need it (not every process that loads the URLs).
    from weasyprint import HTML
    from weasyprint.urls import URLFetcher

    html = render_to_string(template_name, context)
    fetcher = URLFetcher(allowed_protocols={"data"}, allow_redirects=False)
    return HTML(string=html, url_fetcher=fetcher).render()


def render_pdf(template_name: str, context: dict) -> bytes:
    return render_document(template_name, context).write_pdf()


def qr_data_uri(url: str) -> str:
    return segno.make(url, error="m").svg_data_uri(scale=4, border=0, dark="#000000")


def _when(meeting: Meeting) -> dict:
    start = timezone.localtime(meeting.starts_at, PARIS)
    end = timezone.localtime(meeting.ends_at, PARIS)
    return {
        "day": date_format(start, DAY_FORMAT),
        "start": date_format(start, TIME_FORMAT),
        "end": date_format(end, TIME_FORMAT),
        "end_day": date_format(end, DAY_FORMAT) if end.date() != start.date() else "",
    }


def _title_class(title: str) -> str:
    for length, css_class in TITLE_SIZES:
        if len(title) <= length:
            return css_class
    return "title-s"


def _poster_is_crowded(meeting: Meeting) -> bool:
    texts = {
        "title": meeting.title,
        "venue": meeting.venue,
        "address": meeting.address,
        "access_notes": meeting.access_notes,
        "accessibility_notes": meeting.accessibility_notes,
        "agenda": meeting.agenda,
        "cancellation_reason": meeting.cancellation_reason if meeting.is_cancelled else "",
    }
    length = sum(min(len(text), POSTER_TEXT_LIMITS[name]) for name, text in texts.items())
    return length > POSTER_COMPACT_ABOVE


def _poster_translations(meeting: Meeting) -> list[MeetingTranslation]:
    prefetched = getattr(meeting, "offered_translations", None)
    if prefetched is not None:
        return prefetched
    return list(meeting.translations.offered())


def poster_pdf(meeting: Meeting) -> bytes:
    url = absolute(meeting.get_absolute_url())
    translations = _poster_translations(meeting)
    in_columns = len(translations) >= TRANSLATIONS_IN_COLUMNS_FROM
    compact = bool(translations) or _poster_is_crowded(meeting)
    limits = {**POSTER_TEXT_LIMITS, "title": COMPACT_TITLE_LIMIT if compact else 200}
    # Without translations, one layout (its limits always fit); with some, the first that fits.
    ladder = TRANSLATION_LIMITS["narrow" if in_columns else "wide"] if translations else ({},)
    with translation.override("fr"), timezone.override(PARIS):
        context = {
            "meeting": meeting,
            "space": meeting.dialogue_space,
            "qpv": meeting.dialogue_space.qpv,
            "host": meeting.dialogue_space.host_organisation,
            "when": _when(meeting),
            "title_class": _title_class(meeting.title),
            "limits": limits,
            "compact": compact,
            "meeting_url": url,
            "short_url": url.split("://", 1)[-1],
            "qr_code": qr_data_uri(url),
            "translations": translations,
            "translations_in_columns": in_columns,
        }
        for translation_limits in ladder:
            document = render_document(
                "dialogue/print/poster.html",
                {**context, "translation_limits": translation_limits},
            )
            if len(document.pages) == 1:
                break
        return document.write_pdf()


@dataclass(frozen=True)
class SheetRow:
    number: int
    name: str = ""


def sheet_rows(names: list[str]) -> list[SheetRow]:
    """The registrants' names, then blank rows up to the end of the last page."""
    wanted = len(names) + MIN_BLANK_ROWS
    total = ROWS_ON_FIRST_PAGE
    if wanted > total:
        total += math.ceil((wanted - total) / ROWS_ON_NEXT_PAGES) * ROWS_ON_NEXT_PAGES
    return [
        SheetRow(number=index + 1, name=names[index] if index < len(names) else "")
        for index in range(total)
    ]


def signin_sheet_pdf(meeting: Meeting) -> bytes:
    # Only the names: the sheet lies on a table at the door, emails and phones have no use there.
    with translation.override("fr"), timezone.override(PARIS):
        # Never an email address: a registrant without a name is "Inscrit·e n° N" (issue 17).
        rows = Registration.objects.filter(
            meeting=meeting, status=RegistrationStatus.CONFIRMED
        ).values_list("pk", "name")
        # The names in alphabetical order, then the numbered registrants (easier to find by eye).
        names = [
            registrant_label(pk, name)
            for pk, name in sorted(rows, key=lambda row: (row[1] == "", row[1], row[0]))
        ]
        return render_pdf(
            "dialogue/print/signin_sheet.html",
            {
                "meeting": meeting,
                "space": meeting.dialogue_space,
                "qpv": meeting.dialogue_space.qpv,
                "when": _when(meeting),
                "rows": sheet_rows(names),
                "place": " — ".join(part for part in (meeting.venue, meeting.address) if part),
                # The header stays within three lines so that the first page's rows fit under it.
                "limits": {"title": 110, "place": 140},
                "registered_count": len(names),
            },
        )
