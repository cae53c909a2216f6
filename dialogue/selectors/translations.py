"""Reads of a meeting's translations (issue 18)."""

from __future__ import annotations

from django.db.models import Prefetch

from dialogue.models import MeetingTranslation


def offered_translations() -> Prefetch:
    """Prefetch a meeting's translations in the languages offered, in their order, as the list
    `meeting.offered_translations` (one query for any number of meetings and translations)."""
    return Prefetch(
        "translations",
        queryset=MeetingTranslation.objects.offered(),
        to_attr="offered_translations",
    )
