"""Writes of the minutes (compte rendu): draft, publish, correct.

A meeting has one set of minutes, written once it has started. Publishing makes them public on the
meeting page and, the first time only, emails them to the attendees and the followers of the QPV
(dialogue.emails.minutes_published). Corrections afterwards are published at once and sent to no one:
nobody gets the same minutes twice.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime

from django.core.exceptions import ValidationError
from django.core.files.storage import Storage
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.formats import time_format
from django.utils.translation import gettext_lazy as _

from dialogue import emails
from dialogue.models import Meeting, MeetingStatus, Minutes, MinutesStatus
from participation.dates import date_format
from participation.models import User

MINUTES_FIELDS = frozenset({"summary", "decisions", "next_steps", "questions_raised"})


class MinutesError(ValidationError):
    """A write refused for a reason the staff member can read."""


@dataclass(frozen=True)
class MinutesSaved:
    minutes: Minutes
    # True only when this save published the minutes for the first time (and queued the emails).
    first_publication: bool
    emails_queued: int = 0


def minutes_refusal(meeting: Meeting, *, now: datetime | None = None) -> str | None:
    """Why the minutes of `meeting` cannot be written now, or None when they can."""
    if meeting.status == MeetingStatus.CANCELLED:
        return str(_("This meeting was cancelled: it has no minutes."))
    if meeting.status != MeetingStatus.HELD and meeting.starts_at > (now or timezone.now()):
        local = timezone.localtime(meeting.starts_at)
        return str(
            _(
                "This meeting has not started yet: its minutes can be written from its start, "
                "on %(day)s at %(time)s."
            )
        ) % {"day": date_format(local, "l j F Y"), "time": time_format(local)}
    return None


def _attachment_name(meeting: Meeting) -> str:
    # A random part: in a local run (DEBUG) /media/ is served as is, and a draft's attachment
    # must not be found by guessing its name. In production only minutes_attachment serves it.
    return f"compte-rendu-{meeting.pk}-{secrets.token_urlsafe(6)}.pdf"


def _delete_file_on_commit(storage: Storage, name: str) -> None:
    if name:
        transaction.on_commit(lambda: storage.delete(name))


@transaction.atomic
def minutes_save(
    *,
    meeting: Meeting,
    by: User,
    publish: bool,
    attachment: UploadedFile | None = None,
    remove_attachment: bool = False,
    now: datetime | None = None,
    **fields: str,
) -> MinutesSaved:
    """Create or update the minutes of `meeting`; `by` has dialogue.log_meeting (checked by the view).

    `publish=True` publishes them (published_at is set the first time only, and only then are the
    emails queued); `publish=False` saves without publishing, and never unpublishes: published
    minutes stay public while they are corrected.
    """
    unknown = set(fields) - MINUTES_FIELDS
    if unknown:
        raise TypeError(f"Unknown fields: {', '.join(sorted(unknown))}")
    now = now or timezone.now()
    # The meeting's row is the lock: two clicks on "Publish" queue the emails once.
    meeting = (
        Meeting.objects.select_for_update(of=("self",))
        .select_related("dialogue_space__qpv__commune", "dialogue_space__host_organisation")
        .get(pk=meeting.pk)
    )
    refusal = minutes_refusal(meeting, now=now)
    if refusal:
        raise MinutesError(refusal, code="not_writable")
    minutes = Minutes.objects.filter(meeting=meeting).first() or Minutes(meeting=meeting)
    for name, value in fields.items():
        setattr(minutes, name, value)
    if not minutes.summary.strip():
        raise MinutesError(_("The summary is required."), code="summary_required")
    minutes.author = by
    storage = minutes.attachment.storage
    if attachment is not None:
        _delete_file_on_commit(storage, minutes.attachment.name)
        minutes.attachment.save(_attachment_name(meeting), attachment, save=False)
    elif remove_attachment and minutes.attachment:
        _delete_file_on_commit(storage, minutes.attachment.name)
        minutes.attachment = ""
    first_publication = False
    if publish:
        minutes.status = MinutesStatus.PUBLISHED
        if minutes.published_at is None:
            minutes.published_at = now
            first_publication = True
    minutes.meeting = meeting
    minutes.save()
    emails_queued = 0
    if first_publication:
        emails_queued = emails.minutes_published(minutes, now=now)
    return MinutesSaved(
        minutes=minutes, first_publication=first_publication, emails_queued=emails_queued
    )
