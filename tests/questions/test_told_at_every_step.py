"""Told at every step (issue 17, item 3, questions): accepted, passed on, due date extended,
answered, closed, not published: each change sends one message to whoever asked, by email and/or
SMS as they chose, linking to "Mon espace"; none when they turned it off; followers hear of the
answer."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from notifications.models import ContactPreference, TextMessage
from questions import services
from questions.models import QuestionStatus
from tests.participation.factories import UserFactory
from tests.qpv.factories import OrganisationFactory
from tests.questions.factories import QuestionFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def resident():
    return UserFactory(full_name="Awa Diallo", email="awa@example.org")


@pytest.fixture
def staff(actors):
    return actors["referent_tours"]


def asked_by(user, **fields):
    fields.setdefault("status", QuestionStatus.RECEIVED)
    return QuestionFactory(
        asked_by=user,
        asker_email=user.email,
        asker_name=user.full_name,
        text="Quand l'ascenseur de la tour 7 sera-t-il réparé ?",
        **fields,
    )


def moderated(question, staff):
    return services.question_moderate(question=question, accept=True, by=staff)


def routed(question, staff):
    organisation = OrganisationFactory(name="Régie de quartier")
    organisation.qpvs.add(question.qpv)
    return services.question_route(question=question, organisation=organisation, by=staff)


def extended(question, staff):
    return services.question_extend_due_date(
        question=question,
        new_due_on=question.due_on + timedelta(days=15),
        reason="Le devis de l'ascensoriste arrive le 20.",
        by=staff,
    )


def answered(question, staff):
    return services.answer_save(
        question=question, text="Réparé le 3 décembre.", by=staff, publish=True
    )


def closed(question, staff):
    return services.question_close(
        question=question, reason="La question porte sur une copropriété privée.", by=staff
    )


def rejected(question, staff):
    return services.question_moderate(
        question=question, accept=False, reason="Propos injurieux.", by=staff
    )


# (the change, the status before it, what the email says)
EVENTS = {
    "accepted": (moderated, QuestionStatus.MODERATION, "accepté"),
    "passed on": (routed, QuestionStatus.RECEIVED, "transmise à Régie de quartier"),
    "due date extended": (extended, QuestionStatus.RECEIVED, "Le devis de l'ascensoriste"),
    "answered": (answered, QuestionStatus.RECEIVED, "Réparé le 3 décembre."),
    "closed": (closed, QuestionStatus.RECEIVED, "copropriété privée"),
    "not published": (rejected, QuestionStatus.MODERATION, "Propos injurieux."),
}


@pytest.mark.parametrize("event", list(EVENTS))
def test_each_change_sends_one_email_to_the_account(event, resident, staff, on_commit, mailoutbox):
    change, status, said = EVENTS[event]
    question = asked_by(resident, status=status)
    with on_commit():
        change(question, staff)
    to_asker = [message for message in mailoutbox if message.to == ["awa@example.org"]]
    assert len(to_asker) == 1, [message.subject for message in mailoutbox]
    body = to_asker[0].body
    assert said in body
    assert "/compte/#questions" in body
    assert "Awa Diallo" in body  # "Bonjour Awa Diallo,"


@pytest.mark.parametrize("event", list(EVENTS))
def test_each_change_sends_an_sms_to_those_who_chose_it_and_no_email_when_turned_off(
    event, resident, staff, on_commit, mailoutbox
):
    ContactPreference.objects.create(
        user=resident,
        email_updates=False,
        phone="+33612345678",
        sms_updates=True,
        sms_consent_at=timezone.now(),
    )
    change, status, _said = EVENTS[event]
    question = asked_by(resident, status=status)
    with on_commit():
        change(question, staff)
    assert [m for m in mailoutbox if m.to == ["awa@example.org"]] == []
    texts = list(TextMessage.objects.filter(phone="+33612345678"))
    assert len(texts) == 1
    assert "ascenseur" in texts[0].text
    assert texts[0].text.endswith("/compte/#questions")


def test_a_guest_hears_at_the_address_confirmed(staff, on_commit, mailoutbox):
    question = QuestionFactory(status=QuestionStatus.RECEIVED, asker_email="invite@example.org")
    with on_commit():
        routed(question, staff)
    to_guest = [message for message in mailoutbox if message.to == ["invite@example.org"]]
    assert len(to_guest) == 1
    assert "/compte/" not in to_guest[0].body


def test_a_question_noted_at_a_meeting_without_contact_tells_nobody(staff, on_commit, mailoutbox):
    question = QuestionFactory(status=QuestionStatus.RECEIVED, asker_email="", asker_name="")
    with on_commit():
        routed(question, staff)
    assert all(message.to != [""] for message in mailoutbox)
    assert TextMessage.objects.count() == 0


def test_followers_hear_of_the_answer(resident, staff, on_commit, mailoutbox):
    question = asked_by(resident)
    follower = UserFactory(email="voisin@example.org", full_name="Karim Benali")
    services.question_follow(user=follower, question=question)
    with on_commit():
        answered(question, staff)
    to_follower = [message for message in mailoutbox if message.to == ["voisin@example.org"]]
    assert len(to_follower) == 1
    assert "Une question que vous suivez a une réponse" in to_follower[0].body


def test_a_refused_change_sends_nothing(resident, staff, on_commit, mailoutbox):
    question = asked_by(resident, status=QuestionStatus.ANSWERED)
    with on_commit(), pytest.raises(services.QuestionError):
        routed(question, staff)
    assert [m for m in mailoutbox if m.to == ["awa@example.org"]] == []


def test_the_sms_is_written_in_the_gsm_alphabet_and_fits_two_messages(resident, staff, on_commit):
    """«», … and ê would make it UCS-2 (70 characters a message): folded to GSM-7."""
    ContactPreference.objects.create(
        user=resident, phone="+33612345678", sms_updates=True, sms_consent_at=timezone.now()
    )
    question = asked_by(resident)
    with on_commit():
        routed(question, staff)
    [text] = TextMessage.objects.filter(phone="+33612345678")
    assert text.encoding == "gsm7"
    assert text.segments <= 2
    assert "«" not in text.text and '"Quand' in text.text and '... "' not in text.text
