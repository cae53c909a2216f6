"""Issue 8, item 8: faults, with real processes (tests/whole_site/fault_helpers.py).

1. A Celery worker SIGKILLed mid-build: the report's message was never acknowledged (acks_late),
   Redis gives it to the next worker once CELERY_VISIBILITY_TIMEOUT has passed (shortened here), and
   that worker restarts the orphaned report, which ends READY with a valid PDF.
2. The mail server down: registrations made through the HTTP view are saved and answered normally;
   the email task retries (EMAIL_RETRY_DELAY shortened here) against a closed port; once a real SMTP
   server (aiosmtpd) listens, each email arrives exactly once.
3. PostgreSQL restarted during traffic: a private cluster (never the shared server) behind the
   portal under gunicorn with production settings; threads register guests and read pages while
   the cluster is killed (`pg_ctl stop -m immediate`) and started again. Requests fail cleanly (a
   503 page, no traceback); the registrations in the database are those visitors were told about
   (bar a commit caught by the crash itself), each with its email queued once; and the portal
   recovers by itself.

Real Redis and PostgreSQL are required (CI has both and fails on skips).
"""

from __future__ import annotations

import base64
import hashlib
import http.client
import json
import os
import re
import secrets
import signal
import threading
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from django.conf import settings
from django.utils import timezone

from dialogue.models import Registration, RegistrationStatus
from evaluation import services
from evaluation import tasks as evaluation_tasks
from evaluation.indicators import Period, Scope
from evaluation.models import ReportStatus
from participation.roles import Role
from qpv.models import Commune
from tests.celery_workers import worker_env
from tests.dialogue.factories import MeetingFactory
from tests.dialogue.test_smtp import Inbox
from tests.evaluation.factories import build_dataset
from tests.evaluation.test_reports import make_report, pdf_text
from tests.participation.factories import UserFactory, grant
from tests.whole_site.fault_helpers import (
    PrivateCluster,
    free_port,
    manage,
    postgres_bin_dir,
    start_gunicorn,
    start_worker,
    tasks_routed_to_redis,
    wait_until,
)

REDIS_URL = os.environ.get("REDIS_URL")
ON_POSTGRESQL = settings.DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"
needs_redis = pytest.mark.skipif(
    not REDIS_URL, reason="needs REDIS_URL (a real Redis); always set in CI"
)
needs_postgresql = pytest.mark.skipif(
    not ON_POSTGRESQL, reason="needs PostgreSQL (DATABASE_URL): workers share the test database"
)
# Seconds: Redis redelivers an unacknowledged message this soon (production: one hour).
VISIBILITY_TIMEOUT = 2


@pytest.fixture
def redis_client():
    import redis

    client = redis.Redis.from_url(REDIS_URL)
    yield client
    client.close()


@pytest.fixture
def celery_queue(redis_client):
    """A queue of the test's own; its keys in Redis go with the test."""
    queue = f"test-faults-{uuid.uuid4().hex[:8]}"
    yield queue
    for key in redis_client.scan_iter(f"*{queue}*"):
        redis_client.delete(key)


def unacked_on(redis_client, queue: str) -> list[dict]:
    """Messages that a worker took from `queue` and has not acknowledged (kombu's Redis QoS)."""
    messages = []
    for raw in redis_client.hvals("unacked"):
        message, _exchange, routing_key = json.loads(raw)
        if routing_key == queue:
            messages.append(message)
    return messages


# 1. A worker killed mid-build ---------------------------------------------------------------------


@needs_redis
@needs_postgresql
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_report_whose_worker_is_killed_mid_build_is_finished_by_the_next_worker(
    settings, tmp_path, redis_client, celery_queue
):
    settings.MEDIA_ROOT = tmp_path / "media"
    build_dataset()
    coordinator = UserFactory()
    grant(coordinator, Role.COORDINATOR)
    joue = Scope.commune_of(Commune.objects.get(slug="joue-les-tours"))
    queue = celery_queue
    env = worker_env(tmp_path, queue, CELERY_VISIBILITY_TIMEOUT=str(VISIBILITY_TIMEOUT))
    workers = []
    try:
        with tasks_routed_to_redis(REDIS_URL, {"evaluation.tasks.build_report": queue}):
            first = start_worker(queue=queue, env=env, log=tmp_path / "worker-1.log")
            workers.append(first)
            assert first.wait_for_output(r"\bready\.", timeout=60), first.output()

            # Joué-lès-Tours, two QPVs with data: a build of a few seconds, mostly WeasyPrint.
            report = services.report_request(
                user=coordinator, scope=joue, period=Period.quarter(2026, 1)
            )

            def building():
                report.refresh_from_db()
                return report.status == ReportStatus.RUNNING and report.progress > 0

            assert wait_until(building, timeout=60, interval=0.05), (report.status, first.output())
            first.kill()
            killed = time.monotonic()

            report.refresh_from_db()
            # Killed mid-build: claimed once, never finished, and its message still unacknowledged.
            assert (report.status, report.attempts) == (ReportStatus.RUNNING, 1), first.output()
            assert 0 < report.progress < 100 and not report.file
            [message] = unacked_on(redis_client, queue)
            assert message["headers"]["task"] == "evaluation.tasks.build_report"

            # The next worker restores, as it starts, the unacknowledged messages older than the
            # visibility timeout: this one was taken before the kill.
            time.sleep(VISIBILITY_TIMEOUT + 0.2)
            second = start_worker(queue=queue, env=env, log=tmp_path / "worker-2.log")
            workers.append(second)

            def done():
                report.refresh_from_db()
                return report.status in (ReportStatus.READY, ReportStatus.FAILED)

            assert wait_until(done, timeout=90, interval=0.2), (report.status, second.output())
            recovered = time.monotonic() - killed
    finally:
        for worker in workers:
            worker.stop()

    assert report.status == ReportStatus.READY, (report.error, second.output())
    assert (report.attempts, report.progress, report.error) == (2, 100, "")
    assert "its worker was lost mid-build" in second.output()
    path = Path(report.file.path)
    assert path.is_relative_to(tmp_path / "media")
    content = path.read_bytes()
    assert content.startswith(b"%PDF-") and content.rstrip().endswith(b"%%EOF")
    assert (report.size, report.checksum) == (len(content), hashlib.sha256(content).hexdigest())
    text = pdf_text(path)
    assert "Joué-lès-Tours" in text and "La Rabière" in text and "page 1 /" in text
    assert unacked_on(redis_client, queue) == []
    assert redis_client.llen(queue) == 0
    print(f"worker killed -> report ready in {recovered:.1f} s")


def test_a_redelivered_message_restarts_an_orphaned_report_a_few_times_only(db, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    recent = timezone.now()
    # Not stale, no redelivery: another worker may be building it; left alone.
    running = make_report(status=ReportStatus.RUNNING, attempts=1, generated_at=recent)
    assert services.report_build(report_id=running.pk) is None
    running.refresh_from_db()
    assert (running.status, running.attempts) == (ReportStatus.RUNNING, 1)
    # Redelivered: its worker died; built again.
    services.report_build(report_id=running.pk, redelivered=True)
    running.refresh_from_db()
    assert (running.status, running.attempts) == (ReportStatus.READY, 2)
    # A ready report is not rebuilt by a redelivered message.
    assert services.report_build(report_id=running.pk, redelivered=True) is None
    running.refresh_from_db()
    assert (running.status, running.attempts) == (ReportStatus.READY, 2)
    # A build that keeps killing its worker: failed after LOST_WORKER_MAX_ATTEMPTS, retryable.
    looping = make_report(
        status=ReportStatus.RUNNING,
        attempts=services.LOST_WORKER_MAX_ATTEMPTS,
        generated_at=recent,
    )
    assert services.report_build(report_id=looping.pk, redelivered=True) is None
    looping.refresh_from_db()
    assert looping.status == ReportStatus.FAILED
    assert f"{services.LOST_WORKER_MAX_ATTEMPTS} " in looping.error
    assert services.is_retryable(looping)


def test_redelivery_waits_longer_than_any_build_or_retry_countdown():
    """Production values: a message is redelivered only once its worker is surely gone. Shorter
    than a build, a live build would be restarted; shorter than a retry's countdown, a waiting
    email (held unacknowledged by a worker until its time) would be sent twice."""
    from participation.celery import app
    from participation.tasks import send_email

    timeout = app.conf.broker_transport_options["visibility_timeout"]
    assert timeout == 3600
    assert timeout > services.BUILD_TIME_LIMIT
    assert timeout > send_email.retry_backoff_max == 1800
    assert evaluation_tasks.build_report.acks_late and settings.CELERY_TASK_ACKS_LATE


# 2. The mail server down ----------------------------------------------------------------------------


RETRY_LINE = re.compile(r"participation\.tasks\.send_email\[([0-9a-f-]+)\] retry: Retry in")
SUCCESS_LINE = re.compile(r"participation\.tasks\.send_email\[([0-9a-f-]+)\] succeeded")


@needs_redis
@needs_postgresql
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_registrations_survive_a_mail_server_outage_and_each_email_arrives_once_it_returns(
    client, tmp_path, redis_client, celery_queue
):
    meeting = MeetingFactory(title="Rencontre pendant la panne", capacity=None)
    resident = UserFactory(email="awa.panne@example.org", full_name="Awa Diallo")
    guest_email = "invite.panne@example.org"
    url = f"/rencontres/{meeting.pk}/inscription/"
    port = free_port()  # nothing listens on it until the SMTP server starts
    queue = celery_queue
    env = worker_env(
        tmp_path,
        queue,
        EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
        EMAIL_HOST="127.0.0.1",
        EMAIL_PORT=str(port),
        EMAIL_USE_TLS="false",
        EMAIL_TIMEOUT="3",
        EMAIL_RETRY_DELAY="1",
    )
    inbox = Inbox()
    controller = None
    with tasks_routed_to_redis(REDIS_URL, {"participation.tasks.send_email": queue}):
        worker = start_worker(queue=queue, env=env, log=tmp_path / "worker.log")
        try:
            # Through the HTTP view, while the mail server is down: saved, answered normally.
            response = client.post(url, {"name": "Invitée Panne", "email": guest_email})
            assert response.status_code == 302 and response.url == meeting.get_absolute_url()
            page = client.get(response.url)
            assert page.status_code == 200 and guest_email in page.content.decode()
            client.force_login(resident)
            response = client.post(url, {})
            assert response.status_code == 302 and response.url == meeting.get_absolute_url()
            guest = Registration.objects.get(meeting=meeting, email=guest_email)
            mine = Registration.objects.get(meeting=meeting, user=resident)
            assert (guest.status, mine.status) == (
                RegistrationStatus.PENDING,
                RegistrationStatus.CONFIRMED,
            )

            # Both emails fail against the closed port and are retried, not dropped.
            def retried_tasks():
                ids = set(RETRY_LINE.findall(worker.output()))
                return ids if len(ids) == 2 else None

            task_ids = wait_until(retried_tasks, timeout=60)
            assert task_ids, worker.output()

            down_for = time.monotonic()
            controller = Controller(inbox, hostname="127.0.0.1", port=port)
            controller.start()

            def delivered():
                return set(SUCCESS_LINE.findall(worker.output())) >= task_ids

            assert wait_until(delivered, timeout=60), worker.output()
            delivered_after = time.monotonic() - down_for
            # Nothing left to deliver: no message queued, none held by the worker for later.
            assert wait_until(
                lambda: redis_client.llen(queue) == 0 and not unacked_on(redis_client, queue),
                timeout=10,
            )
            time.sleep(0.5)
        finally:
            worker.stop()
            if controller is not None:
                controller.stop()

    retries = len(RETRY_LINE.findall(worker.output()))
    assert sorted(envelope.rcpt_tos[0] for envelope in inbox.envelopes) == [
        "awa.panne@example.org",
        guest_email,
    ], [envelope.rcpt_tos for envelope in inbox.envelopes]
    # The guest's email carries the link that confirms this very registration.
    [guest_mail] = [e for e in inbox.envelopes if e.rcpt_tos == [guest_email]]
    body = guest_mail.original_content.decode("utf-8", errors="replace").replace("=\r\n", "")
    link = re.search(r"https?://[^\s\"<>]+(/inscriptions/confirmer/[^\s\"<>/]+/)", body)
    assert link, body
    client.logout()
    confirm_page = client.get(link.group(1))
    assert confirm_page.status_code == 200
    assert confirm_page.context["registration"] == guest
    # Still exactly the two registrations: the outage changed nothing in the database.
    assert Registration.objects.filter(meeting=meeting).count() == 2
    print(
        f"mail server back -> both emails delivered in {delivered_after:.1f} s ({retries} retries)"
    )


# 3. PostgreSQL restarted during traffic ---------------------------------------------------------------

CREATE_MEETING = """
from tests.dialogue.factories import MeetingFactory
meeting = MeetingFactory(title="Rencontre sous la panne", capacity=None)
print("MEETING", meeting.pk)
"""
CSRF_FIELD = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
LEAKS = ("Traceback", "OperationalError", "InterfaceError", "psycopg", "django.db")


@pytest.fixture
def private_cluster():
    bin_dir = postgres_bin_dir()
    if bin_dir is None:
        pytest.skip("needs the PostgreSQL server binaries (Debian package postgresql)")
    cluster = PrivateCluster(bin_dir)
    try:
        cluster.init()
        cluster.start()
        with cluster.connect() as connection:
            connection.execute("CREATE DATABASE portal")
        yield cluster
    finally:
        cluster.cleanup()


@dataclass
class Portal:
    port: int
    meeting_pk: int
    queue: str
    process: object

    def request(self, method: str, path: str, *, headers=None, body: str | None = None):
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=20)
        try:
            connection.request(
                method,
                path,
                body=body,
                headers={
                    "Host": f"127.0.0.1:{self.port}",
                    # Behind the proxy, as in production: HTTPS, and the visitor's address.
                    "X-Forwarded-Proto": "https",
                    **(headers or {}),
                },
            )
            response = connection.getresponse()
            return response.status, dict(response.getheaders()), response.read().decode()
        finally:
            connection.close()


@pytest.fixture
def portal(private_cluster, tmp_path, redis_client):
    """The portal under gunicorn, production settings, on the private cluster's database."""
    queue = f"test-faults-web-{uuid.uuid4().hex[:8]}"
    prefix = f"test-faults-{uuid.uuid4().hex[:8]}"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.whole_site.fault_settings",
        "DEBUG": "false",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "127.0.0.1",
        "DATABASE_URL": private_cluster.url("portal"),
        "REDIS_URL": REDIS_URL,
        "CELERY_QUEUE": queue,
        "CACHE_KEY_PREFIX": prefix,
        "TRUSTED_PROXIES": "1",
        "VAR_DIR": str(tmp_path / "var"),
        "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
        "EMAIL_FILE_PATH": str(tmp_path / "mail"),
        "LOG_LEVEL": "WARNING",
    }
    (tmp_path / "var" / "staticfiles").mkdir(parents=True)
    manage("migrate", "--noinput", "-v", "0", env=env)
    created = manage("shell", "-v", "0", "-c", CREATE_MEETING, env=env)
    meeting_pk = int(re.search(r"MEETING (\d+)", created).group(1))
    port = free_port()
    process = start_gunicorn(port=port, env=env, log=tmp_path / "gunicorn.log")
    try:
        portal = Portal(port=port, meeting_pk=meeting_pk, queue=queue, process=process)

        def up():
            try:
                return portal.request("GET", "/healthz")[0] == 200
            except OSError:
                return False

        assert wait_until(up, timeout=60, interval=0.2), process.output()
        yield portal
    finally:
        process.stop(how=signal.SIGINT)  # gunicorn's quick shutdown
        for pattern in (f"*{queue}*", f"{prefix}:*"):
            for key in redis_client.scan_iter(pattern):
                redis_client.delete(key)


@dataclass
class Outcome:
    kind: str  # "register" or "read"
    email: str | None
    status: int | None  # None: no HTTP answer at all
    headers: dict
    body: str
    started: float
    at: float  # answered (or failed)


class Visitor(threading.Thread):
    """Registers guests and reads the meeting's page in turn, until told to stop."""

    def __init__(self, portal: Portal, number: int, outcomes: list, stop: threading.Event):
        super().__init__(daemon=True)
        self.portal, self.number, self.outcomes, self.stop_event = portal, number, outcomes, stop
        self.sent = 0
        form_path = f"/rencontres/{portal.meeting_pk}/inscription/"
        self.form_path = form_path
        status, headers, body = portal.request("GET", form_path)
        assert status == 200, body[:2000]
        self.cookie = headers["Set-Cookie"].split(";", 1)[0]  # csrftoken=...
        self.csrf = CSRF_FIELD.search(body).group(1)

    def register(self) -> Outcome:
        self.sent += 1
        email = f"visiteur{self.number}-{self.sent}@example.org"
        body = (
            f"csrfmiddlewaretoken={self.csrf}&name=Visiteur+{self.number}+{self.sent}"
            f"&email={email.replace('@', '%40')}"
        )
        headers = {
            "Content-Type": "application/x-www-form-urlencoded",
            "Cookie": self.cookie,
            "Referer": f"https://127.0.0.1:{self.portal.port}{self.form_path}",
            # One address per registration: the guest registration limit counts per address.
            "X-Forwarded-For": f"10.{self.number}.{self.sent // 250}.{self.sent % 250 + 1}",
        }
        return self._call("register", email, "POST", self.form_path, headers, body)

    def read(self) -> Outcome:
        return self._call("read", None, "GET", f"/rencontres/{self.portal.meeting_pk}/", {}, None)

    def _call(self, kind, email, method, path, headers, body) -> Outcome:
        started = time.monotonic()
        try:
            status, answer_headers, text = self.portal.request(
                method, path, headers=headers, body=body
            )
        except OSError as error:
            return Outcome(kind, email, None, {}, repr(error), started, time.monotonic())
        return Outcome(kind, email, status, answer_headers, text, started, time.monotonic())

    def run(self) -> None:
        while not self.stop_event.is_set():
            self.outcomes.append(self.register())
            self.outcomes.append(self.read())


def succeeded(outcome: Outcome, portal: Portal) -> bool:
    if outcome.kind == "register":
        return outcome.status == 302 and outcome.headers.get("Location") == (
            f"/rencontres/{portal.meeting_pk}/"
        )
    return outcome.status == 200


def queued_emails(redis_client, queue: str) -> list[str]:
    """The recipients of the emails waiting in the portal's Celery queue (nobody consumes it)."""
    recipients = []
    for raw in redis_client.lrange(queue, 0, -1):
        message = json.loads(raw)
        assert message["headers"]["task"] == "participation.tasks.send_email"
        args, _kwargs, _embed = json.loads(base64.b64decode(message["body"]))
        recipients.extend(args[0]["to"])
    return recipients


@needs_redis
def test_postgresql_restarted_during_traffic_fails_cleanly_and_recovers(
    portal, private_cluster, redis_client
):
    outcomes: list[Outcome] = []
    stop = threading.Event()
    visitors = [Visitor(portal, number, outcomes, stop) for number in range(1, 4)]
    for visitor in visitors:
        visitor.start()
    try:
        assert wait_until(
            lambda: sum(succeeded(o, portal) and o.kind == "register" for o in outcomes) >= 10,
            timeout=30,
        ), outcomes[-5:]
        # The crash: every backend killed at once, transactions in flight lost, then recovery.
        down = time.monotonic()
        private_cluster.stop("immediate")
        stopped = time.monotonic()
        time.sleep(2)
        private_cluster.start()
        up = time.monotonic()
        assert wait_until(
            lambda: sum(succeeded(o, portal) and o.at > up for o in outcomes) >= 10, timeout=30
        ), portal.process.output()[-5000:]
    finally:
        stop.set()
        for visitor in visitors:
            visitor.join(timeout=30)

    # Requests fail cleanly: 503 pages, no traceback, no dropped connection.
    unexpected = [o for o in outcomes if not succeeded(o, portal) and o.status != 503]
    assert not unexpected, [(o.kind, o.status, o.body[:3000]) for o in unexpected[:3]]
    failures = [o for o in outcomes if o.status == 503]
    assert failures, "the outage hit no request: the test proved nothing"
    for outcome in failures:
        assert down <= outcome.at and outcome.headers.get("Retry-After") == "30"
        assert '<html lang="fr">' in outcome.body and "503" in outcome.body
    for outcome in outcomes:
        assert not any(leak in outcome.body for leak in LEAKS), outcome.body[:3000]
    # ... while the technical team gets the traceback in the server's log.
    assert "Service Unavailable: /" in portal.process.output()
    assert "OperationalError" in portal.process.output()

    # The portal recovers by itself: everything succeeds again once the database is back.
    first_success_after = min(o.at for o in outcomes if o.at > up and succeeded(o, portal)) - up
    probe = Visitor(portal, 9, outcomes, stop)
    for _attempt in range(5):
        assert succeeded(probe.register(), portal)
        assert succeeded(probe.read(), portal)

    # Nothing half-written: the registrations in the database are those that visitors were told
    # about, each complete, each with its confirmation email queued once. The one exception
    # PostgreSQL allows: a registration whose COMMIT reached the disk just as the server was
    # killed, before it could answer. Only a request in flight at that very moment can be one;
    # its visitor got the 503 page, and registering again re-sends the link (registration_create).
    told = sorted(o.email for o in outcomes if o.kind == "register" and succeeded(o, portal))
    told += [f"visiteur9-{n}@example.org" for n in range(1, 6)]
    in_doubt = {
        o.email
        for o in outcomes
        if o.kind == "register" and o.status == 503 and o.started <= stopped and o.at >= down
    }
    with private_cluster.connect("portal") as connection:
        rows = connection.execute(
            "SELECT email, status, token, name FROM dialogue_registration WHERE meeting_id = %s",
            [portal.meeting_pk],
        ).fetchall()
    saved = sorted(row[0] for row in rows)
    assert len(saved) == len(set(saved))
    assert set(told) <= set(saved), "a registration the visitor was told about is lost"
    assert set(saved) - set(told) <= in_doubt, sorted(set(saved) - set(told))
    for email, status, token, name in rows:
        assert status == RegistrationStatus.PENDING and len(token) >= 20 and name, email
    # Each email queued once, for every registration a visitor was told about; a registration in
    # doubt may have its email queued too (its commit ran its on-commit hooks, then the session
    # holding the flash message could not be saved: MESSAGE_STORAGE keeps them in the session).
    queued = sorted(queued_emails(redis_client, portal.queue))
    assert len(queued) == len(set(queued)), queued
    assert set(told) <= set(queued), sorted(set(told) - set(queued))
    assert set(queued) <= set(saved), sorted(set(queued) - set(saved))
    print(
        f"PostgreSQL restarted: {len(outcomes)} requests, {len(failures)} answered 503, "
        f"{len(told)} registrations; first success {first_success_after:.2f} s after the restart"
    )
