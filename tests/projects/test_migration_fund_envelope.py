"""The migration that gives the fund's envelopes one name (projects 0004: `ParticipationFund` becomes
`FundEnvelope`, `GrantApplication.fund` becomes `envelope`), run on a database that holds data.

The test database goes back to the migration before it; an envelope, a grant application, their
audit log entries and a group holding a permission on envelopes are written through the historical
models; the database migrates forward and the current models find them all: the same rows, the same
content type (so the audit log entries still point at the envelope), the permissions renamed and
still held. Twice: with the MigrationExecutor alone (no signal: the migration renames the content
type itself) and with `manage.py migrate` (Django's RenameContentType does it first).
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from auditlog.models import LogEntry
from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import translation

from participation import audit
from projects.models import FundEnvelope, GrantApplication

BEFORE = ("projects", "0003_questions_app")
AFTER = ("projects", "0004_fund_envelope")
# The historical models the data is written with: the projects app before the rename, and the
# audit log (not an ancestor of projects' migrations).
HISTORICAL_NODES = [BEFORE, ("auditlog", "0017_add_actor_email")]
ACTIONS = ("add", "change", "delete", "view")

# It commits and changes the schema: a transactional test, the seeded QPV restored afterwards.
pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def migrate_to(target: tuple[str, str], how: str) -> None:
    if how == "command":
        call_command("migrate", target[0], target[1], verbosity=0)
    else:
        executor = MigrationExecutor(connection)
        executor.migrate([target])
    ContentType.objects.clear_cache()


@pytest.fixture
def at_latest():
    """Whatever the test does, the database ends at the latest migrations."""
    yield
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())
    ContentType.objects.clear_cache()


@pytest.mark.parametrize("how", ["executor", "command"])
def test_the_rename_keeps_envelopes_applications_and_what_points_at_them(at_latest, how):
    migrate_to(BEFORE, how)
    old = MigrationExecutor(connection).loader.project_state(HISTORICAL_NODES).apps
    OldContentType = old.get_model("contenttypes", "ContentType")
    OldPermission = old.get_model("auth", "Permission")
    OldGroup = old.get_model("auth", "Group")
    OldLogEntry = old.get_model("auditlog", "LogEntry")
    OldQPV = old.get_model("qpv", "QPV")
    OldFund = old.get_model("projects", "ParticipationFund")
    OldApplication = old.get_model("projects", "GrantApplication")

    # Before: the content type and the permissions carry the old name (as in production today).
    fund_type = OldContentType.objects.get(app_label="projects", model="participationfund")
    assert not OldContentType.objects.filter(app_label="projects", model="fundenvelope").exists()
    assert set(
        OldPermission.objects.filter(content_type=fund_type).values_list("codename", flat=True)
    ) == {f"{action}_participationfund" for action in ACTIONS}
    application_type = OldContentType.objects.get(app_label="projects", model="grantapplication")

    sanitas = OldQPV.objects.get(slug="sanitas")
    fund = OldFund.objects.create(qpv=sanitas, year=2026, amount=Decimal("10000.00"))
    application = OldApplication.objects.create(
        fund=fund,
        title="Fête des voisins",
        description="Une fête dans la cour.",
        collective_name="Collectif des Tilleuls",
        contact_name="Léa Martin",
        contact_email="lea@example.org",
        amount_requested=Decimal("800.00"),
        budget_lines=[{"label": "Repas", "amount": "800.00"}],
    )
    fund_entry = OldLogEntry.objects.create(
        content_type=fund_type,
        object_pk=str(fund.pk),
        object_id=fund.pk,
        object_repr="FPH Sanitas 2026",
        action=0,
        changes={"amount": ["None", "10000.00"], "year": ["None", "2026"]},
    )
    application_entry = OldLogEntry.objects.create(
        content_type=application_type,
        object_pk=str(application.pk),
        object_id=application.pk,
        object_repr=application.title,
        action=0,
        changes={"fund": ["None", str(fund.pk)], "status": ["None", "submitted"]},
    )
    treasurers = OldGroup.objects.create(name="Trésorerie du fonds")
    treasurers.permissions.add(
        OldPermission.objects.get(content_type=fund_type, codename="change_participationfund")
    )

    migrate_to(AFTER, how)
    # Then the later migrations of the app (fields added since), so that today's models read it.
    executor = MigrationExecutor(connection)
    migrate_to(
        next(node for node in executor.loader.graph.leaf_nodes() if node[0] == "projects"), how
    )

    # The rows, found through the new model and the new field.
    envelope = FundEnvelope.objects.get(pk=fund.pk)
    assert (envelope.qpv_id, envelope.year, envelope.amount) == (
        sanitas.pk,
        2026,
        Decimal("10000.00"),
    )
    found = GrantApplication.objects.select_related("envelope").get(pk=application.pk)
    assert found.envelope == envelope
    assert list(envelope.applications.all()) == [found]

    # The content type was renamed in place: same row, no stale one left behind.
    envelope_type = ContentType.objects.get_for_model(FundEnvelope)
    assert envelope_type.pk == fund_type.pk
    assert not ContentType.objects.filter(app_label="projects", model="participationfund").exists()

    # The audit log entry of the envelope still points at it, and the page names the model.
    entry = LogEntry.objects.select_related("content_type").get(pk=fund_entry.pk)
    assert entry.content_type == envelope_type
    assert entry.content_type.model_class() is FundEnvelope
    assert entry.content_type.get_object_for_this_type(pk=entry.object_id) == envelope
    assert list(LogEntry.objects.get_for_object(envelope)) == [entry]
    with translation.override("en"):
        assert "projects.fundenvelope" in dict(audit.model_choices())
        assert audit.model_label(entry.content_type) == "Participation fund (fph)"
    # The grant application's entry names the renamed field by its new name, a field of the model
    # (the audit log page labels each change with its field's verbose name).
    entry = LogEntry.objects.select_related("content_type").get(pk=application_entry.pk)
    assert entry.changes_dict == {
        "envelope": ["None", str(fund.pk)],
        "status": ["None", "submitted"],
    }
    with translation.override("en"):
        assert GrantApplication._meta.get_field("envelope").verbose_name == "participation fund"

    # The permissions took the new codenames (their names, from the verbose name, are unchanged)
    # and are still held.
    assert set(
        Permission.objects.filter(content_type=envelope_type).values_list("codename", flat=True)
    ) == {f"{action}_fundenvelope" for action in ACTIONS}
    assert Permission.objects.get(codename="view_fundenvelope").name == (
        "Can view participation fund (FPH)"
    )
    group = Group.objects.get(pk=treasurers.pk)
    assert list(group.permissions.values_list("codename", flat=True)) == ["change_fundenvelope"]
