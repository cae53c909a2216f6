"""Scheduled jobs of questions (Celery beat, see CELERY_BEAT_SCHEDULE): thin wrappers."""

from __future__ import annotations

from celery import shared_task

from questions import emails, services


@shared_task
def send_question_reminders() -> int:
    """Monday: overdue questions to their organisations, a summary to the referents (issue 5)."""
    return emails.send_overdue_reminders()


@shared_task
def purge_guest_question_contacts() -> dict[str, int]:
    return services.purge_guest_question_contacts()
