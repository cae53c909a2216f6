"""iCalendar (RFC 5545) for meetings: one meeting, a QPV's agenda, the metropole's agenda."""

from __future__ import annotations

from collections.abc import Iterable
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils import timezone
from icalendar import Calendar, Event

from dialogue.models import Meeting, MeetingStatus

PARIS = ZoneInfo("Europe/Paris")
PRODID = "-//Tours Métropole Val de Loire//Quartiers en dialogue//FR"


def _location(meeting: Meeting) -> str:
    parts = [part for part in (meeting.venue, meeting.address) if part]
    if meeting.is_online and meeting.online_url:
        parts.append(meeting.online_url)
    return ", ".join(parts)


def meeting_event(meeting: Meeting) -> Event:
    event = Event()
    event.add("uid", f"meeting-{meeting.pk}@quartiers-en-dialogue")
    event.add("dtstamp", timezone.now())
    # Local Paris times with their VTIMEZONE, so calendars show the right hour across DST changes.
    event.add("dtstart", meeting.starts_at.astimezone(PARIS))
    event.add("dtend", meeting.ends_at.astimezone(PARIS))
    event.add("summary", meeting.title)
    event.add("location", _location(meeting))
    event.add("url", settings.SITE_URL + meeting.get_absolute_url())
    description = [meeting.agenda, meeting.access_notes, meeting.accessibility_notes]
    event.add("description", "\n\n".join(part for part in description if part))
    event.add("last-modified", meeting.updated_at)
    event.add("sequence", int(meeting.updated_at.timestamp()) // 60 % 2_000_000_000)
    if meeting.status == MeetingStatus.CANCELLED:
        event.add("status", "CANCELLED")
        event["summary"] = f"[ANNULÉ] {meeting.title}"
    else:
        event.add("status", "CONFIRMED")
    return event


def calendar_for(meetings: Iterable[Meeting], *, name: str) -> bytes:
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", name)
    calendar.add("x-wr-timezone", "Europe/Paris")
    for meeting in meetings:
        calendar.add_component(meeting_event(meeting))
    calendar.add_missing_timezones()
    return calendar.to_ical()


def meeting_ics(meeting: Meeting) -> bytes:
    return calendar_for([meeting], name=meeting.title)
