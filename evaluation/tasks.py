"""Celery tasks of the reports: thin wrappers around evaluation.services, queued on commit.

`build_report` acknowledges its message only once done (`acks_late`): a worker lost mid-build gets
the message delivered again (after CELERY_VISIBILITY_TIMEOUT on Redis), flagged `redelivered`, and
the service restarts the orphaned report; otherwise it restarts a report only if its attempt is
stale, so a message delivered twice never builds a report twice. The hard time limit kills a build
stuck in WeasyPrint; the soft one, a minute earlier, lets the service record a readable failure
first.
"""

from __future__ import annotations

from celery import shared_task

from evaluation import services


@shared_task(
    bind=True,
    acks_late=True,
    time_limit=services.BUILD_TIME_LIMIT,
    soft_time_limit=services.BUILD_SOFT_TIME_LIMIT,
    # Only transient errors are retried; any other error is a FAILED report, retried by a person.
    autoretry_for=services.TRANSIENT_ERRORS,
    retry_backoff=30,
    retry_backoff_max=600,
    max_retries=3,
)
def build_report(self, report_id: int) -> str | None:
    final_attempt = self.request.retries >= self.max_retries
    redelivered = bool((self.request.delivery_info or {}).get("redelivered"))
    report = services.report_build(
        report_id=report_id, final_attempt=final_attempt, redelivered=redelivered
    )
    return report.status if report is not None else None


@shared_task
def schedule_annual_reports() -> int:
    """Beat, mid-January: the previous year's metropole and commune reports (created once)."""
    return len(services.schedule_annual_reports())
