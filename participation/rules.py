"""Who may do what, on which object: the project's permission predicates (django-rules).

Views never test roles by hand: they call `user.has_perm("app.action", obj)`, and the answer comes
from here. Objects are placed in the territory by `territory_of`; a predicate compares that place with
the user's scopes (participation.roles), which are loaded once per request.
"""

from __future__ import annotations

from dataclasses import dataclass

import rules
from django.apps import apps

from participation.roles import scopes_of


@dataclass(frozen=True)
class Place:
    """Where an object sits: its QPV, commune, dialogue space and organisation, when it has them."""

    qpv_id: int | None = None
    commune_id: int | None = None
    space_id: int | None = None
    organisation_id: int | None = None


METROPOLE = Place()


def territory_of(obj) -> Place:
    """Locate any domain object. Callers should select_related the path to avoid a query."""
    if obj is None:
        return METROPOLE
    if isinstance(obj, Place):
        return obj
    label = obj._meta.label
    if label == "qpv.QPV":
        return Place(qpv_id=obj.pk, commune_id=obj.commune_id)
    if label == "qpv.Commune":
        return Place(commune_id=obj.pk)
    if label == "qpv.Organisation":
        return Place(organisation_id=obj.pk)
    if label == "dialogue.DialogueSpace":
        return Place(qpv_id=obj.qpv_id, commune_id=obj.qpv.commune_id, space_id=obj.pk)
    if label == "projects.GrantApplication":
        return territory_of(obj.envelope)
    if hasattr(obj, "qpv_id") and obj.qpv_id is None and hasattr(obj, "commune_id"):
        # Per-commune objects (a fund envelope of a commune) have a commune and no QPV.
        return Place(commune_id=obj.commune_id)
    if hasattr(obj, "dialogue_space"):
        space = obj.dialogue_space
        return Place(qpv_id=space.qpv_id, commune_id=space.qpv.commune_id, space_id=space.pk)
    if hasattr(obj, "qpv_id"):
        return Place(qpv_id=obj.qpv_id, commune_id=obj.qpv.commune_id)
    raise TypeError(f"No place in the territory for {label}.")


@rules.predicate
def is_coordinator(user) -> bool:
    return scopes_of(user).coordinator


@rules.predicate
def has_staff_role(user) -> bool:
    return scopes_of(user).is_staff


@rules.predicate
def is_referent_for(user, obj) -> bool:
    place = territory_of(obj)
    return place.commune_id is not None and place.commune_id in scopes_of(user).referent_commune_ids


@rules.predicate
def is_facilitator_for(user, obj) -> bool:
    place = territory_of(obj)
    scopes = scopes_of(user)
    if place.space_id is not None and place.space_id in scopes.facilitator_space_ids:
        return True
    return place.qpv_id is not None and place.qpv_id in scopes.facilitator_qpv_ids


@rules.predicate
def is_delegate_for(user, obj) -> bool:
    scopes = scopes_of(user)
    if scopes.delegate_everywhere:
        return True
    place = territory_of(obj)
    if place.qpv_id is not None and place.qpv_id in scopes.delegate_qpv_ids:
        return True
    # A delegate of one QPV does not read the whole commune: only the QPV's own figures.
    return place.commune_id is not None and place.commune_id in scopes.delegate_commune_ids


@rules.predicate
def is_correspondent_for(user, obj) -> bool:
    place = territory_of(obj)
    return (
        place.organisation_id is not None
        and place.organisation_id in scopes_of(user).correspondent_organisation_ids
    )


# The staff of a place: those who run its meetings and may see its residents' personal data.
is_local_staff = is_coordinator | is_referent_for | is_facilitator_for

# Project-wide permissions.
rules.add_perm("participation.configure", is_coordinator)
rules.add_perm("participation.access_staff_area", has_staff_role)


def _grant_admin_to_coordinators() -> None:
    """The Django admin is the coordinators' configuration tool: give them every model permission."""
    for model in apps.get_models():
        opts = model._meta
        for action in opts.default_permissions:
            name = f"{opts.app_label}.{action}_{opts.model_name}"
            if not rules.perm_exists(name):
                rules.add_perm(name, is_coordinator)


_grant_admin_to_coordinators()
