"""Scheduled jobs of meetings (Celery beat, see CELERY_BEAT_SCHEDULE): thin wrappers on dialogue.emails.

Each job is idempotent (reminder_sent_at, last_digest_at), so a retried or doubled run sends nothing
twice; the emails they queue are delivered by participation.tasks.send_email, which retries on its own.
"""

from __future__ import annotations

from celery import shared_task

from dialogue import emails


@shared_task
def send_meeting_reminders() -> int:
    return emails.send_meeting_reminders()


@shared_task
def send_follow_digests() -> int:
    return emails.send_follow_digests()


@shared_task
def send_minutes_reminders() -> int:
    return emails.send_minutes_reminders()


@shared_task
def send_comeback_invitations() -> int:
    from dialogue.services.comeback import send_comeback_invitations as send

    return send()


@shared_task
def purge_guest_personal_data() -> dict[str, int]:
    from dialogue.services.retention import purge_guest_personal_data as purge

    return purge()
