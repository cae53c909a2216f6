"""'Vous avez dit, nous avons fait': public pages (counts, filters, links), the staff's pages for
every role in and out of scope, the refusals of the record form, and the query counts.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from projects.models import InfluenceOutcome, InfluenceRecord, ModerationStatus
from projects.services import influence as services
from questions.models import QuestionStatus
from tests.dialogue.factories import DialogueSpaceFactory, MeetingFactory
from tests.helpers import staff_home
from tests.projects.factories import InfluenceRecordFactory, ProjectFactory
from tests.questions.factories import QuestionFactory

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
SANITAS_MANAGERS = {"referent_tours", "coordinator"}
STAFF_LIST_VIEWERS = {"referent_tours", "referent_joue", "coordinator"}


@pytest.fixture
def actors(actors):
    """Tours Habitat, the correspondent's organisation, serves Sanitas: the record form offers it."""
    actors.organisation.qpvs.add(actors.sanitas)
    return actors


def _assert_refused(response, actor: str, status: int) -> None:
    """A visitor is sent to the login page first; any other actor gets `status`."""
    if actor == "visitor":
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("account_login"))
    else:
        assert response.status_code == status


def form_data(**overrides) -> dict:
    data = {
        "said": "Les habitants demandent des bancs sur le mail.",
        "meeting": "",
        "question": "",
        "outcome": InfluenceOutcome.ADOPTED,
        "what_was_done": "Six bancs ont été posés.",
        "reason": "",
        "project": "",
        "action": "Mobilier urbain",
        "institution": "",
        "decided_on": (timezone.localdate() - timedelta(days=3)).isoformat(),
    }
    data.update(overrides)
    return data


# Public pages -----------------------------------------------------------------------------------


def test_metropole_page_shows_said_done_counts_and_links(client, actors):
    space = DialogueSpaceFactory(qpv=actors.sanitas)
    meeting = MeetingFactory(dialogue_space=space, title="Café des habitants de mars")
    question = QuestionFactory(status=QuestionStatus.ANSWERED)
    project = ProjectFactory(title="Jardin partagé")
    InfluenceRecordFactory(
        said="Des bancs sur le mail",
        what_was_done="Six bancs posés",
        meeting=meeting,
        project=project,
        institution=actors.organisation,
    )
    InfluenceRecordFactory(
        said="Un local jeunes le soir",
        outcome=InfluenceOutcome.PARTLY,
        what_was_done="Ouvert le mercredi",
        reason="Pas d'animateur le soir",
        question=question,
    )
    InfluenceRecordFactory(
        qpv=actors.rabiere,
        said="Prolonger la ligne de bus",
        outcome=InfluenceOutcome.NOT_ADOPTED,
        what_was_done="Arrêt rapproché",
        reason="Trajet trop long pour tous",
    )
    response = client.get(reverse("projects:influence"))
    assert response.status_code == 200
    page = response.content.decode()
    assert page.count("<h1") == 1
    assert response.context["counts"] == {"total": 3, "adopted": 1, "partly": 1, "not_adopted": 1}
    for text in (
        "Des bancs sur le mail",
        "Six bancs posés",
        "Pas d&#x27;animateur le soir",
        "Trajet trop long pour tous",
        "Tours Habitat",
    ):
        assert text in page
    assert meeting.get_absolute_url() in page
    assert question.get_absolute_url() in page
    assert project.get_absolute_url() in page
    assert reverse("projects:qpv_influence", args=["la-rabiere"]) in page


def test_links_only_to_public_pages(client, actors):
    hidden_space = DialogueSpaceFactory(qpv=actors.sanitas, is_active=False)
    meeting = MeetingFactory(dialogue_space=hidden_space, title="Réunion interne")
    question = QuestionFactory(public_display=False)
    project = ProjectFactory(title="Idée en attente", moderation=ModerationStatus.PENDING)
    InfluenceRecordFactory(meeting=meeting, question=question, project=project)
    page = client.get(reverse("projects:influence")).content.decode()
    assert "Réunion interne" in page and meeting.get_absolute_url() not in page
    assert question.get_absolute_url() not in page
    assert "Idée en attente" in page and project.get_absolute_url() not in page


def test_filters_by_qpv_and_outcome_with_counts_of_the_place(client, actors):
    InfluenceRecordFactory(said="Adopté au Sanitas")
    InfluenceRecordFactory(
        said="Refusé au Sanitas", outcome=InfluenceOutcome.NOT_ADOPTED, reason="Budget"
    )
    InfluenceRecordFactory(said="Adopté à la Rabière", qpv=actors.rabiere)
    response = client.get(reverse("projects:influence"), {"qpv": "sanitas", "outcome": "adopted"})
    page = response.content.decode()
    assert "Adopté au Sanitas" in page
    assert "Refusé au Sanitas" not in page and "Adopté à la Rabière" not in page
    # The counts are those of the QPV chosen, whatever the outcome filter.
    assert response.context["counts"]["total"] == 2
    assert response.context["page_obj"].paginator.count == 1
    qpv_page = client.get(reverse("projects:qpv_influence", args=["sanitas"]))
    assert qpv_page.context["counts"]["total"] == 2
    assert "Adopté à la Rabière" not in qpv_page.content.decode()
    filtered = client.get(
        reverse("projects:qpv_influence", args=["sanitas"]), {"outcome": "not_adopted"}
    )
    assert "Refusé au Sanitas" in filtered.content.decode()
    assert "Adopté au Sanitas" not in filtered.content.decode()


@pytest.mark.parametrize(
    "params", [{"qpv": "nulle-part"}, {"outcome": "peut-etre"}, {"page": "abc"}]
)
def test_bad_filters_are_not_a_500(client, actors, params):
    InfluenceRecordFactory()
    response = client.get(reverse("projects:influence"), params)
    assert response.status_code in {200, 400}


def test_unknown_qpv_page_is_a_404(client, actors):
    assert client.get(reverse("projects:qpv_influence", args=["nulle-part"])).status_code == 404


def test_pagination(client, actors):
    for index in range(25):
        InfluenceRecordFactory(said=f"Proposition numéro {index:02d}")
    first = client.get(reverse("projects:influence"))
    assert len(first.context["page_obj"].object_list) == 20
    second = client.get(reverse("projects:influence"), {"page": 2})
    assert len(second.context["page_obj"].object_list) == 5


@pytest.mark.parametrize("records", [5, 100])
def test_public_query_counts_do_not_grow(client, actors, django_assert_num_queries, records):
    space = DialogueSpaceFactory(qpv=actors.sanitas)
    meeting = MeetingFactory(dialogue_space=space)
    question = QuestionFactory()
    project = ProjectFactory()
    for index in range(records):
        InfluenceRecordFactory(
            qpv=actors.sanitas if index % 2 else actors.rabiere,
            meeting=meeting if index % 3 == 0 else None,
            question=question if index % 3 == 1 else None,
            project=project if index % 2 else None,
            institution=actors.organisation,
        )
    # QPV (filter and header menu), counts by outcome, the page of records (no COUNT query).
    with django_assert_num_queries(3):
        assert client.get(reverse("projects:influence")).status_code == 200
    with django_assert_num_queries(3):
        response = client.get(reverse("projects:influence"), {"outcome": "adopted"})
        assert response.status_code == 200
    # QPV, counts, page, header menu.
    with django_assert_num_queries(4):
        assert client.get(reverse("projects:qpv_influence", args=["sanitas"])).status_code == 200


# Staff pages: every role ------------------------------------------------------------------------


def _url(view: str, actors) -> str:
    if view == "staff_influence":
        return reverse("projects:staff_influence")
    if view == "create_sanitas":
        return reverse("projects:influence_create") + "?qpv=sanitas"
    if view == "create_rabiere":
        return reverse("projects:influence_create") + "?qpv=la-rabiere"
    if view == "edit_sanitas":
        return reverse("projects:influence_edit", args=[InfluenceRecordFactory().pk])
    raise AssertionError(view)


ACCESS = {
    "staff_influence": STAFF_LIST_VIEWERS,
    "create_sanitas": SANITAS_MANAGERS,
    "create_rabiere": {"referent_joue", "coordinator"},
    "edit_sanitas": SANITAS_MANAGERS,
}
# How the others are refused (participation/scopes.py). A page without an object (the list, the
# creation form of a QPV: a QPV is public) answers 403. A record out of the user's scope is not
# visible to them, whatever their role (a resident included): 404. Who sees a record
# (projects.manage_influence) is exactly who may edit it, so no refusal on a record is a 403.
REFUSAL = {
    "staff_influence": 403,
    "create_sanitas": 403,
    "create_rabiere": 403,
    "edit_sanitas": 404,
}


@pytest.mark.parametrize(
    ("view", "actor", "allowed"),
    [(view, actor, actor in allowed) for view, allowed in ACCESS.items() for actor in ACTORS],
)
def test_staff_pages_by_role(client, actors, view, actor, allowed):
    url = _url(view, actors)
    actors.login(client, actor)
    response = client.get(url)
    if allowed:
        assert response.status_code == 200
    else:
        _assert_refused(response, actor, REFUSAL[view])


@pytest.mark.parametrize(
    ("view", "actor", "allowed"),
    [
        (view, actor, actor in allowed)
        for view, allowed in ACCESS.items()
        if view != "staff_influence"
        for actor in ACTORS
    ],
)
def test_staff_writes_by_role(client, actors, view, actor, allowed):
    url = _url(view, actors)
    before = list(InfluenceRecord.objects.values_list("pk", "said"))
    actors.login(client, actor)
    response = client.post(url, form_data(said="Écrit par le test"))
    if allowed:
        assert response.status_code == 302
        assert InfluenceRecord.objects.filter(said="Écrit par le test").exists()
    else:
        _assert_refused(response, actor, REFUSAL[view])
        assert list(InfluenceRecord.objects.values_list("pk", "said")) == before


def test_create_without_qpv_offers_the_qpv_in_scope(client, actors):
    url = reverse("projects:influence_create")
    actors.login(client, "referent_tours")
    page = client.get(url).content.decode()
    assert f"{url}?qpv=sanitas" in page and "?qpv=la-rabiere" not in page
    actors.login(client, "facilitator_sanitas")
    assert client.get(url).status_code == 403


def test_create_for_an_unknown_qpv_is_a_404(client, actors):
    actors.login(client, "coordinator")
    url = reverse("projects:influence_create") + "?qpv=nulle-part"
    assert client.get(url).status_code == 404


def test_staff_list_shows_the_scope_only(client, actors):
    InfluenceRecordFactory(said="Au Sanitas")
    InfluenceRecordFactory(said="À la Rabière", qpv=actors.rabiere)
    actors.login(client, "referent_tours")
    response = client.get(reverse("projects:staff_influence"))
    page = response.content.decode()
    assert "Au Sanitas" in page and "À la Rabière" not in page
    assert 'value="sanitas"' in page and 'value="la-rabiere"' not in page


def test_staff_home_links_to_the_records_for_referents_only(client, actors):
    url = reverse("projects:staff_influence")
    actors.login(client, "referent_joue")
    assert url in staff_home(client)
    actors.login(client, "delegate_sanitas")
    assert url not in staff_home(client)


# The record form --------------------------------------------------------------------------------


def test_a_complete_record_is_saved_with_its_links(client, actors):
    space = DialogueSpaceFactory(qpv=actors.sanitas)
    meeting = MeetingFactory(dialogue_space=space)
    question = QuestionFactory(status=QuestionStatus.FORWARDED)
    project = ProjectFactory()
    referent = actors["referent_tours"]
    client.force_login(referent)
    response = client.post(
        reverse("projects:influence_create") + "?qpv=sanitas",
        form_data(
            meeting=meeting.pk,
            question=question.pk,
            project=project.pk,
            institution=actors.organisation.pk,
            outcome=InfluenceOutcome.PARTLY,
            reason="Le budget ne permet que six bancs.",
        ),
    )
    assert response.status_code == 302
    record = InfluenceRecord.objects.get()
    assert (record.qpv, record.meeting, record.question, record.project) == (
        actors.sanitas,
        meeting,
        question,
        project,
    )
    assert record.institution == actors.organisation
    assert record.created_by == referent
    assert record.reason == "Le budget ne permet que six bancs."


def test_choices_are_limited_to_the_qpv(client, actors):
    elsewhere = MeetingFactory(dialogue_space=DialogueSpaceFactory(qpv=actors.rabiere))
    here = MeetingFactory(dialogue_space=DialogueSpaceFactory(qpv=actors.sanitas))
    other_question = QuestionFactory(qpv=actors.rabiere)
    other_project = ProjectFactory(qpv=actors.rabiere)
    actors.login(client, "coordinator")
    url = reverse("projects:influence_create") + "?qpv=sanitas"
    form = client.get(url).context["form"]
    assert list(form.fields["meeting"].queryset) == [here]
    assert other_question not in form.fields["question"].queryset
    assert other_project not in form.fields["project"].queryset
    for field, value in (
        ("meeting", elsewhere.pk),
        ("question", other_question.pk),
        ("project", other_project.pk),
    ):
        response = client.post(url, form_data(**{field: value}))
        assert response.status_code == 400
        assert list(response.context["form"].errors) == [field]
    assert not InfluenceRecord.objects.exists()


@pytest.mark.parametrize("outcome", [InfluenceOutcome.PARTLY, InfluenceOutcome.NOT_ADOPTED])
def test_not_fully_adopted_needs_a_reason(client, actors, outcome):
    actors.login(client, "referent_tours")
    response = client.post(
        reverse("projects:influence_create") + "?qpv=sanitas",
        form_data(outcome=outcome, reason="   "),
    )
    assert response.status_code == 400
    assert list(response.context["form"].errors) == ["reason"]
    # Nothing typed is lost.
    assert "Les habitants demandent des bancs sur le mail." in response.content.decode()
    assert not InfluenceRecord.objects.exists()


def test_a_decision_in_the_future_is_refused(client, actors):
    actors.login(client, "referent_tours")
    tomorrow = timezone.localdate() + timedelta(days=1)
    response = client.post(
        reverse("projects:influence_create") + "?qpv=sanitas",
        form_data(decided_on=tomorrow.isoformat()),
    )
    assert response.status_code == 400
    assert list(response.context["form"].errors) == ["decided_on"]
    assert not InfluenceRecord.objects.exists()


@pytest.mark.parametrize(
    "overrides",
    [
        {"said": ""},
        {"what_was_done": ""},
        {"outcome": "peut-etre"},
        {"decided_on": "hier"},
        {"meeting": "abc"},
        {"said": "x" * 3001},
    ],
)
def test_bad_input_is_a_400_with_the_form(client, actors, overrides):
    actors.login(client, "referent_tours")
    response = client.post(
        reverse("projects:influence_create") + "?qpv=sanitas", form_data(**overrides)
    )
    assert response.status_code == 400
    assert "error-summary" in response.content.decode()
    assert not InfluenceRecord.objects.exists()


def test_edit_corrects_the_record_and_keeps_its_qpv(client, actors):
    record = InfluenceRecordFactory()
    actors.login(client, "referent_tours")
    url = reverse("projects:influence_edit", args=[record.pk])
    form = client.get(url).context["form"]
    assert form.initial["said"] == record.said
    response = client.post(
        url,
        form_data(outcome=InfluenceOutcome.NOT_ADOPTED, reason="Trop cher", qpv="la-rabiere"),
    )
    assert response.status_code == 302
    record.refresh_from_db()
    assert record.outcome == InfluenceOutcome.NOT_ADOPTED and record.reason == "Trop cher"
    assert record.qpv == actors.sanitas
    response = client.post(url, form_data(outcome=InfluenceOutcome.PARTLY, reason=""))
    assert response.status_code == 400
    record.refresh_from_db()
    assert record.reason == "Trop cher"


def test_the_service_refuses_what_the_form_would(actors):
    qpv = actors.sanitas
    today = timezone.localdate()
    common = {"qpv": qpv, "said": "Dit", "what_was_done": "Fait", "by": None}
    with pytest.raises(services.InfluenceError) as refused:
        services.influence_record_create(
            **common, outcome=InfluenceOutcome.NOT_ADOPTED, decided_on=today
        )
    assert refused.value.code == "reason"
    with pytest.raises(services.InfluenceError) as refused:
        services.influence_record_create(
            **common, outcome=InfluenceOutcome.ADOPTED, decided_on=today + timedelta(days=1)
        )
    assert refused.value.code == "decided_on"
    elsewhere = MeetingFactory(dialogue_space=DialogueSpaceFactory(qpv=actors.rabiere))
    with pytest.raises(services.InfluenceError) as refused:
        services.influence_record_create(
            **common, outcome=InfluenceOutcome.ADOPTED, decided_on=today, meeting=elsewhere
        )
    assert refused.value.code == "meeting"


@pytest.mark.parametrize("records", [5, 60])
def test_staff_list_query_count_does_not_grow(client, actors, django_assert_num_queries, records):
    for index in range(records):
        InfluenceRecordFactory(qpv=actors.sanitas if index % 2 else actors.rabiere)
    actors.login(client, "coordinator")
    # Session, user, roles, QPV in scope, count, page, header menu.
    with django_assert_num_queries(7):
        assert client.get(reverse("projects:staff_influence")).status_code == 200
