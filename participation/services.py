"""Account services of the participation package: the purge of ended sessions."""

from __future__ import annotations

from datetime import datetime

from allauth.usersessions.models import UserSession
from django.contrib.sessions.models import Session
from django.db import transaction
from django.utils import timezone


def ended_sessions_purge(*, now: datetime | None = None) -> tuple[int, int]:
    """Delete expired sessions and the IP address and browser kept for each of them.

    Returns (sessions, session records) deleted. Run daily (CELERY_BEAT_SCHEDULE); the privacy page
    says the IP address and browser of a session are kept until it ends.
    """
    now = now or timezone.now()
    with transaction.atomic():
        sessions, _ = Session.objects.filter(expire_date__lt=now).delete()
        records, _ = UserSession.objects.exclude(
            session_key__in=Session.objects.values("session_key")
        ).delete()
    return sessions, records
