"""The QPV a query string names (`?qpv=<slug>`), on the staff's pages that create something in it."""

from __future__ import annotations

from django.core.validators import slug_re
from django.http import Http404
from django.shortcuts import get_object_or_404

from qpv.models import QPV


def qpv_or_404(slug: str) -> QPV:
    """The QPV of `slug`, with its commune; a 404 for an unknown slug, and for a value no slug can
    be (a NUL byte, which PostgreSQL refuses in a query, or any other character slugs never hold)."""
    if not slug_re.match(slug):
        raise Http404("No QPV has this slug.")
    return get_object_or_404(QPV.objects.select_related("commune"), slug=slug)
