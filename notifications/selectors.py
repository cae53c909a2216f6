"""Reads of the SMS outbox: what was sent, per meeting and per month, counted in SQL."""

from __future__ import annotations

from datetime import datetime
from typing import NamedTuple
from zoneinfo import ZoneInfo

from django.db.models import Count, Sum
from django.db.models.functions import Coalesce, TruncMonth

from notifications.models import ContactPreference, SmsOptOut, TextMessage
from participation.models import User

PARIS = ZoneInfo("Europe/Paris")


class SmsCount(NamedTuple):
    messages: int
    segments: int


def sms_count_for_meeting(meeting_id: int) -> SmsCount:
    """SMS sent about one meeting (reminders, changes): messages and the segments billed."""
    totals = (
        TextMessage.objects.sent()
        .filter(meeting_id=meeting_id)
        .aggregate(messages=Count("pk"), segments=Coalesce(Sum("segments"), 0))
    )
    return SmsCount(totals["messages"], totals["segments"])


def sms_usage_by_month(*, since: datetime | None = None) -> list[dict]:
    """[{month (first day, Paris), messages, segments}], newest first; GROUP BY in the database."""
    rows = TextMessage.objects.sent()
    if since is not None:
        rows = rows.filter(sent_at__gte=since)
    return list(
        rows.annotate(month=TruncMonth("sent_at", tzinfo=PARIS))
        .values("month")
        .annotate(messages=Count("pk"), segments=Sum("segments"))
        .order_by("-month")
    )


def sms_usage_by_meeting(*, limit: int = 50) -> list[dict]:
    """[{meeting_id, title, starts_at, messages, segments}] of the meetings that had SMS, the
    latest meetings first."""
    return list(
        TextMessage.objects.sent()
        .filter(meeting__isnull=False)
        .values("meeting_id", "meeting__title", "meeting__starts_at")
        .annotate(messages=Count("pk"), segments=Sum("segments"))
        .order_by("-meeting__starts_at", "-meeting_id")[:limit]
    )


def sms_totals() -> dict[str, int]:
    """Every sent message and segment, and the messages waiting or failed (for the staff page)."""
    counts = dict(
        TextMessage.objects.values_list("status").annotate(n=Count("pk")).order_by("status")
    )
    sent = TextMessage.objects.sent().aggregate(segments=Coalesce(Sum("segments"), 0))
    return {
        "sent": counts.get("sent", 0),
        "segments": sent["segments"],
        "waiting": counts.get("queued", 0) + counts.get("held", 0),
        "failed": counts.get("failed", 0),
    }


def opt_out_of(phone: str) -> SmsOptOut | None:
    return SmsOptOut.objects.filter(phone=phone).first() if phone else None


def preference_of(user: User | None) -> ContactPreference:
    """The account's saved choices, or the defaults (email on, SMS off) for a guest or an account
    that never saved any."""
    if user is None or user.pk is None:
        return ContactPreference()
    return ContactPreference.objects.filter(user=user).first() or ContactPreference(user=user)
