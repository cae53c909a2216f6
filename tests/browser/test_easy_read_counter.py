"""The easy-read summary's counter in Chromium (issue 18): as staff type in the meeting form, it
counts characters, sentences, long sentences, long words and abbreviations with the server's rules,
and says it politely once typing pauses. Screenshot: artifacts/screenshots/easy-read-counter.png."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import translation

from participation.easy_read import counter_lines, easy_read_figures
from participation.roles import Role
from qpv.models import QPV
from tests.dialogue.factories import DialogueSpaceFactory
from tests.participation.factories import UserFactory, grant

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

TYPED = (
    "Le QPV organise une rencontre. Nous parlons de l'accompagnement des familles.\n"
    "Venez nombreux ! " + " ".join(["mot"] * 16) + ". Fin"
)


def test_the_counter_follows_the_typing_with_the_servers_rules(new_context, log_in, screenshot):
    from playwright.sync_api import expect

    sanitas = QPV.objects.get(slug="sanitas")
    facilitator = UserFactory(email="awa.diallo@example.org", full_name="Awa Diallo")
    grant(facilitator, Role.FACILITATOR, qpv=sanitas)
    space = DialogueSpaceFactory(qpv=sanitas, name="Café du Sanitas")
    context = new_context()
    log_in(context, facilitator)
    page = context.new_page()
    page.goto(reverse("dialogue:meeting_create") + f"?espace={space.pk}")
    counter = page.locator("#id_easy_read_counter")
    expect(counter).to_have_attribute("aria-live", "polite")
    expect(counter).to_contain_text("Caractères : 0 sur 600.")

    field = page.get_by_label("Résumé facile à lire (facultatif)")
    field.click()
    page.keyboard.type(TYPED)
    with translation.override("fr"):
        expected = counter_lines(easy_read_figures(TYPED))
    assert expected[2] == "Mots longs (12 lettres ou plus) : accompagnement."
    assert expected[3] == "Sigles à écrire en entier : QPV."
    assert expected[1] == "Phrases : 5. Phrases longues (plus de 15 mots) : 1."
    for line in expected:
        expect(counter).to_contain_text(line)
    counter.scroll_into_view_if_needed()
    screenshot(page, "easy-read-counter", full_page=False)

    field.fill("x" * 605)
    expect(counter).to_contain_text("Caractères : 605 sur 600, 5 de trop : raccourcissez le texte.")
    # No maxlength: the browser did not cut the text.
    assert len(field.input_value()) == 605
    assert page.problems == []
