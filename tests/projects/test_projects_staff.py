"""Espace pro of projects: every role in and out of scope on each page, the forms' refusals (stage
jumping backwards without reason, future dates, abandoning without reason, evaluating too early),
the moderation of ideas, query counts."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from projects.models import (
    ExperienceEvaluation,
    ModerationStatus,
    ParticipationLevel,
    Project,
    ProjectOrigin,
    ProjectStage,
    ProjectStep,
)
from tests.dialogue.factories import DialogueSpaceFactory, MeetingFactory
from tests.helpers import staff_home
from tests.participation.factories import UserFactory
from tests.projects.factories import ProjectFactory, ProjectStepFactory

pytestmark = pytest.mark.django_db

ACTORS = [
    "visitor",
    "resident",
    "facilitator_sanitas",
    "referent_tours",
    "referent_joue",
    "correspondent",
    "delegate_sanitas",
    "coordinator",
]
# Projects are run by the referents of the commune and the coordinators (projects/rules.py).
MANAGERS = {"referent_tours", "coordinator"}
# Referents of another commune have projects of their own: their list opens, without Sanitas's.
HAVE_A_SCOPE = MANAGERS | {"referent_joue"}
# How the others are refused (participation/scopes.py). A page without an object (the list, the
# moderation queue, the choice of a QPV) answers 403 to those who manage projects nowhere, and so
# does the creation form in a QPV they may not use (a QPV is public). A project (or an idea) out of
# the user's scope is not visible to them, whatever their role (a resident included): 404. Who
# sees a project (projects.manage_project) is exactly who may manage it and moderate it, so no
# refusal on a project is a 403.
FORBIDDEN = 403
HIDDEN = 404
TODAY = timezone.localdate


@pytest.fixture
def sanitas_projects(actors):
    """Two projects of Sanitas: "project", completed after two steps, and "idea", proposed online by
    Awa Diallo ("proposer") and awaiting moderation."""
    project = ProjectFactory(title="Jardin du Sanitas", stage=ProjectStage.COMPLETED)
    ProjectStepFactory(project=project, stage=ProjectStage.IDEA, date=TODAY() - timedelta(days=60))
    ProjectStepFactory(
        project=project,
        stage=ProjectStage.COMPLETED,
        participation_level=ParticipationLevel.CO_DECISION,
        date=TODAY() - timedelta(days=20),
    )
    proposer = UserFactory(full_name="Awa Diallo", email="awa@example.org")
    idea = ProjectFactory(
        title="Idée de repair café",
        moderation=ModerationStatus.PENDING,
        origin=ProjectOrigin.ONLINE,
        proposed_by=proposer,
    )
    return {"project": project, "idea": idea, "proposer": proposer}


def _assert_refused(response, actor: str, status: int) -> None:
    """A visitor is sent to the login page first; any other actor gets `status`."""
    if actor == "visitor":
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("account_login"))
    else:
        assert response.status_code == status


def _url(name: str, pk: int | None = None) -> str:
    return reverse(f"projects:{name}", kwargs={"pk": pk} if pk else None)


# Access -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("actor", ACTORS)
def test_staff_list_by_role(client, actors, sanitas_projects, actor):
    actors.login(client, actor)
    response = client.get(_url("staff_projects"))
    if actor not in HAVE_A_SCOPE:
        _assert_refused(response, actor, FORBIDDEN)
        return
    assert response.status_code == 200
    content = response.content.decode()
    # In scope: the published projects and the ideas awaiting moderation alike.
    assert ("Jardin du Sanitas" in content) == (actor in MANAGERS)
    assert ("Idée de repair café" in content) == (actor in MANAGERS)


@pytest.mark.parametrize("actor", ACTORS)
@pytest.mark.parametrize(
    "view", ["project_edit", "project_step", "project_abandon", "project_evaluation"]
)
def test_project_pages_by_role(client, actors, sanitas_projects, view, actor):
    actors.login(client, actor)
    response = client.get(_url(view, sanitas_projects["project"].pk))
    if actor in MANAGERS:
        assert response.status_code == 200
    else:
        _assert_refused(response, actor, HIDDEN)


@pytest.mark.parametrize("actor", ACTORS)
def test_create_by_role(client, actors, sanitas_projects, actor):
    actors.login(client, actor)
    response = client.get(_url("project_create") + "?qpv=sanitas")
    if actor in MANAGERS:
        assert response.status_code == 200
    else:
        _assert_refused(response, actor, FORBIDDEN)
    # Without a QPV: the choice of the QPV of one's scope.
    response = client.get(_url("project_create"))
    if actor in HAVE_A_SCOPE:
        assert response.status_code == 200
        slugs = {qpv.slug for qpv in response.context["qpvs"]}
        assert ("sanitas" in slugs) == (actor in MANAGERS)
    else:
        _assert_refused(response, actor, FORBIDDEN)


@pytest.mark.parametrize("actor", ACTORS)
def test_moderation_by_role(client, actors, sanitas_projects, actor):
    actors.login(client, actor)
    response = client.get(_url("idea_moderation"))
    if actor not in HAVE_A_SCOPE:
        _assert_refused(response, actor, FORBIDDEN)
    else:
        assert response.status_code == 200
        assert ("Idée de repair café" in response.content.decode()) == (actor in MANAGERS)
    response = client.post(
        _url("idea_moderate", sanitas_projects["idea"].pk),
        {f"p{sanitas_projects['idea'].pk}-decision": "publish"},
    )
    sanitas_projects["idea"].refresh_from_db()
    if actor in MANAGERS:
        assert response.status_code == 302
        assert sanitas_projects["idea"].moderation == ModerationStatus.PUBLISHED
    else:
        _assert_refused(response, actor, HIDDEN)
        assert sanitas_projects["idea"].moderation == ModerationStatus.PENDING


def test_staff_home_links_to_projects_for_referents(client, actors, sanitas_projects):
    url = _url("staff_projects")
    actors.login(client, "referent_tours")
    assert url in staff_home(client)
    actors.login(client, "facilitator_sanitas")
    assert url not in staff_home(client)


# Creating and editing -----------------------------------------------------------------------------


def _create_data(**overrides) -> dict:
    data = {
        "title": "Boîte à livres",
        "summary": "Une boîte à livres devant l'école.",
        "origin": "space",
        "carried_by": "association",
        "carrier_name": "Lire au Sanitas",
        "stage": "elaboration",
        "step_date": TODAY().isoformat(),
        "participation_level": "3",
        "residents_involved": "11",
        "note": "",
    }
    data.update(overrides)
    return data


def test_create_a_project(client, actors, sanitas_projects):
    space = DialogueSpaceFactory()
    actors.login(client, "referent_tours")
    response = client.post(
        _url("project_create") + "?qpv=sanitas", _create_data(origin_space=space.pk)
    )
    project = Project.objects.get(title="Boîte à livres")
    assert response.status_code == 302
    assert response["Location"] == project.get_absolute_url()
    assert project.origin_space == space
    assert project.stage == ProjectStage.ELABORATION
    assert project.steps.get().residents_involved == 11


def test_create_refusals_keep_what_was_typed(client, actors, sanitas_projects):
    elsewhere = DialogueSpaceFactory(qpv=actors.rabiere)
    rabiere_meeting = MeetingFactory(dialogue_space=elsewhere)
    actors.login(client, "referent_tours")
    url = _url("project_create") + "?qpv=sanitas"
    # The origin is missing.
    response = client.post(url, _create_data())
    assert response.status_code == 400
    assert "origin_space" in response.context["form"].errors
    assert "Lire au Sanitas" in response.content.decode()
    # A meeting of another QPV is not even a choice.
    response = client.post(url, _create_data(origin="meeting", origin_meeting=rabiere_meeting.pk))
    assert response.status_code == 400
    assert "origin_meeting" in response.context["form"].errors
    # A future date, a negative number of residents, an unknown level.
    response = client.post(
        url,
        _create_data(
            origin_space=DialogueSpaceFactory().pk,
            step_date=(TODAY() + timedelta(days=3)).isoformat(),
        ),
    )
    assert response.status_code == 400
    assert "step_date" in response.context["form"].errors
    response = client.post(
        url, _create_data(residents_involved="-4", participation_level="7", title="")
    )
    assert response.status_code == 400
    assert {"residents_involved", "participation_level", "title"} <= set(
        response.context["form"].errors
    )
    assert Project.objects.filter(title="Boîte à livres").count() == 0


def test_create_in_a_qpv_of_another_commune_is_refused(client, actors, sanitas_projects):
    actors.login(client, "referent_tours")
    assert client.get(_url("project_create") + "?qpv=la-rabiere").status_code == 403
    assert client.get(_url("project_create") + "?qpv=nowhere").status_code == 404


def test_edit_a_project(client, actors, sanitas_projects):
    project = sanitas_projects["project"]
    meeting = MeetingFactory()
    actors.login(client, "coordinator")
    response = client.get(_url("project_edit", project.pk))
    assert "Jardin du Sanitas" in response.content.decode()
    response = client.post(
        _url("project_edit", project.pk),
        {
            "title": "Jardin partagé",
            "summary": "Nouveau résumé",
            "origin": "meeting",
            "origin_meeting": meeting.pk,
            "carried_by": "collective",
            "carrier_name": "",
        },
    )
    assert response.status_code == 302
    project.refresh_from_db()
    assert (project.title, project.origin_meeting) == ("Jardin partagé", meeting)
    response = client.post(
        _url("project_edit", project.pk),
        {"title": "Jardin", "summary": "", "origin": "meeting", "carried_by": "collective"},
    )
    assert response.status_code == 400
    assert {"summary", "origin_meeting"} <= set(response.context["form"].errors)


# Stages -------------------------------------------------------------------------------------------


def _step_data(**overrides) -> dict:
    data = {
        "stage": "validated",
        "step_date": TODAY().isoformat(),
        "participation_level": "4",
        "residents_involved": "7",
        "note": "Vote au conseil citoyen.",
        "reason": "",
    }
    data.update(overrides)
    return data


@pytest.fixture
def in_progress(sanitas_projects):
    project = ProjectFactory(title="Fresque", stage=ProjectStage.ELABORATION)
    ProjectStepFactory(
        project=project, stage=ProjectStage.ELABORATION, date=TODAY() - timedelta(days=5)
    )
    return project


def test_step_forward(client, actors, sanitas_projects, in_progress):
    actors.login(client, "referent_tours")
    response = client.post(_url("project_step", in_progress.pk), _step_data())
    assert response.status_code == 302
    in_progress.refresh_from_db()
    assert in_progress.stage == ProjectStage.VALIDATED
    step = in_progress.steps.last()
    assert (step.participation_level, step.residents_involved, step.note) == (
        4,
        7,
        "Vote au conseil citoyen.",
    )


def test_stage_jumping_backwards_without_reason_is_refused(
    client, actors, sanitas_projects, in_progress
):
    actors.login(client, "referent_tours")
    response = client.post(_url("project_step", in_progress.pk), _step_data(stage="idea"))
    assert response.status_code == 400
    assert "reason" in response.context["form"].errors
    assert "Vote au conseil citoyen." in response.content.decode()
    in_progress.refresh_from_db()
    assert in_progress.stage == ProjectStage.ELABORATION
    response = client.post(
        _url("project_step", in_progress.pk),
        _step_data(stage="idea", reason="Le bailleur refuse le mur choisi."),
    )
    assert response.status_code == 302
    in_progress.refresh_from_db()
    assert in_progress.stage == ProjectStage.IDEA
    assert (
        "Le bailleur refuse le mur choisi."
        in client.get(in_progress.get_absolute_url()).content.decode()
    )


def test_step_refusals(client, actors, sanitas_projects, in_progress):
    actors.login(client, "referent_tours")
    url = _url("project_step", in_progress.pk)
    future = client.post(url, _step_data(step_date=(TODAY() + timedelta(days=1)).isoformat()))
    assert future.status_code == 400
    assert "step_date" in future.context["form"].errors
    before = client.post(url, _step_data(step_date=(TODAY() - timedelta(days=30)).isoformat()))
    assert before.status_code == 400
    assert "step_date" in before.context["form"].errors
    # Evaluated and abandoned, and the current stage, are not choices of this form.
    for stage in ("evaluated", "abandoned", "elaboration", "<b>"):
        response = client.post(url, _step_data(stage=stage))
        assert response.status_code == 400
        assert "stage" in response.context["form"].errors
    bad = client.post(url, _step_data(participation_level="0", residents_involved="abc"))
    assert bad.status_code == 400
    assert ProjectStep.objects.filter(project=in_progress).count() == 1


def test_step_on_a_pending_idea_goes_to_moderation(client, actors, sanitas_projects):
    actors.login(client, "coordinator")
    response = client.get(_url("project_step", sanitas_projects["idea"].pk))
    assert response.status_code == 302
    assert response["Location"] == _url("idea_moderation")


def test_abandon(client, actors, sanitas_projects, in_progress):
    actors.login(client, "referent_tours")
    url = _url("project_abandon", in_progress.pk)
    response = client.post(url, {"reason": "  ", "step_date": TODAY().isoformat()})
    assert response.status_code == 400
    assert "reason" in response.context["form"].errors
    response = client.post(url, {"reason": "Plus de porteur.", "step_date": TODAY().isoformat()})
    assert response.status_code == 302
    in_progress.refresh_from_db()
    assert in_progress.stage == ProjectStage.ABANDONED
    assert in_progress.abandoned_reason == "Plus de porteur."
    # Abandoned already: the page says so, a second POST is refused.
    assert (
        "already abandoned" in client.get(url).content.decode()
        or client.get(url).context["refusal"]
    )
    assert client.post(url, {"reason": "x", "step_date": TODAY().isoformat()}).status_code == 400


def test_completed_project_cannot_be_abandoned(client, actors, sanitas_projects):
    actors.login(client, "referent_tours")
    url = _url("project_abandon", sanitas_projects["project"].pk)
    assert client.get(url).context["refusal"]
    assert client.post(url, {"reason": "x", "step_date": TODAY().isoformat()}).status_code == 400
    sanitas_projects["project"].refresh_from_db()
    assert sanitas_projects["project"].stage == ProjectStage.COMPLETED


# The evaluation -----------------------------------------------------------------------------------


def _evaluation_data(**overrides) -> dict:
    data = {
        "voice_changed": "Les habitants ont choisi le lieu.",
        "to_keep": "Les ateliers du samedi.",
        "to_change": "Associer les parents plus tot.",
        "highest_level": "5",
        "evaluated_on": TODAY().isoformat(),
        "participation_level": "3",
        "residents_involved": "9",
    }
    data.update(overrides)
    return data


def test_evaluation_only_for_completed_projects(client, actors, sanitas_projects, in_progress):
    actors.login(client, "referent_tours")
    url = _url("project_evaluation", in_progress.pk)
    response = client.get(url)
    assert response.status_code == 200
    assert response.context["form"] is None
    assert response.context["refusal"]
    assert client.post(url, _evaluation_data()).status_code == 400
    assert not ExperienceEvaluation.objects.exists()


def test_evaluate_a_completed_project(client, actors, sanitas_projects):
    project = sanitas_projects["project"]
    actors.login(client, "referent_tours")
    url = _url("project_evaluation", project.pk)
    response = client.get(url)
    # The levels reached at each stage, from the steps; the highest is offered.
    assert response.context["form"].initial["highest_level"] == ParticipationLevel.CO_DECISION
    assert [row["stage"] for row in response.context["stage_levels"]] == ["idea", "completed"]
    response = client.post(url, _evaluation_data(voice_changed=""))
    assert response.status_code == 400
    assert "voice_changed" in response.context["form"].errors
    assert "Associer les parents plus tot." in response.content.decode()
    response = client.post(url, _evaluation_data())
    assert response.status_code == 302
    project.refresh_from_db()
    assert project.stage == ProjectStage.EVALUATED
    assert project.evaluation.highest_level == ParticipationLevel.CO_DECISION
    assert project.steps.last().stage == ProjectStage.EVALUATED
    content = client.get(project.get_absolute_url()).content.decode()
    assert "Les habitants ont choisi le lieu." in content
    # Editing it later: no step fields, no new step.
    response = client.get(url)
    assert response.status_code == 200
    assert "voice_changed" in response.context["form"].fields
    assert "participation_level" not in response.context["form"].fields
    response = client.post(url, _evaluation_data(to_keep="Tout."))
    assert response.status_code == 302
    assert project.steps.filter(stage=ProjectStage.EVALUATED).count() == 1


# Moderation of ideas ------------------------------------------------------------------------------


def test_proposal_moderation_publication(client, actors, sanitas_projects):
    resident = actors["resident"]
    client.force_login(resident)
    client.post(
        reverse("projects:project_propose", kwargs={"slug": "sanitas"}),
        {
            "title": "Composteur collectif",
            "summary": "Au pied de la tour 3.",
            "carried_by": "collective",
        },
    )
    idea = Project.objects.get(title="Composteur collectif")
    assert idea.moderation == ModerationStatus.PENDING
    actors.login(client, "referent_tours")
    queue = client.get(_url("idea_moderation"))
    assert "Composteur collectif" in queue.content.decode()
    assert resident.email in queue.content.decode()
    response = client.post(_url("idea_moderate", idea.pk), {f"p{idea.pk}-decision": "publish"})
    assert response.status_code == 302
    client.logout()
    assert "Composteur collectif" in client.get(reverse("projects:projects")).content.decode()
    assert client.get(idea.get_absolute_url()).status_code == 200


def test_rejection_needs_a_reason_and_emails_it(
    client, actors, sanitas_projects, mailoutbox, django_capture_on_commit_callbacks
):
    idea = sanitas_projects["idea"]
    actors.login(client, "referent_tours")
    url = _url("idea_moderate", idea.pk)
    response = client.post(url, {f"p{idea.pk}-decision": "reject", f"p{idea.pk}-reason": " "})
    assert response.status_code == 400
    assert response.context["error_pk"] == idea.pk
    idea.refresh_from_db()
    assert idea.moderation == ModerationStatus.PENDING
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            url,
            {f"p{idea.pk}-decision": "reject", f"p{idea.pk}-reason": "Il y a une adresse."},
        )
    assert response.status_code == 302
    idea.refresh_from_db()
    assert idea.moderation == ModerationStatus.REJECTED
    assert [email.to for email in mailoutbox] == [["awa@example.org"]]
    assert "Il y a une adresse." in mailoutbox[0].body
    # Moderated already: nothing changes.
    response = client.post(url, {f"p{idea.pk}-decision": "publish"})
    assert response.status_code == 302
    idea.refresh_from_db()
    assert idea.moderation == ModerationStatus.REJECTED


# Query counts -------------------------------------------------------------------------------------


@pytest.mark.parametrize("count", [5, 50])
def test_staff_list_query_count_does_not_grow(
    client, actors, sanitas_projects, django_assert_num_queries, count
):
    for _index in range(count):
        project = ProjectFactory(stage=ProjectStage.ELABORATION)
        ProjectStepFactory(project=project, stage=ProjectStage.IDEA)
    actors.login(client, "referent_tours")
    # Session and user, scopes, the QPV of the scope, the counts, the page's count and rows.
    with django_assert_num_queries(7):
        response = client.get(_url("staff_projects"), {"stage": "elaboration"})
    assert response.status_code == 200


@pytest.mark.parametrize("count", [3, 20])
def test_moderation_query_count_does_not_grow(
    client, actors, sanitas_projects, django_assert_num_queries, count
):
    ProjectFactory.create_batch(
        count, moderation=ModerationStatus.PENDING, proposed_by=sanitas_projects["proposer"]
    )
    actors.login(client, "referent_tours")
    # Session and user, scopes, the QPV of the scope, the page's count and rows.
    with django_assert_num_queries(6):
        response = client.get(_url("idea_moderation"))
    assert response.status_code == 200


@pytest.mark.parametrize("count", [3, 30])
def test_step_page_query_count_does_not_grow(
    client, actors, sanitas_projects, django_assert_num_queries, count
):
    project = ProjectFactory(stage=ProjectStage.IDEA)
    ProjectStepFactory.create_batch(count, project=project, stage=ProjectStage.IDEA)
    actors.login(client, "referent_tours")
    # Session and user, scopes, the project, its steps, the QPV of the menu.
    with django_assert_num_queries(6):
        response = client.get(_url("project_step", project.pk))
    assert response.status_code == 200
