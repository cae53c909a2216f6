"""Reads of the territory app that more than one page needs."""

from __future__ import annotations

from qpv.models import QPV


def followed_qpvs(follow_ids: list[int]) -> list[QPV]:
    """The QPV an unsubscribe link would stop (those of its follows that still exist)."""
    return list(QPV.objects.filter(follows__pk__in=follow_ids).order_by("name").distinct())
