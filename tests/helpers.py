"""Test helpers shared by every app: logging in as a staff member who completed two-factor login.

Staff pages (``/espace-pro/``, ``/admin/``) open only to a session that passed the second factor
(``participation.middleware.staff_mfa_required``). ``force_login`` stands for a completed login, so
``PortalClient.force_login`` also records the second factor in the session for staff users; the real
flow (password, then the TOTP code) is exercised in ``tests/participation/test_mfa.py`` and in the
browser journeys.
"""

from __future__ import annotations

import time

from allauth.mfa.models import Authenticator
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from allauth.mfa.totp.internal.auth import (
    TOTP,
    format_hotp_value,
    generate_totp_secret,
    hotp_value,
)
from django.test import Client
from django.urls import reverse

from participation.middleware import login_records
from participation.roles import scopes_of

# The packages of the product, lowest layer first (`[tool.importlinter]` in pyproject.toml): the
# tests that walk every route or module of ours take them from here. `devtools` is development only.
OUR_APPS = (
    "participation",
    "notifications",
    "qpv",
    "dialogue",
    "questions",
    "projects",
    "evaluation",
    "portal",
)


def activate_totp(user) -> str:
    """Give `user` a TOTP authenticator and recovery codes; return the TOTP secret."""
    secret = generate_totp_secret()
    TOTP.activate(user, secret)
    RecoveryCodes.activate(user)
    return secret


def totp_code(secret: str, *, offset: int = 0) -> str:
    """The current code of an authenticator app for `secret` (`offset` periods later)."""
    from allauth.mfa import app_settings

    counter = int(time.time()) // app_settings.TOTP_PERIOD + offset
    return format_hotp_value(hotp_value(secret, counter))


def recovery_codes(user) -> list[str]:
    authenticator = Authenticator.objects.get(user=user, type=Authenticator.Type.RECOVERY_CODES)
    return RecoveryCodes(authenticator).get_unused_codes()


def staff_home(client: Client) -> str:
    """The staff home as `client` sees it: it opens, with the link every staff member has (the
    questions to follow up), so that a link it lacks is missing from a page that was shown."""
    response = client.get(reverse("dialogue:staff_home"))
    assert response.status_code == 200
    page = response.content.decode()
    assert reverse("questions:questions_dashboard") in page
    return page


def record_second_factor(client: Client, user) -> None:
    """Record in the client's session that `user` passed the second factor, as allauth does."""
    session = client.session
    session.update(login_records(user, second_factor=True))
    session.save()


class PortalClient(Client):
    """Django's test client whose `force_login` is a complete login, second factor included."""

    def force_login(self, user, backend=None):
        super().force_login(user, backend)
        # A fresh user object: the caller's one may carry scopes cached before a role was given.
        if scopes_of(type(user).objects.get(pk=user.pk)).is_staff:
            record_second_factor(self, user)

    def force_login_without_second_factor(self, user, backend=None):
        super().force_login(user, backend)
