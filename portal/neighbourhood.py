"""The neighbourhood (QPV) a visitor last chose, remembered without an account (issue 17, item 6).

A cookie holds the QPV's slug and nothing else: no personal data, no identifier of the visitor.
The QPV page sets it when visited, and the home page's "choose my neighbourhood" form sets or
clears it; the home page then lists that QPV's meetings first. It is not the session: a session
would keep the visitor out of the anonymous page cache on every page, where this cookie changes
the home page only (participation.datacache.public_page_varying).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from datetime import timedelta

from django.conf import settings
from django.http import HttpRequest, HttpResponse

COOKIE_NAME = "qed_quartier"
COOKIE_MAX_AGE = int(timedelta(days=365).total_seconds())
# A QPV slug's shape: anything else in the cookie counts as no choice (and never reaches a key).
_SLUG = re.compile(r"[a-z0-9-]{1,100}")


def chosen_slug(request: HttpRequest) -> str:
    """The slug the visitor's cookie names, or "" (the QPV may no longer exist: check it)."""
    value = request.COOKIES.get(COOKIE_NAME, "")
    return value if _SLUG.fullmatch(value) else ""


def remember(response: HttpResponse, slug: str) -> None:
    response.set_cookie(
        COOKIE_NAME,
        slug,
        max_age=COOKIE_MAX_AGE,
        httponly=True,
        samesite="Lax",
        secure=settings.SESSION_COOKIE_SECURE,
    )


def forget(response: HttpResponse) -> None:
    response.delete_cookie(COOKIE_NAME, samesite="Lax")


def remembered_on_visit(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Remember the QPV of a QPV page the visitor opened (`slug` in the URL), once it answered.

    Put it above `public_page`: the cookie is added to the response the cache gave or stored, so
    the stored page carries no cookie (a response setting one would never be stored).
    """

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args, slug: str, **kwargs) -> HttpResponse:
        response = view(request, *args, slug=slug, **kwargs)
        if response.status_code == 200 and chosen_slug(request) != slug:
            remember(response, slug)
        return response

    return wrapper
