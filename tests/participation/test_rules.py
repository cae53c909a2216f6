"""Every permission predicate, for every role, in and out of scope (DESIGN §2)."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser

from participation.roles import Role, forget_scopes, scopes_of
from qpv.models import QPV
from tests.factories import DialogueSpaceFactory, OrganisationFactory, UserFactory, grant

# Who: one user per role and scope. Where: objects in Tours (Sanitas) and in Joué-lès-Tours (Rabière).
ACTORS = [
    "visitor",
    "resident",
    "facilitator_sanitas",
    "facilitator_space",
    "referent_tours",
    "referent_joue",
    "correspondent_a",
    "delegate_all",
    "delegate_sanitas",
    "delegate_tours",
    "coordinator",
    "superuser",
]


@pytest.fixture
def world(db):
    sanitas = QPV.objects.select_related("commune").get(slug="sanitas")
    rabiere = QPV.objects.select_related("commune").get(slug="la-rabiere")
    europe = QPV.objects.select_related("commune").get(slug="europe")
    tours, joue = sanitas.commune, rabiere.commune
    space = DialogueSpaceFactory(qpv=sanitas)
    other_space = DialogueSpaceFactory(qpv=sanitas)
    rabiere_space = DialogueSpaceFactory(qpv=rabiere)
    org_a, org_b = OrganisationFactory(), OrganisationFactory()

    users = {"visitor": AnonymousUser(), "resident": UserFactory()}
    specs = {
        "facilitator_sanitas": (Role.FACILITATOR, {"qpv": sanitas}),
        "facilitator_space": (Role.FACILITATOR, {"dialogue_space": space}),
        "referent_tours": (Role.REFERENT, {"commune": tours}),
        "referent_joue": (Role.REFERENT, {"commune": joue}),
        "correspondent_a": (Role.CORRESPONDENT, {"organisation": org_a}),
        "delegate_all": (Role.DELEGATE, {}),
        "delegate_sanitas": (Role.DELEGATE, {"qpv": sanitas}),
        "delegate_tours": (Role.DELEGATE, {"commune": tours}),
        "coordinator": (Role.COORDINATOR, {}),
    }
    for name, (role, scope) in specs.items():
        users[name] = UserFactory()
        grant(users[name], role, **scope)
    users["superuser"] = UserFactory(is_superuser=True)
    objects = {
        "sanitas": sanitas,
        "europe": europe,
        "rabiere": rabiere,
        "tours": tours,
        "joue": joue,
        "space": space,
        "other_space": other_space,
        "rabiere_space": rabiere_space,
        "org_a": org_a,
        "org_b": org_b,
        "metropole": None,
    }
    return users, objects


LOCAL_STAFF_SANITAS = {"facilitator_sanitas", "referent_tours", "coordinator", "superuser"}

# permission -> object -> the actors allowed; every other actor is refused.
EXPECTED: dict[str, dict[str, set[str]]] = {
    "participation.configure": {"metropole": {"coordinator", "superuser"}},
    "participation.access_staff_area": {
        "metropole": set(ACTORS) - {"visitor", "resident"},
    },
    "dialogue.create_space": {
        "sanitas": {"referent_tours", "coordinator", "superuser"},
        "rabiere": {"referent_joue", "coordinator", "superuser"},
    },
    "dialogue.manage_space": {
        "space": LOCAL_STAFF_SANITAS | {"facilitator_space"},
        "other_space": LOCAL_STAFF_SANITAS,
        "rabiere_space": {"referent_joue", "coordinator", "superuser"},
    },
    "dialogue.log_meeting": {
        "space": LOCAL_STAFF_SANITAS | {"facilitator_space"},
        "rabiere_space": {"referent_joue", "coordinator", "superuser"},
    },
    "dialogue.view_personal_data": {
        "space": LOCAL_STAFF_SANITAS | {"facilitator_space"},
        "other_space": LOCAL_STAFF_SANITAS,
        "sanitas": LOCAL_STAFF_SANITAS,
        "europe": {"referent_tours", "coordinator", "superuser"},
        "rabiere": {"referent_joue", "coordinator", "superuser"},
    },
    "evaluation.view_indicators": {
        "metropole": {"delegate_all", "coordinator", "superuser"},
        "tours": {"delegate_all", "delegate_tours", "referent_tours", "coordinator", "superuser"},
        "joue": {"delegate_all", "referent_joue", "coordinator", "superuser"},
        "sanitas": {
            "delegate_all",
            "delegate_sanitas",
            "delegate_tours",
            "referent_tours",
            "coordinator",
            "superuser",
        },
        "europe": {"delegate_all", "delegate_tours", "referent_tours", "coordinator", "superuser"},
        "rabiere": {"delegate_all", "referent_joue", "coordinator", "superuser"},
    },
    "qpv.publish_news": {
        "sanitas": {"referent_tours", "coordinator", "superuser"},
        "rabiere": {"referent_joue", "coordinator", "superuser"},
    },
    "qpv.answer_for_organisation": {
        "org_a": {"correspondent_a", "coordinator", "superuser"},
        "org_b": {"coordinator", "superuser"},
    },
    "qpv.change_qpv": {"metropole": {"coordinator", "superuser"}},
    "participation.change_roleassignment": {"metropole": {"coordinator", "superuser"}},
}

CASES = [
    (perm, target, actor, actor in allowed)
    for perm, targets in EXPECTED.items()
    for target, allowed in targets.items()
    for actor in ACTORS
]


@pytest.mark.parametrize(("perm", "target", "actor", "allowed"), CASES)
def test_permission(world, perm, target, actor, allowed):
    users, objects = world
    user = users[actor]
    obj = objects[target]
    assert user.has_perm(perm, obj) is allowed


def test_scopes_load_in_one_query(world, django_assert_num_queries):
    users, objects = world
    user = users["referent_tours"]
    with django_assert_num_queries(1):
        scopes_of(user)
        for _ in range(5):
            user.has_perm("dialogue.manage_space", objects["space"])
    assert scopes_of(user).roles == {Role.REFERENT}


def test_several_roles_are_cumulated(world):
    users, objects = world
    user = users["facilitator_sanitas"]
    grant(user, Role.DELEGATE, commune=objects["joue"])
    assert scopes_of(user).roles == {Role.FACILITATOR, Role.DELEGATE}
    assert user.has_perm("dialogue.manage_space", objects["space"])
    assert user.has_perm("evaluation.view_indicators", objects["rabiere"])
    assert not user.has_perm("dialogue.manage_space", objects["rabiere_space"])


def test_inactive_user_has_no_scope(world):
    users, _ = world
    user = users["coordinator"]
    user.is_active = False
    user.save()
    forget_scopes(user)
    assert not user.has_perm("participation.configure")


def test_territory_of_unknown_object_is_refused(world):
    users, _ = world
    with pytest.raises(TypeError):
        users["referent_tours"].has_perm("dialogue.manage_space", users["resident"])
