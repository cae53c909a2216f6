"""The object store of the files when S3_BUCKET is set (settings.STORAGES["default"]): private
objects in an S3-compatible bucket, through django-storages. Imported only with that setting, so
the local run never loads boto3."""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError
from django.core.files.base import File
from storages.backends.s3 import S3Storage
from storages.utils import clean_name


class ObjectBody(File):
    """An object of the bucket being read: the body of one GET, streamed as it comes, with the
    length the GET announced. Not seekable: read once, from the start."""

    def __init__(self, body: Any, *, name: str, size: int) -> None:
        super().__init__(body, name)
        self.size = size

    def seekable(self) -> bool:
        return False


class PrivateS3Storage(S3Storage):
    """django-storages' S3Storage, with files opened for reading streamed from one GET.

    S3Storage's own file object sends a HEAD, then downloads the whole object (HEAD and GET) into a
    temporary file before the first byte leaves: three requests, and the whole file on the web
    machine's disk or memory. Writes are S3Storage's own.
    """

    def _open(self, name: str, mode: str = "rb") -> File:
        if mode != "rb":
            return super()._open(name, mode)
        key = self._normalize_name(clean_name(name))
        try:
            response = self.bucket.meta.client.get_object(Bucket=self.bucket_name, Key=key)
        except ClientError as error:
            if error.response.get("ResponseMetadata", {}).get("HTTPStatusCode") == 404:
                raise FileNotFoundError(f"No such object: {key}") from None
            raise
        return ObjectBody(response["Body"], name=name, size=response["ContentLength"])
