"""What a page says about itself to search engines and to the link previews of messaging apps.

base.html wraps its `description` block in the `meta_text` filter, so every page carries a
`<meta name="description">` that is plain text, trimmed on a word and never empty; meeting, answer
and news pages add Open Graph tags with `{% open_graph %}` in their `open_graph` block. The
absolute addresses come from the request (its host, and its scheme behind the proxy), never from
a setting, so a preview points where the link was opened.
"""

from __future__ import annotations

import html
import re

from django import template
from django.templatetags.static import static
from django.utils.html import escape, format_html, format_html_join, strip_tags
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

from participation.text import shorten

register = template.Library()

SITE_NAME = "Quartiers en dialogue"
DESCRIPTION_CHARS = 160
OG_DESCRIPTION_CHARS = 200
OG_TITLE_CHARS = 90
# Shown in previews when a page has no image of its own: 1200 x 630, the size previews expect.
DEFAULT_IMAGE = "img/share-default.png"
DEFAULT_IMAGE_SIZE = (1200, 630)

_SPACES = re.compile(r"\s+")
# The end of a paragraph, a list item or a heading, and a line break, become a space: "<p>One.</p>
# <p>Two.</p>" reads "One. Two.", not "One.Two.".
_BREAKS = re.compile(r"<br\s*/?>|</(?:p|li|h[1-6]|div|blockquote|td|th|dd|dt)>", re.IGNORECASE)


def default_description() -> str:
    return _(
        "Meetings, questions and projects of the priority neighbourhoods of Tours Métropole "
        "Val de Loire: come and have your say."
    )


def plain_text(value: object, limit: int) -> str:
    """One line of plain text of at most `limit` characters, cut after a whole word ("…")."""
    text = _SPACES.sub(" ", html.unescape(strip_tags(_BREAKS.sub(" ", str(value))))).strip()
    return shorten(text, limit)


@register.filter(is_safe=True)
def meta_text(value: object, limit: int = DESCRIPTION_CHARS) -> SafeString:
    """The rendered block as an attribute value: tags dropped, spaces collapsed, trimmed on a
    word, escaped once; the site's own description when nothing is left."""
    text = plain_text(value, int(limit)) or plain_text(default_description(), int(limit))
    return escape(text)


@register.simple_tag(takes_context=True)
def open_graph(
    context: template.Context,
    *,
    title: str,
    description: str,
    type: str = "article",
    image: str = "",
    image_alt: str = "",
) -> SafeString:
    """Open Graph and Twitter card tags for the current page. `image` is a path on this site
    (a news image); without one, the site's default picture."""
    request = context["request"]
    if image:
        image_url = request.build_absolute_uri(image)
        size: tuple[int, int] | None = None
    else:
        image_url = request.build_absolute_uri(static(DEFAULT_IMAGE))
        size = DEFAULT_IMAGE_SIZE
        image_alt = SITE_NAME
    properties = [
        ("og:site_name", SITE_NAME),
        ("og:locale", "fr_FR"),
        ("og:type", type),
        ("og:title", plain_text(title, OG_TITLE_CHARS) or SITE_NAME),
        (
            "og:description",
            plain_text(description, OG_DESCRIPTION_CHARS)
            or plain_text(default_description(), OG_DESCRIPTION_CHARS),
        ),
        ("og:url", request.build_absolute_uri(request.path)),
        ("og:image", image_url),
    ]
    if size:
        properties += [("og:image:width", str(size[0])), ("og:image:height", str(size[1]))]
    if image_alt:
        properties.append(("og:image:alt", plain_text(image_alt, OG_DESCRIPTION_CHARS)))
    return format_html(
        '{}\n<meta name="twitter:card" content="summary_large_image">',
        format_html_join(
            "\n", '<meta property="{}" content="{}">', ((name, value) for name, value in properties)
        ),
    )
