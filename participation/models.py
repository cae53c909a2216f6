from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, ClassVar

from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from participation.roles import Role, scopes_of

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def _create_user(self, email: str, password: str | None, **extra) -> User:
        if not email:
            raise ValueError("An email address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email: str, password: str | None = None, **extra) -> User:
        extra.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra)

    def create_superuser(self, email: str, password: str | None = None, **extra) -> User:
        extra["is_superuser"] = True
        return self._create_user(email, password, **extra)


class User(AbstractBaseUser, PermissionsMixin):
    """A person with an account: logged in by email, never by a username."""

    email = models.EmailField(_("email address"), unique=True)
    # The name printed on sign-in sheets and the door's screen (issue 17): "first last" or the
    # display name the resident chose; never the email address.
    full_name = models.CharField(_("full name"), max_length=150, blank=True)
    # Optional, self-declared: the residents' own neighbourhood, whose meetings come first.
    home_qpv = models.ForeignKey(
        "qpv.QPV",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("my neighbourhood"),
    )
    # Accounts without a name are asked once, at their next login (participation.adapters).
    name_asked_at = models.DateTimeField(_("name asked at"), null=True, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    date_joined = models.DateTimeField(_("date joined"), default=timezone.now)

    objects = UserManager()

    EMAIL_FIELD = "email"
    USERNAME_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = []

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        ordering = ["email"]
        permissions = [("configure", "Configure the territory, organisations and roles")]

    def __str__(self) -> str:
        return self.full_name or self.email

    def get_full_name(self) -> str:
        return self.full_name or self.email

    def get_short_name(self) -> str:
        return self.full_name.split(" ")[0] if self.full_name else self.email

    @property
    def is_staff(self) -> bool:
        """Django admin access: coordinators only (see participation.rules)."""
        return self.is_active and (self.is_superuser or scopes_of(self).coordinator)

    def has_module_perms(self, app_label: str) -> bool:
        """The admin lists an app to coordinators (object rules decide the rest)."""
        return self.is_staff

    @property
    def scopes(self):
        return scopes_of(self)


# The scope each role takes, shared by role assignments and invitations (which become one).
SCOPE_FIELDS = ("qpv", "commune", "organisation", "dialogue_space")
ROLE_SCOPE_FIELDS: dict[str, frozenset[str]] = {
    Role.FACILITATOR: frozenset({"qpv", "dialogue_space"}),
    Role.REFERENT: frozenset({"commune"}),
    Role.CORRESPONDENT: frozenset({"organisation"}),
    Role.DELEGATE: frozenset({"qpv", "commune"}),
    Role.COORDINATOR: frozenset(),
}


def role_scope_condition() -> Q:
    """The database's version of role_scope_check: each role with exactly the scope it needs."""
    return (
        (
            Q(role=Role.FACILITATOR, commune__isnull=True, organisation__isnull=True)
            & (
                Q(qpv__isnull=False, dialogue_space__isnull=True)
                | Q(qpv__isnull=True, dialogue_space__isnull=False)
            )
        )
        | Q(
            role=Role.REFERENT,
            commune__isnull=False,
            qpv__isnull=True,
            organisation__isnull=True,
            dialogue_space__isnull=True,
        )
        | Q(
            role=Role.CORRESPONDENT,
            organisation__isnull=False,
            qpv__isnull=True,
            commune__isnull=True,
            dialogue_space__isnull=True,
        )
        | (
            Q(role=Role.DELEGATE, organisation__isnull=True, dialogue_space__isnull=True)
            & ~Q(qpv__isnull=False, commune__isnull=False)
        )
        | Q(
            role=Role.COORDINATOR,
            qpv__isnull=True,
            commune__isnull=True,
            organisation__isnull=True,
            dialogue_space__isnull=True,
        )
    )


def role_scope_check(obj: RoleScope) -> None:
    """Raise a ValidationError, field by field, when the role and its scope do not fit together."""
    errors: dict[str, StrOrPromise] = {}
    if obj.role == Role.FACILITATOR and bool(obj.qpv_id) == bool(obj.dialogue_space_id):
        errors["qpv"] = _("A facilitator is scoped to one QPV or to one dialogue space.")
    if obj.role == Role.REFERENT and not obj.commune_id:
        errors["commune"] = _("A referent is scoped to a commune.")
    if obj.role == Role.CORRESPONDENT and not obj.organisation_id:
        errors["organisation"] = _("A correspondent is scoped to an organisation.")
    if obj.role == Role.DELEGATE and obj.qpv_id and obj.commune_id:
        errors["commune"] = _("A delegate is scoped to one QPV, one commune, or everything.")
    allowed = ROLE_SCOPE_FIELDS.get(obj.role, frozenset())
    for name in SCOPE_FIELDS:
        if getattr(obj, f"{name}_id") and name not in allowed:
            errors[name] = _("This scope does not apply to the chosen role.")
    if errors:
        raise ValidationError(errors)


def scope_label_of(obj: RoleScope) -> str:
    """The scope in words: a space, a QPV, a commune, an organisation, all QPV or the metropole."""
    scope = obj.dialogue_space or obj.qpv or obj.commune or obj.organisation
    if scope is not None:
        return str(scope)
    if obj.role == Role.DELEGATE:
        return str(_("all QPV"))
    return str(_("metropole"))


def _organisation_field(related_name: str) -> models.ForeignKey:
    return models.ForeignKey(
        "qpv.Organisation",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name=related_name,
        verbose_name=_("organisation"),
        help_text=_("Correspondent: the organisation whose questions they answer."),
    )


def _dialogue_space_field(related_name: str) -> models.ForeignKey:
    return models.ForeignKey(
        "dialogue.DialogueSpace",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name=related_name,
        verbose_name=_("dialogue space"),
        help_text=_("Facilitator scoped to one dialogue space."),
    )


class RoleScope(models.Model):
    """A role and the scope it needs (DESIGN §2): held (RoleAssignment) or offered (Invitation).
    The database refuses any other shape (`role_scope_condition`), forms say why (`clean`)."""

    role = models.CharField(_("role"), max_length=20, choices=Role.choices)
    qpv = models.ForeignKey(
        "qpv.QPV",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("QPV"),
        help_text=_("Facilitator or delegate scoped to one QPV."),
    )
    commune = models.ForeignKey(
        "qpv.Commune",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("commune"),
        help_text=_("Referent (mandatory) or delegate scoped to a commune."),
    )
    organisation = _organisation_field("+")
    dialogue_space = _dialogue_space_field("+")

    class Meta:
        abstract = True

    @property
    def scope_label(self) -> str:
        return scope_label_of(self)

    def clean(self) -> None:
        role_scope_check(self)


class RoleAssignment(RoleScope):
    """One role held by one user, with its scope; coordinators manage them in the admin."""

    user = models.ForeignKey(
        User, on_delete=models.CASCADE, related_name="role_assignments", verbose_name=_("user")
    )
    # The reverse relations name the people: an organisation's correspondents, a space's facilitators.
    organisation = _organisation_field("correspondents")
    dialogue_space = _dialogue_space_field("facilitators")
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("role assignment")
        verbose_name_plural = _("role assignments")
        ordering = ["user__email", "role"]
        constraints = [
            # Each role has exactly the scope it needs; anything else is refused by the database too.
            models.CheckConstraint(name="role_scope_shape", condition=role_scope_condition()),
            models.UniqueConstraint(
                fields=["user", "role", "qpv", "commune", "organisation", "dialogue_space"],
                nulls_distinct=False,
                name="role_assignment_unique",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} — {self.get_role_display()} ({self.scope_label})"


# An invitation link works this long after it is sent (or sent again); the email says until when.
INVITATION_VALIDITY = timedelta(days=7)


class InvitationStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    ACCEPTED = "accepted", _("Accepted")
    EXPIRED = "expired", _("Expired")
    REVOKED = "revoked", _("Revoked")


class InvitationQuerySet(models.QuerySet["Invitation"]):
    def with_scope(self) -> InvitationQuerySet:
        return self.select_related(
            "qpv", "commune", "organisation", "dialogue_space__qpv", "invited_by", "accepted_by"
        )

    def pending(self, *, now: datetime | None = None) -> InvitationQuerySet:
        now = now or timezone.now()
        return self.filter(accepted_at__isnull=True, revoked_at__isnull=True, expires_at__gt=now)


class Invitation(RoleScope):
    """A role and its scope offered by a coordinator to an email address (issue 19).

    The link sent by email carries a random token; only its SHA-256 is stored. Following the link,
    the person creates their account with this address (or signs in to the one they have) and
    accepts: the role assignment is created, the invitation is used up.
    """

    email = models.EmailField(_("email address"))
    invited_by = models.ForeignKey(
        User,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("invited by"),
    )
    token_hash = models.CharField(_("token digest"), max_length=64, unique=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    sent_at = models.DateTimeField(_("sent at"))
    expires_at = models.DateTimeField(_("expires at"))
    accepted_at = models.DateTimeField(_("accepted at"), null=True, blank=True)
    accepted_by = models.ForeignKey(
        User,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("accepted by"),
    )
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)

    objects = InvitationQuerySet.as_manager()

    class Meta:
        verbose_name = _("invitation")
        verbose_name_plural = _("invitations")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(name="invitation_scope_shape", condition=role_scope_condition()),
        ]

    def __str__(self) -> str:
        return f"{self.email} — {self.get_role_display()} ({self.scope_label})"

    def status(self, *, now: datetime | None = None) -> InvitationStatus:
        if self.accepted_at:
            return InvitationStatus.ACCEPTED
        if self.revoked_at:
            return InvitationStatus.REVOKED
        if self.expires_at <= (now or timezone.now()):
            return InvitationStatus.EXPIRED
        return InvitationStatus.PENDING

    @property
    def current_status(self) -> InvitationStatus:
        return self.status()
