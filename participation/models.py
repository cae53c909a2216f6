from __future__ import annotations

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


class RoleAssignment(models.Model):
    """One role held by one user, with its scope; coordinators manage them in the admin."""

    user = models.ForeignKey(
        User, on_delete=models.CASCADE, related_name="role_assignments", verbose_name=_("user")
    )
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
    organisation = models.ForeignKey(
        "qpv.Organisation",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="correspondents",
        verbose_name=_("organisation"),
        help_text=_("Correspondent: the organisation whose questions they answer."),
    )
    dialogue_space = models.ForeignKey(
        "dialogue.DialogueSpace",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="facilitators",
        verbose_name=_("dialogue space"),
        help_text=_("Facilitator scoped to one dialogue space."),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("role assignment")
        verbose_name_plural = _("role assignments")
        ordering = ["user__email", "role"]
        constraints = [
            # Each role has exactly the scope it needs; anything else is refused by the database too.
            models.CheckConstraint(
                name="role_scope_shape",
                condition=(
                    Q(
                        role=Role.FACILITATOR,
                        commune__isnull=True,
                        organisation__isnull=True,
                    )
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
                ),
            ),
            models.UniqueConstraint(
                fields=["user", "role", "qpv", "commune", "organisation", "dialogue_space"],
                nulls_distinct=False,
                name="role_assignment_unique",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} — {self.get_role_display()} ({self.scope_label})"

    @property
    def scope_label(self) -> str:
        scope = self.dialogue_space or self.qpv or self.commune or self.organisation
        if scope is not None:
            return str(scope)
        if self.role == Role.DELEGATE:
            return str(_("all QPV"))
        return str(_("metropole"))

    def clean(self) -> None:
        errors: dict[str, StrOrPromise] = {}
        if self.role == Role.FACILITATOR and bool(self.qpv_id) == bool(self.dialogue_space_id):
            errors["qpv"] = _("A facilitator is scoped to one QPV or to one dialogue space.")
        if self.role == Role.REFERENT and not self.commune_id:
            errors["commune"] = _("A referent is scoped to a commune.")
        if self.role == Role.CORRESPONDENT and not self.organisation_id:
            errors["organisation"] = _("A correspondent is scoped to an organisation.")
        if self.role == Role.DELEGATE and self.qpv_id and self.commune_id:
            errors["commune"] = _("A delegate is scoped to one QPV, one commune, or everything.")
        scoped_fields: dict[str, set[str]] = {
            Role.FACILITATOR: {"qpv", "dialogue_space"},
            Role.REFERENT: {"commune"},
            Role.CORRESPONDENT: {"organisation"},
            Role.DELEGATE: {"qpv", "commune"},
            Role.COORDINATOR: set(),
        }
        allowed = scoped_fields.get(self.role, set())
        for name in ("qpv", "commune", "organisation", "dialogue_space"):
            if getattr(self, f"{name}_id") and name not in allowed:
                errors[name] = _("This scope does not apply to the chosen role.")
        if errors:
            raise ValidationError(errors)
