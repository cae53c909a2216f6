"""Project-wide permissions (django-rules). The rules themselves, and how a role's scope becomes a
permission on an object or a filter on rows, live in participation.scopes; each app declares its own
permissions in its rules.py with `add_perm`.
"""

from __future__ import annotations

import rules
from django.apps import apps

from participation.scopes import (
    add_perm,
    has_staff_role,
    is_coordinator,
    is_correspondent_for,
    is_delegate_for,
    is_facilitator_for,
    is_local_staff,
    is_referent_for,
    territory_of,
)

__all__ = [
    "has_staff_role",
    "is_coordinator",
    "is_correspondent_for",
    "is_delegate_for",
    "is_facilitator_for",
    "is_local_staff",
    "is_referent_for",
    "territory_of",
]

add_perm("participation.configure", is_coordinator)
add_perm("participation.access_staff_area", has_staff_role)
# Invitations give roles: the coordination team only, as in the admin (issue 19).
add_perm("participation.invite", is_coordinator)


def _grant_admin_to_coordinators() -> None:
    """The Django admin is the coordinators' configuration tool: give them every model permission."""
    for model in apps.get_models():
        opts = model._meta
        for action in opts.default_permissions:
            name = f"{opts.app_label}.{action}_{opts.model_name}"
            if not rules.perm_exists(name):
                rules.add_perm(name, is_coordinator.predicate)


_grant_admin_to_coordinators()
