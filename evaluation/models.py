"""Indicator reports for the Plenary Assembly: requested, built in the background, archived."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from participation.scopes import Reach, ScopedQuerySet


class ReportStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Being built")
    READY = "ready", _("Ready")
    FAILED = "failed", _("Failed")


class ReportQuerySet(ScopedQuerySet):
    # Reports whose scope the user may read (evaluation.read_report, participation.scopes): a
    # report of a QPV, of a commune (no QPV) or of the metropole (neither).
    reach = Reach(qpv="qpv", communes=("qpv__commune", "commune"))
    view_perm = "evaluation.read_report"


class Report(models.Model):
    """A PDF report of the T1.1 indicators for a scope (metropole, commune or QPV) and a period."""

    qpv = models.ForeignKey(
        "qpv.QPV", on_delete=models.PROTECT, null=True, blank=True, related_name="reports"
    )
    commune = models.ForeignKey(
        "qpv.Commune", on_delete=models.PROTECT, null=True, blank=True, related_name="reports"
    )
    period_start = models.DateField(_("period start"))
    period_end = models.DateField(_("period end"))
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="reports",
        verbose_name=_("requested by"),
    )
    scheduled = models.BooleanField(_("scheduled (annual report)"), default=False)
    status = models.CharField(
        _("status"), max_length=10, choices=ReportStatus.choices, default=ReportStatus.QUEUED
    )
    progress = models.PositiveSmallIntegerField(_("progress (%)"), default=0)
    progress_label = models.CharField(_("current step"), max_length=200, blank=True)
    file = models.FileField(_("PDF file"), upload_to="reports/%Y/", blank=True, max_length=200)
    # The editable copy (ODT) of the same build, for a delegate to adapt; empty if it failed.
    odt_file = models.FileField(
        _("editable copy (ODT)"), upload_to="reports/%Y/", blank=True, max_length=200
    )
    size = models.PositiveIntegerField(_("size (bytes)"), null=True, blank=True)
    checksum = models.CharField(_("SHA-256 checksum"), max_length=64, blank=True)
    generated_at = models.DateTimeField(_("generated at"), null=True, blank=True)
    error = models.TextField(_("error"), blank=True)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    created_at = models.DateTimeField(_("requested at"), auto_now_add=True)

    objects = ReportQuerySet.as_manager()

    class Meta:
        verbose_name = _("report")
        verbose_name_plural = _("reports")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                name="report_period_ordered", condition=Q(period_end__gte=models.F("period_start"))
            ),
            models.CheckConstraint(
                name="report_scope_shape", condition=Q(qpv__isnull=True) | Q(commune__isnull=True)
            ),
        ]
        indexes = [models.Index(fields=["status", "created_at"], name="report_status_created")]

    def __str__(self) -> str:
        return f"{self.scope_label} {self.period_start} → {self.period_end}"

    def get_absolute_url(self) -> str:
        return reverse("evaluation:report", kwargs={"pk": self.pk})

    @property
    def scope_label(self) -> str:
        if self.qpv_id:
            return str(self.qpv)
        if self.commune_id:
            return str(self.commune)
        return "Tours Métropole Val de Loire"
