"""Load the 13 QPV of Tours Métropole Val de Loire (2024 geography) from the copy kept in qpv/data."""

import csv
from pathlib import Path

from django.db import migrations
from django.utils.text import slugify

CSV_PATH = Path(__file__).resolve().parent.parent / "data" / "qpv_tmvl_2024.csv"


def load_qpv(apps, schema_editor):
    Commune = apps.get_model("qpv", "Commune")
    QPV = apps.get_model("qpv", "QPV")
    with CSV_PATH.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            commune, _ = Commune.objects.get_or_create(
                insee_code=row["insee_code"],
                defaults={"name": row["commune"], "slug": slugify(row["commune"])},
            )
            QPV.objects.update_or_create(
                slug=slugify(row["name"]),
                defaults={
                    "name": row["name"],
                    "code_2024": row["code_2024"],
                    "code_2015": row["code_2015"],
                    "commune": commune,
                    "npnru": row["npnru"],
                },
            )


class Migration(migrations.Migration):
    dependencies = [("qpv", "0001_initial")]

    operations = [migrations.RunPython(load_qpv, migrations.RunPython.noop)]
