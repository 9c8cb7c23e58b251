"""Shared fixtures: where the real datasets are (if anywhere) and a clean data environment."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest

from helpers.infra import env

SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"


def real_data_dir() -> Path | None:
    """``GAN_DATA_DIR`` (what CI sets), or ``../shared/data`` beside the checkout."""
    value = os.environ.get("GAN_DATA_DIR")
    if value and Path(value).is_dir():
        return Path(value)
    return SHARED_DATA if SHARED_DATA.is_dir() else None


#: Test files that take minutes: they are collected first, so that the parallel workers run them beside the
#: others instead of after them.
LONGEST_FIRST = ("test_lone_notebook.py",)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    items.sort(key=lambda item: item.path.name not in LONGEST_FIRST)  # stable: the rest keep their order


needs_real_data = pytest.mark.skipif(real_data_dir() is None, reason="real datasets not present (../shared/data)")


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
