"""The SMS of meetings (issue 17, item 4): the reminder the day before per each person's choice,
a change or a cancellation, the guest purge, and the figures with guests registered by number.

The SMS are the rows of the real outbox (notifications.TextMessage) in PostgreSQL."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.utils import timezone

from dialogue import emails
from dialogue.models import MeetingStatus, Registration, RegistrationStatus
from dialogue.selectors.attendance import attendance_summary
from dialogue.services.meetings import meeting_cancel, meeting_update
from dialogue.services.retention import PURGED_DOMAIN, pseudonym, purge_guest_personal_data
from evaluation.computations import compute
from evaluation.indicators import Period, Scope
from notifications.gsm import GSM7, describe_length, encoding_of, gsm7
from notifications.models import ContactPreference, TextKind, TextMessage
from notifications.sms import queue_sms
from tests.dialogue.factories import DialogueSpaceFactory, MeetingFactory, RegistrationFactory
from tests.participation.factories import UserFactory

pytestmark = pytest.mark.django_db

PARIS = ZoneInfo("Europe/Paris")
# The registrant list (tests/whole_site/test_query_bounds.py pins the same page).
EXPECTED_REGISTRANT_QUERIES = 6


def paris(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=PARIS)


def texts_to(number: str) -> list[str]:
    return list(
        TextMessage.objects.filter(phone=number).order_by("pk").values_list("text", flat=True)
    )


def account(*, phone: str = "", email_reminders: bool = True, sms_reminders: bool = False):
    user = UserFactory()
    ContactPreference.objects.create(
        user=user,
        phone=phone,
        email_reminders=email_reminders,
        sms_reminders=sms_reminders,
        sms_consent_at=timezone.now() if sms_reminders else None,
    )
    return user


# The reminder the day before -------------------------------------------------------------------


@pytest.fixture
def tomorrow_meeting():
    today = (timezone.localtime() + timedelta(days=10)).date()
    tomorrow = today + timedelta(days=1)
    meeting = MeetingFactory(
        title="Café des habitants : la rénovation de la place",
        starts_at=paris(tomorrow, 18, 30),
        ends_at=paris(tomorrow, 20, 30),
        venue="Centre social Pluriel(le)s",
        address="10 place Saint-Paul, 37000 Tours",
    )
    # When the beat runs: the day before, at 10:00.
    meeting.reminded_at = paris(today, 10)
    return meeting


def test_reminders_go_by_email_and_sms_as_each_person_chose(
    tomorrow_meeting, mailoutbox, django_capture_on_commit_callbacks
):
    meeting = tomorrow_meeting
    sms_only = account(phone="0611111111", email_reminders=False, sms_reminders=True)
    both = account(phone="06 22 22 22 22", sms_reminders=True)
    email_only = account(phone="0633333333")  # a number, but no consent to SMS reminders
    neither = account(email_reminders=False)
    never_asked = UserFactory()  # no preferences yet: email only
    for user in (sms_only, both, email_only, neither, never_asked):
        RegistrationFactory(meeting=meeting, user=user, email=user.email)
    guest_consent = RegistrationFactory(
        meeting=meeting, email="g1@example.org", phone="+33644444444", sms_reminders=True
    )
    guest_phone_no_consent = RegistrationFactory(
        meeting=meeting, email="g2@example.org", phone="+33655555555"
    )
    RegistrationFactory(meeting=meeting, email="", phone="+33666666666", sms_reminders=True)
    phone_only_no_consent = RegistrationFactory(meeting=meeting, email="", phone="+33677777777")

    with django_capture_on_commit_callbacks(execute=True):
        assert emails.send_meeting_reminders(now=meeting.reminded_at) == 7
    assert sorted(m.to[0] for m in mailoutbox) == sorted(
        [
            both.email,
            email_only.email,
            never_asked.email,
            guest_consent.email,
            guest_phone_no_consent.email,
        ]
    )
    reminders = TextMessage.objects.filter(topic=TextKind.REMINDERS, meeting=meeting)
    assert sorted(reminders.values_list("phone", flat=True)) == [
        "+33611111111",
        "+33622222222",
        "+33644444444",
        "+33666666666",
    ]
    (text,) = texts_to("+33666666666")
    assert text.startswith("Rappel : Café des habitants")
    assert "demain à 18h30" in text
    assert "Centre social Pluriel(le)s" in text
    assert f"{settings.SITE_URL}/rencontres/{meeting.pk}/" in text
    assert encoding_of(text) == GSM7
    assert describe_length(text).segments == 1
    # Every confirmed registration is marked: reminded or not, it was decided once.
    assert not Registration.objects.filter(reminder_sent_at__isnull=True).exists()
    assert phone_only_no_consent.reminder_sent_at is None  # the object as created
    assert not texts_to("+33677777777")

    # A second run (or a doubled beat) sends nothing more.
    mailoutbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        assert emails.send_meeting_reminders(now=meeting.reminded_at + timedelta(hours=1)) == 0
    assert mailoutbox == []
    assert reminders.count() == 4


def test_one_reminder_sms_per_registration_even_if_the_guard_is_reset(tomorrow_meeting):
    meeting = tomorrow_meeting
    RegistrationFactory(meeting=meeting, email="", phone="+33666666666", sms_reminders=True)
    emails.send_meeting_reminders(now=meeting.reminded_at)
    Registration.objects.update(reminder_sent_at=None)
    emails.send_meeting_reminders(now=meeting.reminded_at)
    assert len(texts_to("+33666666666")) == 1


def test_a_moved_meeting_is_reminded_again_at_its_new_date(tomorrow_meeting):
    meeting = tomorrow_meeting
    RegistrationFactory(meeting=meeting, email="", phone="+33666666666", sms_reminders=True)
    emails.send_meeting_reminders(now=meeting.reminded_at)
    staff = UserFactory()
    meeting_update(
        meeting=meeting,
        by=staff,
        starts_at=meeting.starts_at + timedelta(days=1),
        ends_at=meeting.ends_at + timedelta(days=1),
    )
    emails.send_meeting_reminders(now=meeting.reminded_at + timedelta(days=1))
    texts = texts_to("+33666666666")
    assert [text.split(" ")[0] for text in texts] == ["Rappel", "Changement", "Rappel"]


@pytest.mark.parametrize("by_phone", [False, True])
def test_registrant_list_queries_are_the_same_with_guests_registered_by_number(
    client, actors, django_assert_num_queries, by_phone
):
    """The staff's list and CSV: a guest by number costs no query more than one by email."""
    from django.urls import reverse

    meeting = MeetingFactory(dialogue_space=actors.space)
    for n in range(5):
        contact = {"email": "", "phone": f"+336000000{n:02d}"} if by_phone else {}
        RegistrationFactory(meeting=meeting, **contact)
    actors.login(client, "referent_tours")
    url = reverse("dialogue:meeting_registrations", args=[meeting.pk])
    client.get(url)  # the session's first read
    with django_assert_num_queries(EXPECTED_REGISTRANT_QUERIES):
        response = client.get(url)
    assert response.status_code == 200
    if by_phone:
        page = response.content.decode()
        # A link to call, the number never printed on the screen (issue 17); the CSV has it.
        assert 'href="tel:+33600000004"' in page
        assert "06 00 00 00 04" not in page
        assert 'href="mailto:"' not in page
        csv = client.get(url, {"format": "csv"}).content.decode("utf-8-sig")
        assert ";06 00 00 00 04;" in csv


# A change, a cancellation ----------------------------------------------------------------------


@pytest.fixture
def meeting():
    return MeetingFactory(title="Atelier jardin partagé", venue="Maison de quartier")


def test_a_change_of_time_or_place_is_texted_to_those_who_gave_a_number(meeting, mailoutbox):
    chose_sms = account(phone="0611111111", sms_reminders=True)
    no_sms = account(phone="0622222222")
    for user in (chose_sms, no_sms):
        RegistrationFactory(meeting=meeting, user=user, email=user.email)
    RegistrationFactory(meeting=meeting, email="g@example.org", phone="+33633333333")
    RegistrationFactory(
        meeting=meeting, email="", phone="+33644444444", status=RegistrationStatus.WAITLISTED
    )
    # A family's phone given twice: one SMS.
    RegistrationFactory(meeting=meeting, email="a@example.org", phone="+33655555555")
    RegistrationFactory(meeting=meeting, email="b@example.org", phone="+33655555555")
    # Not told: a guest still pending, a cancelled registration, an old landline.
    RegistrationFactory(
        meeting=meeting, email="", phone="+33666666666", status=RegistrationStatus.PENDING
    )
    RegistrationFactory(
        meeting=meeting, email="", phone="+33677777777", status=RegistrationStatus.CANCELLED
    )
    RegistrationFactory(meeting=meeting, email="fixe@example.org", phone="02 47 00 00 00")

    meeting_update(meeting=meeting, by=UserFactory(), venue="Salle Jacques Brel")
    assert sorted(TextMessage.objects.values_list("phone", flat=True)) == [
        "+33611111111",
        "+33633333333",
        "+33644444444",
        "+33655555555",
    ]
    (text,) = texts_to("+33644444444")
    assert text.startswith("Changement : Atelier jardin partagé")
    assert "Salle Jacques Brel" in text
    assert encoding_of(text) == GSM7
    # Untouched fields tell nobody.
    TextMessage.objects.all().delete()
    meeting_update(meeting=meeting, by=UserFactory(), agenda="Ordre du jour précisé")
    assert not TextMessage.objects.exists()


def test_a_cancellation_is_texted_pending_guests_included(meeting):
    RegistrationFactory(meeting=meeting, email="", phone="+33611111111")
    RegistrationFactory(
        meeting=meeting, email="", phone="+33622222222", status=RegistrationStatus.PENDING
    )
    RegistrationFactory(meeting=meeting, email="g@example.org", phone="+33633333333")
    meeting_cancel(meeting=meeting, reason="Salle indisponible", by=UserFactory())
    assert sorted(TextMessage.objects.values_list("phone", flat=True)) == [
        "+33611111111",
        "+33622222222",
        "+33633333333",
    ]
    (text,) = texts_to("+33611111111")
    assert text.startswith("Annulé : Atelier jardin partagé")
    assert f"/rencontres/{meeting.pk}/" in text


def test_texts_fold_to_the_gsm_alphabet():
    # é, è, à, ù and the capital Ç are GSM-7; ê, ç, ’, « », —, · and … are not.
    assert gsm7("Fête de l’été « Ça bouge » — inscrit·e… ça") == (
        'Fete de l\'été "Ça bouge" - inscrit-e... ca'
    )
    # The space inside French quotes goes with them (plain or non-breaking).
    assert gsm7("«\u00a0oui\u00a0» et «\u202fnon\u202f»") == '"oui" et "non"'


# The guest purge -------------------------------------------------------------------------------


def test_the_purge_clears_phones_and_keeps_phone_only_guests_countable(settings):
    settings.GUEST_DATA_RETENTION_DAYS = 365
    now = timezone.now()
    old = now - timedelta(days=400)
    space = DialogueSpaceFactory()
    first, second = (
        MeetingFactory(
            dialogue_space=space,
            starts_at=old + timedelta(days=days),
            ends_at=old + timedelta(days=days, hours=2),
            status=MeetingStatus.HELD,
        )
        for days in (0, 7)
    )
    for meeting in (first, second):
        RegistrationFactory(
            meeting=meeting, email="", phone="+33612345678", name="Awa", attended=True
        )
    RegistrationFactory(
        meeting=first, email="g@example.org", phone="+33698765432", name="G", attended=True
    )
    # The SMS of those days: the reminder of the old meeting goes with the number; one about a
    # later meeting (the same number registered again) stays.
    old_sms = queue_sms(
        phone="0612345678", text="Rappel", topic=TextKind.REMINDERS, meeting_id=second.pk
    )
    later = MeetingFactory(dialogue_space=space)
    RegistrationFactory(meeting=later, email="", phone="+33612345678")
    later_sms = queue_sms(
        phone="+33612345678", text="Rappel", topic=TextKind.REMINDERS, meeting_id=later.pk
    )
    period = Period(start=date(2019, 1, 1), end=timezone.localdate())
    before = compute(Scope.metropole(), period)

    assert purge_guest_personal_data(now=now) == {"registrations": 3}
    old_sms.refresh_from_db()
    later_sms.refresh_from_db()
    assert (old_sms.phone, old_sms.text) == ("", "")
    assert later_sms.phone == "+33612345678"
    purged = list(Registration.objects.exclude(meeting=later))
    assert {r.phone for r in purged} == {""}
    assert {r.name for r in purged} == {""}
    assert all(r.email.endswith(f"@{PURGED_DOMAIN}") for r in purged)
    assert {r.email for r in purged if r.meeting_id == second.pk} == {pseudonym("+33612345678")}
    assert compute(Scope.metropole(), period) == before
    # A second run finds nothing more to purge.
    assert purge_guest_personal_data(now=now) == {"registrations": 0}


# The figures: guests registered by number are people too ---------------------------------------


def test_indicators_count_phone_only_registrants_by_their_number():
    space = DialogueSpaceFactory()
    start = paris(date(2026, 2, 2), 18)
    meetings = [
        MeetingFactory(
            dialogue_space=space,
            starts_at=start + timedelta(days=7 * n),
            ends_at=start + timedelta(days=7 * n, hours=2),
            status=MeetingStatus.HELD,
        )
        for n in range(2)
    ]
    # Meeting 1: two people by number, one by email. Meeting 2: one of them again (by number),
    # and somebody new by number. Blank emails must not make them one person.
    for phone in ("+33611111111", "+33622222222"):
        RegistrationFactory(meeting=meetings[0], email="", phone=phone, attended=True)
    RegistrationFactory(meeting=meetings[0], email="Awa@Example.org", attended=True)
    RegistrationFactory(meeting=meetings[1], email="", phone="+33611111111", attended=True)
    RegistrationFactory(meeting=meetings[1], email="awa@example.org", attended=True)
    RegistrationFactory(meeting=meetings[1], email="", phone="+33633333333", attended=True)

    values = compute(Scope.metropole(), Period(date(2026, 1, 1), date(2026, 3, 31)))
    assert values["residents_distinct"] == 4  # 3 numbers and 1 address
    assert values["first_time"] == 4
    assert values["returning"] == 2
    assert values["return_rate"] == 50.0  # 2 of the 4 came twice
    first, second = (attendance_summary(meeting) for meeting in meetings)
    assert (first.first_time, first.returning) == (3, 0)
    assert (second.first_time, second.returning) == (1, 2)
