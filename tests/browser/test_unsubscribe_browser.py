"""The unsubscribe link of a follow email in Chromium: opening it stops nothing; the one button
stops the emails, without JavaScript and without a CSRF token (the signed link is the credential).
"""

from __future__ import annotations

import pytest

from qpv.models import QPV, Follow
from qpv.services.follows import follow_unsubscribe_path
from tests.participation.factories import UserFactory

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def test_opening_the_link_asks_and_the_button_unsubscribes(new_context, live_server, screenshot):
    follow = Follow.objects.create(user=UserFactory(), qpv=QPV.objects.get(slug="sanitas"))
    page = new_context(java_script_enabled=False).new_page()
    page.goto(live_server.url + follow_unsubscribe_path([follow.pk]))
    assert page.get_by_role("heading", level=1).inner_text() == (
        "Ne plus recevoir les courriels d’un quartier"
    )
    assert Follow.objects.filter(pk=follow.pk).exists()
    screenshot(page, "unsubscribe-confirm")
    page.get_by_role("button", name="Me désabonner").click()
    page.wait_for_load_state()
    assert page.get_by_role("heading", level=1).inner_text() == "Vous êtes désabonné·e"
    assert "Sanitas" in page.locator("main").inner_text()
    assert not Follow.objects.filter(pk=follow.pk).exists()
    assert page.problems == []
