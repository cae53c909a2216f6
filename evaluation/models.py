"""Indicator reports for the Plenary Assembly: requested, built in the background, archived."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from participation.contract import WithinContract
from participation.scopes import Reach, ScopedQuerySet


class ReportStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Being built")
    READY = "ready", _("Ready")
    FAILED = "failed", _("Failed")


class SectionKind(models.TextChoices):
    """The editorial sections, in the order the report prints them."""

    SUMMARY = "summary", pgettext_lazy("report section", "Summary")
    HIGHLIGHTS = "highlights", _("Highlights")
    CONCERNS = "concerns", _("Points of attention")
    RECOMMENDATIONS = "recommendations", _("Recommendations")
    NEXT_STEPS = "next_steps", _("Next steps")


class TextStatus(models.TextChoices):
    """Where the written parts of a report stand. Only the published text is printed in the PDF."""

    DRAFT = "draft", pgettext_lazy("written parts", "Being drafted")
    REVIEW = "review", pgettext_lazy("written parts", "Submitted for review")
    PUBLISHED = "published", pgettext_lazy("written parts", "Published")


class ReportQuerySet(ScopedQuerySet):
    # Reports whose scope the user may read (evaluation.read_report, participation.scopes): a
    # report of a QPV, of a commune (no QPV) or of the metropole (neither).
    reach = Reach(qpv="qpv", communes=("qpv__commune", "commune"))
    view_perm = "evaluation.read_report"


class Report(models.Model):
    """A PDF report of the T1.1 indicators for a scope (metropole, commune or QPV) and a period."""

    qpv = models.ForeignKey(
        "qpv.QPV",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="reports",
        verbose_name=_("QPV"),
    )
    commune = models.ForeignKey(
        "qpv.Commune",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="reports",
        verbose_name=_("commune"),
    )
    period_start = models.DateField(_("period start"), validators=[WithinContract()])
    period_end = models.DateField(_("period end"), validators=[WithinContract()])
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
    # The written parts (ReportSection): where they stand, and their last publication.
    text_status = models.CharField(
        _("written parts"), max_length=10, choices=TextStatus.choices, default=TextStatus.DRAFT
    )
    text_published_at = models.DateTimeField(_("written parts published at"), null=True, blank=True)

    objects = ReportQuerySet.as_manager()

    class Meta:
        verbose_name = _("report")
        verbose_name_plural = _("reports")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                name="report_period_ordered",
                condition=Q(period_end__gte=models.F("period_start")),
                violation_error_message=_("The end of the period must not be before its start."),
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


# The written parts of a report (issue 19) ---------------------------------------------------------


# About two pages of the PDF per section; a comment is a remark, not a counter-report.
MAX_SECTION_CHARS = 10_000
MAX_COMMENT_CHARS = 2_000


class ReportSection(models.Model):
    """One written section of a report, drafted in Markdown by a coordinator or a referent.

    `body_html` is the sanitised rendering of `body` (evaluation.report_texts, at every save), and
    `published_html` the copy of it taken at the last publication: the PDF prints that one, so an
    edit after publication changes nothing in the PDF until the text is published again.
    """

    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="text_sections")
    kind = models.CharField(_("section"), max_length=20, choices=SectionKind.choices)
    body = models.TextField(_("text (Markdown)"), blank=True)
    body_html = models.TextField(editable=False, blank=True)
    published_html = models.TextField(editable=False, blank=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("last edited by"),
    )
    updated_at = models.DateTimeField(_("last edited at"), auto_now=True)

    class Meta:
        verbose_name = _("report section")
        verbose_name_plural = _("report sections")
        constraints = [
            models.UniqueConstraint(fields=["report", "kind"], name="report_section_unique_kind")
        ]

    def __str__(self) -> str:
        return f"{self.report_id} {self.get_kind_display()}"


class ReportComment(models.Model):
    """A remark on the written parts of a report (a prefect's delegate reviewing them, mostly),
    about one section or the whole (`kind` empty)."""

    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="text_comments")
    kind = models.CharField(_("section"), max_length=20, choices=SectionKind.choices, blank=True)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("author"),
    )
    body = models.TextField(_("comment"))
    created_at = models.DateTimeField(_("written at"), auto_now_add=True)

    class Meta:
        verbose_name = _("comment on a report")
        verbose_name_plural = _("comments on reports")
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"{self.report_id} {self.created_at:%Y-%m-%d}"


# ---- Targets (issue 19) -------------------------------------------------------------------------

# The years of the Contrat de ville 2024-2030: a target is for the whole contract or one of them.
CONTRACT_YEARS = range(2024, 2031)


class TargetLevel(models.TextChoices):
    # A target "per QPV" applies to each QPV; a commune's or the metropole's is derived from it
    # (evaluation.targets). A metropole target replaces the derived one for the metropole only.
    EACH_QPV = "qpv", _("Each QPV")
    METROPOLE = "metropole", _("The whole metropole")


class TargetDirection(models.TextChoices):
    AT_LEAST = "gte", _("at least (≥)")
    AT_MOST = "lte", _("at most (≤)")


class IndicatorTarget(models.Model):
    """A yearly target of an indicator, set by a coordinator: for every year of the contract
    (`year` empty) or for one year, which then replaces the contract's target that year."""

    code = models.CharField(_("indicator"), max_length=64)
    level = models.CharField(
        _("applies to"), max_length=10, choices=TargetLevel.choices, default=TargetLevel.EACH_QPV
    )
    year = models.PositiveSmallIntegerField(_("year"), null=True, blank=True)
    direction = models.CharField(
        _("direction"),
        max_length=3,
        choices=TargetDirection.choices,
        default=TargetDirection.AT_LEAST,
    )
    value = models.DecimalField(_("target value"), max_digits=12, decimal_places=2)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("updated by"),
    )
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("indicator target")
        verbose_name_plural = _("indicator targets")
        ordering = ["code", "level", models.F("year").asc(nulls_first=True)]
        constraints = [
            models.CheckConstraint(name="target_value_positive", condition=Q(value__gte=0)),
            models.CheckConstraint(
                name="target_year_of_contract",
                condition=Q(year__isnull=True)
                | Q(year__gte=CONTRACT_YEARS.start, year__lt=CONTRACT_YEARS.stop),
            ),
            models.UniqueConstraint(
                fields=["code", "level", "year"],
                condition=Q(year__isnull=False),
                name="target_unique_year",
                violation_error_message=_(
                    "This indicator already has a target for this year and this level."
                ),
            ),
            models.UniqueConstraint(
                fields=["code", "level"],
                condition=Q(year__isnull=True),
                name="target_unique_contract",
                violation_error_message=_(
                    "This indicator already has a target for the whole contract and this level."
                ),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.level} {self.year or 'contract'} {self.direction} {self.value}"
