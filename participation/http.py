"""The request types of the views' hints, for the type checker (mypy, `make lint`).

Every request goes through django-htmx's middleware, which sets `request.htmx`: a view (or helper)
that reads it takes an HtmxHttpRequest. django-stubs types `request.user` as a User or an
AnonymousUser: a view that only signed-in users reach (`@login_required`) takes an
AuthenticatedHttpRequest, whose user is a User, and may pass it to a service as `by=request.user`.
Nothing here exists at run time beyond the annotations: Django builds its usual HttpRequest.
"""

from __future__ import annotations

from django.http import HttpRequest
from django_htmx.middleware import HtmxDetails

from participation.models import User


class HtmxHttpRequest(HttpRequest):
    htmx: HtmxDetails


class AuthenticatedHttpRequest(HtmxHttpRequest):
    user: User
