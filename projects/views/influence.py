"""'Vous avez dit, nous avons fait': what residents said and what the institutions did with it.

Public: every record, metropole-wide (filter by QPV and outcome) or of one QPV, with the counts by
outcome at the top. A record links to its meeting, question or project only when that page is
public. Staff: `projects.manage_influence` on the QPV (referents of the commune, coordinators)
list, write and correct the records of their scope; everyone else gets a 403, visitors the login.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Count, Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from participation.http import AuthenticatedHttpRequest
from participation.scopes import get_object_for, require_perm
from projects.forms.influence import InfluenceFilterForm, InfluenceRecordForm
from projects.forms.question_search import is_searching
from projects.models import (
    InfluenceOutcome,
    InfluenceRecord,
    InfluenceRecordQuerySet,
    ModerationStatus,
)
from projects.services import influence as services
from qpv.models import QPV
from qpv.shortcuts import qpv_or_404
from questions.models import ACCEPTED_STATUSES

RECORDS_PER_PAGE = 20
STAFF_RECORDS_PER_PAGE = 50


def _records() -> InfluenceRecordQuerySet:
    """Records with everything an item shows, in one query (newest decision first)."""
    return InfluenceRecord.objects.select_related(
        "qpv__commune", "meeting__dialogue_space", "question", "project", "institution"
    ).order_by("-decided_on", "-pk")


def _outcome_counts(records: QuerySet[InfluenceRecord]) -> dict[str, int]:
    """The counts by outcome, in one aggregate query."""
    return records.aggregate(
        total=Count("pk"),
        adopted=Count("pk", filter=Q(outcome=InfluenceOutcome.ADOPTED)),
        partly=Count("pk", filter=Q(outcome=InfluenceOutcome.PARTLY)),
        not_adopted=Count("pk", filter=Q(outcome=InfluenceOutcome.NOT_ADOPTED)),
    )


def _prepare(records: list[InfluenceRecord]) -> list[InfluenceRecord]:
    """Attach the links a visitor may follow: a page that is not public is named, not linked."""
    for record in records:
        meeting, question, project = record.meeting, record.question, record.project
        record.public_meeting = (  # type: ignore[attr-defined]  # set for the template
            meeting if meeting is not None and meeting.dialogue_space.is_active else None
        )
        record.public_question = (  # type: ignore[attr-defined]  # idem
            question
            if question is not None
            and question.status in ACCEPTED_STATUSES
            and question.public_display
            else None
        )
        record.public_project = (  # type: ignore[attr-defined]  # idem
            project
            if project is not None and project.moderation == ModerationStatus.PUBLISHED
            else None
        )
    return records


def _public_list(
    request: HttpRequest, *, qpv: QPV | None, records, form: InfluenceFilterForm, **context
) -> HttpResponse:
    in_place = form.filter_place(records)
    counts = _outcome_counts(in_place)
    paginator = Paginator(form.filter_outcome(in_place), RECORDS_PER_PAGE)
    # The aggregate already counted the filtered records: the paginator needs no COUNT query.
    outcome = form.cleaned_data.get("outcome", "") if form.is_valid() else ""
    paginator.count = counts[outcome] if outcome else counts["total"]
    page_obj = paginator.get_page(request.GET.get("page"))
    page_obj.object_list = _prepare(list(page_obj.object_list))
    return render(
        request,
        "projects/influence_list.html",
        {"qpv": qpv, "form": form, "counts": counts, "page_obj": page_obj, **context},
        status=400 if form.errors else 200,
    )


@require_GET
def influence(request: HttpRequest) -> HttpResponse:
    # The header's menu lists the same QPV: one query serves the menu and the filter.
    qpvs = list(QPV.objects.for_listing())
    form = InfluenceFilterForm(request.GET, qpvs=qpvs)
    return _public_list(request, qpv=None, records=_records(), form=form, menu_qpvs=qpvs)


@require_GET
def qpv_influence(request: HttpRequest, slug: str) -> HttpResponse:
    qpv = get_object_or_404(QPV.objects.select_related("commune"), slug=slug)
    form = InfluenceFilterForm(request.GET, qpvs=None)
    return _public_list(request, qpv=qpv, records=_records().filter(qpv=qpv), form=form)


# Staff --------------------------------------------------------------------------------------------


def _qpvs_in_scope(request: HttpRequest) -> list[QPV]:
    """The QPV where the user keeps records (projects.manage_influence); none: 403."""
    qpvs = list(QPV.objects.for_listing().visible_to(request.user, "projects.manage_influence"))
    if not qpvs:
        raise PermissionDenied
    return qpvs


@login_required
@require_GET
def staff_influence(request: HttpRequest) -> HttpResponse:
    qpvs = _qpvs_in_scope(request)
    form = InfluenceFilterForm(request.GET, qpvs=qpvs)
    records = form.filter_outcome(form.filter_place(_records().visible_to(request.user)))
    page = Paginator(records, STAFF_RECORDS_PER_PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "projects/influence_staff.html",
        {"form": form, "page": page, "records": page.object_list, "qpvs": qpvs},
        status=400 if form.errors else 200,
    )


def _render_form(
    request: HttpRequest,
    form: InfluenceRecordForm,
    *,
    qpv: QPV,
    record: InfluenceRecord | None,
    status: int = 200,
) -> HttpResponse:
    return render(
        request,
        "projects/influence_form.html",
        {"form": form, "qpv": qpv, "record": record},
        status=status,
    )


def _save_kwargs(form: InfluenceRecordForm) -> dict:
    data = form.cleaned_data
    return {
        name: data[name]
        for name in (
            "said",
            "meeting",
            "question",
            "outcome",
            "what_was_done",
            "reason",
            "project",
            "action",
            "institution",
            "decided_on",
        )
    }


@login_required
@require_http_methods(["GET", "POST"])
def influence_create(request: AuthenticatedHttpRequest) -> HttpResponse:
    """A record of the QPV given as ?qpv=slug; without it, the choice of the QPV."""
    slug = request.GET.get("qpv", "")
    if not slug:
        return render(
            request,
            "projects/influence_choose_qpv.html",
            {"qpvs": _qpvs_in_scope(request)},
        )
    qpv = qpv_or_404(slug)
    require_perm(request, "projects.manage_influence", qpv)
    if is_searching(request.POST):
        # The question search without JavaScript: the form again, as typed, with the results.
        form = InfluenceRecordForm(initial=request.POST.dict(), qpv=qpv, search_data=request.POST)
        return _render_form(request, form, qpv=qpv, record=None)
    if request.method == "POST":
        form = InfluenceRecordForm(request.POST, qpv=qpv)
        if form.is_valid():
            try:
                services.influence_record_create(qpv=qpv, by=request.user, **_save_kwargs(form))
            except services.InfluenceError as error:
                form.add_error(error.code if error.code in form.fields else None, error)
            else:
                messages.success(request, _("The record is saved and shown on the public page."))
                return redirect("projects:staff_influence")
        return _render_form(request, form, qpv=qpv, record=None, status=400)
    form = InfluenceRecordForm(qpv=qpv, initial={"decided_on": timezone.localdate()})
    return _render_form(request, form, qpv=qpv, record=None)


@login_required
@require_http_methods(["GET", "POST"])
def influence_edit(request: HttpRequest, pk: int) -> HttpResponse:
    record = get_object_for(
        request,
        InfluenceRecord.objects.select_related("qpv__commune"),
        "projects.manage_influence",
        pk=pk,
    )
    if is_searching(request.POST):
        # The question search without JavaScript: the form again, as typed, with the results.
        form = InfluenceRecordForm(
            initial=request.POST.dict(), qpv=record.qpv, record=record, search_data=request.POST
        )
        return _render_form(request, form, qpv=record.qpv, record=record)
    if request.method == "POST":
        form = InfluenceRecordForm(request.POST, qpv=record.qpv, record=record)
        if form.is_valid():
            try:
                services.influence_record_update(record=record, **_save_kwargs(form))
            except services.InfluenceError as error:
                form.add_error(error.code if error.code in form.fields else None, error)
            else:
                messages.success(request, _("The record is saved."))
                return redirect("projects:staff_influence")
        return _render_form(request, form, qpv=record.qpv, record=record, status=400)
    return _render_form(
        request, InfluenceRecordForm(qpv=record.qpv, record=record), qpv=record.qpv, record=record
    )
