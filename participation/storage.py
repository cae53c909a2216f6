"""Stored files served back: from MEDIA_ROOT, or streamed from the object store (S3_BUCKET).

Uploaded and generated files (minutes, news images, reports) are never served as a folder nor by
an address of the bucket: each goes through a view that checks who asks, then
`stored_file_response` sends it from whichever storage holds it (settings.STORAGES["default"]).
"""

from __future__ import annotations

from typing import Any

from django.db.models.fields.files import FieldFile
from django.http import FileResponse, Http404


def stored_file_response(stored: FieldFile, *, content_type: str, **options: Any) -> FileResponse:
    """The stored file streamed with its type and length (`options`: FileResponse's
    `as_attachment`, `filename`); 404 when the row names no file or the file is gone."""
    if not stored.name:
        raise Http404("No file.")
    try:
        handle = stored.storage.open(stored.name, "rb")
    except FileNotFoundError:
        raise Http404("The file is missing.") from None
    response = FileResponse(handle, content_type=content_type, **options)
    # A local file is measured by FileResponse; a streamed object says its own length.
    if not response.has_header("Content-Length"):
        response["Content-Length"] = str(handle.size)
    return response
