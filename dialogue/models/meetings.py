from __future__ import annotations

import secrets
from datetime import date

from django.conf import settings
from django.db import models
from django.db.models.functions import Coalesce, Lower, NullIf
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from dialogue.models.log import AgeBand, Gender
from participation.contract import WithinContract
from participation.easy_read import EASY_READ_MAX_LENGTH
from participation.scopes import Reach, ScopedQuerySet


def registrant_label(pk: int | None, name: str) -> str:
    """A registrant's name or, for an account without one, "Inscrit·e n° <registration number>"."""
    return name or _("Registrant no. %(number)s") % {"number": pk}


def today_in_paris() -> date:
    """Today's date in Paris (TIME_ZONE): the calendar day of due dates, retention and agendas."""
    return timezone.localdate()


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


class DialogueSpaceQuerySet(ScopedQuerySet):
    # Staff see the spaces they run (dialogue.manage_space): see participation.scopes.
    reach = Reach(qpv="qpv", communes=("qpv__commune",), space="pk")
    view_perm = "dialogue.manage_space"

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

    def get_absolute_url(self) -> str:
        return reverse("dialogue:space", kwargs={"pk": self.pk})


class MeetingMode(models.TextChoices):
    IN_PERSON = "in_person", _("In person")
    ONLINE = "online", _("Online")
    HYBRID = "hybrid", _("Hybrid (in person and online)")


class MeetingStatus(models.TextChoices):
    PLANNED = "planned", _("Planned")
    HELD = "held", _("Held")
    CANCELLED = "cancelled", _("Cancelled")


class Food(models.TextChoices):
    # Empty: nothing to eat or drink is announced.
    SNACK = "snack", _("A snack and drinks")
    MEAL = "meal", _("A meal")


class MeetingQuerySet(ScopedQuerySet):
    # Staff pages of a meeting: its log for the local staff and the delegates of the place
    # (dialogue.view_meeting_log); running it (dialogue.manage_meeting) for the local staff.
    reach = Reach(
        qpv="dialogue_space__qpv",
        communes=("dialogue_space__qpv__commune",),
        space="dialogue_space",
    )
    view_perm = "dialogue.view_meeting_log"

    def public(self) -> MeetingQuerySet:
        """What residents may see: meetings of active spaces (cancelled ones stay, marked)."""
        return self.filter(dialogue_space__is_active=True)

    def upcoming(self, now=None) -> MeetingQuerySet:
        return self.filter(ends_at__gte=now or timezone.now()).order_by("starts_at", "pk")

    def past(self, now=None) -> MeetingQuerySet:
        return self.filter(ends_at__lt=now or timezone.now()).order_by("-starts_at", "-pk")

    def to_close(self, now=None) -> MeetingQuerySet:
        """Over, neither cancelled nor held: their attendance is still to be saved (see
        Meeting.is_to_close), the most recent first."""
        return self.filter(
            status=MeetingStatus.PLANNED,
            attendance_saved_at__isnull=True,
            ends_at__lte=now or timezone.now(),
        ).order_by("-starts_at", "-pk")

    def next_of_space(self, meeting: Meeting, *, now=None) -> Meeting | None:
        """The next planned public meeting of the same dialogue space, still to come (come-back)."""
        now = now or timezone.now()
        return (
            self.public()
            .filter(
                dialogue_space_id=meeting.dialogue_space_id,
                status=MeetingStatus.PLANNED,
                starts_at__gt=max(now, meeting.starts_at),
            )
            .exclude(pk=meeting.pk)
            .order_by("starts_at", "pk")
            .first()
        )

    def with_place(self) -> MeetingQuerySet:
        return self.select_related(
            "dialogue_space__qpv__commune", "dialogue_space__host_organisation"
        )

    def with_seats(self) -> MeetingQuerySet:
        """Confirmed and waitlisted counts, computed by the database in the same query."""
        return self.annotate(
            confirmed_count=models.Count(
                "registrations",
                filter=models.Q(registrations__status=RegistrationStatus.CONFIRMED),
            ),
            waitlisted_count=models.Count(
                "registrations",
                filter=models.Q(registrations__status=RegistrationStatus.WAITLISTED),
            ),
        )


class Meeting(models.Model):
    """A dated gathering of a dialogue space ("rencontre")."""

    dialogue_space = models.ForeignKey(
        DialogueSpace,
        on_delete=models.PROTECT,
        related_name="meetings",
        verbose_name=_("dialogue space"),
    )
    title = models.CharField(_("title"), max_length=200)
    # Planned for the contract, or logged after the fact: never outside it (the admin included).
    starts_at = models.DateTimeField(_("start"), validators=[WithinContract()])
    ends_at = models.DateTimeField(_("end"), validators=[WithinContract()])
    venue = models.CharField(_("venue"), max_length=200, blank=True)
    address = models.CharField(_("address"), max_length=300, blank=True)
    access_notes = models.TextField(
        _("how to get in"),
        blank=True,
        help_text=_("Door code, floor, bus and tram stops, parking."),
    )
    accessibility_notes = models.TextField(_("accessibility"), blank=True)
    step_free = models.BooleanField(
        _("step-free access"),
        default=False,
        help_text=_("The venue can be reached without steps (wheelchair, pushchair)."),
    )
    # The practical information residents look for first, shown as pictograms with text
    # (templates/dialogue/includes/meeting_practical.html).
    childcare = models.BooleanField(
        _("childcare"),
        default=False,
        help_text=_("Children are looked after during the meeting."),
    )
    # The languages themselves, not a yes/no: an Arabic speaker needs to know whether *their*
    # language is interpreted. Empty: no interpreting.
    interpreting = models.CharField(
        _("interpreting"),
        max_length=200,
        blank=True,
        help_text=_(
            "The languages interpreted, e.g. “Arabic, Turkish, French Sign Language (LSF)”. "
            "Empty: no interpreting."
        ),
    )
    food = models.CharField(_("food and drinks"), max_length=10, choices=Food.choices, blank=True)
    mode = models.CharField(
        _("mode"), max_length=10, choices=MeetingMode.choices, default=MeetingMode.IN_PERSON
    )
    online_url = models.URLField(_("online link"), blank=True)
    capacity = models.PositiveIntegerField(
        _("capacity"), null=True, blank=True, help_text=_("Leave empty for unlimited.")
    )
    registration_required = models.BooleanField(
        _("registration required"),
        default=True,
        help_text=_("Unticked: open door (entrée libre); registering stays possible."),
    )
    agenda = models.TextField(_("agenda"), blank=True)
    easy_read = models.CharField(
        _("easy-read summary"), max_length=EASY_READ_MAX_LENGTH, blank=True
    )
    status = models.CharField(
        _("status"), max_length=10, choices=MeetingStatus.choices, default=MeetingStatus.PLANNED
    )
    cancellation_reason = models.TextField(_("reason for cancellation"), blank=True)
    series = models.UUIDField(_("series"), null=True, blank=True, editable=False)
    attendance_saved_at = models.DateTimeField(_("attendance saved at"), null=True, blank=True)
    residents_who_spoke = models.PositiveIntegerField(
        _("residents who spoke"),
        null=True,
        blank=True,
        help_text=_("Distinct residents who took the floor, counted by the facilitator."),
    )
    tracker_paused = models.BooleanField(_("speaking tracker paused"), default=False)
    minutes_reminder_sent_at = models.DateTimeField(null=True, blank=True, editable=False)
    feedback_sent_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = MeetingQuerySet.as_manager()

    class Meta:
        verbose_name = _("meeting")
        verbose_name_plural = _("meetings")
        ordering = ["starts_at"]
        indexes = [
            models.Index(fields=["starts_at"], name="meeting_starts_idx"),
            models.Index(fields=["ends_at", "starts_at"], name="meeting_ends_starts_idx"),
            models.Index(fields=["dialogue_space", "starts_at"], name="meeting_space_starts_idx"),
            models.Index(fields=["created_at"], name="meeting_created_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                name="meeting_ends_after_start",
                condition=models.Q(ends_at__gt=models.F("starts_at")),
                violation_error_message=_("The meeting must end after it starts."),
            ),
            models.CheckConstraint(
                name="meeting_cancel_has_reason",
                condition=~models.Q(status=MeetingStatus.CANCELLED)
                | ~models.Q(cancellation_reason=""),
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("dialogue:meeting", kwargs={"pk": self.pk})

    @property
    def qpv(self):
        return self.dialogue_space.qpv

    @property
    def is_cancelled(self) -> bool:
        return self.status == MeetingStatus.CANCELLED

    @property
    def has_started(self) -> bool:
        return timezone.now() >= self.starts_at

    @property
    def has_ended(self) -> bool:
        return timezone.now() >= self.ends_at

    @property
    def is_to_close(self) -> bool:
        """Over and its attendance not saved: the staff still have to close it ("À clôturer"),
        residents see a past meeting."""
        return (
            self.status == MeetingStatus.PLANNED
            and self.attendance_saved_at is None
            and self.has_ended
        )

    @property
    def registration_open(self) -> bool:
        return self.status == MeetingStatus.PLANNED and not self.has_started

    @property
    def is_online(self) -> bool:
        return self.mode in {MeetingMode.ONLINE, MeetingMode.HYBRID}

    @property
    def seats_left(self) -> int | None:
        """None when unlimited; needs `with_seats()` (or counts the confirmed registrations)."""
        if self.capacity is None:
            return None
        confirmed = getattr(self, "confirmed_count", None)
        if confirmed is None:
            confirmed = self.registrations.filter(status=RegistrationStatus.CONFIRMED).count()
        return max(self.capacity - confirmed, 0)


class RegistrationStatus(models.TextChoices):
    # A guest's registration waits for the emailed link, or for the code sent by SMS.
    PENDING = "pending", _("Waiting for confirmation")
    CONFIRMED = "confirmed", _("Confirmed")
    WAITLISTED = "waitlisted", _("On the waiting list")
    CANCELLED = "cancelled", _("Cancelled")


ACTIVE_REGISTRATION_STATUSES = (
    RegistrationStatus.PENDING,
    RegistrationStatus.CONFIRMED,
    RegistrationStatus.WAITLISTED,
)


class RegistrationQuerySet(models.QuerySet):
    def active(self) -> RegistrationQuerySet:
        return self.filter(status__in=ACTIVE_REGISTRATION_STATUSES)

    def holding_a_place(self) -> RegistrationQuerySet:
        """Confirmed and waitlisted: the people to tell when a meeting changes."""
        return self.filter(status__in=[RegistrationStatus.CONFIRMED, RegistrationStatus.WAITLISTED])

    def waitlist(self) -> RegistrationQuerySet:
        return self.filter(status=RegistrationStatus.WAITLISTED).order_by("waitlisted_at", "pk")

    def with_waitlist_position(self) -> RegistrationQuerySet:
        """`waitlist_position`: 1 for the next person to get a seat, in the order of `waitlist()`;
        None unless waitlisted. A subquery counts who is ahead: one query, whatever the list.

        The services set `waitlisted_at` on every registration they put on the waiting list.
        """
        ahead = (
            self.model._default_manager.filter(
                meeting=models.OuterRef("meeting"), status=RegistrationStatus.WAITLISTED
            )
            .filter(
                models.Q(waitlisted_at__lt=models.OuterRef("waitlisted_at"))
                | models.Q(
                    waitlisted_at=models.OuterRef("waitlisted_at"), pk__lt=models.OuterRef("pk")
                )
            )
            .order_by()
            .values("meeting")
            .annotate(count=models.Count("pk"))
            .values("count")
        )
        return self.annotate(
            waitlist_position=models.Case(
                models.When(
                    status=RegistrationStatus.WAITLISTED,
                    then=Coalesce(models.Subquery(ahead), 0) + 1,
                ),
                default=None,
                output_field=models.IntegerField(),
            )
        )


def new_token() -> str:
    return secrets.token_urlsafe(24)


# Who a registration is, across meetings, for the figures ("distinct", "returning" residents): the
# email address (case ignored) or, for a guest registered with a mobile number only, that number
# (stored normalised, "+33612345678"). The two never collide: an address has an "@", a number not.
PERSON_KEY = Coalesce(NullIf(Lower("email"), models.Value("")), NullIf("phone", models.Value("")))

# A guest registered by SMS gets this many tries at the code, valid this long (minutes).
CODE_MAX_ATTEMPTS = 5
CODE_VALID_MINUTES = 15


class Registration(models.Model):
    """A person's seat (or place on the waiting list) at a meeting: an account or a guest.

    An account registers with its (verified) email. A guest gives an email, a mobile number, or
    both: with an email, the emailed link confirms the registration; with a number only, a code
    sent by SMS does (`code_hash`, `code_sent_at`, `code_attempts`). The phone also serves to tell
    the guest of a last-minute change by SMS, and for the reminder the day before when they ticked
    `sms_reminders` (their consent, dated `sms_consent_at`).
    """

    meeting = models.ForeignKey(
        Meeting, on_delete=models.CASCADE, related_name="registrations", verbose_name=_("meeting")
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="registrations",
        verbose_name=_("account"),
    )
    name = models.CharField(_("name"), max_length=150)
    email = models.EmailField(_("email address"), blank=True)
    phone = models.CharField(_("mobile phone"), max_length=30, blank=True)
    person_key = models.GeneratedField(
        expression=PERSON_KEY,
        output_field=models.CharField(max_length=254, null=True),
        db_persist=True,
        verbose_name=_("person key"),
    )
    status = models.CharField(
        _("status"), max_length=10, choices=RegistrationStatus.choices, db_index=True
    )
    token = models.CharField(max_length=64, unique=True, default=new_token, editable=False)
    created_at = models.DateTimeField(_("registered at"), auto_now_add=True)
    confirmed_at = models.DateTimeField(_("confirmed at"), null=True, blank=True)
    waitlisted_at = models.DateTimeField(_("waitlisted at"), null=True, blank=True)
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)
    reminder_sent_at = models.DateTimeField(_("reminder sent at"), null=True, blank=True)
    # A guest's explicit consent (never pre-ticked) to the SMS reminder the day before.
    sms_reminders = models.BooleanField(_("SMS reminder the day before"), default=False)
    sms_consent_at = models.DateTimeField(_("SMS consent given at"), null=True, blank=True)
    # The confirmation code of a guest registered by SMS: its hash only, never the code itself.
    code_hash = models.CharField(max_length=64, blank=True, editable=False)
    code_sent_at = models.DateTimeField(null=True, blank=True, editable=False)
    code_attempts = models.PositiveSmallIntegerField(default=0, editable=False)
    attended = models.BooleanField(_("present"), null=True, blank=True)
    checked_in_at = models.DateTimeField(_("checked in at"), null=True, blank=True)
    # Optional, self-declared: never required to take part.
    gender = models.CharField(_("gender"), max_length=6, choices=Gender.choices, blank=True)
    age_band = models.CharField(_("age band"), max_length=8, choices=AgeBand.choices, blank=True)
    comeback_opt_in = models.BooleanField(
        _("invite me again"),
        default=False,
        help_text=_("If I do not come back for 3 months, invite me once to a meeting of my QPV."),
    )

    objects = RegistrationQuerySet.as_manager()

    class Meta:
        verbose_name = _("registration")
        verbose_name_plural = _("registrations")
        ordering = ["created_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["meeting", "email"],
                condition=models.Q(status__in=ACTIVE_REGISTRATION_STATUSES) & ~models.Q(email=""),
                name="registration_one_active_per_email",
            ),
            # A guest registered by mobile number only: one active registration per number. A
            # number given beside an email may be shared (a family's phone): the email decides.
            models.UniqueConstraint(
                fields=["meeting", "phone"],
                condition=models.Q(status__in=ACTIVE_REGISTRATION_STATUSES, email="")
                & ~models.Q(phone=""),
                name="registration_one_active_per_phone",
            ),
            models.CheckConstraint(
                name="registration_has_email_or_phone",
                condition=~models.Q(email="") | ~models.Q(phone=""),
            ),
        ]
        indexes = [
            models.Index(fields=["meeting", "status"], name="registration_meeting_status"),
            models.Index(fields=["user", "status"], name="registration_user_status"),
            # "Returning" attendees (dialogue.selectors.attendance.returning_registrant): the earlier
            # attendances of a person, looked up for each person present.
            models.Index(
                fields=["person_key"],
                name="registration_person_attended",
                condition=models.Q(attended=True),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.display_name} — {self.meeting}"

    @property
    def display_name(self) -> str:
        """What paper and screens print: the name, never the email address (issue 17)."""
        return registrant_label(self.pk, self.name)

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE_REGISTRATION_STATUSES

    @property
    def phone_display(self) -> str:
        """The number as people write it: "+33612345678" reads "06 12 34 56 78"."""
        if len(self.phone) == 12 and self.phone.startswith("+33"):
            national = "0" + self.phone[3:]
            return " ".join(national[i : i + 2] for i in range(0, 10, 2))
        return self.phone

    @property
    def by_sms_only(self) -> bool:
        """A guest who gave a mobile number and no email: every message goes by SMS."""
        return not self.email and bool(self.phone)
