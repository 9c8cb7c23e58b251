"""Notebook 05's step budget: when is the healthy run better than blurred digits, and how stable is the ranking?

    flock /tmp/cpu.lock python benchmarks/nb05_baseline_budget.py curve --seed 0 --steps 4000
    flock /tmp/cpu.lock python benchmarks/nb05_baseline_budget.py experiments --seed 0 --epochs 12

Machine: the 2-core CPU of ``benchmarks/README.md`` (torch threads as the recipe says, 2), real MNIST.
Notebook 05's full settings: ``vanilla-gan-mnist`` on the first 250 x 64 = 16,000 training digits (250
steps an epoch), 5,000 samples scored, the blurred-digits reference (the notebook's 5x5 binomial blur
of 5,000 real training digits) scored the same way.

``curve`` trains the healthy recipe and scores, every ``--every`` steps, both the latest generator
``setup.G`` and the weight average ``setup.G_ema``; it prints one row per checkpoint.
``experiments`` trains every experiment of the notebook's section 6 at ``--epochs`` epochs for one seed
and prints, for each run, the scores of both generators, the statistics ``run_table`` shows, and, for
the remedies of section 6.4, the factor by which each lowers the failing run's Fréchet distance.
Quality per step does not depend on the machine; the seconds printed convert steps into CPU time.
"""

from __future__ import annotations

import argparse
import dataclasses
import time

import torch
import torch.nn.functional as F

import helpers
from helpers import draw_samples, get_recipe, mnist_scores
from helpers.experiments import run_table, train_run, window_mean, with_discriminator

STEPS_PER_EPOCH = 250
N_SCORE = 5000


def data() -> tuple[torch.Tensor, float]:
    """The training slice, and the blurred-digits reference's Fréchet distance at N_SCORE samples."""
    recipe = get_recipe("vanilla-gan-mnist")
    images = helpers.load_mnist(train=True)[0]
    torch.manual_seed(0)  # the notebook's draw of reference digits (its N_REF = 10,000, first N_SCORE kept)
    real = images[torch.randperm(len(images))[:10000]].float() / 255
    kernel = torch.tensor([1.0, 4.0, 6.0, 4.0, 1.0])
    kernel = (kernel[:, None] * kernel[None, :] / 256).view(1, 1, 5, 5)
    blurred = mnist_scores(F.conv2d(real, kernel, padding=2)[:N_SCORE])["frechet_distance"]
    return images[: STEPS_PER_EPOCH * recipe.batch_size], blurred


def curve(seed: int, steps: int, every: int) -> None:
    images, blurred = data()
    recipe = get_recipe("vanilla-gan-mnist")
    print(f"blurred digits, {N_SCORE} images: Fréchet distance {blurred:.1f}")
    print(f"{'seed':>4} {'steps':>6} {'latest G':>9} {'average':>8} {'classes avg':>11} {'train s':>8}")

    def score(end: helpers.EpochEnd, setup: helpers.recipes.Setup) -> None:
        if end.history.steps % every:
            return
        fd = {}
        for name, G in (("latest", setup.G), ("average", setup.G_ema)):
            fd[name] = mnist_scores(draw_samples(G, setup.noise, N_SCORE))
        print(
            f"{seed:>4} {end.history.steps:>6} {fd['latest']['frechet_distance']:9.1f} "
            f"{fd['average']['frechet_distance']:8.1f} {fd['average']['effective_classes']:11.2f} "
            f"{end.history.seconds:8.1f}",
            flush=True,
        )

    train_run("healthy", recipe, images, epochs=steps // STEPS_PER_EPOCH, n_score=10, seed=seed, callbacks=[score])


def experiments(seed: int, epochs: int, only: list[str], score_at: list[int]) -> None:
    images, blurred = data()
    recipe = get_recipe("vanilla-gan-mnist")
    strong_d = with_discriminator(dataclasses.replace(recipe, lr_g=recipe.lr_g / 20), dropout=0.0)
    runs = {  # name: (recipe, saturating loss), as in the notebook's section 6
        "healthy (recipe)": (recipe, False),
        "saturating loss": (recipe, True),
        "strong D": (strong_d, False),
        "strong D + saturating": (strong_d, True),
        "G 10x faster": (dataclasses.replace(recipe, lr_g=10 * recipe.lr_g), False),
        "+ label smoothing 0.9": (dataclasses.replace(strong_d, real_target=0.9), True),
        "+ spectral norm in D": (with_discriminator(strong_d, spectral_norm=True), True),
        "+ instance noise 0.3": (with_discriminator(strong_d, input_noise=0.3), True),
        "+ two timescales (D 2x)": (dataclasses.replace(strong_d, lr_d=2 * strong_d.lr_g), True),
        "+ dropout 0.3 in D": (with_discriminator(strong_d, dropout=0.3), True),
    }
    steps = epochs * STEPS_PER_EPOCH
    print(f"seed {seed}, {epochs} x {STEPS_PER_EPOCH} = {steps} steps; blurred digits {blurred:.1f}")
    half = STEPS_PER_EPOCH // 2
    fd: dict[str, dict[tuple[int, str], float]] = {}

    def scorer(name: str) -> object:
        def score(end: helpers.EpochEnd, setup: helpers.recipes.Setup) -> None:
            if end.history.steps in score_at or end.history.steps == steps:
                for which, G in (("latest", setup.G), ("average", setup.G_ema)):
                    s = mnist_scores(draw_samples(G, setup.noise, N_SCORE))
                    fd.setdefault(name, {})[end.history.steps, which] = s["frechet_distance"]
                    print(
                        f"    {name} at {end.history.steps} steps, {which:<7}: Fréchet {s['frechet_distance']:7.1f}, "
                        f"classes {s['effective_classes']:.2f}, collapsed {s['collapsed']}",
                        flush=True,
                    )

        return score

    start = time.perf_counter()
    for name, (variant, saturating) in runs.items():
        if only and name not in only:
            continue
        run, _ = train_run(
            name,
            variant,
            images,
            epochs=epochs,
            n_score=N_SCORE,
            seed=seed,
            saturating=saturating,
            callbacks=[scorer(name)],
        )
        print(run_table([run], half))
        print(f"    D(G(z)) over the last half-epoch {window_mean(run.history['d_fake'], -half):.4f}", flush=True)
    print(f"{time.perf_counter() - start:.0f} s in all")
    failing = fd.get("strong D + saturating")
    for name in [n for n in fd if n.startswith("+") and failing]:
        gains = ", ".join(f"{k[1]} at {k[0]}: {failing[k] / v:.2f}x" for k, v in fd[name].items())
        print(f"seed {seed} {name:<26} gain (failing / remedy): {gains}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("what", choices=["curve", "experiments"])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--steps", type=int, default=4000, help="curve: steps to train (a multiple of 250)")
    parser.add_argument("--every", type=int, default=500, help="curve: score every this many steps")
    parser.add_argument("--epochs", type=int, default=12, help="experiments: epochs of 250 steps per run")
    parser.add_argument("--only", nargs="*", default=[], help="experiments: only these runs (names as printed)")
    parser.add_argument("--score-at", nargs="*", type=int, default=[], help="experiments: also score at these steps")
    args = parser.parse_args()
    if args.what == "curve":
        curve(args.seed, args.steps, args.every)
    else:
        experiments(args.seed, args.epochs, args.only, args.score_at)
