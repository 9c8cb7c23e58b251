"""`python -m helpers`: info, train (with resume), sample, score, and its error messages.

One end-to-end run in real processes; the rest in-process (test_bad_cli_input.py, test_run_folders.py...).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from testkit import needs_real_data

from helpers import draw_samples, load_cat_faces, load_pretrained
from helpers.cli.commands import main
from helpers.pretrained import PRETRAINED
from helpers.recipes import RECIPES
from helpers.sampling import Noise
from helpers.scores.cats import distorted_sets, held_out_split

ROOT = Path(__file__).resolve().parents[1]


def cli(*args: str, check: bool = True) -> subprocess.CompletedProcess:
    env = {**os.environ, "GAN_FAST": "1", "GAN_OFFLINE": "1", "GAN_DEVICE": "cpu"}
    result = subprocess.run(
        [sys.executable, "-m", "helpers", *args], capture_output=True, text=True, cwd=ROOT, env=env, timeout=300
    )
    if check and result.returncode != 0:
        raise AssertionError(result.stderr[-2000:])
    return result


def test_info(capsys) -> None:
    main(["info"])
    out = capsys.readouterr().out
    assert "device" in out and "MNIST" in out


def test_train_resume_sample_score(tmp_path, capsys) -> None:
    run = tmp_path / "run"
    cli("train", "article-gan-mnist", "--epochs", "1", "--limit", "640", "--track", "200", "--quiet", "--out", str(run))
    history = json.loads((run / "history.json").read_text())
    assert len(history["epoch_end_step"]) == 1 and (run / "samples.png").exists()
    out = cli(
        "train", "article-gan-mnist", "--epochs", "2", "--limit", "640", "--track", "200", "--quiet", "--out", str(run)
    )
    out = out.stdout
    assert "resuming" in out
    assert len(json.loads((run / "history.json").read_text())["epoch_end_step"]) == 2
    epochs = json.loads((run / "epochs.json").read_text())  # one entry an epoch, the resumed part appended
    assert [e["epoch"] for e in epochs] == [1, 2] and [e["steps"] for e in epochs] == [10, 20]
    assert all(e["scores"]["n"] == 200 and e["complete"] and "wasserstein" not in e for e in epochs)

    main(["sample", str(run), "--n", "50", "--out", str(tmp_path / "s.npy")])
    samples = np.load(tmp_path / "s.npy")
    assert samples.shape == (50, 1, 28, 28) and samples.dtype == np.float32
    assert 0 <= samples.min() and samples.max() <= 1
    capsys.readouterr()
    main(["score", str(tmp_path / "s.npy")])
    scores = json.loads(capsys.readouterr().out)
    assert scores["n"] == 50 and scores["frechet_distance"] > 0


def test_errors_are_one_line_messages(tmp_path, cli_error) -> None:
    assert "does not exist" in cli_error(["score", str(tmp_path / "missing.npy")])
    assert "not a finished run folder" in cli_error(["sample", str(tmp_path), "--out", str(tmp_path / "x.npy")])
    (tmp_path / "run").mkdir()
    (tmp_path / "run" / "run.json").write_text(json.dumps({"recipe": "article-gan-mnist"}))
    message = cli_error(["train", "vanilla-gan-mnist", "--epochs", "1", "--out", str(tmp_path / "run")])
    assert "choose another --out" in message


@pytest.mark.parametrize(
    "argv",
    [
        ["train", "no-such-recipe", "--epochs", "1", "--out", "x"],
        ["train"],
        ["train", "article-gan-mnist", "--epochs", "x", "--out", "x"],
    ],
)
def test_usage_errors(argv: list[str], cli_error) -> None:
    assert "--help" in cli_error(argv, code=2)


@needs_real_data
def test_score_of_cat_faces_adds_the_patch_distance_and_its_real_floor(tmp_path, real_data, capsys) -> None:
    faces = load_cat_faces()
    _, held = held_out_split(len(faces))
    path = tmp_path / "blurred.npy"
    np.save(path, distorted_sets(faces[held[:300]])["blur 2"].numpy())
    main(["score", str(path)])
    scores = json.loads(capsys.readouterr().out)
    assert scores["sliced_wasserstein_n"] == 300 and len(scores["sliced_wasserstein_x1000"]) == 3
    assert scores["sliced_wasserstein_mean"] > 2 * scores["sliced_wasserstein_real_faces"] > 0


def test_score_of_cat_faces_says_why_it_skips_the_patch_distance(tmp_path, monkeypatch, capsys) -> None:
    monkeypatch.setenv("GAN_DATA_DIR", str(tmp_path / "nowhere"))
    path = tmp_path / "s.npy"
    np.save(path, np.random.default_rng(0).random((20, 3, 64, 64), dtype=np.float32))
    main(["score", str(path)])
    scores = json.loads(capsys.readouterr().out)
    assert scores["n"] == 20 and scores["cat_patch_scores"].startswith("skipped: it compares with real cat faces")


@pytest.mark.parametrize("recipe", sorted(RECIPES))
def test_every_recipe_resumes_from_the_same_command(recipe: str, tmp_path, no_data, capsys) -> None:
    """Resuming after a disconnect is the same command again. Before, a critic's run never resumed: run.json
    recorded the batch times the critic's updates (320), the checkpoint the recipe's batch (64), and the second
    command refused "a run with other settings (batch_size 64, not 320)"."""
    spec = RECIPES[recipe]
    per_step = spec.batch_size * (spec.wgan_gp.n_critic if spec.wgan_gp else 1)
    out = tmp_path / "run"
    command = ["train", recipe, "--limit", str(2 * per_step), "--track", "0", "--quiet", "--out", str(out)]
    main([*command, "--epochs", "1"])
    main([*command, "--epochs", "1"])  # the same command: it resumes, and finds the epoch done
    assert "resuming from" in capsys.readouterr().out
    main([*command, "--epochs", "2"])
    history = json.loads((out / "history.json").read_text())
    assert history["epoch_end_step"] == [2, 4] and json.loads((out / "run.json").read_text())["recipe"] == recipe


def test_the_shipped_generator_samples_like_a_run(tmp_path, capsys) -> None:
    """Before, `sample` took run folders only: the shipped generator, made for readers without a GPU, could not be
    sampled or scored from the command line. Its file and its name draw the same samples as the library."""
    by_name, by_file = tmp_path / "name.npy", tmp_path / "file.npy"
    main(["sample", "--pretrained", "dcgan-cats", "--n", "12", "--seed", "5", "--out", str(by_name)])
    main(["sample", str(PRETRAINED["dcgan-cats"]), "--n", "12", "--seed", "5", "--out", str(by_file)])
    assert "(12, 3, 64, 64) float32" in capsys.readouterr().out
    G, _ = load_pretrained("dcgan-cats")
    expected = draw_samples(G, Noise(G.latent_dim, "cpu"), 12, seed=5).numpy()
    assert np.array_equal(np.load(by_name), expected) and np.array_equal(np.load(by_file), expected)
