"""Espace pro: the written parts of a report (evaluation.report_texts), drafted, reviewed,
commented, published and printed again.

The report's page shows them (reports.report_detail adds `report_texts.page_context`); the edit
page takes the five sections at once, with a preview that saves nothing. The POSTs of the report's
page (a comment, submitting or publishing the texts, rebuilding the PDF) answer, when refused, the
report's page again with the reason and the comment as typed (400, or 409 when the page was out of
date), never a 500.

Access: a report out of the user's scope is a 404 (as in reports.py); a reader who may not do this
(a delegate on the edit page) gets a 403.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from evaluation import report_texts, services
from evaluation.models import Report, ReportStatus, TextStatus
from evaluation.report_texts import COMMENT_PERM, DRAFT_PERM
from evaluation.text_forms import FORMAT_HELP, ReportCommentForm, ReportTextsForm, TextStatusForm
from evaluation.views.reports import _reports, _require_report_reader, _status_context
from participation.http import AuthenticatedHttpRequest
from participation.scopes import get_object_for


def _report_for(request: AuthenticatedHttpRequest, pk: int, perm: str) -> Report:
    """A report of the user's scope on which they hold `perm`: 404 out of scope, else 403."""
    _require_report_reader(request)
    return get_object_for(request, _reports(request.user), perm, pk=pk)


def _texts_anchor(report: Report) -> str:
    return f"{report.get_absolute_url()}#report-texts"


def _report_page(
    request: AuthenticatedHttpRequest, report: Report, *, status: int, **texts
) -> HttpResponse:
    context = _status_context(report) | report_texts.page_context(report, request.user, **texts)
    return render(request, "evaluation/report_detail.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def report_texts_edit(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """The five sections on one page; "Preview" shows them as printed, without saving."""
    report = _report_for(request, pk, DRAFT_PERM)
    sections = report_texts.sections_by_kind(report)
    previews: dict[str, str] = {}
    status = 200
    if request.method == "POST":
        form = ReportTextsForm(request.POST)
        if not form.is_valid():
            status = 400
        elif "preview" in request.POST:
            previews = {
                kind: report_texts.render_section(body) for kind, body in form.bodies().items()
            }
        else:
            changed = report_texts.report_sections_save(
                report=report, by=request.user, bodies=form.bodies()
            )
            if not changed:
                messages.info(request, _("Nothing was changed."))
            elif report.text_status == TextStatus.DRAFT:
                messages.success(
                    request,
                    _(
                        "Texts saved as a draft. Submit them for review, or publish them to "
                        "print them in the PDF."
                    ),
                )
            else:
                messages.success(request, _("Texts saved. They are still under review."))
            return redirect(_texts_anchor(report))
    else:
        form = ReportTextsForm(initial={kind: s.body for kind, s in sections.items()})
    fields = [(form[kind], previews.get(kind, "")) for kind in form.fields]
    return render(
        request,
        "evaluation/report_texts_edit.html",
        {
            "report": report,
            "form": form,
            "fields": fields,
            "previewing": bool(previews),
            "format_help": FORMAT_HELP,
        },
        status=status,
    )


@login_required
@require_POST
def report_text_status(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """Submit the texts for review, or publish them (the PDF is built again to print them)."""
    report = _report_for(request, pk, DRAFT_PERM)
    form = TextStatusForm(request.POST)
    if not form.is_valid():
        error = " ".join(str(message) for message in form.errors["to"])
        return _report_page(request, report, status=400, text_error=error)
    try:
        if form.cleaned_data["to"] == TextStatus.REVIEW:
            report_texts.report_text_submit(report=report, by=request.user)
            messages.success(
                request, _("Texts submitted for review: the delegates may read and comment.")
            )
        elif report_texts.report_text_publish(report=report, by=request.user):
            messages.success(
                request, _("Texts published. The PDF is being built again to print them.")
            )
        elif report.status == ReportStatus.RUNNING:
            # The build under way read the texts when it started: it may not print these.
            messages.warning(
                request,
                _(
                    "Texts published. The PDF being built may not print them: build it again "
                    "once it is ready."
                ),
            )
        else:
            messages.success(request, _("Texts published. The PDF will print them."))
    except report_texts.TextError as error:
        report.refresh_from_db()
        return _report_page(request, report, status=409, text_error=str(error))
    return redirect(_texts_anchor(report))


@login_required
@require_POST
def report_comment(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    report = _report_for(request, pk, COMMENT_PERM)
    form = ReportCommentForm(request.POST)
    if not form.is_valid():
        return _report_page(request, report, status=400, comment_form=form)
    report_texts.report_comment_add(
        report=report,
        by=request.user,
        kind=form.cleaned_data["kind"],
        body=form.cleaned_data["body"],
    )
    messages.success(request, _("Your comment is saved."))
    return redirect(f"{report.get_absolute_url()}#report-comments")


@login_required
@require_POST
def report_rebuild(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """Build the PDF again: the same scope and period, the published texts of now."""
    report = _report_for(request, pk, DRAFT_PERM)
    try:
        services.report_rebuild(report=report, by=request.user)
    except services.ReportError as error:
        return _report_page(request, report, status=409, text_error=str(error))
    messages.success(request, _("The PDF is being built again."))
    return redirect(report)
