"""CPU time and SQL of the public and resident pages, in-process, without the page cache (issue 21).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/participation_scale REDIS_URL=redis://127.0.0.1:6379/5 \\
        .venv/bin/python bench/page_cpu.py [--requests 40] [--pages home,qpv] [--json out.json]

Runs with the production settings (DEBUG off, cached template loader) and PAGE_CACHE_SECONDS=0.
For each page: the CPU time of this process per request (`time.process_time`: Django's share, which
the machine's load hardly changes), the SQL queries of one request, and the time PostgreSQL took
for them as seen by the client (wall clock: noisier). Nothing is written but the resident's session.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import sys
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "participation.settings")
os.environ["DEBUG"] = "false"
os.environ.setdefault("SECRET_KEY", secrets.token_urlsafe(50))
os.environ["ALLOWED_HOSTS"] = "testserver,localhost"
os.environ["PAGE_CACHE_SECONDS"] = "0"
os.environ["SECURE_SSL_REDIRECT"] = "false"
os.environ["SECURE_HSTS_SECONDS"] = "0"
os.environ["LOG_LEVEL"] = "WARNING"
# Its own STATIC_ROOT (the manifest of the production static storage), filled on first run.
os.environ.setdefault("VAR_DIR", str(ROOT / "var" / "page_cpu"))

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.utils import timezone  # noqa: E402

ROTATE = 20


def paths() -> dict[str, tuple[str, list[str]]]:
    """Page key → (role, paths), the pages bench/load.py reads, plus the resident's."""
    from dialogue.models import Meeting
    from projects.models import Project
    from qpv.models import QPV

    now = timezone.now()
    qpvs = list(QPV.objects.order_by("pk").values_list("slug", flat=True))
    upcoming = list(
        Meeting.objects.public()
        .filter(starts_at__gte=now)
        .order_by("starts_at")
        .values_list("pk", flat=True)[: ROTATE * 2 // 3]
    )
    recent = list(
        Meeting.objects.public()
        .filter(starts_at__lt=now, starts_at__gte=now - timedelta(days=45))
        .order_by("-starts_at")
        .values_list("pk", flat=True)[: ROTATE - len(upcoming)]
    )
    projects = list(
        Project.objects.public().order_by("-updated_at").values_list("pk", flat=True)[:ROTATE]
    )
    meetings = [f"/rencontres/{pk}/" for pk in upcoming + recent]
    return {
        "home": ("visitor", ["/"]),
        "qpv": ("visitor", [f"/quartiers/{slug}/" for slug in qpvs]),
        "agenda": ("visitor", ["/rencontres/"]),
        "meeting": ("visitor", meetings),
        "questions": ("visitor", ["/questions/"]),
        "project": ("visitor", [f"/projets/{pk}/" for pk in projects]),
        "account": ("resident", ["/compte/"]),
        "meeting, resident": ("resident", meetings),
        "questions, resident": ("resident", ["/questions/"]),
    }


def busiest_resident():
    from django.db.models import Count

    from participation.models import User

    return (
        User.objects.filter(email__endswith="@qed-scale.test", role_assignments__isnull=True)
        .annotate(registered=Count("registrations"))
        .order_by("-registered", "pk")
        .first()
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--requests", type=int, default=40, help="Requests per page measured.")
    parser.add_argument("--pages", default="", help="Comma-separated page keys (default: all).")
    parser.add_argument("--json", type=Path, help="Save the results to this file.")
    options = parser.parse_args()
    from django.conf import settings
    from django.core.management import call_command

    if not (Path(settings.STATIC_ROOT) / "staticfiles.json").exists():
        call_command("collectstatic", "--noinput", verbosity=0)
    wanted = {key.strip() for key in options.pages.split(",") if key.strip()}

    user = busiest_resident()
    clients = {"visitor": Client(), "resident": Client()}
    clients["resident"].force_login(user)
    results = {}
    print(f"load {' '.join(f'{v:.2f}' for v in os.getloadavg())}")
    print(f"{'page':<22} {'CPU ms':>8} {'queries':>8} {'SQL ms':>8}")
    for key, (role, urls) in paths().items():
        if wanted and key not in wanted:
            continue
        client = clients[role]
        for url in urls:  # warm: templates, content types, the database's buffers
            response = client.get(url)
            assert response.status_code == 200, (url, response.status_code)
        began = time.process_time()
        for index in range(options.requests):
            client.get(urls[index % len(urls)])
        cpu = (time.process_time() - began) / options.requests * 1000
        queries = sql = 0.0
        for url in urls[:5]:
            with CaptureQueriesContext(connection) as captured:
                client.get(url)
            queries += len(captured.captured_queries)
            sql += sum(float(query["time"]) for query in captured.captured_queries) * 1000
        count = min(len(urls), 5)
        results[key] = {"cpu_ms": cpu, "queries": queries / count, "sql_ms": sql / count}
        print(f"{key:<22} {cpu:>8.2f} {queries / count:>8.1f} {sql / count:>8.2f}", flush=True)
    print(f"load {' '.join(f'{v:.2f}' for v in os.getloadavg())}")
    from django.contrib.sessions.models import Session

    Session.objects.filter(session_key=clients["resident"].cookies.get("sessionid").value).delete()
    if options.json:
        options.json.write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
