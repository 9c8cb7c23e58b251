"""Where do healthy runs sit on the statistics that ``fit``'s health warnings watch, and where do failing ones?

    flock /tmp/cpu.lock python benchmarks/health_calibration.py --out benchmarks/results/health_histories.npz

Trains, with the health checks off, every registered recipe on its real dataset (MNIST recipes
4 epochs of 250 steps, ``article-dcgan-cats`` ``--cat-epochs`` epochs of the 15,747 faces) and the failures of
notebook 05 (``vanilla-gan-mnist`` with D 20x faster than G, with the non-saturating and the
saturating generator loss; G 10x faster), seed 0. For each run it prints the windows that
:class:`helpers.health.HealthMonitor` would look at (as ``fit`` cuts them) where a warning
condition holds, and saves the per-step ``loss_g``, ``d_real`` and ``d_fake`` to ``--out``, which
``tests/test_health.py`` replays through the monitor.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import torch

from helpers import fit, get_device, train_step
from helpers.data import load_dataset
from helpers.health import HEALTH_D_WINS, HEALTH_EVERY, HEALTH_LOSS_G_LIMIT
from helpers.models import MLPDiscriminator
from helpers.recipes import RECIPES, build

STEPS_PER_EPOCH = 250
KEYS = ("loss_g", "d_real", "d_fake")


def train(
    name: str,
    device: torch.device,
    epochs: int,
    *,
    lr_g_factor: float = 1.0,
    d_dropout: float | None = None,
    saturating: bool = False,
    images: torch.Tensor,
) -> dict:
    """Train recipe ``name`` (optionally with notebook 05's changes); per-step statistics and epoch ends."""
    setup = build(name, device, seed=0, images=images, precision="auto")
    G, D, opt_g, opt_d = setup.G, setup.D, setup.opt_g, setup.opt_d
    if d_dropout is not None:
        torch.manual_seed(1)
        D = MLPDiscriminator(hidden=(512, 256), dropout=d_dropout).to(device)
        opt_d = torch.optim.Adam(D.parameters(), lr=setup.recipe.lr_d, betas=setup.recipe.betas)
    if lr_g_factor != 1.0:
        opt_g = torch.optim.Adam(G.parameters(), lr=setup.recipe.lr_g * lr_g_factor, betas=setup.recipe.betas)

    def step(real: torch.Tensor) -> dict[str, torch.Tensor]:
        options = {"precision": setup.precision, "saturating": saturating, "G_ema": setup.G_ema}
        return train_step(G, D, real, setup.noise, opt_g, opt_d, **options)

    state = {"G": G, "D": D, "opt_g": opt_g, "opt_d": opt_d, "G_ema": setup.G_ema}
    history = fit(step, setup.data, state=state, epochs=epochs, health=False, progress=False)
    return {
        "stats": np.array([history[k] for k in KEYS], dtype=np.float32),
        "epoch_end_step": np.array(history.epoch_end_step),
    }


def flagged_windows(run: dict, saturating: bool) -> list[str]:
    """The windows (cut per epoch, as ``fit`` does) in which a warning condition holds."""
    loss_g, d_real, d_fake = run["stats"]
    found, start = [], 0
    for end in run["epoch_end_step"]:
        for a in range(start, end, HEALTH_EVERY):
            b = min(a + HEALTH_EVERY, end)
            if b - a < HEALTH_EVERY // 2:
                continue
            wins = d_real[a:b].mean() > HEALTH_D_WINS and d_fake[a:b].mean() < 1 - HEALTH_D_WINS
            explodes = not saturating and loss_g[a:b].mean() > HEALTH_LOSS_G_LIMIT
            if wins or explodes:
                found.append(
                    f"{a}-{b - 1}: loss G {loss_g[a:b].mean():.1f}, D(x) {d_real[a:b].mean():.3f}, "
                    f"D(G(z)) {d_fake[a:b].mean():.4f}"
                )
        start = end
    return found


def main() -> None:
    """Train each run, print its flagged windows, save the statistics."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--cat-epochs", type=int, default=3)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    device = get_device(args.device)
    mnist = load_dataset("mnist")
    runs: dict[str, tuple[dict, bool]] = {}
    plans = [(name, {}, False) for name in RECIPES if RECIPES[name].dataset == "mnist"]
    plans += [
        ("vanilla-gan-mnist", {"lr_g_factor": 1 / 20, "d_dropout": 0.0}, False),
        ("vanilla-gan-mnist", {"lr_g_factor": 1 / 20, "d_dropout": 0.0}, True),
        ("vanilla-gan-mnist", {"lr_g_factor": 10.0}, False),
    ]
    labels = [name for name, _, _ in plans[:-3]] + ["05-d-20x-faster", "05-d-20x-faster-saturating", "05-g-10x-faster"]
    for label, (name, changes, saturating) in zip(labels, plans):
        start = time.perf_counter()
        images = mnist[: STEPS_PER_EPOCH * RECIPES[name].batch_size]
        epochs = 6 if label.startswith("05") else 4
        runs[label] = (train(name, device, epochs, saturating=saturating, images=images, **changes), saturating)
        print(f"{label}: {time.perf_counter() - start:.0f} s", flush=True)
    start = time.perf_counter()
    runs["article-dcgan-cats"] = (
        train("article-dcgan-cats", device, args.cat_epochs, images=load_dataset("cats")),
        False,
    )
    print(f"article-dcgan-cats: {time.perf_counter() - start:.0f} s", flush=True)
    for label, (run, saturating) in runs.items():
        found = flagged_windows(run, saturating)
        print(f"{label}: {run['stats'].shape[1]} steps, {len(found)} flagged windows")
        for line in found:
            print(f"    {line}")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(
        args.out,
        **{f"{label}/{part}": run[part] for label, (run, _) in runs.items() for part in ("stats", "epoch_end_step")},
        **{f"{label}/saturating": np.array(s) for label, (_, s) in runs.items()},
    )


if __name__ == "__main__":
    main()
