"""helpers.sliced_wasserstein: patch statistics per scale, near 0 for real vs real, large for damaged images."""

from __future__ import annotations

import pytest
import torch

from helpers import sliced_wasserstein
from helpers.data import standin_cat_faces
from helpers.scores.cats import distorted_sets


@pytest.fixture(scope="module")
def faces() -> torch.Tensor:
    return standin_cat_faces(400)


def test_real_halves_are_closer_than_blurred_or_noisy_faces_at_the_fine_scale(faces) -> None:
    a, b = faces[:200], faces[200:]
    real = sliced_wasserstein(a, b)
    assert len(real["levels"]) == 3  # 64, 32, 16 px
    damaged = distorted_sets(b)
    for name in ("blur 1", "noise 0.1"):
        fine = sliced_wasserstein(a, damaged[name])["levels"][0]
        assert fine > 3 * real["levels"][0], (name, fine, real)


def test_the_same_set_scores_zero_and_numbers_repeat(faces) -> None:
    a = faces[:100]
    assert sliced_wasserstein(a, a)["mean"] == pytest.approx(0, abs=1e-6)
    assert sliced_wasserstein(a, faces[100:200]) == sliced_wasserstein(a, faces[100:200])
    assert sliced_wasserstein(a, a.float() / 255)["mean"] == pytest.approx(0, abs=1e-4)  # uint8 == float in [0, 1]


@pytest.mark.parametrize(
    "fake, match",
    [
        (torch.zeros(50, 3, 64, 64, dtype=torch.uint8), "equal size"),
        (torch.rand(100, 3, 64, 64) * 2 - 1, "to_unit"),
        (torch.rand(100, 64, 64, 3), "permute"),
    ],
)
def test_bad_input_says_what_to_do(faces, fake, match) -> None:
    with pytest.raises(ValueError, match=match):
        sliced_wasserstein(faces[:100], fake)
