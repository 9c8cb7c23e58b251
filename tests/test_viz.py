"""Figures: the static strip of an animation, and curves whose titles do not collide."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import torch

from helpers import History, plot_history, show_frames, show_image_grids


def frames(n: int) -> list[np.ndarray]:
    return [np.full((10, 10, 3), i, dtype=np.uint8) for i in range(n)]


def test_show_frames_picks_the_first_the_last_and_evenly_between() -> None:
    fig = show_frames(frames(16), [f"epoch {i + 1}" for i in range(16)], count=4)
    assert [ax.get_title() for ax in fig.axes] == ["epoch 1", "epoch 6", "epoch 11", "epoch 16"]
    assert [int(ax.images[0].get_array()[0, 0, 0]) for ax in fig.axes] == [0, 5, 10, 15]
    plt.close(fig)
    fig = show_frames(frames(2), ["a", "b"], count=4)  # fewer frames than panels: each once
    assert [ax.get_title() for ax in fig.axes] == ["a", "b"]
    plt.close(fig)


def test_plot_history_suptitle_stays_above_the_panel_titles() -> None:
    history = History(loss_d=[1.0] * 20, loss_g=[2.0] * 20, d_real=[0.6] * 20, d_fake=[0.4] * 20)
    fig = plot_history(history, smooth=5, title="A long title for the whole figure")
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    top = fig._suptitle.get_window_extent(renderer)
    for ax in fig.axes:
        assert ax.title.get_window_extent(renderer).y1 <= top.y0, "the suptitle overlaps a panel title"
    plt.close(fig)


def test_image_grids_side_by_side_keep_the_figure_title_clear_of_the_panel_titles() -> None:
    grids = {name: torch.zeros(64, 1, 28, 28) for name in ("real digits", "our recipe, 8 epochs", "article recipe")}
    fig = show_image_grids(grids, title="Real vs generated (same CPU time for both GANs)")
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    top = fig._suptitle.get_window_extent(renderer)
    assert [ax.get_title() for ax in fig.axes] == list(grids)
    for ax in fig.axes:
        assert ax.title.get_window_extent(renderer).y1 <= top.y0, "the figure title overlaps a panel title"
    plt.close(fig)
