"""Generate the synthetic 7-year dataset of the 13 QPV used by the benchmarks (see devtools.scale).

    DEBUG=true .venv/bin/python manage.py generate_scale_dataset [--scale 1.0] [--seed 7]
        [--years 7] [--reset] [--today YYYY-MM-DD] [--force]

Meant for a dedicated database (PostgreSQL: `createdb participation_scale`, then `migrate`). It can
live beside the demo data: its rows are marked and `--reset` deletes only them. It runs once:
a second run without `--reset` is refused, so the figures of a benchmark stay comparable.
"""

from __future__ import annotations

import time
from datetime import date

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection, transaction

from devtools import scale
from participation import datacache


class Command(BaseCommand):
    help = "Generate a synthetic multi-year dataset of the 13 QPV for the performance benchmarks."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--scale", type=float, default=1.0, help="Volume factor (1.0: ≥ 8,000 meetings)."
        )
        parser.add_argument("--seed", type=int, default=7, help="Random seed (reproducible).")
        parser.add_argument("--years", type=int, default=7, help="Years of data, ending today.")
        parser.add_argument(
            "--today",
            type=date.fromisoformat,
            default=None,
            help="Pretend today is this date (YYYY-MM-DD); default: today in Paris.",
        )
        parser.add_argument(
            "--reset", action="store_true", help="Delete a previously generated dataset first."
        )
        parser.add_argument(
            "--force", action="store_true", help="Run even with DEBUG off (never in production)."
        )

    def handle(self, *args, **options) -> None:
        if not settings.DEBUG and not options["force"]:
            raise CommandError(
                "This generates a test dataset: run it with DEBUG=true (or --force on a "
                "database made for benchmarks, never a production one)."
            )
        if options["scale"] <= 0 or options["years"] <= 0:
            raise CommandError("--scale and --years must be positive.")
        if options["years"] > 20:
            raise CommandError("--years is at most 20.")
        began = time.monotonic()
        with transaction.atomic():
            if scale.existing_dataset():
                if not options["reset"]:
                    raise CommandError(
                        "A generated dataset is already in this database: "
                        "add --reset to delete it and generate it again."
                    )
                scale.delete_dataset(log=self.stdout.write)
            scale.Generator(
                scale=options["scale"],
                seed=options["seed"],
                years=options["years"],
                today=options["today"],
                log=self.stdout.write,
            ).run()
        # COPY goes around Django's cursor wrapper: say to the caches that the data changed.
        datacache.bump()
        written = time.monotonic() - began
        self.stdout.write("")
        self.stdout.write(f"Dataset ({connection.vendor}), written in {written:.1f} s:")
        for label, count in scale.summary().items():
            self.stdout.write(f"  {label:<42} {count:>9,}")
        self.stdout.write(
            f"Staff logins: coordination@{scale.EMAIL_DOMAIN} (and delegue@, referent.<commune>@, "
            f"animation.<qpv>@), password {scale.STAFF_PASSWORD!r}, authenticator secret "
            f"{scale.STAFF_TOTP_SECRET!r} (TOTP)."
        )
        self.stdout.write(self.style.SUCCESS(f"Total {time.monotonic() - began:.1f} s."))
