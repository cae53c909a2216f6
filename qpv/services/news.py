"""News of the neighbourhoods: write, schedule, publish; check and store their images.

The Markdown body is rendered and sanitised here, at every save (qpv.markdown): `body_html` never
holds anything else, so templates may output it as it is. Images are checked by their content
(JPEG, PNG or WebP, at most 3 MB), then re-encoded: what is stored is a file we wrote, without the
photo's metadata (EXIF: the camera, often the GPS position of the person who took it), and not
larger than needed on a page.
"""

from __future__ import annotations

import io
import uuid
import warnings
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile, File
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

from participation.easy_read import clean_easy_read
from participation.models import User
from qpv.markdown import render_markdown
from qpv.models import QPV, NewsItem

MAX_IMAGE_BYTES = 3 * 1024 * 1024
# A few megapixels is a photo; far more is a decompression bomb, refused before decoding it.
MAX_IMAGE_PIXELS = 40_000_000
# Stored images are at most this wide or high: the page shows them at most ~800 px wide.
STORED_IMAGE_SIZE = (1600, 1600)
IMAGE_FORMATS = {"JPEG": "jpg", "PNG": "png", "WEBP": "webp"}


class NewsError(ValidationError):
    """A refused news item, with a message for the form; `code` names the field."""


@dataclass(frozen=True)
class Publication:
    """What to do with the item: keep a draft, publish it now, or at a later time."""

    publish: bool
    at: datetime | None = None


def _image_too_large() -> NewsError:
    return NewsError(_("The image is too large: 3 MB at most."), code="image")


def _not_an_image() -> NewsError:
    return NewsError(_("This file is not a JPEG, PNG or WebP image."), code="image")


def news_image_clean(upload: File) -> ContentFile:
    """Check an uploaded image by its content, and return the file to store (re-encoded)."""
    if upload.size > MAX_IMAGE_BYTES:
        raise _image_too_large()
    data = upload.read()
    if len(data) > MAX_IMAGE_BYTES:
        raise _image_too_large()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as probe:
                image_format = probe.format
                width, height = probe.size
                probe.verify()
            if image_format not in IMAGE_FORMATS:
                raise _not_an_image()
            if width * height > MAX_IMAGE_PIXELS:
                raise NewsError(_("The image has too many pixels."), code="image")
            # verify() leaves the image unusable: open it again to decode it.
            image: Image.Image
            with Image.open(io.BytesIO(data)) as image:
                image = ImageOps.exif_transpose(image)
                image.thumbnail(STORED_IMAGE_SIZE)
                if image_format == "JPEG" and image.mode not in {"RGB", "L"}:
                    image = image.convert("RGB")
                elif image_format == "WEBP" and image.mode not in {"RGB", "RGBA"}:
                    image = image.convert("RGBA")
                output = io.BytesIO()
                options: dict[str, Any] = (
                    {"optimize": True} if image_format == "PNG" else {"quality": 85}
                )
                image.save(output, format=image_format, **options)
    except NewsError:
        raise
    except (
        UnidentifiedImageError,
        Image.DecompressionBombError,
        Image.DecompressionBombWarning,
        OSError,
        SyntaxError,
        ValueError,
    ):
        # Pillow's errors for a truncated, corrupt or disguised file.
        raise _not_an_image() from None
    # A name of our own: the uploaded name may carry personal data or a misleading extension.
    return ContentFile(output.getvalue(), name=f"{uuid.uuid4().hex}.{IMAGE_FORMATS[image_format]}")


def _published_at(
    publication: Publication, *, current: datetime | None, now: datetime
) -> datetime | None:
    if not publication.publish:
        return None
    if publication.at is not None:
        return publication.at
    # "Publish now" on an item published earlier keeps its date: editing is not news.
    if current is not None and current <= now:
        return current
    return now


def _check(*, title: str, body_markdown: str, has_image: bool, image_alt: str) -> None:
    if not title.strip():
        raise NewsError(_("Give the news a title."), code="title")
    if not body_markdown.strip():
        raise NewsError(_("Write the text of the news."), code="body_markdown")
    if has_image and not image_alt.strip():
        raise NewsError(
            _("An image needs its description (alt text), for people who cannot see it."),
            code="image_alt",
        )


def _clean_easy_read(text: str) -> str:
    try:
        return clean_easy_read(text)
    except ValueError as error:
        raise NewsError(str(error), code="easy_read") from None


def _delete_file_on_commit(name: str) -> None:
    if name:
        storage = NewsItem._meta.get_field("image").storage
        transaction.on_commit(lambda: storage.delete(name))


@transaction.atomic
def news_create(
    *,
    qpv: QPV | None,
    title: str,
    body_markdown: str,
    publication: Publication,
    by: User,
    image: File | None = None,
    image_alt: str = "",
    easy_read: str = "",
    now: datetime | None = None,
) -> NewsItem:
    """A news item of `qpv` (None: metropole-wide). `image` is an upload, checked here."""
    now = now or timezone.now()
    easy_read = _clean_easy_read(easy_read)
    _check(
        title=title, body_markdown=body_markdown, has_image=image is not None, image_alt=image_alt
    )
    stored_image = news_image_clean(image) if image is not None else None
    news = NewsItem(
        qpv=qpv,
        title=title.strip(),
        body_markdown=body_markdown,
        body_html=render_markdown(body_markdown),
        easy_read=easy_read,
        image_alt=image_alt.strip() if stored_image is not None else "",
        is_published=publication.publish,
        published_at=_published_at(publication, current=None, now=now),
        author=by,
    )
    if stored_image is not None:
        news.image.save(stored_image.name, stored_image, save=False)
    news.save()
    return news


@transaction.atomic
def news_update(
    *,
    news: NewsItem,
    title: str,
    body_markdown: str,
    publication: Publication,
    by: User,
    image: File | None = None,
    remove_image: bool = False,
    image_alt: str = "",
    easy_read: str = "",
    now: datetime | None = None,
) -> NewsItem:
    """Change a news item; a new `image` replaces the old one, `remove_image` drops it."""
    now = now or timezone.now()
    easy_read = _clean_easy_read(easy_read)
    keeps_image = bool(news.image) and not remove_image
    has_image = image is not None or keeps_image
    _check(title=title, body_markdown=body_markdown, has_image=has_image, image_alt=image_alt)
    stored_image = news_image_clean(image) if image is not None else None
    old_image = news.image.name if news.image and (stored_image or remove_image) else ""
    news.title = title.strip()
    news.body_markdown = body_markdown
    news.body_html = render_markdown(body_markdown)
    news.easy_read = easy_read
    news.image_alt = image_alt.strip() if has_image else ""
    news.published_at = _published_at(publication, current=news.published_at, now=now)
    news.is_published = publication.publish
    if stored_image is not None:
        news.image.save(stored_image.name, stored_image, save=False)
    elif remove_image:
        news.image = ""
    news.save()
    # The old file goes once the new state is committed (a rollback keeps the item as it was).
    _delete_file_on_commit(old_image)
    return news
