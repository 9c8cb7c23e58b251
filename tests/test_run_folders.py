"""A run folder holds one run, trained by one process at a time, and a failed start leaves it as it was.

#15 rows 1 (two processes, one folder), 11 (resuming with other settings) and 13 (a failed start's leftovers).
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from helpers import TrainingDiverged, load_generator, recipes
from helpers.cli.commands import main
from helpers.history import History
from helpers.infra.checkpoint import CheckpointError

ROOT = Path(__file__).resolve().parents[1]
TRAIN = ["train", "article-gan-mnist", "--epochs", "1", "--quiet"]


def snapshot(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A finished one-step run of article-gan-mnist, seed 0, the first 64 images."""
    out = tmp_path_factory.mktemp("runs") / "run"
    main([*TRAIN, "--limit", "64", "--out", str(out)])
    return out


def cli_process(*args: str) -> subprocess.Popen:
    env = {
        **os.environ,
        "GAN_FAST": "1",
        "GAN_OFFLINE": "1",
        "GAN_DEVICE": "cpu",
        "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
    }
    return subprocess.Popen(
        [sys.executable, "-m", "helpers", *args],
        cwd=ROOT,
        env=env,
        text=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


def test_two_processes_racing_for_one_folder(tmp_path) -> None:
    """Row 1: one crashed on `checkpoint.pt.tmp` or silently resumed the other's run; run.json had the last seed."""
    out = tmp_path / "run"
    racers = [
        cli_process(
            "train",
            "article-gan-mnist",
            "--epochs",
            "1",
            "--limit",
            "640",
            "--quiet",
            "--seed",
            seed,
            "--out",
            str(out),
        )
        for seed in ("1", "2")
    ]
    results = [(p.wait(timeout=300), *p.communicate()) for p in racers]
    winners = [seed for seed, (code, _, _) in zip((1, 2), results) if code == 0]
    assert len(winners) == 1, results
    code, _, err = next(r for r in results if r[0] != 0)
    assert err.startswith("error: ") and len(err.strip().splitlines()) == 1, err
    other_seed = re.search(r"holds a run with other settings \(seed [12], not [12]\)", err)
    assert "is in use by process" in err or other_seed, err
    assert json.loads((out / "run.json").read_text())["seed"] == winners[0]
    assert torch.load(out / "checkpoint.pt", weights_only=True)["run"]["seed"] == winners[0]
    files = ["checkpoint.pt", "epochs.json", "history.json", "run.json", "samples.png"]
    assert sorted(p.name for p in out.iterdir()) == files


def test_a_folder_in_use_names_its_holder(tmp_path, cli_error) -> None:
    from helpers.cli.runfolder import claim

    out = tmp_path / "run"
    with claim(out):
        message = cli_error([*TRAIN, "--limit", "64", "--out", str(out)])
        assert f"is in use by process {os.getpid()}" in message and "choose another --out" in message
    assert not out.exists()


def test_a_killed_holder_leaves_no_lock_behind(tmp_path, cli_error) -> None:
    from helpers.cli.runfolder import LOCK

    out = tmp_path / "run"
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time; from helpers.cli.runfolder import claim; "
            f"from pathlib import Path\nwith claim(Path({str(out)!r})):\n print(1, flush=True); "
            "time.sleep(120)",
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert holder.stdout.readline().strip() == "1"
    assert f"in use by process {holder.pid}" in cli_error([*TRAIN, "--limit", "64", "--out", str(out)])
    holder.send_signal(signal.SIGKILL)
    holder.wait()
    assert (out / LOCK).exists()  # the stale file remains; its lock died with the process
    main([*TRAIN, "--limit", "64", "--out", str(out)])
    assert (out / "checkpoint.pt").exists() and not (out / LOCK).exists()


@pytest.mark.parametrize(
    ("args", "named"),
    [
        (["--limit", "64", "--seed", "1"], "other settings (seed 0, not 1)"),
        (["--limit", "128"], "other settings (limit 64, not 128, images 64, not 128)"),
        ([], "other settings (limit 64, not None, images 64, not "),
    ],
)
def test_resuming_with_other_settings_is_refused(args: list[str], named: str, run_dir: Path, cli_error) -> None:
    """Row 11: it continued without a word, and run.json recorded the new seed."""
    before = snapshot(run_dir)
    message = cli_error([*TRAIN, *args, "--out", str(run_dir)])
    assert named in message and "choose another --out, or pass the same settings" in message
    assert snapshot(run_dir) == before


def test_the_cli_fit_and_load_generator_tell_other_runs_alike(run_dir: Path, tmp_path, cli_error) -> None:
    """One check decides "same run?": a difference reads the same from the command line, from fit's resume of the
    folder's checkpoint and from load_generator. Before, the CLI wrote "--seed 0, not --seed 1" where fit wrote
    "other settings (seed 0, not 1)", and only the CLI said "holds a run of recipe ..."."""
    ckpt = tmp_path / "checkpoint.pt"
    ckpt.write_bytes((run_dir / "checkpoint.pt").read_bytes())

    def held(message: str, source: Path) -> str:  # what the message says the folder or file holds
        assert f"{source} holds " in message, message
        return message.split(f"{source} holds ", 1)[1].split(":", 1)[0]

    by_cli = held(cli_error([*TRAIN, "--limit", "64", "--seed", "1", "--out", str(run_dir)]), run_dir)
    with pytest.raises(CheckpointError) as by_fit:
        recipes.build("article-gan-mnist", limit=64, seed=1).fit(epochs=2, checkpoint=ckpt, resume=True, progress=False)
    assert by_cli == held(str(by_fit.value), ckpt) == "a run with other settings (seed 0, not 1)"

    other = "a run of recipe 'article-gan-mnist', not 'vanilla-gan-mnist'"
    assert held(cli_error(["train", "vanilla-gan-mnist", "--epochs", "1", "--out", str(run_dir)]), run_dir) == other
    with pytest.raises(CheckpointError) as by_fit:
        recipes.build("vanilla-gan-mnist", limit=64, seed=0).fit(epochs=2, checkpoint=ckpt, resume=True, progress=False)
    vanilla = recipes.get_recipe("vanilla-gan-mnist")
    with pytest.raises(CheckpointError) as by_load:
        load_generator(vanilla.networks()[0], ckpt, recipe=vanilla.name, settings=vanilla.settings())
    assert held(str(by_fit.value), ckpt) == held(str(by_load.value), ckpt)
    assert held(str(by_fit.value), ckpt).startswith(f"{other} (its latent_dim, noise, lr_g")


def test_other_data_under_the_same_options_is_refused(tmp_path, monkeypatch, cli_error) -> None:
    """The dataset found this time (e.g. the real MNIST after the bundled subset) differs from the run's."""
    images = recipes.load_dataset("mnist")
    monkeypatch.setattr(recipes, "load_dataset", lambda name, limit=None: images[:128])
    out = tmp_path / "run"
    main([*TRAIN, "--out", str(out)])
    monkeypatch.setattr(recipes, "load_dataset", lambda name, limit=None: images[:192])
    assert "other settings (images 128, not 192)" in cli_error([*TRAIN, "--out", str(out)])
    assert json.loads((out / "run.json").read_text())["images"] == 128


def test_a_folder_that_holds_no_run_is_not_written_into(tmp_path, cli_error) -> None:
    (tmp_path / "notes.txt").write_text("mine")
    assert "holds other files and no run" in cli_error([*TRAIN, "--limit", "64", "--out", str(tmp_path)])
    assert snapshot(tmp_path) == {"notes.txt": b"mine"}


def test_a_checkpoint_without_settings_is_not_resumed_blindly(run_dir: Path, tmp_path, cli_error) -> None:
    """A fit checkpoint from a notebook, copied into a folder of its own."""
    state = torch.load(run_dir / "checkpoint.pt", weights_only=True)
    del state["run"]
    (tmp_path / "run").mkdir()
    torch.save(state, tmp_path / "run" / "checkpoint.pt")
    assert "records no run settings" in cli_error([*TRAIN, "--limit", "64", "--out", str(tmp_path / "run")])


def test_a_run_folder_of_the_previous_version_resumes_with_its_settings_only(
    run_dir: Path, tmp_path, capsys, cli_error
) -> None:
    """Before, run.json held recipe, seed and limit, and the checkpoint no settings."""
    out = tmp_path / "run"
    out.mkdir()
    state = torch.load(run_dir / "checkpoint.pt", weights_only=True)
    del state["run"]
    torch.save(state, out / "checkpoint.pt")
    (out / "run.json").write_text(json.dumps({"recipe": "article-gan-mnist", "seed": 0, "limit": 64}))
    assert "other settings (seed 0, not 1)" in cli_error([*TRAIN, "--limit", "64", "--seed", "1", "--out", str(out)])
    main(["train", "article-gan-mnist", "--epochs", "2", "--quiet", "--limit", "64", "--out", str(out)])
    assert "resuming" in capsys.readouterr().out
    assert torch.load(out / "checkpoint.pt", weights_only=True)["run"]["images"] == 64
    assert json.loads((out / "run.json").read_text())["images"] == 64


@pytest.mark.parametrize("content", [json.dumps({"recipe": "no-such-recipe"}), "{not json"])
def test_a_bad_run_json_is_explained(content: str, run_dir: Path, tmp_path, cli_error) -> None:
    out = tmp_path / "run"
    out.mkdir()
    (out / "run.json").write_text(content)
    assert "run.json" in cli_error([*TRAIN, "--limit", "64", "--out", str(out)])
    assert snapshot(out) == {"run.json": content.encode()}


@pytest.mark.parametrize("existing", [False, True], ids=["new-folder", "empty-folder"])
def test_a_failed_start_leaves_nothing_behind(existing: bool, tmp_path, monkeypatch, cli_error) -> None:
    """Row 13: a failed start left run.json, which then refused any other recipe in that folder."""
    out = tmp_path / "run"
    if existing:
        out.mkdir()

    def diverge(self: recipes.Setup, **options: object) -> History:
        raise TrainingDiverged("Training diverged at step 3: loss D nan. Stopped.", History())

    monkeypatch.setattr(recipes.Setup, "fit", diverge)
    assert "Training diverged at step 3" in cli_error([*TRAIN, "--limit", "64", "--out", str(out)])
    assert (out.exists() and not any(out.iterdir())) if existing else not out.exists()
    monkeypatch.undo()
    main(["train", "vanilla-gan-mnist", "--epochs", "1", "--limit", "64", "--quiet", "--out", str(out)])
    assert json.loads((out / "run.json").read_text())["recipe"] == "vanilla-gan-mnist"


def test_the_windows_lock_takes_one_byte_far_past_the_run_info_and_reports_busy(monkeypatch, tmp_path) -> None:
    """The ``msvcrt`` branch of the run-folder lock, run here with a stand-in module (CI has no Windows): it locks
    one byte without waiting, a busy lock says who holds the folder, any other error is raised."""
    import errno
    import types

    from helpers.cli import runfolder

    calls: list[tuple[int, int, int]] = []
    outcome: dict[str, OSError | None] = {"error": None}

    def locking(fd: int, mode: int, nbytes: int) -> None:
        calls.append((os.lseek(fd, 0, os.SEEK_CUR), mode, nbytes))
        if outcome["error"] is not None:
            raise outcome["error"]

    monkeypatch.setitem(sys.modules, "msvcrt", types.SimpleNamespace(LK_NBLCK=2, locking=locking))
    monkeypatch.setattr(runfolder.os, "name", "nt")
    with runfolder.claim(tmp_path / "run"):
        assert calls == [(1 << 20, 2, 1)]  # one byte, far past the holder's name that a second process reads
    outcome["error"] = OSError(errno.EACCES, "Permission denied")
    with pytest.raises(runfolder.RunFolderError, match="is in use by"), runfolder.claim(tmp_path / "run"):
        pass
    outcome["error"] = OSError(errno.EBADF, "Bad file descriptor")
    with pytest.raises(OSError, match="Bad file descriptor"), runfolder.claim(tmp_path / "run"):
        pass
