"""Every bad argument to `python -m helpers` is refused in one line, before anything is written (#15 rows 4, 13, 14).

In-process: ``main([...])`` and its ``SystemExit``; the one subprocess test of the CLI is in test_run_folders.py.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch

from helpers import get_recipe
from helpers.cli.commands import main
from helpers.infra import env

TRAIN = ["train", "article-gan-mnist", "--quiet"]


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A finished one-step run of article-gan-mnist (seed 0, the first 64 images)."""
    out = tmp_path_factory.mktemp("cli") / "run"
    main([*TRAIN, "--epochs", "1", "--limit", "64", "--out", str(out)])
    return out


@pytest.mark.parametrize(
    ("args", "named"),
    [
        (["--epochs", "0"], "--epochs 0"),
        (["--epochs", "-1"], "--epochs -1"),
        (["--max-seconds", "0"], "--max-seconds 0"),
        (["--max-seconds", "-5"], "--max-seconds -5"),
        (["--max-seconds", "nan"], "--max-seconds nan"),
        (["--max-seconds", "inf"], "--max-seconds inf"),
        (["--epochs", "1", "--limit", "0"], "--limit 0"),
        (["--epochs", "1", "--limit", "-10"], "--limit -10"),
        (["--epochs", "1", "--limit", "10"], "one batch (64 images)"),
        (["--epochs", "1", "--seed", "-1"], "--seed -1"),
        (["--epochs", "1", "--track", "-1"], "--track -1"),
        (["--epochs", "1", "--seed", str(2**64)], "--seed"),
        (["--epochs", "1", "--device", "foo"], "cuda:N"),
        (["--epochs", "1", "--device", "gpu"], "cuda:N"),
    ],
)
def test_train_arguments_that_cannot_train_are_refused_first(args: list[str], named: str, tmp_path, cli_error) -> None:
    out = tmp_path / "run"
    assert named in cli_error([*TRAIN, *args, "--out", str(out)])
    assert not out.exists()


def test_a_limit_beyond_the_dataset_is_refused(real_data, tmp_path, cli_error) -> None:
    """It used to train on all 60,000 images without a word."""
    out = tmp_path / "run"
    message = cli_error([*TRAIN, "--epochs", "1", "--limit", "100000", "--out", str(out)])
    assert "has only 60000 training images" in message and not out.exists()


def test_a_limit_below_one_batch_of_a_batch_norm_generator_is_refused(tmp_path, cli_error) -> None:
    """Row 14: vanilla-gan-mnist with --limit 1 used to end in batch norm's 'Expected more than 1 value'."""
    out = tmp_path / "run"
    message = cli_error(["train", "vanilla-gan-mnist", "--epochs", "1", "--limit", "1", "--out", str(out)])
    assert "--limit 64 or more" in message and not out.exists()


@pytest.mark.parametrize("device", ["cuda", "cuda:1", "mps"])
def test_a_missing_device_says_how_to_use_the_cpu(device: str, tmp_path, cli_error) -> None:
    index = torch.device(device).index or 0
    present = torch.backends.mps.is_available() if device == "mps" else torch.cuda.device_count() > index
    if present:
        pytest.skip(f"{device} is present here")
    out = tmp_path / "run"
    message = cli_error([*TRAIN, "--epochs", "1", "--device", device, "--out", str(out)])
    assert repr(device) in message and ("--device cpu" in message or "cuda:0" in message)
    assert not out.exists()


def test_a_bad_gan_device_is_named_in_every_command(monkeypatch, cli_error) -> None:
    monkeypatch.setenv("GAN_DEVICE", "tpu")
    assert "GAN_DEVICE=tpu" in cli_error(["info"])


def test_get_device_refuses_names_and_missing_gpus(monkeypatch) -> None:
    with pytest.raises(ValueError, match="cuda:N"):
        env.get_device("gpu")
    with pytest.raises(ValueError, match="not a device"):
        env.get_device("meta")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 1)
    with pytest.raises(RuntimeError, match=r"has 1 GPU\(s\): use cuda:0"):
        env.get_device("cuda:1")
    assert env.get_device("cuda:0") == torch.device("cuda:0")


def test_out_that_is_a_file_or_under_one_is_refused(tmp_path, cli_error) -> None:
    (tmp_path / "notes.txt").write_text("mine")
    for out in (tmp_path / "notes.txt", tmp_path / "notes.txt" / "run"):
        assert "is a file" in cli_error([*TRAIN, "--epochs", "1", "--out", str(out)])
    assert (tmp_path / "notes.txt").read_text() == "mine"


@pytest.mark.parametrize(
    ("args", "named"),
    [
        (["--n", "0"], "--n 0"),
        (["--n", "-3"], "--n -3"),
        (["--seed", "-1"], "--seed -1"),
    ],
)
def test_sample_arguments_are_checked(args: list[str], named: str, run_dir: Path, tmp_path, cli_error) -> None:
    out = tmp_path / "s.npy"
    assert named in cli_error(["sample", str(run_dir), *args, "--out", str(out)])
    assert not out.exists()


@pytest.mark.parametrize(
    ("out", "named"),
    [
        ("s_noext", "must end in .npy"),
        ("missing/dir/s.npy", "no folder"),
        ("a_folder.npy", "it is a folder"),
    ],
)
def test_sample_out_is_checked_before_drawing(out: str, named: str, run_dir: Path, tmp_path, cli_error) -> None:
    (tmp_path / "a_folder.npy").mkdir()
    assert named in cli_error(["sample", str(run_dir), "--out", str(tmp_path / out)])
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a_folder.npy"]


def test_sample_takes_a_run_folder_or_a_generator_file_and_says_what_else_it_got(
    run_dir: Path, tmp_path, cli_error
) -> None:
    """Before, a file answered "is a file, not a run folder": the shipped generator could not be sampled at all."""
    folder, file = tmp_path / "folder.npy", tmp_path / "file.npy"
    main(["sample", str(run_dir), "--n", "8", "--out", str(folder)])
    main(["sample", str(run_dir / "checkpoint.pt"), "--n", "8", "--out", str(file)])
    assert np.array_equal(np.load(folder), np.load(file))
    out = str(tmp_path / "s.npy")
    assert "not a finished run folder" in cli_error(["sample", str(tmp_path), "--out", out])
    assert "it is a NumPy .npy array" in cli_error(["sample", str(folder), "--out", out])
    torch.save(get_recipe("vanilla-gan-mnist").networks()[0].state_dict(), tmp_path / "bare.pt")
    assert "records no recipe" in cli_error(["sample", str(tmp_path / "bare.pt"), "--out", out])


@pytest.mark.parametrize(
    ("content", "named"),
    [
        (json.dumps({"recipe": "no-such-recipe"}), "this version of helpers lacks"),
        ('{"recipe": "seed-gan', "is not the run.json"),
        (json.dumps([1, 2]), "names no recipe"),
    ],
)
def test_sample_explains_a_bad_run_json(content: str, named: str, run_dir: Path, tmp_path, cli_error) -> None:
    run = tmp_path / "run"
    run.mkdir()
    (run / "checkpoint.pt").write_bytes((run_dir / "checkpoint.pt").read_bytes())
    (run / "run.json").write_text(content)
    assert named in cli_error(["sample", str(run), "--out", str(tmp_path / "s.npy")])
    assert not (tmp_path / "s.npy").exists()
