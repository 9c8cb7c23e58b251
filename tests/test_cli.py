"""`python -m helpers`: info, train (with resume), sample, score, and its error messages."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]


def cli(*args: str, check: bool = True) -> subprocess.CompletedProcess:
    env = {**os.environ, "GAN_FAST": "1", "GAN_OFFLINE": "1", "GAN_DEVICE": "cpu"}
    result = subprocess.run([sys.executable, "-m", "helpers", *args], capture_output=True, text=True, cwd=ROOT,
                            env=env, timeout=300)
    if check and result.returncode != 0:
        raise AssertionError(result.stderr[-2000:])
    return result


def test_info() -> None:
    out = cli("info").stdout
    assert "device" in out and "MNIST" in out


def test_train_resume_sample_score(tmp_path) -> None:
    run = tmp_path / "run"
    cli("train", "seed-gan-mnist", "--epochs", "1", "--limit", "640", "--quiet", "--out", str(run))
    history = json.loads((run / "history.json").read_text())
    assert len(history["epoch_end_step"]) == 1 and (run / "samples.png").exists()
    out = cli("train", "seed-gan-mnist", "--epochs", "2", "--limit", "640", "--quiet", "--out", str(run)).stdout
    assert "resuming" in out
    assert len(json.loads((run / "history.json").read_text())["epoch_end_step"]) == 2

    cli("sample", str(run), "--n", "50", "--out", str(tmp_path / "s.npy"))
    samples = np.load(tmp_path / "s.npy")
    assert samples.shape == (50, 1, 28, 28) and samples.dtype == np.float32
    assert 0 <= samples.min() and samples.max() <= 1
    scores = json.loads(cli("score", str(tmp_path / "s.npy")).stdout)
    assert scores["n"] == 50 and scores["frechet_distance"] > 0


def test_errors_are_one_line_messages(tmp_path) -> None:
    result = cli("score", str(tmp_path / "missing.npy"), check=False)
    assert result.returncode != 0 and "does not exist" in result.stderr and "Traceback" not in result.stderr
    result = cli("sample", str(tmp_path), "--out", str(tmp_path / "x.npy"), check=False)
    assert result.returncode != 0 and "not a finished run folder" in result.stderr
    (tmp_path / "run").mkdir()
    (tmp_path / "run" / "run.json").write_text(json.dumps({"recipe": "seed-gan-mnist"}))
    result = cli("train", "vanilla-gan-mnist", "--epochs", "1", "--out", str(tmp_path / "run"), check=False)
    assert result.returncode != 0 and "choose another --out" in result.stderr


@pytest.mark.parametrize("argv", [["train", "no-such-recipe", "--epochs", "1", "--out", "x"], ["train"]])
def test_usage_errors(argv: list[str]) -> None:
    assert cli(*argv, check=False).returncode == 2
