"""The cat-face scorer: its file, its distances, its calibration order, a GAN run's epochs, and bad input.

The calibration checks run on the faces the feature network never saw (the held-out 10 %), when the real
faces are at hand (GAN_DATA_DIR or ../shared/data), and always on generated stand-in faces: the order of the
damages and real-vs-real near 0 hold on both. The GAN-epoch check scores committed samples (no data needed).
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
import torch
import torchmetrics.image.fid
from testkit import real_data_dir
from torchmetrics.image.fid import FrechetInceptionDistance

from helpers import cat_scores, load_cat_faces
from helpers.data import standin_cat_faces
from helpers.infra import env
from helpers.scores.cats import (
    WEIGHTS,
    cat_features,
    distorted_sets,
    feature_distances,
    held_out_split,
    inception_fid,
    load_cat_feature_net,
)
from helpers.scores.distances import GivenFeatures, frechet_distance, gaussian_stats, kernel_distance

GAN_SAMPLES = Path(__file__).resolve().parent / "data" / "cat_gan_samples.npz"


def faces(kind: str) -> torch.Tensor:
    """The held-out real faces (skip when the real data is absent) or 1,600 stand-in faces, uint8 (N, 3, 64, 64)."""
    if kind == "stand-in":
        return standin_cat_faces(1600, seed=1)
    root = real_data_dir()
    if root is None:
        pytest.skip("the real cat faces are not present (GAN_DATA_DIR or ../shared/data): real-face calibration")
    images = load_cat_faces(root)
    return images[held_out_split(len(images))[1]]


def test_weights_file_is_small_and_complete() -> None:
    assert WEIGHTS.stat().st_size < 2.5e6
    model, ref = load_cat_feature_net()
    assert sum(p.numel() for p in model.parameters()) < 1e6
    assert ref["mu"].shape == (128,) and ref["sigma"].shape == (128, 128) and ref["kid"].shape == (2000, 128)
    mean_square = (ref["sigma"].trace() + ref["mu"].square().sum()).item() / 128
    assert mean_square == pytest.approx(1, rel=0.01)  # features scaled to a mean square of 1 each


def test_distances_agree_with_torchmetrics_and_kid_is_unbiased() -> None:
    g = torch.Generator().manual_seed(0)
    a = torch.randn(3000, 16, generator=g, dtype=torch.float64)
    b = torch.randn(3000, 16, generator=g, dtype=torch.float64) * 1.2 + 0.3
    fid = FrechetInceptionDistance(feature=GivenFeatures(16))
    fid.update(a, real=True)
    fid.update(b, real=False)
    assert frechet_distance(*gaussian_stats(a), *gaussian_stats(b)) == pytest.approx(float(fid.compute()), rel=1e-6)
    same, _ = kernel_distance(a[:1500], a[1500:], subsets=50, subset_size=500)
    apart, _ = kernel_distance(a, b, subsets=50, subset_size=500)
    assert abs(same) < 0.02 * apart
    assert kernel_distance(a, b, subsets=5, subset_size=200) == kernel_distance(a, b, subsets=5, subset_size=200)


@pytest.mark.parametrize("kind", ["real", "stand-in"])
def test_real_halves_score_near_zero_and_damage_far_in_order(kind: str) -> None:
    images = faces(kind)
    half = len(images) // 2
    a, b = images[:half], images[half : 2 * half]
    fa = cat_features(a)
    rows = {"real": feature_distances(fa, cat_features(b), kid_subsets=50, kid_subset_size=500)}
    for name, damaged in distorted_sets(b).items():
        rows[name] = feature_distances(fa, cat_features(damaged), kid_subsets=50, kid_subset_size=500)
    fd = {k: r["frechet_distance"] for k, r in rows.items()}
    kid = {k: r["kid_x1000"] for k, r in rows.items()}
    # the stand-ins' fur colours are random, so a colour change keeps them in distribution there
    far = ["blur 1", "blur 2", "noise 0.05", "noise 0.1", "down-up 2x", "one image repeated"]
    far += ["channels swapped"] if kind == "real" else []
    # real vs real: KID about 0, and both scores far below every damage
    assert abs(kid["real"]) < 0.1 * min(kid[k] for k in far), (kind, kid)
    assert fd["real"] < 0.5 * min(fd[k] for k in far), (kind, fd)  # FD at N = 800 carries its own bias
    if kind == "real":  # a mild tint is these features' weak spot (benchmarks/README.md): only above real
        assert fd["colour tint"] > fd["real"], fd
    # more damage of one kind scores worse, on both scores
    for more, less in [("blur 2", "blur 1"), ("noise 0.1", "noise 0.05")]:
        assert fd[more] > fd[less] and kid[more] > kid[less], (kind, more, less, fd, kid)
    # collapse to one image: FD sees the lost spread (KID depends on which image is repeated)
    assert fd["one image repeated"] > fd["noise 0.05"], (kind, fd)


@pytest.mark.skipif(not GAN_SAMPLES.exists(), reason=f"{GAN_SAMPLES.name} missing")
def test_scores_fall_as_a_gan_trains() -> None:
    """200 samples of one article-dcgan-cats run after each of its first epochs (benchmarks/cat_quality.py; CPU,
    seed 0)."""
    with np.load(GAN_SAMPLES) as z:
        epochs = sorted(z.files, key=lambda name: int(name.removeprefix("epoch")))
        scores = [cat_scores(z[name]) for name in epochs]
    assert len(scores) >= 2
    for earlier, later in zip(scores, scores[1:]):
        assert earlier["frechet_distance"] > later["frechet_distance"], scores
        assert earlier["kid_x1000"] > later["kid_x1000"] + 2 * later["kid_x1000_std"], scores


def test_uint8_and_float_inputs_score_alike() -> None:
    images = standin_cat_faces(64)
    as_uint8, as_float = cat_scores(images), cat_scores(images.float() / 255)
    assert as_uint8["n"] == as_float["n"] == 64
    assert as_uint8["frechet_distance"] == pytest.approx(as_float["frechet_distance"], rel=1e-6)
    assert as_uint8["kid_x1000"] == pytest.approx(as_float["kid_x1000"], rel=1e-6)


def _faces(n: int = 8) -> np.ndarray:
    return np.random.default_rng(0).random((n, 3, 64, 64), dtype=np.float32)


#: name -> (images, what the error says)
BAD_IMAGES = {
    "digits": (np.zeros((8, 1, 28, 28), np.float32), "(N, 3, 64, 64)"),
    "channels last": (_faces().transpose(0, 2, 3, 1), "permute(0, 3, 1, 2)"),
    "flat rows": (_faces().reshape(8, -1), "reshape(-1, 3, 64, 64)"),
    "[-1, 1] floats": (_faces() * 2 - 1, "helpers.to_unit"),
    "0..255 floats": (_faces() * 255, "divided by 255"),
    "NaN": (_faces() * np.nan, "NaN or infinite"),
    "uint8 0/1 mask": ((_faces() > 0.5).astype(np.uint8), "0/1 mask"),
    "one image": (_faces(1), "at least 2"),
}


@pytest.mark.parametrize("kind", list(BAD_IMAGES))
def test_cat_scores_refuse_what_is_not_faces_in_unit_range(kind: str) -> None:
    images, named = BAD_IMAGES[kind]
    with pytest.raises(ValueError, match="cat-face scores .*" + re.escape(named)):
        cat_scores(images)


def test_inception_fid_is_skipped_offline(monkeypatch, capsys) -> None:
    monkeypatch.setattr(env, "OFFLINE", True)
    assert inception_fid(standin_cat_faces(4), standin_cat_faces(4, seed=1)) is None
    assert "GAN_OFFLINE=1" in capsys.readouterr().out


def test_inception_fid_is_skipped_without_torch_fidelity(monkeypatch, capsys) -> None:
    def missing(*args: object, **kwargs: object) -> None:
        raise ModuleNotFoundError("FrechetInceptionDistance needs torch-fidelity: pip install torch-fidelity")

    monkeypatch.setattr(env, "OFFLINE", False)
    monkeypatch.setattr(torchmetrics.image.fid, "FrechetInceptionDistance", missing)  # never a download
    assert inception_fid(standin_cat_faces(4), standin_cat_faces(4, seed=1), verbose=True) is None
    assert "torch-fidelity" in capsys.readouterr().out


def test_score_cli_reads_the_dataset_off_the_shape(tmp_path, capsys) -> None:
    import json

    from helpers.cli.commands import main

    np.save(tmp_path / "cats.npy", standin_cat_faces(20).numpy())
    main(["score", str(tmp_path / "cats.npy")])
    scores = json.loads(capsys.readouterr().out)
    assert scores["dataset"] == "cats" and scores["n"] == 20 and scores["frechet_distance"] > 0
    np.save(tmp_path / "digits.npy", np.zeros((20, 1, 28, 28), np.float32))
    main(["score", str(tmp_path / "digits.npy")])
    assert json.loads(capsys.readouterr().out)["dataset"] == "mnist"


def test_score_cli_explains_other_shapes(tmp_path, cli_error) -> None:
    np.save(tmp_path / "odd.npy", np.zeros((20, 3, 32, 32), np.float32))
    error = cli_error(["score", str(tmp_path / "odd.npy")])
    assert "neither MNIST (N, 1, 28, 28) nor cat faces (N, 3, 64, 64)" in error and "--dataset" in error
    np.save(tmp_path / "cats.npy", standin_cat_faces(20).numpy())
    assert "MNIST scores need images of shape (N, 1, 28, 28)" in cli_error(
        ["score", str(tmp_path / "cats.npy"), "--dataset", "mnist"]
    )
