"""What residents start and what their voice changes (DESIGN §3, app `projects`).

Projects go from the idea to the evaluation, each change of stage a dated step with the participation
level reached; the participation fund finances them through its envelopes (FundEnvelope, one per QPV
or commune and year), which can never be over-committed; influence records say what residents said
and what the institution did with it.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from participation.contract import MAX_EUROS, ContractYear, NotAfterToday, WithinContract
from participation.scopes import Reach, ScopedQuerySet


class ParticipationLevel(models.IntegerChoices):
    """The French public-participation scale (after Arnstein), in increasing order."""

    INFORMATION = 1, _("Information")
    CONSULTATION = 2, _("Consultation")
    CONCERTATION = 3, _("Concertation")
    CO_CONSTRUCTION = 4, _("Co-construction")
    CO_DECISION = 5, _("Co-decision")


class ProjectStage(models.TextChoices):
    IDEA = "idea", _("Idea")
    ELABORATION = "elaboration", _("Elaboration")
    VALIDATED = "validated", _("Validated")
    FUNDED = "funded", _("Funded")
    IN_PROGRESS = "in_progress", _("In progress")
    COMPLETED = "completed", _("Completed")
    EVALUATED = "evaluated", _("Evaluated")
    ABANDONED = "abandoned", _("Abandoned")


# The order of the stages, to tell a step forward from a step back (which needs a reason).
STAGE_ORDER = {
    stage: index
    for index, stage in enumerate(
        [
            ProjectStage.IDEA,
            ProjectStage.ELABORATION,
            ProjectStage.VALIDATED,
            ProjectStage.FUNDED,
            ProjectStage.IN_PROGRESS,
            ProjectStage.COMPLETED,
            ProjectStage.EVALUATED,
        ]
    )
}


class ProjectOrigin(models.TextChoices):
    MEETING = "meeting", _("A meeting")
    QUESTION = "question", _("A question")
    SPACE = "space", _("A dialogue space")
    ONLINE = "online", _("An idea proposed online")


class CarriedBy(models.TextChoices):
    COLLECTIVE = "collective", _("Residents' collective")
    ASSOCIATION = "association", _("Association")
    INSTITUTION = "institution", _("Institution")


class ModerationStatus(models.TextChoices):
    PENDING = "pending", _("Awaiting moderation")
    PUBLISHED = "published", _("Published")
    REJECTED = "rejected", _("Not published")


class ProjectQuerySet(ScopedQuerySet):
    # The staff pages of projects (projects.manage_project, participation.scopes).
    reach = Reach(qpv="qpv", communes=("qpv__commune",))
    view_perm = "projects.manage_project"

    def public(self) -> ProjectQuerySet:
        return self.filter(moderation=ModerationStatus.PUBLISHED)

    def with_place(self) -> ProjectQuerySet:
        return self.select_related("qpv__commune")


class Project(models.Model):
    qpv = models.ForeignKey(
        "qpv.QPV", on_delete=models.PROTECT, related_name="projects", verbose_name=_("QPV")
    )
    title = models.CharField(_("title"), max_length=200)
    summary = models.TextField(_("summary"), max_length=5000)
    origin = models.CharField(_("origin"), max_length=10, choices=ProjectOrigin.choices)
    origin_meeting = models.ForeignKey(
        "dialogue.Meeting",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="projects",
        verbose_name=_("meeting of origin"),
    )
    origin_question = models.ForeignKey(
        "questions.Question",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="projects",
        verbose_name=_("question of origin"),
    )
    origin_space = models.ForeignKey(
        "dialogue.DialogueSpace",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="projects",
        verbose_name=_("dialogue space of origin"),
    )
    carried_by = models.CharField(_("carried by"), max_length=12, choices=CarriedBy.choices)
    carrier_name = models.CharField(_("name of the carrier"), max_length=200, blank=True)
    stage = models.CharField(
        _("stage"), max_length=12, choices=ProjectStage.choices, default=ProjectStage.IDEA
    )
    abandoned_reason = models.TextField(_("reason for abandoning"), blank=True)
    moderation = models.CharField(
        _("moderation"),
        max_length=10,
        choices=ModerationStatus.choices,
        default=ModerationStatus.PUBLISHED,
    )
    rejected_reason = models.TextField(_("reason for not publishing"), blank=True)
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="proposed_projects",
        verbose_name=_("proposed by"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = ProjectQuerySet.as_manager()

    class Meta:
        verbose_name = _("project")
        verbose_name_plural = _("projects")
        ordering = ["-updated_at", "-pk"]
        indexes = [
            models.Index(fields=["qpv", "moderation", "stage"], name="project_qpv_stage"),
            models.Index(fields=["moderation", "updated_at"], name="project_public_updated"),
        ]
        constraints = [
            models.CheckConstraint(
                name="project_abandoned_has_reason",
                condition=~Q(stage=ProjectStage.ABANDONED) | ~Q(abandoned_reason=""),
            )
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("projects:project", kwargs={"pk": self.pk})


class ProjectStep(models.Model):
    """A dated change of stage, with the participation level reached and who took part."""

    project = models.ForeignKey(
        Project, on_delete=models.CASCADE, related_name="steps", verbose_name=_("project")
    )
    date = models.DateField(
        _("date"), default=timezone.localdate, validators=[WithinContract(), NotAfterToday()]
    )
    stage = models.CharField(_("stage"), max_length=12, choices=ProjectStage.choices)
    participation_level = models.PositiveSmallIntegerField(
        _("participation level"), choices=ParticipationLevel.choices
    )
    residents_involved = models.PositiveIntegerField(_("residents involved"), default=0)
    note = models.TextField(_("note"), blank=True, max_length=5000)
    reason = models.TextField(
        _("reason"), blank=True, help_text=_("Required to go back to an earlier stage.")
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("project step")
        verbose_name_plural = _("project steps")
        ordering = ["date", "pk"]
        indexes = [models.Index(fields=["project", "date"], name="step_project_date")]

    def __str__(self) -> str:
        return f"{self.project_id} — {self.get_stage_display()} ({self.date})"


class ExperienceEvaluation(models.Model):
    """At the end of a project: what residents' voice changed, what to keep or change."""

    project = models.OneToOneField(
        Project, on_delete=models.CASCADE, related_name="evaluation", verbose_name=_("project")
    )
    voice_changed = models.TextField(_("what residents' voice changed"))
    to_keep = models.TextField(_("what to keep"), blank=True)
    to_change = models.TextField(_("what to change"), blank=True)
    highest_level = models.PositiveSmallIntegerField(
        _("highest participation level reached"), choices=ParticipationLevel.choices
    )
    evaluated_on = models.DateField(
        _("evaluated on"),
        default=timezone.localdate,
        validators=[WithinContract(), NotAfterToday()],
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("author"),
    )

    class Meta:
        verbose_name = _("experience evaluation")
        verbose_name_plural = _("experience evaluations")

    def __str__(self) -> str:
        return f"{self.project_id} ({self.evaluated_on})"


class FundEnvelopeQuerySet(ScopedQuerySet):
    # An envelope sits in a QPV or, commune-wide, in a commune (projects.manage_fund).
    reach = Reach(qpv="qpv", communes=("qpv__commune", "commune"))
    view_perm = "projects.manage_fund"


class FundEnvelope(models.Model):
    """An envelope of the participation fund ("fonds de participation des habitants"): per QPV (or
    per commune) and year."""

    qpv = models.ForeignKey(
        "qpv.QPV",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="envelopes",
        verbose_name=_("QPV"),
    )
    commune = models.ForeignKey(
        "qpv.Commune",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="envelopes",
        verbose_name=_("commune"),
    )
    year = models.PositiveSmallIntegerField(_("year"), validators=[ContractYear()])
    amount = models.DecimalField(
        _("envelope (€)"),
        max_digits=10,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(MAX_EUROS)],
    )
    set_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("set by"),
    )
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = FundEnvelopeQuerySet.as_manager()

    class Meta:
        verbose_name = _("participation fund (FPH)")
        verbose_name_plural = _("participation funds (FPH)")
        ordering = ["-year", "pk"]
        constraints = [
            models.CheckConstraint(
                name="envelope_qpv_xor_commune",
                condition=Q(qpv__isnull=False, commune__isnull=True)
                | Q(qpv__isnull=True, commune__isnull=False),
            ),
            models.CheckConstraint(name="envelope_amount_positive", condition=Q(amount__gte=0)),
            models.UniqueConstraint(
                fields=["qpv", "year"], condition=Q(qpv__isnull=False), name="envelope_qpv_year"
            ),
            models.UniqueConstraint(
                fields=["commune", "year"],
                condition=Q(commune__isnull=False),
                name="envelope_commune_year",
            ),
        ]

    def __str__(self) -> str:
        return f"FPH {self.qpv or self.commune} {self.year}"


class GrantStatus(models.TextChoices):
    SUBMITTED = "submitted", _("Submitted")
    GRANTED = "granted", _("Granted")
    REFUSED = "refused", _("Refused")
    WITHDRAWN = "withdrawn", _("Withdrawn")


class FileStatus(models.TextChoices):
    """Whether the referents found the application complete, before the committee examines it."""

    NOT_CHECKED = "", _("Not checked yet")
    COMPLETE = "complete", _("Complete")
    INCOMPLETE = "incomplete", _("Incomplete")


class GrantApplicationQuerySet(ScopedQuerySet):
    # An application is where its envelope is (projects.decide_grant).
    reach = Reach(qpv="envelope__qpv", communes=("envelope__qpv__commune", "envelope__commune"))
    view_perm = "projects.decide_grant"


class GrantApplication(models.Model):
    """A residents' collective asks an envelope of the fund for money; the residents' committee
    decides."""

    envelope = models.ForeignKey(
        FundEnvelope,
        on_delete=models.PROTECT,
        related_name="applications",
        verbose_name=_("participation fund"),
    )
    project = models.ForeignKey(
        Project,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="grant_applications",
        verbose_name=_("project"),
    )
    title = models.CharField(_("title of the action"), max_length=200)
    description = models.TextField(_("description"), max_length=5000)
    collective_name = models.CharField(_("residents' collective"), max_length=200)
    contact_name = models.CharField(_("contact name"), max_length=150)
    contact_email = models.EmailField(_("contact email"))
    contact_phone = models.CharField(_("contact phone"), max_length=30, blank=True)
    amount_requested = models.DecimalField(
        _("amount requested (€)"),
        max_digits=10,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0.01")), MaxValueValidator(MAX_EUROS)],
    )
    budget_lines = models.JSONField(
        _("budget lines"),
        default=list,
        help_text=_("[{label, amount}], the detail of the request."),
    )
    status = models.CharField(
        _("status"), max_length=10, choices=GrantStatus.choices, default=GrantStatus.SUBMITTED
    )
    amount_granted = models.DecimalField(
        _("amount granted (€)"),
        max_digits=10,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0.01")), MaxValueValidator(MAX_EUROS)],
    )
    # Checked by the referents before the committee: complete, or what is missing (issue 17).
    file_status = models.CharField(
        _("file"), max_length=10, choices=FileStatus.choices, blank=True, default=""
    )
    missing_pieces = models.TextField(_("what is missing"), blank=True, max_length=1000)
    file_checked_at = models.DateTimeField(_("file checked at"), null=True, blank=True)
    decision_meeting = models.ForeignKey(
        "dialogue.Meeting",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="grant_decisions",
        verbose_name=_("committee meeting"),
    )
    decision_reason = models.TextField(_("reason of the decision"), blank=True)
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("decided by"),
    )
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="grant_applications",
        verbose_name=_("submitted by"),
    )
    submitted_at = models.DateTimeField(_("submitted at"), default=timezone.now)

    objects = GrantApplicationQuerySet.as_manager()

    class Meta:
        verbose_name = _("grant application")
        verbose_name_plural = _("grant applications")
        ordering = ["-submitted_at", "-pk"]
        indexes = [models.Index(fields=["envelope", "status"], name="grant_envelope_status")]
        constraints = [
            models.CheckConstraint(
                name="grant_amounts_positive",
                condition=Q(amount_requested__gt=0)
                & (Q(amount_granted__isnull=True) | Q(amount_granted__gte=0)),
            ),
            models.CheckConstraint(
                name="grant_not_above_request",
                condition=Q(amount_granted__isnull=True)
                | Q(amount_granted__lte=models.F("amount_requested")),
            ),
        ]

    def __str__(self) -> str:
        return self.title


class GrantPayment(models.Model):
    application = models.ForeignKey(
        GrantApplication, on_delete=models.PROTECT, related_name="payments"
    )
    amount = models.DecimalField(
        _("amount paid (€)"),
        max_digits=10,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0.01")), MaxValueValidator(MAX_EUROS)],
    )
    paid_on = models.DateField(
        _("paid on"), default=timezone.localdate, validators=[WithinContract(), NotAfterToday()]
    )
    note = models.CharField(_("note"), max_length=200, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("recorded by"),
    )

    class Meta:
        verbose_name = _("payment")
        verbose_name_plural = _("payments")
        ordering = ["paid_on", "pk"]
        constraints = [
            models.CheckConstraint(name="payment_amount_positive", condition=Q(amount__gt=0))
        ]
        indexes = [
            # What an envelope paid (projects.selectors.with_consumption sums each envelope's payments):
            # the sums read the index alone, instead of the whole table for each envelope.
            models.Index(
                fields=["application"], include=["amount"], name="payment_application_amount"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.amount} € — {self.paid_on}"


class InfluenceOutcome(models.TextChoices):
    ADOPTED = "adopted", _("Adopted")
    PARTLY = "partly", _("Partly adopted")
    NOT_ADOPTED = "not_adopted", _("Not adopted")


class InfluenceRecordQuerySet(ScopedQuerySet):
    reach = Reach(qpv="qpv", communes=("qpv__commune",))
    view_perm = "projects.manage_influence"


class InfluenceRecord(models.Model):
    """ "Vous avez dit, nous avons fait": what residents said and what the institution did."""

    qpv = models.ForeignKey(
        "qpv.QPV", on_delete=models.PROTECT, related_name="influence_records", verbose_name=_("QPV")
    )
    said = models.TextField(_("what residents said"), max_length=3000)
    meeting = models.ForeignKey(
        "dialogue.Meeting",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="influence_records",
        verbose_name=_("meeting"),
    )
    question = models.ForeignKey(
        "questions.Question",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="influence_records",
        verbose_name=_("question"),
    )
    outcome = models.CharField(_("outcome"), max_length=12, choices=InfluenceOutcome.choices)
    what_was_done = models.TextField(_("what the institution did"), max_length=3000)
    reason = models.TextField(
        _("reason"), blank=True, help_text=_("Required when not (fully) adopted.")
    )
    project = models.ForeignKey(
        Project,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="influence_records",
        verbose_name=_("project"),
    )
    action = models.CharField(_("action concerned"), max_length=200, blank=True)
    institution = models.ForeignKey(
        "qpv.Organisation",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="influence_records",
        verbose_name=_("institution"),
    )
    decided_on = models.DateField(
        _("date"), default=timezone.localdate, validators=[WithinContract(), NotAfterToday()]
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    objects = InfluenceRecordQuerySet.as_manager()

    class Meta:
        verbose_name = _("influence record")
        verbose_name_plural = _("influence records")
        ordering = ["-decided_on", "-pk"]
        indexes = [
            models.Index(fields=["qpv", "decided_on"], name="influence_qpv_date"),
            # The metropole-wide lists, newest first (Meta.ordering): read in order, 20 at a time.
            models.Index(fields=["decided_on", "id"], name="influence_decided"),
        ]
        constraints = [
            models.CheckConstraint(
                name="influence_reason_unless_adopted",
                condition=Q(outcome=InfluenceOutcome.ADOPTED) | ~Q(reason=""),
            )
        ]

    def __str__(self) -> str:
        return self.said[:80]
