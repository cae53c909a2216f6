"""Unsubscribe links of the emails that a resident may stop (follows, notifications, come-back).

One link per email, signed with a purpose-specific salt: no login is needed to stop an email, a
link for one purpose cannot be replayed for another, and a forged or garbled link fails before any
query. The links do not expire: an old email must still let one stop the next ones.

The same link serves twice (RFC 2369 and RFC 8058):
- in the email's text, for people: GET shows what will stop and one button, POST stops it. Mail
  scanners and link previews open every link of a message; a GET that unsubscribed would stop the
  emails of people who asked nothing;
- in the `List-Unsubscribe` header with `List-Unsubscribe-Post: List-Unsubscribe=One-Click`, for
  mail providers ("Se désabonner" next to the sender): they POST that body to the URL, without
  cookies or CSRF token, so these views are `csrf_exempt`; the signature is their credential.
"""

from __future__ import annotations

from typing import Any

from django.core import signing
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

ONE_CLICK = "List-Unsubscribe=One-Click"


class InvalidUnsubscribeLink(Exception):
    pass


def sign(value: Any, *, salt: str) -> str:
    # No timestamp: the link never expires, and the same value always gives the same link.
    return signing.Signer(salt=salt).sign_object(value)


def unsign(signed: str, *, salt: str) -> Any:
    try:
        return signing.Signer(salt=salt).unsign_object(signed)
    except (signing.BadSignature, ValueError):  # binascii.Error and JSON errors are ValueErrors
        raise InvalidUnsubscribeLink() from None


def unsign_ids(signed: str, *, salt: str) -> list[int]:
    """A signed list of primary keys, or InvalidUnsubscribeLink."""
    ids = unsign(signed, salt=salt)
    if not isinstance(ids, list) or not all(type(pk) is int for pk in ids):
        raise InvalidUnsubscribeLink()
    return ids


def unsubscribe_headers(url: str) -> dict[str, str]:
    """The headers of an email that may be stopped: the absolute HTTPS link, one-click."""
    return {"List-Unsubscribe": f"<{url}>", "List-Unsubscribe-Post": ONE_CLICK}


def invalid_link(request: HttpRequest) -> HttpResponse:
    return render(request, "participation/unsubscribe_invalid.html", status=400)
