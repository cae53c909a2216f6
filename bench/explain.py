"""EXPLAIN the main queries of the portal's pages on the scale dataset (issue 9 item 2):
`make bench-explain`.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/participation_scale DEBUG=true \\
        .venv/bin/python bench/explain.py [--per-page 2] [--runs 3] [--pages agenda,meeting]
        [--json before.json] [--compare before.json] [--write]

1. Checks that the scale dataset is in the DATABASE_URL database (PostgreSQL), or builds it
   (`migrate`, then `generate_scale_dataset`), gives the generated staff their authenticator, and
   runs VACUUM (ANALYZE) (as autovacuum would have done in production).
2. Renders each page of PAGES in this process with Django's test client, as the role that reads it
   (the generated staff accounts, a resident with many registrations), on the objects a page is
   heaviest for (the QPV with the most meetings, its busiest meetings, its projects...), and
   captures its SQL (`CaptureQueriesContext`).
3. Runs `EXPLAIN (ANALYZE, BUFFERS)` `--runs` times on the page's slowest SELECT queries
   (`--per-page`) and reports, per query: the plan's root node, the rows it returns, the execution
   time (the fastest run), the sequential scans on tables of more than 10,000 rows; and it flags
   any such sequential scan that filters or sorts on a column that no index starts with.
4. `--json FILE` saves the results; `--compare FILE` puts the times of a previous run beside this
   one's; `--write` appends the report to bench/RESULTS.md. To measure an index migration:
   `manage.py migrate <app> <previous>`, `explain.py --no-migrate --json before.json`, then
   `explain.py --compare before.json` (which migrates forward first).

Only SELECT statements are explained (EXPLAIN ANALYZE runs the statement). The sessions the
script opens are deleted at the end; nothing else is written (VACUUM and ANALYZE only maintain
the tables).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "participation.settings")
# The process's own cache, cleared before each page: the SQL measured is the page's, not a cache
# hit (a shared Redis cache would also be cleared for others). The page cache is off for the same
# reason.
os.environ.pop("REDIS_URL", None)
os.environ["PAGE_CACHE_SECONDS"] = "0"

import django  # noqa: E402

django.setup()

from django.core.cache import cache  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.db.models import Count  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.utils import timezone  # noqa: E402

RESULTS = ROOT / "bench" / "RESULTS.md"
# A sequential scan of a table this big is worth a look; smaller ones are cheaper than an index.
BIG_TABLE_ROWS = 10_000
# A scan keeping less than this share of its table is where an index pays (see bench/indicators.py).
SELECTIVE_SHARE = 0.2


# -- The dataset and the people who read the pages ---------------------------------------------


def ensure_dataset(*, migrate: bool = True) -> None:
    from devtools import scale

    if connection.vendor != "postgresql":
        sys.exit("DATABASE_URL must name a PostgreSQL database (EXPLAIN plans are PostgreSQL's).")
    if migrate:
        call_command("migrate", "--noinput", verbosity=0)
    if not scale.existing_dataset():
        print("No scale dataset in this database: generating it (15 to 60 s)...", flush=True)
        call_command("generate_scale_dataset")
    scale.staff_authenticators()
    # Fresh statistics and visibility maps for every table, as autovacuum keeps them in
    # production: the generator writes by COPY and analyses only its biggest tables, and an
    # index-only scan needs the visibility map.
    with connection.cursor() as cursor:
        cursor.execute("VACUUM (ANALYZE)")


@dataclass
class Objects:
    """The objects the pages are read for: the heaviest ones of the dataset."""

    qpv: object
    upcoming: object  # the planned meeting of the QPV with the most registrations
    held: object  # the latest held meeting of the QPV with published minutes
    question: object  # the latest answered public question of the QPV
    project: object  # the published project of the QPV with the most steps
    envelope: object | None  # this year's envelope of the QPV
    record: object | None
    news: object | None
    report: object | None
    users: dict


def pick_objects() -> Objects:
    from devtools.scale import EMAIL_DOMAIN
    from dialogue.models import Meeting, MeetingStatus, MinutesStatus
    from evaluation.models import Report
    from participation.models import User
    from projects.models import FundEnvelope, InfluenceRecord, Project
    from qpv.models import QPV, NewsItem
    from questions.models import Question, QuestionStatus

    now = timezone.now()
    qpv = (
        QPV.objects.select_related("commune")
        .annotate(meetings=Count("dialogue_spaces__meetings"))
        .order_by("-meetings", "pk")
        .first()
    )
    in_qpv = Meeting.objects.public().filter(dialogue_space__qpv=qpv)
    upcoming = (
        in_qpv.filter(starts_at__gte=now, status=MeetingStatus.PLANNED)
        .annotate(registered=Count("registrations"))
        .order_by("-registered", "starts_at")
        .first()
    )
    held = (
        in_qpv.filter(status=MeetingStatus.HELD, minutes__status=MinutesStatus.PUBLISHED)
        .order_by("-starts_at")
        .first()
    )
    question = (
        Question.objects.public()
        .filter(qpv=qpv, status=QuestionStatus.ANSWERED)
        .order_by("-received_on", "-pk")
        .first()
    )
    project = (
        Project.objects.public()
        .filter(qpv=qpv)
        .annotate(step_count=Count("steps"))
        .order_by("-step_count", "-pk")
        .first()
    )
    resident = (
        User.objects.filter(email__endswith="@" + EMAIL_DOMAIN, role_assignments__isnull=True)
        .annotate(registered=Count("registrations"))
        .order_by("-registered", "pk")
        .first()
    )
    staff = {
        "coordinator": f"coordination@{EMAIL_DOMAIN}",
        "delegate": f"delegue@{EMAIL_DOMAIN}",
        "referent": f"referent.{qpv.commune.slug}@{EMAIL_DOMAIN}",
        "facilitator": f"animation.{qpv.slug}@{EMAIL_DOMAIN}",
        "correspondent": f"correspondant@{EMAIL_DOMAIN}",
    }
    users = {role: User.objects.get(email=email) for role, email in staff.items()}
    users["resident"] = resident
    return Objects(
        qpv=qpv,
        upcoming=upcoming,
        held=held,
        question=question,
        project=project,
        envelope=FundEnvelope.objects.filter(qpv=qpv, year=timezone.localdate().year).first(),
        record=InfluenceRecord.objects.filter(qpv=qpv).order_by("-decided_on", "-pk").first(),
        news=NewsItem.objects.published().filter(qpv=qpv).first(),
        report=Report.objects.order_by("-created_at").first(),
        users=users,
    )


def client_for(user) -> Client:
    """A client logged in as `user`, second factor passed (as after a real login)."""
    from participation.middleware import login_records

    client = Client(HTTP_HOST="localhost")
    if user is None:
        return client
    client.force_login(user)
    session = client.session
    session.update(login_records(user, second_factor=True))
    session.save()
    return client


# -- The pages ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Page:
    key: str
    role: str  # "visitor" or a key of Objects.users
    path: Callable[[Objects], str | None]  # None: no object of the kind in the dataset


def _pk(attribute: str, template: str) -> Callable[[Objects], str | None]:
    def path(objects: Objects) -> str | None:
        value = getattr(objects, attribute)
        return None if value is None else template.format(pk=value.pk)

    return path


def _slug(template: str) -> Callable[[Objects], str]:
    return lambda objects: template.format(slug=objects.qpv.slug)


def _fixed(path: str) -> Callable[[Objects], str]:
    return lambda objects: path


PAGES = [
    Page("home", "visitor", _fixed("/")),
    Page("qpv", "visitor", _slug("/quartiers/{slug}/")),
    Page("agenda", "visitor", _fixed("/rencontres/")),
    Page("agenda filtered", "visitor", _slug("/rencontres/?qpv={slug}&step_free=on")),
    Page("past meetings", "visitor", _fixed("/rencontres/passees/")),
    Page("qpv agenda", "visitor", _slug("/quartiers/{slug}/rencontres/")),
    Page("agenda ics", "visitor", _fixed("/rencontres/agenda.ics")),
    Page("meeting", "visitor", _pk("upcoming", "/rencontres/{pk}/")),
    Page("meeting held", "visitor", _pk("held", "/rencontres/{pk}/")),
    Page("minutes", "visitor", _pk("held", "/rencontres/{pk}/compte-rendu/")),
    Page("space", "visitor", lambda o: f"/espaces/{o.upcoming.dialogue_space_id}/"),
    Page("questions", "visitor", _fixed("/questions/")),
    Page("questions filtered", "visitor", _slug("/questions/?qpv={slug}&status=answered")),
    *(
        Page(f"questions, status={status}", "visitor", _fixed(f"/questions/?status={status}"))
        for status in ("waiting", "late", "answered", "closed")
    ),
    Page("qpv questions", "visitor", _slug("/quartiers/{slug}/questions/")),
    Page("question", "visitor", _pk("question", "/questions/{pk}/")),
    Page("projects", "visitor", _fixed("/projets/")),
    Page("qpv projects", "visitor", _slug("/quartiers/{slug}/projets/")),
    Page("project", "visitor", _pk("project", "/projets/{pk}/")),
    Page("funds", "visitor", _fixed("/fonds/")),
    Page("influence", "visitor", _fixed("/vous-avez-dit/")),
    Page("qpv influence", "visitor", _slug("/quartiers/{slug}/vous-avez-dit/")),
    Page("news", "visitor", _fixed("/actualites/")),
    Page("qpv news", "visitor", _slug("/quartiers/{slug}/actualites/")),
    Page("news item", "visitor", _pk("news", "/actualites/{pk}/")),
    Page("my registrations", "resident", _fixed("/compte/inscriptions/")),
    Page("my questions", "resident", _fixed("/compte/questions/")),
    Page("my data", "resident", _fixed("/compte/mes-donnees/")),
    Page("account", "resident", _fixed("/compte/")),
    Page("staff home", "facilitator", _fixed("/espace-pro/")),
    Page("staff home, coordinator", "coordinator", _fixed("/espace-pro/")),
    Page("registrants", "facilitator", _pk("upcoming", "/espace-pro/rencontres/{pk}/inscrits/")),
    Page("meeting log", "facilitator", _pk("held", "/espace-pro/rencontres/{pk}/journal/")),
    Page("check-in", "facilitator", _pk("held", "/espace-pro/rencontres/{pk}/accueil/")),
    Page("tracker", "facilitator", _pk("held", "/espace-pro/rencontres/{pk}/temps-de-parole/")),
    Page("minutes edit", "facilitator", _pk("held", "/espace-pro/rencontres/{pk}/compte-rendu/")),
    Page("meeting questions", "facilitator", _pk("held", "/espace-pro/rencontres/{pk}/questions/")),
    Page("moderation", "referent", _fixed("/espace-pro/questions/moderation/")),
    Page("staff questions", "referent", _fixed("/espace-pro/questions/")),
    Page("staff questions, coordinator", "coordinator", _fixed("/espace-pro/questions/")),
    Page("staff questions, correspondent", "correspondent", _fixed("/espace-pro/questions/")),
    # Issue 21 item 3: the staff list with every filter and sort it offers, for the widest scope.
    *(
        Page(
            f"staff questions, coordinator, {query}",
            "coordinator",
            _fixed(f"/espace-pro/questions/?{query}"),
        )
        for query in (
            "status=open",
            "status=received",
            "status=forwarded",
            "status=answered",
            "status=closed",
            "status=moderation",
            "overdue=on",
            "theme=housing",
            "page=40",
        )
    ),
    Page(
        "staff questions, coordinator, qpv",
        "coordinator",
        _slug("/espace-pro/questions/?qpv={slug}&status=open"),
    ),
    Page("staff question", "referent", _pk("question", "/espace-pro/questions/{pk}/")),
    Page("staff news", "referent", _fixed("/espace-pro/actualites/")),
    Page("staff projects", "referent", _fixed("/espace-pro/projets/")),
    Page("ideas", "coordinator", _fixed("/espace-pro/projets/idees/")),
    Page("project edit", "referent", _pk("project", "/espace-pro/projets/{pk}/modifier/")),
    Page("staff funds", "referent", _fixed("/espace-pro/fonds/")),
    Page("fund detail", "referent", _pk("envelope", "/espace-pro/fonds/{pk}/")),
    Page("staff influence", "referent", _fixed("/espace-pro/vous-avez-dit/")),
    Page("influence edit", "referent", _pk("record", "/espace-pro/vous-avez-dit/{pk}/modifier/")),
    Page("dashboard", "coordinator", _fixed("/espace-pro/indicateurs/")),
    Page(
        "dashboard, QPV",
        "delegate",
        lambda o: "/espace-pro/indicateurs/?" + urlencode({"scope": f"qpv:{o.qpv.slug}"}),
    ),
    Page("reports", "coordinator", _fixed("/espace-pro/rapports/")),
    Page("report", "coordinator", _pk("report", "/espace-pro/rapports/{pk}/")),
    Page("audit log", "coordinator", _fixed("/espace-pro/journal-d-audit/")),
]


# -- EXPLAIN -----------------------------------------------------------------------------------


@dataclass
class Catalogue:
    """What the database knows of our tables: rows, columns, and the columns indexes start with."""

    rows: dict[str, float]
    columns: dict[str, set[str]]
    leading: dict[str, set[str]]


def catalogue() -> Catalogue:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT relname, reltuples FROM pg_class "
            "WHERE relkind = 'r' AND relnamespace = 'public'::regnamespace"
        )
        rows = dict(cursor.fetchall())
        cursor.execute(
            "SELECT c.relname, a.attname FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid "
            "WHERE c.relkind = 'r' AND c.relnamespace = 'public'::regnamespace "
            "AND a.attnum > 0 AND NOT a.attisdropped"
        )
        columns: dict[str, set[str]] = {}
        for table, column in cursor.fetchall():
            columns.setdefault(table, set()).add(column)
        # The first key column of every index (expression indexes have none: attnum 0).
        cursor.execute(
            "SELECT c.relname, a.attname FROM pg_index i "
            "JOIN pg_class c ON c.oid = i.indrelid "
            "JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = i.indkey[0] "
            "WHERE c.relnamespace = 'public'::regnamespace"
        )
        leading: dict[str, set[str]] = {}
        for table, column in cursor.fetchall():
            leading.setdefault(table, set()).add(column)
    return Catalogue(rows=rows, columns=columns, leading=leading)


STRING_LITERAL = re.compile(r"'(?:[^']|'')*'")
# Casts name types, not columns ("(status)::text" reads status, not a column named text).
CAST = re.compile(
    r"::(?:text|character varying|timestamp with time zone|timestamp without time zone|date|"
    r"integer|bigint|smallint|numeric|boolean|double precision|jsonb|uuid|interval)(?:\[\])?"
)
IDENTIFIER = re.compile(r"\b(?:(\w+)\.)?(\w+)\b")


def columns_in(expression: str, table_columns: set[str], alias: str) -> list[str]:
    """The columns of one table an expression of a plan reads (a Filter, a Sort Key)."""
    found = []
    expression = CAST.sub("", STRING_LITERAL.sub("''", expression))
    for qualifier, name in IDENTIFIER.findall(expression):
        if qualifier and qualifier != alias:
            continue
        if name in table_columns and name not in found:
            found.append(name)
    return found


def shape(sql: str) -> str:
    """The statement without its values: the same query before and after a migration."""
    sql = STRING_LITERAL.sub("?", sql)
    sql = re.sub(r"\b\d+(?:\.\d+)?\b", "?", sql)
    return re.sub(r"IN \([?, ]+\)", "IN (...)", sql)


def shape_key(sql: str) -> str:
    return hashlib.sha256(shape(sql).encode()).hexdigest()[:12]


def explainable(sql: str) -> str | None:
    """The SELECT to explain (a server-side cursor's query), or None for anything else."""
    match = re.match(r'DECLARE "[^"]+" NO SCROLL CURSOR (?:WITH HOLD )?FOR (SELECT .*)', sql, re.S)
    if match:
        return match.group(1)
    return sql if sql.lstrip().upper().startswith(("SELECT", "WITH")) else None


def analyse_plan(plan: dict, known: Catalogue) -> dict:
    """The root of a plan, its sequential scans of big tables, and those an index may help."""
    root = plan["Plan"]
    big_scans: list[str] = []
    flagged: list[str] = []

    def walk(node: dict, sort_keys: list[str]) -> None:
        kind = node.get("Node Type", "")
        if kind in ("Sort", "Incremental Sort"):
            # Keys are qualified with the table's alias: a scan only matches its own columns.
            sort_keys = sort_keys + list(node.get("Sort Key", []))
        relation = node.get("Relation Name", "")
        if kind == "Seq Scan" and relation:
            table_rows = known.rows.get(relation, 0)
            if table_rows > BIG_TABLE_ROWS:
                parallel = node.get("Parallel Aware", False)
                loops = node.get("Actual Loops", 1)
                kept = node.get("Actual Rows", 0) * (loops if parallel else 1)
                removed = node.get("Rows Removed by Filter", 0) * (loops if parallel else 1)
                share = kept / (kept + removed) if kept + removed else 1.0
                alias = node.get("Alias", relation)
                table_columns = known.columns.get(relation, set())
                filtered = columns_in(node.get("Filter", ""), table_columns, alias)
                ordered = [
                    column
                    for key in sort_keys
                    for column in columns_in(key, table_columns, alias)
                    if column not in filtered
                ]
                label = (
                    f"{'Parallel ' if parallel else ''}Seq Scan on {relation} "
                    f"({table_rows:,.0f} rows in the table, {kept:,} kept = {share:.0%})"
                )
                if filtered:
                    label += f", filter on {', '.join(filtered)}"
                if ordered:
                    label += f", sorted on {', '.join(ordered)}"
                big_scans.append(label)
                leading = known.leading.get(relation, set())
                unindexed = [c for c in filtered + ordered if c not in leading]
                if unindexed:
                    selective = share < SELECTIVE_SHARE
                    flagged.append(
                        f"{relation}: no index starts with {', '.join(unindexed)}"
                        + (
                            ""
                            if selective
                            else f" (but the scan keeps {share:.0%}: an index would not help)"
                        )
                    )
        for child in node.get("Plans", []):
            walk(child, sort_keys)

    walk(root, [])
    return {
        "root": f"{root.get('Node Type')}"
        + (f" on {root['Relation Name']}" if root.get("Relation Name") else ""),
        "rows": root.get("Actual Rows", 0),
        "big_scans": big_scans,
        "flagged": flagged,
    }


def explain(sql: str, known: Catalogue, runs: int) -> dict:
    """EXPLAIN (ANALYZE, BUFFERS) `runs` times: the fastest execution, and the last plan."""
    times = []
    plan = None
    with connection.cursor() as cursor:
        for _run in range(runs):
            cursor.execute("EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) " + sql)
            plan = cursor.fetchone()[0]
            if isinstance(plan, str):
                plan = json.loads(plan)
            plan = plan[0]
            times.append(plan.get("Execution Time", 0.0))
        cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql)
        text = "\n".join(row[0] for row in cursor.fetchall())
    buffers = plan["Plan"].get("Shared Hit Blocks", 0) + plan["Plan"].get("Shared Read Blocks", 0)
    return {
        "ms": min(times),
        "jit_ms": plan.get("JIT", {}).get("Timing", {}).get("Total", 0.0),
        "median_ms": statistics.median(times),
        "planning_ms": plan.get("Planning Time", 0.0),
        "buffers": buffers,
        **analyse_plan(plan, known),
        "text": text,
    }


# -- Measuring the pages -----------------------------------------------------------------------


def read_page(client: Client, path: str) -> tuple[int, list[dict], float]:
    began = time.perf_counter()
    with CaptureQueriesContext(connection) as captured:
        response = client.get(path)
        if response.streaming:
            b"".join(response.streaming_content)
    seconds = time.perf_counter() - began
    return response.status_code, list(captured.captured_queries), seconds


def main_queries(queries: list[dict], count: int) -> list[tuple[str, float]]:
    """The `count` slowest distinct SELECT statements of a page, as it ran them."""
    seen: set[str] = set()
    candidates = []
    for query in queries:
        sql = explainable(query["sql"])
        if sql is None or shape(sql) in seen:
            continue
        seen.add(shape(sql))
        candidates.append((sql, float(query["time"])))
    candidates.sort(key=lambda item: -item[1])
    return candidates[:count]


def measure(
    pages: list[Page], per_page: int, runs: int, earlier: dict[str, list[str]] | None = None
) -> list[dict]:
    """Read the pages, explain their slowest queries, and those of `earlier` (page → SQL of a
    previous run) that are no longer among them: a query an index made fast is still compared."""
    objects = pick_objects()
    known = catalogue()
    clients = {"visitor": client_for(None)}
    for role, user in objects.users.items():
        clients[role] = client_for(user)
    results = []
    try:
        for page in pages:
            path = page.path(objects)
            if path is None:
                print(f"  {page.key}: no object of the kind in the dataset, skipped", flush=True)
                continue
            client = clients[page.role]
            cache.clear()
            client.get(path)  # warms the process (templates, content types) and the database
            cache.clear()
            status, queries, seconds = read_page(client, path)
            explained = []
            chosen = main_queries(queries, per_page)
            shapes = {shape_key(sql) for sql, _spent in chosen}
            for sql in (earlier or {}).get(page.key, []):
                if shape_key(sql) not in shapes:
                    shapes.add(shape_key(sql))
                    chosen.append((sql, 0.0))
            for sql, spent in chosen:
                try:
                    result = explain(sql, known, runs)
                except Exception as error:  # a statement that cannot run again verbatim: say so
                    result = {"ms": 0.0, "root": f"EXPLAIN failed: {error}", "rows": 0}
                    result |= {"big_scans": [], "flagged": [], "text": ""}
                explained.append(
                    {
                        "sql": sql,
                        "shape": shape_key(sql),
                        "captured_ms": spent * 1000,
                        **result,
                    }
                )
            results.append(
                {
                    "page": page.key,
                    "role": page.role,
                    "path": path,
                    "status": status,
                    "queries": len(queries),
                    "page_ms": seconds * 1000,
                    "explained": explained,
                }
            )
            flags = sum(len(query["flagged"]) for query in explained)
            print(
                f"  {page.key:<32} {status} {len(queries):>3} queries {seconds * 1000:>7.0f} ms"
                + (f"  {flags} flag(s)" if flags else ""),
                flush=True,
            )
    finally:
        from django.conf import settings
        from django.contrib.sessions.models import Session

        cookies = [client.cookies.get(settings.SESSION_COOKIE_NAME) for client in clients.values()]
        keys = [cookie.value for cookie in cookies if cookie is not None]
        Session.objects.filter(session_key__in=keys).delete()
    return results


# -- The report --------------------------------------------------------------------------------


def short(sql: str, length: int = 110) -> str:
    sql = re.sub(r'"(\w+)"', r"\1", sql)
    sql = re.sub(r"SELECT .*? FROM", "SELECT … FROM", sql, count=1, flags=re.S)
    return (sql[:length] + "…") if len(sql) > length else sql


def machine() -> str:
    with connection.cursor() as cursor:
        values = []
        for name in ("server_version", "jit", "work_mem", "shared_buffers"):
            cursor.execute(f"SHOW {name}")
            values.append(cursor.fetchone()[0])
    load = " ".join(f"{value:.2f}" for value in os.getloadavg())
    return (
        f"{os.cpu_count()} CPU, load {load}; PostgreSQL {values[0]} (jit {values[1]}, "
        f"work_mem {values[2]}, shared_buffers {values[3]})"
    )


def report(results: list[dict], before: dict[tuple[str, str], dict] | None) -> str:
    lines = [
        f"Machine: {machine()}.",
        "",
        "| page (role) | SQL | query (the page's slowest) | plan root | rows | ms"
        + (" before → after" if before else "")
        + " | seq scans on tables > 10k rows |",
        "|---|---:|---|---|---:|---:|---|",
    ]
    flags = []
    for result in results:
        first = True
        for query in result["explained"]:
            page = f"{result['page']} ({result['role']})" if first else ""
            count = str(result["queries"]) if first else ""
            first = False
            ms = f"{query['ms']:.1f}"
            if query.get("jit_ms"):
                ms += f" (JIT {query['jit_ms']:.0f})"
            if before:
                old = before.get((result["page"], query["shape"]))
                ms = f"{old['ms']:.1f} → {ms}" if old else f"– → {ms}"
            scans = "; ".join(query["big_scans"]) or "–"
            lines.append(
                f"| {page} | {count} | `{short(query['sql'])}` | {query['root']} "
                f"| {query['rows']:,} | {ms} | {scans} |"
            )
            flags += [f"{result['page']}: {flag}" for flag in query["flagged"]]
    lines.append("")
    lines.append(
        "Flagged (a sequential scan of a big table filtering or sorting on a column no index"
    )
    lines.append("starts with):" + ("" if flags else " none."))
    lines += [f"- {flag}" for flag in flags]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--per-page", type=int, default=2, help="Slowest queries per page.")
    parser.add_argument("--runs", type=int, default=3, help="EXPLAIN ANALYZE runs per query.")
    parser.add_argument(
        "--pages",
        default="",
        help="Page keys separated by commas, or by '|' when keys hold commas (default: all).",
    )
    parser.add_argument("--json", type=Path, help="Save the results to this file.")
    parser.add_argument("--compare", type=Path, help="Results of a previous run, to compare.")
    parser.add_argument("--write", action="store_true", help="Append the report to RESULTS.md.")
    parser.add_argument(
        "--no-migrate",
        action="store_true",
        help="Measure the schema as it is (e.g. an index migration unapplied, for a comparison).",
    )
    options = parser.parse_args()

    ensure_dataset(migrate=not options.no_migrate)
    separator = "|" if "|" in options.pages else ","
    wanted = {key.strip() for key in options.pages.split(separator) if key.strip()}
    pages = [page for page in PAGES if not wanted or page.key in wanted]
    print(f"Reading {len(pages)} pages and explaining their slowest queries...", flush=True)
    before = earlier = None
    if options.compare:
        previous = json.loads(options.compare.read_text())
        before = {
            (result["page"], shape_key(query["sql"])): query
            for result in previous["results"]
            for query in result["explained"]
        }
        earlier = {
            result["page"]: [query["sql"] for query in result["explained"]]
            for result in previous["results"]
        }
    results = measure(pages, options.per_page, options.runs, earlier)
    text = report(results, before)
    print()
    print(text)
    if options.json:
        options.json.write_text(json.dumps({"results": results}, indent=1, default=str))
    if options.write:
        stamp = timezone.localtime().strftime("%Y-%m-%d %H:%M %Z")
        with RESULTS.open("a") as handle:
            handle.write(f"\n## {stamp} — EXPLAIN of the pages (bench/explain.py)\n\n{text}\n")
        print(f"\nAppended to {RESULTS.relative_to(ROOT)}.")


if __name__ == "__main__":
    main()
