"""The page of a request that failed on the server: 503 while the database is unreachable.

Django's handler500 runs for every uncaught exception, wherever it was raised (a view, a
middleware, the session). A database that does not answer (PostgreSQL restarting, a connection cut
mid-request) is temporary: the visitor gets a 503 "service unavailable" page with Retry-After rather
than the generic 500, and nothing is half-written because every write runs in a transaction that
the database rolls back. Django still logs the traceback for the technical team. Like 500.html,
503.html is rendered without a request context and without any query.
"""

from __future__ import annotations

import sys

from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse
from django.template import loader
from django.views.decorators.csrf import requires_csrf_token
from django.views.defaults import server_error as django_server_error

DATABASE_UNAVAILABLE = (OperationalError, InterfaceError)
RETRY_AFTER_SECONDS = 30


@requires_csrf_token
def server_error(request: HttpRequest) -> HttpResponse:
    error = sys.exc_info()[1]
    if isinstance(error, DATABASE_UNAVAILABLE):
        page = loader.get_template("503.html").render()
        response = HttpResponse(page, status=503)
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return response
    return django_server_error(request)
