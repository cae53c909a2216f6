"""Load benchmark of the portal on the scale dataset (issue 9 items 3 to 6): `make bench`.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/participation_scale \\
    REDIS_URL=redis://127.0.0.1:6379/0 DEBUG=true .venv/bin/python bench/load.py \\
        [--duration 20] [--warmup 10] [--workers 5] [--worker-class sync] [--threads 1] \\
        [--pages home,meeting] [--sweep] [--no-page-cache] [--no-mixed] [--taps-per-second 10] \\
        [--no-registrations] [--no-indicators] [--no-write]

1. Checks that the scale dataset is in the DATABASE_URL database (PostgreSQL), or builds it
   (`generate_scale_dataset`), after `migrate`.
2. Starts gunicorn with the production settings (DEBUG off, a random SECRET_KEY, ALLOWED_HOSTS,
   PostgreSQL, the Redis cache, WhiteNoise serving a fresh `collectstatic` in a temporary VAR_DIR;
   SECURE_SSL_REDIRECT off since the load comes over plain HTTP on loopback) and the baseline view
   `/bench/baseline` (BENCH_BASELINE_VIEW): the cheapest page Django serves through the same
   middleware stack.
3. Drives it from this second process with wrk (16 connections, bench/wrk_report.lua): for each
   page a warm-up run, then a measured run; pages with an id rotate over many objects (meetings,
   projects, QPV), so that a cache of one page does not stand for the site. The dashboard is read
   by the generated coordinator, through a session that records the password and the second
   factor, as allauth does after a real login; "Mon espace", meeting pages and the Q&A by the
   generated resident with the most registrations (a session too: never the page cache).
   Mixed load (issue 21, item 2): the public pages again while a writer taps check-ins and
   speaking turns on one live meeting, 10 a second, through the staff views, as its facilitator.
4. Fires 200 concurrent registrations of logged-in residents at 10 meetings of 15 seats, through
   HTTP POST on the real registration view (CSRF token read from the meeting page, each resident
   behind its own X-Forwarded-For address as behind the production proxy), then checks in SQL that
   no meeting is overbooked.
5. Measures the CPU time of one request of each page in-process, with the same settings (a child
   process, Django's test client): a figure that the other programs of a shared machine hardly
   change, unlike requests/s and latencies.
6. Prints a table with PASS/FAIL per target, appends it to bench/RESULTS.md with the machine, then
   runs bench/indicators.py (catalogue times, full metropole PDF, peak memory).

`--sweep` measures 2 to 5 workers, sync and gthread, on a few pages, to choose the worker setup;
`--no-page-cache` serves the public pages without their cache (PAGE_CACHE_SECONDS=0), to compare.
Everything the benchmark writes (sessions, meetings, registrations, queued emails) is removed at
the end; the dataset is left as it was.
"""

from __future__ import annotations

import argparse
import functools
import http.client
import json
import os
import re
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "participation.settings")
# The driver itself runs with the local settings (it may generate the dataset, refused otherwise);
# the CPU-time child (--cpu-child) runs with the server's production settings and key.
CPU_CHILD = "--cpu-child" in sys.argv
# This process (the load driver) and the gunicorn server share the key: the sessions it writes for
# the logged-in clients are signed with it.
SECRET_KEY = (
    os.environ["SECRET_KEY"]
    if CPU_CHILD
    else os.environ.get("BENCH_SECRET_KEY") or secrets.token_urlsafe(50)
)
os.environ["SECRET_KEY"] = SECRET_KEY
if not CPU_CHILD:
    os.environ["DEBUG"] = "true"

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402
from django.utils import timezone  # noqa: E402

RESULTS = ROOT / "bench" / "RESULTS.md"
LUA = ROOT / "bench" / "wrk_report.lua"
WRK = shutil.which("wrk") or "/usr/bin/wrk"
PYTHON = sys.executable
GUNICORN = str(Path(PYTHON).with_name("gunicorn"))

# Targets (issue 9, item 4).
PUBLIC_RATIO_TARGET = 0.35
PUBLIC_P95_TARGET_MS = 150.0
DASHBOARD_P95_TARGET_MS = 400.0
# The registration burst (item 5).
BURST_MEETINGS = 10
BURST_SEATS = 15
BURST_CLIENTS = 200
BURST_TITLE = "Bench: registration under load"
# The mixed load (issue 21, item 2): a writer taps check-ins and speaking turns on one live meeting.
LIVE_TITLE = "Bench: live meeting"
LIVE_REGISTRANTS = 40
TAPS_PER_SECOND = 10.0
# How many objects a page with an id rotates over.
ROTATE = 60


@dataclass
class Page:
    key: str
    label: str
    paths: list[str]
    cookie: str = ""
    public: bool = True
    # A signed-in resident's page: never served from the page cache, judged on the public targets.
    resident: bool = False
    baseline: bool = False
    expect: str = ""  # a fragment the first answer must contain (a check that it is the real page)


@dataclass
class Result:
    page: Page
    requests: int = 0
    seconds: float = 0.0
    rps: float = 0.0
    p50: float = 0.0
    p95: float = 0.0
    p99: float = 0.0
    errors: int = 0
    hits: int = 0  # answers the page cache served (X-Page-Cache: hit)
    statuses: dict = field(default_factory=dict)
    ratio: float | None = None
    # The baseline measured just before this page: the ratio compares runs a few seconds apart,
    # so that a change of the machine's load between pages does not skew it.
    baseline_rps: float | None = None
    load: str = ""
    cpu_ms: float | None = None  # CPU time of one request in-process (cpu_child)
    verdicts: list[tuple[str, bool]] = field(default_factory=list)


# -- Dataset and fixtures ----------------------------------------------------------------------


def run_manage(*args: str, env: dict | None = None) -> None:
    subprocess.run([PYTHON, str(ROOT / "manage.py"), *args], check=True, env=env or os.environ)  # noqa: S603


def ensure_dataset() -> None:
    from devtools import scale

    if connection.vendor != "postgresql":
        sys.exit("DATABASE_URL must name a PostgreSQL database (the scale dataset lives there).")
    print("Migrations...", flush=True)
    run_manage("migrate", "--noinput", "-v0")
    if scale.existing_dataset():
        print("The scale dataset is in the database.")
    else:
        print("No scale dataset in this database: generating it (about 30 s)...", flush=True)
        run_manage("generate_scale_dataset")
    connection.close()
    created = scale.staff_authenticators()
    if created:
        print(f"{created} staff authenticators created.")


def session_for(user, *, second_factor: bool) -> str:
    """A logged-in session, as after a real login (password, and the TOTP code for staff)."""
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore

    from participation.middleware import LAST_ACTIVITY_SESSION_KEY, login_records

    store = SessionStore()
    store[SESSION_KEY] = str(user.pk)
    store[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[-1]
    store[HASH_SESSION_KEY] = user.get_session_auth_hash()
    store.update(login_records(user, second_factor=second_factor))
    store[LAST_ACTIVITY_SESSION_KEY] = int(time.time())
    store.create()
    return store.session_key


class Fixtures:
    """What the benchmark adds to the dataset, and removes at the end."""

    def __init__(self) -> None:
        self.sessions: list[str] = []
        self.meeting_ids: list[int] = []

    def cleanup(self) -> None:
        from django.contrib.sessions.models import Session

        from dialogue.models import Meeting

        Session.objects.filter(session_key__in=self.sessions).delete()
        Meeting.objects.filter(title__in=(BURST_TITLE, LIVE_TITLE)).delete()
        connection.close()


def choose_pages(fixtures: Fixtures, session_cookie: str, resident_cookie: str) -> list[Page]:
    from dialogue.models import Meeting
    from projects.models import Project
    from qpv.models import QPV

    now = timezone.now()
    qpvs = list(QPV.objects.order_by("pk").values_list("slug", flat=True))
    # The meeting pages people open: the next two months, and the last month's (minutes, Q&A).
    upcoming = list(
        Meeting.objects.public()
        .filter(starts_at__gte=now)
        .exclude(title=BURST_TITLE)
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
    year = timezone.localdate().year
    biggest = QPV.objects.order_by("pk").select_related("commune").first()
    dashboard = [
        "/espace-pro/indicateurs/",
        "/espace-pro/indicateurs/?" + urlencode({"scope": "metropole", "preset": f"year-{year}"}),
        "/espace-pro/indicateurs/?"
        + urlencode({"scope": f"commune:{biggest.commune.slug}", "preset": "contract"}),
        "/espace-pro/indicateurs/?"
        + urlencode({"scope": f"qpv:{biggest.slug}", "preset": "contract"}),
    ]
    return [
        Page(
            "baseline", "baseline (trivial view)", ["/bench/baseline"], baseline=True, expect="ok"
        ),
        Page("home", "home", ["/"], expect="</html>"),
        Page("qpv", f"QPV page ({len(qpvs)} QPV)", [f"/quartiers/{slug}/" for slug in qpvs]),
        Page("agenda", "agenda", ["/rencontres/"]),
        Page(
            "meeting",
            f"meeting page ({len(upcoming) + len(recent)} meetings)",
            [f"/rencontres/{pk}/" for pk in upcoming + recent],
        ),
        Page("questions", "public Q&A", ["/questions/"]),
        Page(
            "project",
            f"project page ({len(projects)} projects)",
            [f"/projets/{pk}/" for pk in projects],
        ),
        Page(
            "dashboard",
            "dashboard, coordinator (4 scope/period views)",
            dashboard,
            cookie=session_cookie,
            public=False,
            expect="indicateurs",
        ),
        # The same pages as a signed-in resident (a regular: the fullest "Mon espace"), who never
        # gets the page cache.
        Page(
            "resident_space",
            "Mon espace, resident",
            ["/compte/"],
            cookie=resident_cookie,
            public=False,
            resident=True,
        ),
        Page(
            "resident_meeting",
            f"meeting page, resident ({len(upcoming) + len(recent)} meetings)",
            [f"/rencontres/{pk}/" for pk in upcoming + recent],
            cookie=resident_cookie,
            public=False,
            resident=True,
        ),
        Page(
            "resident_questions",
            "public Q&A, resident",
            ["/questions/"],
            cookie=resident_cookie,
            public=False,
            resident=True,
        ),
    ]


def resident_cookie(fixtures: Fixtures) -> str:
    """A session of the generated resident with the most registrations (the fullest "Mon espace")."""
    from django.db.models import Count

    from devtools.scale import EMAIL_DOMAIN
    from participation.models import User

    user = (
        User.objects.filter(email__endswith="@" + EMAIL_DOMAIN, role_assignments__isnull=True)
        .annotate(registered=Count("registrations"))
        .order_by("-registered", "pk")
        .first()
    )
    if user is None:
        raise RuntimeError("No resident account in the dataset.")
    key = session_for(user, second_factor=False)
    fixtures.sessions.append(key)
    return f"{settings.SESSION_COOKIE_NAME}={key}"


def coordinator_cookie(fixtures: Fixtures) -> str:
    from devtools.scale import EMAIL_DOMAIN
    from participation.models import User

    user = User.objects.get(email=f"coordination@{EMAIL_DOMAIN}")
    key = session_for(user, second_factor=True)
    fixtures.sessions.append(key)
    return f"{settings.SESSION_COOKIE_NAME}={key}"


# -- The server --------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Server:
    """gunicorn with the production settings, in its own process group."""

    def __init__(self, workdir: Path, *, workers: int, worker_class: str, threads: int) -> None:
        self.workdir = workdir
        self.port = free_port()
        self.workers, self.worker_class, self.threads = workers, worker_class, threads
        self.log = workdir / "gunicorn.log"
        self.process: subprocess.Popen | None = None

    @property
    def description(self) -> str:
        threads = f" × {self.threads} threads" if self.worker_class == "gthread" else ""
        return f"gunicorn {self.workers} {self.worker_class} workers{threads}"

    @staticmethod
    def environment(workdir: Path) -> dict:
        env = {
            key: value for key, value in os.environ.items() if key not in {"DEBUG", "VAR_DIR", "CI"}
        }
        env.update(
            DEBUG="false",
            SECRET_KEY=SECRET_KEY,
            ALLOWED_HOSTS="127.0.0.1,localhost",
            SITE_URL="http://127.0.0.1",
            VAR_DIR=str(workdir),  # STATIC_ROOT, media and the mail files of this run
            SECURE_SSL_REDIRECT="false",  # plain HTTP on loopback: TLS ends at the proxy
            SECURE_HSTS_SECONDS="0",
            BENCH_BASELINE_VIEW="true",
            # Residents come through the proxy, each with their address (registration burst).
            TRUSTED_PROXIES="1",
            # The emails of the registrations wait in a queue of their own, emptied at the end.
            CELERY_QUEUE=BENCH_QUEUE,
            LOG_LEVEL="WARNING",
        )
        env.update(EXTRA_ENV)
        return env

    def start(self) -> None:
        command = [
            GUNICORN,
            "participation.wsgi:application",
            "--bind",
            f"127.0.0.1:{self.port}",
            "--workers",
            str(self.workers),
            "--worker-class",
            self.worker_class,
            "--threads",
            str(self.threads),
            "--backlog",
            "2048",
            "--timeout",
            "120",
            "--graceful-timeout",
            "5",
            "--log-level",
            "warning",
            "--chdir",
            str(ROOT),
        ]
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(  # noqa: S603
                command,
                env=self.environment(self.workdir),
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError("gunicorn stopped:\n" + self.log.read_text()[-3000:])
            try:
                status, _body, _headers = get(self.port, "/healthz")
                if status == 200:
                    return
            except OSError:
                pass
            time.sleep(0.3)
        raise RuntimeError("gunicorn did not answer /healthz within 60 s.")

    def errors(self) -> str:
        """The tracebacks gunicorn logged (a 500's cause), for the report of a failed run."""
        text = self.log.read_text(errors="replace") if self.log.exists() else ""
        return text[-4000:] if "Traceback" in text or "ERROR" in text else ""

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None


BENCH_QUEUE = f"bench-load-{os.getpid()}"
# Set from the options (--no-page-cache).
EXTRA_ENV: dict[str, str] = {}


def collectstatic(workdir: Path) -> None:
    print("collectstatic into a temporary STATIC_ROOT...", flush=True)
    run_manage("collectstatic", "--noinput", "-v0", env=Server.environment(workdir))


def get(port: int, path: str, headers: dict | None = None) -> tuple[int, str, list]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        conn.request("GET", path, headers=headers or {})
        response = conn.getresponse()
        return response.status, response.read().decode("utf-8", "replace"), response.getheaders()
    finally:
        conn.close()


# -- wrk ---------------------------------------------------------------------------------------


def wrk(port: int, page: Page, seconds: int, connections: int, workdir: Path) -> dict:
    paths = workdir / f"paths-{page.key}.txt"
    paths.write_text("\n".join(page.paths) + "\n")
    command = [
        WRK,
        "-t2",
        f"-c{connections}",
        f"-d{seconds}s",
        "--timeout",
        "10s",
        "-s",
        str(LUA),
        f"http://127.0.0.1:{port}",
        "--",
        str(paths),
        page.cookie,
    ]
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout  # noqa: S603
    for line in output.splitlines():
        if line.startswith("WRK-RESULT "):
            return json.loads(line.removeprefix("WRK-RESULT "))
    raise RuntimeError("wrk printed no result:\n" + output)


def check_page(port: int, page: Page) -> None:
    """Each path answers 200 (a redirect to the login or a 404 would measure the wrong page)."""
    headers = {"Cookie": page.cookie} if page.cookie else {}
    for path in page.paths:
        status, body, _headers = get(port, path, headers)
        if status != 200 or (page.expect and page.expect not in body):
            raise RuntimeError(f"{path} answered {status}, not the page:\n{body[:500]}")


def measure_page(
    port: int, page: Page, *, warmup: int, duration: int, connections: int, workdir: Path
) -> Result:
    if warmup:
        wrk(port, page, warmup, connections, workdir)
    raw = wrk(port, page, duration, connections, workdir)
    seconds = raw["duration_us"] / 1e6
    errors = (
        raw["non2xx"] + raw["connect"] + raw["read"] + raw["write"] + raw["timeout"]
    )  # wrk's own "status" errors (>= 400) are among the non-2xx
    return Result(
        page=page,
        load=f"{os.getloadavg()[0]:.1f}",
        requests=raw["requests"],
        seconds=seconds,
        rps=raw["requests"] / seconds if seconds else 0.0,
        p50=raw["p50_us"] / 1000,
        p95=raw["p95_us"] / 1000,
        p99=raw["p99_us"] / 1000,
        errors=errors,
        hits=raw.get("hits", 0),
        statuses=raw["statuses"],
    )


def judge(results: list[Result]) -> None:
    baseline = next((result for result in results if result.page.baseline), None)
    for result in results:
        reference = result.baseline_rps or (baseline.rps if baseline else None)
        if reference:
            result.ratio = result.rps / reference
        result.verdicts.append((f"errors {result.errors} = 0", result.errors == 0))
        if result.page.baseline:
            continue
        if result.page.public or result.page.resident:
            if result.ratio is not None:
                result.verdicts.append(
                    (
                        f"{result.ratio:.0%} of the baseline ≥ {PUBLIC_RATIO_TARGET:.0%}",
                        result.ratio >= PUBLIC_RATIO_TARGET,
                    )
                )
            result.verdicts.append(
                (
                    f"p95 {result.p95:.0f} ms ≤ {PUBLIC_P95_TARGET_MS:.0f} ms",
                    result.p95 <= PUBLIC_P95_TARGET_MS,
                )
            )
        else:
            result.verdicts.append(
                (
                    f"p95 {result.p95:.0f} ms ≤ {DASHBOARD_P95_TARGET_MS:.0f} ms",
                    result.p95 <= DASHBOARD_P95_TARGET_MS,
                )
            )


# -- Registration burst ------------------------------------------------------------------------


@dataclass
class Burst:
    clients: int
    meetings: int
    seats: int
    statuses: dict
    failures: list[str]
    p50: float
    p95: float
    max: float
    seconds: float
    per_meeting: list[tuple[int, int, int]]  # (meeting id, confirmed, waitlisted)
    duplicates: int

    @property
    def overbooked(self) -> list[int]:
        return [pk for pk, confirmed, _w in self.per_meeting if confirmed > self.seats]

    @property
    def ok(self) -> bool:
        expected_total = self.clients
        total = sum(confirmed + waitlisted for _pk, confirmed, waitlisted in self.per_meeting)
        return (
            not self.failures
            and not self.overbooked
            and not self.duplicates
            and total == expected_total
            and all(confirmed == self.seats for _pk, confirmed, _w in self.per_meeting)
        )


def burst_fixtures(fixtures: Fixtures) -> list[tuple[int, str, str]]:
    """10 meetings of 15 seats in a month, and 200 residents logged in: (meeting, cookie, address)."""
    from devtools.scale import EMAIL_DOMAIN
    from dialogue.models import DialogueSpace, Meeting, MeetingStatus
    from participation.models import User

    Meeting.objects.filter(title=BURST_TITLE).delete()
    spaces = list(
        DialogueSpace.objects.filter(
            is_active=True, host_organisation__contact_email__endswith="@" + EMAIL_DOMAIN
        ).order_by("pk")[:BURST_MEETINGS]
    )
    starts = timezone.now().replace(microsecond=0) + timedelta(days=30)
    meetings = []
    for index in range(BURST_MEETINGS):
        space = spaces[index % len(spaces)]
        meetings.append(
            Meeting.objects.create(
                dialogue_space=space,
                title=BURST_TITLE,
                starts_at=starts + timedelta(hours=index),
                ends_at=starts + timedelta(hours=index + 2),
                venue="Maison de quartier",
                address="1 place du Marché",
                capacity=BURST_SEATS,
                registration_required=True,
                status=MeetingStatus.PLANNED,
            )
        )
    fixtures.meeting_ids = [meeting.pk for meeting in meetings]
    residents = list(
        User.objects.filter(
            email__endswith="@" + EMAIL_DOMAIN, role_assignments__isnull=True
        ).order_by("-pk")[:BURST_CLIENTS]
    )
    if len(residents) < BURST_CLIENTS:
        raise RuntimeError(f"Only {len(residents)} resident accounts in the dataset.")
    plan = []
    for index, user in enumerate(residents):
        key = session_for(user, second_factor=False)
        fixtures.sessions.append(key)
        meeting = meetings[index % BURST_MEETINGS]
        address = f"10.{index // 250}.{index % 250}.{1 + index % 200}"
        plan.append((meeting.pk, f"{settings.SESSION_COOKIE_NAME}={key}", address))
    connection.close()
    return plan


CSRF_INPUT = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def _csrf(port: int, meeting_pk: int, cookie: str, address: str) -> tuple[str, str]:
    """The resident opens the meeting page: the CSRF cookie and the form's token."""
    status, body, headers = get(
        port, f"/rencontres/{meeting_pk}/", {"Cookie": cookie, "X-Forwarded-For": address}
    )
    if status != 200:
        raise RuntimeError(f"meeting page answered {status}")
    cookie_token = ""
    for name, value in headers:
        if name.lower() == "set-cookie" and value.startswith(settings.CSRF_COOKIE_NAME + "="):
            cookie_token = value.split(";", 1)[0].split("=", 1)[1]
    match = CSRF_INPUT.search(body)
    if not cookie_token:
        raise RuntimeError("no CSRF cookie on the meeting page")
    return cookie_token, match.group(1) if match else cookie_token


def registration_burst(port: int, fixtures: Fixtures) -> Burst:
    from django.db.models import Count, Q

    from dialogue.models import Meeting, Registration, RegistrationStatus

    plan = burst_fixtures(fixtures)
    print(f"Registration burst: {len(plan)} residents opening the meeting page...", flush=True)
    prepared = []
    for meeting_pk, cookie, address in plan:
        cookie_token, form_token = _csrf(port, meeting_pk, cookie, address)
        prepared.append((meeting_pk, cookie, address, cookie_token, form_token))

    barrier = threading.Barrier(len(prepared))
    latencies: list[float] = [0.0] * len(prepared)
    outcomes: list[str] = [""] * len(prepared)

    def post(index: int, meeting_pk, cookie, address, cookie_token, form_token) -> None:
        body = urlencode({"csrfmiddlewaretoken": form_token})
        headers = {
            "Cookie": f"{cookie}; {settings.CSRF_COOKIE_NAME}={cookie_token}",
            "Content-Type": "application/x-www-form-urlencoded",
            "X-Forwarded-For": address,
        }
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        try:
            conn.connect()
            barrier.wait()
            began = time.perf_counter()
            conn.request("POST", f"/rencontres/{meeting_pk}/inscription/", body, headers)
            response = conn.getresponse()
            response.read()
            latencies[index] = time.perf_counter() - began
            location = response.getheader("Location", "")
            if response.status == 302 and location.endswith(f"/rencontres/{meeting_pk}/"):
                outcomes[index] = "302"
            else:
                outcomes[index] = f"{response.status} {location}".strip()
        except Exception as error:
            outcomes[index] = f"error {error!r}"
        finally:
            conn.close()

    threads = [
        threading.Thread(target=post, args=(index, *item)) for index, item in enumerate(prepared)
    ]
    print(f"Registration burst: {len(threads)} concurrent POSTs...", flush=True)
    began = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - began

    statuses: dict[str, int] = {}
    for outcome in outcomes:
        statuses[outcome.split(" ")[0]] = statuses.get(outcome.split(" ")[0], 0) + 1
    failures = [outcome for outcome in outcomes if outcome != "302"]
    per_meeting = [
        (row["pk"], row["confirmed"], row["waitlisted"])
        for row in Meeting.objects.filter(pk__in=fixtures.meeting_ids)
        .annotate(
            confirmed=Count(
                "registrations", filter=Q(registrations__status=RegistrationStatus.CONFIRMED)
            ),
            waitlisted=Count(
                "registrations", filter=Q(registrations__status=RegistrationStatus.WAITLISTED)
            ),
        )
        .order_by("pk")
        .values("pk", "confirmed", "waitlisted")
    ]
    duplicates = (
        Registration.objects.filter(meeting_id__in=fixtures.meeting_ids)
        .values("meeting_id", "email")
        .annotate(n=Count("pk"))
        .filter(n__gt=1)
        .count()
    )
    connection.close()
    ordered = sorted(latencies)
    return Burst(
        clients=len(prepared),
        meetings=BURST_MEETINGS,
        seats=BURST_SEATS,
        statuses=statuses,
        failures=failures,
        p50=statistics.median(ordered) * 1000,
        p95=ordered[max(0, int(len(ordered) * 0.95) - 1)] * 1000,
        max=ordered[-1] * 1000,
        seconds=elapsed,
        per_meeting=per_meeting,
        duplicates=duplicates,
    )


def purge_queue() -> None:
    """The registration emails queued for Celery by the burst: nobody will send them."""
    if not settings.REDIS_URL:
        return
    import redis

    client = redis.Redis.from_url(settings.REDIS_URL)
    keys = list(client.scan_iter(match=f"*{BENCH_QUEUE}*"))
    if keys:
        client.delete(*keys)


# -- Mixed load: a live meeting's taps while visitors read (issue 21, item 2) ---------------------


@dataclass
class Taps:
    """What the writer did: taps sent, their answers and latencies, and what SQL says was written."""

    rate: float
    sent: int = 0
    seconds: float = 0.0
    statuses: dict = field(default_factory=dict)
    failures: list[str] = field(default_factory=list)
    latencies: list[float] = field(default_factory=list)
    turns: int = 0  # speaking turns of the meeting, in SQL at the end
    checked_in: int = 0  # registrants present at the end, in SQL
    expected_checked_in: int = 0  # what the check-in taps sent leave present

    @property
    def achieved(self) -> float:
        return self.sent / self.seconds if self.seconds else 0.0

    @property
    def p95(self) -> float:
        ordered = sorted(self.latencies)
        return ordered[max(0, int(len(ordered) * 0.95) - 1)] * 1000 if ordered else 0.0

    @property
    def ok(self) -> bool:
        # Every tap answered, at 90 % of the rate asked at least, and written.
        return (
            not self.failures
            and self.achieved >= 0.9 * self.rate
            and self.turns > 0
            and self.checked_in == self.expected_checked_in
        )


def live_fixtures(fixtures: Fixtures) -> tuple[int, list[int], str]:
    """A meeting of a generated space that began half an hour ago, its registrants, and a session
    of the QPV's generated facilitator (second factor passed): (meeting, registrations, cookie)."""
    from devtools.scale import EMAIL_DOMAIN
    from dialogue.models import (
        DialogueSpace,
        Meeting,
        MeetingStatus,
        Registration,
        RegistrationStatus,
    )
    from participation.models import User

    Meeting.objects.filter(title=LIVE_TITLE).delete()
    space = (
        DialogueSpace.objects.filter(
            is_active=True, host_organisation__contact_email__endswith="@" + EMAIL_DOMAIN
        )
        .select_related("qpv")
        .order_by("pk")
        .first()
    )
    if space is None:
        raise RuntimeError("No generated dialogue space in the dataset.")
    now = timezone.now().replace(microsecond=0)
    meeting = Meeting.objects.create(
        dialogue_space=space,
        title=LIVE_TITLE,
        starts_at=now - timedelta(minutes=30),
        ends_at=now + timedelta(hours=4),
        venue="Maison de quartier",
        address="1 place du Marché",
        capacity=None,
        registration_required=False,
        status=MeetingStatus.PLANNED,
    )
    registrations = Registration.objects.bulk_create(
        Registration(
            meeting=meeting,
            name=f"Habitant {index}",
            email=f"bench-live-{index}@{EMAIL_DOMAIN}",
            status=RegistrationStatus.CONFIRMED,
            confirmed_at=now - timedelta(days=2),
        )
        for index in range(LIVE_REGISTRANTS)
    )
    facilitator = User.objects.get(email=f"animation.{space.qpv.slug}@{EMAIL_DOMAIN}")
    key = session_for(facilitator, second_factor=True)
    fixtures.sessions.append(key)
    connection.close()
    return (
        meeting.pk,
        [registration.pk for registration in registrations],
        (f"{settings.SESSION_COOKIE_NAME}={key}"),
    )


class Writer(threading.Thread):
    """The facilitator's taps on the live meeting, `rate` per second, through the staff views
    (htmx requests, as the check-in and tracker pages send them): a check-in (tick, then untick
    later) and a speaking turn in turn, the tracker paused now and then.

    Taps leave on schedule whatever the answers' latency (an open loop, several in flight: two
    people at the door and one at the tracker do not wait for each other); two taps on the same
    registrant are a whole round of the list apart, so they never overtake each other."""

    IN_FLIGHT = 8

    CATEGORIES = ("resident", "association", "institution", "elected", "facilitator")
    ADDRESS = "10.250.0.1"

    def __init__(self, port: int, fixtures: Fixtures, rate: float) -> None:
        super().__init__(daemon=True)
        from django.urls import reverse

        self.port = port
        self.meeting_pk, self.registrations, self.cookie = live_fixtures(fixtures)
        self.taps = Taps(rate=rate)
        self.halt = threading.Event()
        self.lock = threading.Lock()
        status, body, headers = get(
            port,
            reverse("dialogue:checkin", args=[self.meeting_pk]),
            {"Cookie": self.cookie, "X-Forwarded-For": self.ADDRESS},
        )
        if status != 200:
            raise RuntimeError(f"the check-in page answered {status} to the facilitator")
        self.csrf_cookie = next(
            (
                value.split(";", 1)[0].split("=", 1)[1]
                for name, value in headers
                if name.lower() == "set-cookie"
                and value.startswith(settings.CSRF_COOKIE_NAME + "=")
            ),
            "",
        )
        match = CSRF_INPUT.search(body)
        if not self.csrf_cookie:
            raise RuntimeError("no CSRF cookie on the check-in page")
        self.csrf_token = match.group(1) if match else self.csrf_cookie
        self.urls = {
            name: reverse(f"dialogue:{name}", args=[self.meeting_pk])
            for name in ("tracker_start", "tracker_pause")
        }

    def tap(self, index: int) -> tuple[str, dict]:
        from django.urls import reverse

        if index % 2 == 0:
            # Tick the registrants one after the other, then untick them on the next round.
            registration = self.registrations[(index // 2) % len(self.registrations)]
            present = "1" if (index // 2 // len(self.registrations)) % 2 == 0 else "0"
            url = reverse("dialogue:checkin_toggle", args=[self.meeting_pk, registration])
            return url, {"present": present}
        if index % 20 == 19:
            return self.urls["tracker_pause"], {}
        return self.urls["tracker_start"], {
            "category": self.CATEGORIES[(index // 2) % len(self.CATEGORIES)]
        }

    def post(self, path: str, data: dict) -> None:
        body = urlencode({**data, "csrfmiddlewaretoken": self.csrf_token})
        headers = {
            "Cookie": f"{self.cookie}; {settings.CSRF_COOKIE_NAME}={self.csrf_cookie}",
            "Content-Type": "application/x-www-form-urlencoded",
            "X-Forwarded-For": self.ADDRESS,
            "HX-Request": "true",
        }
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        began = time.perf_counter()
        try:
            conn.request("POST", path, body, headers)
            response = conn.getresponse()
            response.read()
            outcome = str(response.status)
        except Exception as error:
            outcome = f"error {error!r}"
        finally:
            conn.close()
        with self.lock:
            self.taps.latencies.append(time.perf_counter() - began)
            key = outcome.split(" ")[0]
            self.taps.statuses[key] = self.taps.statuses.get(key, 0) + 1
            if outcome not in ("200", "204", "302"):
                self.taps.failures.append(f"{path} {outcome}")

    def run(self) -> None:
        from concurrent.futures import ThreadPoolExecutor

        interval = 1 / self.taps.rate
        began = next_at = time.perf_counter()
        index = checkins = 0
        with ThreadPoolExecutor(max_workers=self.IN_FLIGHT) as pool:
            while not self.halt.is_set():
                pool.submit(self.post, *self.tap(index))
                checkins += index % 2 == 0
                index += 1
                next_at += interval
                delay = next_at - time.perf_counter()
                if delay > 0:
                    self.halt.wait(delay)
                elif delay < -1:
                    next_at = time.perf_counter()  # far behind: do not burst to catch up
            self.taps.seconds = time.perf_counter() - began
        self.taps.sent = index
        # Rounds of the list: ticking (even rounds), then unticking (odd rounds).
        rounds, position = divmod(checkins, len(self.registrations))
        self.taps.expected_checked_in = (
            position if rounds % 2 == 0 else len(self.registrations) - position
        )

    def finish(self) -> Taps:
        from dialogue.models import Registration, SpeakingTurn

        self.halt.set()
        self.join()
        self.taps.turns = SpeakingTurn.objects.filter(meeting_id=self.meeting_pk).count()
        self.taps.checked_in = Registration.objects.filter(
            meeting_id=self.meeting_pk, attended=True
        ).count()
        connection.close()
        return self.taps


def mixed_load(
    server: Server, pages: list[Page], options, workdir: Path, fixtures: Fixtures
) -> tuple[list[Result], Taps]:
    """The public pages read while the writer taps on the live meeting (adjacent baselines too)."""
    mixed = [
        Page(
            page.key,
            page.label + (" — live meeting taps" if not page.baseline else ""),
            page.paths,
            page.cookie,
            page.public,
            page.resident,
            page.baseline,
            page.expect,
        )
        for page in pages
        if page.baseline or page.public
    ]
    writer = Writer(server.port, fixtures, options.taps_per_second)
    print(
        f"\nMixed load: the facilitator taps {options.taps_per_second:g}/s on meeting "
        f"{writer.meeting_pk} (check-in, speaking time) while wrk reads the public pages:",
        flush=True,
    )
    writer.start()
    try:
        results = run_pages(server, mixed, options, workdir)
    finally:
        taps = writer.finish()
    print(
        f"  taps: {taps.sent} in {taps.seconds:.0f} s ({taps.achieved:.1f}/s), answers "
        + ", ".join(f"{k}: {v}" for k, v in sorted(taps.statuses.items()))
        + f", p95 {taps.p95:.0f} ms; {taps.turns} speaking turns, {taps.checked_in} present "
        f"(expected {taps.expected_checked_in})",
        flush=True,
    )
    return results, taps


def taps_lines(taps: Taps) -> list[str]:
    lines = [
        f"Writer: {taps.sent} taps in {taps.seconds:.0f} s ({taps.achieved:.1f}/s for "
        f"{taps.rate:g}/s asked), answers "
        + ", ".join(f"{status}: {count}" for status, count in sorted(taps.statuses.items()))
        + f", p95 {taps.p95:.0f} ms; in SQL {taps.turns} speaking turns and {taps.checked_in} "
        f"registrants present on the live meeting (the taps sent leave "
        f"{taps.expected_checked_in}).",
        f"- {'PASS' if taps.ok else 'FAIL'} writer: every tap answered, ≥ 90 % of the rate, "
        "the check-ins written",
    ]
    if taps.failures:
        lines.append("  Failures: " + "; ".join(sorted(set(taps.failures))[:5]))
    return lines


# -- CPU time per request (a figure the machine's load hardly changes) ---------------------------

CPU_REQUESTS = 200


def cpu_child(spec: str) -> None:
    """In-process, production settings: the CPU time of one request of each page (Django only).

    `spec` is a JSON file: [[key, [paths], cookie], ...]. Each page is requested once to warm its
    caches, then CPU_REQUESTS times (a tenth of that for the pages costing over 5 ms), rotating
    over its paths; the time is the process's CPU time (time.process_time), so that other
    programs running on the machine do not count, unlike with wall-clock latencies.
    """
    from django.test import Client

    result = {}
    for key, paths, cookie in json.loads(Path(spec).read_text()):
        client = Client()
        if cookie:
            name, value = cookie.split("=", 1)
            client.cookies[name] = value
        for path in paths:
            client.get(path)
        count = CPU_REQUESTS
        began = time.process_time()
        for index in range(20):
            client.get(paths[index % len(paths)])
        if (time.process_time() - began) / 20 > 0.005:
            count = CPU_REQUESTS // 10
        began = time.process_time()
        for index in range(count):
            response = client.get(paths[index % len(paths)])
            if response.status_code != 200:
                raise RuntimeError(f"{paths[index % len(paths)]} answered {response.status_code}")
        result[key] = (time.process_time() - began) / count * 1000
    print("CPU-RESULT " + json.dumps(result))


def cpu_costs(pages: list[Page], workdir: Path) -> dict[str, float]:
    spec = workdir / "cpu-pages.json"
    spec.write_text(json.dumps([[page.key, page.paths, page.cookie] for page in pages]))
    env = Server.environment(workdir)
    env["ALLOWED_HOSTS"] += ",testserver"
    process = subprocess.run(  # noqa: S603 (this very script)
        [PYTHON, __file__, "--cpu-child", str(spec)],
        capture_output=True,
        text=True,
        check=False,
        env=env,
        cwd=ROOT,
    )
    for line in process.stdout.splitlines():
        if line.startswith("CPU-RESULT "):
            return json.loads(line.removeprefix("CPU-RESULT "))
    print("The CPU-time child failed:\n" + process.stdout[-2000:] + process.stderr[-3000:])
    return {}


# -- Machine -----------------------------------------------------------------------------------


def versions() -> str:
    def first_line(command: list[str]) -> str:
        try:
            result = subprocess.run(command, capture_output=True, text=True, check=False)  # noqa: S603
        except OSError:
            return "?"
        return (result.stdout or result.stderr).strip().splitlines()[0] if result else "?"

    import gunicorn

    redis_version = "?"
    if settings.REDIS_URL:
        import redis

        redis_version = redis.Redis.from_url(settings.REDIS_URL).info("server")["redis_version"]
    wrk_version = first_line([WRK, "--version"]).split(" [")[0]
    return f"gunicorn {gunicorn.__version__}, Redis {redis_version}, {wrk_version}"


# -- Report ------------------------------------------------------------------------------------


def table(results: list[Result]) -> list[str]:
    lines = [
        "| page | req/s | baseline req/s just before | ratio | p50 (ms) | p95 (ms) | p99 (ms) "
        "| errors | from the page cache | load | CPU ms/request | targets |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for result in results:
        ratio = "—" if result.page.baseline or result.ratio is None else f"{result.ratio:.0%}"
        verdict = "; ".join(f"{'PASS' if ok else 'FAIL'} {label}" for label, ok in result.verdicts)
        errors = str(result.errors)
        if result.statuses:
            errors += " (" + ", ".join(f"{k}: {v}" for k, v in result.statuses.items()) + ")"
        adjacent = f"{result.baseline_rps:,.0f}" if result.baseline_rps else "—"
        cached = (
            "—"
            if result.page.baseline or not result.requests
            else f"{result.hits / result.requests:.0%}"
        )
        lines.append(
            f"| {result.page.label} | {result.rps:,.0f} | {adjacent} | {ratio} | {result.p50:.1f} | "
            f"{result.p95:.1f} | {result.p99:.1f} | {errors} | {cached} | {result.load} | "
            f"{'—' if result.cpu_ms is None else f'{result.cpu_ms:.2f}'} | {verdict} |"
        )
    return lines


def burst_lines(burst: Burst) -> list[str]:
    confirmed = [confirmed for _pk, confirmed, _w in burst.per_meeting]
    waitlisted = [waitlisted for _pk, _c, waitlisted in burst.per_meeting]
    lines = [
        f"Registration burst: {burst.clients} logged-in residents POST at once to "
        f"{burst.meetings} meetings of {burst.seats} seats: answers "
        + ", ".join(f"{status}: {count}" for status, count in sorted(burst.statuses.items()))
        + f"; latency p50 {burst.p50:.0f} ms, p95 {burst.p95:.0f} ms, max {burst.max:.0f} ms; "
        f"all done in {burst.seconds:.1f} s. In SQL: confirmed per meeting {min(confirmed)}–"
        f"{max(confirmed)}, waitlisted {min(waitlisted)}–{max(waitlisted)}, "
        f"{len(burst.overbooked)} meeting(s) overbooked, {burst.duplicates} duplicate(s).",
        f"- {'PASS' if burst.ok else 'FAIL'} registration burst: no error, no overbooking "
        f"(confirmed = {burst.seats} per meeting, the rest waitlisted)",
    ]
    if burst.failures:
        lines.append("  Failures: " + "; ".join(sorted(set(burst.failures))[:5]))
    return lines


def write_results(header: list[str], lines: list[str]) -> None:
    with RESULTS.open("a", encoding="utf-8") as handle:
        handle.write("\n" + "\n".join([*header, "", *lines]) + "\n")
    print(f"\nAppended to {RESULTS.relative_to(ROOT)}.")


# -- Main --------------------------------------------------------------------------------------

SWEEP_PAGES = ("baseline", "home", "meeting", "questions", "dashboard")


def run_pages(
    server: Server, pages: list[Page], options, workdir: Path, *, adjacent: bool = True
) -> list[Result]:
    """Each page: warm-up, then (with `adjacent`) a baseline run, then the measured run."""
    results = []
    baseline_page = next((page for page in pages if page.baseline), None)
    for page in pages:
        check_page(server.port, page)
        measure = functools.partial(
            measure_page,
            server.port,
            duration=options.duration,
            connections=options.connections,
            workdir=workdir,
        )
        if adjacent and baseline_page is not None and not page.baseline:
            if options.warmup:
                wrk(server.port, page, options.warmup, options.connections, workdir)
            reference = measure(baseline_page, warmup=0)
            result = measure(page, warmup=0)
            result.baseline_rps = reference.rps
        else:
            result = measure(page, warmup=options.warmup)
        ratio = f"  ratio {result.rps / result.baseline_rps:4.0%}" if result.baseline_rps else ""
        cached = f"  cached {result.hits / result.requests:4.0%}" if result.requests else ""
        print(
            f"  {page.label:<48} {result.rps:8,.0f} req/s  p50 {result.p50:7.1f} ms  "
            f"p95 {result.p95:7.1f} ms  errors {result.errors}{ratio}{cached}  load {result.load}",
            flush=True,
        )
        results.append(result)
    return results


def sweep(pages: list[Page], options, workdir: Path) -> list[str]:
    chosen = [page for page in pages if page.key in SWEEP_PAGES]
    lines = [
        "| server | " + " | ".join(f"{page.key} req/s (p95 ms)" for page in chosen) + " |",
        "|---|" + "---:|" * len(chosen),
    ]
    for worker_class, threads in (("sync", 1), ("gthread", 4)):
        for workers in range(2, 6):
            server = Server(workdir, workers=workers, worker_class=worker_class, threads=threads)
            print(f"\n{server.description}", flush=True)
            server.start()
            try:
                results = run_pages(server, chosen, options, workdir, adjacent=False)
            finally:
                server.stop()
            lines.append(
                f"| {server.description} | "
                + " | ".join(f"{result.rps:,.0f} ({result.p95:.0f})" for result in results)
                + " |"
            )
    return lines


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--duration", type=int, default=20, help="Seconds measured per page.")
    parser.add_argument("--warmup", type=int, default=10, help="Seconds of warm-up per page.")
    parser.add_argument("--connections", type=int, default=16, help="Concurrent connections.")
    # The sweeps (--sweep, bench/RESULTS.md) on the 2-core machine: gthread workers keep the
    # connection open and serve the cheap pages faster than sync workers (which close it after
    # each answer), but the dashboard, CPU-bound Python, suffers from the threads of one process
    # sharing the interpreter lock: 5 sync workers (2 × cores + 1, the production image's class)
    # gave the dashboard 108 req/s and a p95 of 169 ms where 3 gthread workers × 4 threads gave 56
    # and 345 ms, the public pages staying far above their targets.
    parser.add_argument("--workers", type=int, default=5, help="gunicorn workers.")
    parser.add_argument("--worker-class", default="sync", choices=("sync", "gthread"))
    parser.add_argument("--threads", type=int, default=1, help="Threads per gthread worker.")
    parser.add_argument("--pages", default="", help="Comma-separated page keys (default: all).")
    parser.add_argument("--sweep", action="store_true", help="Compare worker setups only.")
    parser.add_argument(
        "--no-page-cache",
        action="store_true",
        help="Serve the public pages without their cache (PAGE_CACHE_SECONDS=0), to compare.",
    )
    parser.add_argument(
        "--no-mixed",
        action="store_true",
        help="Skip the mixed load (public pages read while a facilitator taps on a live meeting).",
    )
    parser.add_argument(
        "--taps-per-second",
        type=float,
        default=TAPS_PER_SECOND,
        help="The live meeting's check-in and speaking-time taps per second (mixed load).",
    )
    parser.add_argument("--no-registrations", action="store_true")
    parser.add_argument("--no-indicators", action="store_true")
    parser.add_argument("--no-write", action="store_true", help="Do not append to RESULTS.md.")
    parser.add_argument("--cpu-child", metavar="SPEC", help=argparse.SUPPRESS)
    options = parser.parse_args()
    if options.cpu_child:
        cpu_child(options.cpu_child)
        return 0
    if not Path(WRK).exists():
        sys.exit("wrk is not installed (`make bench` installs it: scripts/system_deps.sh bench).")
    if not settings.REDIS_URL:
        sys.exit("Set REDIS_URL: the benchmark runs with the production cache (Redis).")

    from indicators import dataset, machine

    if options.no_page_cache:
        EXTRA_ENV["PAGE_CACHE_SECONDS"] = "0"

    ensure_dataset()
    fixtures = Fixtures()
    workdir = Path(tempfile.mkdtemp(prefix="qed-bench-"))
    exit_code = 0
    try:
        pages = choose_pages(fixtures, coordinator_cookie(fixtures), resident_cookie(fixtures))
        if options.pages:
            wanted = set(options.pages.split(","))
            pages = [page for page in pages if page.key in wanted or page.baseline]
        collectstatic(workdir)
        info, data = machine(), dataset()
        header = [
            f"## {info['date']} — load test (`make bench`: gunicorn + wrk)",
            "",
            f"Machine: {info['cpus']} CPU ({info['cpu']}), {info['memory']} RAM, load "
            f"{info['load']} at the start; Python {info['python']}, Django {info['django']}, "
            f"{info['database']}, {versions()}.",
            "",
            "Dataset: " + ", ".join(f"{count:,} {label}" for label, count in data.items()) + ".",
        ]
        if options.sweep:
            lines = sweep(pages, options, workdir)
            header.insert(
                2,
                f"Worker sweep: wrk {options.connections} connections, {options.warmup} s "
                f"warm-up then {options.duration} s per page.\n",
            )
            print("\n".join(lines))
            if not options.no_write:
                write_results(header, lines)
            return 0

        server = Server(
            workdir,
            workers=options.workers,
            worker_class=options.worker_class,
            threads=options.threads,
        )
        print(f"Starting {server.description} on 127.0.0.1:{server.port}...", flush=True)
        server.start()
        try:
            print(
                f"wrk: {options.connections} connections, 2 threads, {options.warmup} s warm-up "
                f"then {options.duration} s measured, per page:",
                flush=True,
            )
            results = run_pages(server, pages, options, workdir)
            mixed: list[Result] = []
            taps = None
            if not options.no_mixed and any(page.public for page in pages):
                mixed, taps = mixed_load(server, pages, options, workdir, fixtures)
            burst = None
            if not options.no_registrations:
                burst = registration_burst(server.port, fixtures)
        finally:
            logged = server.errors()
            server.stop()
        if logged:
            print("\nErrors logged by gunicorn (last lines):\n" + logged)
        print("CPU time per request, in-process...", flush=True)
        costs = cpu_costs(pages, workdir)
        for result in results:
            result.cpu_ms = costs.get(result.page.key)
        judge(results)
        judge(mixed)
        cache = (
            "page cache OFF (PAGE_CACHE_SECONDS=0)"
            if options.no_page_cache
            else "public pages cached for visitors (participation/datacache.py)"
        )
        lines = [
            f"Server: {server.description} (production settings: DEBUG off, PostgreSQL, Redis "
            f"cache, WhiteNoise; {cache}); load: wrk on loopback, {options.connections} "
            f"connections, anonymous visitors without cookies. Per page: {options.warmup} s "
            f"warm-up, {options.duration} s of the baseline, then {options.duration} s of the page; "
            "the ratio compares the page with that baseline run just before it. Pages with an id "
            "rotate over the objects named; the dashboard is read by the coordinator (session "
            "with the second factor), the resident pages by the generated resident with the most "
            "registrations (a session, never the page cache). Load: the 1-minute load average at "
            "the end of the run. CPU "
            "ms/request: the CPU time of one request served in-process by Django with the same "
            "settings (test client, warm caches; no gunicorn, no network), which the other "
            "programs running on the machine hardly change.",
            "",
            *table(results),
            "",
        ]
        verdicts = [
            f"- {'PASS' if ok else 'FAIL'} {result.page.label}: {label}"
            for result in results
            for label, ok in result.verdicts
        ]
        lines += verdicts
        if taps is not None:
            lines += [
                "",
                f"Mixed load: the same public pages, each with the baseline just before it, while "
                f"the generated facilitator of the live meeting's QPV taps "
                f"{options.taps_per_second:g} times a second on it through the staff views "
                "(htmx POSTs: a check-in ticked or unticked, then a speaking turn started, the "
                "tracker paused every tenth turn), for the whole phase.",
                "",
                *table(mixed),
                "",
                *(
                    f"- {'PASS' if ok else 'FAIL'} {result.page.label}: {label}"
                    for result in mixed
                    for label, ok in result.verdicts
                ),
                *taps_lines(taps),
            ]
        if burst is not None:
            lines += ["", *burst_lines(burst)]
        failed = (
            any(not ok for result in results + mixed for _l, ok in result.verdicts)
            or (burst is not None and not burst.ok)
            or (taps is not None and not taps.ok)
        )
        exit_code = 1 if failed else 0
        print()
        print("\n".join(lines))
        if not options.no_write:
            write_results(header, lines)
    finally:
        fixtures.cleanup()
        purge_queue()
        shutil.rmtree(workdir, ignore_errors=True)

    if not options.no_indicators:
        print("\nIndicators and the full metropole PDF (bench/indicators.py)...", flush=True)
        arguments = [PYTHON, str(ROOT / "bench" / "indicators.py"), "--runs", "3"]
        if options.no_write:
            arguments.append("--no-write")
        code = subprocess.run(arguments, check=False).returncode  # noqa: S603
        exit_code = exit_code or code
    return exit_code


if __name__ == "__main__":
    sys.exit(main())
