"""Issue 20: the audit log entries written before the masks of participation/audit.py held residents'
names, emails, phone numbers and texts. This rewrites them as the log writes them now: the masked
fields keep their name and "changed", the rows lose their description, and a resident (an account
without a staff role, or one deleted since) is no longer named as the author, nor their IP address.

The list of masked fields is a copy of participation.audit.AUDITED_MODELS as it is today: a
migration must not change when that module does.
"""

from django.db import migrations
from django.db.models import Q

MASKED_VALUE = "changed"
MASKED_FIELDS = {
    ("questions", "question"): {"text", "asker_name", "asker_email"},
    ("projects", "project"): {"title", "summary", "carrier_name"},
    ("projects", "grantapplication"): {
        "title",
        "description",
        "collective_name",
        "contact_name",
        "contact_email",
        "contact_phone",
        "budget_lines",
    },
}


def _mask(value):
    if value is None:
        return None
    value = str(value)
    return value if value in ("", "None", "[]") else MASKED_VALUE


def scrub(apps, schema_editor):
    LogEntry = apps.get_model("auditlog", "LogEntry")
    ContentType = apps.get_model("contenttypes", "ContentType")
    User = apps.get_model("participation", "User")
    for (app_label, model), fields in MASKED_FIELDS.items():
        content_type = ContentType.objects.filter(app_label=app_label, model=model).first()
        if content_type is None:
            continue
        batch = []
        for entry in LogEntry.objects.filter(content_type=content_type).iterator(chunk_size=500):
            if isinstance(entry.changes, dict):
                entry.changes = {
                    field: (
                        [_mask(value) for value in values]
                        if field in fields and isinstance(values, list)
                        else values
                    )
                    for field, values in entry.changes.items()
                }
            entry.changes_text = ""
            entry.object_repr = ""
            entry.serialized_data = None
            batch.append(entry)
            if len(batch) == 500:
                LogEntry.objects.bulk_update(
                    batch, ["changes", "changes_text", "object_repr", "serialized_data"]
                )
                batch = []
        LogEntry.objects.bulk_update(
            batch, ["changes", "changes_text", "object_repr", "serialized_data"]
        )
    staff = User.objects.filter(Q(is_superuser=True) | Q(role_assignments__isnull=False))
    forget = {"actor": None, "actor_email": None, "remote_addr": None, "remote_port": None}
    # Residents as authors (the audit middleware named every signed-in user until issue 20).
    LogEntry.objects.filter(actor__isnull=False).exclude(actor__in=staff).update(**forget)
    # Accounts deleted before: their address outlived them here.
    LogEntry.objects.filter(actor__isnull=True, actor_email__isnull=False).exclude(
        actor_email__in=User.objects.values("email")
    ).update(**forget)


class Migration(migrations.Migration):
    dependencies = [
        ("participation", "0003_invitation"),
        ("auditlog", "0017_add_actor_email"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(scrub, migrations.RunPython.noop)]
