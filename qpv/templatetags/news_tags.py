"""The excerpt of a news item in lists (qpv.markdown.excerpt): one builder for pages and emails."""

from __future__ import annotations

from django import template

from qpv.markdown import excerpt

register = template.Library()


@register.filter(name="excerpt")
def excerpt_filter(html: str, words: int) -> str:
    """`{{ news.body_html|excerpt:30 }}`: plain text, escaped by the template like any string."""
    return excerpt(html, int(words))
