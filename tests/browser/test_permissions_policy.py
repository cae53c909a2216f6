"""Permissions-Policy as Chromium reads it: every feature the header names is one the browser
knows and none is retired, and each is turned off for the page's own scripts.

Chromium keeps recognising some retired features (it still lists FLoC's `interest-cohort`), so
knowing the name is not enough: the retired ones of the registry (w3c/webappsec-permissions-policy,
features.md) are refused by name.
"""

from __future__ import annotations

import pytest
from django.urls import reverse

from participation.middleware import PERMISSIONS_POLICY

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

RETIRED = {
    "interest-cohort",
    "document-domain",
    "vr",
    "speaker",
    "wake-lock",
    "execution-while-not-rendered",
}


def policy_features(header: str) -> dict[str, str]:
    return dict(part.strip().split("=", 1) for part in header.split(","))


def test_chromium_knows_every_feature_of_the_permissions_policy_and_none_is_retired(
    page, live_server
):
    logged: list[str] = []
    page.on("console", lambda message: logged.append(f"{message.type}: {message.text}"))
    response = page.goto(live_server.url + reverse("home"))
    assert response is not None and response.status == 200
    features = policy_features(response.headers["permissions-policy"])
    assert features == policy_features(PERMISSIONS_POLICY)
    known = set(page.evaluate("document.featurePolicy.features()"))
    assert set(features) - known == set(), "features Chromium does not know"
    assert set(features) & RETIRED == set(), "retired features"
    assert [line for line in logged if "Permissions-Policy" in line] == []
    # Each feature named is off for the page itself, not only for frames.
    allowed = page.evaluate(
        "(names) => names.filter((name) => document.featurePolicy.allowsFeature(name))",
        sorted(features),
    )
    assert allowed == []
    assert set(features.values()) == {"()"}
