"""'Inviter un voisin' in Chromium: the share sheet where the browser has one, the copy button and
its announcement, the fallback that selects the message, and nothing sent to the server."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from tests.dialogue.factories import MeetingFactory

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

PHONE = {"viewport": {"width": 360, "height": 740}, "has_touch": True, "is_mobile": True}
# What the page would hand to the phone's share sheet, kept for the test to read.
STUB_SHARE = """
  window.__shared = [];
  Navigator.prototype.share = function (data) {
    window.__shared.push(data);
    return Promise.resolve();
  };
  Navigator.prototype.canShare = function () { return true; };
"""
NO_SHARE = "delete Navigator.prototype.share; delete Navigator.prototype.canShare;"
NO_CLIPBOARD = "Object.defineProperty(Navigator.prototype, 'clipboard', {get: () => undefined});"


@pytest.fixture
def meeting():
    starts_at = (timezone.localtime() + timedelta(days=5)).replace(
        hour=18, minute=30, second=0, microsecond=0
    )
    return MeetingFactory(
        title="Café des habitants",
        starts_at=starts_at,
        ends_at=starts_at + timedelta(hours=2),
        venue="Centre social Pluriel",
        address="3 rue Saint-Pierre, 37000 Tours",
    )


def open_page(new_context, meeting, *, init_script: str, **options):
    context = new_context(**options)
    context.add_init_script(init_script)
    page = context.new_page()
    page.goto(meeting.get_absolute_url())
    page.wait_for_load_state("networkidle")
    # Every request the page makes from now on: the invitation must make none. (The browser may
    # still ask for the tab's icon on its own.)
    page.requests_after_load = []
    page.on(
        "request",
        lambda request: (
            None
            if request.url.endswith("/favicon.svg")
            else page.requests_after_load.append(request.url)
        ),
    )
    return page


def test_share_sheet_where_the_browser_has_one(new_context, live_server, meeting, screenshot):
    from playwright.sync_api import expect

    page = open_page(new_context, meeting, init_script=STUB_SHARE, **PHONE)
    share = page.get_by_role("button", name="Partager…")
    expect(share).to_be_visible()
    page.get_by_role("heading", name="Inviter un voisin").scroll_into_view_if_needed()
    screenshot(page, "invite-neighbour-360", full_page=False)
    share.click()
    page.wait_for_function("window.__shared.length === 1")
    shared = page.evaluate("window.__shared[0]")
    url = f"{live_server.url}/rencontres/{meeting.pk}/"
    assert shared["url"] == url
    assert shared["title"] == "Café des habitants"
    assert shared["text"].startswith("Bonjour ! Une rencontre pour les habitant·es du quartier")
    assert "« Café des habitants »" in shared["text"]
    assert "Lieu : Centre social Pluriel, 3 rue Saint-Pierre, 37000 Tours." in shared["text"]
    assert url not in shared["text"]  # the share sheet adds the link itself
    # The sms: link is there for phones without JavaScript's help too.
    sms = page.get_by_role("link", name="Envoyer par SMS")
    assert sms.get_attribute("href").startswith("sms:?&body=Bonjour%20%21%20")
    assert page.requests_after_load == []
    assert page.problems == []


def test_copy_puts_the_message_on_the_clipboard_and_says_so(new_context, live_server, meeting):
    from playwright.sync_api import expect

    page = open_page(
        new_context,
        meeting,
        init_script=NO_SHARE,
        permissions=["clipboard-read", "clipboard-write"],
    )
    # No share sheet here: its button stays hidden.
    expect(page.get_by_role("button", name="Partager…")).to_be_hidden()
    status = page.locator("[data-invite-status]")
    expect(status).to_have_text("")
    page.get_by_role("button", name="Copier le message").click()
    expect(status).to_have_text(
        "Le message est copié. Collez-le dans un SMS ou un message à votre voisin·e."
    )
    expect(status).to_have_attribute("aria-live", "polite")
    copied = page.evaluate("navigator.clipboard.readText()")
    assert copied == page.locator("#invite-message").input_value()
    assert copied.endswith(f"\n{live_server.url}/rencontres/{meeting.pk}/")
    assert "C’est le " in copied and " de 18 h 30 à 20 h 30." in copied
    assert page.requests_after_load == []
    assert page.problems == []


def test_without_a_clipboard_the_message_is_selected(new_context, meeting):
    from playwright.sync_api import expect

    page = open_page(new_context, meeting, init_script=NO_SHARE + NO_CLIPBOARD)
    page.get_by_role("button", name="Copier le message").click()
    expect(page.locator("[data-invite-status]")).to_contain_text("Le message est sélectionné")
    message = page.locator("#invite-message")
    expect(message).to_be_focused()
    selected = page.evaluate(
        "(() => { const f = document.getElementById('invite-message');"
        " return f.value.substring(f.selectionStart, f.selectionEnd); })()"
    )
    assert selected == message.input_value() and selected.startswith("Bonjour !")
    assert page.problems == []


def test_without_javascript_the_message_and_the_sms_link_remain(new_context, meeting):
    from playwright.sync_api import expect

    context = new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(meeting.get_absolute_url())
    expect(page.locator("#invite-message")).to_be_visible()
    expect(page.get_by_role("link", name="Envoyer par SMS")).to_be_visible()
    expect(page.get_by_role("button", name="Copier le message")).to_be_hidden()
    expect(page.get_by_role("button", name="Partager…")).to_be_hidden()


def test_the_preview_image_answers(new_context, live_server, meeting):
    """A messaging app fetches og:image from the absolute address the page gives: it answers."""
    page = new_context().new_page()
    page.goto(meeting.get_absolute_url())
    image = page.locator('meta[property="og:image"]').get_attribute("content")
    assert image.startswith(f"{live_server.url}/static/") and image.endswith(".png")
    assert page.locator('meta[property="og:url"]').get_attribute("content") == (
        f"{live_server.url}/rencontres/{meeting.pk}/"
    )
    response = page.request.get(image)
    assert response.status == 200
    assert response.headers["content-type"] == "image/png"
    assert response.body()[:8] == bytes.fromhex("89504e470d0a1a0a")
