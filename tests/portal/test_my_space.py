"""'Mon espace' (the account home, issue 17 item 2): the next registrations with the waiting-list
position and a cancel button, the surveys to answer, the questions and their dated history, the
ideas, the fund applications with their payments, the settings; a fixed number of queries."""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format

from dialogue.models import Feedback, FeedbackToken, MeetingStatus, RegistrationStatus
from dialogue.services.feedback import account_feedback_token, feedback_invitations_send
from dialogue.services.registrations import registration_create
from participation.roles import Role
from projects.models import (
    FundEnvelope,
    GrantPayment,
    GrantStatus,
    ModerationStatus,
    ProjectOrigin,
    ProjectStage,
)
from questions import services as question_services
from questions.models import AnswerStatus, DueDateChange, QuestionEventKind, QuestionStatus
from questions.services import record_question_event
from tests.dialogue.factories import MeetingFactory, RegistrationFactory
from tests.participation.factories import UserFactory, grant
from tests.projects.factories import FundEnvelopeFactory, GrantApplicationFactory, ProjectFactory
from tests.qpv.factories import OrganisationFactory
from tests.questions.factories import AnswerFactory, QuestionFactory

pytestmark = pytest.mark.django_db

URL = "/compte/"
VALID_FEEDBACK = {
    "felt_heard": "4",
    "felt_legitimate": "5",
    "understood_institutions": "3",
    "will_come_back": "yes",
    "comment": "Merci",
}


def page_of(client) -> str:
    response = client.get(URL)
    assert response.status_code == 200
    return response.content.decode()


def section(page: str, anchor: str) -> str:
    """The HTML of one section of the page, by its id."""
    match = re.search(rf'<section[^>]*id="{anchor}".*?</section>', page, re.S)
    assert match, anchor
    return match.group(0)


def envelope():
    """The one envelope of Sanitas the applications of a test go to."""
    return FundEnvelope.objects.first() or FundEnvelopeFactory()


def held(days_ago: float = 2, **fields):
    start = timezone.now() - timedelta(days=days_ago)
    return MeetingFactory(
        starts_at=start, ends_at=start + timedelta(hours=2), status=MeetingStatus.HELD, **fields
    )


def test_the_url_name_and_path_stay():
    assert reverse("account_home") == URL


def test_a_visitor_is_sent_to_log_in(client):
    response = client.get(URL)
    assert response.status_code == 302
    assert "/compte/login/" in response.url


def test_sections_come_in_order(client, actors):
    actors.login(client, "resident")
    page = page_of(client)
    anchors = ["inscriptions", "questions", "idees", "fph", "parametres"]
    positions = [page.index(f'id="{anchor}"') for anchor in anchors]
    assert positions == sorted(positions)
    assert "<h1" in page and page.count("<h1") == 1
    # Nothing given yet: each section says so.
    assert "Aucune rencontre à venir" in section(page, "inscriptions")
    assert 'id="roles"' not in page


# Registrations --------------------------------------------------------------------------------


def test_next_registrations_with_status_position_calendar_and_cancel(client, actors):
    resident = actors["resident"]
    full = MeetingFactory(title="Atelier complet", capacity=1)
    registration_create(meeting=full, name="Awa", email="awa@example.org")  # a guest: pending
    RegistrationFactory(meeting=full, email="first@example.org")
    others_waiting = RegistrationFactory(
        meeting=full,
        email="ahead@example.org",
        status=RegistrationStatus.WAITLISTED,
        waitlisted_at=timezone.now() - timedelta(hours=1),
    )
    waiting = RegistrationFactory(
        meeting=full,
        user=resident,
        email=resident.email,
        status=RegistrationStatus.WAITLISTED,
        waitlisted_at=timezone.now(),
    )
    seated = RegistrationFactory(
        meeting=MeetingFactory(title="Café des habitants"), user=resident, email=resident.email
    )
    # Not shown: a past meeting, a cancelled registration, someone else's.
    RegistrationFactory(meeting=held(title="Rencontre passée"), user=resident, email=resident.email)
    RegistrationFactory(
        meeting=MeetingFactory(title="Annulée par moi"),
        user=resident,
        email=resident.email,
        status=RegistrationStatus.CANCELLED,
    )
    assert others_waiting.pk

    actors.login(client, "resident")
    block = section(page_of(client), "inscriptions")
    assert "Atelier complet" in block and "Café des habitants" in block
    assert "Rencontre passée" not in block and "Annulée par moi" not in block
    assert "Liste d’attente : n° 2" in block or "Liste d'attente : n° 2" in block
    assert "Vous êtes inscrit·e" in block
    assert reverse("dialogue:meeting_ics", args=[seated.meeting.pk]) in block
    for registration in (seated, waiting):
        assert reverse("dialogue:my_registration_cancel", args=[registration.pk]) in block
    assert re.search(r'name="next"\s+value="/compte/#inscriptions"', block)


def test_cancelling_from_my_space_frees_the_seat_and_comes_back(client, actors):
    resident = actors["resident"]
    meeting = MeetingFactory(capacity=1)
    mine = RegistrationFactory(meeting=meeting, user=resident, email=resident.email)
    next_in_line = RegistrationFactory(
        meeting=meeting, status=RegistrationStatus.WAITLISTED, waitlisted_at=timezone.now()
    )
    actors.login(client, "resident")
    response = client.post(
        reverse("dialogue:my_registration_cancel", args=[mine.pk]),
        {"next": "/compte/#inscriptions"},
    )
    assert response.status_code == 302
    assert response.url == "/compte/#inscriptions"
    mine.refresh_from_db()
    next_in_line.refresh_from_db()
    assert mine.status == RegistrationStatus.CANCELLED
    assert next_in_line.status == RegistrationStatus.CONFIRMED
    assert meeting.title not in section(page_of(client), "inscriptions")


def test_cancelling_someone_elses_registration_is_a_404(client, actors):
    other = RegistrationFactory(user=UserFactory())
    actors.login(client, "resident")
    response = client.post(reverse("dialogue:my_registration_cancel", args=[other.pk]))
    assert response.status_code == 404
    other.refresh_from_db()
    assert other.status == RegistrationStatus.CONFIRMED


def test_a_started_meeting_has_no_cancel_button(client, actors):
    resident = actors["resident"]
    start = timezone.now() - timedelta(minutes=30)
    live = MeetingFactory(title="En cours", starts_at=start, ends_at=start + timedelta(hours=2))
    registration = RegistrationFactory(meeting=live, user=resident, email=resident.email)
    actors.login(client, "resident")
    block = section(page_of(client), "inscriptions")
    assert "En cours" in block
    assert reverse("dialogue:my_registration_cancel", args=[registration.pk]) not in block


# Feedback -------------------------------------------------------------------------------------


def test_meetings_attended_with_an_open_survey_are_listed(client, actors):
    resident = actors["resident"]
    attended = held(title="Conseil citoyen")
    RegistrationFactory(meeting=attended, user=resident, email=resident.email, attended=True)
    absent = held(title="Absente")
    RegistrationFactory(meeting=absent, user=resident, email=resident.email, attended=False)
    old = held(days_ago=40, title="Trop ancienne")
    RegistrationFactory(meeting=old, user=resident, email=resident.email, attended=True)
    actors.login(client, "resident")
    block = section(page_of(client), "avis")
    assert "Conseil citoyen" in block
    assert reverse("dialogue:feedback_mine", args=[attended.pk]) in block
    assert "Absente" not in block and "Trop ancienne" not in block


def test_an_account_answers_once_from_my_space(client, actors):
    resident = actors["resident"]
    meeting = held(title="Conseil citoyen")
    RegistrationFactory(meeting=meeting, user=resident, email=resident.email, attended=True)
    actors.login(client, "resident")
    url = reverse("dialogue:feedback_mine", args=[meeting.pk])
    assert client.get(url).status_code == 200
    # Nothing is created by reading the form.
    assert not FeedbackToken.objects.exists()
    assert client.post(url, VALID_FEEDBACK).status_code == 200
    assert Feedback.objects.filter(meeting=meeting).count() == 1
    # Answered: the survey leaves "Mon espace", and a second answer is refused.
    assert 'id="avis"' not in page_of(client)
    assert client.post(url, VALID_FEEDBACK).status_code == 409
    assert Feedback.objects.count() == 1


def test_the_account_survey_refuses_invalid_answers(client, actors):
    resident = actors["resident"]
    meeting = held()
    RegistrationFactory(meeting=meeting, user=resident, email=resident.email, attended=True)
    actors.login(client, "resident")
    url = reverse("dialogue:feedback_mine", args=[meeting.pk])
    response = client.post(url, {**VALID_FEEDBACK, "felt_heard": "9"})
    assert response.status_code == 400
    assert "felt_heard" in response.context["form"].errors
    assert response.context["form"]["comment"].value() == "Merci"
    assert not Feedback.objects.exists()


@pytest.mark.parametrize("case", ["not_attended", "other_account", "visitor"])
def test_the_account_survey_is_only_for_those_who_came(client, actors, case):
    resident = actors["resident"]
    meeting = held()
    RegistrationFactory(
        meeting=meeting,
        user=UserFactory() if case == "other_account" else resident,
        email="someone@example.org",
        attended=case != "not_attended",
    )
    if case != "visitor":
        actors.login(client, "resident")
    response = client.post(reverse("dialogue:feedback_mine", args=[meeting.pk]), VALID_FEEDBACK)
    assert response.status_code == (302 if case == "visitor" else 404)
    assert not Feedback.objects.exists()


def test_the_account_survey_closes_after_30_days(client, actors):
    resident = actors["resident"]
    meeting = held(days_ago=31)
    RegistrationFactory(meeting=meeting, user=resident, email=resident.email, attended=True)
    actors.login(client, "resident")
    response = client.post(reverse("dialogue:feedback_mine", args=[meeting.pk]), VALID_FEEDBACK)
    assert response.status_code == 410
    assert not Feedback.objects.exists()


def test_the_emailed_link_and_my_space_are_one_answer(client, actors, mailoutbox, on_commit):
    """An account's invitation carries its own token: answered by email, "Mon espace" knows it."""
    resident = actors["resident"]
    meeting = held()
    RegistrationFactory(meeting=meeting, user=resident, email=resident.email, attended=True)
    RegistrationFactory(meeting=meeting, email="guest@example.org", attended=True)
    with on_commit():
        assert feedback_invitations_send(meeting) == 2
    token = account_feedback_token(meeting_id=meeting.pk, user_id=resident.pk)
    [to_resident] = [m for m in mailoutbox if m.to == [resident.email]]
    assert reverse("dialogue:feedback", args=[token]) in to_resident.body
    [to_guest] = [m for m in mailoutbox if m.to == ["guest@example.org"]]
    assert token not in to_guest.body
    assert FeedbackToken.objects.filter(meeting=meeting).count() == 2

    assert (
        client.post(reverse("dialogue:feedback", args=[token]), VALID_FEEDBACK).status_code == 200
    )
    actors.login(client, "resident")
    assert 'id="avis"' not in page_of(client)
    url = reverse("dialogue:feedback_mine", args=[meeting.pk])
    assert client.post(url, VALID_FEEDBACK).status_code == 409
    assert Feedback.objects.count() == 1


def test_answered_from_my_space_first_no_invitation_is_sent(client, actors, mailoutbox, on_commit):
    resident = actors["resident"]
    meeting = held(days_ago=0.2)
    RegistrationFactory(meeting=meeting, user=resident, email=resident.email, attended=True)
    actors.login(client, "resident")
    client.post(reverse("dialogue:feedback_mine", args=[meeting.pk]), VALID_FEEDBACK)
    with on_commit():
        assert feedback_invitations_send(meeting) == 0
    assert mailoutbox == []


# Questions ------------------------------------------------------------------------------------


def asked(user, text: str, **fields):
    """A question of `user`, received (its first step written, as the intake services do)."""
    question = QuestionFactory(asked_by=user, text=text, **fields)
    record_question_event(
        question=question, kind=QuestionEventKind.RECEIVED, due_on=question.due_on
    )
    return question


def test_my_questions_with_status_due_date_and_dated_history(client, actors):
    resident, staff = actors["resident"], actors["referent_tours"]
    organisation = actors.organisation  # Tours Habitat
    organisation.qpvs.add(actors.sanitas)
    forwarded = asked(resident, "Quand l'ascenseur sera-t-il réparé ?")
    question_services.question_route(question=forwarded, organisation=organisation, by=staff)
    forwarded.refresh_from_db()
    new_due = forwarded.due_on + timedelta(days=15)
    question_services.question_extend_due_date(
        question=forwarded, new_due_on=new_due, reason="Le bailleur attend un devis.", by=staff
    )
    answered = asked(resident, "Le square rouvre-t-il ?")
    question_services.answer_save(question=answered, text="Au printemps.", by=staff, publish=True)
    closed = asked(resident, "Pourquoi pas de bus le dimanche ?")
    question_services.question_close(
        question=closed, reason="Hors des compétences du quartier.", by=staff
    )
    asked(UserFactory(), "La question d'un autre ?")

    actors.login(client, "resident")
    block = section(page_of(client), "questions")
    assert "Quand l&#x27;ascenseur sera-t-il réparé ?" in block
    assert "Transmise à la structure" in block  # the status
    assert "Tours Habitat" in block
    assert "Le bailleur attend un devis." in block
    assert date_format(new_due, "j F Y") in block
    assert "Hors des compétences du quartier." in block
    assert "La question d&#x27;un autre ?" not in block
    assert answered.get_absolute_url() in block
    # Each step is dated.
    assert block.count('<time datetime="') >= 7


def test_questions_i_follow(client, actors):
    question = QuestionFactory(text="Le marché revient-il le samedi ?", asked_by=UserFactory())
    question_services.question_follow(user=actors["resident"], question=question)
    QuestionFactory(text="Une question que je ne suis pas ?")
    actors.login(client, "resident")
    block = section(page_of(client), "questions")
    assert "Le marché revient-il le samedi ?" in block
    assert question.get_absolute_url() in block
    assert "Une question que je ne suis pas ?" not in block


# Ideas and fund applications ------------------------------------------------------------------


def test_my_ideas_with_their_moderation_and_reason(client, actors):
    resident = actors["resident"]
    common = {"proposed_by": resident, "origin": ProjectOrigin.ONLINE}
    ProjectFactory(title="Boîte à livres", moderation=ModerationStatus.PENDING, **common)
    ProjectFactory(
        title="Fresque",
        moderation=ModerationStatus.REJECTED,
        rejected_reason="Le mur appartient à un particulier.",
        **common,
    )
    ProjectFactory(
        title="Jardin", moderation=ModerationStatus.PUBLISHED, stage=ProjectStage.IDEA, **common
    )
    ProjectFactory(title="Idée d'une autre", origin=ProjectOrigin.ONLINE, proposed_by=UserFactory())
    actors.login(client, "resident")
    block = section(page_of(client), "idees")
    for title in ("Boîte à livres", "Fresque", "Jardin"):
        assert title in block
    assert "Le mur appartient à un particulier." in block
    assert "En attente de modération" in block
    assert "Idée d&#x27;une autre" not in block


def test_my_fund_applications_with_committee_decision_and_payments(client, actors):
    resident = actors["resident"]
    committee = held(days_ago=10)
    granted = GrantApplicationFactory(
        envelope=envelope(),
        submitted_by=resident,
        title="Fête des voisins",
        status=GrantStatus.GRANTED,
        amount_requested=Decimal("1500"),
        amount_granted=Decimal("1200"),
        decision_meeting=committee,
        decision_reason="Le budget de la sono est réduit.",
        decided_at=timezone.now(),
    )
    GrantPayment.objects.create(application=granted, amount=Decimal("600"))
    GrantPayment.objects.create(application=granted, amount=Decimal("300.50"))
    GrantApplicationFactory(
        envelope=envelope(),
        submitted_by=resident,
        title="Sortie à la mer",
        status=GrantStatus.REFUSED,
        decision_reason="Hors du cadre du fonds.",
    )
    GrantApplicationFactory(
        envelope=envelope(),
        submitted_by=resident,
        title="Tournoi de foot",
        file_status="incomplete",
        missing_pieces="Le devis des maillots.",
    )
    GrantApplicationFactory(
        envelope=envelope(), submitted_by=UserFactory(), title="Demande d'un autre"
    )
    actors.login(client, "resident")
    block = section(page_of(client), "fph")
    assert "Fête des voisins" in block and "Sortie à la mer" in block
    assert "Tournoi de foot" in block and "Demande d&#x27;un autre" not in block
    assert "Accordée" in block
    assert "1\u00a0200" in block
    assert "Le budget de la sono est réduit." in block
    assert "Hors du cadre du fonds." in block
    assert committee.starts_at.strftime("%Y") in block
    assert "600" in block and "300,50" in block
    assert "900,50" in block
    # Complete or not, and what is missing (checked before the committee).
    assert "Incomplet. Ce qui manque :" in block and "Le devis des maillots." in block


# Settings and roles ---------------------------------------------------------------------------


def test_settings_links_are_kept(client, actors):
    actors.login(client, "resident")
    block = section(page_of(client), "parametres")
    for name in ("account_email", "account_change_password", "mfa_index", "my_data"):
        assert reverse(name) in block
    assert reverse("account_logout") in block


def test_staff_see_their_roles_and_the_staff_area(client):
    from qpv.models import Commune

    user = UserFactory()
    grant(user, Role.REFERENT, commune=Commune.objects.get(slug="tours"))
    client.force_login(user)
    block = section(page_of(client), "roles")
    assert "Tours" in block
    assert reverse("dialogue:staff_home") in block


# Bounded queries ------------------------------------------------------------------------------


def _give_everything(user, k: int) -> None:
    """One more of every kind the page lists, for `user`."""
    today = timezone.localdate()
    organisation = OrganisationFactory()
    meeting = MeetingFactory(capacity=1)
    RegistrationFactory(meeting=meeting)
    RegistrationFactory(
        meeting=meeting,
        user=user,
        email=user.email,
        status=RegistrationStatus.WAITLISTED,
        waitlisted_at=timezone.now(),
    )
    RegistrationFactory(meeting=MeetingFactory(), user=user, email=user.email)
    RegistrationFactory(meeting=held(), user=user, email=user.email, attended=True)
    question = QuestionFactory(
        asked_by=user,
        organisation=organisation,
        status=QuestionStatus.ANSWERED,
        received_on=today - timedelta(days=5),
        answered_on=today,
        forwarded_at=timezone.now() - timedelta(days=4),
    )
    AnswerFactory(question=question, status=AnswerStatus.PUBLISHED, published_at=timezone.now())
    record_question_event(question=question, kind=QuestionEventKind.RECEIVED)
    record_question_event(
        question=question, kind=QuestionEventKind.FORWARDED, organisation=organisation
    )
    for days in (1, 2):
        change = DueDateChange.objects.create(
            question=question,
            previous_due_on=today + timedelta(days=days),
            new_due_on=today + timedelta(days=days + 1),
            reason=f"Raison {k}",
        )
        record_question_event(
            question=question, kind=QuestionEventKind.DUE_DATE_EXTENDED, due_date_change=change
        )
    record_question_event(question=question, kind=QuestionEventKind.ANSWERED)
    question_services.question_follow(
        user=user, question=QuestionFactory(organisation=organisation, asked_by=UserFactory())
    )
    ProjectFactory(
        proposed_by=user, origin=ProjectOrigin.ONLINE, moderation=ModerationStatus.PENDING
    )
    application = GrantApplicationFactory(
        envelope=envelope(),
        submitted_by=user,
        status=GrantStatus.GRANTED,
        amount_granted=Decimal("1000"),
        decision_meeting=held(days_ago=5),
        decided_at=timezone.now(),
    )
    for _index in range(2):
        GrantPayment.objects.create(application=application, amount=Decimal("100"))


@pytest.mark.parametrize("count", [1, 6])
def test_my_space_queries_do_not_grow(client, actors, django_assert_max_num_queries, count):
    resident = actors["resident"]
    for k in range(count):
        _give_everything(resident, k)
    actors.login(client, "resident")
    client.get(URL)  # the session's first read
    with django_assert_max_num_queries(14):
        page = page_of(client)
    assert page.count('class="card mb-2 my-space-item"') >= 6 * count
    assert page.count('<time datetime="') >= 5 * count
