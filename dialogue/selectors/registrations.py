"""Whose registration a meeting page shows: the signed-in account's, or a guest's remembered in
the session after they confirmed or opened their emailed link (issue 17, item 5)."""

from __future__ import annotations

from collections.abc import Collection

from django.contrib.auth.models import AnonymousUser

from dialogue.models import Meeting, Registration
from participation.models import User


def visitor_registration(
    *,
    meeting: Meeting,
    user: User | AnonymousUser | None = None,
    remembered: Collection[int] = (),
) -> Registration | None:
    """The visitor's active registration to `meeting`, with its waiting-list position, or None.

    A signed-in account sees its own registrations only: a guest registration remembered in the
    same browser before someone signed in is not theirs to show. No query when there is nothing
    to look for (an anonymous visitor who remembers nothing: the page the cache may keep).
    """
    registrations = Registration.objects.active().filter(meeting=meeting)
    if user is not None and user.is_authenticated:
        registrations = registrations.filter(user=user)
    elif remembered:
        registrations = registrations.filter(pk__in=list(remembered), user__isnull=True)
    else:
        return None
    return registrations.with_waitlist_position().order_by("-created_at", "-pk").first()
