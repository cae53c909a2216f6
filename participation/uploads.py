"""Uploads: refused before anything is read or saved unless the view takes a file and the body fits.

Two forms take a file (the minutes' PDF, a news item's image), each with its own size check that
answers on the form. Around them, two guards that need no form:

- `request_body_limit` (first middleware): a body longer than settings.MAX_REQUEST_BODY_BYTES gets
  413 and a French page before a byte of it is read; nginx's `client_max_body_size` in
  deploy/nginx/ is the same figure, so behind the proxy Django never sees such a body.
- `UnexpectedFileHandler` (first upload handler): a file part sent to a view not marked
  `@accepts_upload` stops the parsing with a 400, before any temporary file is written and before
  the view runs; nothing is saved.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from django.conf import settings
from django.core.exceptions import BadRequest
from django.core.files.uploadhandler import FileUploadHandler
from django.http import HttpRequest, HttpResponse
from django.template import loader

View = TypeVar("View", bound=Callable[..., Any])


def accepts_upload(view: View) -> View:
    """Mark a view whose form takes a file; every other view refuses file parts (400).

    The mark is an attribute, which functools.wraps copies onto the decorators above it."""
    view.accepts_upload = True  # type: ignore[attr-defined]
    return view


def request_body_limit(get_response: Callable[[HttpRequest], HttpResponse]):
    def middleware(request: HttpRequest) -> HttpResponse:
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0  # Django reads no body then (LimitedStream of length 0)
        if length > settings.MAX_REQUEST_BODY_BYTES:
            # Rendered without a request context, like 400.html: no session, no query.
            return HttpResponse(loader.get_template("413.html").render(), status=413)
        return get_response(request)

    return middleware


class UnexpectedFileHandler(FileUploadHandler):
    """Refuse a file part unless the resolved view is marked `@accepts_upload`.

    Django resolves the URL before any middleware's process_view (the CSRF check reads the body
    there), so `request.resolver_match` is known whenever the body is parsed."""

    def new_file(self, field_name: str, *args: Any, **kwargs: Any) -> None:
        match = getattr(self.request, "resolver_match", None)
        if not getattr(getattr(match, "func", None), "accepts_upload", False):
            raise BadRequest(f"File field {field_name!r} sent to a view that takes no file.")
        super().new_file(field_name, *args, **kwargs)

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes:
        return raw_data  # the next handlers (memory, then a temporary file) keep the data

    def file_complete(self, file_size: int) -> None:
        return None
