"""Roles and scopes (DESIGN §2), and the per-user summary the permission predicates read.

A user can hold several role assignments, each with its own scope. `scopes_of(user)` loads them all
in one query and caches the result on the user object for the rest of the request.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    FACILITATOR = "facilitator", _("Facilitator")
    REFERENT = "referent", _("City policy referent")
    CORRESPONDENT = "correspondent", _("Correspondent of an organisation")
    DELEGATE = "delegate", _("Prefect's delegate")
    COORDINATOR = "coordinator", _("Coordinator (Métropole)")


STAFF_ROLES = frozenset(Role)


@dataclass(frozen=True)
class Scopes:
    """Everything one user may reach, by role; empty for residents and visitors."""

    coordinator: bool = False
    facilitator_qpv_ids: frozenset[int] = field(default_factory=frozenset)
    facilitator_space_ids: frozenset[int] = field(default_factory=frozenset)
    # QPV of the spaces a facilitator is scoped to: they see those QPV's staff area, not all of it.
    facilitator_space_qpv_ids: frozenset[int] = field(default_factory=frozenset)
    referent_commune_ids: frozenset[int] = field(default_factory=frozenset)
    correspondent_organisation_ids: frozenset[int] = field(default_factory=frozenset)
    delegate_everywhere: bool = False
    delegate_qpv_ids: frozenset[int] = field(default_factory=frozenset)
    delegate_commune_ids: frozenset[int] = field(default_factory=frozenset)

    @property
    def roles(self) -> frozenset[Role]:
        held = set()
        if self.coordinator:
            held.add(Role.COORDINATOR)
        if self.facilitator_qpv_ids or self.facilitator_space_ids:
            held.add(Role.FACILITATOR)
        if self.referent_commune_ids:
            held.add(Role.REFERENT)
        if self.correspondent_organisation_ids:
            held.add(Role.CORRESPONDENT)
        if self.delegate_everywhere or self.delegate_qpv_ids or self.delegate_commune_ids:
            held.add(Role.DELEGATE)
        return frozenset(held)

    @property
    def is_staff(self) -> bool:
        return bool(self.roles)


NO_SCOPES = Scopes()


def scopes_of(user) -> Scopes:
    """The user's scopes, loaded once per user object (one query)."""
    if user is None or not user.is_authenticated or not user.is_active:
        return NO_SCOPES
    cached = getattr(user, "_scopes_cache", None)
    if cached is not None:
        return cached
    # Through the user's own relation: roles.py sits below models.py, which imports Role from it.
    rows = user.role_assignments.values_list(
        "role",
        "qpv_id",
        "commune_id",
        "organisation_id",
        "dialogue_space_id",
        "dialogue_space__qpv_id",
    )
    buckets: dict[str, set[int]] = {
        "facilitator_qpv_ids": set(),
        "facilitator_space_ids": set(),
        "facilitator_space_qpv_ids": set(),
        "referent_commune_ids": set(),
        "correspondent_organisation_ids": set(),
        "delegate_qpv_ids": set(),
        "delegate_commune_ids": set(),
    }
    coordinator = user.is_superuser
    delegate_everywhere = False
    for role, qpv_id, commune_id, organisation_id, space_id, space_qpv_id in rows:
        if role == Role.COORDINATOR:
            coordinator = True
        elif role == Role.FACILITATOR:
            if space_id:
                buckets["facilitator_space_ids"].add(space_id)
                buckets["facilitator_space_qpv_ids"].add(space_qpv_id)
            elif qpv_id:
                buckets["facilitator_qpv_ids"].add(qpv_id)
        elif role == Role.REFERENT and commune_id:
            buckets["referent_commune_ids"].add(commune_id)
        elif role == Role.CORRESPONDENT and organisation_id:
            buckets["correspondent_organisation_ids"].add(organisation_id)
        elif role == Role.DELEGATE:
            if qpv_id:
                buckets["delegate_qpv_ids"].add(qpv_id)
            elif commune_id:
                buckets["delegate_commune_ids"].add(commune_id)
            else:
                delegate_everywhere = True
    scopes = Scopes(
        coordinator=coordinator,
        delegate_everywhere=delegate_everywhere,
        **{name: frozenset(ids) for name, ids in buckets.items()},
    )
    user._scopes_cache = scopes
    return scopes


def forget_scopes(user) -> None:
    """Drop the cached scopes, after roles change within one request (admin, tests)."""
    if hasattr(user, "_scopes_cache"):
        del user._scopes_cache
