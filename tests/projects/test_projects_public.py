"""Public pages of projects: the lists and their filters, a project's page (timeline, evaluation,
grants, influence records), who sees unpublished ideas, the proposal of an idea online, query counts.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from participation.roles import Role
from projects.models import (
    ExperienceEvaluation,
    GrantStatus,
    InfluenceOutcome,
    ModerationStatus,
    ParticipationLevel,
    Project,
    ProjectOrigin,
    ProjectStage,
    ProjectStep,
)
from qpv.models import QPV
from questions.models import QuestionStatus
from tests.dialogue.factories import MeetingFactory
from tests.participation.factories import UserFactory, grant
from tests.projects.factories import (
    FundEnvelopeFactory,
    GrantApplicationFactory,
    InfluenceRecordFactory,
    ProjectFactory,
    ProjectStepFactory,
)
from tests.questions.factories import QuestionFactory

pytestmark = pytest.mark.django_db


def _project_with_steps(qpv, levels: list[int], **kwargs) -> Project:
    stages = list(ProjectStage)[: len(levels)]
    project = ProjectFactory(qpv=qpv, stage=stages[-1] if stages else ProjectStage.IDEA, **kwargs)
    start = timezone.localdate() - timedelta(days=len(levels) + 1)
    for index, level in enumerate(levels):
        ProjectStepFactory(
            project=project,
            stage=stages[index],
            participation_level=level,
            date=start + timedelta(days=index),
        )
    return project


# The lists ----------------------------------------------------------------------------------------


def test_list_shows_published_projects_only(client, sanitas):
    published = ProjectFactory(title="Jardin partagé du Sanitas")
    ProjectFactory(title="Idée en attente", moderation=ModerationStatus.PENDING)
    ProjectFactory(title="Idée refusée", moderation=ModerationStatus.REJECTED, rejected_reason="x")
    response = client.get(reverse("projects:projects"))
    assert response.status_code == 200
    content = response.content.decode()
    assert published.title in content
    assert "Idée en attente" not in content
    assert "Idée refusée" not in content


def test_list_filters(client, sanitas, rabiere):
    garden = _project_with_steps(
        sanitas, [ParticipationLevel.CONSULTATION, ParticipationLevel.CO_DECISION]
    )
    garden.title = "Jardin"
    garden.save()
    party = _project_with_steps(rabiere, [ParticipationLevel.INFORMATION], title="Fête")
    party.carried_by = "association"
    party.save()
    url = reverse("projects:projects")

    def titles(**params) -> set[str]:
        response = client.get(url, params)
        assert response.status_code == 200
        return {project.title for project in response.context["page_obj"]}

    assert titles() == {"Jardin", "Fête"}
    assert titles(qpv="sanitas") == {"Jardin"}
    assert titles(stage="elaboration") == {"Jardin"}
    assert titles(level=ParticipationLevel.CO_DECISION) == {"Jardin"}
    assert titles(level=ParticipationLevel.INFORMATION) == {"Jardin", "Fête"}
    assert titles(carried_by="association") == {"Fête"}
    # Bad values filter nothing and say so, without an error page.
    response = client.get(url, {"stage": "<script>", "level": "9"})
    assert response.status_code == 200
    assert "ne sont pas valides" in response.content.decode() or response.context["form"].errors
    assert len(response.context["page_obj"].object_list) == 2
    # The highest level of the steps is computed by the database.
    levels = {p.title: p.level_reached for p in client.get(url).context["page_obj"]}
    assert levels == {"Jardin": ParticipationLevel.CO_DECISION, "Fête": 1}


def test_qpv_list_and_htmx_partial(client, sanitas, rabiere):
    ProjectFactory(title="Projet du Sanitas")
    ProjectFactory(title="Projet de la Rabière", qpv=rabiere)
    url = reverse("projects:qpv_projects", kwargs={"slug": "sanitas"})
    response = client.get(url)
    content = response.content.decode()
    assert "Projet du Sanitas" in content
    assert "Projet de la Rabière" not in content
    assert reverse("projects:project_propose", kwargs={"slug": "sanitas"}) in content
    partial = client.get(url, headers={"HX-Request": "true"})
    assert partial.status_code == 200
    assert "<html" not in partial.content.decode()
    assert "HX-Request" in partial["Vary"]
    assert client.get(reverse("projects:qpv_projects", kwargs={"slug": "nowhere"})).status_code == (
        404
    )


def test_list_paginates_by_20(client, sanitas):
    ProjectFactory.create_batch(25)
    response = client.get(reverse("projects:projects"))
    assert len(response.context["page_obj"].object_list) == 20
    assert len(client.get(reverse("projects:projects"), {"page": 2}).context["page_obj"]) == 5


def _many_projects(count: int, qpvs: list[QPV]) -> None:
    projects = Project.objects.bulk_create(
        [
            Project(
                qpv=qpvs[index % len(qpvs)],
                title=f"Projet {index}",
                summary="Résumé",
                origin=ProjectOrigin.SPACE,
                carried_by="collective",
                stage=ProjectStage.ELABORATION,
            )
            for index in range(count)
        ]
    )
    ProjectStep.objects.bulk_create(
        [
            ProjectStep(
                project=project,
                stage=stage,
                participation_level=level,
                date=timezone.localdate(),
            )
            for project in projects
            for stage, level in ((ProjectStage.IDEA, 2), (ProjectStage.ELABORATION, 4))
        ]
    )


@pytest.mark.parametrize("count", [5, 300])
def test_list_query_count_does_not_grow(client, django_assert_num_queries, count):
    # Sanitas first: its page lists some of them whatever the count.
    qpvs = sorted(QPV.objects.all(), key=lambda qpv: qpv.slug != "sanitas")
    _many_projects(count, qpvs)
    # The page and its count, and the QPV of the filter and the menu.
    with django_assert_num_queries(3):
        response = client.get(reverse("projects:projects"), {"level": 3})
    assert response.status_code == 200
    assert response.context["page_obj"].paginator.count == count
    with django_assert_num_queries(4):
        response = client.get(reverse("projects:qpv_projects", kwargs={"slug": "sanitas"}))
    assert response.status_code == 200


# One project --------------------------------------------------------------------------------------


def test_project_page_shows_timeline_origin_and_carrier(client, sanitas):
    meeting = MeetingFactory(title="Café des habitants de mars")
    project = ProjectFactory(
        title="Jardin partagé",
        origin=ProjectOrigin.MEETING,
        origin_meeting=meeting,
        carrier_name="Collectif Jardin",
        stage=ProjectStage.ELABORATION,
    )
    ProjectStepFactory(
        project=project,
        stage=ProjectStage.IDEA,
        participation_level=ParticipationLevel.CONSULTATION,
        residents_involved=14,
        note="Première réunion au centre social.",
        date=timezone.localdate() - timedelta(days=40),
    )
    ProjectStepFactory(
        project=project,
        stage=ProjectStage.ELABORATION,
        participation_level=ParticipationLevel.CO_CONSTRUCTION,
        residents_involved=9,
        date=timezone.localdate() - timedelta(days=10),
        reason="",
    )
    response = client.get(project.get_absolute_url())
    assert response.status_code == 200
    content = response.content.decode()
    assert "Jardin partagé" in content
    assert meeting.get_absolute_url() in content
    assert "Café des habitants de mars" in content
    assert "Collectif Jardin" in content
    assert "Première réunion au centre social." in content
    assert "14" in content
    # The scale is labelled, in order, and each step says where it sits.
    assert content.index("Information") < content.index("Co-construction")
    assert "(niveau 4 sur 5)" in content or "(level 4 of 5)" in content
    assert [step.stage for step in response.context["steps"]] == ["idea", "elaboration"]


def test_project_page_links_a_public_question_only(client, sanitas):
    public = QuestionFactory(status=QuestionStatus.RECEIVED, public_display=True)
    project = ProjectFactory(origin=ProjectOrigin.QUESTION, origin_question=public)
    assert public.get_absolute_url() in client.get(project.get_absolute_url()).content.decode()
    private = QuestionFactory(status=QuestionStatus.RECEIVED, public_display=False)
    project = ProjectFactory(origin=ProjectOrigin.QUESTION, origin_question=private)
    response = client.get(project.get_absolute_url())
    assert response.status_code == 200
    page = response.content.decode()
    assert project.title in page
    assert private.get_absolute_url() not in page


def test_project_page_shows_evaluation_grants_and_influence(client, sanitas):
    project = _project_with_steps(
        sanitas,
        [1, 2, 3, 4, 4, 5, 3],
        title="Fresque du square",
    )
    ExperienceEvaluation.objects.create(
        project=project,
        voice_changed="Les habitants ont choisi le mur et les couleurs.",
        to_keep="Les ateliers du samedi.",
        to_change="Prévenir plus tôt les commerçants.",
        highest_level=ParticipationLevel.CO_DECISION,
    )
    envelope = FundEnvelopeFactory()
    GrantApplicationFactory(
        envelope=envelope,
        project=project,
        title="Peinture et matériel",
        status=GrantStatus.GRANTED,
        amount_granted=Decimal("1200.00"),
        decided_at=timezone.now(),
    )
    GrantApplicationFactory(
        envelope=envelope, project=project, title="Demande refusée", status=GrantStatus.REFUSED
    )
    InfluenceRecordFactory(
        project=project,
        said="Mettre la fresque côté école.",
        outcome=InfluenceOutcome.ADOPTED,
        what_was_done="La fresque est sur le mur de l'école.",
    )
    response = client.get(project.get_absolute_url())
    content = response.content.decode()
    assert "Les habitants ont choisi le mur et les couleurs." in content
    assert "Prévenir plus tôt les commerçants." in content
    assert "Peinture et matériel" in content
    assert "1\xa0200 €" in content
    assert "Demande refusée" not in content
    assert "Mettre la fresque côté école." in content
    # The participation level reached at each stage, from the steps.
    rows = {row["stage"]: row["level"] for row in response.context["stage_levels"]}
    assert rows["idea"] == 1
    assert rows["completed"] == 5
    assert rows["evaluated"] == 3


def test_abandoned_project_shows_its_reason(client, sanitas):
    project = ProjectFactory(stage=ProjectStage.ABANDONED, abandoned_reason="Pas de local trouvé.")
    assert "Pas de local trouvé." in client.get(project.get_absolute_url()).content.decode()


@pytest.mark.parametrize(
    ("actor", "sees"),
    [
        ("visitor", False),
        ("resident", False),
        ("proposer", True),
        ("facilitator_sanitas", False),
        ("referent_tours", True),
        ("referent_joue", False),
        ("delegate_sanitas", False),
        ("coordinator", True),
    ],
)
def test_unpublished_idea_seen_by_its_proposer_and_staff_in_scope_only(client, actors, actor, sees):
    project = ProjectFactory(
        moderation=ModerationStatus.PENDING,
        proposed_by=actors.add("proposer"),
        origin=ProjectOrigin.ONLINE,
    )
    actors.login(client, actor)
    response = client.get(project.get_absolute_url())
    assert response.status_code == (200 if sees else 404)
    project.moderation = ModerationStatus.REJECTED
    project.rejected_reason = "Contient une adresse."
    project.save()
    response = client.get(project.get_absolute_url())
    assert response.status_code == (200 if sees else 404)
    if sees:
        assert "Contient une adresse." in response.content.decode()


def test_staff_in_scope_see_the_management_links(client, sanitas):
    project = ProjectFactory(stage=ProjectStage.COMPLETED)
    referent = UserFactory()
    grant(referent, Role.REFERENT, commune=sanitas.commune)
    edit_url = reverse("projects:project_edit", kwargs={"pk": project.pk})
    response = client.get(project.get_absolute_url())
    assert response.status_code == 200
    content = response.content.decode()
    assert project.title in content
    assert edit_url not in content
    client.force_login(referent)
    content = client.get(project.get_absolute_url()).content.decode()
    assert edit_url in content
    assert reverse("projects:project_evaluation", kwargs={"pk": project.pk}) in content


def test_unknown_project_is_404(client):
    assert client.get(reverse("projects:project", kwargs={"pk": 999999})).status_code == 404


@pytest.mark.parametrize("count", [3, 30])
def test_project_page_query_count_does_not_grow(client, django_assert_num_queries, count):
    meeting = MeetingFactory()
    project = ProjectFactory(
        origin=ProjectOrigin.MEETING, origin_meeting=meeting, stage=ProjectStage.COMPLETED
    )
    ProjectStep.objects.bulk_create(
        [
            ProjectStep(
                project=project,
                stage=list(ProjectStage)[index % 6],
                participation_level=index % 5 + 1,
                residents_involved=index,
                note=f"Étape {index}",
                date=timezone.localdate() - timedelta(days=count - index),
            )
            for index in range(count)
        ]
    )
    ExperienceEvaluation.objects.create(
        project=project, voice_changed="Beaucoup.", highest_level=ParticipationLevel.CO_DECISION
    )
    envelope = FundEnvelopeFactory()
    for _index in range(count // 3):
        GrantApplicationFactory(
            envelope=envelope,
            project=project,
            status=GrantStatus.GRANTED,
            amount_granted=Decimal("100"),
        )
        InfluenceRecordFactory(project=project, meeting=meeting)
    # The project (with its place, origin and evaluation), the steps, the grants, the influence
    # records, and the QPV of the menu.
    with django_assert_num_queries(5):
        response = client.get(project.get_absolute_url())
    assert response.status_code == 200
    assert len(response.context["steps"]) == count


# Proposing an idea online -------------------------------------------------------------------------


def _propose_url(slug: str = "sanitas") -> str:
    return reverse("projects:project_propose", kwargs={"slug": slug})


def test_visitor_is_sent_to_log_in(client):
    response = client.get(_propose_url())
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


def test_resident_proposes_an_idea_which_waits_for_moderation(client, sanitas):
    resident = UserFactory(full_name="Awa Diallo")
    client.force_login(resident)
    assert client.get(_propose_url()).status_code == 200
    response = client.post(
        _propose_url(),
        {
            "title": "  Un  repair café  ",
            "summary": "Réparer ensemble les petits appareils, un samedi par mois.",
            "carried_by": "collective",
            "carrier_name": "Les Bricoleurs",
        },
    )
    project = Project.objects.get()
    assert response.status_code == 302
    # The resident lands on "Mon espace", on their ideas, where the new one waits for moderation.
    assert response["Location"] == reverse("account_home") + "#idees"
    ideas = client.get(response["Location"]).content.decode()
    assert "Un repair café" in ideas
    assert project.get_absolute_url() in ideas
    assert project.title == "Un repair café"
    assert project.origin == ProjectOrigin.ONLINE
    assert project.stage == ProjectStage.IDEA
    assert project.moderation == ModerationStatus.PENDING
    assert project.proposed_by == resident
    assert project.qpv == sanitas
    step = project.steps.get()
    assert step.stage == ProjectStage.IDEA
    # Not public yet: not on the lists, and the page is the proposer's only.
    client.logout()
    published = ProjectFactory(title="Jardin partagé")
    response = client.get(reverse("projects:projects"))
    assert response.status_code == 200
    page = response.content.decode()
    assert published.title in page
    assert "Un repair café" not in page
    assert client.get(project.get_absolute_url()).status_code == 404


def test_bad_proposal_keeps_what_was_typed(client):
    client.force_login(UserFactory())
    response = client.post(
        _propose_url(),
        {"title": "   ", "summary": "Mon idée détaillée", "carried_by": "nobody"},
    )
    assert response.status_code == 400
    content = response.content.decode()
    assert "Mon idée détaillée" in content
    errors = response.context["form"].errors
    assert set(errors) == {"title", "carried_by"}
    assert not Project.objects.exists()
    long = client.post(
        _propose_url(), {"title": "x" * 201, "summary": "s", "carried_by": "collective"}
    )
    assert long.status_code == 400
    assert "title" in long.context["form"].errors


def test_honeypot_keeps_nothing(client):
    client.force_login(UserFactory())
    response = client.post(
        _propose_url(),
        {
            "title": "Gagnez de l'argent",
            "summary": "spam",
            "carried_by": "collective",
            "website": "http://spam.example",
        },
    )
    assert response.status_code == 302
    assert not Project.objects.exists()


def test_propose_in_unknown_qpv_is_404(client):
    client.force_login(UserFactory())
    assert client.get(_propose_url("nowhere")).status_code == 404


# The QPV page -------------------------------------------------------------------------------------


def test_qpv_page_lists_latest_projects_with_links(client, sanitas):
    ProjectFactory(title="Boîte à livres", stage=ProjectStage.FUNDED)
    ProjectFactory(title="Idée cachée", moderation=ModerationStatus.PENDING)
    content = client.get(sanitas.get_absolute_url()).content.decode()
    assert "Boîte à livres" in content
    assert "Idée cachée" not in content
    assert reverse("projects:qpv_projects", kwargs={"slug": "sanitas"}) in content
    assert _propose_url() in content
