"""Fixtures of the projects' tests: the two QPV their pages and services are tried in."""

from __future__ import annotations

import pytest

from qpv.models import QPV


@pytest.fixture
def sanitas() -> QPV:
    """Sanitas, a QPV of Tours, with its commune."""
    return QPV.objects.select_related("commune").get(slug="sanitas")


@pytest.fixture
def rabiere() -> QPV:
    """La Rabière, a QPV of Joué-lès-Tours, with its commune."""
    return QPV.objects.select_related("commune").get(slug="la-rabiere")
