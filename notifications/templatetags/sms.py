"""`{% sms_length text as length %}`: the counter's figures, computed as the outbox bills them."""

from __future__ import annotations

import json

from django import template

from notifications.gsm import GSM7_BASIC, GSM7_EXTENSION, describe_length, units_left

register = template.Library()


@register.simple_tag
def sms_length(text: str | None) -> dict:
    """chars, segments, encoding, units left in the last segment, and the GSM-7 tables for the
    script (static/js/sms-counter.js), so that the browser counts exactly as the server does."""
    text = text or ""
    length = describe_length(text)
    return {
        "chars": length.chars,
        "segments": length.segments,
        "encoding": length.encoding,
        "left": units_left(text),
        # ASCII-only JSON (\n, \f, Greek letters escaped): safe in an attribute, exact in JS.
        "gsm_tables": json.dumps({"basic": GSM7_BASIC, "extension": GSM7_EXTENSION}),
    }
