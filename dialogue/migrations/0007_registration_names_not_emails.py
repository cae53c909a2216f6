from django.db import migrations


def names_not_emails(apps, schema_editor):
    """Registrations of accounts used to take the email as the name when the account had none:
    the name becomes the account's name, or nothing (printed "Inscrit·e n° N")."""
    Registration = apps.get_model("dialogue", "Registration")
    rows = list(Registration.objects.filter(name__contains="@").select_related("user"))
    for registration in rows:
        user = registration.user
        registration.name = user.full_name if user is not None and "@" not in user.full_name else ""
    Registration.objects.bulk_update(rows, ["name"], batch_size=1000)


class Migration(migrations.Migration):
    dependencies = [
        ("dialogue", "0006_questions_app"),
        ("participation", "0001_initial"),
    ]

    operations = [migrations.RunPython(names_not_emails, migrations.RunPython.noop)]
