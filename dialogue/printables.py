"""Printed matter of a meeting (WeasyPrint, A4): the poster for the building hall, the sign-in sheet.

Both are French whatever the language of the staff member who prints them: they are read by the
residents of the neighbourhood. They load nothing: the style is in the template, the QR code is an
SVG data URI, fonts are the system's (DejaVu Sans on Debian), and the URL fetcher refuses every
scheme but `data:`, so a stray URL in a meeting's text can never make the server fetch anything.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import segno
from django.template.loader import render_to_string
from django.utils import timezone, translation

from dialogue.emails import DAY_FORMAT, TIME_FORMAT
from dialogue.models import Meeting, Registration, RegistrationStatus, registrant_label
from participation.dates import date_format
from participation.mail import PARIS, absolute

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


def render_pdf(template_name: str, context: dict) -> bytes:
    # Imported here: WeasyPrint is slow to import and chatty at INFO level, and only the two PDF
    # views need it (not every process that loads the URLs).
    from weasyprint import HTML
    from weasyprint.urls import URLFetcher

    html = render_to_string(template_name, context)
    fetcher = URLFetcher(allowed_protocols={"data"}, allow_redirects=False)
    return HTML(string=html, url_fetcher=fetcher).write_pdf()


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


def poster_pdf(meeting: Meeting) -> bytes:
    url = absolute(meeting.get_absolute_url())
    compact = _poster_is_crowded(meeting)
    limits = {**POSTER_TEXT_LIMITS, "title": COMPACT_TITLE_LIMIT if compact else 200}
    with translation.override("fr"), timezone.override(PARIS):
        return render_pdf(
            "dialogue/print/poster.html",
            {
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
            },
        )


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
