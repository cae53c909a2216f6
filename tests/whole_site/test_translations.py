"""The French catalogue is complete: every msgid of our code and templates is translated, none fuzzy."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import Client

ROOT = Path(__file__).resolve().parents[2]
SOURCES = [
    "participation",
    "qpv",
    "dialogue",
    "questions",
    "projects",
    "evaluation",
    "portal",
    "notifications",
    "devtools",
    "templates",
    "locale",
    "manage.py",
]


def msgattrib(option: str, po: Path) -> str:
    result = subprocess.run(
        ["msgattrib", option, "--no-obsolete", str(po)],
        capture_output=True,
        text=True,
        check=True,
    )
    return result.stdout


@pytest.fixture(scope="module")
def regenerated_catalogue(tmp_path_factory) -> Path:
    """Run makemessages on a copy of the sources, so the committed catalogue is left untouched."""
    copy = tmp_path_factory.mktemp("i18n")
    for name in SOURCES:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(
                source, copy / name, ignore=shutil.ignore_patterns("__pycache__", "*.mo")
            )
        else:
            shutil.copy(source, copy / name)
    env = {**os.environ, "DEBUG": "true", "VAR_DIR": str(copy / "var")}
    env.pop("DATABASE_URL", None)
    subprocess.run(
        [sys.executable, "manage.py", "makemessages", "-l", "fr", "--no-location", "--no-wrap"],
        cwd=copy,
        env=env,
        capture_output=True,
        check=True,
        timeout=300,
    )
    return copy / "locale" / "fr" / "LC_MESSAGES" / "django.po"


def test_every_message_is_translated(regenerated_catalogue):
    untranslated = msgattrib("--untranslated", regenerated_catalogue)
    assert "msgid" not in untranslated.split("\n\n", 1)[-1], untranslated


def test_no_message_is_fuzzy(regenerated_catalogue):
    fuzzy = msgattrib("--only-fuzzy", regenerated_catalogue)
    assert "msgid" not in fuzzy.split("\n\n", 1)[-1], fuzzy


def test_committed_catalogue_has_no_fuzzy_or_untranslated_entry():
    po = ROOT / "locale" / "fr" / "LC_MESSAGES" / "django.po"
    for option in ("--untranslated", "--only-fuzzy"):
        assert "msgid" not in msgattrib(option, po).split("\n\n", 1)[-1]


@pytest.mark.django_db
def test_french_by_default_english_available():
    client = Client()
    page = client.get("/").content.decode()
    assert '<html lang="fr"' in page
    assert "Mentions légales" in page
    response = client.post("/langue/setlang/", {"language": "en", "next": "/"})
    assert response.status_code == 302
    page = client.get("/").content.decode()
    assert '<html lang="en"' in page
    assert "Legal notice" in page


@pytest.mark.django_db
def test_browser_language_does_not_override_french():
    page = Client(HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9").get("/").content.decode()
    assert '<html lang="fr"' in page
