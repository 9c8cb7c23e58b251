"""Notebook 02's hand-written training loop is what ``helpers.train_step`` does, and the notebook's own check of
that claim can fail.

The notebook writes the vanilla GAN's loop out (``train_epoch``) and then compares 20 steps of it with 20 steps
of ``helpers.train_step`` from the same seed, weight for weight. These tests run those cells of the notebook
on a few hundred digits: as written they agree; with one line of the loop changed, the check fails.
"""

from __future__ import annotations

from pathlib import Path

import jupytext
import pytest
import torch

import helpers
from helpers.data import load_mnist

NOTEBOOK = jupytext.read(Path(__file__).resolve().parents[1] / "notebooks" / "02_vanilla_gan_mnist.py")
#: The cells that define the networks, the loop and the check, found by what each one defines.
MARKERS = ("def plain_gan(", "def train_epoch(", "helpers.train_step(G2")


def _cell(marker: str) -> str:
    cells = [c.source for c in NOTEBOOK.cells if c.cell_type == "code" and marker in c.source]
    assert len(cells) == 1, f"notebook 02 should have one code cell with {marker!r}, found {len(cells)}"
    return cells[0]


def _run_check(edit: tuple[str, str] | None = None) -> None:
    """Run notebook 02's imports, networks, loop and check on 256 digits, with ``edit`` (old, new) in the loop."""
    imports = next(c.source for c in NOTEBOOK.cells if c.cell_type == "code" and "import inspect" in c.source)
    namespace: dict = {"helpers": helpers, "SEED": 0, "device": torch.device("cpu")}
    exec(imports, namespace)
    namespace["images"] = load_mnist(train=True)[0][:256]
    networks, loop, check = (_cell(m) for m in MARKERS)
    if edit is not None:
        assert edit[0] in loop, f"the loop no longer contains {edit[0]!r}"
        loop = loop.replace(edit[0], edit[1], 1)
    for source in (networks, loop, check):
        exec(source, namespace)


def test_the_hand_loop_and_the_helpers_train_the_same_weights() -> None:
    _run_check()


@pytest.mark.parametrize(
    "edit",
    [
        ("torch.ones_like(logits_real)", "0.9 * torch.ones_like(logits_real)"),
        ("        opt_d.zero_grad()\n", ""),
        ("logits = D(fake)", "logits = D(fake.detach() + 0.01)"),
        ("        opt_g.step()\n", ""),
    ],
    ids=["real-label", "no-zero-grad", "other-input", "no-generator-step"],
)
def test_the_notebooks_check_fails_when_one_line_of_the_loop_changes(edit: tuple[str, str]) -> None:
    with pytest.raises((AssertionError, RuntimeError)):
        _run_check(edit)
