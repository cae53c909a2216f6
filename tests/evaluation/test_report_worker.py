"""Item 7: a real Celery worker on Redis, against the real PostgreSQL test database, builds a report
requested through the service; the PDF it saves is valid and its figures equal `compute(...)`.

The worker is a subprocess (`--pool=solo`, a queue of its own) that must see the test's data: the
test commits (transaction=True; serialized_rollback restores the seeded QPV afterwards) and gives
the worker pytest-django's test database, and a MEDIA_ROOT shared with the test. Skipped only
without REDIS_URL or PostgreSQL; CI has both, and fails on skips.
"""

from __future__ import annotations

import hashlib
import subprocess
import time
import uuid
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import translation

from evaluation import charts, services
from evaluation.computations import compute
from evaluation.indicators import INDICATORS, Period, Scope
from evaluation.models import Report, ReportStatus
from participation.roles import Role
from qpv.models import Commune
from tests.celery_workers import REDIS_URL, celery_worker_argv, worker_env
from tests.evaluation.factories import build_dataset
from tests.evaluation.test_reports import first_page_ink, normalised, pdf_text
from tests.participation.factories import UserFactory, grant

ROOT = Path(__file__).resolve().parents[2]
ON_POSTGRESQL = settings.DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"
WAIT_SECONDS = 120

pytestmark = [
    pytest.mark.skipif(not REDIS_URL, reason="needs REDIS_URL (a real Redis); always set in CI"),
    pytest.mark.skipif(not ON_POSTGRESQL, reason="needs PostgreSQL (DATABASE_URL); CI has it"),
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def start_worker(queue: str, tmp_path: Path) -> subprocess.Popen:
    return subprocess.Popen(
        celery_worker_argv(queue),
        cwd=ROOT,
        env=worker_env(tmp_path, queue),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


@pytest.fixture
def celery_on_redis(settings, tmp_path):
    """The test process sends real messages to Redis, routed to a queue of this test's own."""
    from participation.celery import app

    queue = f"test-reports-{uuid.uuid4().hex[:8]}"
    settings.MEDIA_ROOT = tmp_path / "media"
    saved = (app.conf.task_always_eager, app.conf.broker_url, app.conf.task_routes)
    app.conf.task_always_eager = False
    app.conf.broker_url = REDIS_URL
    app.conf.task_routes = {"evaluation.tasks.build_report": {"queue": queue}}
    # The router caches the routes: rebuild it now, and again once the test is over.
    app.amqp.flush_routes()
    app.amqp.__dict__.pop("router", None)
    worker = start_worker(queue, tmp_path)
    try:
        yield worker
    finally:
        app.conf.task_always_eager, app.conf.broker_url, app.conf.task_routes = saved
        app.amqp.flush_routes()
        app.amqp.__dict__.pop("router", None)
        worker.terminate()
        try:
            worker.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.communicate()


def wait_until_done(report: Report) -> list[str]:
    """Poll the database like the status page does; the statuses seen along the way."""
    seen = []
    deadline = time.monotonic() + WAIT_SECONDS
    while time.monotonic() < deadline:
        report.refresh_from_db()
        if not seen or seen[-1] != report.status:
            seen.append(report.status)
        if report.status in (ReportStatus.READY, ReportStatus.FAILED):
            return seen
        time.sleep(0.5)
    return seen


def test_a_real_worker_builds_a_report_whose_figures_equal_compute(celery_on_redis, tmp_path):
    build_dataset()
    coordinator = UserFactory()
    grant(coordinator, Role.COORDINATOR)
    scope = Scope.commune_of(Commune.objects.get(slug="joue-les-tours"))
    period = Period.quarter(2026, 1)

    started = time.monotonic()
    report = services.report_request(user=coordinator, scope=scope, period=period)
    seen = wait_until_done(report)
    elapsed = time.monotonic() - started
    if report.status != ReportStatus.READY:
        celery_on_redis.terminate()
        output, _ = celery_on_redis.communicate(timeout=30)
        pytest.fail(
            f"Report {report.status} after {elapsed:.0f} s ({seen}): {report.error}\n{output}"
        )

    assert (report.progress, report.attempts, report.error) == (100, 1, "")
    path = Path(report.file.path)
    assert path.is_relative_to(tmp_path / "media")
    content = path.read_bytes()
    assert content.startswith(b"%PDF-")
    assert report.size == len(content)
    assert report.checksum == hashlib.sha256(content).hexdigest()

    text = pdf_text(path)
    with translation.override("fr"):
        values = compute(scope, period)
        every = translation.gettext("Every indicator of the territory")
        assert period.label in text
    assert "Joué-lès-Tours" in text and "page 1 /" in text
    territory = text.split(every, 1)[1].split("La Rabière (Joué-lès-Tours)", 1)[0]
    for code in (
        "meetings_held",
        "attendance_total",
        "residents_distinct",
        "questions_received",
        "feedback_heard",
        "channel_fph_applications",
    ):
        with translation.override("fr"):
            label = normalised(str(INDICATORS[code].label))
            value = normalised(charts.format_value(values[code], INDICATORS[code].unit))
        assert f"{label} {value}" in territory, code
    assert first_page_ink(path) > 0.01
