"""Espace pro of questions: dashboard, manage page, routing, due dates, closing and answers, for
every role in and out of scope; the forms' refusals; due-date arithmetic; query counts.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from dialogue.models import today_in_paris
from questions import services
from questions.models import (
    Answer,
    AnswerRevision,
    AnswerStatus,
    Channel,
    DueDateChange,
    Question,
    QuestionEvent,
    QuestionEventKind,
    QuestionStatus,
    Theme,
)
from tests.dialogue.factories import MeetingFactory
from tests.qpv.factories import OrganisationFactory
from tests.questions.factories import AnswerFactory, QuestionFactory

pytestmark = pytest.mark.django_db

ACTORS = [
    "visitor",
    "resident",
    "facilitator_sanitas",
    "referent_tours",
    "referent_joue",
    "correspondent",
    "correspondent_other",
    "delegate_sanitas",
    "coordinator",
]
VIEWERS = {
    "facilitator_sanitas",
    "referent_tours",
    "correspondent",
    "delegate_sanitas",
    "coordinator",
}
ANSWERERS = {"referent_tours", "correspondent", "coordinator"}
ROUTERS = {"referent_tours", "coordinator"}


@pytest.fixture
def forwarded(actors):
    """A question of Sanitas forwarded to Tours Habitat, which answers within 45 days. Tours Habitat
    serves Sanitas; Val Touraine Habitat, the other organisation, serves Sanitas and La Rabière."""
    actors.organisation.answer_delay_days = 45
    actors.organisation.save()
    actors.organisation.qpvs.add(actors.sanitas)
    actors.other_organisation.qpvs.add(actors.sanitas, actors.rabiere)
    return QuestionFactory(
        organisation=actors.organisation,
        status=QuestionStatus.FORWARDED,
        asker_name="Awa Diallo",
        asker_email="awa.diallo@example.org",
        text="Quand l'ascenseur de la tour 7 sera-t-il réparé ?",
    )


def _url(view: str, question: Question | None = None) -> str:
    if view == "questions_dashboard":
        return reverse("questions:questions_dashboard")
    return reverse(f"questions:{view}", kwargs={"pk": question.pk})


def _assert_refused(response, actor: str, *, about_the_question: bool = True) -> None:
    """Visitors log in first. On the question's pages, those who do not see it at all (out of
    their scope, or no staff role) get a 404 as for an unknown question; viewers may not: 403."""
    if actor == "visitor":
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("account_login"))
    elif about_the_question and actor not in VIEWERS:
        assert response.status_code == 404
    else:
        assert response.status_code == 403


# Access -------------------------------------------------------------------------------------------

GET_ACCESS = {
    "questions_dashboard": set(ACTORS) - {"visitor", "resident"},
    "question_manage": VIEWERS,
    "question_answer": ANSWERERS,
}


@pytest.mark.parametrize(
    ("view", "actor", "allowed"),
    [(view, actor, actor in allowed) for view, allowed in GET_ACCESS.items() for actor in ACTORS],
)
def test_get_access_by_role(client, actors, forwarded, view, actor, allowed):
    actors.login(client, actor)
    response = client.get(_url(view, forwarded))
    if allowed:
        assert response.status_code == 200
        assert response.content.decode().count("<h1") == 1
    else:
        _assert_refused(response, actor, about_the_question=view != "questions_dashboard")


def _post_data(view: str, question: Question, actors) -> dict:
    return {
        "question_route": {"organisation": actors.other_organisation.pk},
        "question_extend": {
            "new_due_on": (question.due_on + timedelta(days=10)).isoformat(),
            "reason": "Attente du devis",
        },
        "question_close": {"reason": "Question en double"},
        "question_answer": {"text": "Réparé lundi.", "action": "publish"},
    }[view]


POST_ACCESS = {
    "question_route": ROUTERS,
    "question_extend": ROUTERS,
    "question_close": ROUTERS,
    "question_answer": ANSWERERS,
}


@pytest.mark.parametrize(
    ("view", "actor", "allowed"),
    [(view, actor, actor in allowed) for view, allowed in POST_ACCESS.items() for actor in ACTORS],
)
def test_post_access_by_role(client, actors, forwarded, view, actor, allowed):
    actors.login(client, actor)
    question = forwarded
    response = client.post(_url(view, question), _post_data(view, question, actors))
    question.refresh_from_db()
    if allowed:
        assert response.status_code == 302
        assert response["Location"] == _url("question_manage", question)
    else:
        _assert_refused(response, actor)
        assert question.status == QuestionStatus.FORWARDED
        assert question.organisation == actors.organisation
        assert not DueDateChange.objects.exists()
        assert not Answer.objects.exists()


@pytest.mark.parametrize("view", ["question_route", "question_extend", "question_close"])
def test_action_views_are_post_only(client, actors, forwarded, view):
    actors.login(client, "coordinator")
    assert client.get(_url(view, forwarded)).status_code == 405


@pytest.mark.parametrize(
    "view", ["question_manage", "question_answer", "question_route", "question_close"]
)
def test_unknown_question_is_404(client, actors, view):
    actors.login(client, "coordinator")
    url = reverse(f"questions:{view}", kwargs={"pk": 999999})
    response = client.post(url) if view in {"question_route", "question_close"} else client.get(url)
    assert response.status_code == 404


# Dashboard ----------------------------------------------------------------------------------------


def _dashboard(client, **params):
    return client.get(reverse("questions:questions_dashboard"), params)


def test_dashboard_lists_overdue_first_then_by_due_date(client, actors, forwarded):
    today = today_in_paris()
    organisation = actors.organisation
    late = QuestionFactory(
        organisation=organisation,
        status=QuestionStatus.FORWARDED,
        received_on=today - timedelta(days=40),
        due_on=today - timedelta(days=10),
    )
    later = QuestionFactory(received_on=today - timedelta(days=2), due_on=today + timedelta(days=5))
    answered = QuestionFactory(
        status=QuestionStatus.ANSWERED,
        received_on=today - timedelta(days=60),
        due_on=today - timedelta(days=30),
        answered_on=today - timedelta(days=35),
    )
    actors.login(client, "referent_tours")
    response = _dashboard(client)
    assert response.status_code == 200
    assert [q.pk for q in response.context["questions"]] == [
        late.pk,
        later.pk,
        forwarded.pk,
        answered.pk,
    ]
    page = response.content.decode()
    assert "10 days late" in page or "10 jours de retard" in page
    assert response.context["counts"]["overdue"] == 1
    assert reverse("questions:question_manage", kwargs={"pk": late.pk}) in page


def test_correspondent_sees_only_their_organisation_questions(client, actors, forwarded):
    mine = forwarded
    theirs = QuestionFactory(
        organisation=actors.other_organisation, status=QuestionStatus.FORWARDED
    )
    QuestionFactory()  # not routed yet
    actors.login(client, "correspondent")
    response = _dashboard(client)
    assert response.status_code == 200
    assert [q.pk for q in response.context["questions"]] == [mine.pk]
    assert theirs.text not in response.content.decode()


def test_referent_of_another_commune_sees_none_of_sanitas(client, actors, forwarded):
    joue = QuestionFactory(qpv=actors.rabiere)
    actors.login(client, "referent_joue")
    response = _dashboard(client)
    assert [q.pk for q in response.context["questions"]] == [joue.pk]


def test_moderation_questions_only_for_those_who_moderate(client, actors, forwarded):
    pending = QuestionFactory(status=QuestionStatus.MODERATION)
    unconfirmed = QuestionFactory(status=QuestionStatus.UNCONFIRMED)
    for actor, sees in [
        ("facilitator_sanitas", True),
        ("delegate_sanitas", False),
        ("correspondent", False),
    ]:
        client.logout()
        actors.login(client, actor)
        pks = {q.pk for q in _dashboard(client).context["questions"]}
        assert (pending.pk in pks) is sees
        assert unconfirmed.pk not in pks


def test_delegate_reads_without_action_buttons(client, actors, forwarded):
    actors.login(client, "delegate_sanitas")
    page = client.get(_url("question_manage", forwarded)).content.decode()
    assert forwarded.text in page or "l&#x27;ascenseur" in page
    for view in ("question_route", "question_extend", "question_close", "question_answer"):
        assert _url(view, forwarded) not in page


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"status": "answered"}, {"answered"}),
        ({"status": "open"}, {"question", "late", "unrouted"}),
        ({"status": "received"}, {"unrouted", "late"}),
        ({"theme": Theme.SAFETY}, {"unrouted"}),
        ({"overdue": "on"}, {"late"}),
        ({"qpv": "la-rabiere"}, {"late"}),
        ({"organisation": "ORG"}, {"question"}),
    ],
)
def test_dashboard_filters(client, actors, forwarded, params, expected):
    today = today_in_paris()
    rows = {
        "question": forwarded,
        "answered": QuestionFactory(status=QuestionStatus.ANSWERED, answered_on=today),
        "unrouted": QuestionFactory(theme=Theme.SAFETY),
        "late": QuestionFactory(
            qpv=actors.rabiere,
            received_on=today - timedelta(days=31),
            due_on=today - timedelta(days=1),
        ),
    }
    if params.get("organisation") == "ORG":
        params = {"organisation": actors.organisation.pk}
    actors.login(client, "coordinator")
    response = _dashboard(client, **params)
    assert response.status_code == 200
    assert {q.pk for q in response.context["questions"]} == {rows[name].pk for name in expected}


@pytest.mark.parametrize("params", [{"status": "nimportequoi"}, {"organisation": "abc"}])
def test_dashboard_forged_filter_is_a_clear_400(client, actors, forwarded, params):
    actors.login(client, "coordinator")
    response = _dashboard(client, **params)
    assert response.status_code == 400
    assert "error-summary" in response.content.decode()
    # The list is still there, unfiltered.
    assert [q.pk for q in response.context["questions"]] == [forwarded.pk]


def test_dashboard_order_runs_across_parts_and_pages(client, actors, forwarded, monkeypatch):
    """Overdue, then open by due date, then awaiting moderation, then finished (latest received
    first): each page is read from the parts it covers, the order unbroken at their seams."""
    monkeypatch.setattr("questions.views.staff.QUESTIONS_PER_PAGE", 2)
    today = today_in_paris()
    rows = [
        forwarded,
        QuestionFactory(received_on=today - timedelta(days=40), due_on=today - timedelta(days=3)),
        QuestionFactory(received_on=today - timedelta(days=5), due_on=today + timedelta(days=3)),
        QuestionFactory(status=QuestionStatus.MODERATION, due_on=today + timedelta(days=9)),
        QuestionFactory(status=QuestionStatus.MODERATION, due_on=today + timedelta(days=2)),
        QuestionFactory(status=QuestionStatus.ANSWERED, received_on=today - timedelta(days=20)),
        QuestionFactory(
            status=QuestionStatus.CLOSED,
            closed_reason="Hors compétence",
            received_on=today - timedelta(days=2),
        ),
        QuestionFactory(status=QuestionStatus.ANSWERED, received_on=today - timedelta(days=2)),
    ]
    for question in rows:
        question.refresh_from_db()

    def rank(question):
        if question.status in (QuestionStatus.RECEIVED, QuestionStatus.FORWARDED):
            return (0, question.due_on.toordinal(), -question.received_on.toordinal(), -question.pk)
        if question.status == QuestionStatus.MODERATION:
            return (1, question.due_on.toordinal(), -question.received_on.toordinal(), -question.pk)
        return (2, 0, -question.received_on.toordinal(), -question.pk)

    expected = [question.pk for question in sorted(rows, key=rank)]
    actors.login(client, "coordinator")
    seen = []
    for number in range(1, 5):
        response = _dashboard(client, page=number)
        assert response.context["page"].paginator.count == len(rows)
        seen += [question.pk for question in response.context["questions"]]
    assert seen == expected
    # Filtered, the parts are sized on the filtered questions.
    response = _dashboard(client, status="answered")
    assert [q.pk for q in response.context["questions"]] == [rows[7].pk, rows[5].pk]


def test_dashboard_is_paginated_by_50(client, actors, forwarded):
    QuestionFactory.create_batch(50)
    actors.login(client, "coordinator")
    first = _dashboard(client)
    assert len(first.context["questions"]) == 50
    second = _dashboard(client, page=2)
    assert len(second.context["questions"]) == 1


@pytest.mark.parametrize("count", [3, 60])
def test_dashboard_query_count_does_not_grow(
    client, actors, forwarded, django_assert_num_queries, count
):
    today = today_in_paris()
    for index in range(count):
        question = QuestionFactory(
            organisation=actors.organisation if index % 2 else actors.other_organisation,
            status=QuestionStatus.FORWARDED,
            received_on=today - timedelta(days=index),
            due_on=today + timedelta(days=30 - index),
            meeting=None,
        )
        if index % 3 == 0:
            AnswerFactory(question=question)
    actors.login(client, "referent_tours")
    # session, user, scopes, QPV choices, organisation choices, counts (which also size the
    # list's parts: no page count), page rows (one part here), menu of QPV (base.html)
    with django_assert_num_queries(8):
        response = _dashboard(client)
    assert response.status_code == 200


# Manage page --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("actor", "sees_name", "sees_email"),
    [
        ("referent_tours", True, True),
        ("facilitator_sanitas", True, True),
        ("coordinator", True, True),
        ("correspondent", False, False),
        ("delegate_sanitas", False, False),
    ],
)
def test_asker_details_only_for_local_staff(
    client, actors, forwarded, actor, sees_name, sees_email
):
    actors.login(client, actor)
    page = client.get(_url("question_manage", forwarded)).content.decode()
    assert ("Awa Diallo" in page) is sees_name
    assert ("awa.diallo@example.org" in page) is sees_email


def test_correspondent_sees_the_name_the_asker_chose_to_show(client, actors, forwarded):
    question = forwarded
    question.show_name = True
    question.save()
    actors.login(client, "correspondent")
    page = client.get(_url("question_manage", question)).content.decode()
    assert "Awa Diallo" in page
    assert "awa.diallo@example.org" not in page


def test_manage_page_offers_the_actions_of_each_role(client, actors, forwarded):
    question = forwarded
    actors.login(client, "correspondent")
    page = client.get(_url("question_manage", question)).content.decode()
    assert _url("question_answer", question) in page
    assert _url("question_route", question) not in page
    client.logout()
    actors.login(client, "referent_tours")
    page = client.get(_url("question_manage", question)).content.decode()
    for view in ("question_answer", "question_route", "question_extend", "question_close"):
        assert _url(view, question) in page
    # The route select offers the active organisations serving the QPV.
    organisations = list(
        client.get(_url("question_manage", question))
        .context["route_form"]
        .fields["organisation"]
        .queryset
    )
    assert set(organisations) == {actors.organisation, actors.other_organisation}


def test_manage_page_shows_meeting_and_histories(client, actors, forwarded):
    meeting = MeetingFactory(title="Café de mars")
    question = QuestionFactory(
        meeting=meeting, channel=Channel.MEETING, organisation=actors.organisation
    )
    question.status = QuestionStatus.FORWARDED
    question.save()
    coordinator = actors["coordinator"]
    services.question_extend_due_date(
        question=question,
        new_due_on=question.due_on + timedelta(days=15),
        reason="Travaux à chiffrer",
        by=coordinator,
    )
    services.answer_save(question=question, text="Première réponse.", by=coordinator, publish=True)
    services.answer_save(question=question, text="Réponse corrigée.", by=coordinator, publish=True)
    actors.login(client, "referent_tours")
    page = client.get(_url("question_manage", question)).content.decode()
    assert "Café de mars" in page
    assert "Travaux à chiffrer" in page
    assert "Réponse corrigée." in page
    assert "Première réponse." in page  # the earlier version, in the history


@pytest.mark.parametrize("count", [1, 20])
def test_manage_query_count_does_not_grow(
    client, actors, forwarded, django_assert_num_queries, count
):
    question = forwarded
    coordinator = actors["coordinator"]
    for index in range(count):
        DueDateChange.objects.create(
            question=question,
            previous_due_on=question.due_on,
            new_due_on=question.due_on + timedelta(days=index + 1),
            reason=f"Raison {index}",
            changed_by=coordinator,
        )
    answer = AnswerFactory(question=question, status=AnswerStatus.PUBLISHED, author=coordinator)
    for index in range(count):
        AnswerRevision.objects.create(
            answer=answer, previous_text=f"Texte {index}", edited_by=coordinator
        )
        QuestionEvent.objects.create(
            question=question, kind=QuestionEventKind.FORWARDED, organisation=question.organisation
        )
    actors.login(client, "referent_tours")
    # session, user, question, scopes, revisions, due date changes, history (with organisations
    # and due date changes), menu of QPV (base.html), route organisations (any?, then the select)
    with django_assert_num_queries(10):
        response = client.get(_url("question_manage", question))
    assert response.status_code == 200


# Routing, due dates, closing ----------------------------------------------------------------------


def test_routing_forwards_and_recomputes_the_due_date(
    client, actors, forwarded, mailoutbox, django_capture_on_commit_callbacks
):
    question = QuestionFactory()
    actors.login(client, "referent_tours")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            _url("question_route", question), {"organisation": actors.organisation.pk}
        )
    assert response.status_code == 302
    question.refresh_from_db()
    assert question.status == QuestionStatus.FORWARDED
    assert question.organisation == actors.organisation
    # Tours Habitat has 45 days to answer.
    assert question.due_on == question.received_on + timedelta(days=45)
    to_asker, email = mailoutbox  # the asker hears it is passed on (issue 17)
    assert to_asker.to == [question.asker_email]
    assert email.to == [actors["correspondent"].email]
    assert _url("question_answer", question) in email.body


@pytest.mark.parametrize("organisation", ["", "999999", "OUTSIDE"])
def test_routing_to_no_or_a_foreign_organisation_is_refused(
    client, actors, forwarded, organisation
):
    if organisation == "OUTSIDE":
        organisation = OrganisationFactory(name="Ailleurs").pk
    question = QuestionFactory()
    actors.login(client, "referent_tours")
    response = client.post(_url("question_route", question), {"organisation": organisation})
    assert response.status_code == 400
    assert "error-summary" in response.content.decode()
    question.refresh_from_db()
    assert question.organisation is None


def test_routing_a_closed_question_is_refused_on_the_form(client, actors, forwarded):
    question = QuestionFactory(status=QuestionStatus.CLOSED, closed_reason="Doublon")
    actors.login(client, "referent_tours")
    response = client.post(
        _url("question_route", question), {"organisation": actors.organisation.pk}
    )
    assert response.status_code == 400
    # The forms are gone (the question is closed); their refusal shows at the top.
    assert response.context["route_form"] is None
    assert 'class="alert alert-danger" role="alert"' in response.content.decode()
    question.refresh_from_db()
    assert question.status == QuestionStatus.CLOSED


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"new_due_on": "SHIFT+10", "reason": ""}, "reason"),
        ({"new_due_on": "SHIFT+10", "reason": "   "}, "reason"),
        ({"new_due_on": "", "reason": "Devis"}, "new_due_on"),
        ({"new_due_on": "31/02/2027", "reason": "Devis"}, "new_due_on"),
        ({"new_due_on": "RECEIVED-1", "reason": "Devis"}, "new_due_on"),
        ({"new_due_on": "SHIFT+0", "reason": "Devis"}, "new_due_on"),
        ({"new_due_on": "SHIFT-3", "reason": "Devis"}, "new_due_on"),
    ],
)
def test_extension_refusals_are_on_the_right_field(client, actors, forwarded, data, field):
    question = forwarded
    value = data["new_due_on"]
    if value.startswith("SHIFT"):
        value = (question.due_on + timedelta(days=int(value[5:]))).isoformat()
    elif value == "RECEIVED-1":
        value = (question.received_on - timedelta(days=1)).isoformat()
    actors.login(client, "referent_tours")
    response = client.post(
        _url("question_extend", question), {"new_due_on": value, "reason": data["reason"]}
    )
    assert response.status_code == 400
    form = response.context["extend_form"]
    assert form.errors[field]
    # What was typed is kept.
    assert form["reason"].value() == data["reason"]
    assert not DueDateChange.objects.exists()


def test_extension_is_kept_in_history(client, actors, forwarded):
    question = forwarded
    previous = question.due_on
    new = previous + timedelta(days=20)
    actors.login(client, "referent_tours")
    response = client.post(
        _url("question_extend", question),
        {"new_due_on": new.isoformat(), "reason": "Attente du devis de l'ascensoriste"},
    )
    assert response.status_code == 302
    question.refresh_from_db()
    assert question.due_on == new
    [change] = DueDateChange.objects.all()
    assert (change.previous_due_on, change.new_due_on) == (previous, new)
    assert change.changed_by == actors["referent_tours"]
    page = client.get(_url("question_manage", question)).content.decode()
    assert "Attente du devis de l&#x27;ascensoriste" in page


def test_closing_requires_a_public_reason(
    client, actors, forwarded, mailoutbox, django_capture_on_commit_callbacks
):
    question = forwarded
    actors.login(client, "referent_tours")
    for reason in ("", "   "):
        response = client.post(_url("question_close", question), {"reason": reason})
        assert response.status_code == 400
        assert response.context["close_form"].errors["reason"]
    question.refresh_from_db()
    assert question.status == QuestionStatus.FORWARDED
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            _url("question_close", question), {"reason": "Relève du syndic de copropriété"}
        )
    assert response.status_code == 302
    question.refresh_from_db()
    assert question.status == QuestionStatus.CLOSED
    assert question.closed_reason == "Relève du syndic de copropriété"
    [email] = mailoutbox
    assert email.to == ["awa.diallo@example.org"]
    assert "Relève du syndic de copropriété" in email.body


# Answers ------------------------------------------------------------------------------------------


def test_correspondent_of_another_organisation_cannot_answer(client, actors, forwarded):
    question = forwarded
    actors.login(client, "correspondent_other")
    # Not addressed to their organisation: they do not see it at all (404, as an unknown one).
    assert client.get(_url("question_answer", question)).status_code == 404
    response = client.post(
        _url("question_answer", question), {"text": "Pas mon affaire", "action": "publish"}
    )
    assert response.status_code == 404
    assert client.get(_url("question_manage", question)).status_code == 404
    assert not Answer.objects.exists()


def test_referent_alone_has_the_other_channel_checkbox(client, actors, forwarded):
    question = forwarded
    actors.login(client, "correspondent")
    response = client.get(_url("question_answer", question))
    assert response.status_code == 200
    assert "text" in response.context["form"].fields
    assert "received_by_other_channel" not in response.context["form"].fields
    client.logout()
    actors.login(client, "referent_tours")
    response = client.get(_url("question_answer", question))
    assert "received_by_other_channel" in response.context["form"].fields
    response = client.post(
        _url("question_answer", question),
        {
            "text": "Réponse reçue par courrier.",
            "received_by_other_channel": "on",
            "action": "publish",
        },
    )
    assert response.status_code == 302
    answer = Answer.objects.get()
    assert answer.received_by_other_channel
    assert answer.organisation == actors.organisation


@pytest.mark.parametrize("action", ["publish", "draft"])
def test_empty_answer_is_refused(client, actors, forwarded, action):
    actors.login(client, "correspondent")
    response = client.post(_url("question_answer", forwarded), {"text": "  \n ", "action": action})
    assert response.status_code == 400
    assert response.context["form"].errors["text"]
    assert not Answer.objects.exists()


def test_draft_then_publish(
    client, actors, forwarded, mailoutbox, django_capture_on_commit_callbacks
):
    question = forwarded
    actors.login(client, "correspondent")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            _url("question_answer", question), {"text": "Brouillon", "action": "draft"}
        )
    assert response.status_code == 302
    answer = Answer.objects.get()
    assert answer.status == AnswerStatus.DRAFT
    question.refresh_from_db()
    assert question.status == QuestionStatus.FORWARDED
    assert not mailoutbox
    # The draft is prefilled, and the form without a button value stays a draft.
    assert client.get(_url("question_answer", question)).context["form"]["text"].value() == (
        "Brouillon"
    )
    client.post(_url("question_answer", question), {"text": "Brouillon 2"})
    answer.refresh_from_db()
    assert (answer.text, answer.status) == ("Brouillon 2", AnswerStatus.DRAFT)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            _url("question_answer", question),
            {"text": "L'ascenseur est réparé depuis lundi.", "action": "publish"},
        )
    assert response.status_code == 302
    question.refresh_from_db()
    assert question.status == QuestionStatus.ANSWERED
    assert question.answered_on == today_in_paris()
    [email] = mailoutbox
    assert email.to == ["awa.diallo@example.org"]
    assert "L'ascenseur est réparé depuis lundi." in email.body
    assert "Tours Habitat" in email.body
    # A draft is not a revision: no history yet.
    assert not AnswerRevision.objects.exists()


def test_editing_a_published_answer_keeps_the_previous_text(
    client, actors, forwarded, mailoutbox, django_capture_on_commit_callbacks
):
    question = forwarded
    actors.login(client, "correspondent")
    with django_capture_on_commit_callbacks(execute=True):
        client.post(_url("question_answer", question), {"text": "Version 1", "action": "publish"})
        response = client.get(_url("question_answer", question))
        assert response.status_code == 200
        page = response.content.decode()
        # One button only: a published answer is corrected, never turned back into a draft.
        assert 'value="publish"' in page
        assert 'value="draft"' not in page
        response = client.post(
            _url("question_answer", question), {"text": "Version 2", "action": "publish"}
        )
    assert response.status_code == 302
    answer = Answer.objects.get()
    assert (answer.text, answer.status) == ("Version 2", AnswerStatus.PUBLISHED)
    [revision] = answer.revisions.all()
    assert revision.previous_text == "Version 1"
    assert revision.edited_by == actors["correspondent"]
    assert len(mailoutbox) == 1  # the asker is told once, at the first publication
    # Emptying a published answer is refused, and nothing is lost.
    response = client.post(_url("question_answer", question), {"text": "", "action": "publish"})
    assert response.status_code == 400
    answer.refresh_from_db()
    assert answer.text == "Version 2"
    page = client.get(_url("question_manage", question)).content.decode()
    assert "Version 1" in page and "Version 2" in page


def test_a_closed_question_cannot_be_answered(client, actors, forwarded):
    question = QuestionFactory(
        status=QuestionStatus.CLOSED, closed_reason="Doublon", organisation=actors.organisation
    )
    actors.login(client, "correspondent")
    response = client.get(_url("question_answer", question))
    assert response.status_code == 200
    assert question.text in response.content.decode()
    assert 'name="text"' not in response.content.decode()
    response = client.post(_url("question_answer", question), {"text": "Oui", "action": "publish"})
    assert response.status_code == 400
    assert response.context["form"].errors
    assert not Answer.objects.exists()


def test_too_long_answer_is_refused_and_kept(client, actors, forwarded):
    actors.login(client, "correspondent")
    text = "a" * 10001
    response = client.post(_url("question_answer", forwarded), {"text": text, "action": "publish"})
    assert response.status_code == 400
    assert response.context["form"]["text"].value() == text


# Due dates and delays: Paris calendar days, across month ends and DST -----------------------------


def test_thirty_days_after_31_january_is_2_march_in_a_common_year():
    assert services.due_date_for(date(2027, 1, 31)) == date(2027, 3, 2)
    assert services.due_date_for(date(2028, 1, 31)) == date(2028, 3, 1)  # leap year


def test_delay_across_the_change_to_summer_time(actors, forwarded, monkeypatch):
    question = QuestionFactory(
        organisation=actors.organisation,
        status=QuestionStatus.FORWARDED,
        received_on=date(2027, 3, 20),
        due_on=date(2027, 4, 19),
    )
    # 18 April 2027, 22:30 UTC is already 19 April, 00:30 in Paris (CEST, UTC+2).
    monkeypatch.setattr(timezone, "now", lambda: datetime(2027, 4, 18, 22, 30, tzinfo=UTC))
    assert today_in_paris() == date(2027, 4, 19)
    services.answer_save(question=question, text="Réponse", by=actors["coordinator"], publish=True)
    question.refresh_from_db()
    assert question.answered_on == date(2027, 4, 19)
    assert question.delay_days == 30
    assert not question.is_overdue(date(2027, 4, 19))


# Demo data ----------------------------------------------------------------------------------------


def test_demo_questions_are_a_realistic_mix(
    settings, mailoutbox, django_capture_on_commit_callbacks
):
    from django.core.management import call_command
    from django.db.models import F

    from devtools.demo.questions import load_demo_questions

    settings.DEBUG = True
    with django_capture_on_commit_callbacks(execute=True):
        call_command("load_demo", "--quiet")
    today = today_in_paris()
    questions = Question.objects.all()
    answered = questions.filter(status=QuestionStatus.ANSWERED)
    assert answered.filter(answered_on__lte=F("due_on")).count() > 10  # on time
    assert answered.filter(answered_on__gt=F("due_on")).count() > 3  # late
    assert questions.overdue(today).count() > 2
    assert questions.open().filter(due_on__gte=today).count() > 2
    assert questions.filter(status=QuestionStatus.CLOSED).exclude(closed_reason="").exists()
    assert questions.filter(status=QuestionStatus.MODERATION).count() == 3
    assert questions.filter(status=QuestionStatus.REJECTED).exclude(rejected_reason="").count() == 1
    assert questions.filter(channel=Channel.MEETING, meeting__isnull=False).count() > 5
    assert questions.accepted().values("qpv").distinct().count() >= 4
    assert questions.filter(received_on__lt=today - timedelta(days=300)).exists()
    # Every answered question has its published answer, by the organisation it was sent to.
    assert not answered.exclude(answer__status=AnswerStatus.PUBLISHED).exists()
    assert not answered.exclude(answer__organisation=F("organisation")).exists()
    assert Answer.objects.filter(status=AnswerStatus.DRAFT).exists()
    assert AnswerRevision.objects.count() == 1
    assert DueDateChange.objects.count() == 1
    assert not mailoutbox  # loading the demo emails nobody
    before = questions.count()
    assert load_demo_questions() == 0
    assert questions.count() == before
