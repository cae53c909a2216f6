"""Emails: every message leaves through a Celery task, queued once the transaction commits."""

from __future__ import annotations

import functools
import logging
import re
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from typing import ParamSpec, TypeVar
from zoneinfo import ZoneInfo

from celery.exceptions import Retry
from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.core.mail.backends.filebased import EmailBackend as DjangoFileEmailBackend
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation

from participation.celery import task_named
from participation.unsubscribe import unsubscribe_headers

logger = logging.getLogger(__name__)

PARIS = ZoneInfo("Europe/Paris")
P = ParamSpec("P")
R = TypeVar("R")


def in_french(function: Callable[P, R]) -> Callable[P, R]:
    """Run in French and Paris time, whatever the request or the worker had activated: emails
    are written for residents, in the portal's language, with Paris dates."""

    @functools.wraps(function)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        with translation.override("fr"), timezone.override(PARIS):
            return function(*args, **kwargs)

    return wrapper


def absolute(path: str) -> str:
    """A link for an email: the site's public address and the path."""
    return settings.SITE_URL + path


class FileEmailBackend(DjangoFileEmailBackend):
    """The local run's mailbox: one file per message under var/mail, and its path on the console."""

    def send_messages(self, email_messages) -> int:
        sent = super().send_messages(email_messages)
        if sent:
            # Printed rather than logged so that `make run` shows where to read the login codes.
            print(f"Email written to {self._fname}", flush=True)  # type: ignore[attr-defined]  # private
        return sent


@dataclass
class OutgoingEmail:
    """A rendered email, small and JSON-serialisable so that it can travel through the broker."""

    subject: str
    body: str
    to: list[str]
    from_email: str | None = None
    html: str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    attachments: list[tuple[str, str, str]] = field(default_factory=list)

    @classmethod
    def from_message(cls, message: EmailMultiAlternatives) -> OutgoingEmail:
        html = next(
            (
                content
                for content, mimetype in getattr(message, "alternatives", [])
                if mimetype == "text/html"
            ),
            None,
        )
        return cls(
            subject=str(message.subject),
            body=str(message.body),
            to=list(message.to),
            from_email=message.from_email,
            html=html,
            headers={key: str(value) for key, value in message.extra_headers.items()},
        )

    def to_message(self) -> EmailMultiAlternatives:
        message = EmailMultiAlternatives(
            subject=self.subject,
            body=self.body,
            from_email=self.from_email,
            to=self.to,
            headers=self.headers,
        )
        if self.html:
            message.attach_alternative(self.html, "text/html")
        for filename, content, mimetype in self.attachments:
            message.attach(filename, content, mimetype)
        return message


_BLANK_LINES = re.compile(r"\n{3,}")
_TRAILING_SPACES = re.compile(r"[ \t]+\n")


def tidy_text(text: str) -> str:
    """Template tags leave blank lines behind; a plain-text email keeps at most one in a row."""
    text = _TRAILING_SPACES.sub("\n", text.replace("\r\n", "\n"))
    return _BLANK_LINES.sub("\n\n", text).strip() + "\n"


def render_email(
    template: str,
    *,
    subject: str,
    to: str | list[str],
    context: dict,
    attachments: Iterable[tuple[str, str, str]] = (),
    headers: dict[str, str] | None = None,
    unsubscribe_url: str = "",
) -> OutgoingEmail:
    """One email from `<template>.txt` (plain text, tidied) and `<template>.html`.

    `unsubscribe_url` (absolute, participation.unsubscribe): an email the person may stop. The
    link goes in the footer of the base templates (after `unsubscribe_reason`, when the context
    gives one) and in the `List-Unsubscribe` headers, one-click (RFC 8058)."""
    context = {
        "unsubscribe_reason": "",
        **context,
        "unsubscribe_url": unsubscribe_url,
        "subject": subject,
        "site_url": settings.SITE_URL,
    }
    return OutgoingEmail(
        subject=subject,
        body=tidy_text(render_to_string(f"{template}.txt", context)),
        html=render_to_string(f"{template}.html", context),
        to=[to] if isinstance(to, str) else list(to),
        headers={
            **(headers or {}),
            **(unsubscribe_headers(unsubscribe_url) if unsubscribe_url else {}),
        },
        attachments=list(attachments),
    )


def queue_email(email: OutgoingEmail) -> None:
    """Send after commit, through Celery: a rolled-back transaction sends nothing."""
    send_email = task_named("participation.tasks.send_email")
    payload = asdict(email)
    transaction.on_commit(lambda: _send_later(send_email, payload))


def _send_later(task, payload: dict) -> None:
    try:
        task.delay(payload)
    except Retry:
        # Only without a broker (local run, eager tasks): the mail server failed and no retry can
        # be scheduled. What the user did is already committed; the page must not fail for it.
        logger.exception("Email to %s not sent (no broker to retry it).", payload.get("to"))
