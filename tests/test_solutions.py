"""The worked solutions in solutions/ run as a learner would run them (FAST mode, a tiny budget)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
#: Each solution script and the arguments that keep its run to seconds.
QUICK_ARGS = {
    "01_autoencoder_recap.py": [],
    "02_vanilla_gan_mnist.py": ["--seconds", "1"],
    "03_transposed_convolutions.py": ["--epochs", "1"],
    "04_dcgan_cat_faces.py": ["--epochs", "1"],
    "05_evaluating_and_debugging_gans.py": ["--epochs", "1"],
    "06_conditional_gan_mnist.py": ["--seconds", "2"],
    "07_wasserstein_gan_gp.py": ["--seconds", "2"],
}


def test_every_solution_is_listed() -> None:
    assert {p.name for p in (ROOT / "solutions").glob("*.py")} == set(QUICK_ARGS)


@pytest.mark.parametrize("name", sorted(QUICK_ARGS))
def test_solution_runs(name: str) -> None:
    env = os.environ | {"GAN_FAST": "1", "GAN_OFFLINE": "1", "GAN_DEVICE": "cpu", "MPLBACKEND": "Agg"}
    result = subprocess.run(
        [sys.executable, str(ROOT / "solutions" / name), *QUICK_ARGS[name]],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert "Fréchet distance" in result.stdout
