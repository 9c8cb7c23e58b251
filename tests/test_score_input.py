"""Everything `python -m helpers score` and `helpers.scores.mnist.mnist_scores` can be handed (#15 row 12).

Scored: finite float values in [0, 1] or uint8 pixels 0..255, (N, 1, 28, 28) or (N, 28, 28), N >= 2, from a
.npy file. Anything else is refused with what it is and what to pass, never scored as something it is not.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest
import torch

from helpers.data import DATASETS, BadDataError
from helpers.scores import score_against_real, score_samples
from helpers.scores.mnist import mnist_scores


def digits(n: int = 20) -> np.ndarray:
    return np.random.default_rng(0).random((n, 1, 28, 28), dtype=np.float32)


def with_nan() -> np.ndarray:
    images = digits()
    images[3, 0, 5, 5] = np.nan
    return images


#: name -> (images, what the error says)
BAD_IMAGES = {
    "one NaN": (with_nan(), "1 of 20 images with NaN"),
    "inf": (digits() * np.inf, "NaN or infinite"),
    "uint8 0/1 mask": ((digits() > 0.5).astype(np.uint8), "0/1 mask"),
    "bool mask": (digits() > 0.5, "got torch.bool"),
    "int64 pixels": ((digits() * 255).astype(np.int64), "got torch.int64"),
    "object array": (np.array([object()] * 3), "numeric array"),
    "strings": (np.array(["a", "b"]), "numeric array"),
    "0..255 floats": (digits() * 255, "divided by 255"),
    "[-1, 1] floats": (digits() * 2 - 1, "helpers.to_unit"),
    "flat rows": (digits().reshape(20, 784), "reshape(-1, 1, 28, 28)"),
    "channels last": (digits().reshape(20, 28, 28, 1), "(N, 1, 28, 28)"),
    "one image": (digits(1), "at least 2"),
    "no images": (digits(0), "at least 2"),
}


@pytest.mark.parametrize("kind", list(BAD_IMAGES))
def test_mnist_scores_refuse_what_is_not_images_in_unit_range(kind: str) -> None:
    images, named = BAD_IMAGES[kind]
    with pytest.raises(ValueError, match=re.escape(named)):
        mnist_scores(images)


def test_mnist_scores_take_floats_and_uint8_pixels_alike() -> None:
    images = digits()
    as_float = mnist_scores(images[:, 0].astype(np.float64))
    as_uint8 = mnist_scores(torch.from_numpy(np.round(images * 255).astype(np.uint8)))
    assert as_float["n"] == as_uint8["n"] == 20
    assert as_float["frechet_distance"] == pytest.approx(as_uint8["frechet_distance"], rel=1e-3)


def _cut_npy(path: Path) -> None:
    np.save(path, digits())
    path.write_bytes(path.read_bytes()[:-100])


#: name -> (how to write the file, what the error says)
BAD_FILES = {
    "npz": (lambda p: np.savez(open(p, "wb"), images=digits()), "a NumPy .npz archive, not a NumPy .npy array"),
    "pt": (lambda p: torch.save(torch.from_numpy(digits()), p), "a PyTorch file, not a NumPy .npy array"),
    "text": (lambda p: p.write_text("0.5 0.5\n"), "a text file, not a NumPy .npy array"),
    "object npy": (lambda p: np.save(p, np.array([{"a": 1}]), allow_pickle=True), "cannot read as numbers"),
    "cut-short npy": (_cut_npy, "cannot read as numbers"),
    "NaN npy": (lambda p: np.save(p, with_nan()), "with NaN"),
    "mask npy": (lambda p: np.save(p, (digits() > 0.5).astype(np.uint8)), "0/1 mask"),
    "folder": (lambda p: p.mkdir(), "is a folder"),
}


@pytest.mark.parametrize("kind", list(BAD_FILES))
def test_score_says_what_the_file_is(kind: str, tmp_path, cli_error) -> None:
    """Tracebacks (LinAlgError, TypeError, UnpicklingError) or a silent near-black score before."""
    make, named = BAD_FILES[kind]
    make(tmp_path / "samples.npy")
    assert named in cli_error(["score", str(tmp_path / "samples.npy")])


def test_batches_scores_and_plots_share_one_validator_and_its_messages() -> None:
    """Before, TensorBatches and the scores each had their own checks, worded apart, and the plots none."""
    from helpers import TensorBatches, cat_scores
    from helpers.viz import grid_array

    faces = torch.zeros(4, 64, 64, 3, dtype=torch.uint8)  # channels last
    messages = []
    for use in (lambda x: TensorBatches(x, 2), cat_scores, grid_array):
        with pytest.raises(BadDataError) as err:
            use(faces)
        messages.append(str(err.value))
    fix = "got (4, 64, 64, 3); channels-last images (N, H, W, C) go through images.permute(0, 3, 1, 2) first."
    assert all(message.endswith(fix) for message in messages), messages


@pytest.mark.parametrize("name", list(DATASETS))
def test_score_reads_the_dataset_off_the_table(name: str, tmp_path, capsys) -> None:
    """The command line finds the dataset, and its scorer, in the one datasets table."""
    from helpers.cli.commands import main

    dataset = DATASETS[name]
    images = np.random.default_rng(0).random((4, *dataset.shape), dtype=np.float32)
    np.save(tmp_path / "s.npy", images)
    main(["score", str(tmp_path / "s.npy")])
    printed = json.loads(capsys.readouterr().out)
    assert printed.pop("dataset") == name
    expected = json.loads(json.dumps(score_samples(name, images)))
    assert {key: printed.pop(key) for key in expected} == expected
    assert printed == json.loads(json.dumps(score_against_real(name, images)))  # only cat faces have any
    assert bool(printed) == (name == "cats") and all(key.startswith("sliced_wasserstein") for key in printed)
    assert dataset.holds((4, *dataset.shape))


def test_recipes_make_the_images_of_their_dataset_in_the_table() -> None:
    from helpers.recipes import RECIPES

    for recipe in RECIPES.values():
        G = recipe.networks()[0].eval()
        given = () if recipe.num_classes is None else (torch.zeros(1, dtype=torch.long),)
        assert G(torch.zeros(1, recipe.latent_dim), *given).shape[1:] == DATASETS[recipe.dataset].shape, recipe.name


def test_score_names_every_dataset_of_the_table_for_another_shape(tmp_path, cli_error) -> None:
    np.save(tmp_path / "s.npy", np.zeros((4, 3, 32, 32), np.float32))
    line = cli_error(["score", str(tmp_path / "s.npy")])
    assert "neither MNIST (N, 1, 28, 28) nor cat faces (N, 3, 64, 64)" in line and "--dataset mnist|cats" in line
