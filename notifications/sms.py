"""SMS to residents (issue 17, item 4): skeleton, to be completed (outbox, backends, quiet hours)."""

from __future__ import annotations

import logging

logger = logging.getLogger(__name__)


def queue_sms(*, phone: str, text: str, topic: str, meeting_id: int | None = None) -> None:
    logger.info("SMS to %s (%s): %s", phone[-4:], topic, text)
