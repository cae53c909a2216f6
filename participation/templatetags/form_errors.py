"""``{% error_title %}``: "Erreur : " before the title of a page that shows a form sent with errors.

One place for every form page (WCAG 3.3.1: the title is the first thing a screen reader says of a
new page): base.html puts it in front of each page's title, and the tag finds the forms itself in
the context the page is rendered with, whatever their name (``form``, ``ask_form``, allauth's, a
formset, or in a list or dict of the context: ``[{"question": …, "form": …}]``), so that no view
and no template has to say it; a view that hangs its forms on objects lists them in the context
(projects.views.fund). The error summary of the same page (templates/includes/form_errors.html,
allauth/includes/error_summary.html) takes the focus.

Registered as a template builtin (settings.TEMPLATES): base.html needs no ``{% load %}``.
"""

from __future__ import annotations

from django import template
from django.forms import BaseForm, BaseFormSet
from django.template.context import Context
from django.utils.translation import gettext

register = template.Library()


# The checks read type(value), not isinstance(): isinstance() would evaluate the context's lazy
# objects (the user, the CSRF token) only to look at them.


def sent_with_errors(value: object) -> bool:
    """A form or formset that was sent (bound) and refused."""
    kind = type(value)
    if issubclass(kind, BaseForm):
        return value.is_bound and bool(value.errors)  # type: ignore[attr-defined]
    if issubclass(kind, BaseFormSet):
        return value.is_bound and value.total_error_count() > 0  # type: ignore[attr-defined]
    return False


def _holds_errors(value: object, depth: int = 2) -> bool:
    """The value, or what a list, tuple or dict of the context holds (a page of forms, one per
    item: `[{"question": …, "form": …}]`), down to `depth` levels. Never a QuerySet: no query."""
    if sent_with_errors(value):
        return True
    kind = type(value)
    if depth and issubclass(kind, list | tuple):
        return any(_holds_errors(item, depth - 1) for item in value)  # type: ignore[attr-defined]
    if depth and issubclass(kind, dict):
        return any(_holds_errors(item, depth - 1) for item in value.values())  # type: ignore[attr-defined]
    return False


@register.simple_tag(takes_context=True)
def error_title(context: Context) -> str:
    """ "Erreur : " when a form of the page was sent with errors, else nothing."""
    if any(_holds_errors(value) for value in context.flatten().values()):
        # Translators: before the title of a page whose form was sent with errors.
        return gettext("Error: ")
    return ""
