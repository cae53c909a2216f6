"""SMS received from residents, through the provider's webhook: a STOP opts the number out.

Brevo calls the address given in its transactional webhooks settings with one JSON object per event
(or a list of them, batched): the SMS events carry `to` (the resident's number, with its country
code and no +), `messageId`, `msg_status` ("sent", "delivered", "soft_bounce", "hard_bounce",
"replied"...), `date`, `type`, `reference`, and, for a reply, its text in `reply`. Other providers'
inbound formats name the sender `from`, `sender` or `phoneNumber` and the text `text`, `content`,
`message` or `body`: those are read too, so that a change of provider or of Brevo's payload keeps
STOP working. Events that are not a reply are acknowledged and ignored.
"""

from __future__ import annotations

from typing import Any

from notifications.models import OptOutSource
from notifications.phones import normalise_mobile
from notifications.services import is_stop, sms_opt_out

TEXT_KEYS = ("reply", "text", "content", "message", "body")
SENDER_KEYS = ("from", "sender", "phoneNumber", "phone", "msisdn")
# Most events a single webhook call may carry; more is not a provider's batch.
MAX_EVENTS = 500


class MalformedPayload(ValueError):
    """Not what a provider sends: answered 400."""


def _first_string(event: dict[str, Any], keys: tuple[str, ...]) -> str:
    for key in keys:
        value = event.get(key)
        if isinstance(value, str | int) and not isinstance(value, bool):
            return str(value)
    return ""


def reply_of(event: dict[str, Any]) -> tuple[str, str] | None:
    """(E.164 number, text) of a reply event, or None for any other event."""
    status = str(event.get("msg_status") or event.get("event") or "").lower()
    text = _first_string(event, TEXT_KEYS)
    if not text or status not in {"", "replied", "reply", "inbound", "received", "sms_received"}:
        return None
    # Brevo's reply events name the resident `to` (the recipient of the message replied to);
    # inbound formats name them `from`.
    keys = ("to", *SENDER_KEYS) if status in {"replied", "reply"} else (*SENDER_KEYS, "to")
    raw = _first_string(event, keys)
    if raw and raw[0].isdigit() and not raw.startswith("0"):
        raw = "+" + raw  # 33612345678 -> +33612345678
    number = normalise_mobile(raw)
    return (number, text) if number else None


def inbound_sms_receive(*, payload: Any) -> int:
    """Act on a webhook call's JSON: each STOP opts its number out. Returns the opt-outs recorded.
    Raises MalformedPayload when the JSON is not one event object or a list of them."""
    events = payload if isinstance(payload, list) else [payload]
    if not events or len(events) > MAX_EVENTS or not all(isinstance(e, dict) for e in events):
        raise MalformedPayload("Expected an event object or a list of them.")
    opted_out = 0
    for event in events:
        reply = reply_of(event)
        if reply is not None and is_stop(reply[1]):
            sms_opt_out(phone=reply[0], source=OptOutSource.KEYWORD)
            opted_out += 1
    return opted_out
