"""The request types of the views' hints, for the type checker (mypy, `make lint`).

Every request goes through django-htmx's middleware, which sets `request.htmx`: a view (or helper)
that reads it takes an HtmxHttpRequest. django-stubs types `request.user` as a User or an
AnonymousUser: a view that only signed-in users reach (`@login_required`) takes an
AuthenticatedHttpRequest, whose user is a User, and may pass it to a service as `by=request.user`.
Nothing here exists at run time beyond the annotations: Django builds its usual HttpRequest.
Also here: `safe_next`, the one reading of a `next` parameter.
"""

from __future__ import annotations

from django.http import HttpRequest
from django.utils.http import url_has_allowed_host_and_scheme
from django_htmx.middleware import HtmxDetails

from participation.models import User


class HtmxHttpRequest(HttpRequest):
    htmx: HtmxDetails


class AuthenticatedHttpRequest(HtmxHttpRequest):
    user: User


def safe_next(request: HttpRequest, *, default: str) -> str:
    """The `next` parameter (POST, else GET) when it is a path of this site, else `default`.

    A path only: redirect() would take any other word for the name of a URL."""
    next_url = request.POST.get("next") or request.GET.get("next") or ""
    if next_url.startswith("/") and url_has_allowed_host_and_scheme(
        next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return next_url
    return default
