"""Benchmark of the T1.1 indicators and of the Plenary Assembly PDF (issue 7 item 8, issue 9 item 6).

Run it on the synthetic dataset (`manage.py generate_scale_dataset`), on PostgreSQL:

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/participation_scale DEBUG=true \\
        .venv/bin/python bench/indicators.py [--runs 5] [--years 7] [--no-pdf] [--no-write]

It times the whole catalogue (`compute`) for the metropole over the contract to date and over the
whole window of the dataset (7 years), `compute_by_qpv`, `compute_by_quarter`, a commune and a QPV;
counts their SQL queries; runs EXPLAIN ANALYZE on the slowest queries and says which scans they use;
builds the full metropole PDF of the window once, in a child process so that its peak memory is its
own (as in a Celery worker); prints a table and appends it to bench/RESULTS.md with the machine.

Targets: catalogue ≤ 2 s (issue 7 item 8); PDF ≤ 10 s (issue 21 item 4, was 30 s) and ≤ 1 GiB
peak memory. The PDF's figures are the wall time and the CPU time of the building process (the
CPU time hardly changes with the load of a shared machine; the wall time includes the database's
own time), with both per step; `--pdf-only` builds the PDF without timing the catalogue.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "participation.settings")

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.utils import timezone  # noqa: E402

from devtools.scale import window  # noqa: E402
from evaluation.computations import compute, compute_by_qpv, compute_by_quarter  # noqa: E402
from evaluation.indicators import CODES, Period, Scope  # noqa: E402

RESULTS = ROOT / "bench" / "RESULTS.md"
CATALOGUE_TARGET_S = 2.0
PDF_TARGET_S = 10.0
PDF_TARGET_BYTES = 1024**3
QUARTER_CODES = [
    "meetings_held",
    "attendance_total",
    "residents_distinct",
    "questions_received",
    "feedback_heard",
    "speaking_share_residents",
]


def peak_rss_bytes() -> int:
    # Linux reports ru_maxrss in KiB.
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def mib(value: int) -> str:
    return f"{value / 1024**2:,.0f} MiB"


def measure(label: str, function: Callable[[], object], runs: int) -> dict:
    """Time `runs` calls (the first one, cold, apart) and count the queries of one call."""
    with CaptureQueriesContext(connection) as captured:
        began = time.perf_counter()
        function()
        cold = time.perf_counter() - began
    times = []
    for _ in range(runs):
        began = time.perf_counter()
        function()
        times.append(time.perf_counter() - began)
    queries = sorted(
        (
            {"sql": query["sql"], "time": float(query["time"])}
            for query in captured.captured_queries
        ),
        key=lambda query: -query["time"],
    )
    return {
        "label": label,
        "cold": cold,
        "min": min(times) if times else cold,
        "median": statistics.median(times) if times else cold,
        "queries": len(captured.captured_queries),
        "slowest": queries[:5],
    }


# -- EXPLAIN -----------------------------------------------------------------------------------


# A sequential scan that keeps more than this share of its table is the right plan (an index
# would read most pages anyway); one that keeps less is where an index may help.
SEQ_SCAN_FAIR_SHARE = 0.2


def explain(sql: str) -> dict:
    """EXPLAIN ANALYZE one query (PostgreSQL): its time, its scans, and the doubtful ones."""
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) " + sql)
        plan = cursor.fetchone()[0]
        cursor.execute(
            "SELECT relname, reltuples FROM pg_class WHERE relkind = 'r' AND relnamespace = "
            "'public'::regnamespace"
        )
        table_rows = dict(cursor.fetchall())
    if isinstance(plan, str):
        plan = json.loads(plan)
    root = plan[0]
    # (kind, relation, index) → [occurrences, largest rows of one scan]: subplans repeat scans.
    found: dict[tuple[str, str, str], list[int]] = {}

    def walk(node: dict) -> None:
        relation = node.get("Relation Name", "")
        kind = ("Parallel " if node.get("Parallel Aware") else "") + node.get("Node Type", "")
        if "Scan" in kind and relation:
            # Actual Rows is per loop; the loops of a parallel scan share one pass over the table.
            rows = node.get("Actual Rows", 0)
            if kind.startswith("Parallel"):
                rows *= node.get("Actual Loops", 1)
            seen = found.setdefault((kind, relation, node.get("Index Name", "")), [0, 0])
            seen[0] += 1
            seen[1] = max(seen[1], rows)
        for child in node.get("Plans", []):
            walk(child)

    walk(root["Plan"])
    scans: list[str] = []
    doubtful: list[str] = []
    for (kind, relation, index), (occurrences, rows) in found.items():
        table = table_rows.get(relation, 0.0)  # -1 (or 0) when the table was never analysed
        share = rows / table if table > 0 else None
        label = f"{kind} on {relation}" + (f" using {index}" if index else "")
        label += f" ×{occurrences}" if occurrences > 1 else ""
        label += f" ({rows:,} rows" + (f", {share:.0%} of the table)" if share else ")")
        scans.append(label)
        sequential = kind in ("Seq Scan", "Parallel Seq Scan")
        if sequential and share is not None and share < SEQ_SCAN_FAIR_SHARE and table > 10_000:
            doubtful.append(label)
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql)
        text = "\n".join(row[0] for row in cursor.fetchall())
    return {
        "ms": root.get("Execution Time", 0.0),
        "scans": scans,
        "doubtful": doubtful,
        "text": text,
    }


def explain_slowest(measures: list[dict], count: int) -> list[dict]:
    seen, candidates = set(), []
    for result in measures:
        for query in result["slowest"]:
            key = query["sql"][:400]
            if key not in seen:
                seen.add(key)
                candidates.append(query)
    candidates.sort(key=lambda query: -query["time"])
    explained = []
    for query in candidates[:count]:
        try:
            result = explain(query["sql"])
        except Exception as error:  # a query that cannot be re-run verbatim: say so, go on
            result = {"ms": 0.0, "scans": [f"EXPLAIN failed: {error}"], "doubtful": [], "text": ""}
        explained.append({**query, **result})
    return explained


# -- The PDF, in a child process ---------------------------------------------------------------


def pdf_child(start: str, end: str) -> None:
    """Build the metropole report of the period through the real service; print JSON."""
    from evaluation import services
    from evaluation.models import Report, ReportStatus

    # (wall seconds, CPU seconds of this process, label) since the start of the build.
    steps: list[tuple[float, float, str]] = []
    began = time.perf_counter()
    cpu_began = time.process_time()
    original = services._progress_saver

    def recording_saver(report):
        save = original(report)

        def record(progress: int, label: str) -> None:
            steps.append(
                (
                    round(time.perf_counter() - began, 2),
                    round(time.process_time() - cpu_began, 2),
                    f"{progress}% {label}",
                )
            )
            save(progress, label)

        return record

    services._progress_saver = recording_saver
    report = Report.objects.create(
        period_start=date.fromisoformat(start),
        period_end=date.fromisoformat(end),
        status=ReportStatus.QUEUED,
    )
    try:
        began, cpu_began = time.perf_counter(), time.process_time()
        services.report_build(report_id=report.pk)
        seconds, cpu_seconds = time.perf_counter() - began, time.process_time() - cpu_began
        report.refresh_from_db()
        result = {
            "seconds": seconds,
            "cpu_seconds": cpu_seconds,
            "load": " ".join(f"{value:.2f}" for value in os.getloadavg()),
            "peak_rss": peak_rss_bytes(),
            "status": report.status,
            "error": report.error,
            "size": report.size or 0,
            "pages": _pdf_pages(report.file) if report.file else None,
            "steps": steps,
        }
    finally:
        # The benchmark leaves nothing behind: neither the report nor its file.
        for stored in (report.file, report.odt_file):
            if stored:
                stored.delete(save=False)
        report.delete()
    print("PDF-RESULT " + json.dumps(result))


def _pdf_pages(stored) -> int | None:
    # Read through the storage (local folder or object store), then counted by pdfinfo.
    with stored.open("rb") as source, tempfile.NamedTemporaryFile(suffix=".pdf") as copy:
        shutil.copyfileobj(source, copy)
        copy.flush()
        return _pdf_file_pages(copy.name)


def _pdf_file_pages(path: str) -> int | None:
    try:
        output = subprocess.run(  # noqa: S603 (our own file, a fixed tool)
            ["pdfinfo", path],  # noqa: S607
            capture_output=True,
            text=True,
            check=False,
            timeout=60,
        ).stdout
    except OSError:  # poppler-utils not installed
        return None
    for line in output.splitlines():
        if line.startswith("Pages:"):
            return int(line.split()[1])
    return None


def build_pdf(period: Period) -> dict | None:
    try:
        from evaluation.services import report_build  # noqa: F401
    except ImportError:
        print("evaluation.services.report_build does not exist yet: PDF skipped.")
        return None
    process = subprocess.run(  # noqa: S603 (this very script, with dates)
        [sys.executable, __file__, "--pdf-child", period.start.isoformat(), period.end.isoformat()],
        capture_output=True,
        text=True,
        check=False,
        env=os.environ.copy(),
    )
    for line in process.stdout.splitlines():
        if line.startswith("PDF-RESULT "):
            return json.loads(line.removeprefix("PDF-RESULT "))
    print("The PDF child failed:\n" + process.stdout[-3000:] + process.stderr[-3000:])
    return None


# -- Machine and dataset -----------------------------------------------------------------------


def machine() -> dict[str, str]:
    memory = ""
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                memory = f"{int(line.split()[1]) / 1024**2:.1f} GiB"
    except OSError:
        pass
    cpu = platform.processor()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            settings_ = []
            for name in ("server_version", "jit", "work_mem", "shared_buffers"):
                cursor.execute(f"SHOW {name}")
                settings_.append(cursor.fetchone()[0])
            database = "PostgreSQL {} (jit {}, work_mem {}, shared_buffers {})".format(*settings_)
        else:
            database = f"{connection.vendor} {connection.Database.sqlite_version}"
    return {
        "date": timezone.localtime().strftime("%Y-%m-%d %H:%M %Z"),
        "cpus": str(os.cpu_count()),
        "cpu": cpu,
        "memory": memory,
        "python": platform.python_version(),
        "django": django.get_version(),
        "database": database,
        "load": " ".join(f"{value:.2f}" for value in os.getloadavg()),
    }


def dataset() -> dict[str, int]:
    from dialogue.models import Feedback, Meeting, Registration, SpeakingTurn, WalkIn
    from participation.models import User
    from projects.models import GrantApplication, Project
    from questions.models import Question

    return {
        "accounts": User.objects.count(),
        "meetings": Meeting.objects.count(),
        "registrations": Registration.objects.count(),
        "distinct emails": Registration.objects.values("email").distinct().count(),
        "walk-ins": WalkIn.objects.count(),
        "speaking turns": SpeakingTurn.objects.count(),
        "feedback": Feedback.objects.count(),
        "questions": Question.objects.count(),
        "projects": Project.objects.count(),
        "FPH applications": GrantApplication.objects.count(),
    }


# -- Main --------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=5, help="Timed runs after a cold one.")
    parser.add_argument("--years", type=int, default=7, help="The window: years ending today.")
    parser.add_argument("--explain", type=int, default=5, help="EXPLAIN the N slowest queries.")
    parser.add_argument("--no-pdf", action="store_true", help="Skip the PDF report.")
    parser.add_argument("--pdf-only", action="store_true", help="Only the PDF, printed.")
    parser.add_argument("--no-write", action="store_true", help="Do not append to RESULTS.md.")
    parser.add_argument("--pdf-child", nargs=2, metavar=("START", "END"), help=argparse.SUPPRESS)
    options = parser.parse_args()
    if options.pdf_child:
        pdf_child(*options.pdf_child)
        return

    today = timezone.localdate()
    whole = Period(*window(today, options.years))
    if options.pdf_only:
        # A quick look at the PDF alone (nothing written to RESULTS.md).
        print(json.dumps(build_pdf(whole), indent=1, ensure_ascii=False))
        return
    contract = Period.contract_to_date(today)
    last_quarter = Period.year(today.year).quarters()[0]
    for quarter in Period(date(today.year - 1, 1, 1), today).quarters():
        if quarter.end < today and quarter.is_quarter:
            last_quarter = quarter
    from qpv.models import QPV

    qpv = QPV.objects.select_related("commune").order_by("pk").first()
    metropole = Scope.metropole()
    info, data = machine(), dataset()
    print(f"Machine: {info}")
    print(f"Dataset: {data}")
    print(f"Window {whole.start} → {whole.end}; contract to date {contract.start} → {contract.end}")
    rss_before = peak_rss_bytes()
    runs = options.runs
    measures = [
        measure(
            f"compute — metropole, {options.years} years",
            lambda: compute(metropole, whole, today=today),
            runs,
        ),
        measure(
            "compute — metropole, contract to date",
            lambda: compute(metropole, contract, today=today),
            runs,
        ),
        measure(
            f"compute — commune {qpv.commune}, {options.years} years",
            lambda: compute(Scope.commune_of(qpv.commune), whole, today=today),
            runs,
        ),
        measure(
            f"compute — QPV {qpv}, {options.years} years",
            lambda: compute(Scope.of_qpv(qpv), whole, today=today),
            runs,
        ),
        measure(
            f"compute — metropole, year {today.year - 1}",
            lambda: compute(metropole, Period.year(today.year - 1), today=today),
            runs,
        ),
        measure(
            f"compute — QPV {qpv}, last full quarter",
            lambda: compute(Scope.of_qpv(qpv), last_quarter, today=today),
            runs,
        ),
        measure(
            f"compute_by_qpv — metropole, {options.years} years",
            lambda: compute_by_qpv(metropole, whole, today=today),
            max(1, runs // 2),
        ),
        measure(
            f"compute_by_quarter — metropole, {options.years} years, {len(QUARTER_CODES)} codes",
            lambda: compute_by_quarter(metropole, whole, QUARTER_CODES, today=today),
            max(1, runs // 2),
        ),
        measure(
            f"compute_by_quarter — metropole, {options.years} years, all codes",
            lambda: compute_by_quarter(metropole, whole, CODES, today=today),
            max(1, runs // 2),
        ),
    ]
    rss_after = peak_rss_bytes()

    lines = [
        "| measure | cold (s) | min (s) | median (s) | SQL queries |",
        "|---|---:|---:|---:|---:|",
    ]
    for result in measures:
        lines.append(
            f"| {result['label']} | {result['cold']:.3f} | {result['min']:.3f} | "
            f"{result['median']:.3f} | {result['queries']} |"
        )
    lines.append("")
    lines.append(
        f"Peak memory of the benchmark process: {mib(rss_before)} after Django setup, "
        f"{mib(rss_after)} after the computations."
    )
    catalogue = measures[0]["median"]
    verdicts = [
        f"- Full metropole catalogue ({options.years} years), median {catalogue:.3f} s: "
        f"{'OK' if catalogue <= CATALOGUE_TARGET_S else 'MISSED'} (target ≤ {CATALOGUE_TARGET_S} s)"
    ]

    pdf = None if options.no_pdf else build_pdf(whole)
    if pdf is not None:
        lines.append("")
        lines.append(
            f"Full metropole PDF ({whole.start} → {whole.end}): {pdf['seconds']:.1f} s "
            f"(CPU of the building process {pdf['cpu_seconds']:.1f} s, load {pdf['load']}), peak memory "
            f"of the building process {mib(pdf['peak_rss'])}, status {pdf['status']}, "
            f"{pdf['size'] / 1024:,.0f} KiB, {pdf.get('pages') or '?'} pages."
        )
        if pdf.get("error"):
            lines.append(f"PDF error: {pdf['error']}")
        lines.append(
            "Steps (wall seconds / CPU seconds since the start): "
            + "; ".join(f"{seconds} s / {cpu} s {label}" for seconds, cpu, label in pdf["steps"])
        )
        ok = (
            pdf["status"] == "ready"
            and pdf["seconds"] <= PDF_TARGET_S
            and pdf["peak_rss"] <= PDF_TARGET_BYTES
        )
        verdicts.append(
            f"- Full metropole PDF: {pdf['seconds']:.1f} s, {mib(pdf['peak_rss'])}: "
            f"{'OK' if ok else 'MISSED'} (target ≤ {PDF_TARGET_S:.0f} s and ≤ 1 GiB)"
        )

    explained = []
    if connection.vendor == "postgresql" and options.explain:
        explained = explain_slowest(measures, options.explain)
        lines.append("")
        lines.append("Slowest queries (EXPLAIN ANALYZE):")
        lines.append("")
        for index, query in enumerate(explained, start=1):
            indexes = sum("Index" in scan for scan in query["scans"])
            verdict = (
                "sequential scans of large tables keeping under "
                f"{SEQ_SCAN_FAIR_SHARE:.0%} of their rows: " + "; ".join(query["doubtful"])
                if query["doubtful"]
                else "no doubtful scan (a sequential scan keeping most of its table is the "
                "right plan)"
            )
            lines.append(
                f"{index}. {query['ms']:.1f} ms, {indexes} index scan(s); {verdict}. Scans: "
                + "; ".join(query["scans"])
            )
            lines.append(f"   `{' '.join(query['sql'][:160].split())}…`")

    report = "\n".join(lines)
    print()
    print(report)
    print()
    print("\n".join(verdicts))
    if explained:
        print()
        print("Plan of the slowest query:")
        print(explained[0]["sql"][:2000])
        print(explained[0]["text"])

    if not options.no_write:
        header = (
            f"\n## {info['date']} — indicators and PDF\n\n"
            f"Machine: {info['cpus']} CPU ({info['cpu']}), {info['memory']} RAM, load "
            f"{info['load']}; Python {info['python']}, Django {info['django']}, "
            f"{info['database']}.\n\n"
            "Dataset: "
            + ", ".join(f"{count:,} {label}" for label, count in data.items())
            + f"; window {whole.start} → {whole.end}.\n\n"
        )
        new = not RESULTS.exists() or RESULTS.stat().st_size == 0
        with RESULTS.open("a", encoding="utf-8") as handle:
            if new:
                handle.write("# Benchmark results\n\nAppended by `bench/indicators.py`.\n")
            handle.write(header + report + "\n\n" + "\n".join(verdicts) + "\n")
        print(f"\nAppended to {RESULTS.relative_to(ROOT)}.")


if __name__ == "__main__":
    main()
