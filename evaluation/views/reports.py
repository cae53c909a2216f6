"""Espace pro: the PDF reports for the Plenary Assembly, requested, followed and downloaded.

Who: delegates, referents and coordinators, each within their scope (`evaluation.view_indicators`
to request a report of a scope, `evaluation.read_report` to follow and download one). Users with no
indicator scope at all (facilitators, correspondents, residents) get a 403; visitors, the login page.
A report of another scope answers 404, exactly like a report that does not exist: that a commune
has a report is not for the staff of another commune to learn by trying ids.

The status page polls its status block every 2 seconds (htmx) while the report is queued or being
built; the block of a ready or failed report has no trigger, so the polling stops by itself. Without
JavaScript the page has a refresh link.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.cache import patch_cache_control
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from evaluation import odt, report_texts, services
from evaluation.forms import ScopePeriodForm
from evaluation.models import Report, ReportQuerySet, ReportStatus
from participation.http import AuthenticatedHttpRequest
from participation.scopes import get_object_for, require_perm_somewhere
from participation.storage import stored_file_response

REPORTS_PER_PAGE = 30


def _require_report_reader(request: HttpRequest) -> None:
    """403 for those who read no report anywhere (evaluation.read_report)."""
    require_perm_somewhere(request, "evaluation.read_report", Report.objects.all())


def _reports(user) -> ReportQuerySet:
    # The scope's place comes with the report: labels and permission checks cost no query.
    return Report.objects.visible_to(user).select_related("qpv__commune", "commune", "requested_by")


def _report_for(request: HttpRequest, pk: int) -> Report:
    """A report of the user's scope; out of scope, a 404 as an unknown one."""
    _require_report_reader(request)
    return get_object_for(request, _reports(request.user), "evaluation.read_report", pk=pk)


def _status_context(report: Report) -> dict:
    running = report.status in (ReportStatus.QUEUED, ReportStatus.RUNNING)
    stale = services.is_stale(report)
    return {
        "report": report,
        # A stale build will not move any more: stop polling and offer the retry instead.
        "polling": running and not stale,
        "stale": stale,
        "retryable": services.is_retryable(report),
        "retry_error": "",
    }


# What the live region of the status page says when a poll finds the status changed.
STATUS_ANNOUNCEMENTS: dict[str, Promise] = {
    ReportStatus.QUEUED: gettext_lazy("The report waits for a worker."),
    ReportStatus.RUNNING: gettext_lazy("The report is being built."),
    ReportStatus.READY: gettext_lazy("The report is ready: you can download the PDF."),
    ReportStatus.FAILED: gettext_lazy("The report could not be built."),
}


@login_required
@require_http_methods(["GET", "POST"])
def reports(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The reports of the user's scope, and the form to request one (scope and period)."""
    _require_report_reader(request)
    status = 200
    if request.method == "POST":
        form = ScopePeriodForm(request.POST, user=request.user, within_contract=True)
        if form.is_valid():
            scope, period = form.cleaned_scope_period()
            report = services.report_request(user=request.user, scope=scope, period=period)
            messages.success(
                request,
                _("Report requested: %(scope)s, %(period)s. It is built in the background.")
                % {"scope": scope.label, "period": period.cut_to(form.today).label},
            )
            return redirect(report)
        status = 400
    else:
        # Coming from the dashboard: its scope and period are proposed for the report.
        initial = {
            name: request.GET[name]
            for name in ("scope", "preset", "start", "end")
            if name in request.GET
        }
        form = ScopePeriodForm(user=request.user, initial=initial, within_contract=True)
    page = Paginator(_reports(request.user), REPORTS_PER_PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "evaluation/reports.html",
        {"form": form, "page": page, "reports": page.object_list},
        status=status,
    )


@login_required
@require_GET
@never_cache
def report_detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    report = _report_for(request, pk)
    context = _status_context(report) | report_texts.page_context(report, request.user)
    return render(request, "evaluation/report_detail.html", context)


@login_required
@require_GET
@never_cache
def report_status(request: HttpRequest, pk: int) -> HttpResponse:
    """The status block alone, polled by the status page while the report is being built.

    The poll says which status the page shows (`shown`): when it has changed, the answer also
    fills the page's live region, so that a screen reader announces the change once (the block
    itself is replaced every 2 seconds and is not a live region: it would be read again each time).
    """
    report = _report_for(request, pk)
    shown = request.GET.get("shown", "")
    changed = shown in ReportStatus.values and shown != report.status
    context = _status_context(report) | {
        "announcement": STATUS_ANNOUNCEMENTS[report.status] if changed else ""
    }
    return render(request, "evaluation/report_status_poll.html", context)


def _file_response(report: Report, file, filename: str, content_type: str) -> FileResponse:
    """A file of a ready report as a private attachment; 404 until it exists."""
    if report.status != ReportStatus.READY:
        raise Http404
    response = stored_file_response(
        file, as_attachment=True, filename=filename, content_type=content_type
    )
    patch_cache_control(response, private=True)
    return response


@login_required
@require_GET
def report_download(request: HttpRequest, pk: int) -> FileResponse:
    report = _report_for(request, pk)
    return _file_response(report, report.file, services.report_filename(report), "application/pdf")


@login_required
@require_GET
def report_download_odt(request: HttpRequest, pk: int) -> FileResponse:
    """The editable copy (ODT) of a ready report, for the same readers as the PDF."""
    report = _report_for(request, pk)
    filename = services.report_filename(report, "odt")
    return _file_response(report, report.odt_file, filename, odt.MEDIA_TYPE)


@login_required
@require_POST
def report_retry(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    report = _report_for(request, pk)
    try:
        services.report_retry(report=report, by=request.user)
    except services.ReportError as error:
        # The page was out of date (the report is ready, or already queued again): show it as it is.
        context = {**_status_context(report), "retry_error": str(error)}
        context |= report_texts.page_context(report, request.user)
        return render(request, "evaluation/report_detail.html", context, status=409)
    messages.success(request, _("The report is queued again."))
    return redirect(report)
