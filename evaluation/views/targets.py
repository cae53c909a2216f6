"""Espace pro: the targets of the indicators (issue 19), listed for everyone who reads indicators
somewhere (`evaluation.view_targets`), set by coordinators only (`evaluation.set_targets`).

Targets are the same for every scope (a per-QPV target applies to each QPV), so the list shows them
all. `evaluation.targets` derives the target of a scope and a period from them; the page explains
how. An invalid form is answered with a 400 and the form as typed, its errors in French.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from evaluation import services, targets
from evaluation.forms import TargetForm
from evaluation.indicators import INDICATORS
from evaluation.models import IndicatorTarget, Report, TargetLevel
from participation.http import AuthenticatedHttpRequest
from participation.scopes import require_perm, require_perm_somewhere

SET_PERM = "evaluation.set_targets"


def _rows() -> list[dict]:
    """The targets in the catalogue's order, each indicator's per-QPV targets first, the contract's
    before the years'."""
    order = {code: index for index, code in enumerate(INDICATORS)}
    rows = []
    targets_ = sorted(
        IndicatorTarget.objects.all(),
        key=lambda t: (order.get(t.code, len(order)), t.level != TargetLevel.EACH_QPV, t.year or 0),
    )
    for target in targets_:
        indicator = INDICATORS.get(target.code)
        rows.append(
            {
                "target": target,
                "label": indicator.label if indicator else target.code,
                "text": targets.describe(target),
            }
        )
    return rows


def _page(request: HttpRequest, form: TargetForm | None, *, status: int = 200, editing=None):
    return render(
        request,
        "evaluation/targets.html",
        {
            "form": form,
            "rows": _rows(),
            "can_set": request.user.has_perm(SET_PERM),
            "editing": editing,
        },
        status=status,
    )


@login_required
@require_http_methods(["GET", "POST"])
def target_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The targets; for a coordinator, the form to add one."""
    require_perm_somewhere(request, "evaluation.view_targets", Report.objects.all())
    if request.method == "POST":
        require_perm(request, SET_PERM)
        form = TargetForm(request.POST)
        if form.is_valid():
            services.target_save(target=form.save(commit=False), by=request.user)
            messages.success(request, _("The target is saved."))
            return redirect("evaluation:targets")
        return _page(request, form, status=400)
    return _page(request, TargetForm() if request.user.has_perm(SET_PERM) else None)


@login_required
@require_http_methods(["GET", "POST"])
def target_edit(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    require_perm(request, SET_PERM)
    target = get_object_or_404(IndicatorTarget, pk=pk)
    if request.method == "POST":
        form = TargetForm(request.POST, instance=target)
        if form.is_valid():
            services.target_save(target=form.save(commit=False), by=request.user)
            messages.success(request, _("The target is saved."))
            return redirect("evaluation:targets")
        return _page(request, form, status=400, editing=target)
    return _page(request, TargetForm(instance=target), editing=target)


@login_required
@require_POST
def target_delete(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    require_perm(request, SET_PERM)
    target = get_object_or_404(IndicatorTarget, pk=pk)
    services.target_delete(target=target, by=request.user)
    messages.success(request, _("The target is deleted."))
    return redirect("evaluation:targets")
