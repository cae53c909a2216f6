"""Every permission predicate, for every role, in and out of scope (DESIGN §2)."""

from __future__ import annotations

import pytest
import rules
from django.apps import apps
from django.contrib.auth.models import AnonymousUser

from participation.roles import Role, forget_scopes, scopes_of
from questions.models import QuestionStatus
from tests.dialogue.factories import DialogueSpaceFactory, MeetingFactory
from tests.participation.factories import UserFactory, grant
from tests.projects.factories import FundEnvelopeFactory, GrantApplicationFactory, ProjectFactory
from tests.questions.factories import QuestionFactory

# Who: one user per role and scope (the actors fixture, and two of this module's). Where: objects in
# Tours (Sanitas) and in Joué-lès-Tours (Rabière).
ACTORS = [
    "visitor",
    "resident",
    "facilitator_sanitas",
    "facilitator_space",
    "referent_tours",
    "referent_joue",
    "correspondent",
    "delegate_all",
    "delegate_sanitas",
    "delegate_tours",
    "coordinator",
    "superuser",
]


@pytest.fixture
def users(actors):
    """The roles of ACTORS as `has_perm` sees them (the visitor is anonymous), with two of this
    module's own: a delegate of the commune of Tours and a superuser."""
    users = {name: actors[name] for name in ACTORS if name in actors.users}
    users["visitor"] = AnonymousUser()
    users["delegate_tours"] = UserFactory()
    grant(users["delegate_tours"], Role.DELEGATE, commune=actors.sanitas.commune)
    users["superuser"] = UserFactory(is_superuser=True)
    return users


@pytest.fixture
def objects(actors):
    """Objects in Tours (Sanitas, Europe) and in Joué-lès-Tours (La Rabière), by name."""
    sanitas, rabiere = actors.sanitas, actors.rabiere
    tours, joue = sanitas.commune, rabiere.commune
    space = actors.space
    other_space = DialogueSpaceFactory(qpv=sanitas)
    rabiere_space = DialogueSpaceFactory(qpv=rabiere)
    # The correspondent answers for organisation A.
    org_a, org_b = actors.organisation, actors.other_organisation
    tours_envelope = FundEnvelopeFactory(qpv=None, commune=tours)
    return {
        "meeting": MeetingFactory(dialogue_space=space),
        "rabiere_meeting": MeetingFactory(dialogue_space=rabiere_space),
        # Questions of Sanitas: accepted and addressed to organisation A or B, or still awaiting
        # moderation; one of La Rabière.
        "question_a": QuestionFactory(
            qpv=sanitas, organisation=org_a, status=QuestionStatus.FORWARDED
        ),
        "question_b": QuestionFactory(
            qpv=sanitas, organisation=org_b, status=QuestionStatus.FORWARDED
        ),
        "question_a_pending": QuestionFactory(
            qpv=sanitas, organisation=org_a, status=QuestionStatus.MODERATION
        ),
        "rabiere_question": QuestionFactory(qpv=rabiere, status=QuestionStatus.RECEIVED),
        "project": ProjectFactory(qpv=sanitas),
        "rabiere_project": ProjectFactory(qpv=rabiere),
        "sanitas_envelope": FundEnvelopeFactory(qpv=sanitas),
        "tours_envelope": tours_envelope,
        "rabiere_envelope": FundEnvelopeFactory(qpv=rabiere),
        "application": GrantApplicationFactory(envelope=tours_envelope),
        "sanitas": sanitas,
        "europe": actors.europe,
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


LOCAL_STAFF_SANITAS = {"facilitator_sanitas", "referent_tours", "coordinator", "superuser"}
REFERENT_TOURS = {"referent_tours", "coordinator", "superuser"}
REFERENT_JOUE = {"referent_joue", "coordinator", "superuser"}
DELEGATES_SANITAS = {"delegate_all", "delegate_sanitas", "delegate_tours"}

# permission -> object -> the actors allowed; every other actor is refused.
EXPECTED: dict[str, dict[str, set[str]]] = {
    "participation.configure": {"metropole": {"coordinator", "superuser"}},
    # Invitations give roles (issue 19): as the admin, the coordination team only.
    "participation.invite": {"metropole": {"coordinator", "superuser"}},
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
        "org_a": {"correspondent", "coordinator", "superuser"},
        "org_b": {"coordinator", "superuser"},
    },
    "qpv.change_qpv": {"metropole": {"coordinator", "superuser"}},
    "dialogue.manage_meeting": {
        "space": LOCAL_STAFF_SANITAS | {"facilitator_space"},
        "meeting": LOCAL_STAFF_SANITAS | {"facilitator_space"},
        "rabiere_meeting": REFERENT_JOUE,
    },
    # Counts only: the delegates of the place too, never the correspondents.
    "dialogue.view_meeting_log": {
        "meeting": LOCAL_STAFF_SANITAS | {"facilitator_space"} | DELEGATES_SANITAS,
        "rabiere_meeting": REFERENT_JOUE | {"delegate_all"},
    },
    "questions.moderate_question": {
        "question_a_pending": LOCAL_STAFF_SANITAS,
        "rabiere_question": REFERENT_JOUE,
    },
    "questions.route_question": {
        "question_a": REFERENT_TOURS,
        "rabiere_question": REFERENT_JOUE,
    },
    # The correspondents of the organisation addressed, and the referents of the place.
    "questions.answer_question": {
        "question_a": REFERENT_TOURS | {"correspondent"},
        "question_b": REFERENT_TOURS,
        "rabiere_question": REFERENT_JOUE,
    },
    # Delegates and correspondents read accepted questions only; the text of a question awaiting
    # moderation is the moderators' alone.
    "questions.view_question_staff": {
        "question_a": LOCAL_STAFF_SANITAS | DELEGATES_SANITAS | {"correspondent"},
        "question_b": LOCAL_STAFF_SANITAS | DELEGATES_SANITAS,
        "question_a_pending": LOCAL_STAFF_SANITAS,
        "rabiere_question": REFERENT_JOUE | {"delegate_all"},
    },
    # "Follow that one": any account, a public question only (never one awaiting moderation).
    "questions.follow_question": {
        "question_a": set(ACTORS) - {"visitor"},
        "rabiere_question": set(ACTORS) - {"visitor"},
        # Django's superuser holds every permission; the view still answers 404 (public only).
        "question_a_pending": {"superuser"},
    },
    "projects.manage_project": {
        "sanitas": REFERENT_TOURS,
        "project": REFERENT_TOURS,
        "rabiere_project": REFERENT_JOUE,
    },
    "projects.moderate_idea": {"project": REFERENT_TOURS, "rabiere_project": REFERENT_JOUE},
    "projects.manage_fund": {
        "sanitas_envelope": REFERENT_TOURS,
        "tours_envelope": REFERENT_TOURS,
        "rabiere_envelope": REFERENT_JOUE,
    },
    "projects.decide_grant": {"application": REFERENT_TOURS},
    "projects.manage_influence": {"project": REFERENT_TOURS, "rabiere_project": REFERENT_JOUE},
    # Reports follow the indicators: whoever reads the figures of a scope reads its reports.
    "evaluation.read_report": {
        "metropole": {"delegate_all", "coordinator", "superuser"},
        "sanitas": DELEGATES_SANITAS | REFERENT_TOURS,
        "joue": REFERENT_JOUE | {"delegate_all"},
    },
    # Issue 19: targets (set by the coordination, read by whoever reads indicators), and the written
    # parts of a report (drafted by the commune's referent, commented by the delegates too).
    "evaluation.view_targets": {"metropole": {"delegate_all", "coordinator", "superuser"}},
    "evaluation.set_targets": {"metropole": {"coordinator", "superuser"}},
    "evaluation.draft_report_text": {
        "metropole": {"coordinator", "superuser"},
        "sanitas": REFERENT_TOURS,
        "joue": REFERENT_JOUE,
    },
    "evaluation.comment_report": {
        "metropole": {"delegate_all", "coordinator", "superuser"},
        "sanitas": DELEGATES_SANITAS | REFERENT_TOURS,
        "joue": REFERENT_JOUE | {"delegate_all"},
    },
    "participation.change_roleassignment": {"metropole": {"coordinator", "superuser"}},
}

CASES = [
    (perm, target, actor, actor in allowed)
    for perm, targets in EXPECTED.items()
    for target, allowed in targets.items()
    for actor in ACTORS
]


def declared_permissions() -> set[str]:
    """Every permission an app declares in its rules.py, less the admin's model permissions
    (given to coordinators as a whole by participation.rules, and sampled in EXPECTED)."""
    admin_model_permissions = {
        f"{model._meta.app_label}.{action}_{model._meta.model_name}"
        for model in apps.get_models()
        for action in model._meta.default_permissions
    }
    return set(rules.permissions.permissions) - admin_model_permissions


def test_every_declared_permission_is_in_the_table():
    declared = declared_permissions()
    assert len(declared) >= 20
    assert declared - set(EXPECTED) == set()


@pytest.mark.parametrize(("perm", "target", "actor", "allowed"), CASES)
def test_permission(users, objects, perm, target, actor, allowed):
    user = users[actor]
    obj = objects[target]
    assert user.has_perm(perm, obj) is allowed


def test_scopes_load_in_one_query(users, objects, django_assert_num_queries):
    user = users["referent_tours"]
    with django_assert_num_queries(1):
        scopes_of(user)
        for _ in range(5):
            user.has_perm("dialogue.manage_space", objects["space"])
    assert scopes_of(user).roles == {Role.REFERENT}


def test_several_roles_are_cumulated(users, objects):
    user = users["facilitator_sanitas"]
    grant(user, Role.DELEGATE, commune=objects["joue"])
    assert scopes_of(user).roles == {Role.FACILITATOR, Role.DELEGATE}
    assert user.has_perm("dialogue.manage_space", objects["space"])
    assert user.has_perm("evaluation.view_indicators", objects["rabiere"])
    assert not user.has_perm("dialogue.manage_space", objects["rabiere_space"])


def test_inactive_user_has_no_scope(users):
    user = users["coordinator"]
    user.is_active = False
    user.save()
    forget_scopes(user)
    assert not user.has_perm("participation.configure")


def test_territory_of_unknown_object_is_refused(users):
    with pytest.raises(TypeError):
        users["referent_tours"].has_perm("dialogue.manage_space", users["resident"])
