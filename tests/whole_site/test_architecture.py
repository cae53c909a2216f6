"""The apps' layers hold: import contracts (import-linter, `[tool.importlinter]` in pyproject.toml)
and no private name imported from another app.

Layers, top to bottom: devtools, portal (pages combining apps), evaluation, projects, questions,
dialogue, qpv, participation (the project package). `make lint` runs the same contracts. And no view
nor template tests a role: they ask participation.scopes for a permission.
"""

from __future__ import annotations

import ast
import re
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


# Who-sees-what lives in participation.scopes and the apps' rules.py: views and templates ask for a
# permission (`require_perm`, `get_object_for`, `visible_to`, `holds_somewhere`), never for a role.
ROLE_TESTS = re.compile(
    r"scopes_of\(|\buser\.scopes\b|\bscopes\.coordinator|\bRole\.|is_superuser"
    r"|referent_commune_ids|facilitator_\w+_ids"
    r"|delegate_everywhere|delegate_\w+_ids|correspondent_organisation_ids"
)


def role_tests_in(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if ROLE_TESTS.search(line)]


def view_and_template_files() -> list[Path]:
    views = [
        path
        for app in APPS
        for path in (ROOT / app).rglob("*.py")
        if "views" in path.relative_to(ROOT / app).parts or path.name == "views.py"
    ]
    return views + sorted((ROOT / "templates").rglob("*.html"))


def test_no_view_nor_template_tests_a_role():
    found = {
        str(path.relative_to(ROOT)): lines
        for path in view_and_template_files()
        if (lines := role_tests_in(path.read_text()))
    }
    assert found == {}


def test_the_role_test_detector_bites():
    assert role_tests_in("    if scopes_of(request.user).coordinator:\n        pass")
    assert role_tests_in("{% if user.scopes.coordinator %}")
    assert role_tests_in("    if user.is_superuser or Role.REFERENT in roles:")
    assert not role_tests_in('    require_perm(request, "dialogue.manage_meeting", meeting)')


def test_every_transactional_test_restores_the_data_migrations_rows():
    """A transactional test flushes the database when it ends; without serialized_rollback the flush
    re-creates the content types (post_migrate), and the next test that restores the serialized
    rows (with serialized_rollback) then fails on duplicate content types."""
    offenders = []
    for path in (ROOT / "tests").rglob("test_*.py"):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            if "django_db(transaction=True" in line and "serialized_rollback=True" not in line:
                offenders.append(f"{path.relative_to(ROOT)}:{number}")
    assert not offenders, offenders
