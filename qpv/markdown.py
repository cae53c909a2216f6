"""Markdown bodies of the news, rendered to HTML once, when saved, and sanitised (nh3).

Staff write Markdown; residents read HTML. python-Markdown passes raw HTML through, so its output is
never trusted: nh3 (ammonia) keeps only the tags and attributes of the allow-list below and drops
the rest (scripts with their content, event handlers, style attributes, images, `javascript:`
links). Templates may then output `body_html` as it is, because nothing else ever writes it.
"""

from __future__ import annotations

import re
from html import unescape

import markdown
import nh3
from django.utils.html import strip_tags
from markdown.extensions import Extension
from markdown.treeprocessors import Treeprocessor

ALLOWED_TAGS = {
    "p",
    "br",
    "strong",
    "em",
    "ul",
    "ol",
    "li",
    "a",
    "h2",
    "h3",
    "blockquote",
    "code",
    "pre",
}
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}}
# Relative links (to the portal's own pages) stay; absolute ones only with these schemes.
ALLOWED_URL_SCHEMES = {"http", "https", "mailto"}
# Removed with their content, not only their tags.
DROPPED_WITH_CONTENT = {"script", "style"}
LINK_REL = "noopener noreferrer"


class _HeadingLevels(Treeprocessor):
    """The page's title is the only h1: `#` and `##` become h2, deeper headings h3."""

    def run(self, root) -> None:
        for element in root.iter():
            if element.tag in {"h1", "h2"}:
                element.tag = "h2"
            elif element.tag in {"h4", "h5", "h6"}:
                element.tag = "h3"


class _HeadingLevelsExtension(Extension):
    def extendMarkdown(self, md) -> None:  # python-Markdown names it so
        md.treeprocessors.register(_HeadingLevels(md), "heading_levels", 5)


def sanitise_html(html: str) -> str:
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        clean_content_tags=DROPPED_WITH_CONTENT,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=ALLOWED_URL_SCHEMES,
        link_rel=LINK_REL,
        strip_comments=True,
    )


def render_markdown(text: str) -> str:
    """Markdown → sanitised HTML, ready to store in `body_html`.

    Only extensions that add no markup outside the allow-list: `sane_lists` (lists as written)
    and `nl2br` (a line break in the text is a line break on the page, as authors expect).
    """
    html = markdown.markdown(
        text,
        extensions=["sane_lists", "nl2br", _HeadingLevelsExtension()],
        output_format="html",
    )
    return sanitise_html(html)


# Blocks of the allow-list: each one ends a sentence in an excerpt.
_BLOCK_END = re.compile(r"\s*(?:<br\s*/?>|</(?:p|li|h2|h3|blockquote|pre)>)\s*", re.IGNORECASE)
_SENTENCE_END = re.compile(r"[.!?…:;]$")


def excerpt(html: str, words: int) -> str:
    """Plain text of a sanitised body for a list or an email: the first `words` words.

    A heading, a list item or a line has no full stop of its own in HTML: stripping the tags would
    glue it to the next one ("Au programme Des jeux"). Each block therefore ends with a space, and
    with a full stop when it had no closing punctuation. The cut falls between two words and ends
    with "…" (no space before it, as French typography wants).
    """
    blocks = []
    for block in _BLOCK_END.split(html):
        text = " ".join(unescape(strip_tags(block)).split())
        if text:
            blocks.append(text if _SENTENCE_END.search(text) else f"{text}.")
    all_words = " ".join(blocks).split()
    if len(all_words) <= words:
        return " ".join(all_words)
    return " ".join(all_words[:words]).rstrip(",;:.!?…") + "…"
