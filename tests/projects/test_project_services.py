"""projects.services: creation, the stage machine, abandoning, the evaluation, ideas and their
moderation (with the email of a refusal)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from participation.roles import Role
from projects.models import (
    ExperienceEvaluation,
    ModerationStatus,
    ParticipationLevel,
    Project,
    ProjectOrigin,
    ProjectStage,
)
from projects.services import projects as services
from projects.services.projects import ProjectError
from qpv.models import QPV
from tests.dialogue.factories import DialogueSpaceFactory, MeetingFactory
from tests.participation.factories import UserFactory, grant
from tests.projects.factories import ProjectFactory, ProjectStepFactory
from tests.questions.factories import QuestionFactory

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate


@pytest.fixture
def staff():
    user = UserFactory()
    grant(user, Role.COORDINATOR)
    return user


def _project(stage=ProjectStage.IDEA, **kwargs) -> Project:
    project = ProjectFactory(stage=stage, **kwargs)
    ProjectStepFactory(project=project, stage=stage, date=TODAY() - timedelta(days=20))
    return project


def _step(project, stage, *, by, reason="", days_ago=0, level=ParticipationLevel.CONSULTATION):
    return services.project_add_step(
        project=project,
        stage=stage,
        step_date=TODAY() - timedelta(days=days_ago),
        participation_level=level,
        residents_involved=8,
        note="Atelier",
        reason=reason,
        by=by,
    )


# Creating -----------------------------------------------------------------------------------------


def test_create_with_its_first_step(sanitas, staff):
    space = DialogueSpaceFactory()
    project = services.project_create(
        qpv=sanitas,
        title=" Jardin ",
        summary="Un jardin",
        origin=ProjectOrigin.SPACE,
        origin_space=space,
        carried_by="collective",
        carrier_name="  Les   Jardiniers ",
        stage=ProjectStage.ELABORATION,
        step_date=TODAY() - timedelta(days=3),
        participation_level=ParticipationLevel.CONCERTATION,
        residents_involved=15,
        by=staff,
    )
    assert project.title == "Jardin"
    assert project.carrier_name == "Les Jardiniers"
    assert project.moderation == ModerationStatus.PUBLISHED
    assert project.stage == ProjectStage.ELABORATION
    assert project.origin_space == space
    step = project.steps.get()
    assert (step.stage, step.participation_level, step.residents_involved) == (
        ProjectStage.ELABORATION,
        ParticipationLevel.CONCERTATION,
        15,
    )


def _create(sanitas, staff, **kwargs):
    fields = {
        "qpv": sanitas,
        "title": "Projet",
        "summary": "Résumé",
        "origin": ProjectOrigin.MEETING,
        "carried_by": "association",
        "by": staff,
    }
    return services.project_create(**{**fields, **kwargs})


def test_create_origin_must_match_and_be_of_the_qpv(sanitas, staff):
    with pytest.raises(ProjectError) as error:
        _create(sanitas, staff)
    assert error.value.code == "origin_meeting"
    rabiere = QPV.objects.get(slug="la-rabiere")
    elsewhere = MeetingFactory(dialogue_space=DialogueSpaceFactory(qpv=rabiere))
    with pytest.raises(ProjectError) as error:
        _create(sanitas, staff, origin_meeting=elsewhere)
    assert error.value.code == "origin_meeting"
    with pytest.raises(ProjectError) as error:
        _create(
            sanitas,
            staff,
            origin=ProjectOrigin.QUESTION,
            origin_question=QuestionFactory(qpv=rabiere),
        )
    assert error.value.code == "origin_question"
    with pytest.raises(ProjectError) as error:
        _create(sanitas, staff, origin=ProjectOrigin.ONLINE)
    assert error.value.code == "origin"
    # Only the origin its kind names is kept.
    meeting = MeetingFactory()
    project = _create(sanitas, staff, origin_meeting=meeting, origin_space=DialogueSpaceFactory())
    assert (project.origin_meeting, project.origin_space) == (meeting, None)


def test_create_refuses_a_future_date_and_the_final_stages(sanitas, staff):
    meeting = MeetingFactory()
    with pytest.raises(ProjectError) as error:
        _create(sanitas, staff, origin_meeting=meeting, step_date=TODAY() + timedelta(days=1))
    assert error.value.code == "date"
    for stage in (ProjectStage.EVALUATED, ProjectStage.ABANDONED):
        with pytest.raises(ProjectError) as error:
            _create(sanitas, staff, origin_meeting=meeting, stage=stage)
        assert error.value.code == "stage"
    assert not Project.objects.exists()


def test_update_keeps_the_online_origin_of_an_idea(sanitas, staff):
    idea = ProjectFactory(origin=ProjectOrigin.ONLINE)
    project = services.project_update(
        project=idea,
        title="Nouveau titre",
        summary="s",
        origin=ProjectOrigin.ONLINE,
        carried_by="collective",
        by=staff,
    )
    assert project.title == "Nouveau titre"
    other = ProjectFactory()
    with pytest.raises(ProjectError):
        services.project_update(
            project=other,
            title="t",
            summary="s",
            origin=ProjectOrigin.ONLINE,
            carried_by="collective",
            by=staff,
        )


# The stage machine --------------------------------------------------------------------------------


def test_forward_steps_move_the_project(staff):
    project = _project()
    _step(project, ProjectStage.ELABORATION, by=staff, days_ago=10)
    # Skipping stages forward is allowed (a project funded without a formal validation).
    _step(project, ProjectStage.FUNDED, by=staff, days_ago=5, level=ParticipationLevel.CO_DECISION)
    project.refresh_from_db()
    assert project.stage == ProjectStage.FUNDED
    assert [step.stage for step in project.steps.all()] == ["idea", "elaboration", "funded"]


def test_backward_without_reason_is_refused_with_reason_accepted(staff):
    project = _project(ProjectStage.VALIDATED)
    with pytest.raises(ProjectError) as error:
        _step(project, ProjectStage.ELABORATION, by=staff)
    assert error.value.code == "reason"
    assert "raison" in str(error.value.message) or "reason" in str(error.value.message)
    with pytest.raises(ProjectError):
        _step(project, ProjectStage.ELABORATION, by=staff, reason="   ")
    project.refresh_from_db()
    assert project.stage == ProjectStage.VALIDATED
    assert project.steps.count() == 1
    step = _step(project, ProjectStage.ELABORATION, by=staff, reason="Le budget a changé.")
    project.refresh_from_db()
    assert project.stage == ProjectStage.ELABORATION
    assert step.reason == "Le budget a changé."


def test_step_refusals(staff):
    project = _project(ProjectStage.ELABORATION)
    for stage, code in [
        (ProjectStage.ELABORATION, "stage"),
        (ProjectStage.EVALUATED, "stage"),
        (ProjectStage.ABANDONED, "stage"),
        ("nonsense", "stage"),
    ]:
        with pytest.raises(ProjectError) as error:
            _step(project, stage, by=staff)
        assert error.value.code == code
    with pytest.raises(ProjectError) as error:
        _step(project, ProjectStage.VALIDATED, by=staff, days_ago=-1)
    assert error.value.code == "date"
    # Not before the latest step: the timeline reads in order.
    with pytest.raises(ProjectError) as error:
        _step(project, ProjectStage.VALIDATED, by=staff, days_ago=30)
    assert error.value.code == "date"
    with pytest.raises(ProjectError) as error:
        _step(project, ProjectStage.VALIDATED, by=staff, level=9)
    assert error.value.code == "participation_level"
    pending = _project(moderation=ModerationStatus.PENDING)
    with pytest.raises(ProjectError) as error:
        _step(pending, ProjectStage.ELABORATION, by=staff)
    assert error.value.code == "not_published"


def test_abandon_needs_a_reason_and_resuming_too(staff):
    project = _project(ProjectStage.IN_PROGRESS)
    with pytest.raises(ProjectError) as error:
        services.project_abandon(project=project, reason="  ", by=staff)
    assert error.value.code == "reason"
    step = services.project_abandon(project=project, reason="Le local a fermé.", by=staff)
    project.refresh_from_db()
    assert project.stage == ProjectStage.ABANDONED
    assert project.abandoned_reason == "Le local a fermé."
    assert step.stage == ProjectStage.ABANDONED
    assert step.reason == "Le local a fermé."
    with pytest.raises(ProjectError) as error:
        services.project_abandon(project=project, reason="Encore", by=staff)
    assert error.value.code == "abandoned"
    # Starting again after abandoning needs a reason, even forward.
    with pytest.raises(ProjectError) as error:
        _step(project, ProjectStage.COMPLETED, by=staff)
    assert error.value.code == "reason"
    _step(project, ProjectStage.IN_PROGRESS, by=staff, reason="Un nouveau local est prêté.")
    project.refresh_from_db()
    assert project.stage == ProjectStage.IN_PROGRESS
    assert project.abandoned_reason == ""


def test_a_completed_project_cannot_be_abandoned(staff):
    project = _project(ProjectStage.COMPLETED)
    with pytest.raises(ProjectError) as error:
        services.project_abandon(project=project, reason="x", by=staff)
    assert error.value.code == "finished"


# The evaluation -----------------------------------------------------------------------------------


def _evaluate(project, by, **kwargs):
    fields = {
        "voice_changed": "Le lieu a été choisi par les habitants.",
        "highest_level": ParticipationLevel.CO_DECISION,
        "to_keep": "Les ateliers",
        "to_change": "Les horaires",
    }
    return services.project_evaluate(project=project, by=by, **{**fields, **kwargs})


def test_evaluation_only_when_completed(staff):
    for stage in (ProjectStage.IDEA, ProjectStage.IN_PROGRESS, ProjectStage.ABANDONED):
        kwargs = {"abandoned_reason": "x"} if stage == ProjectStage.ABANDONED else {}
        project = _project(stage, **kwargs)
        with pytest.raises(ProjectError) as error:
            _evaluate(project, staff)
        assert error.value.code == "not_completed"
    assert not ExperienceEvaluation.objects.exists()


def test_evaluation_moves_a_completed_project_to_evaluated_with_a_step(staff):
    project = _project(ProjectStage.COMPLETED)
    with pytest.raises(ProjectError) as error:
        _evaluate(project, staff, voice_changed="  ")
    assert error.value.code == "voice_changed"
    evaluation = _evaluate(
        project, staff, participation_level=ParticipationLevel.CONCERTATION, residents_involved=6
    )
    project.refresh_from_db()
    assert project.stage == ProjectStage.EVALUATED
    assert evaluation.highest_level == ParticipationLevel.CO_DECISION
    step = project.steps.last()
    assert (step.stage, step.participation_level, step.residents_involved) == (
        ProjectStage.EVALUATED,
        ParticipationLevel.CONCERTATION,
        6,
    )
    # Correcting the evaluation later adds no step.
    _evaluate(project, staff, to_keep="Tout")
    assert project.steps.count() == 2
    assert ExperienceEvaluation.objects.get().to_keep == "Tout"


def test_evaluation_date_rules(staff):
    project = _project(ProjectStage.COMPLETED)
    with pytest.raises(ProjectError) as error:
        _evaluate(project, staff, evaluated_on=TODAY() + timedelta(days=2))
    assert error.value.code == "date"
    with pytest.raises(ProjectError) as error:
        _evaluate(project, staff, evaluated_on=TODAY() - timedelta(days=60))
    assert error.value.code == "date"


# Ideas --------------------------------------------------------------------------------------------


def test_idea_published(sanitas, staff):
    resident = UserFactory()
    idea = services.idea_propose(
        qpv=sanitas, title="Idée", summary="Résumé", carried_by="collective", user=resident
    )
    assert idea.moderation == ModerationStatus.PENDING
    assert not Project.objects.public().exists()
    services.idea_moderate(project=idea, accept=True, by=staff)
    assert Project.objects.public().get() == idea
    with pytest.raises(ProjectError) as error:
        services.idea_moderate(project=idea, accept=False, reason="x", by=staff)
    assert error.value.code == "moderated"


def test_idea_rejected_with_a_reason_sent_by_email(
    sanitas, staff, mailoutbox, django_capture_on_commit_callbacks
):
    resident = UserFactory(full_name="Awa Diallo", email="awa@example.org")
    idea = services.idea_propose(
        qpv=sanitas, title="Idée", summary="Résumé", carried_by="collective", user=resident
    )
    with pytest.raises(ProjectError) as error:
        services.idea_moderate(project=idea, accept=False, reason=" ", by=staff)
    assert error.value.code == "reason"
    with django_capture_on_commit_callbacks(execute=True):
        services.idea_moderate(
            project=idea, accept=False, reason="Votre texte cite un voisin.", by=staff
        )
    idea.refresh_from_db()
    assert idea.moderation == ModerationStatus.REJECTED
    assert idea.rejected_reason == "Votre texte cite un voisin."
    assert len(mailoutbox) == 1
    email = mailoutbox[0]
    assert email.to == ["awa@example.org"]
    assert "Sanitas" in email.subject
    assert "Votre texte cite un voisin." in email.body
    assert "Awa Diallo" in email.body
    assert "/quartiers/sanitas/projets/proposer/" in email.body
    html = email.alternatives[0][0]
    assert "Votre texte cite un voisin." in html
