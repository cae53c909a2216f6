"""Guests registering with a mobile number instead of an email: a code by SMS, typed on the code
page (issue 17, item 4). The SMS are the rows of the real outbox (notifications.TextMessage)."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from dialogue.models import CODE_MAX_ATTEMPTS, Registration, RegistrationStatus
from dialogue.services.registrations import registration_cancel, registration_create
from notifications.gsm import GSM7, encoding_of
from notifications.models import TextKind, TextMessage
from tests.dialogue.factories import MeetingFactory, RegistrationFactory
from tests.participation.factories import UserFactory

pytestmark = pytest.mark.django_db

NUMBER = "+33612345678"


def register(client, meeting, **data):
    return client.post(reverse("dialogue:register", args=[meeting.pk]), data)


def code_page(meeting) -> str:
    return reverse("dialogue:registration_code", args=[meeting.pk])


def last_code(phone: str = NUMBER) -> str:
    message = TextMessage.objects.filter(phone=phone, topic=TextKind.CODE).order_by("pk").last()
    assert message is not None
    return re.search(r"\b(\d{6})\b", message.text).group(1)


def wrong(code: str) -> str:
    return f"{(int(code) + 1) % 10**6:06d}"


def page_of(response) -> str:
    return response.content.decode()


# The form: an email, a mobile number, or both; each refusal in French, nothing typed lost ------


def test_neither_email_nor_phone_is_refused_in_french(client):
    meeting = MeetingFactory()
    response = register(client, meeting, name="Awa Diallo", comeback_opt_in="on")
    assert response.status_code == 400
    page = page_of(response)
    assert "Indiquez votre adresse e-mail ou votre numéro de portable" in page
    assert 'value="Awa Diallo"' in page
    assert re.search(r'name="comeback_opt_in"[^>]*checked', page)
    assert not Registration.objects.exists()
    assert not TextMessage.objects.exists()


@pytest.mark.parametrize("phone", ["01 47 20 00 01", "06 12 34", "abc", "+44 7700 900123"])
def test_a_number_that_is_not_a_french_mobile_is_refused(client, phone):
    meeting = MeetingFactory()
    response = register(client, meeting, name="Karim B.", phone=phone, sms_reminders="on")
    assert response.status_code == 400
    assert set(response.context["form"].errors) == {"phone"}
    page = page_of(response)
    assert "portable" in page  # the French sentence of notifications.phones
    assert 'value="Karim B."' in page
    assert f'value="{phone}"' in page
    assert re.search(r'name="sms_reminders"[^>]*checked', page)
    assert not Registration.objects.exists()
    assert not TextMessage.objects.exists()


def test_the_meeting_page_offers_email_or_phone_and_the_unticked_sms_reminder(client):
    meeting = MeetingFactory()
    page = page_of(client.get(meeting.get_absolute_url()))
    email = re.search(r'<input[^>]*name="email"[^>]*>', page).group(0)
    assert "required" not in email
    box = re.search(r'<input[^>]*name="sms_reminders"[^>]*>', page).group(0)
    assert "checked" not in box
    assert 'class="form-check mb-3 sms-consent"' in page


# Registering by phone, end to end --------------------------------------------------------------


def test_phone_only_registration_end_to_end(client, on_commit):
    meeting = MeetingFactory(capacity=3)
    with on_commit():
        response = register(
            client, meeting, name="Fatou N.", phone="06 12 34 56 78", sms_reminders="on"
        )
    assert response.status_code == 302
    assert response.url == code_page(meeting)
    registration = Registration.objects.get(meeting=meeting)
    assert (registration.email, registration.phone) == ("", NUMBER)
    assert registration.status == RegistrationStatus.PENDING
    assert registration.sms_reminders is True
    assert registration.sms_consent_at is not None
    # The code: one SMS, sent at any hour, in GSM-7; only its hash is stored.
    (sms,) = TextMessage.objects.all()
    assert (sms.phone, sms.topic, sms.meeting_id) == (NUMBER, TextKind.CODE, meeting.pk)
    code = last_code()
    assert code not in registration.code_hash
    assert encoding_of(sms.text) == GSM7 and len(sms.text) <= 160

    page = page_of(client.get(code_page(meeting)))
    assert "06 12 34 56 78" in page
    assert 'autocomplete="one-time-code"' in page

    response = client.post(code_page(meeting), {"code": wrong(code)})
    assert response.status_code == 400
    assert "pas le bon" in page_of(response)
    assert f'value="{wrong(code)}"' in page_of(response)  # what was typed stays

    with on_commit():
        response = client.post(code_page(meeting), {"code": f"{code[:3]} {code[3:]}"})
    assert response.status_code == 302
    assert response.url == meeting.get_absolute_url()
    registration.refresh_from_db()
    assert registration.status == RegistrationStatus.CONFIRMED
    assert registration.code_hash == ""
    # The confirmation by SMS carries the link to cancel.
    confirmation = TextMessage.objects.filter(topic=TextKind.REMINDERS).get()
    assert confirmation.phone == NUMBER
    assert "/inscriptions/gerer/" in confirmation.text
    assert encoding_of(confirmation.text) == GSM7
    page = page_of(client.get(meeting.get_absolute_url()))
    assert "06 12 34 56 78" in page  # "a confirmation has been sent by SMS to ..."
    # Done: the code page no longer applies to this browser.
    assert client.get(code_page(meeting)).status_code == 302


def test_the_code_page_needs_the_session_of_the_registration(client):
    meeting = MeetingFactory()
    register(client, meeting, name="A", phone="0612345678")
    other = client.__class__()
    response = other.get(code_page(meeting))
    assert response.status_code == 302
    assert response.url == meeting.get_absolute_url()
    response = other.post(code_page(meeting), {"code": last_code()})
    assert response.status_code == 302
    assert Registration.objects.get().status == RegistrationStatus.PENDING


def test_an_expired_code_is_refused_and_a_new_one_works(client, on_commit):
    meeting = MeetingFactory()
    register(client, meeting, name="A", phone="07 12 34 56 78")
    code = last_code("+33712345678")
    Registration.objects.update(code_sent_at=timezone.now() - timedelta(minutes=16))
    response = client.post(code_page(meeting), {"code": code})
    assert response.status_code == 400
    assert "expiré" in page_of(response)
    assert f'value="{code}"' in page_of(response)
    assert Registration.objects.get().status == RegistrationStatus.PENDING
    response = client.post(code_page(meeting), {"resend": "1"})
    assert response.status_code == 302
    new = last_code("+33712345678")
    with on_commit():
        assert client.post(code_page(meeting), {"code": new}).status_code == 302
    assert Registration.objects.get().status == RegistrationStatus.CONFIRMED


def test_too_many_wrong_codes_void_the_code(client):
    meeting = MeetingFactory()
    register(client, meeting, name="A", phone="0612345678")
    code = last_code()
    for _attempt in range(CODE_MAX_ATTEMPTS):
        response = client.post(code_page(meeting), {"code": wrong(code)})
        assert response.status_code == 400
    assert "Trop de codes erronés" in page_of(response)
    # Even the right code no longer works: a new one must be asked for.
    response = client.post(code_page(meeting), {"code": code})
    assert response.status_code == 400
    assert "Trop de codes erronés" in page_of(response)
    registration = Registration.objects.get()
    assert registration.status == RegistrationStatus.PENDING
    assert registration.code_attempts == CODE_MAX_ATTEMPTS
    client.post(code_page(meeting), {"resend": "1"})
    assert client.post(code_page(meeting), {"code": last_code()}).status_code == 302
    assert Registration.objects.get().status == RegistrationStatus.CONFIRMED


@pytest.mark.parametrize("typed", ["12345", "12a456", "1234567", ""])
def test_a_code_that_is_not_six_digits_is_refused_without_using_a_try(client, typed):
    meeting = MeetingFactory()
    register(client, meeting, name="A", phone="0612345678")
    response = client.post(code_page(meeting), {"code": typed})
    assert response.status_code == 400
    assert response.context["form"].errors["code"]
    assert Registration.objects.get().code_attempts == 0


def test_codes_sent_are_rate_limited_per_number_and_per_address(client, settings):
    settings.RATE_LIMITS = {
        **settings.RATE_LIMITS,
        "registration_code": (5, 3600),
        "registration_code_number": (2, 3600),
    }
    meeting = MeetingFactory()
    for _ in range(2):
        assert register(client, meeting, name="A", phone="0612345678").status_code == 302
    # A third code to the same number: refused, in French, what was typed kept.
    response = register(client, meeting, name="Awa", phone="0612345678", sms_reminders="on")
    assert response.status_code == 429
    page = page_of(response)
    assert "Trop de codes" in page
    assert 'value="Awa"' in page and 'value="0612345678"' in page
    assert re.search(r'name="sms_reminders"[^>]*checked', page)
    # The resend button counts too.
    assert client.post(code_page(meeting), {"resend": "1"}).status_code == 429
    assert TextMessage.objects.filter(topic=TextKind.CODE).count() == 2
    # Another number from the same address: the address's own limit (every try counted, 5).
    assert register(client, meeting, name="B", phone="0698765432").status_code == 302
    assert register(client, meeting, name="C", phone="0711111111").status_code == 429
    # With an email nothing goes by SMS: no limit of codes.
    assert register(client, meeting, name="D", email="d@example.org").status_code == 302


def test_registering_again_while_pending_sends_a_new_code(client):
    meeting = MeetingFactory()
    register(client, meeting, name="A", phone="0612345678")
    first = last_code()
    response = register(client.__class__(), meeting, name="A", phone="+33 6 12 34 56 78")
    assert response.status_code == 302
    assert Registration.objects.count() == 1
    assert TextMessage.objects.filter(topic=TextKind.CODE).count() == 2
    # The first code no longer works (unless the new random code is the same, 1 in a million).
    if last_code() != first:
        assert client.post(code_page(meeting), {"code": first}).status_code == 400


def test_one_active_registration_per_number(client, on_commit):
    meeting = MeetingFactory()
    register(client, meeting, name="A", phone="0612345678")
    with on_commit():
        client.post(code_page(meeting), {"code": last_code()})
    response = register(client, meeting, name="A again", phone="06.12.34.56.78")
    assert response.status_code == 400
    assert "Ce numéro est déjà inscrit" in page_of(response)
    assert 'value="A again"' in page_of(response)
    assert Registration.objects.count() == 1
    # A number given beside an email may be shared (a family's phone).
    other = registration_create(
        meeting=meeting, name="B", email="b@example.org", phone=NUMBER, sms_reminders=True
    )
    assert other.status == RegistrationStatus.PENDING


def test_an_email_guest_may_give_a_number_and_consent_to_the_sms_reminder(client, mailoutbox):
    meeting = MeetingFactory()
    response = register(
        client,
        meeting,
        name="Léa",
        email="lea@example.org",
        phone="07 00 00 00 01",
        sms_reminders="on",
    )
    assert response.status_code == 302
    assert response.url == meeting.get_absolute_url()  # the emailed link, as before
    registration = Registration.objects.get()
    assert (registration.phone, registration.sms_reminders) == ("+33700000001", True)
    assert not TextMessage.objects.exists()


def test_the_sms_reminder_needs_a_number(client):
    meeting = MeetingFactory()
    register(client, meeting, name="Léa", email="lea@example.org", sms_reminders="on")
    registration = Registration.objects.get()
    assert (registration.sms_reminders, registration.sms_consent_at) == (False, None)


def test_phone_only_guests_hear_of_the_waiting_list_and_the_free_seat_by_sms(on_commit):
    meeting = MeetingFactory(capacity=1)
    holder = RegistrationFactory(meeting=meeting)
    guest = registration_create(meeting=meeting, name="G", phone=NUMBER)
    code = last_code()
    from dialogue.services.registrations import registration_confirm_code

    with on_commit():
        guest = registration_confirm_code(registration=guest, code=code)
    assert guest.status == RegistrationStatus.WAITLISTED
    waitlisted = TextMessage.objects.filter(topic=TextKind.REMINDERS).get()
    assert "liste d'attente" in waitlisted.text
    with on_commit():
        registration_cancel(registration=holder)
    guest.refresh_from_db()
    assert guest.status == RegistrationStatus.CONFIRMED
    promoted = TextMessage.objects.filter(topic=TextKind.REMINDERS).order_by("pk").last()
    assert "place s'est libérée" in promoted.text
    assert "/inscriptions/gerer/" in promoted.text


def test_a_guest_without_email_nor_number_is_refused_by_the_service():
    from dialogue.services.registrations import RegistrationError

    with pytest.raises(RegistrationError) as error:
        registration_create(meeting=MeetingFactory(), name="X")
    assert error.value.code == "no_contact"


def test_the_database_refuses_a_registration_without_email_nor_phone():
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        RegistrationFactory(email="", phone="")


def test_accounts_register_as_before(client, on_commit, mailoutbox):
    meeting = MeetingFactory()
    resident = UserFactory()
    client.force_login(resident)
    with on_commit():
        assert client.post(reverse("dialogue:register", args=[meeting.pk])).status_code == 302
    assert Registration.objects.get().email == resident.email
    assert not TextMessage.objects.exists()


# Query counts ---------------------------------------------------------------------------------


@pytest.mark.parametrize("others", [1, 20])
def test_code_page_queries_do_not_grow(client, django_assert_max_num_queries, others):
    meeting = MeetingFactory(capacity=100)
    RegistrationFactory.create_batch(others, meeting=meeting)
    register(client, meeting, name="A", phone="0612345678")
    # session, meeting with its seats, the registration, menu QPV
    with django_assert_max_num_queries(6):
        assert client.get(code_page(meeting)).status_code == 200
