"""Guests' personal data are purged after the retention delay; the indicators do not change."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.conf import settings
from django.utils import timezone

from dialogue.models import ComebackInvitation, MeetingStatus, Registration
from dialogue.services.retention import PURGED_DOMAIN, pseudonym, purge_guest_personal_data
from evaluation.computations import compute
from evaluation.indicators import Period, Scope
from notifications.models import OptOutSource, SmsOptOut
from notifications.services import sms_opt_out
from questions.services import purge_guest_question_contacts
from tests.dialogue.factories import MeetingFactory, RegistrationFactory
from tests.participation.factories import UserFactory
from tests.questions.factories import QuestionFactory

pytestmark = pytest.mark.django_db


def test_guest_data_are_purged_after_the_delay_and_indicators_are_unchanged(settings):
    settings.GUEST_DATA_RETENTION_DAYS = 365
    now = timezone.now()
    old = now - timedelta(days=400)
    first = MeetingFactory(
        starts_at=old, ends_at=old + timedelta(hours=2), status=MeetingStatus.HELD
    )
    second = MeetingFactory(
        dialogue_space=first.dialogue_space,
        starts_at=old + timedelta(days=7),
        ends_at=old + timedelta(days=7, hours=2),
        status=MeetingStatus.HELD,
    )
    recent = MeetingFactory(dialogue_space=first.dialogue_space)
    for meeting in (first, second):
        RegistrationFactory(
            meeting=meeting, email="Awa@Example.org", name="Awa", phone="0612345678", attended=True
        )
    account = UserFactory()
    RegistrationFactory(
        meeting=first, user=account, email=account.email, name="Compte", attended=True
    )
    kept = RegistrationFactory(meeting=recent, email="recent@example.org", name="Récent")
    old_question = QuestionFactory(asker_name="Awa", asker_email="awa@example.org")
    old_question.received_on = old.date()
    old_question.save(update_fields=["received_on"])
    period = Period(start=date(2019, 1, 1), end=timezone.localdate())
    before = compute(Scope.metropole(), period)

    assert purge_guest_personal_data(now=now) == {"registrations": 2}
    assert purge_guest_question_contacts(now=now) == {"questions": 1}
    purged = Registration.objects.filter(user__isnull=True, meeting__in=[first, second])
    assert {r.name for r in purged} == {""}
    assert {r.phone for r in purged} == {""}
    emails = {r.email for r in purged}
    assert len(emails) == 1 and emails.pop().endswith(PURGED_DOMAIN)
    assert Registration.objects.get(user=account).name == "Compte"
    kept.refresh_from_db()
    assert kept.name == "Récent"
    old_question.refresh_from_db()
    assert (old_question.asker_name, old_question.asker_email) == ("", "")
    assert compute(Scope.metropole(), period) == before
    assert purge_guest_personal_data(now=now) == {"registrations": 0}
    assert purge_guest_question_contacts(now=now) == {"questions": 0}


def test_both_purges_run_every_night():
    schedule = settings.CELERY_BEAT_SCHEDULE
    tasks = {entry["task"] for entry in schedule.values()}
    assert {
        "dialogue.tasks.purge_guest_personal_data",
        "questions.tasks.purge_guest_question_contacts",
    } <= tasks


def _past_meeting(days: int):
    old = timezone.now() - timedelta(days=days)
    return MeetingFactory(
        starts_at=old, ends_at=old + timedelta(hours=2), status=MeetingStatus.HELD
    )


def test_a_stop_goes_with_the_number_unless_a_later_registration_still_gives_it(settings):
    settings.GUEST_DATA_RETENTION_DAYS = 365
    old, recent = _past_meeting(400), MeetingFactory()
    RegistrationFactory(meeting=old, email="", name="Awa", phone="+33612345678")
    RegistrationFactory(meeting=old, email="", name="Binta", phone="+33698765432")
    RegistrationFactory(meeting=recent, email="", name="Binta", phone="+33698765432")
    for number in ("+33612345678", "+33698765432"):
        sms_opt_out(phone=number, source=OptOutSource.KEYWORD)
    purge_guest_personal_data()
    # Awa's number is held nowhere now; Binta's still is, and her STOP still protects it.
    assert list(SmsOptOut.objects.values_list("phone", flat=True)) == ["+33698765432"]


def test_the_come_back_invitations_of_purged_guests_are_pseudonymised(settings):
    settings.GUEST_DATA_RETENTION_DAYS = 365
    old, recent = _past_meeting(400), MeetingFactory()
    RegistrationFactory(meeting=old, email="awa@example.org")
    RegistrationFactory(meeting=old, email="binta@example.org")
    RegistrationFactory(meeting=recent, email="binta@example.org")
    for email in ("awa@example.org", "binta@example.org"):
        ComebackInvitation.objects.create(email=email, meeting=recent)
    purge_guest_personal_data()
    emails = set(ComebackInvitation.objects.values_list("email", flat=True))
    # Binta registered again since: her invitation keeps counting for her ("one a month").
    assert emails == {pseudonym("awa@example.org"), "binta@example.org"}
