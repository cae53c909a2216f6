"""The type check of `make lint` (mypy + django-stubs, `[tool.mypy]` in pyproject.toml) passes, and
it bites: a call to a service with an argument of the wrong type fails it.

One mypy run over the project and a module written here that calls a real service wrongly: the only
error reported must be that call's. The cache is a fresh one (about 20-30 s on the dev machines).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

WRONG_CALL = """\
from dialogue.services.registrations import registration_create


def register_to_meeting_one() -> None:
    registration_create(meeting=1, name="Ada", email="ada@example.org")
"""


def test_mypy_passes_on_the_project_and_refuses_a_wrong_argument_to_a_service(tmp_path):
    module = tmp_path / "wrong_call.py"
    module.write_text(WRONG_CALL)
    result = subprocess.run(
        [sys.executable, "-m", "mypy", "--cache-dir", str(tmp_path / "cache"), ".", str(module)],
        cwd=ROOT,
        # The plugin loads the settings: the local-run ones, whatever the tests were given.
        env={**os.environ, "DEBUG": "true"},
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 1, output
    errors = [line for line in output.splitlines() if ": error:" in line]
    assert errors == [
        f'{module}:5: error: Argument "meeting" to "registration_create" has incompatible type '
        '"int"; expected "Meeting"  [arg-type]'
    ], output
    assert "Found 1 error in 1 file" in output
