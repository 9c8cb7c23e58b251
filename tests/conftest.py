"""Shared fixtures: where the real datasets are (if anywhere), a clean data environment, and a tiny GAN."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
import torch
from testkit import Tiny, real_data_dir

from helpers import TensorBatches
from helpers.infra import env
from helpers.infra.precision import Precision
from helpers.models import MLPDiscriminator, MLPGenerator
from helpers.sampling import Noise, generator_ema

#: Test files that take minutes: they are collected first, so that the parallel workers run them beside the
#: others instead of after them.
LONGEST_FIRST = ("test_lone_notebook.py",)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    items.sort(key=lambda item: item.path.name not in LONGEST_FIRST)  # stable: the rest keep their order


@pytest.fixture
def no_data(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """No GAN_DATA_DIR, no Kaggle, no downloads, an empty cache: only the FAST stand-ins remain."""
    monkeypatch.delenv("GAN_DATA_DIR", raising=False)
    monkeypatch.setenv("GAN_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setattr(env, "KAGGLE_INPUT", tmp_path / "no-kaggle")
    monkeypatch.setattr(env, "OFFLINE", True)
    return tmp_path


@pytest.fixture
def real_data(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """GAN_DATA_DIR pointing at the real datasets, caches in a temp dir."""
    root = real_data_dir()
    if root is None:
        pytest.skip("real datasets not present (../shared/data)")
    monkeypatch.setenv("GAN_DATA_DIR", str(root))
    monkeypatch.setenv("GAN_CACHE_DIR", str(tmp_path / "cache"))
    return root


@pytest.fixture
def cli_error(capsys: pytest.CaptureFixture) -> Callable[..., str]:
    """``cli_error(argv, code=1)``: run ``python -m helpers`` in-process and return the one error line it
    ends with, after checking the exit status and that nothing but that line reached stderr."""
    from helpers.cli.commands import main

    def run(argv: list[str], code: int = 1) -> str:
        with pytest.raises(SystemExit) as stop:
            main(argv)
        assert stop.value.code == code
        lines = capsys.readouterr().err.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("error: "), lines
        return lines[0]

    return run


@pytest.fixture
def tiny() -> Callable[..., Tiny]:
    """``tiny(seed=0, ema=None, precision=None, images=40)``: a fresh :class:`Tiny`, weights and data from
    ``seed``; ``ema``: the decay of a weight average of G; ``precision``: a :class:`Precision` (float32)."""

    def make(seed: int = 0, ema: float | None = None, precision: Precision | None = None, images: int = 40) -> Tiny:
        torch.manual_seed(seed)
        G = MLPGenerator(8, (16,), image_shape=(1, 4, 4))
        D = MLPDiscriminator((1, 4, 4), hidden=(16,), dropout=0.2)
        data = TensorBatches(torch.randint(0, 256, (images, 1, 4, 4), dtype=torch.uint8), 8, seed=seed)
        return Tiny(
            G,
            D,
            data,
            torch.optim.Adam(G.parameters(), 1e-3),
            torch.optim.Adam(D.parameters(), 1e-3),
            Noise(8, "cpu"),
            precision or Precision("cpu"),
            None if ema is None else generator_ema(G, ema),
        )

    return make
