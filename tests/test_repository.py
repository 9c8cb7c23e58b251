"""Repository checks: one list of dependencies, notebooks paired with their twins, lint clean."""

from __future__ import annotations

import ast
import json
import os
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
#: The lock this environment was installed from: constraints.txt, or constraints-oldest.txt under `make test-oldest`.
LOCK = ROOT / os.environ.get("GAN_LOCK", "constraints.txt")
#: Tools for developing the series: never a lesson's (runtime) dependency.
DEV_TOOLS = {"jupyterlab", "jupytext", "nbval", "pytest", "pytest-xdist", "ruff", "nbclient", "nbformat", "ipykernel"}
#: Import names that differ from the distribution's name.
IMPORT_NAMES = {"PIL": "pillow"}


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


def lock(path: Path) -> dict[str, str]:
    out = {}
    for line in path.read_text().splitlines():
        if "==" in line and not line.startswith("#"):
            name, pinned = line.split("==")
            out[name.lower()] = pinned.split("+")[0].strip()
    return out


def test_requirements_conda_and_lock_agree() -> None:
    runtime = requirements(ROOT / "requirements.txt")
    wanted = runtime | requirements(ROOT / "requirements-dev.txt")
    conda = conda_requirements()
    assert set(conda) == set(wanted), "environment.yml and requirements*.txt list different packages"
    for name, req in wanted.items():
        assert all(s.operator == ">=" for s in req.specifier), f"{name}: lower bounds only, to keep Colab's torch"
        assert conda[name] == str(req.specifier), f"{name}: conda {conda[name]} but pip {req.specifier}"
    pins = lock(LOCK)
    for name, req in wanted.items():
        assert name in pins, f"{name} is not pinned in {LOCK.name}"
        assert req.specifier.contains(pins[name]), f"the lock's {name}=={pins[name]} violates {req.specifier}"
        assert version(name).split("+")[0] == pins[name], f"installed {name} differs from {LOCK.name}: run `make venv`"
    assert {"torch", "torchvision"} <= set(runtime)


def third_party_imports(paths: list[Path]) -> set[str]:
    """The distributions that ``paths`` import (top-level names that are neither stdlib nor ``helpers``)."""
    names = set()
    for path in paths:
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                names.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.level == 0:
                names.add(node.module.split(".")[0])
    # google: Colab's own module; IPython and matplotlib_inline (its figure output): the notebook's kernel itself
    names -= set(sys.stdlib_module_names) | {"helpers", "__future__", "google", "IPython", "matplotlib_inline"}
    return {IMPORT_NAMES.get(name, name).lower() for name in names}


def test_runtime_dependencies_are_what_a_lesson_imports() -> None:
    """The package's dependencies (what a setup cell installs on Colab/Kaggle) are exactly what the helpers and the
    notebooks import; development tools live in requirements-dev.txt. Before, the runtime list carried jupyterlab,
    jupytext and nbval, which the setup cell then installed into the platform's environment."""
    runtime = set(requirements(ROOT / "requirements.txt"))
    dev = set(requirements(ROOT / "requirements-dev.txt"))
    imported = third_party_imports([*(ROOT / "helpers").rglob("*.py"), *(ROOT / "notebooks").glob("*.py")])
    assert runtime == imported, (
        f"declared but not imported: {runtime - imported}; imported, not declared: {imported - runtime}"
    )
    assert not runtime & DEV_TOOLS, f"development tools among the runtime dependencies: {runtime & DEV_TOOLS}"
    assert DEV_TOOLS - {"nbformat", "ipykernel"} <= dev, "requirements-dev.txt lacks a development tool"
    assert "-r requirements.txt" in (ROOT / "requirements-dev.txt").read_text()


def test_oldest_lock_is_the_declared_lower_bound() -> None:
    """make test-oldest runs against torch and torchvision exactly at requirements.txt's lower bounds."""
    runtime = requirements(ROOT / "requirements.txt")
    oldest, newest = lock(ROOT / "constraints-oldest.txt"), lock(ROOT / "constraints.txt")
    for name in ("torch", "torchvision"):
        (spec,) = runtime[name].specifier
        assert spec.operator == ">=" and oldest[name] in (spec.version, spec.version + ".0"), (name, oldest[name], spec)
    torch_own = re.compile(r"^(torch|torchvision|triton|sympy|nvidia-.*|cuda-.*)$")
    for name, pinned in newest.items():
        if not torch_own.match(name):
            assert oldest.get(name) == pinned, (
                f"{name}: constraints-oldest.txt {oldest.get(name)}, constraints.txt {pinned}"
            )
    makefile = (ROOT / "Makefile").read_text()
    assert "-c constraints-oldest.txt" in makefile and "test-oldest:" in makefile
    ci = (ROOT / ".ci" / "run").read_text()
    assert "make test\n" in ci and "make test-oldest" in ci, ".ci/run must run both"


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


def test_setup_cells_and_badges_agree_with_the_repository_constant() -> None:
    """One address: every setup cell installs ``git+{REPOSITORY}@{TESTED_REF}`` (unless GAN_SERIES_REPO says
    otherwise), every badge opens the notebooks of that ref, and the ref exists in this repository (a branch, or
    a tag that travels with it): before, they named ``v0.1.0``, a tag in no clone, so every badge would fail."""
    from helpers.infra import env

    owner_repo = env.REPOSITORY.removeprefix("https://github.com/")
    found = subprocess.run(
        ["git", "rev-parse", "--verify", "--quiet", f"{env.TESTED_REF}^{{commit}}"], capture_output=True, cwd=ROOT
    )
    assert found.returncode == 0, (
        f"{env.TESTED_REF!r} (helpers.infra.env.TESTED_REF) is no branch or tag of this repository"
    )
    assert env.INSTALL_SPEC == f"git+{env.REPOSITORY}@{env.TESTED_REF}"
    reads = f'os.environ.get("GAN_SERIES_REPO", "{env.INSTALL_SPEC}")'
    texts = {"README.md": (ROOT / "README.md").read_text()}
    for nb in notebooks():
        cells = json.loads(nb.read_text())["cells"]
        code = [c for c in cells if c["cell_type"] == "code"]
        assert reads in "".join(code[0]["source"]), f"{nb.name}: the setup cell must install {reads}"
        texts[nb.name] = "\n".join("".join(c["source"]) for c in cells)  # the cells, not their outputs
        texts[nb.with_suffix(".py").name] = nb.with_suffix(".py").read_text()
    names = {nb.name for nb in notebooks()}
    badges: dict[str, set[str]] = {}
    for where, text in texts.items():
        for spec in re.findall(r"git\+[^\s\"'`)\\]+", text):
            assert spec == env.INSTALL_SPEC, f"{where}: installs {spec}, not {env.INSTALL_SPEC}"
        for url in re.findall(rf"https://github\.com/{owner_repo.split('/')[0]}/[^\s\"'@)\\]+", text):
            assert url == env.REPOSITORY or url.startswith(f"{env.REPOSITORY}/blob/{env.TESTED_REF}/"), (
                f"{where}: {url} is not {env.REPOSITORY} at {env.TESTED_REF}"
            )
        for site, path in re.findall(
            r"(colab\.research\.google\.com/github|kaggle\.com/kernels/welcome)[^\s)]*?/([^/\s)]+)\)", text
        ):
            badges.setdefault(path, set()).add(site)
        for url in re.findall(r"colab\.research\.google\.com/github/([^\s)\"]+)", text):
            assert url.startswith(f"{owner_repo}/blob/{env.TESTED_REF}/notebooks/"), f"{where}: Colab badge {url}"
            assert url.rsplit("/", 1)[1] in names, f"{where}: {url} opens no notebook of the series"
    assert {path for path, sites in badges.items() if len(sites) == 2} == names, (
        "each notebook: a Colab and a Kaggle badge"
    )


def test_the_readme_map_names_every_module_of_helpers() -> None:
    """ "Where things live" is the maintainer's map: a module it does not name is a module nobody finds."""
    readme = (ROOT / "README.md").read_text()
    section = readme[readme.index("## Where things live") : readme.index("## Where data is looked for")]
    mapped = set(re.findall(r"^\| `([\w/]+\.py)` \|", section, re.M))
    modules = {
        p.relative_to(ROOT / "helpers").as_posix() for p in (ROOT / "helpers").rglob("*.py") if p.name != "__init__.py"
    }
    assert modules == mapped, f"README map: missing {sorted(modules - mapped)}, stale {sorted(mapped - modules)}"


def test_nbval_markers_are_cell_tags_not_comments_in_the_lesson_code() -> None:
    """nbval's markers used to open 83 code cells as `# NBVAL_IGNORE_OUTPUT` comments, in front of the learner."""
    for twin in sorted((ROOT / "notebooks").glob("*.py")):
        assert "NBVAL" not in twin.read_text(), f"{twin.name}: use the tag nbval-ignore-output, not a comment"
    for nb in sorted((ROOT / "notebooks").glob("*.ipynb")):
        cells = [c for c in json.loads(nb.read_text())["cells"] if c["cell_type"] == "code"]
        assert not [c for c in cells if "NBVAL" in "".join(c["source"])], nb.name
        assert any("nbval-ignore-output" in c["metadata"].get("tags", []) for c in cells), nb.name


#: Words of the test machinery; "test set", "test digits" and the like are MNIST's held-out split, not tests.
_TEST_TALK = re.compile(r"\b(?:unit tests?|the tests|a test|tests? (?:use|run|check)|CI|nbval|pytest)\b", re.I)


def test_no_markdown_cell_speaks_of_tests_or_ci() -> None:
    """The lesson text is for learners; the machinery that checks the notebooks stays out of it."""
    assert _TEST_TALK.search("With GAN_FAST=1 (what the tests use)") and not _TEST_TALK.search("the test set")
    for nb in sorted((ROOT / "notebooks").glob("*.ipynb")):
        for cell in json.loads(nb.read_text())["cells"]:
            text = "".join(cell["source"])
            if cell["cell_type"] == "markdown" and (found := _TEST_TALK.search(text)):
                context = text[max(0, found.start() - 60) : found.end() + 40]
                raise AssertionError(f"{nb.name}: markdown speaks of tests: ...{context}...")
