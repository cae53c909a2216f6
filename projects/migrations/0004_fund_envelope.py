"""One name for the envelopes of the participation fund (issue 16, item 6): the model
`ParticipationFund` becomes `FundEnvelope` and `GrantApplication.fund` becomes `envelope`.

The rows stay: the table and the column are renamed in place. What points at the model by name
follows it: its content type row keeps its id (so the audit log entries and the permissions stay
attached to it), its four permissions take the new codenames, and the audit log entries of grant
applications name the field `envelope` instead of `fund`. `manage.py migrate` already renames the
content type (Django inserts a RenameContentType after each RenameModel); the RunPython below does
it too when that did not happen (a MigrationExecutor run without the pre_migrate signal), and does
nothing when it did.
"""

from django.db import migrations, models
from django.db.models import Q

ACTIONS = ("add", "change", "delete", "view")
OLD_MODEL, NEW_MODEL = "participationfund", "fundenvelope"
OLD_FIELD, NEW_FIELD = "fund", "envelope"


def _follow_the_name(apps, schema_editor, *, forward: bool) -> None:
    old_model, new_model = (OLD_MODEL, NEW_MODEL) if forward else (NEW_MODEL, OLD_MODEL)
    old_field, new_field = (OLD_FIELD, NEW_FIELD) if forward else (NEW_FIELD, OLD_FIELD)
    db = schema_editor.connection.alias
    ContentType = apps.get_model("contenttypes", "ContentType")
    Permission = apps.get_model("auth", "Permission")
    LogEntry = apps.get_model("auditlog", "LogEntry")
    content_types = ContentType.objects.using(db)

    # The content type: renamed in place (same id), unless Django's RenameContentType already did
    # it, or there is none yet (a new database: post_migrate creates it with the new name).
    envelope_type = content_types.filter(app_label="projects", model=new_model).first()
    if envelope_type is None:
        envelope_type = content_types.filter(app_label="projects", model=old_model).first()
        if envelope_type is not None:
            envelope_type.model = new_model
            envelope_type.save(update_fields=["model"])
    ContentType.objects.clear_cache()
    if envelope_type is not None:
        # Its permissions: Django creates the new codenames after migrating but leaves the old
        # ones, and whoever held them would lose them; renamed here, they stay held.
        permissions = Permission.objects.using(db).filter(content_type=envelope_type)
        for action in ACTIONS:
            if not permissions.filter(codename=f"{action}_{new_model}").exists():
                permissions.filter(codename=f"{action}_{old_model}").update(
                    codename=f"{action}_{new_model}"
                )

    # The grant applications' audit log entries name the renamed field by its new name, so that
    # the audit log page still labels it.
    application_type = content_types.filter(app_label="projects", model="grantapplication").first()
    if application_type is None:
        return
    entries = LogEntry.objects.using(db).filter(content_type=application_type)
    for entry in entries.filter(Q(changes__has_key=old_field)).only("pk", "changes").iterator():
        changes = {
            (new_field if key == old_field else key): value for key, value in entry.changes.items()
        }
        entries.filter(pk=entry.pk).update(changes=changes)


def forward(apps, schema_editor) -> None:
    _follow_the_name(apps, schema_editor, forward=True)


def backward(apps, schema_editor) -> None:
    _follow_the_name(apps, schema_editor, forward=False)


class Migration(migrations.Migration):
    dependencies = [
        ("auditlog", "0017_add_actor_email"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("projects", "0003_questions_app"),
        ("qpv", "0005_newsitem"),
    ]

    operations = [
        migrations.RenameModel(old_name="ParticipationFund", new_name="FundEnvelope"),
        # The index on (fund, status) is dropped and made again on (envelope, status): SQLite
        # rebuilds the table to rename a foreign key column, with the indexes the state names.
        migrations.RemoveIndex(model_name="grantapplication", name="grant_fund_status"),
        migrations.RenameField(model_name="grantapplication", old_name="fund", new_name="envelope"),
        migrations.AddIndex(
            model_name="grantapplication",
            index=models.Index(fields=["envelope", "status"], name="grant_envelope_status"),
        ),
        migrations.AlterField(
            model_name="fundenvelope",
            name="qpv",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=models.deletion.PROTECT,
                related_name="envelopes",
                to="qpv.qpv",
                verbose_name="QPV",
            ),
        ),
        migrations.AlterField(
            model_name="fundenvelope",
            name="commune",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=models.deletion.PROTECT,
                related_name="envelopes",
                to="qpv.commune",
                verbose_name="commune",
            ),
        ),
        migrations.RemoveConstraint(model_name="fundenvelope", name="fund_qpv_xor_commune"),
        migrations.RemoveConstraint(model_name="fundenvelope", name="fund_amount_positive"),
        migrations.RemoveConstraint(model_name="fundenvelope", name="fund_qpv_year"),
        migrations.RemoveConstraint(model_name="fundenvelope", name="fund_commune_year"),
        migrations.AddConstraint(
            model_name="fundenvelope",
            constraint=models.CheckConstraint(
                condition=Q(qpv__isnull=False, commune__isnull=True)
                | Q(qpv__isnull=True, commune__isnull=False),
                name="envelope_qpv_xor_commune",
            ),
        ),
        migrations.AddConstraint(
            model_name="fundenvelope",
            constraint=models.CheckConstraint(
                condition=Q(amount__gte=0), name="envelope_amount_positive"
            ),
        ),
        migrations.AddConstraint(
            model_name="fundenvelope",
            constraint=models.UniqueConstraint(
                condition=Q(qpv__isnull=False), fields=("qpv", "year"), name="envelope_qpv_year"
            ),
        ),
        migrations.AddConstraint(
            model_name="fundenvelope",
            constraint=models.UniqueConstraint(
                condition=Q(commune__isnull=False),
                fields=("commune", "year"),
                name="envelope_commune_year",
            ),
        ),
        # Last: the data that names the model and the field, once the schema is renamed.
        migrations.RunPython(forward, backward),
    ]
