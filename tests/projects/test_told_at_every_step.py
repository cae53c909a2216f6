"""Told at every step (issue 17, item 3, projects): an idea accepted or declined, a fund application
decided (granted with its amount, refused with its reason), a payment recorded: each sends one short
message (notifications.notify_resident) to whoever gave it, and none when the resident turned the
emails of updates off. No other email for the same event (the older decision emails are gone)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from dialogue.models import MeetingStatus
from notifications.models import ContactPreference
from projects.models import GrantStatus, ModerationStatus, ProjectOrigin
from projects.services import fund as fund_services
from projects.services import projects as project_services
from tests.dialogue.factories import MeetingFactory
from tests.participation.factories import UserFactory
from tests.projects.factories import FundEnvelopeFactory, GrantApplicationFactory, ProjectFactory

pytestmark = pytest.mark.django_db

D = Decimal


@pytest.fixture
def resident():
    return UserFactory(full_name="Awa Diallo", email="awa@example.org")


@pytest.fixture
def staff(actors):
    return actors["referent_tours"]


def emails_off(user) -> None:
    ContactPreference.objects.create(user=user, email_updates=False)


def idea(resident, **fields):
    return ProjectFactory(
        title="Une boîte à livres",
        origin=ProjectOrigin.ONLINE,
        moderation=ModerationStatus.PENDING,
        proposed_by=resident,
        **fields,
    )


def application(resident=None, **fields):
    envelope = FundEnvelopeFactory(year=timezone.localdate().year, amount=D("10000"))
    return GrantApplicationFactory(
        envelope=envelope,
        title="Fête des voisins",
        amount_requested=D("1500"),
        contact_email="collectif@example.org",
        contact_name="Karim Benali",
        submitted_by=resident,
        **fields,
    )


def committee(actors):
    start = timezone.now() - timedelta(days=3)
    return MeetingFactory(
        dialogue_space=actors.space,
        starts_at=start,
        ends_at=start + timedelta(hours=2),
        status=MeetingStatus.HELD,
    )


# Ideas ------------------------------------------------------------------------------------------


def test_an_idea_accepted_sends_one_message(resident, staff, mailoutbox, on_commit):
    project = idea(resident)
    with on_commit():
        project_services.idea_moderate(project=project, accept=True, by=staff)
    [message] = mailoutbox
    assert message.to == ["awa@example.org"]
    assert "Votre idée est publiée" in message.subject
    assert "« Une boîte à livres » est publiée" in message.body
    assert "/compte/#idees" in message.body
    assert "Awa Diallo" in message.body


def test_an_idea_declined_sends_one_message_with_the_reason(resident, staff, mailoutbox, on_commit):
    project = idea(resident)
    with on_commit():
        project_services.idea_moderate(
            project=project, accept=False, reason="Le mur appartient à un particulier.", by=staff
        )
    [message] = mailoutbox
    assert message.to == ["awa@example.org"]
    assert "n’a pas été publiée" in message.body
    assert "Le mur appartient à un particulier." in message.body
    assert "/compte/#idees" in message.body


@pytest.mark.parametrize("accept", [True, False])
def test_no_idea_message_when_the_emails_are_off(resident, staff, mailoutbox, on_commit, accept):
    emails_off(resident)
    project = idea(resident)
    with on_commit():
        project_services.idea_moderate(project=project, accept=accept, reason="Non.", by=staff)
    assert mailoutbox == []


def test_a_refused_moderation_sends_nothing(resident, staff, mailoutbox, on_commit):
    project = idea(resident)
    with on_commit(), pytest.raises(project_services.ProjectError):
        project_services.idea_moderate(project=project, accept=False, reason=" ", by=staff)
    assert mailoutbox == []


# Fund applications: decisions -------------------------------------------------------------------


def test_a_grant_sends_one_message_with_the_amount(actors, resident, staff, mailoutbox, on_commit):
    applied = application(resident)
    with on_commit():
        fund_services.grant_decide(
            application=applied,
            granted=True,
            amount=D("1200"),
            reason="La sono coûte moins cher en location.",
            meeting=committee(actors),
            by=staff,
        )
    [message] = mailoutbox
    # The account that applied, as it chose (not the contact typed on the form).
    assert message.to == ["awa@example.org"]
    assert "1\u00a0200\u00a0€" in message.subject
    assert "a accordé 1\u00a0200\u00a0€ à « Fête des voisins » (1\u00a0500\u00a0€ demandés)" in (
        message.body
    )
    assert "La sono coûte moins cher en location." in message.body
    assert "/compte/#fph" in message.body


def test_a_refusal_sends_one_message_with_the_reason(resident, staff, mailoutbox, on_commit):
    applied = application(resident)
    with on_commit():
        fund_services.grant_decide(
            application=applied, granted=False, reason="Hors du cadre du fonds.", by=staff
        )
    [message] = mailoutbox
    assert message.to == ["awa@example.org"]
    assert "n’a pas retenu « Fête des voisins »" in message.body
    assert "Hors du cadre du fonds." in message.body


def test_without_an_account_the_contact_email_is_told(staff, mailoutbox, on_commit):
    applied = application(None)
    with on_commit():
        fund_services.grant_decide(application=applied, granted=True, amount=D("1500"), by=staff)
    [message] = mailoutbox
    assert message.to == ["collectif@example.org"]
    assert "Karim Benali" in message.body
    assert "/fonds/" in message.body
    assert "/compte/" not in message.body


@pytest.mark.parametrize("granted", [True, False])
def test_no_decision_message_when_the_emails_are_off(
    resident, staff, mailoutbox, on_commit, granted
):
    emails_off(resident)
    applied = application(resident)
    with on_commit():
        fund_services.grant_decide(
            application=applied,
            granted=granted,
            amount=D("1500") if granted else None,
            reason="" if granted else "Hors du cadre.",
            by=staff,
        )
    assert mailoutbox == []


# Fund applications: payments ----------------------------------------------------------------------


def granted(resident=None):
    return application(
        resident,
        status=GrantStatus.GRANTED,
        amount_granted=D("1200"),
        decided_at=timezone.now() - timedelta(days=7),  # paid after the decision
    )


def test_a_payment_sends_one_message(resident, staff, mailoutbox, on_commit):
    applied = granted(resident)
    fund_services.grant_record_payment(
        application=applied, amount=D("500"), paid_on=timezone.localdate(), by=staff
    )
    mailoutbox.clear()
    with on_commit():
        fund_services.grant_record_payment(
            application=applied,
            amount=D("300.50"),
            paid_on=timezone.localdate() - timedelta(days=1),
            by=staff,
        )
    [message] = mailoutbox
    assert message.to == ["awa@example.org"]
    assert "Versement de 300,50\u00a0€" in message.subject
    assert "En tout, 800,50\u00a0€ sur les 1\u00a0200\u00a0€ accordés sont versés." in message.body
    assert "/compte/#fph" in message.body


def test_no_payment_message_when_the_emails_are_off(resident, staff, mailoutbox, on_commit):
    emails_off(resident)
    with on_commit():
        fund_services.grant_record_payment(
            application=granted(resident), amount=D("500"), paid_on=timezone.localdate(), by=staff
        )
    assert mailoutbox == []


def test_a_refused_payment_sends_nothing(resident, staff, mailoutbox, on_commit):
    with on_commit(), pytest.raises(fund_services.FundError):
        fund_services.grant_record_payment(
            application=granted(resident), amount=D("5000"), paid_on=timezone.localdate(), by=staff
        )
    assert mailoutbox == []
