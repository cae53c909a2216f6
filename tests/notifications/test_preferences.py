""" "Mes préférences de contact": per topic, email and SMS; SMS need a number and a dated consent;
"Arrêter tous les SMS"; every invalid case answers 400 and keeps what was typed."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from notifications.models import ContactPreference, SmsOptOut, TextMessage, TextStatus
from notifications.services import sms_opt_out
from notifications.sms import queue_sms

pytestmark = pytest.mark.django_db

URL = reverse("notifications:preferences")
NUMBER = "+33612345678"


@pytest.fixture
def resident(actors, client):
    actors.login(client, "resident")
    return actors["resident"]


def _form(**values):
    data = {"email_updates": "on", "email_reminders": "on", "phone": ""}
    data.update(values)
    return {key: value for key, value in data.items() if value is not None}


def test_the_page_asks_login(client):
    response = client.get(URL)
    assert response.status_code == 302
    assert "/compte/login/" in response["Location"]


def test_the_page_shows_the_choices_and_no_sms_box_is_ticked(client, resident):
    response = client.get(URL)
    assert response.status_code == 200
    page = response.content.decode()
    assert "Mes préférences de contact" in page
    assert "Nouvelles de ce que j’ai proposé" in page
    assert "Rappels de mes rencontres" in page
    form = response.context["form"]
    assert form["sms_updates"].value() is False
    assert form["sms_reminders"].value() is False
    assert form["email_updates"].value() is True
    for name in ("sms_updates", "sms_reminders"):
        box = re.search(rf'<input type="checkbox"[^>]*name="{name}"[^>]*>', page).group()
        assert "checked" not in box
    assert (
        "checked"
        in re.search(r'<input type="checkbox"[^>]*name="email_updates"[^>]*>', page).group()
    )


def test_the_account_page_links_to_it(client, resident):
    page = client.get(reverse("account_home")).content.decode()
    assert URL in page
    assert "Mes préférences de contact" in page


def test_choosing_sms_records_the_number_and_the_consent_date(client, resident):
    response = client.post(URL, _form(sms_reminders="on", phone="06 12 34 56 78"))
    assert response.status_code == 302
    preference = ContactPreference.objects.get(user=resident)
    assert preference.phone == NUMBER
    assert (preference.sms_updates, preference.sms_reminders) == (False, True)
    assert preference.sms_consent_at is not None
    consent = preference.sms_consent_at
    # Saving again keeps the date of the consent given.
    client.post(URL, _form(sms_reminders="on", sms_updates="on", phone=NUMBER))
    preference.refresh_from_db()
    assert preference.sms_consent_at == consent
    assert preference.sms_updates


def test_turning_email_off(client, resident):
    client.post(URL, _form(email_updates=None))
    preference = ContactPreference.objects.get(user=resident)
    assert (preference.email_updates, preference.email_reminders) == (False, True)


def test_unticking_every_sms_box_withdraws_the_consent(client, resident):
    client.post(URL, _form(sms_updates="on", phone=NUMBER))
    client.post(URL, _form(phone=NUMBER))
    preference = ContactPreference.objects.get(user=resident)
    assert not preference.sms_updates
    assert preference.sms_consent_at is None


def test_sms_without_a_number_is_refused_and_nothing_is_lost(client, resident):
    response = client.post(URL, _form(sms_updates="on", email_reminders=None))
    assert response.status_code == 400
    page = response.content.decode()
    assert "Il y a des erreurs dans le formulaire" in page or "error-summary" in page
    assert "Indiquez votre numéro de portable pour recevoir des SMS" in page
    form = response.context["form"]
    assert form["sms_updates"].value() is True
    assert form["email_reminders"].value() is False
    assert not ContactPreference.objects.filter(user=resident).exists()


@pytest.mark.parametrize("phone", ["02 47 21 60 00", "06 12 34", "bonjour", "+32 470 12 34 56"])
def test_a_number_that_is_no_french_mobile_is_refused(client, resident, phone):
    response = client.post(URL, _form(sms_reminders="on", phone=phone))
    assert response.status_code == 400
    page = response.content.decode()
    assert "Indiquez un numéro de portable français" in page
    assert f'value="{phone}"' in page
    assert response.context["form"]["sms_reminders"].value() is True
    assert not ContactPreference.objects.filter(user=resident).exists()


def test_an_invalid_post_does_not_change_saved_choices(client, resident):
    client.post(URL, _form(sms_updates="on", phone=NUMBER))
    response = client.post(URL, _form(sms_updates="on", phone="0247216000"))
    assert response.status_code == 400
    assert ContactPreference.objects.get(user=resident).phone == NUMBER


def test_a_too_long_number_is_refused(client, resident):
    response = client.post(URL, _form(phone="0" * 31))
    assert response.status_code == 400


def test_stop_all_sms(client, resident):
    client.post(URL, _form(sms_updates="on", sms_reminders="on", phone=NUMBER))
    pending = queue_sms(phone=NUMBER, text="Rappel", topic="reminders")
    page = client.get(URL).content.decode()
    assert "Arrêter tous les SMS" in page
    response = client.post(reverse("notifications:stop_sms"))
    assert response.status_code == 302
    preference = ContactPreference.objects.get(user=resident)
    assert (preference.sms_updates, preference.sms_reminders) == (False, False)
    opt_out = SmsOptOut.objects.get()
    assert (opt_out.phone, opt_out.source) == (NUMBER, "settings")
    pending.refresh_from_db()
    assert pending.status == TextStatus.CANCELLED


def test_stop_all_sms_is_post_only(client, resident):
    assert client.get(reverse("notifications:stop_sms")).status_code == 405


def test_ticking_sms_again_after_stop_is_a_new_consent(client, resident):
    client.post(URL, _form(sms_updates="on", phone=NUMBER))
    first = ContactPreference.objects.get(user=resident).sms_consent_at
    sms_opt_out(phone=NUMBER, source="keyword")
    page = client.get(URL).content.decode()
    assert "Ce numéro a demandé à ne plus recevoir de SMS" in page
    client.post(URL, _form(sms_updates="on", phone=NUMBER))
    preference = ContactPreference.objects.get(user=resident)
    assert preference.sms_updates
    assert preference.sms_consent_at > first
    assert not SmsOptOut.objects.exists()
    assert queue_sms(phone=NUMBER, text="Bonjour", topic="updates").status != "cancelled"


def test_a_new_number_is_a_new_consent(client, resident):
    client.post(URL, _form(sms_updates="on", phone=NUMBER))
    first = ContactPreference.objects.get(user=resident).sms_consent_at
    client.post(URL, _form(sms_updates="on", phone="07 81 23 45 67"))
    preference = ContactPreference.objects.get(user=resident)
    assert preference.phone == "+33781234567"
    assert preference.sms_consent_at > first


def test_no_sms_row_is_written_by_the_settings(client, resident):
    client.post(URL, _form(sms_updates="on", phone=NUMBER))
    assert not TextMessage.objects.exists()
