"""Guest registrations remembered in the session, so that the meeting page knows its guest.

A guest proves they own a registration by using a link emailed to them (confirming it, or opening
its management page). The registration's id is then kept in their session: the meeting page shows
"you are registered" and a cancel button instead of the empty form (issue 17, item 5). The session
lives on the server; its cookie also keeps the visitor out of the anonymous page cache
(participation.datacache.public_page), so no one else ever gets that page.
"""

from __future__ import annotations

from django.http import HttpRequest

from dialogue.models import Registration

SESSION_KEY = "dialogue.remembered_registrations"
# The most recent ones: enough for anyone's upcoming meetings, small in the session.
MAX_REMEMBERED = 30


def remember_registration(request: HttpRequest, registration: Registration) -> None:
    remembered = [pk for pk in remembered_registrations(request) if pk != registration.pk]
    request.session[SESSION_KEY] = [registration.pk, *remembered][:MAX_REMEMBERED]


def remembered_registrations(request: HttpRequest) -> list[int]:
    """The ids remembered for this visitor (none, and no session read, without a session)."""
    value = request.session.get(SESSION_KEY, [])
    if not isinstance(value, list):
        return []
    return [pk for pk in value if isinstance(pk, int)]
