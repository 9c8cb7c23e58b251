"""Repository checks: one list of dependencies, notebooks paired with their twins, lint clean."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import time
from importlib.metadata import version
from pathlib import Path

import pytest
from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parents[1]
CONDA_NAMES = {"pytorch": "torch"}


def requirements(path: Path) -> dict[str, Requirement]:
    out = {}
    for line in path.read_text().splitlines():
        line = line.split("#")[0].strip()
        if line and not line.startswith("-"):
            req = Requirement(line)
            out[req.name.lower()] = req
    return out


def conda_requirements() -> dict[str, str]:
    out = {}
    text = (ROOT / "environment.yml").read_text()
    for line in text[text.index("dependencies:") :].splitlines():
        m = re.match(r"\s+- ([A-Za-z][\w.-]*)(>=[\w.]+)?\s*$", line)
        if m and m.group(1) not in ("python", "pip"):
            out[CONDA_NAMES.get(m.group(1), m.group(1)).lower()] = m.group(2) or ""
    return out


def test_requirements_conda_and_lock_agree() -> None:
    runtime = requirements(ROOT / "requirements.txt")
    wanted = runtime | requirements(ROOT / "requirements-dev.txt")
    conda = conda_requirements()
    assert set(conda) == set(wanted), "environment.yml and requirements*.txt list different packages"
    for name, req in wanted.items():
        assert all(s.operator == ">=" for s in req.specifier), f"{name}: lower bounds only, to keep Colab's torch"
        assert conda[name] == str(req.specifier), f"{name}: conda {conda[name]} but pip {req.specifier}"
    lock = {}
    for line in (ROOT / "constraints.txt").read_text().splitlines():
        if "==" in line and not line.startswith("#"):
            name, pinned = line.split("==")
            lock[name.lower()] = pinned.split("+")[0].strip()
    for name, req in wanted.items():
        assert name in lock, f"{name} is not pinned in constraints.txt"
        assert req.specifier.contains(lock[name]), f"the lock's {name}=={lock[name]} violates {req.specifier}"
        assert version(name).split("+")[0] == lock[name], f"installed {name} differs from the lock: run `make venv`"
    assert {"torch", "torchvision"} <= set(runtime)


def test_pyproject_reads_requirements() -> None:
    text = (ROOT / "pyproject.toml").read_text()
    assert 'dependencies = { file = ["requirements.txt"] }' in text


def notebooks() -> list[Path]:
    return sorted((ROOT / "notebooks").glob("*.ipynb"))


@pytest.mark.parametrize("nb", notebooks(), ids=lambda p: p.name)
def test_notebook_twin_in_sync(nb: Path, tmp_path) -> None:
    twin = nb.with_suffix(".py")
    assert twin.exists(), f"{twin.name} is missing: run `make sync`"
    out = tmp_path / twin.name
    subprocess.run(
        [sys.executable, "-m", "jupytext", "--to", "py:percent", "--output", str(out), str(nb)],
        check=True,
        capture_output=True,
        cwd=ROOT,
    )
    assert out.read_text() == twin.read_text(), f"{twin.name} differs from {nb.name}: run `make sync`"


@pytest.mark.parametrize("edited", ["py", "ipynb"])
def test_make_sync_keeps_the_edit_whichever_side_was_edited(edited: str, tmp_path) -> None:
    """The advice of the sync test (`make sync`) must never overwrite an edit; before, it rewrote the .py
    twin from the notebook and an edit of the twin was lost."""
    shutil.copy(ROOT / "jupytext.toml", tmp_path)
    twin, nb = tmp_path / "nb.py", tmp_path / "nb.ipynb"
    twin.write_text("# %%\nprint('before')\n")
    jupytext = [sys.executable, "-m", "jupytext"]
    subprocess.run([*jupytext, "--to", "ipynb", str(twin)], check=True, capture_output=True, cwd=tmp_path)
    notebook = json.loads(nb.read_text())
    notebook["cells"][0]["outputs"] = [{"name": "stdout", "output_type": "stream", "text": ["before\n"]}]
    nb.write_text(json.dumps(notebook))
    time.sleep(0.05)
    if edited == "py":
        twin.write_text("# %%\nprint('after')\n")
    else:
        notebook["cells"][0]["source"] = "print('after')"
        nb.write_text(json.dumps(notebook))
    result = subprocess.run(["make", "-s", "sync", f"NOTEBOOKS={nb}"], capture_output=True, text=True, cwd=ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "after" in twin.read_text() and "before" not in twin.read_text()
    cell = json.loads(nb.read_text())["cells"][0]
    assert "after" in "".join(cell["source"]) and cell["outputs"], "the notebook lost the edit or its outputs"


def test_every_twin_has_a_notebook() -> None:
    for twin in (ROOT / "notebooks").glob("*.py"):
        assert twin.with_suffix(".ipynb").exists(), f"{twin.name} has no .ipynb"


@pytest.mark.skipif(shutil.which("ruff", path=str(Path(sys.executable).parent)) is None, reason="ruff not installed")
def test_ruff_clean() -> None:
    ruff = shutil.which("ruff", path=str(Path(sys.executable).parent))
    result = subprocess.run([ruff, "check", "."], capture_output=True, text=True, cwd=ROOT)
    assert result.returncode == 0, result.stdout[-3000:]
    result = subprocess.run([ruff, "format", "--check", "."], capture_output=True, text=True, cwd=ROOT)
    assert result.returncode == 0, f"run `ruff format .` (make lint checks it): {result.stdout[-3000:]}"
