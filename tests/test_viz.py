"""Figures: image grids in the series' one convention, the static strip of an animation, and curves whose
titles do not collide."""

from __future__ import annotations

import re

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import pytest
import torch

from helpers import History, animate, plot_history, show_frames, show_image_grids, show_images, to_unit
from helpers.data import BadDataError
from helpers.viz import grid_array


def frames(n: int) -> list[np.ndarray]:
    """``n`` uint8 frames, frame ``i`` all of value ``10 * i``."""
    return [np.full((10, 10, 3), 10 * i, dtype=np.uint8) for i in range(n)]


def test_show_frames_picks_the_first_the_last_and_evenly_between() -> None:
    fig = show_frames(frames(16), [f"epoch {i + 1}" for i in range(16)], count=4)
    assert [ax.get_title() for ax in fig.axes] == ["epoch 1", "epoch 6", "epoch 11", "epoch 16"]
    assert [int(ax.images[0].get_array()[0, 0, 0]) for ax in fig.axes] == [0, 50, 100, 150]
    plt.close(fig)
    fig = show_frames(frames(2), ["a", "b"], count=4)  # fewer frames than panels: each once
    assert [ax.get_title() for ax in fig.axes] == ["a", "b"]
    plt.close(fig)


def test_plot_history_suptitle_stays_above_the_panel_titles() -> None:
    history = History({"loss_d": [1.0] * 20, "loss_g": [2.0] * 20, "d_real": [0.6] * 20, "d_fake": [0.4] * 20})
    fig = plot_history(history, smooth=5, title="A long title for the whole figure")
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    top = fig._suptitle.get_window_extent(renderer)
    for ax in fig.axes:
        assert ax.title.get_window_extent(renderer).y1 <= top.y0, "the suptitle overlaps a panel title"
    plt.close(fig)


def test_plot_history_draws_a_critics_scores_on_their_own_scale() -> None:
    """Before, the right panel was fixed to 0-1 for a Wasserstein critic too, whose scores run far outside it."""
    scores = {"d_real": [40.0] * 20, "d_fake": [-30.0] * 20, "wasserstein": [70.0] * 20}
    critic = History({"loss_d": [-70.0] * 20, "loss_g": [30.0] * 20} | scores)
    fig = plot_history(critic, smooth=5)
    right = fig.axes[1]
    low, high = right.get_ylim()
    assert low < -30 and high > 70 and "Critic" in right.get_title()
    assert [line.get_label() for line in right.lines] == [
        "mean score of real images",
        "of fakes",
        "Wasserstein estimate",
    ]
    plt.close(fig)
    fig = plot_history(
        History({"loss_d": [1.0] * 20, "loss_g": [2.0] * 20, "d_real": [0.6] * 20, "d_fake": [0.4] * 20})
    )
    assert fig.axes[1].get_ylim() == (0, 1)
    plt.close(fig)


@pytest.mark.parametrize(
    "names, size",
    [
        (("real digits", "our recipe, 8 epochs", "article recipe"), 4.2),
        # notebook 05's six panels with two-line titles, whose figure title once sat on the middle panels' titles
        tuple([tuple(f"+ remedy {i}\nFréchet 714, 1.7 classes" for i in range(6)), 2.9]),
    ],
)
def test_image_grids_side_by_side_keep_the_figure_title_clear_of_the_panel_titles(names, size: float) -> None:
    grids = {name: torch.zeros(36, 1, 28, 28) for name in names}
    title = "Real vs generated (same CPU time for both GANs)"
    fig = show_image_grids(grids, title=title, nrow=6, size=size)
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    top = next(t for t in fig.texts if t.get_text() == title).get_window_extent(renderer)
    assert [ax.get_title() for ax in fig.axes] == list(grids)
    for ax in fig.axes:
        assert ax.title.get_window_extent(renderer).y1 <= top.y0, "the figure title overlaps a panel title"
    plt.close(fig)


def pixels() -> torch.Tensor:
    return torch.randint(0, 256, (6, 3, 8, 8), dtype=torch.uint8, generator=torch.Generator().manual_seed(0))


def test_floats_in_unit_range_draw_the_pixels_uint8_draws() -> None:
    """Before, grids read floats as [-1, 1]: draw_samples' output (in [0, 1]) came out washed out."""
    u8 = pixels()
    assert np.array_equal(grid_array(u8.float() / 255, nrow=3), grid_array(u8, nrow=3))
    ax = show_images(u8.float() / 255, nrow=3)
    assert np.array_equal(ax.images[0].get_array(), grid_array(u8, nrow=3))
    plt.close(ax.figure)
    signed = u8.float() / 127.5 - 1  # a generator's range, converted at the boundary
    assert np.abs(grid_array(to_unit(signed), nrow=3).astype(int) - grid_array(u8, nrow=3)).max() <= 1


@pytest.mark.parametrize(
    ("images", "says"),
    [
        (pixels().float() / 127.5 - 1, "helpers.to_unit(images)"),
        (pixels().float(), "divided by 255"),
        (torch.full((2, 1, 4, 4), float("nan")), "NaN"),
        (torch.rand(2, 8, 8, 3), "permute(0, 3, 1, 2)"),
    ],
    ids=["[-1, 1] floats", "0..255 floats", "NaN", "channels last"],
)
def test_every_image_plot_refuses_what_it_would_draw_wrong(images, says) -> None:
    for draw in (grid_array, show_images, lambda x: show_image_grids({"panel": x})):
        with pytest.raises(BadDataError, match=r"^image grids .*" + re.escape(says)):
            draw(images)
    plt.close("all")


def test_animation_frames_follow_the_same_convention() -> None:
    frames = [np.full((4, 4, 3), 0.5, dtype=np.float32), np.zeros((4, 4, 3), dtype=np.float32)]
    fig = show_frames(frames, ["a", "b"])
    assert int(fig.axes[0].images[0].get_array()[0, 0, 0]) == 128  # float 0.5 read as [0, 1]
    plt.close(fig)
    signed = [frame * 2 - 1 for frame in frames]
    for draw in (lambda f: show_frames(f, ["a", "b"]), animate):
        with pytest.raises(BadDataError, match=r"animation frames need pixel values in \[0, 1\].*to_unit"):
            draw(signed)
    plt.close("all")
