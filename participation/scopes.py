"""Who sees which rows and may act on which object: the one place where roles and scopes become
permissions (DESIGN §2).

A `Rule` says who may, in two forms written side by side: on one object (the django-rules predicate
that `user.has_perm(perm, obj)` asks) and on rows (the Q filter of `Model.objects.visible_to(user)`).
Rules combine with `|` and `&`. Apps declare their permissions with `add_perm(name, rule)` in their
`rules.py`; each scoped model's QuerySet (`ScopedQuerySet`) says how its rows reach the territory
(`Reach`) and which permission means "may see it" (`view_perm`). So a list, an export or a
dashboard shows exactly the rows whose object the permission allows (tests/participation/
test_scope_property.py checks it over the demo data).

Views never test a role: they call `require_perm(request, perm, obj)` or fetch the object with
`get_object_for(request, queryset, perm, **lookup)`, which answers 404 when the object is not
visible to the user (unknown, or out of their scope: the page does not reveal that it exists) and
403 when they see it but may not do this.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import rules
from django.core.exceptions import PermissionDenied
from django.db import models
from django.db.models import Q
from django.http import HttpRequest
from django.shortcuts import get_object_or_404

from participation.roles import scopes_of

# Everything and nothing as filters. An empty Q() is not "everything": `Q() | other` is `other`.
EVERYTHING = Q(pk__isnull=False)
NOTHING = Q(pk__in=[])


# Where an object sits -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Place:
    """Where an object sits: its QPV, commune, dialogue space and organisation, when it has them."""

    qpv_id: int | None = None
    commune_id: int | None = None
    space_id: int | None = None
    organisation_id: int | None = None


METROPOLE = Place()


def territory_of(obj: Any) -> Place:
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
    if hasattr(obj, "qpv_id") and obj.qpv_id is None:
        # Per-commune objects (a fund envelope of a commune) have a commune and no QPV; metropole
        # ones (a metropole-wide news item, report) have neither.
        return Place(commune_id=getattr(obj, "commune_id", None))
    if hasattr(obj, "dialogue_space"):
        space = obj.dialogue_space
        return Place(qpv_id=space.qpv_id, commune_id=space.qpv.commune_id, space_id=space.pk)
    if hasattr(obj, "qpv_id"):
        return Place(qpv_id=obj.qpv_id, commune_id=obj.qpv.commune_id)
    raise TypeError(f"No place in the territory for {label}.")


@dataclass(frozen=True)
class Reach:
    """How the rows of a model reach the territory, as ORM paths (the row form of `territory_of`).

    `communes` lists every path to a commune: a fund envelope sits in a commune either directly
    (a commune-wide envelope) or through its QPV.
    """

    qpv: str | None = None
    communes: tuple[str, ...] = ()
    space: str | None = None
    organisation: str | None = None


def _within(path: str | None, ids: frozenset[int]) -> Q:
    return Q(**{f"{path}__in": ids}) if path is not None and ids else NOTHING


def _any_commune(reach: Reach, ids: frozenset[int]) -> Q:
    condition = NOTHING
    for path in reach.communes:
        condition |= _within(path, ids)
    return condition


# Rules: one object, or rows -----------------------------------------------------------------------


class Rule:
    """Who may: `allows(user, obj)` for one object, `rows(user, reach)` for a QuerySet's rows."""

    def __init__(
        self,
        name: str,
        allows: Callable[[Any, Any], bool],
        rows: Callable[[Any, Reach], Q],
    ):
        self.name = name
        self.allows = allows
        self.rows = rows
        self.predicate = rules.predicate(lambda user, obj=None: bool(allows(user, obj)), name=name)

    def __or__(self, other: Rule) -> Rule:
        return Rule(
            f"{self.name} | {other.name}",
            lambda user, obj: self.allows(user, obj) or other.allows(user, obj),
            lambda user, reach: self.rows(user, reach) | other.rows(user, reach),
        )

    def __and__(self, other: Rule) -> Rule:
        return Rule(
            f"({self.name}) & ({other.name})",
            lambda user, obj: self.allows(user, obj) and other.allows(user, obj),
            lambda user, reach: self.rows(user, reach) & other.rows(user, reach),
        )

    def __repr__(self) -> str:
        return f"<Rule {self.name}>"


def _everything_if(condition: bool) -> Q:
    return EVERYTHING if condition else NOTHING


is_coordinator = Rule(
    "is_coordinator",
    lambda user, obj: scopes_of(user).coordinator,
    lambda user, reach: _everything_if(scopes_of(user).coordinator),
)

# Not about a place: holds some staff role somewhere (the staff area's door).
has_staff_role = Rule(
    "has_staff_role",
    lambda user, obj: scopes_of(user).is_staff,
    lambda user, reach: _everything_if(scopes_of(user).is_staff),
)


def _referent_allows(user: Any, obj: Any) -> bool:
    place = territory_of(obj)
    return place.commune_id is not None and place.commune_id in scopes_of(user).referent_commune_ids


is_referent_for = Rule(
    "is_referent_for",
    _referent_allows,
    lambda user, reach: _any_commune(reach, scopes_of(user).referent_commune_ids),
)


def _facilitator_allows(user: Any, obj: Any) -> bool:
    place, scopes = territory_of(obj), scopes_of(user)
    if place.space_id is not None and place.space_id in scopes.facilitator_space_ids:
        return True
    return place.qpv_id is not None and place.qpv_id in scopes.facilitator_qpv_ids


def _facilitator_rows(user: Any, reach: Reach) -> Q:
    scopes = scopes_of(user)
    return _within(reach.space, scopes.facilitator_space_ids) | _within(
        reach.qpv, scopes.facilitator_qpv_ids
    )


is_facilitator_for = Rule("is_facilitator_for", _facilitator_allows, _facilitator_rows)


def _delegate_allows(user: Any, obj: Any) -> bool:
    scopes = scopes_of(user)
    if scopes.delegate_everywhere:
        return True
    place = territory_of(obj)
    if place.qpv_id is not None and place.qpv_id in scopes.delegate_qpv_ids:
        return True
    # A delegate of one QPV does not read the whole commune: only the QPV's own figures.
    return place.commune_id is not None and place.commune_id in scopes.delegate_commune_ids


def _delegate_rows(user: Any, reach: Reach) -> Q:
    scopes = scopes_of(user)
    if scopes.delegate_everywhere:
        return EVERYTHING
    return _within(reach.qpv, scopes.delegate_qpv_ids) | _any_commune(
        reach, scopes.delegate_commune_ids
    )


is_delegate_for = Rule("is_delegate_for", _delegate_allows, _delegate_rows)


def _correspondent_allows(user: Any, obj: Any) -> bool:
    place = territory_of(obj)
    return (
        place.organisation_id is not None
        and place.organisation_id in scopes_of(user).correspondent_organisation_ids
    )


is_correspondent_for = Rule(
    "is_correspondent_for",
    _correspondent_allows,
    lambda user, reach: _within(reach.organisation, scopes_of(user).correspondent_organisation_ids),
)

# The staff of a place: those who run its meetings and may see its residents' personal data.
is_local_staff = is_coordinator | is_referent_for | is_facilitator_for


# Permissions --------------------------------------------------------------------------------------

RULES_BY_PERM: dict[str, Rule] = {}


def add_perm(name: str, rule: Rule) -> None:
    """Declare a permission (django-rules), and keep its rule for the rows form."""
    RULES_BY_PERM[name] = rule
    rules.add_perm(name, rule.predicate)


def rows_for(user: Any, perm: str, reach: Reach) -> Q:
    """The rows of a model (reached by `reach`) on which the user holds `perm`."""
    return RULES_BY_PERM[perm].rows(user, reach)


def _is_nothing(condition: Q | tuple) -> bool:
    """Whether a filter built by the rules can match no row at all (no query needed)."""
    if isinstance(condition, tuple):
        return condition == ("pk__in", [])
    if condition.negated or not condition.children:
        return False
    empty = [_is_nothing(child) for child in condition.children]
    return all(empty) if condition.connector == Q.OR else any(empty)


def holds_somewhere(user: Any, perm: str, queryset: ScopedQuerySet) -> bool:
    """Whether the user holds `perm` on some possible row of the queryset's model (a list page's
    door: a referent may moderate ideas of their communes' QPV), without a query."""
    return not _is_nothing(rows_for(user, perm, queryset.reach))


class ScopedQuerySet(models.QuerySet):
    """A scoped model's QuerySet: `reach` (how its rows reach the territory) and `view_perm`."""

    reach: Reach
    view_perm: str

    def visible_to(self, user: Any, perm: str | None = None) -> models.QuerySet:
        """The rows the user may see (the model's view permission), or may act on with `perm`."""
        return self.filter(rows_for(user, perm or self.view_perm, self.reach))


# In views -----------------------------------------------------------------------------------------


def require_perm(request: HttpRequest, perm: str, obj: Any = None) -> None:
    """403 unless the user holds the permission (on the object, when there is one)."""
    if not request.user.has_perm(perm, obj):
        raise PermissionDenied


def require_perm_somewhere(request: HttpRequest, perm: str, queryset: ScopedQuerySet) -> None:
    """403 unless the user holds the permission on some row of the queryset's model."""
    if not holds_somewhere(request.user, perm, queryset):
        raise PermissionDenied


def get_object_for(request: HttpRequest, queryset: ScopedQuerySet, perm: str, **lookup: Any) -> Any:
    """The object for a permission: 404 when it is not visible to the user (unknown, or out of
    their scope), 403 when they see it but may not do `perm` on it."""
    obj = get_object_or_404(queryset.visible_to(request.user), **lookup)
    require_perm(request, perm, obj)
    return obj
