"""The shape of ``helpers``: the layers import in one direction, ``fit`` stays small, no function grows long.

(McCabe complexity is ruff's C901, at most 10: ``test_repository.py::test_ruff_clean``.)
"""

from __future__ import annotations

import ast
import inspect
import textwrap
from pathlib import Path

import pytest

import helpers

HELPERS = Path(helpers.__file__).resolve().parent
#: The engineering below the lessons, lowest first: each may import from itself and the packages before it.
LAYERS = ("infra", "data", "scores")
#: At most this many lines in the body of any function of helpers (docstring left out).
LONGEST_BODY = 60


def imported_modules(source: str, package: str) -> set[str]:
    """The ``helpers`` modules that ``source``, a module of ``package`` (e.g. ``"helpers.data"``), imports."""
    parts = package.split(".")
    found = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = parts[: len(parts) - node.level + 1]
                found.add(".".join([*base, node.module] if node.module else base))
            elif node.module and node.module.split(".")[0] == "helpers":
                found.add(node.module)
        elif isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names if alias.name.split(".")[0] == "helpers"}
    return found


@pytest.mark.parametrize("layer", LAYERS)
def test_the_engineering_imports_nothing_from_the_lessons_or_the_layers_above(layer: str) -> None:
    """data/, scores/ and infra/ import nothing from the training loop, sampling, recipes or plots (before:
    ``data/datasets.py`` looked its scorers up in ``helpers`` by name, ``infra/pretrained.py`` imported the recipes,
    ``scores/mnist.py`` the sampling module)."""
    allowed = {f"helpers.{below}" for below in LAYERS[: LAYERS.index(layer) + 1]}
    wrong = {}
    for path in sorted((HELPERS / layer).rglob("*.py")):
        imported = imported_modules(path.read_text(), f"helpers.{layer}")
        outside = {m for m in imported if not any(m == a or m.startswith(a + ".") for a in allowed)}
        if outside:
            wrong[path.relative_to(HELPERS).as_posix()] = sorted(outside)
        assert "importlib" not in path.read_text(), f"{path.name}: a module found by its name hides an import"
    assert not wrong, f"imports up the layers: {wrong}"


def test_the_layer_check_sees_an_import_up_the_layers() -> None:
    source = "from ..recipes import build\nfrom .sources import load_mnist\nimport helpers.viz\nimport torch\n"
    assert imported_modules(source, "helpers.data") == {"helpers.recipes", "helpers.data.sources", "helpers.viz"}


def body_lines(function: ast.FunctionDef | ast.AsyncFunctionDef) -> int:
    """Lines of ``function``'s body, from its first statement after the docstring to its end."""
    body = function.body
    if body and isinstance(body[0], ast.Expr) and isinstance(getattr(body[0], "value", None), ast.Constant):
        body = body[1:] or body
    return function.end_lineno - body[0].lineno + 1


def test_no_function_of_helpers_is_longer_than_a_screen() -> None:
    long = {}
    for path in sorted(HELPERS.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and body_lines(node) > LONGEST_BODY:
                long[f"{path.relative_to(HELPERS).as_posix()}:{node.name}"] = body_lines(node)
    assert not long, f"functions over {LONGEST_BODY} lines of body: {long}"


def test_fit_takes_the_step_and_at_most_twelve_parameters_in_forty_lines() -> None:
    """Before: 20 parameters, loss flags dispatched through nested partials, a body of 51 lines."""
    signature = inspect.signature(helpers.fit)
    assert list(signature.parameters)[:2] == ["step", "data"] and len(signature.parameters) <= 12
    tree = ast.parse(textwrap.dedent(inspect.getsource(helpers.fit)))
    assert body_lines(tree.body[0]) <= 40
    for flag in ("saturating", "real_label", "real_target", "wgan_gp", "precision", "history", "ema"):
        assert flag not in signature.parameters, flag
