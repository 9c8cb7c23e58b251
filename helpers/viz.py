"""Pictures of what the networks do: image grids, training curves, animations, widgets."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import torch
from matplotlib import animation
from matplotlib.patches import Rectangle
from torch import nn
from torchvision.utils import make_grid

from .data import check_images, to_unit
from .history import History
from .loop import EpochEnd
from .sampling import eval_mode, slerp


def _uint8_pixels(unit: torch.Tensor) -> np.ndarray:
    """Float values in [0, 1] (``UNIT_TOLERANCE`` outside clamped) as uint8 0..255, channels last."""
    return (unit.clamp(0.0, 1.0).movedim(-3, -1).numpy() * 255).round().astype(np.uint8)


def _frame_pixels(frames: Sequence[np.ndarray]) -> np.ndarray:
    """``frames``, each ``(H, W, C)`` in uint8 0..255 or float in [0, 1] (checked as :func:`grid_array` checks
    images), as one uint8 array ``(N, H, W, C)``."""
    stack = torch.as_tensor(np.stack(frames)).permute(0, 3, 1, 2)
    return _uint8_pixels(check_images(stack, "animation frames", min_count=1).cpu())


def grid_array(images: torch.Tensor | np.ndarray, nrow: int = 8) -> np.ndarray:
    """A uint8 ``(H, W, 3)`` grid of ``images`` ``(N, C, H, W)``, ``nrow`` to a row, 2 px white lines between.

    ``images``: uint8 pixels 0..255 or float values in [0, 1], the series' convention outside the networks (a
    generator's output in [-1, 1] goes through :func:`helpers.to_unit` first). Raises :class:`helpers.data.BadDataError`
    (a ``ValueError``) that says what to pass for anything else: floats outside [0, 1], NaN, other shapes.
    """
    unit = check_images(images, "image grids", min_count=1).cpu()
    return _uint8_pixels(make_grid(unit, nrow=nrow, padding=2, pad_value=1.0))


def show_images(
    images: torch.Tensor | np.ndarray, nrow: int = 8, title: str = "", ax: plt.Axes | None = None, size: float = 4.0
) -> plt.Axes:
    """Draw a grid of images, uint8 pixels 0..255 or float values in [0, 1] (:func:`grid_array`; a generator's
    output in [-1, 1] goes through :func:`helpers.to_unit` first), on ``ax`` or a new ``size``-inch figure."""
    if ax is None:
        _, ax = plt.subplots(figsize=(size, size))
    ax.imshow(grid_array(images, nrow), interpolation="nearest")
    ax.set_title(title)
    ax.axis("off")
    return ax


def show_image_grids(grids: dict[str, torch.Tensor], title: str = "", nrow: int = 8, size: float = 4.2) -> plt.Figure:
    """Image grids side by side, one panel per entry of ``grids`` (panel title -> images as :func:`show_images`
    takes them: uint8, or float in [0, 1]), under one figure ``title``; ``size``: inches per panel."""
    lines = max(name.count("\n") + 1 for name in grids) + (1 if title else 0)  # text rows above the grids
    height = size + 0.3 * max(lines, 2)
    fig, axes = plt.subplots(1, len(grids), figsize=(size * len(grids), height), layout="constrained")
    for ax, (name, images) in zip(np.atleast_1d(axes), grids.items()):
        show_images(images, nrow=nrow, title=name, ax=ax)
    if title:  # a row of its own: the layout engine leaves none above square panels that fill their width
        fig.text(0.5, 1.0, title, ha="center", va="bottom", fontsize="large")
    return fig


def moving_average(values: Sequence[float], window: int) -> np.ndarray:
    """Means of ``window`` consecutive values (``len - window + 1`` of them); the values as they are when
    ``window <= 1`` or there are fewer than ``window``."""
    values = np.asarray(values, dtype=float)
    if window <= 1 or len(values) < window:
        return values
    return np.convolve(values, np.ones(window) / window, mode="valid")


#: How :func:`plot_history` labels each statistic, for a discriminator and for a Wasserstein critic.
_LABELS = {
    "loss_d": "discriminator loss",
    "loss_g": "generator loss",
    "d_real": "D(x) on real images",
    "d_fake": "D(G(z)) on fakes",
}
_CRITIC_LABELS = _LABELS | {"loss_d": "critic loss", "d_real": "mean score of real images", "d_fake": "of fakes"}


def plot_history(history: History, smooth: int = 50, title: str = "") -> plt.Figure:
    """Losses (left) and the discriminator's mean outputs (right) against training steps.

    Curves are moving averages over ``smooth`` steps; dotted lines mark epoch ends. D's outputs are
    probabilities, drawn on 0..1 with ½ marked; a Wasserstein critic's (``history.critic``) are scores on an axis
    of their own, with the critic's estimate of the Wasserstein distance (their difference) beside them.
    """
    fig, (ax_loss, ax_d) = plt.subplots(1, 2, figsize=(11, 3.8), layout="constrained")
    offset = (smooth - 1) if history.steps >= smooth > 1 else 0
    labels = _CRITIC_LABELS if history.critic else _LABELS
    right = ("d_real", "d_fake", "wasserstein") if history.critic else ("d_real", "d_fake")
    for ax, keys, ylabel in ((ax_loss, ("loss_d", "loss_g"), "loss"), (ax_d, right, "mean D output")):
        for key in keys:
            y = moving_average(history[key], smooth)
            ax.plot(np.arange(len(y)) + offset, y, label=labels.get(key, "Wasserstein estimate"))
        for step in history.epoch_end_step[:-1] if len(history.epoch_end_step) <= 60 else []:
            ax.axvline(step, color="grey", lw=0.5, ls=":")
        ax.set_xlabel("training step")
        ax.set_ylabel(ylabel)
        ax.legend()
    ax_loss.set_title("Losses" + (f" ({smooth}-step moving average)" if smooth > 1 else ""))
    if history.critic:
        ax_d.set_ylabel("mean critic score")
        ax_d.set_title("Critic scores (any real number)")
    else:
        ax_d.set_ylim(0, 1)
        ax_d.axhline(0.5, color="black", lw=0.8, ls="--")
        ax_d.set_title("Discriminator outputs (0.5 = cannot tell)")
    if title:
        fig.suptitle(title)
    return fig


class SampleRecorder:
    """Callback for :func:`helpers.fit`: a grid of ``G(fixed_noise)`` after every epoch (``G(fixed_noise,
    labels)`` for a conditional generator, given ``labels``, one class per noise vector).

    The same noise every time, so the frames show one set of samples evolving; ``G``'s train/eval modes are
    back as they were after each frame. Pass the averaged generator (``setup.G_ema``) to watch the network a
    recipe samples from. Frames stay in memory (``frames``, with ``epochs`` their labels: an epoch's number, or
    ``"12 (part)"`` for an epoch a time budget cut short) for :func:`animate`, and are saved as PNG when ``folder``
    is given; frames already in ``folder`` (``epoch_NNN.png``, from the part of a run before a disconnect) are
    loaded first, so a resumed run still has them all.
    """

    def __init__(
        self,
        G: nn.Module,
        fixed_noise: torch.Tensor,
        nrow: int = 8,
        folder: str | Path | None = None,
        labels: torch.Tensor | None = None,
    ) -> None:
        self.G, self.fixed_noise, self.nrow, self.labels = G, fixed_noise, nrow, labels
        self.folder = Path(folder) if folder else None
        self.frames: list[np.ndarray] = []
        self.epochs: list[int | str] = []
        for png in sorted(self.folder.glob("epoch_*.png")) if self.folder is not None else []:
            self.frames.append((plt.imread(png)[..., :3] * 255).round().astype(np.uint8))
            self.epochs.append(int(png.stem.removeprefix("epoch_")))

    @torch.no_grad()
    def __call__(self, end: EpochEnd) -> None:
        given = () if self.labels is None else (self.labels,)
        with eval_mode(self.G) as G:
            frame = grid_array(to_unit(G(self.fixed_noise, *given)), self.nrow)
        self.frames.append(frame)
        self.epochs.append(end.epoch if end.complete else f"{end.epoch} (part)")
        if self.folder is not None and end.complete:
            self.folder.mkdir(parents=True, exist_ok=True)
            plt.imsave(self.folder / f"epoch_{end.epoch:03d}.png", frame)


def animate(frames: Sequence[np.ndarray], labels: Sequence[str] = (), interval_ms: int = 300, size: float = 4.0) -> str:
    """An HTML/JavaScript player of ``frames``, each ``(H, W, C)`` in uint8 0..255 or float in [0, 1] (e.g.
    :class:`SampleRecorder` grids), titled by ``labels``; ``size`` in inches. Raises
    :class:`helpers.data.BadDataError` for frames outside that convention, saying what to pass."""
    frames = _frame_pixels(frames)
    fig, ax = plt.subplots(figsize=(size, size))
    ax.axis("off")
    shown = ax.imshow(frames[0], interpolation="nearest")
    text = ax.set_title(labels[0] if labels else "")

    def update(i: int) -> list:
        shown.set_data(frames[i])
        text.set_text(labels[i] if labels else "")
        return [shown, text]

    anim = animation.FuncAnimation(fig, update, frames=len(frames), interval=interval_ms)
    html = anim.to_jshtml(default_mode="once")
    plt.close(fig)
    return html


def show_frames(frames: Sequence[np.ndarray], labels: Sequence[str], count: int = 4, size: float = 3.0) -> plt.Figure:
    """A row of ``count`` of ``frames`` (first, last, and evenly spaced between), titled by ``labels``.

    The static twin of :func:`animate`: a picture that renders where JavaScript does not (GitHub's
    notebook view). ``frames``: ``(H, W, C)`` arrays in uint8 0..255 (such as :class:`SampleRecorder` keeps)
    or float in [0, 1]; ``size``: inches per panel. Raises :class:`helpers.data.BadDataError` as :func:`animate` does.
    """
    frames = _frame_pixels(frames)
    picked = np.unique(np.linspace(0, len(frames) - 1, min(count, len(frames))).round().astype(int))
    fig, axes = plt.subplots(1, len(picked), figsize=(size * len(picked), size + 0.4), layout="constrained")
    for ax, i in zip(np.atleast_1d(axes), picked):
        ax.imshow(frames[i], interpolation="nearest")
        ax.set_title(labels[i])
        ax.axis("off")
    return fig


def draw_zero_insertion(h_in: int, k: int, s: int, p: int, op: int, ax: plt.Axes) -> None:
    """Draw the grid a transposed convolution's zero-insertion view convolves (notebook 03's recipe A).

    ``h_in`` inputs per side (blue, labelled), ``s - 1`` inserted zeros between them (white) and
    ``k - 1 - p`` padding zeros around (grey; ``output_padding`` ``op`` more at the bottom and right), with
    the first ``k`` x ``k`` kernel window in red. A padding larger than ``k - 1`` crops instead: a dashed
    orange square marks the part kept. The title gives the output size.
    """
    spread = (h_in - 1) * s + 1
    before, after = k - 1 - p, k - 1 - p + op
    n = spread + max(before, 0) + max(after, 0)
    off = max(before, 0)
    for r, col in itertools.product(range(n), range(n)):
        rr, cc = r - off, col - off
        inside = 0 <= rr < spread and 0 <= cc < spread
        is_input = inside and rr % s == 0 and cc % s == 0
        colour = "tab:blue" if is_input else ("white" if inside else "lightgrey")
        ax.add_patch(Rectangle((col, n - 1 - r), 1, 1, facecolor=colour, edgecolor="black", lw=0.5))
        if is_input:
            ax.text(
                col + 0.5, n - 0.5 - r, f"x{rr // s},{cc // s}", ha="center", va="center", fontsize=7, color="white"
            )
    ax.add_patch(Rectangle((0, n - k), k, k, fill=False, edgecolor="tab:red", lw=2.5))  # first kernel window
    if before < 0:  # padding larger than k - 1: the output is cropped instead
        ax.add_patch(
            Rectangle(
                (-before, -after if after < 0 else 0),
                n + before + min(after, 0),
                n + before + min(after, 0),
                fill=False,
                edgecolor="tab:orange",
                lw=2,
                ls="--",
            )
        )
    ax.set_xlim(-0.2, n + 0.2)
    ax.set_ylim(-0.2, n + 0.2)
    ax.set_aspect("equal")
    ax.axis("off")
    h_out = (h_in - 1) * s - 2 * p + (k - 1) + op + 1
    ax.set_title(f"in {h_in}, k={k}, s={s}, p={p}, output_padding={op} -> out {h_out}")


def interpolation_explorer(G: nn.Module, noise_of_seed: Callable[[int], torch.Tensor], title: str = "") -> object:
    """An ipywidgets panel: pick two seeds, slide from one sample to the other.

    ``noise_of_seed(seed)`` returns one latent vector (shape ``(1, latent_dim)``),
    so the seeds name reproducible points in latent space.
    """
    import ipywidgets as widgets  # optional: only this widget needs it, and headless machines may lack it

    @torch.no_grad()  # the widget calls draw long after this function returned: each call sets its own mode
    def draw(seed_a: int, seed_b: int, t: float) -> None:
        z = slerp(noise_of_seed(seed_a), noise_of_seed(seed_b), t)
        path = torch.cat([slerp(noise_of_seed(seed_a), noise_of_seed(seed_b), s) for s in np.linspace(0, 1, 8)])
        with eval_mode(G):
            one, row = to_unit(G(z)), to_unit(G(path))
        fig, (ax_big, ax_row) = plt.subplots(1, 2, figsize=(9, 3), gridspec_kw={"width_ratios": [1, 3]})
        show_images(one, nrow=1, ax=ax_big, title=f"t = {t:.2f}")
        show_images(row, nrow=8, ax=ax_row, title=f"seed {seed_a} -> seed {seed_b}")
        if title:
            fig.suptitle(title)
        plt.show()

    return widgets.interactive(
        draw,
        seed_a=widgets.IntSlider(value=0, min=0, max=99, description="seed A"),
        seed_b=widgets.IntSlider(value=1, min=0, max=99, description="seed B"),
        t=widgets.FloatSlider(value=0.5, min=0.0, max=1.0, step=0.05, description="A -> B"),
    )
