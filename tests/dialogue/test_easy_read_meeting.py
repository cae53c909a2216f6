"""Easy-read summary and practical information of a meeting (issue 18): the staff form (guidance,
counter, refusals) and the public page and cards (summary first, pictograms with their text)."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from dialogue.models import Food, Meeting, MeetingMode
from dialogue.services import meetings as services
from dialogue.services.meetings import MeetingError
from tests.dialogue.factories import MeetingFactory

pytestmark = pytest.mark.django_db

SUMMARY = "Nous parlons du jardin. Venez avec vos enfants. Le goûter est offert."


def _next_week_day() -> date:
    return timezone.localdate() + timedelta(days=7)


def _meeting_data(**overrides) -> dict:
    data = {
        "title": "Café des habitants",
        "agenda": "Le jardin partagé : bilan de l'été et projets d'automne.",
        "easy_read": SUMMARY,
        "date": _next_week_day().isoformat(),
        "start_time": "18:00",
        "end_time": "20:00",
        "mode": MeetingMode.IN_PERSON,
        "venue": "Centre social",
        "address": "1 place Neuve, 37000 Tours",
        "access_notes": "",
        "accessibility_notes": "",
        "step_free": "on",
        "childcare": "on",
        "interpreting": "arabe, turc",
        "food": Food.SNACK,
        "online_url": "",
        "capacity": "15",
        "registration_required": "on",
        "repeat_every_weeks": "",
        "repeat_until": "",
    }
    data.update(overrides)
    return data


def _create_url(actors) -> str:
    return reverse("dialogue:meeting_create") + f"?espace={actors.space.pk}"


# The staff form ---------------------------------------------------------------------------------


def test_staff_plan_a_meeting_with_its_summary_and_practical_information(client, actors):
    actors.login(client, "facilitator_space")
    response = client.post(_create_url(actors), _meeting_data())
    assert response.status_code == 302
    meeting = Meeting.objects.get(title="Café des habitants")
    assert meeting.easy_read == SUMMARY
    assert (meeting.childcare, meeting.interpreting, meeting.food) == (True, "arabe, turc", "snack")


def test_a_summary_too_long_is_refused_in_french_and_what_was_typed_is_kept(client, actors):
    actors.login(client, "facilitator_space")
    too_long = "Une phrase courte. " * 40  # 759 characters once the last space is dropped
    response = client.post(
        _create_url(actors), _meeting_data(easy_read=too_long, title="Atelier vélo")
    )
    assert response.status_code == 400
    assert not Meeting.objects.exists()
    page = response.content.decode()
    assert ("Le résumé facile à lire fait 759 caractères : 600 au plus. Raccourcissez-le.") in page
    form = response.context["form"]
    assert form["easy_read"].value() == too_long
    assert form["title"].value() == "Atelier vélo"
    assert form["interpreting"].value() == "arabe, turc"
    # The counter says it too, computed by the server (no JavaScript needed).
    assert "Caractères : 759 sur 600, 159 de trop : raccourcissez le texte." in page
    textarea = re.search(r'<textarea name="easy_read"[^>]*>', page).group(0)
    assert 'class="form-control is-invalid"' in textarea
    assert "id_easy_read_error" in textarea


def test_an_unknown_food_choice_is_refused(client, actors):
    actors.login(client, "facilitator_space")
    response = client.post(_create_url(actors), _meeting_data(food="buffet"))
    assert response.status_code == 400
    assert response.context["form"].errors["food"]
    assert not Meeting.objects.exists()


def test_an_interpreting_text_too_long_is_refused(client, actors):
    actors.login(client, "facilitator_space")
    response = client.post(_create_url(actors), _meeting_data(interpreting="a" * 201))
    assert response.status_code == 400
    assert "interpreting" in response.context["form"].errors


def test_the_form_shows_guidance_and_a_counter_beside_the_summary(client, actors):
    actors.login(client, "facilitator_space")
    page = client.get(_create_url(actors)).content.decode()
    assert "Une seule idée par phrase." in page
    assert "Pas de sigle ni d’abréviation" in page
    counter = re.search(r'<div class="form-text easy-read-counter"[^>]*>', page).group(0)
    assert 'aria-live="polite"' in counter
    assert 'data-easy-read-counter-for="id_easy_read"' in counter
    assert "Caractères : 0 sur 600." in page
    assert "js/easy-read.js" in page
    textarea = re.search(r'<textarea name="easy_read"[^>]*>', page).group(0)
    assert "maxlength" not in textarea
    assert 'aria-describedby="id_easy_read_guide id_easy_read_counter"' in textarea
    # The practical fields are in the form.
    for name in ("childcare", "interpreting", "food"):
        assert f'name="{name}"' in page


def test_the_edit_form_is_prefilled_with_the_summary(client, actors):
    meeting = MeetingFactory(
        dialogue_space=actors.space, easy_read="Résumé. Des QPV.", interpreting="turc"
    )
    actors.login(client, "facilitator_space")
    response = client.get(reverse("dialogue:meeting_edit", args=[meeting.pk]))
    form = response.context["form"]
    assert form["easy_read"].value() == "Résumé. Des QPV."
    assert form["interpreting"].value() == "turc"
    assert "Sigles à écrire en entier : QPV." in response.content.decode()


def test_the_service_refuses_a_summary_too_long(actors):
    meeting = MeetingFactory(dialogue_space=actors.space)
    with pytest.raises(MeetingError) as refused:
        services.meeting_update(meeting=meeting, by=actors["coordinator"], easy_read="x" * 601)
    assert refused.value.field == "easy_read"
    meeting.refresh_from_db()
    assert meeting.easy_read == ""


# The public page --------------------------------------------------------------------------------


def _page(client, meeting: Meeting) -> str:
    response = client.get(meeting.get_absolute_url())
    assert response.status_code == 200
    return response.content.decode()


def test_the_summary_comes_first_with_the_full_text_below(client, actors):
    meeting = MeetingFactory(
        dialogue_space=actors.space,
        easy_read="Nous parlons du jardin.\nVenez avec vos enfants.",
        agenda="Bilan détaillé de la saison du jardin partagé.",
    )
    page = _page(client, meeting)
    box = page.index("En bref, facile à lire")
    assert page.index("<h1") < box
    # First: before the minutes, the questions, the "When" section and the agenda.
    assert box < page.index('id="when-title"') < page.index('id="agenda-title"')
    assert page.index("Nous parlons du jardin.") < page.index("Bilan détaillé de la saison")
    assert '<a href="#agenda-title">Lire le texte complet</a>' in page
    assert "<p>Nous parlons du jardin.<br>Venez avec vos enfants.</p>" in page
    # The official European easy-read logo is not used.
    assert "easy-to-read" not in page.lower()


def test_without_a_summary_there_is_no_box(client, actors):
    meeting = MeetingFactory(dialogue_space=actors.space, agenda="Ordre du jour.")
    page = _page(client, meeting)
    assert "En bref, facile à lire" not in page
    assert "Lire le texte complet" not in page
    # The practical information and the read-aloud button are there all the same.
    assert 'id="meeting-practical"' in page
    assert 'data-read-aloud="meeting-practical meeting-agenda"' in page


def _practical(page: str) -> str:
    return re.search(r'<ul class="list-unstyled meeting-practical.*?</ul>', page, re.S).group(0)


def _items(practical: str) -> list[tuple[str, str]]:
    """(icon, text) of each line of the practical list."""
    items = []
    for item in re.findall(r"<li>(.*?)</li>", practical, re.S):
        icon = re.search(r'<span class="bi (bi-[a-z-]+)" aria-hidden="true"></span>', item)
        text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", item)).strip()
        items.append((icon.group(1), text))
    return items


def test_practical_information_as_pictograms_with_their_text(client, actors):
    starts_at = timezone.make_aware(
        timezone.datetime(2031, 3, 1, 18, 0)  # a Saturday
    )
    meeting = MeetingFactory(
        dialogue_space=actors.space,
        starts_at=starts_at,
        ends_at=starts_at + timedelta(hours=2),
        step_free=True,
        childcare=True,
        interpreting="arabe, turc, langue des signes",
        food=Food.MEAL,
    )
    assert _items(_practical(_page(client, meeting))) == [
        ("bi-calendar-event", "samedi 1er mars 2031"),
        ("bi-clock", "De 18 h 00 à 20 h 00"),
        ("bi-geo-alt", "Centre social, 1 place Neuve, 37000 Tours"),
        ("bi-person-wheelchair", "Accès sans marche (fauteuil roulant, poussette)"),
        ("bi-balloon", "Garde d’enfants sur place"),
        ("bi-translate", "Interprétariat : arabe, turc, langue des signes"),
        ("bi-egg-fried", "Un repas est servi"),
    ]


def test_practical_information_of_an_online_meeting_without_services(client, actors):
    meeting = MeetingFactory(
        dialogue_space=actors.space,
        mode=MeetingMode.ONLINE,
        online_url="https://visio.example.org/salle",
        food=Food.SNACK,
    )
    icons = [icon for icon, _text in _items(_practical(_page(client, meeting)))]
    assert icons == ["bi-calendar-event", "bi-clock", "bi-camera-video", "bi-cup-hot"]


def test_cards_show_the_services_in_short(client, actors):
    MeetingFactory(
        dialogue_space=actors.space,
        title="Rencontre avec services",
        childcare=True,
        interpreting="arabe",
        food=Food.SNACK,
    )
    MeetingFactory(dialogue_space=actors.space, title="Rencontre sans services")
    page = client.get(reverse("dialogue:agenda")).content.decode()
    cards = re.findall(r'<article class="card h-100 meeting-card.*?</article>', page, re.S)
    with_services = next(card for card in cards if "Rencontre avec services" in card)
    without = next(card for card in cards if "Rencontre sans services" in card)
    for text in ("Garde d’enfants", "Interprétariat", "Collation"):
        assert text in with_services
        assert text not in without
    # Cards stay short: the summary is not on them.
    assert "En bref" not in page
