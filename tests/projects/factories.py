"""Factories of issue 6: projects, the participation fund, influence records (news: tests/qpv)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import factory
from django.utils import timezone

from projects.models import (
    CarriedBy,
    FundEnvelope,
    GrantApplication,
    GrantStatus,
    InfluenceOutcome,
    InfluenceRecord,
    ModerationStatus,
    ParticipationLevel,
    Project,
    ProjectOrigin,
    ProjectStage,
    ProjectStep,
)
from qpv.models import QPV


def sanitas() -> QPV:
    return QPV.objects.get(slug="sanitas")


class ProjectFactory(factory.django.DjangoModelFactory):
    """A published project of Sanitas at the idea stage, born in a dialogue space."""

    class Meta:
        model = Project

    qpv = factory.LazyFunction(sanitas)
    title = factory.Sequence(lambda n: f"Projet {n}")
    summary = "Un jardin partagé au pied des immeubles."
    origin = ProjectOrigin.SPACE
    carried_by = CarriedBy.COLLECTIVE
    stage = ProjectStage.IDEA
    moderation = ModerationStatus.PUBLISHED


class ProjectStepFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ProjectStep

    project = factory.SubFactory(ProjectFactory)
    date = factory.LazyFunction(lambda: timezone.localdate() - timedelta(days=30))
    stage = ProjectStage.IDEA
    participation_level = ParticipationLevel.CONSULTATION
    residents_involved = 12
    note = "Réunion au centre social."


class FundEnvelopeFactory(factory.django.DjangoModelFactory):
    """The 2026 envelope of Sanitas: 10 000 €."""

    class Meta:
        model = FundEnvelope

    qpv = factory.LazyFunction(sanitas)
    commune = None
    year = 2026
    amount = Decimal("10000.00")


class GrantApplicationFactory(factory.django.DjangoModelFactory):
    """A submitted application for 1 500 €, two budget lines."""

    class Meta:
        model = GrantApplication

    envelope = factory.SubFactory(FundEnvelopeFactory)
    project = None
    title = factory.Sequence(lambda n: f"Fête de quartier {n}")
    description = "Une fête ouverte à tous les habitants."
    collective_name = "Collectif des Habitants"
    contact_name = "Awa Diallo"
    contact_email = factory.Sequence(lambda n: f"collectif{n}@example.org")
    amount_requested = Decimal("1500.00")
    budget_lines = factory.LazyFunction(
        lambda: [
            {"label": "Location de matériel", "amount": "900.00"},
            {"label": "Alimentation", "amount": "600.00"},
        ]
    )
    status = GrantStatus.SUBMITTED


class InfluenceRecordFactory(factory.django.DjangoModelFactory):
    """An adopted proposal of Sanitas residents."""

    class Meta:
        model = InfluenceRecord

    qpv = factory.LazyFunction(sanitas)
    said = "Les habitants ont demandé un éclairage du passage piéton."
    outcome = InfluenceOutcome.ADOPTED
    what_was_done = "Deux lampadaires ont été installés."
    decided_on = factory.LazyFunction(lambda: timezone.localdate() - timedelta(days=10))
