"""Reports for the Plenary Assembly: requested, built in the background, archived (issue 7).

The life of a report:

- `report_request` (a user, from the reports page) and `schedule_annual_reports` (Celery beat, on
  15 January) create it QUEUED and queue `tasks.build_report` once the transaction commits.
- `report_build` (the task's work) claims it (RUNNING, one more attempt), computes the catalogue,
  renders the PDF and its editable copy (ODT, from the same context) and saves them (READY, with
  the PDF's size and SHA-256 checksum), or records a readable reason (FAILED) and logs the
  traceback for the technical team. An ODT that cannot be made is logged and left out: the PDF
  is the reference document.
- `report_retry` puts a failed report back in the queue.
- `report_rebuild` puts a ready one back in the queue, when its written parts are published
  (evaluation.report_texts): the new PDF replaces the old one, and is not announced again.

Idempotency: only a QUEUED report is built. A READY or FAILED one is left as it is (a message
delivered twice, a task retried after the work was done), and so is a RUNNING one, unless its attempt
started longer ago than the task's hard time limit: the worker that ran it is gone (killed, or lost
with its message re-delivered thanks to `acks_late`), so the report may be restarted. A message that
the broker delivers again (`redelivered`) restarts a RUNNING report at once: Redis redelivers only a
message left unacknowledged for longer than its visibility timeout (CELERY_VISIBILITY_TIMEOUT, far
above the hard time limit), so the worker that claimed it died mid-build. After
LOST_WORKER_MAX_ATTEMPTS such attempts the report fails instead, so a build that kills its worker
every time does not loop.

While a report is RUNNING, `generated_at` holds the start of the current attempt (the model has no
other field for it); once READY, the end of the build.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from datetime import date, datetime, timedelta
from functools import partial
from typing import TYPE_CHECKING, Any

from celery.exceptions import SoftTimeLimitExceeded
from django.core.exceptions import PermissionDenied
from django.core.files.base import ContentFile
from django.db import InterfaceError, OperationalError, transaction
from django.db.models import Q, QuerySet
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.text import slugify
from django.utils.translation import gettext as _

from evaluation import odt, pdf
from evaluation.indicators import Period, Scope, report_period
from evaluation.models import IndicatorTarget, Report, ReportStatus
from participation.celery import app, task_named
from participation.mail import queue_email, render_email
from participation.roles import Role
from qpv.models import QPV, Commune

if TYPE_CHECKING:
    from participation.models import User

logger = logging.getLogger(__name__)

# The task's limits (seconds), here because the service decides when a RUNNING report is stale.
BUILD_TIME_LIMIT = 600
BUILD_SOFT_TIME_LIMIT = 540
# A report whose worker was lost mid-build is restarted by the redelivered message this many
# attempts at most; then it fails, and a person decides (the build may be what kills the worker).
LOST_WORKER_MAX_ATTEMPTS = 3
# Errors worth a retry of the task (the database or the network blinked), not a FAILED report.
TRANSIENT_ERRORS = (OperationalError, InterfaceError, ConnectionError, TimeoutError)


class ReportError(Exception):
    """A request or a retry that cannot be done; the message is for the user."""


def is_stale(report: Report, *, now: datetime | None = None) -> bool:
    """A RUNNING report whose attempt began before the hard time limit: its worker is gone."""
    if report.status != ReportStatus.RUNNING:
        return False
    started = report.generated_at
    now = now or timezone.now()
    return started is None or started < now - timedelta(seconds=BUILD_TIME_LIMIT)


def is_retryable(report: Report) -> bool:
    return report.status == ReportStatus.FAILED or is_stale(report)


def is_rebuildable(report: Report) -> bool:
    """A report whose PDF may be built again (its written parts changed): ready, or retryable."""
    return report.status == ReportStatus.READY or is_retryable(report)


def _queue(report_id: int) -> None:
    """Queue the build once the transaction commits: the worker must find the report saved."""
    transaction.on_commit(partial(_send_to_worker, report_id))


def _send_to_worker(report_id: int) -> None:
    build_report = task_named("evaluation.tasks.build_report")

    if app.conf.task_always_eager:
        # No broker (local run, tests): the build runs here and now, its errors are its own.
        build_report.delay(report_id)
        return
    try:
        build_report.delay(report_id)
    except Exception:
        # The broker is down: say so on the report rather than leave it queued for ever. The
        # request itself is committed; a retry once the broker is back queues it again.
        logger.exception("Report %s could not be queued.", report_id)
        with translation.override("fr"):
            reason = _("The job queue is unavailable. Retry in a few minutes.")
        Report.objects.filter(pk=report_id, status=ReportStatus.QUEUED).update(
            status=ReportStatus.FAILED, error=reason
        )


@transaction.atomic
def report_request(*, user: User, scope: Scope, period: Period) -> Report:
    """A report of the scope and period, queued for building (the same one if already queued)."""
    if not user.has_perm("evaluation.view_indicators", scope.permission_object):
        raise PermissionDenied
    alive = Q(status=ReportStatus.QUEUED) | Q(
        status=ReportStatus.RUNNING,
        generated_at__gte=timezone.now() - timedelta(seconds=BUILD_TIME_LIMIT),
    )
    pending = Report.objects.filter(
        alive,
        qpv=scope.qpv,
        commune=scope.commune,
        period_start=period.start,
        period_end=period.end,
    ).first()
    if pending is not None:
        # A double click, or a colleague asked for the same report: one build is enough.
        return pending
    report = Report.objects.create(
        qpv=scope.qpv,
        commune=scope.commune,
        period_start=period.start,
        period_end=period.end,
        requested_by=user,
    )
    _queue(report.pk)
    return report


def _queue_again(report: Report, *, by: User, why: str) -> None:
    """Put a locked report back in the queue (a retry or a rebuild: same scope and period)."""
    report.status = ReportStatus.QUEUED
    report.progress = 0
    report.progress_label = ""
    report.error = ""
    report.save(update_fields=["status", "progress", "progress_label", "error"])
    logger.info("Report %s queued %s by user %s.", report.pk, why, getattr(by, "pk", None))
    _queue(report.pk)


@transaction.atomic
def report_retry(*, report: Report, by: User) -> Report:
    """Queue a failed (or stale running) report again; ReportError if there is nothing to retry."""
    locked = Report.objects.select_for_update().get(pk=report.pk)
    if not is_retryable(locked):
        raise ReportError(_("Only a report whose build failed can be built again."))
    _queue_again(locked, by=by, why="again")
    return locked


@transaction.atomic
def report_rebuild(*, report: Report, by: User) -> Report:
    """Queue a ready (or failed) report again, to print its written parts as published now: the
    same scope and period, the figures computed anew. ReportError while a build is under way."""
    locked = Report.objects.select_for_update().get(pk=report.pk)
    if not is_rebuildable(locked):
        raise ReportError(_("The report is being built: it will print the texts published now."))
    _queue_again(locked, by=by, why="for a rebuild")
    return locked


# Building ------------------------------------------------------------------------------------------


def _claim(report_id: int, *, redelivered: bool = False) -> Report | None:
    """Mark the report RUNNING if it is to be built now; None if there is nothing to do.

    `redelivered`: the broker delivered the task's message again because the worker that took it
    never acknowledged it (see the module docstring); a RUNNING report is then an orphan.
    """
    with transaction.atomic():
        # of=("self",): PostgreSQL refuses to lock the nullable side of the outer joins.
        report = (
            Report.objects.select_for_update(of=("self",))
            .select_related("qpv__commune", "commune")
            .filter(pk=report_id)
            .first()
        )
        if report is None:
            logger.warning("Report %s to build does not exist (deleted?).", report_id)
            return None
        orphan = redelivered and report.status == ReportStatus.RUNNING
        if orphan and report.attempts >= LOST_WORKER_MAX_ATTEMPTS:
            logger.error(
                "Report %s: worker lost during %s attempts; not restarted again.",
                report_id,
                report.attempts,
            )
            report.status = ReportStatus.FAILED
            report.error = _(
                "The build stopped %(count)s times without finishing. It has been logged for the "
                "technical team; you can retry."
            ) % {"count": report.attempts}
            report.save(update_fields=["status", "error"])
            return None
        if orphan:
            logger.warning("Report %s: its worker was lost mid-build; restarting it.", report_id)
        elif report.status != ReportStatus.QUEUED and not is_stale(report):
            logger.info("Report %s is %s: nothing to build.", report_id, report.status)
            return None
        report.status = ReportStatus.RUNNING
        report.attempts += 1
        report.progress = 0
        report.progress_label = _("Starting")
        report.error = ""
        report.generated_at = timezone.now()
        report.save(
            update_fields=[
                "status",
                "attempts",
                "progress",
                "progress_label",
                "error",
                "generated_at",
            ]
        )
        return report


def _progress_saver(report: Report) -> Callable[[int, str], None]:
    def save(progress: int, label: str) -> None:
        # Saved at once (no transaction around the build): the status page polls these two fields.
        report.progress = progress
        report.progress_label = label[:200]
        report.save(update_fields=["progress", "progress_label"])

    return save


def report_filename(report: Report, extension: str = "pdf") -> str:
    scope = slugify(report.scope_label) or "rapport"
    return f"rapport-{scope}-{report.period_start:%Y%m%d}-{report.period_end:%Y%m%d}.{extension}"


def _readable_error(error: Exception, step: str) -> str:
    if isinstance(error, ReportError):
        return str(error)
    if isinstance(error, SoftTimeLimitExceeded):
        return _(
            "The build took longer than %(minutes)s minutes and was stopped. Retry later, or ask "
            "for a shorter period."
        ) % {"minutes": BUILD_SOFT_TIME_LIMIT // 60}
    return _(
        "An unexpected error stopped the build at the step “%(step)s”. It has been logged for the "
        "technical team; you can retry."
    ) % {"step": step}


def _fail(report: Report, reason: str) -> None:
    Report.objects.filter(pk=report.pk, attempts=report.attempts).update(
        status=ReportStatus.FAILED, error=reason
    )
    report.status = ReportStatus.FAILED
    report.error = reason


def _requeue(report: Report) -> None:
    Report.objects.filter(pk=report.pk, attempts=report.attempts).update(
        status=ReportStatus.QUEUED, progress_label=_("Waiting for a new attempt")
    )


@transaction.atomic
def _finish(report: Report, content: bytes, editable: bytes | None = None) -> bool:
    """Save the PDF (and its editable copy, ODT) and mark the report READY; False if another
    attempt took the report over."""
    current = Report.objects.select_for_update().filter(pk=report.pk).first()
    if current is None or (current.status, current.attempts) != (
        ReportStatus.RUNNING,
        report.attempts,
    ):
        return False
    # A rebuild replaces the previous PDF (removed once committed); the first build is announced.
    previous, first_build = current.file.name, not current.checksum
    previous_odt = current.odt_file.name
    report.file.save(report_filename(report), ContentFile(content), save=False)
    if editable is not None:
        report.odt_file.save(report_filename(report, "odt"), ContentFile(editable), save=False)
    report.size = len(content)
    report.checksum = hashlib.sha256(content).hexdigest()
    report.generated_at = timezone.now()
    report.status = ReportStatus.READY
    report.progress = 100
    report.progress_label = ""
    report.save(
        update_fields=[
            "file",
            "odt_file",
            "size",
            "checksum",
            "generated_at",
            "status",
            "progress",
            "progress_label",
        ]
    )
    # Nothing is left behind in the storage (a shared bucket keeps what it is given forever).
    for old, new in ((previous, report.file.name), (previous_odt, report.odt_file.name)):
        if old and old != new:
            transaction.on_commit(partial(report.file.storage.delete, old))
    if report.scheduled and first_build:
        notify_report_ready(report)
    return True


def report_build(
    *, report_id: int, final_attempt: bool = True, redelivered: bool = False
) -> Report | None:
    """Build the PDF of a queued report; see the module docstring. Returns the report, or None.

    A transient error (database, network) puts the report back in the queue and is raised again
    for the task to retry, unless this is the `final_attempt`: then the report fails like on any
    other error.
    """
    with translation.override("fr"), timezone.override(pdf.PARIS):
        report = _claim(report_id, redelivered=redelivered)
        if report is None:
            return None
        save_progress = _progress_saver(report)
        step = _("Starting")

        def advance(progress: int, label: str) -> None:
            nonlocal step
            step = label
            save_progress(progress, label)

        try:
            # One context for both documents: the PDF and its editable copy print the same figures.
            context = pdf.build_context(report, progress=advance)
            advance(75, _("Rendering the PDF"))
            content = pdf.render_report_pdf(context)
            advance(90, _("Rendering the editable copy (ODT)"))
            editable = _editable_copy(report, context)
            advance(95, _("Saving the file"))
            if not _finish(report, content, editable):
                logger.warning("Report %s was taken over by another attempt.", report.pk)
        except TRANSIENT_ERRORS as error:
            if not final_attempt:
                logger.warning("Report %s: transient error, retrying (%s).", report.pk, error)
                _safely(_requeue, report)
                raise
            logger.exception("Report %s failed at step %r.", report.pk, step)
            _safely(_fail, report, _readable_error(error, step))
        except Exception as error:
            logger.exception("Report %s failed at step %r.", report.pk, step)
            _safely(_fail, report, _readable_error(error, step))
        return report


def _editable_copy(report: Report, context: dict) -> bytes | None:
    """The ODT of the report, or None if it cannot be made: the PDF is the reference document,
    and a delegate still gets it (the page then offers no editable copy)."""
    try:
        return odt.render_report_odt(context)
    except (SoftTimeLimitExceeded, *TRANSIENT_ERRORS):
        raise
    except Exception:
        logger.exception("Report %s: the editable copy (ODT) could not be made.", report.pk)
        return None


def _safely(function: Callable[..., object], *args: Any) -> None:
    # Recording a failure must not hide the failure (the database may be what failed).
    try:
        function(*args)
    except Exception:
        logger.exception("Could not record the state of report %s.", args[0].pk)


# The annual reports -----------------------------------------------------------------------------


@transaction.atomic
def schedule_annual_reports(*, today: date | None = None) -> list[Report]:
    """The previous calendar year's reports: the metropole and each commune with a QPV.

    Created once (scheduled=True); a second run the same year creates and queues nothing. Returns
    the reports created.
    """
    year = (today or timezone.localdate()).year - 1
    period = Period.year(year)
    # Locking the communes serialises two concurrent runs (a doubled beat): the second waits, then
    # finds the reports of the first.
    communes = list(
        Commune.objects.filter(pk__in=QPV.objects.values("commune_id"))
        .select_for_update()
        .order_by("name")
    )
    existing = set(
        Report.objects.filter(
            scheduled=True, qpv__isnull=True, period_start=period.start, period_end=period.end
        ).values_list("commune_id", flat=True)
    )
    created = []
    for commune in [None, *communes]:
        commune_id = commune.pk if commune is not None else None
        if commune_id in existing:
            continue
        report = Report.objects.create(
            commune=commune,
            period_start=period.start,
            period_end=period.end,
            scheduled=True,
            requested_by=None,
        )
        _queue(report.pk)
        created.append(report)
    logger.info("Annual reports %s: %s queued.", year, len(created))
    return created


def report_recipients(report: Report) -> QuerySet[User]:
    """Who is told that an annual report is ready: delegates and coordinators who may read it,
    and for a commune (or QPV) report the referents of that commune."""
    from participation.models import RoleAssignment, User

    wanted = Q(role=Role.COORDINATOR) | Q(
        role=Role.DELEGATE, qpv__isnull=True, commune__isnull=True
    )
    commune_id = report.commune_id or (report.qpv.commune_id if report.qpv is not None else None)
    if commune_id:
        wanted |= Q(role__in=[Role.DELEGATE, Role.REFERENT], commune_id=commune_id)
    if report.qpv_id:
        wanted |= Q(role=Role.DELEGATE, qpv_id=report.qpv_id)
    holders = RoleAssignment.objects.filter(wanted).values("user_id")
    return User.objects.filter(is_active=True, pk__in=holders).order_by("email")


def notify_report_ready(report: Report) -> int:
    """One email per recipient with the link to the report's page (not the PDF: it may be
    large, and the page checks who may download it). Sent once the transaction commits."""
    from participation.mail import absolute

    with translation.override("fr"):
        url = absolute(reverse("evaluation:report", kwargs={"pk": report.pk}))
        period = report_period(report)
        subject = _("Report %(period)s ready: %(scope)s") % {
            "period": period.label,
            "scope": report.scope_label,
        }
        sent = 0
        for user in report_recipients(report):
            context = {
                "subject": subject,
                "name": user.get_short_name(),
                "report": report,
                "period_label": period.label,
                "report_url": url,
                "site_url": absolute(""),
            }
            queue_email(
                render_email(
                    "evaluation/emails/report_ready",
                    subject=subject,
                    to=user.email,
                    context=context,
                )
            )
            sent += 1
    return sent


# Targets (issue 19) ------------------------------------------------------------------------------


@transaction.atomic
def target_save(*, target: IndicatorTarget, by: User) -> IndicatorTarget:
    """Create or update a target of an indicator (validated by TargetForm)."""
    target.updated_by = by
    target.save()
    logger.info("Target %s saved by user %s", target.pk, by.pk)
    return target


@transaction.atomic
def target_delete(*, target: IndicatorTarget, by: User) -> None:
    logger.info("Target %s (%s) deleted by user %s", target.pk, target, by.pk)
    target.delete()
