"""The apps' layers hold: import contracts (import-linter, `[tool.importlinter]` in pyproject.toml)
and no private name imported from another app.

Layers, top to bottom: devtools, portal (pages combining apps), evaluation, projects, dialogue, qpv,
participation (the project package). `make lint` runs the same contracts.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

from tests.helpers import OUR_APPS

ROOT = Path(__file__).resolve().parents[2]
APPS = (*OUR_APPS, "devtools")


def lint_imports(*, cwd: Path = ROOT, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(Path(sys.executable).parent / "lint-imports")],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_the_import_contracts_are_kept():
    result = lint_imports()
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


def test_a_lower_app_importing_a_higher_one_breaks_the_layers(tmp_path):
    """The contract can fail: a copy of the project where qpv imports the portal is refused."""
    project = tmp_path / "project"
    for app in APPS:
        for path in (ROOT / app).rglob("*.py"):
            target = project / path.relative_to(ROOT)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(path.read_text())
    (project / "pyproject.toml").write_text((ROOT / "pyproject.toml").read_text())
    (project / "qpv" / "upward.py").write_text("from portal import views  # noqa\n")
    result = lint_imports(cwd=project, env={"PYTHONPATH": str(project), "PATH": "/usr/bin:/bin"})
    assert result.returncode != 0
    assert "qpv.upward -> portal.views" in result.stdout


def test_no_private_name_is_imported_from_another_app():
    offenders = []
    for app in APPS:
        for path in (ROOT / app).rglob("*.py"):
            if "migrations" in path.parts:
                continue
            for node in ast.walk(ast.parse(path.read_text())):
                if not isinstance(node, ast.ImportFrom) or not node.module or node.level:
                    continue
                other_app = node.module.split(".")[0]
                if other_app in APPS and other_app != app:
                    offenders += [
                        f"{path.relative_to(ROOT)}: {node.module}.{alias.name}"
                        for alias in node.names
                        if alias.name.startswith("_")
                    ]
    assert not offenders
