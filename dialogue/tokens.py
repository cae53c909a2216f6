"""Signed links sent by email: confirm a guest registration, manage (cancel) a registration, stop
the come-back invitations.

The link carries the registration's random token, signed with a purpose-specific salt, so a link
for one purpose cannot be replayed for another, and a forged link fails before any query.
"""

from __future__ import annotations

from datetime import timedelta

from django.core import signing
from django.urls import reverse

from participation.unsubscribe import InvalidUnsubscribeLink, sign, unsign_ids

CONFIRM_SALT = "dialogue.registration.confirm"
MANAGE_SALT = "dialogue.registration.manage"
CONFIRM_MAX_AGE = timedelta(days=7)
COMEBACK_UNSUBSCRIBE_SALT = "dialogue.comeback.unsubscribe"


class InvalidLink(Exception):
    def __init__(self, *, expired: bool = False):
        super().__init__("expired" if expired else "invalid")
        self.expired = expired


def sign_token(token: str, salt: str) -> str:
    return signing.TimestampSigner(salt=salt).sign(token)


def unsign_token(value: str, salt: str, max_age: timedelta | None = None) -> str:
    try:
        return signing.TimestampSigner(salt=salt).unsign(value, max_age=max_age)
    except signing.SignatureExpired:
        raise InvalidLink(expired=True) from None
    except signing.BadSignature:
        raise InvalidLink() from None


def confirm_path(registration) -> str:
    return reverse(
        "dialogue:registration_confirm",
        kwargs={"signed": sign_token(registration.token, CONFIRM_SALT)},
    )


def manage_path(registration) -> str:
    return reverse(
        "dialogue:registration_manage",
        kwargs={"signed": sign_token(registration.token, MANAGE_SALT)},
    )


def token_from_confirm_link(value: str) -> str:
    return unsign_token(value, CONFIRM_SALT, CONFIRM_MAX_AGE)


def token_from_manage_link(value: str) -> str:
    return unsign_token(value, MANAGE_SALT)


def comeback_unsubscribe_path(registration_id: int) -> str:
    """The link that stops the come-back invitations (participation.unsubscribe): it names the
    registration whose attendance caused the invitation, never the address."""
    signed = sign([registration_id], salt=COMEBACK_UNSUBSCRIBE_SALT)
    return reverse("dialogue:comeback_unsubscribe", kwargs={"signed": signed})


def registration_id_from_comeback_link(value: str) -> int:
    """Or InvalidUnsubscribeLink."""
    ids = unsign_ids(value, salt=COMEBACK_UNSUBSCRIBE_SALT)
    if len(ids) != 1:
        raise InvalidUnsubscribeLink()
    return ids[0]
