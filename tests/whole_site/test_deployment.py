"""What gets installed and deployed: exactly the locked versions, and a Compose file that is valid.

`make setup` installs uv.lock into .venv (uv sync --locked); `make lint` refuses a lock that no
longer matches pyproject.toml and validates docker-compose.yml against the Compose specification.
These tests prove the installed set is the locked one, and that both checks of `make lint` can fail.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tomllib
from fnmatch import fnmatch
from importlib import metadata
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
UV = ROOT / ".tools" / "bin" / "uv"


def run(argv: list[str], *, cwd: Path = ROOT, env: dict | None = None, timeout: int = 120):
    return subprocess.run(
        argv, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout, check=False
    )


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def locked_versions() -> dict[str, str]:
    lock = tomllib.loads((ROOT / "uv.lock").read_text())
    return {canonical(package["name"]): package["version"] for package in lock["package"]}


def requirement_name(requirement: str) -> str:
    return canonical(re.split(r"[\s\[<>=!~;]", requirement, maxsplit=1)[0])


def test_the_environment_holds_exactly_the_locked_versions():
    locked = locked_versions()
    installed = {canonical(d.metadata["Name"]): d.version for d in metadata.distributions()}
    not_locked = {name: version for name, version in installed.items() if name not in locked}
    assert not not_locked, f"installed but not in uv.lock: {not_locked}"
    drifted = {
        name: (version, locked[name])
        for name, version in installed.items()
        if locked[name] != version
    }
    assert not drifted, f"installed version differs from uv.lock (installed, locked): {drifted}"

    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    declared = project["project"]["dependencies"] + project["dependency-groups"]["dev"]
    missing = [r for r in declared if requirement_name(r) not in installed]
    assert not missing, f"declared in pyproject.toml but not installed: {missing}"


def test_the_image_and_make_install_the_same_lock_with_the_same_uv():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert re.fullmatch(r"==\d+\.\d+\.\d+", project["tool"]["uv"]["required-version"])
    dockerfile = (ROOT / "Dockerfile").read_text()
    makefile = (ROOT / "Makefile").read_text()
    assert "COPY pyproject.toml uv.lock ./" in dockerfile
    assert "uv sync --locked --no-dev" in dockerfile
    assert "sync --locked" in makefile
    # Both read uv's version from pyproject.toml rather than repeating it.
    for text in (dockerfile, makefile):
        assert "required-version" in text
        assert project["tool"]["uv"]["required-version"].removeprefix("==") not in text


@pytest.mark.skipif(not UV.exists(), reason="needs uv in .tools/ (`make setup` installs it)")
def test_lint_refuses_a_lock_that_no_longer_matches_pyproject(tmp_path):
    def check(folder: Path) -> subprocess.CompletedProcess:
        # As `make lint` runs it: uv may ask PyPI for the metadata of a requirement it lacks.
        return run([str(UV), "lock", "--check"], cwd=folder)

    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    shutil.copy(ROOT / "uv.lock", tmp_path / "uv.lock")
    assert check(tmp_path).returncode == 0
    pyproject = tmp_path / "pyproject.toml"
    pyproject.write_text(
        pyproject.read_text().replace('"openpyxl>=3.1,<4",', '"openpyxl>=3.1,<4",\n    "six",')
    )
    outdated = check(tmp_path)
    assert outdated.returncode != 0
    assert "needs to be updated" in outdated.stderr, outdated.stderr
    assert "added: six" in outdated.stderr


def dockerignored(relative: str, patterns: list[str]) -> bool:
    """Whether `docker build` leaves this path of the repository out (the .dockerignore forms used)."""
    for pattern in patterns:
        if pattern.startswith("**/"):
            if any(fnmatch(part, pattern[3:]) for part in relative.split("/")):
                return True
        elif (
            relative == pattern or relative.startswith(pattern + "/") or fnmatch(relative, pattern)
        ):
            return True
    return False


def image_context(destination: Path) -> Path:
    """The files `COPY . .` puts in the image: the repository's files less .dockerignore's."""
    lines = (ROOT / ".dockerignore").read_text().splitlines()
    patterns = [line.strip() for line in lines if line.strip() and not line.startswith("#")]
    tracked = run(["git", "ls-files"]).stdout.splitlines()
    assert "manage.py" in tracked
    for relative in tracked:
        if not dockerignored(relative, patterns) and (ROOT / relative).is_file():
            target = destination / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / relative, target)
    return destination


def test_the_image_leaves_the_development_tools_out(tmp_path):
    context = image_context(tmp_path / "app")
    assert (context / "participation" / "settings.py").is_file()
    for dev_only in ("devtools", "tests", "bench", "scripts/run_local.py", ".ci", "var"):
        assert not (context / dev_only).exists(), dev_only
    # No product module imports the development tools.
    importers = [
        str(path.relative_to(context))
        for path in context.rglob("*.py")
        if re.search(r"^\s*(from|import) devtools\b", path.read_text(), re.MULTILINE)
    ]
    assert not importers


@pytest.mark.skipif(not UV.exists(), reason="needs uv in .tools/ (`make setup` installs it)")
def test_the_image_install_gives_a_runtime_without_dev_tools_that_starts(tmp_path):
    """The Dockerfile's install (`uv sync --locked --no-dev`), run here into a new environment from
    uv's cache, and the files of the image's build context: the product starts on them, so no
    product module needs a dev-only package or the development tools."""
    runtime = tmp_path / "venv"
    env = {
        **{
            k: v
            for k, v in os.environ.items()
            if k not in {"VIRTUAL_ENV", "DATABASE_URL", "REDIS_URL"}
        },
        "UV_PROJECT_ENVIRONMENT": str(runtime),
        "UV_PYTHON_DOWNLOADS": "never",
        "UV_LINK_MODE": "copy",
    }
    synced = run(
        [str(UV), "sync", "--locked", "--no-dev", "--offline", "--python", sys.executable],
        env=env,
        timeout=300,
    )
    assert synced.returncode == 0, synced.stderr
    python = runtime / "bin" / "python"
    packages = {
        p.name.split("-")[0].lower() for p in runtime.glob("lib/python*/site-packages/*.dist-info")
    }
    assert {"django", "celery", "weasyprint", "gunicorn"} <= packages
    assert not packages & {"pytest", "ruff", "djlint", "playwright", "hypothesis", "factory_boy"}

    production = {
        **env,
        "DEBUG": "false",
        "SECRET_KEY": "a-long-random-production-key-" + "k9Q2vX7mZ4pL8wR3" * 3,
        "ALLOWED_HOSTS": "quartiers.example.org",
        "VAR_DIR": str(tmp_path / "var"),
    }
    context = image_context(tmp_path / "app")
    checked = run(
        [str(python), "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=context,
        env=production,
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr
    # Even with DEBUG on, the image has no demo loader to run by mistake.
    demo = run(
        [str(python), "manage.py", "load_demo"], cwd=context, env={**production, "DEBUG": "true"}
    )
    assert demo.returncode != 0
    assert "Unknown command: 'load_demo'" in demo.stderr


def validate_compose(path: Path) -> subprocess.CompletedProcess:
    return run(
        [str(BIN / "check-jsonschema"), "--builtin-schema", "vendor.compose-spec", str(path)]
    )


def test_the_compose_file_follows_the_compose_specification(tmp_path):
    valid = validate_compose(ROOT / "docker-compose.yml")
    assert valid.returncode == 0, valid.stdout + valid.stderr

    # The same file with one mistake a hand could make: the validator of `make lint` catches it.
    broken = tmp_path / "docker-compose.yml"
    text = (ROOT / "docker-compose.yml").read_text()
    assert "\n  web:\n" in text
    broken.write_text(text.replace("\n  web:\n", "\n  web:\n    restart_policy: always\n", 1))
    invalid = validate_compose(broken)
    assert invalid.returncode != 0
    assert "restart_policy" in invalid.stdout + invalid.stderr
