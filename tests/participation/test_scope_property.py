"""Over the demo data: for every scoped model, every permission about it and every demo account, the
rows `Model.objects.visible_to(user, perm)` are exactly the objects on which `user.has_perm(perm,
obj)` holds. Lists, exports and dashboards read `visible_to`, so an object appears in a role's lists
exactly when its permission allows it; and `holds_somewhere` (the staff area's doors) is open
whenever some row is visible."""

from __future__ import annotations

from datetime import date

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.management import call_command
from django.test import override_settings

from dialogue.models import DialogueSpace, Meeting
from evaluation.models import Report
from participation.models import User
from participation.roles import Role, scopes_of
from participation.scopes import RULES_BY_PERM, holds_somewhere
from projects.models import FundEnvelope, GrantApplication, InfluenceRecord, Project
from qpv.models import QPV, Commune, NewsItem, Organisation
from questions.models import Question

# Among the database tests, before the transactional ones that empty the tables.
pytestmark = pytest.mark.django_db

PLACES = [
    "dialogue.create_space",
    "questions.moderate_question",
    "projects.manage_project",
    "projects.manage_fund",
    "projects.manage_influence",
    "qpv.publish_news",
    "evaluation.view_indicators",
]
MEETINGS = [
    "dialogue.manage_space",
    "dialogue.manage_meeting",
    "dialogue.log_meeting",
    "dialogue.view_personal_data",
    "dialogue.view_meeting_log",
]
# Each scoped model, and the permissions the portal checks on its objects.
SCOPED = {
    QPV: PLACES,
    Commune: ["projects.manage_fund", "evaluation.view_indicators"],
    Organisation: ["qpv.answer_for_organisation"],
    DialogueSpace: MEETINGS,
    Meeting: MEETINGS,
    Question: [
        "questions.view_question_staff",
        "questions.moderate_question",
        "questions.route_question",
        "questions.answer_question",
        "questions.follow_question",
    ],
    Project: ["projects.manage_project", "projects.moderate_idea"],
    FundEnvelope: ["projects.manage_fund", "projects.decide_grant"],
    GrantApplication: ["projects.decide_grant"],
    InfluenceRecord: ["projects.manage_influence"],
    NewsItem: ["qpv.publish_news"],
    Report: [
        "evaluation.read_report",
        "evaluation.view_indicators",
        "evaluation.draft_report_text",
        "evaluation.comment_report",
    ],
}
# What territory_of reads on each object, loaded with the rows (no query per object).
PLACE_OF = {
    QPV: ["commune"],
    DialogueSpace: ["qpv"],
    Meeting: ["dialogue_space__qpv"],
    Question: ["qpv"],
    Project: ["qpv"],
    FundEnvelope: ["qpv"],
    GrantApplication: ["envelope__qpv"],
    InfluenceRecord: ["qpv"],
    NewsItem: ["qpv"],
    Report: ["qpv"],
}


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    """The demo data, and reports of each kind of scope (the demo requests none), once."""
    with django_db_blocker.unblock():
        from django.db import transaction

        with transaction.atomic():
            with override_settings(DEBUG=True):
                call_command("load_demo", quiet=True)
            sanitas = QPV.objects.get(slug="sanitas")
            period = {"period_start": date(2026, 1, 1), "period_end": date(2026, 6, 30)}
            Report.objects.create(**period)
            Report.objects.create(commune=sanitas.commune, **period)
            for qpv in QPV.objects.all():
                Report.objects.create(qpv=qpv, **period)
            users = [AnonymousUser(), *User.objects.order_by("pk")]
            yield users
            transaction.set_rollback(True)


def test_every_permission_about_objects_is_checked():
    checked = {perm for perms in SCOPED.values() for perm in perms}
    # The project-wide doors (staff area, configuration, invitations, the indicators' targets) are
    # about no object.
    assert set(RULES_BY_PERM) - checked == {
        "participation.access_staff_area",
        "participation.configure",
        "participation.invite",
        "evaluation.view_targets",
        "evaluation.set_targets",
    }


def test_demo_accounts_hold_every_role(demo):
    held = {role for user in demo for role in scopes_of(user).roles}
    assert held == set(Role)


@pytest.mark.parametrize("model", list(SCOPED), ids=lambda model: model.__name__)
def test_visible_rows_are_exactly_the_permitted_objects(demo, model):
    objects = list(model.objects.select_related(*PLACE_OF.get(model, [])))
    assert len(objects) >= 3, f"the demo data hold too few {model.__name__}"
    for perm in SCOPED[model]:
        for user in demo:
            allowed = {obj.pk for obj in objects if user.has_perm(perm, obj)}
            rows = set(model.objects.visible_to(user, perm).values_list("pk", flat=True))
            who = getattr(user, "email", "visitor")
            assert rows == allowed, f"{model.__name__} {perm} {who}"
            # A door may open on a scope where no row exists yet, never stay shut on rows.
            assert holds_somewhere(user, perm, model.objects.all()) or not rows, who
