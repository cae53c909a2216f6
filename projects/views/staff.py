"""Espace pro of projects: the list of the user's scope, creating and editing a project, its steps
(the stage machine), abandoning, the experience evaluation, and the moderation of ideas proposed
online.

Projects are run by the city policy referents of the commune and the coordinators
(`projects.manage_project`, `projects.moderate_idea` in projects/rules.py): other staff get a 403,
visitors are sent to log in. The writes are in projects.services, whose refusals (ProjectError)
come back on the field their code names.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.forms import Form
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from participation.http import AuthenticatedHttpRequest
from participation.scopes import get_object_for, require_perm
from projects.forms.projects import (
    AbandonForm,
    EvaluationForm,
    IdeaModerationForm,
    ProjectCreateForm,
    ProjectFilterForm,
    ProjectForm,
    StepForm,
)
from projects.forms.question_search import is_searching
from projects.models import (
    ModerationStatus,
    ParticipationLevel,
    Project,
    ProjectStage,
)
from projects.services import projects as services
from projects.views.public import levels_by_stage, with_level_reached
from qpv.models import QPV
from qpv.shortcuts import qpv_or_404

PROJECTS_PER_PAGE = 50
IDEAS_PER_PAGE = 20
# Where a service's refusal goes, by its code; other codes go on top of the form.
STEP_FIELDS = {"date": "step_date", "reason": "reason", "stage": "stage"}
PROJECT_FIELDS = {
    "origin": "origin",
    "origin_meeting": "origin_meeting",
    "origin_question": "origin_question",
    "origin_space": "origin_space",
    "stage": "stage",
    "date": "step_date",
    "participation_level": "participation_level",
}
EVALUATION_FIELDS = {
    "date": "evaluated_on",
    "voice_changed": "voice_changed",
    "participation_level": "participation_level",
}


def _qpvs_with(request: HttpRequest, perm: str) -> tuple[list[QPV], list[QPV]]:
    """All the QPV (the header's menu lists them) and those where the user holds `perm`;
    none → these pages are not theirs (403)."""
    require_perm(request, "participation.access_staff_area")
    every_qpv = list(QPV.objects.for_listing())
    qpvs = [qpv for qpv in every_qpv if request.user.has_perm(perm, qpv)]
    if not qpvs:
        raise PermissionDenied
    return every_qpv, qpvs


def _project_for(request: HttpRequest, pk: int, queryset=None) -> Project:
    # The QPV and its commune come along: the permission check then costs no query.
    queryset = queryset if queryset is not None else Project.objects.all()
    return get_object_for(request, queryset.with_place(), "projects.manage_project", pk=pk)


def _add_error(form: Form, error: services.ProjectError, fields: dict[str, str]) -> None:
    """The service's refusal goes on the field it is about (by its code), else on the form."""
    field = fields.get(error.code or "")
    form.add_error(field if field in form.fields else None, error)


# The list -----------------------------------------------------------------------------------------


@login_required
@require_GET
def staff_projects(request: HttpRequest) -> HttpResponse:
    """The projects of the user's scope, ideas awaiting moderation and refused ones included."""
    menu_qpvs, qpvs = _qpvs_with(request, "projects.manage_project")
    in_scope = Project.objects.visible_to(request.user)
    # Only the filters bind the form: turning pages of the whole list is not filtering it.
    filtered = any(name in request.GET for name in ProjectFilterForm.base_fields)
    form = ProjectFilterForm(request.GET if filtered else None, qpvs=qpvs)
    counts = in_scope.aggregate(
        total=Count("pk"),
        pending=Count("pk", filter=Q(moderation=ModerationStatus.PENDING)),
        completed=Count(
            "pk",
            filter=Q(moderation=ModerationStatus.PUBLISHED, stage=ProjectStage.COMPLETED),
        ),
    )
    projects = form.filter(with_level_reached(in_scope.with_place())).order_by("-updated_at", "-pk")
    page = Paginator(projects, PROJECTS_PER_PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "projects/staff_projects.html",
        {
            "form": form,
            "page": page,
            "projects": page.object_list,
            "counts": counts,
            "qpvs": qpvs,
            "levels": ParticipationLevel.choices,
            "level_count": len(ParticipationLevel.choices),
            "menu_qpvs": menu_qpvs,
        },
        status=400 if form.is_bound and not form.is_valid() else 200,
    )


# Creating and editing -----------------------------------------------------------------------------


def _project_fields(data: dict) -> dict:
    names = (
        "title",
        "summary",
        "origin",
        "origin_meeting",
        "origin_question",
        "origin_space",
        "carried_by",
        "carrier_name",
    )
    return {name: data[name] for name in names}


@login_required
@require_http_methods(["GET", "POST"])
def project_create(request: AuthenticatedHttpRequest) -> HttpResponse:
    """A new project in a QPV (?qpv=slug); without a QPV, the page offers those of the scope."""
    slug = request.GET.get("qpv", "")
    if not slug:
        menu_qpvs, qpvs = _qpvs_with(request, "projects.manage_project")
        return render(
            request,
            "projects/project_create_choose.html",
            {"qpvs": qpvs, "menu_qpvs": menu_qpvs},
        )
    qpv = qpv_or_404(slug)
    require_perm(request, "projects.manage_project", qpv)
    if is_searching(request.POST):
        # The question search without JavaScript: the form again, as typed, with the results.
        form = ProjectCreateForm(initial=request.POST.dict(), qpv=qpv, search_data=request.POST)
    else:
        form = ProjectCreateForm(request.POST or None, qpv=qpv)
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        try:
            project = services.project_create(
                qpv=qpv,
                stage=data["stage"],
                step_date=data["step_date"],
                participation_level=data["participation_level"],
                residents_involved=data["residents_involved"],
                note=data["note"],
                by=request.user,
                **_project_fields(data),
            )
        except services.ProjectError as error:
            _add_error(form, error, PROJECT_FIELDS)
        else:
            messages.success(request, _("The project is created and published."))
            return redirect(project)
    return render(
        request,
        "projects/project_form.html",
        {"form": form, "qpv": qpv, "project": None},
        status=400 if form.is_bound else 200,
    )


@login_required
@require_http_methods(["GET", "POST"])
def project_edit(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    project = _project_for(request, pk)
    initial = {
        name: getattr(project, name)
        for name in ("title", "summary", "origin", "carried_by", "carrier_name")
    }
    initial.update(
        origin_meeting=project.origin_meeting_id,
        origin_question=project.origin_question_id,
        origin_space=project.origin_space_id,
    )
    if is_searching(request.POST):
        # The question search without JavaScript: the form again, as typed, with the results.
        form = ProjectForm(
            initial=request.POST.dict(), qpv=project.qpv, project=project, search_data=request.POST
        )
    else:
        form = ProjectForm(request.POST or None, initial=initial, qpv=project.qpv, project=project)
    if form.is_bound and form.is_valid():
        try:
            services.project_update(
                project=project, by=request.user, **_project_fields(form.cleaned_data)
            )
        except services.ProjectError as error:
            _add_error(form, error, PROJECT_FIELDS)
        else:
            messages.success(request, _("The project is saved."))
            return redirect(project)
    return render(
        request,
        "projects/project_form.html",
        {"form": form, "qpv": project.qpv, "project": project},
        status=400 if form.is_bound else 200,
    )


# Stages -------------------------------------------------------------------------------------------


def _stage_page(
    request: HttpRequest,
    project: Project,
    template: str,
    form: Form | None,
    *,
    status: int | None = None,
    **context,
) -> HttpResponse:
    if status is None:
        status = 400 if form is not None and form.is_bound else 200
    steps = list(project.steps.all())
    return render(
        request,
        template,
        {
            "project": project,
            "steps": steps,
            "form": form,
            "levels": ParticipationLevel.choices,
            "level_count": len(ParticipationLevel.choices),
            **context,
        },
        status=status,
    )


@login_required
@require_http_methods(["GET", "POST"])
def project_step(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """A change of stage; going back (or starting again after abandoning) needs a reason."""
    project = _project_for(request, pk)
    if project.moderation != ModerationStatus.PUBLISHED:
        messages.info(request, _("This idea is not published: moderate it first."))
        return redirect("projects:idea_moderation")
    form = StepForm(request.POST or None, project=project)
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        try:
            services.project_add_step(
                project=project,
                stage=data["stage"],
                step_date=data["step_date"],
                participation_level=data["participation_level"],
                residents_involved=data["residents_involved"],
                note=data["note"],
                reason=data["reason"],
                by=request.user,
            )
        except services.ProjectError as error:
            _add_error(form, error, STEP_FIELDS)
        else:
            messages.success(request, _("The new stage is recorded on the project's timeline."))
            return redirect(project)
    return _stage_page(request, project, "projects/project_step.html", form)


@login_required
@require_http_methods(["GET", "POST"])
def project_abandon(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    project = _project_for(request, pk)
    refusal = ""
    if project.moderation != ModerationStatus.PUBLISHED:
        refusal = _("This idea is not published: moderate it instead of abandoning it.")
    elif project.stage == ProjectStage.ABANDONED:
        refusal = _("This project is already abandoned.")
    elif project.stage in services.FINISHED_STAGES:
        refusal = _("A completed project cannot be abandoned: it went to its end.")
    if refusal:
        return _stage_page(
            request,
            project,
            "projects/project_abandon.html",
            None,
            refusal=refusal,
            status=400 if request.method == "POST" else 200,
        )
    form = AbandonForm(request.POST or None)
    if form.is_bound and form.is_valid():
        try:
            services.project_abandon(
                project=project,
                reason=form.cleaned_data["reason"],
                step_date=form.cleaned_data["step_date"],
                by=request.user,
            )
        except services.ProjectError as error:
            _add_error(form, error, {"reason": "reason", "date": "step_date"})
        else:
            messages.success(request, _("The project is abandoned; the reason is on its page."))
            return redirect(project)
    return _stage_page(request, project, "projects/project_abandon.html", form, refusal="")


@login_required
@require_http_methods(["GET", "POST"])
def project_evaluation(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """The experience evaluation of a completed project; saving it moves it to "evaluated"."""
    project = _project_for(request, pk, Project.objects.select_related("evaluation"))
    steps = list(project.steps.all())
    evaluation = getattr(project, "evaluation", None)
    context = {
        "project": project,
        "steps": steps,
        "evaluation": evaluation,
        "stage_levels": levels_by_stage(steps),
        "levels": ParticipationLevel.choices,
        "level_count": len(ParticipationLevel.choices),
    }
    if project.stage not in services.FINISHED_STAGES:
        context.update(form=None, refusal=_("Only a completed project can be evaluated."))
        return render(
            request,
            "projects/project_evaluation.html",
            context,
            status=400 if request.method == "POST" else 200,
        )
    with_step = project.stage == ProjectStage.COMPLETED
    if evaluation is not None:
        initial = {
            "voice_changed": evaluation.voice_changed,
            "to_keep": evaluation.to_keep,
            "to_change": evaluation.to_change,
            "highest_level": evaluation.highest_level,
            "evaluated_on": evaluation.evaluated_on,
        }
    else:
        initial = {"highest_level": max((step.participation_level for step in steps), default=None)}
    if with_step and steps:
        initial["participation_level"] = steps[-1].participation_level
    form = EvaluationForm(request.POST or None, initial=initial, with_step=with_step)
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        try:
            services.project_evaluate(
                project=project,
                voice_changed=data["voice_changed"],
                to_keep=data["to_keep"],
                to_change=data["to_change"],
                highest_level=data["highest_level"],
                evaluated_on=data["evaluated_on"],
                participation_level=data.get("participation_level"),
                residents_involved=data.get("residents_involved") or 0,
                by=request.user,
            )
        except services.ProjectError as error:
            _add_error(form, error, EVALUATION_FIELDS)
        else:
            messages.success(request, _("The evaluation is saved and shown on the project's page."))
            return redirect(project)
    context.update(form=form, refusal="", with_step=with_step)
    return render(
        request,
        "projects/project_evaluation.html",
        context,
        status=400 if form.is_bound else 200,
    )


# Moderation of ideas ------------------------------------------------------------------------------


def _moderation_page(
    request: HttpRequest,
    *,
    bound: IdeaModerationForm | None = None,
    bound_pk: int | None = None,
) -> HttpResponse:
    menu_qpvs, _ = _qpvs_with(request, "projects.moderate_idea")
    waiting = (
        Project.objects.visible_to(request.user, "projects.moderate_idea")
        .filter(moderation=ModerationStatus.PENDING)
        .select_related("qpv__commune", "proposed_by")
        .order_by("created_at", "pk")
    )
    page = Paginator(waiting, IDEAS_PER_PAGE).get_page(request.GET.get("page"))
    ideas = list(page.object_list)
    if bound_pk is not None and bound_pk not in {idea.pk for idea in ideas}:
        # The refused form must be shown with what was typed, even if it sits on another page.
        ideas.insert(0, waiting.get(pk=bound_pk))
    items = [
        {
            "project": idea,
            "form": (
                bound
                if bound is not None and idea.pk == bound_pk
                else IdeaModerationForm(prefix=f"p{idea.pk}")
            ),
        }
        for idea in ideas
    ]
    return render(
        request,
        "projects/idea_moderation.html",
        {"page": page, "items": items, "error_pk": bound_pk, "menu_qpvs": menu_qpvs},
        status=400 if bound is not None else 200,
    )


@login_required
@require_GET
def idea_moderation(request: HttpRequest) -> HttpResponse:
    """Ideas proposed online awaiting a check, oldest first."""
    return _moderation_page(request)


@login_required
@require_POST
def idea_moderate(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    project = get_object_for(
        request,
        Project.objects.with_place().select_related("proposed_by"),
        "projects.moderate_idea",
        pk=pk,
    )
    queue = reverse("projects:idea_moderation")
    if project.moderation != ModerationStatus.PENDING:
        messages.info(request, _("This idea has already been moderated: nothing changed."))
        return redirect(queue)
    form = IdeaModerationForm(request.POST, prefix=f"p{project.pk}")
    if not form.is_valid():
        return _moderation_page(request, bound=form, bound_pk=project.pk)
    accept = form.cleaned_data["decision"] == IdeaModerationForm.PUBLISH
    try:
        services.idea_moderate(
            project=project, accept=accept, reason=form.cleaned_data["reason"], by=request.user
        )
    except services.ProjectError as error:
        if error.code == "moderated":
            messages.info(request, _("This idea has already been moderated: nothing changed."))
            return redirect(queue)
        form.add_error("reason" if error.code == "reason" else None, error)
        return _moderation_page(request, bound=form, bound_pk=project.pk)
    if accept:
        messages.success(request, _("The idea is published on the neighbourhood's projects."))
    else:
        messages.success(
            request,
            _("The idea is not published. The reason was sent to the person by email."),
        )
    return redirect(queue)
