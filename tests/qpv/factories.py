"""Factories of the territory app: organisations and news items."""

from __future__ import annotations

from datetime import timedelta

import factory
from django.utils import timezone

from qpv.models import QPV, NewsItem, Organisation, OrganisationKind


class OrganisationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organisation

    name = factory.Sequence(lambda n: f"Organisation {n}")
    kind = OrganisationKind.BAILLEUR
    contact_email = factory.Sequence(lambda n: f"org{n}@example.org")


class NewsItemFactory(factory.django.DjangoModelFactory):
    """A published news item of Sanitas (body already rendered, as the news service does)."""

    class Meta:
        model = NewsItem

    qpv = factory.LazyFunction(lambda: QPV.objects.get(slug="sanitas"))
    title = factory.Sequence(lambda n: f"Actualité {n}")
    body_markdown = "Du **texte**"
    body_html = "<p>Du <strong>texte</strong></p>"
    is_published = True
    published_at = factory.LazyFunction(lambda: timezone.now() - timedelta(hours=1))
