from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class SpaceFormat(models.TextChoices):
    CONSEIL_CITOYEN = "conseil_citoyen", _("Citizens' council")
    CAFE = "cafe", _("Residents' café")
    ATELIER = "atelier", _("Workshop")
    DIAGNOSTIC = "diagnostic", _("Walking diagnosis")
    PERMANENCE = "permanence", _("Drop-in session")
    REUNION_PUBLIQUE = "reunion_publique", _("Public meeting")
    COMITE_NPNRU = "comite_npnru", _("NPNRU follow-up committee")
    AUTRE = "autre", _("Other")


class SpaceOrigin(models.TextChoices):
    STRENGTHENED = "strengthened", _("Existing space, strengthened")
    CREATED = "created", _("New format, created")


class FacilitatedBy(models.TextChoices):
    VILLE = "ville", _("The city")
    PARTNER = "partner", _("A partner organisation")
    RESIDENTS = "residents", _("Residents themselves")


class DialogueSpaceQuerySet(models.QuerySet):
    def active(self) -> DialogueSpaceQuerySet:
        return self.filter(is_active=True)


class DialogueSpace(models.Model):
    """A lasting place of exchange of one QPV: a citizens' council, a residents' café, a workshop..."""

    qpv = models.ForeignKey(
        "qpv.QPV", on_delete=models.PROTECT, related_name="dialogue_spaces", verbose_name=_("QPV")
    )
    name = models.CharField(_("name"), max_length=200)
    format = models.CharField(_("format"), max_length=20, choices=SpaceFormat.choices)
    origin = models.CharField(_("origin"), max_length=20, choices=SpaceOrigin.choices)
    host_organisation = models.ForeignKey(
        "qpv.Organisation",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="hosted_spaces",
        verbose_name=_("host organisation"),
    )
    facilitated_by = models.CharField(
        _("facilitated by"), max_length=20, choices=FacilitatedBy.choices
    )
    charter = models.TextField(_("exchange charter"), blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    objects = DialogueSpaceQuerySet.as_manager()

    class Meta:
        verbose_name = _("dialogue space")
        verbose_name_plural = _("dialogue spaces")
        ordering = ["qpv__name", "name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.qpv})"
