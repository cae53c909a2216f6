"""Flash messages never travel in a cookie, and never name anyone (issue 20).

Django's default message storage puts them in a `messages` cookie (signed, not encrypted: the
text is readable by whoever holds the browser, a shared computer or a proxy's logs). They wait in
the session instead (MESSAGE_STORAGE), and their texts are neutral. The cookies are read decoded
(base64, zlib) as well as raw, since a name hides there under a plain `grep`.
"""

from __future__ import annotations

import base64
import json
import zlib

import pytest
from django.conf import settings
from django.contrib.messages.storage.session import SessionStorage
from django.urls import reverse

from tests.dialogue.factories import MeetingFactory
from tests.participation.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db


def readable(value: str) -> str:
    """A cookie's value and what its signed payload says (Django's signing: base64, optionally
    zlib-compressed when it starts with a dot)."""
    texts = [value]
    payload = value.split(":", 1)[0]
    compressed = payload.startswith(".")
    try:
        raw = base64.urlsafe_b64decode(payload.lstrip(".") + "=" * (-len(payload) % 4))
        decoded = (zlib.decompress(raw) if compressed else raw).decode("utf-8", "replace")
        texts.append(decoded)
        # JSON writes "è" as "\\u00e8".
        texts.append(json.dumps(json.loads(decoded), ensure_ascii=False))
    except (ValueError, zlib.error):
        pass
    return "\n".join(texts)


def set_cookies(responses) -> str:
    return "\n".join(
        readable(morsel.value) for response in responses for morsel in response.cookies.values()
    )


def test_readable_finds_a_name_in_a_signed_compressed_cookie():
    from django.contrib.messages.storage.cookie import CookieStorage
    from django.http import HttpResponse
    from django.test import RequestFactory

    storage = CookieStorage(RequestFactory().get("/"))
    storage.add(20, "Connexion avec Jeanne Lefèvre-Dupont réussie. " * 3)
    response = HttpResponse()
    storage.update(response)
    assert "Jeanne Lefèvre-Dupont" not in response.cookies["messages"].value
    assert "Jeanne Lefèvre-Dupont" in set_cookies([response])


def test_messages_wait_in_the_session():
    assert settings.MESSAGE_STORAGE == "django.contrib.messages.storage.session.SessionStorage"


def test_signing_in_sets_no_cookie_naming_the_resident(client):
    user = UserFactory(full_name="Jeanne Lefèvre-Dupont")
    login = client.post(reverse("account_login"), {"login": user.email, "password": PASSWORD})
    assert login.status_code == 302
    page = client.get(login.url)
    cookies = set_cookies([login, page])
    for text in ("Jeanne", "Lefèvre", user.email):
        assert text not in cookies
    assert "messages" not in client.cookies
    # The welcome is still said, without the name.
    assert "Vous êtes connecté·e." in page.content.decode()


def test_a_guest_registration_sets_no_cookie_with_the_guest_name_or_address(client):
    meeting = MeetingFactory()
    response = client.post(
        reverse("dialogue:register", args=[meeting.pk]),
        {"name": "Karim Benali", "email": "karim.benali@example.org"},
    )
    assert response.status_code == 302
    page = client.get(response.url)
    cookies = set_cookies([response, page])
    for text in ("Karim", "Benali", "karim.benali@example.org"):
        assert text not in cookies
    assert "messages" not in client.cookies
    # The message reached the page, through the session.
    assert "karim.benali@example.org" in page.content.decode()
    assert SessionStorage.session_key not in client.session
