"""The surveys an account may still answer: meetings it attended whose survey is open ("Mon espace").

Two queries whatever the number of meetings: the meetings, then which of the account's tokens
(dialogue.services.feedback.account_feedback_token) are already used.
"""

from __future__ import annotations

from datetime import datetime

from django.db.models import Exists, OuterRef
from django.utils import timezone

from dialogue.models import FeedbackToken, Meeting, MeetingStatus, Registration
from dialogue.services.feedback import FEEDBACK_WINDOW, account_feedback_token_hash
from participation.models import User


def feedback_to_give(user: User, *, now: datetime | None = None) -> list[Meeting]:
    """The meetings `user` was ticked present at, survey open and not answered by the account,
    the latest first."""
    now = now or timezone.now()
    attended = Registration.objects.filter(meeting=OuterRef("pk"), user=user, attended=True)
    meetings = list(
        Meeting.objects.public()
        .filter(Exists(attended), starts_at__lte=now, ends_at__gte=now - FEEDBACK_WINDOW)
        .exclude(status=MeetingStatus.CANCELLED)
        .select_related("dialogue_space__qpv")
        .order_by("-starts_at", "-pk")
    )
    if not meetings:
        return []
    hashes = {
        meeting.pk: account_feedback_token_hash(meeting_id=meeting.pk, user_id=user.pk)
        for meeting in meetings
    }
    answered = set(
        FeedbackToken.objects.filter(
            token_hash__in=hashes.values(), used_at__isnull=False
        ).values_list("token_hash", flat=True)
    )
    return [meeting for meeting in meetings if hashes[meeting.pk] not in answered]
