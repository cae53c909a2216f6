"""A real Celery worker on Redis delivers the emails queued by the portal."""

from __future__ import annotations

import os
import subprocess
import time
import uuid
from pathlib import Path

import pytest

from participation.mail import OutgoingEmail
from participation.unsubscribe import unsubscribe_headers
from tests.celery_workers import REDIS_URL, celery_worker_argv

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.skipif(not REDIS_URL, reason="needs REDIS_URL (a real Redis); always set in CI")
def test_worker_on_redis_sends_a_queued_email(tmp_path):
    from participation.celery import app
    from participation.tasks import send_email

    queue = f"test-{uuid.uuid4().hex[:8]}"
    mail_dir = tmp_path / "mail"
    env = {
        **os.environ,
        "DEBUG": "true",
        "REDIS_URL": REDIS_URL,
        "CELERY_QUEUE": queue,
        "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
        "EMAIL_FILE_PATH": str(mail_dir),
        "VAR_DIR": str(tmp_path),
    }
    worker = subprocess.Popen(
        celery_worker_argv(queue),
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        app.conf.task_always_eager = False
        app.conf.broker_url = REDIS_URL
        # With the headers of an email that may be stopped: they must survive the broker (JSON).
        payload = OutgoingEmail(
            subject="Rencontre confirmée",
            body="À bientôt au café des habitants.",
            to=["habitante@example.org"],
            headers=unsubscribe_headers("https://quartiers.example/suivis/desabonnement/x:y/"),
        )
        from dataclasses import asdict

        send_email.apply_async(args=[asdict(payload)], queue=queue)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not (mail_dir.exists() and any(mail_dir.iterdir())):
            time.sleep(0.2)
        files = list(mail_dir.iterdir()) if mail_dir.exists() else []
        assert files, "the worker did not deliver the email within 60 s"
        content = files[0].read_text()
        assert "habitante@example.org" in content
        assert "List-Unsubscribe: <https://quartiers.example/suivis/desabonnement/x:y/>" in content
        assert "List-Unsubscribe-Post: List-Unsubscribe=One-Click" in content
    finally:
        app.conf.task_always_eager = True
        worker.terminate()
        output, _ = worker.communicate(timeout=30)
    assert "ready" in output
