"""Public pages of projects: the lists (all, or one QPV's), a project's page with its timeline,
and the form where residents propose an idea.

Visibility of one project: a published project is for everyone. A project awaiting moderation or
not published is seen only by the resident who proposed it and by the staff who manage projects
there (`projects.manage_project`); anyone else gets a 404, so the page does not tell it exists.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Max, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from participation.datacache import public_page
from participation.http import AuthenticatedHttpRequest, HtmxHttpRequest
from participation.ratelimit import rate_limited
from projects.forms.projects import ProjectFilterForm, ProposeIdeaForm
from projects.models import (
    STAGE_ORDER,
    GrantStatus,
    ModerationStatus,
    ParticipationLevel,
    Project,
    ProjectQuerySet,
    ProjectStage,
    ProjectStep,
)
from projects.services.projects import idea_propose
from qpv.models import QPV
from questions.models import ACCEPTED_STATUSES

PROJECTS_PER_PAGE = 20
RESULTS_TEMPLATE = "projects/includes/project_results.html"


def with_level_reached(projects: QuerySet[Project]) -> QuerySet[Project]:
    """The highest participation level of each project's steps, computed in the same query."""
    return projects.annotate(level_reached=Max("steps__participation_level"))


def _project_list(
    request: HtmxHttpRequest, *, projects: ProjectQuerySet, form: ProjectFilterForm, **context
) -> HttpResponse:
    """A filtered, paginated list; htmx requests get the results partial only."""
    # An aggregate drops Meta.ordering: the order is said again (the latest news first).
    listed = form.filter(with_level_reached(projects.with_place())).order_by("-updated_at", "-pk")
    page_obj = Paginator(listed, PROJECTS_PER_PAGE).get_page(request.GET.get("page"))
    template = "projects/project_list.html"
    if request.htmx and not request.htmx.history_restore_request:
        template = RESULTS_TEMPLATE
    response = render(
        request,
        template,
        {
            "form": form,
            "page_obj": page_obj,
            "levels": ParticipationLevel.choices,
            "level_count": len(ParticipationLevel.choices),
            **context,
        },
    )
    # The same URL answers a full page or a partial: caches must tell them apart.
    patch_vary_headers(response, ["HX-Request"])
    return response


@require_GET
@public_page("projects")
def projects(request: HtmxHttpRequest) -> HttpResponse:
    # The header's menu lists the same QPV: one query serves the menu and the filter.
    qpvs = list(QPV.objects.for_listing())
    form = ProjectFilterForm(request.GET, qpvs=qpvs, without=("moderation",))
    return _project_list(
        request,
        projects=Project.objects.public(),
        form=form,
        qpv=None,
        menu_qpvs=qpvs,
    )


@require_GET
@public_page("projects")
def qpv_projects(request: HtmxHttpRequest, slug: str) -> HttpResponse:
    qpv = get_object_or_404(QPV.objects.select_related("commune"), slug=slug)
    form = ProjectFilterForm(request.GET, without=("qpv", "moderation"))
    return _project_list(
        request, projects=Project.objects.public().filter(qpv=qpv), form=form, qpv=qpv
    )


# One project --------------------------------------------------------------------------------------


def levels_by_stage(steps: list[ProjectStep]) -> list[dict]:
    """The participation level reached at each stage the project went through, in stage order
    (the highest when a stage was reached twice), abandoning last."""
    reached: dict[str, int] = {}
    for step in steps:
        reached[step.stage] = max(reached.get(step.stage, 0), step.participation_level)
    order = {**STAGE_ORDER, ProjectStage.ABANDONED: len(STAGE_ORDER)}
    return [
        {"stage": step_stage, "stage_label": ProjectStage(step_stage).label, "level": level}
        for step_stage, level in sorted(
            reached.items(), key=lambda item: order[ProjectStage(item[0])]
        )
    ]


def _visible_origin(project: Project) -> object | None:
    """The meeting, question or space the project comes from, if its page is public."""
    meeting = project.origin_meeting
    if meeting is not None and meeting.dialogue_space.is_active:
        return meeting
    question = project.origin_question
    if question is not None and question.status in ACCEPTED_STATUSES and question.public_display:
        return question
    space = project.origin_space
    if space is not None and space.is_active:
        return space
    return None


def _influence_records(project: Project) -> list:
    """The project's influence records, each with links only to the pages that are public."""
    records = list(
        project.influence_records.select_related(
            "meeting__dialogue_space", "question", "institution"
        )
    )
    for record in records:
        meeting, question = record.meeting, record.question
        record.public_meeting = (
            meeting if meeting is not None and meeting.dialogue_space.is_active else None
        )
        record.public_question = (
            question
            if question is not None
            and question.status in ACCEPTED_STATUSES
            and question.public_display
            else None
        )
    return records


def _can_see(user, project: Project) -> bool:
    if project.moderation == ModerationStatus.PUBLISHED:
        return True
    if not user.is_authenticated:
        return False
    return project.proposed_by_id == user.pk or user.has_perm("projects.manage_project", project)


@require_GET
@public_page("project")
def project_detail(request: HttpRequest, pk: int) -> HttpResponse:
    project = get_object_or_404(
        Project.objects.with_place().select_related(
            "origin_meeting__dialogue_space", "origin_question", "origin_space", "evaluation"
        ),
        pk=pk,
    )
    if not _can_see(request.user, project):
        raise Http404
    steps = list(project.steps.all())
    grants = list(
        project.grant_applications.filter(status=GrantStatus.GRANTED)
        .select_related("envelope__qpv", "envelope__commune")
        .order_by("decided_at", "pk")
    )
    evaluation = getattr(project, "evaluation", None)
    return render(
        request,
        "projects/project_detail.html",
        {
            "project": project,
            "steps": steps,
            "latest_step": steps[-1] if steps else None,
            "levels": ParticipationLevel.choices,
            "level_count": len(ParticipationLevel.choices),
            "evaluation": evaluation,
            "stage_levels": levels_by_stage(steps) if evaluation is not None else [],
            "origin_link": _visible_origin(project),
            "grants": grants,
            "granted_total": sum(grant.amount_granted or 0 for grant in grants),
            "influence_records": _influence_records(project),
            "can_manage": request.user.is_authenticated
            and request.user.has_perm("projects.manage_project", project),
        },
    )


# Ideas proposed online ----------------------------------------------------------------------------


@login_required
@rate_limited("project_idea")
@require_http_methods(["GET", "POST"])
def project_propose(request: AuthenticatedHttpRequest, slug: str) -> HttpResponse:
    """A resident proposes a project idea; it is public once the staff have checked it."""
    qpv = get_object_or_404(QPV.objects.select_related("commune"), slug=slug)
    form = ProposeIdeaForm(request.POST or None)
    if form.is_bound:
        # A robot filled the hidden field: it is told all went well, and nothing is kept.
        if form.is_spam:
            return _proposed(request)
        if form.is_valid():
            data = form.cleaned_data
            idea_propose(
                qpv=qpv,
                title=data["title"],
                summary=data["summary"],
                carried_by=data["carried_by"],
                carrier_name=data["carrier_name"],
                user=request.user,
            )
            return _proposed(request)
    return render(
        request,
        "projects/project_propose.html",
        {"qpv": qpv, "form": form},
        status=400 if form.is_bound else 200,
    )


def _proposed(request: HttpRequest) -> HttpResponse:
    messages.success(
        request,
        _(
            "Thank you, your idea is sent. The team checks it before publication; you will "
            "be told when it is published, or why it cannot be."
        ),
    )
    # The resident follows the idea (awaiting moderation) from "Mon espace", where it is listed.
    # A robot that filled the hidden field is sent there too: nothing tells it apart.
    return redirect(reverse("account_home") + "#idees")
