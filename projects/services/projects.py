"""Projects: creation and edits by staff, ideas proposed online and their moderation, the stage
machine (each change of stage a dated step), abandoning and the experience evaluation.

The stage machine: a step moves the project to its stage, and the project's `stage` is always the
stage of its latest step. Forward is free; backward (in STAGE_ORDER) needs a reason, and so does
resuming an abandoned project; "evaluated" is reached only by saving the evaluation of a completed
project; "abandoned" only through `project_abandon`, with its reason. A step cannot be dated in the
future, nor before the latest step: the timeline reads in order.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from dialogue.models import DialogueSpace, Meeting
from participation.contract import in_contract, outside_contract_error
from participation.dates import date_format
from participation.models import User
from projects.emails import projects as emails
from projects.models import (
    STAGE_ORDER,
    ExperienceEvaluation,
    ModerationStatus,
    ParticipationLevel,
    Project,
    ProjectOrigin,
    ProjectStage,
    ProjectStep,
)
from qpv.models import QPV
from questions.models import Question

# The stage a project may be created at: not at its end (evaluated needs an evaluation, abandoned a
# reason, both their own action).
CREATION_STAGES = [stage for stage in STAGE_ORDER if stage != ProjectStage.EVALUATED]
FINISHED_STAGES = (ProjectStage.COMPLETED, ProjectStage.EVALUATED)
# The fields of a project's origin, by kind of origin.
ORIGIN_FIELDS: dict[str, str] = {
    ProjectOrigin.MEETING: "origin_meeting",
    ProjectOrigin.QUESTION: "origin_question",
    ProjectOrigin.SPACE: "origin_space",
}


class ProjectError(ValidationError):
    """A refused action on a project, with a French message and a code naming the field."""


def _day(value: date) -> str:
    return date_format(value, "j F Y")


def _locked(project: Project) -> Project:
    return (
        Project.objects.select_for_update(of=("self",))
        .select_related("qpv__commune", "proposed_by")
        .get(pk=project.pk)
    )


def _latest_step(project: Project) -> ProjectStep | None:
    return project.steps.order_by("-date", "-pk").first()


def _origin_qpv_id(target: Meeting | Question | DialogueSpace) -> int | None:
    if isinstance(target, Meeting):
        return target.dialogue_space.qpv_id
    return target.qpv_id


def _origin(
    *,
    qpv: QPV,
    origin: str,
    meeting: Meeting | None = None,
    question: Question | None = None,
    space: DialogueSpace | None = None,
) -> dict[str, Any]:
    """The origin fields to store: the one object the origin names, of the project's QPV."""
    if origin not in ProjectOrigin.values:
        raise ProjectError(_("Choose where the project comes from."), code="origin")
    targets: dict[str, Meeting | Question | DialogueSpace | None] = {
        ProjectOrigin.MEETING: meeting,
        ProjectOrigin.QUESTION: question,
        ProjectOrigin.SPACE: space,
    }
    stored: dict[str, Any] = {"origin": origin, "origin_meeting": None, "origin_question": None}
    stored["origin_space"] = None
    if origin == ProjectOrigin.ONLINE:
        return stored
    target = targets[origin]
    field = ORIGIN_FIELDS[origin]
    if target is None:
        messages: dict[str, str] = {
            ProjectOrigin.MEETING: _("Choose the meeting the project comes from."),
            ProjectOrigin.QUESTION: _("Choose the question the project comes from."),
            ProjectOrigin.SPACE: _("Choose the dialogue space the project comes from."),
        }
        raise ProjectError(messages[origin], code=field)
    if _origin_qpv_id(target) != qpv.pk:
        raise ProjectError(
            _("The origin must be of the same neighbourhood as the project."), code=field
        )
    stored[field] = target
    return stored


def _check_step_date(step_date: date, latest: ProjectStep | None) -> None:
    _check_in_contract(step_date)
    if step_date > timezone.localdate():
        raise ProjectError(_("The date of a step cannot be in the future."), code="date")
    if latest is not None and step_date < latest.date:
        raise ProjectError(
            _("The date cannot be before the latest step of the project (%(date)s).")
            % {"date": _day(latest.date)},
            code="date",
        )


def _check_in_contract(day: date) -> None:
    if not in_contract(day):
        raise ProjectError(outside_contract_error().messages[0], code="date")


def _check_level(level: int) -> None:
    if level not in ParticipationLevel.values:
        raise ProjectError(_("Choose the participation level reached."), code="participation_level")


def _clean_name(value: str) -> str:
    return " ".join(value.split())


@transaction.atomic
def project_create(
    *,
    qpv: QPV,
    title: str,
    summary: str,
    origin: str,
    carried_by: str,
    by: User,
    origin_meeting: Meeting | None = None,
    origin_question: Question | None = None,
    origin_space: DialogueSpace | None = None,
    carrier_name: str = "",
    stage: str = ProjectStage.IDEA,
    step_date: date | None = None,
    participation_level: int = ParticipationLevel.INFORMATION,
    residents_involved: int = 0,
    note: str = "",
) -> Project:
    """A project recorded by staff, published at once, with its first step (where it stands)."""
    if origin == ProjectOrigin.ONLINE:
        raise ProjectError(
            _(
                "Ideas proposed online come from residents: choose a meeting, a question or a space."
            ),
            code="origin",
        )
    if stage not in CREATION_STAGES:
        raise ProjectError(
            _("A new project starts at one of the stages up to “completed”."), code="stage"
        )
    step_date = step_date or timezone.localdate()
    _check_step_date(step_date, None)
    _check_level(participation_level)
    project = Project.objects.create(
        qpv=qpv,
        title=title.strip(),
        summary=summary.strip(),
        carried_by=carried_by,
        carrier_name=_clean_name(carrier_name),
        stage=stage,
        moderation=ModerationStatus.PUBLISHED,
        **_origin(
            qpv=qpv,
            origin=origin,
            meeting=origin_meeting,
            question=origin_question,
            space=origin_space,
        ),
    )
    ProjectStep.objects.create(
        project=project,
        date=step_date,
        stage=stage,
        participation_level=participation_level,
        residents_involved=residents_involved,
        note=note.strip(),
        created_by=by,
    )
    return project


@transaction.atomic
def project_update(
    *,
    project: Project,
    title: str,
    summary: str,
    origin: str,
    carried_by: str,
    by: User,
    origin_meeting: Meeting | None = None,
    origin_question: Question | None = None,
    origin_space: DialogueSpace | None = None,
    carrier_name: str = "",
) -> Project:
    """Edit what the project is; where it stands changes only through steps."""
    project = _locked(project)
    if origin == ProjectOrigin.ONLINE and project.origin != ProjectOrigin.ONLINE:
        raise ProjectError(
            _("Only an idea proposed by a resident comes from the website."), code="origin"
        )
    fields = _origin(
        qpv=project.qpv,
        origin=origin,
        meeting=origin_meeting,
        question=origin_question,
        space=origin_space,
    )
    fields.update(
        title=title.strip(),
        summary=summary.strip(),
        carried_by=carried_by,
        carrier_name=_clean_name(carrier_name),
    )
    for name, value in fields.items():
        setattr(project, name, value)
    project.save(update_fields=[*fields, "updated_at"])
    return project


@transaction.atomic
def project_add_step(
    *,
    project: Project,
    stage: str,
    step_date: date,
    participation_level: int,
    by: User,
    residents_involved: int = 0,
    note: str = "",
    reason: str = "",
) -> ProjectStep:
    """Move the project to a new stage: a dated step, which becomes where the project stands."""
    project = _locked(project)
    if project.moderation != ModerationStatus.PUBLISHED:
        raise ProjectError(
            _("This idea is not published: moderate it before following its stages."),
            code="not_published",
        )
    if stage == ProjectStage.EVALUATED:
        raise ProjectError(
            _("A project is evaluated by filling its evaluation, once it is completed."),
            code="stage",
        )
    if stage == ProjectStage.ABANDONED:
        raise ProjectError(
            _("To abandon a project, use “Abandon the project” and give the reason."),
            code="stage",
        )
    if stage not in STAGE_ORDER:
        raise ProjectError(_("Choose the new stage of the project."), code="stage")
    if stage == project.stage:
        raise ProjectError(
            _("The project is already at this stage: choose the stage it moves to."),
            code="stage",
        )
    reason = reason.strip()
    resuming = project.stage == ProjectStage.ABANDONED
    backwards = not resuming and (
        STAGE_ORDER[ProjectStage(stage)] < STAGE_ORDER[ProjectStage(project.stage)]
    )
    if resuming and not reason:
        raise ProjectError(
            _("The project was abandoned: give the reason why it starts again."), code="reason"
        )
    if backwards and not reason:
        raise ProjectError(
            _(
                "The project goes back from “%(current)s” to “%(stage)s”: give the reason "
                "(it is shown on the timeline)."
            )
            % {
                "current": ProjectStage(project.stage).label,
                "stage": ProjectStage(stage).label,
            },
            code="reason",
        )
    _check_level(participation_level)
    _check_step_date(step_date, _latest_step(project))
    step = ProjectStep.objects.create(
        project=project,
        date=step_date,
        stage=stage,
        participation_level=participation_level,
        residents_involved=residents_involved,
        note=note.strip(),
        reason=reason,
        created_by=by,
    )
    project.stage = stage
    project.abandoned_reason = ""
    project.save(update_fields=["stage", "abandoned_reason", "updated_at"])
    return step


@transaction.atomic
def project_abandon(
    *, project: Project, reason: str, by: User, step_date: date | None = None
) -> ProjectStep:
    """Stop a project, with its reason (public, on the timeline)."""
    project = _locked(project)
    reason = reason.strip()
    if not reason:
        raise ProjectError(
            _("Give the reason why the project is abandoned: it is shown on its page."),
            code="reason",
        )
    if project.moderation != ModerationStatus.PUBLISHED:
        raise ProjectError(
            _("This idea is not published: moderate it instead of abandoning it."),
            code="not_published",
        )
    if project.stage == ProjectStage.ABANDONED:
        raise ProjectError(_("This project is already abandoned."), code="abandoned")
    if project.stage in FINISHED_STAGES:
        raise ProjectError(
            _("A completed project cannot be abandoned: it went to its end."), code="finished"
        )
    latest = _latest_step(project)
    step_date = step_date or timezone.localdate()
    _check_step_date(step_date, latest)
    step = ProjectStep.objects.create(
        project=project,
        date=step_date,
        stage=ProjectStage.ABANDONED,
        # Abandoning is no new participation: the level stays the one reached last.
        participation_level=(
            latest.participation_level if latest is not None else ParticipationLevel.INFORMATION
        ),
        reason=reason,
        created_by=by,
    )
    project.stage = ProjectStage.ABANDONED
    project.abandoned_reason = reason
    project.save(update_fields=["stage", "abandoned_reason", "updated_at"])
    return step


@transaction.atomic
def project_evaluate(
    *,
    project: Project,
    voice_changed: str,
    highest_level: int,
    by: User,
    to_keep: str = "",
    to_change: str = "",
    evaluated_on: date | None = None,
    participation_level: int | None = None,
    residents_involved: int = 0,
) -> ExperienceEvaluation:
    """Save the evaluation of a completed project, which moves it to "evaluated" with a step.

    An evaluated project's evaluation can be corrected later: that adds no step.
    `participation_level` and `residents_involved` describe the evaluation step (residents may
    take part in the evaluation itself); the level defaults to the latest step's.
    """
    project = _locked(project)
    if project.stage not in FINISHED_STAGES:
        raise ProjectError(
            _("Only a completed project can be evaluated (this one is “%(stage)s”).")
            % {"stage": ProjectStage(project.stage).label},
            code="not_completed",
        )
    if not voice_changed.strip():
        raise ProjectError(
            _("Say what residents' voice changed in the project (or that it changed nothing)."),
            code="voice_changed",
        )
    _check_level(highest_level)
    evaluated_on = evaluated_on or timezone.localdate()
    latest = _latest_step(project)
    if project.stage == ProjectStage.COMPLETED:
        _check_step_date(evaluated_on, latest)
    else:
        _check_in_contract(evaluated_on)
        if evaluated_on > timezone.localdate():
            raise ProjectError(
                _("The date of the evaluation cannot be in the future."), code="date"
            )
    evaluation, _created = ExperienceEvaluation.objects.update_or_create(
        project=project,
        defaults={
            "voice_changed": voice_changed.strip(),
            "to_keep": to_keep.strip(),
            "to_change": to_change.strip(),
            "highest_level": highest_level,
            "evaluated_on": evaluated_on,
            "author": by,
        },
    )
    if project.stage == ProjectStage.COMPLETED:
        level = participation_level or (
            latest.participation_level if latest is not None else highest_level
        )
        _check_level(level)
        ProjectStep.objects.create(
            project=project,
            date=evaluated_on,
            stage=ProjectStage.EVALUATED,
            participation_level=level,
            residents_involved=residents_involved,
            created_by=by,
        )
        project.stage = ProjectStage.EVALUATED
    project.save(update_fields=["stage", "updated_at"])
    return evaluation


# Ideas proposed online ----------------------------------------------------------------------------


@transaction.atomic
def idea_propose(
    *, qpv: QPV, title: str, summary: str, carried_by: str, user: User, carrier_name: str = ""
) -> Project:
    """A resident proposes an idea: it waits for the staff's check before it is public.

    Its first step is the idea itself, on the day it is proposed: one resident put it forward.
    """
    project = Project.objects.create(
        qpv=qpv,
        title=title.strip(),
        summary=summary.strip(),
        origin=ProjectOrigin.ONLINE,
        carried_by=carried_by,
        carrier_name=_clean_name(carrier_name),
        stage=ProjectStage.IDEA,
        moderation=ModerationStatus.PENDING,
        proposed_by=user,
    )
    ProjectStep.objects.create(
        project=project,
        date=timezone.localdate(),
        stage=ProjectStage.IDEA,
        participation_level=ParticipationLevel.CONSULTATION,
        residents_involved=1,
        note=_("Idea proposed online by a resident."),
        created_by=user,
    )
    return project


@transaction.atomic
def idea_moderate(*, project: Project, accept: bool, by: User, reason: str = "") -> Project:
    """Publish an idea, or refuse it with a reason; either way the resident who proposed it is
    told (one message, projects.emails.projects)."""
    project = _locked(project)
    if project.moderation != ModerationStatus.PENDING:
        raise ProjectError(_("This idea has already been moderated."), code="moderated")
    if accept:
        project.moderation = ModerationStatus.PUBLISHED
        project.save(update_fields=["moderation", "updated_at"])
        emails.idea_accepted(project)
        return project
    reason = reason.strip()
    if not reason:
        raise ProjectError(
            _("Give the reason: it is sent to the person who proposed the idea."), code="reason"
        )
    project.moderation = ModerationStatus.REJECTED
    project.rejected_reason = reason
    project.save(update_fields=["moderation", "rejected_reason", "updated_at"])
    emails.idea_rejected(project)
    return project
